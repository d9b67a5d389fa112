"""Faults and bad input: a damaged or foreign index cache, an unwritable or missing cache directory,
concurrent and killed builds, hostile questions and interview files. The app must answer correctly
(rebuilding, or serving from memory with a warning), never leave a half-written index where a
reader would load it, and never show a traceback. Uses the deterministic hashing encoder, so
nothing here needs the real model.
"""

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.engine import MAX_QUESTION_CHARS, Engine
from qa.errors import InterviewParseError, QAError
from qa.parsing import load_interview, parse_article

ROOT = Path(__file__).resolve().parents[1]
PROBES = ["腾讯会自己做ERP吗", "騰訊雲是否在虧錢?", "What does Tencent look for in talent?",
          "中台 middle platform"]
CONTRACT = {"question", "answered", "confidence", "hits"}
HIT_CONTRACT = {"rank", "pair_id", "section", "question", "answer", "score", "scores"}


def create(cache: Path, **kw) -> Engine:
    return Engine.create(model="hashing", cache_dir=cache, **kw)


def index_dir(cache: Path) -> Path:
    (d,) = [p for p in (cache / "indexes").iterdir() if not p.name.startswith(".")]
    return d


def staging_dirs(cache: Path) -> list[Path]:
    root = cache / "indexes"
    return [p for p in root.iterdir() if p.name.startswith(".")] if root.exists() else []


def results(engine: Engine) -> list[tuple]:
    return [tuple((h.pair.id, round(h.score, 6)) for h in engine.ask(q).hits) for q in PROBES]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> list[tuple]:
    """What a freshly built engine answers: every recovered engine must answer the same."""
    return results(create(tmp_path_factory.mktemp("reference")))


def assert_contract(d: dict) -> None:
    assert CONTRACT <= set(d)
    assert isinstance(d["answered"], bool) and 0.0 <= d["confidence"] <= 1.0
    for rank, hit in enumerate(d["hits"], 1):
        assert HIT_CONTRACT <= set(hit) and hit["rank"] == rank


# ----------------------------------------------------------------------------- the cache


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "delete"])
def test_damaged_faiss_file_is_rebuilt(tmp_path, reference, damage):
    create(tmp_path)
    faiss_file = index_dir(tmp_path) / "dense.faiss"
    size = faiss_file.stat().st_size
    if damage == "truncate":
        with faiss_file.open("r+b") as f:
            f.truncate(size // 2)
    elif damage == "garbage":
        faiss_file.write_bytes(os.urandom(size))
    elif damage == "empty":
        faiss_file.write_bytes(b"")
    else:
        faiss_file.unlink()
    engine = create(tmp_path)
    assert engine.indexes.rebuilt_because and "dense.faiss" in engine.indexes.rebuilt_because
    assert results(engine) == reference
    again = create(tmp_path)  # the rebuilt index on disk is whole
    assert again.indexes.rebuilt_because is None and results(again) == reference


def test_corrupt_file_with_a_matching_checksum_is_rebuilt(tmp_path, reference):
    """A manifest that vouches for a broken file (e.g. written by a buggy tool) is not trusted
    blindly: loading fails and the index is rebuilt."""
    create(tmp_path)
    d = index_dir(tmp_path)
    (d / "dense.faiss").write_bytes(b"not a faiss index")
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    import hashlib

    manifest["files"]["dense.faiss"] = hashlib.sha256(b"not a faiss index").hexdigest()
    (d / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    engine = create(tmp_path)
    assert "could not be read" in engine.indexes.rebuilt_because
    assert results(engine) == reference


@pytest.mark.parametrize("key, value, why", [
    ("model_id", "intfloat/multilingual-e5-small", "model"),
    ("model_fingerprint", "0" * 64, "model|weights"),
    ("dim", 384, "dimension"),
    ("corpus_hash", "f" * 64, "corpus|interview"),
    ("format_version", 0, "format"),
])
def test_manifest_from_another_model_or_corpus_is_rebuilt(tmp_path, reference, key, value, why):
    create(tmp_path)
    mpath = index_dir(tmp_path) / "manifest.json"
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    manifest[key] = value
    mpath.write_text(json.dumps(manifest), encoding="utf-8")
    engine = create(tmp_path)
    assert re.search(why, engine.indexes.rebuilt_because)
    assert results(engine) == reference
    assert json.loads(mpath.read_text(encoding="utf-8"))[key] != value


@pytest.mark.parametrize("content", ["{not json", "[1, 2, 3]", ""])
def test_unreadable_manifest_is_rebuilt(tmp_path, reference, content):
    create(tmp_path)
    (index_dir(tmp_path) / "manifest.json").write_text(content, encoding="utf-8")
    engine = create(tmp_path)
    assert engine.indexes.rebuilt_because and "manifest" in engine.indexes.rebuilt_because
    assert results(engine) == reference


def _write_interview(path: Path, topic: str) -> Path:
    path.write_text(
        f"訪談\n提問:你們怎麼做{topic}?\n湯道生:我們認真做{topic},而且長期投入。\n"
        f"提問:{topic}什麼時候盈利?\n湯道生:{topic}還需要幾年時間才能盈利。\n",
        encoding="utf-8")
    return path


def test_index_of_an_edited_interview_is_rebuilt(tmp_path):
    """The cached index belongs to the old text of the same file: its corpus hash no longer
    matches, so it is rebuilt and the answers come from the new text."""
    cache = tmp_path / "cache"
    path = _write_interview(tmp_path / "interview.txt", "雲計算")
    first = Engine.create(model="hashing", interview=path, cache_dir=cache)
    assert "雲計算" in first.ask("盈利").hits[0].pair.answer
    _write_interview(path, "遊戲")
    second = Engine.create(model="hashing", interview=path, cache_dir=cache)
    assert re.search("corpus|interview", second.indexes.rebuilt_because)
    assert "遊戲" in second.ask("盈利").hits[0].pair.answer
    assert all("遊戲" in h.pair.answer for h in second.ask("雲計算").hits)


def _deny_writes_under(monkeypatch, root: Path) -> None:
    """Make the cache unwritable. Mode bits do not bind root, so under root the refusal is also
    simulated where the store creates its staging directory."""
    os.chmod(root, 0o555)
    real = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        where = kwargs.get("dir") or (args[2] if len(args) > 2 else None)
        if where is not None and str(where).startswith(str(root)):
            raise PermissionError(13, "Permission denied", str(where))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)


def test_read_only_cache_serves_from_memory_with_a_warning(tmp_path, reference, monkeypatch,
                                                          caplog):
    cache = tmp_path / "ro"
    (cache / "indexes").mkdir(parents=True)
    _deny_writes_under(monkeypatch, cache)
    try:
        with caplog.at_level(logging.WARNING):
            engine = create(cache)
        assert engine.indexes.persisted is False
        assert "serving from memory" in caplog.text
        assert results(engine) == reference
        assert list((cache / "indexes").iterdir()) == []  # nothing half-written left behind
    finally:
        os.chmod(cache, 0o755)


def test_read_only_cache_with_a_valid_index_just_loads(tmp_path, reference, monkeypatch):
    create(tmp_path)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    _deny_writes_under(monkeypatch, tmp_path)
    try:
        engine = create(tmp_path)
        assert engine.indexes.rebuilt_because is None and results(engine) == reference
        assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before
    finally:
        os.chmod(tmp_path, 0o755)


def test_missing_cache_directory_is_created(tmp_path, reference):
    cache = tmp_path / "not" / "yet" / "there"
    engine = create(cache)
    assert engine.indexes.persisted and results(engine) == reference
    assert create(cache).indexes.rebuilt_because is None


def test_cache_path_that_is_a_file_serves_from_memory(tmp_path, reference, caplog):
    blocker = tmp_path / "cache"
    blocker.write_text("I am a file, not a directory")
    with caplog.at_level(logging.WARNING):
        engine = create(blocker)
    assert engine.indexes.persisted is False and "serving from memory" in caplog.text
    assert results(engine) == reference


# ----------------------------------------------------------------------------- processes

SLOW_BUILD = textwrap.dedent("""\
    # A `python -m qa build` whose build is slow at a chosen step, to test races and kills.
    import sys, time
    from pathlib import Path
    from index import fake, store
    from qa.cli import main

    step, seconds, marker = sys.argv[1], float(sys.argv[2]), Path(sys.argv[3])
    if step == "embed":
        original = fake.HashingEncoder._encode
        def slow_encode(self, texts, prompt):
            marker.write_text("embedding")
            time.sleep(seconds)
            return original(self, texts, prompt)
        fake.HashingEncoder._encode = slow_encode
    elif step == "write":
        original = store.DenseIndex.save
        def slow_save(self, path):
            original(self, path)  # the staging dir now holds a FAISS file but no manifest
            marker.write_text("writing")
            time.sleep(seconds)
        store.DenseIndex.save = slow_save
    sys.exit(main(["build", "--model", "hashing", *sys.argv[4:]]))
""")


def start_build(tmp_path: Path, cache: Path, step: str, seconds: float, name: str,
                *extra: str) -> tuple[subprocess.Popen, Path]:
    script = tmp_path / "slow_build.py"
    script.write_text(SLOW_BUILD, encoding="utf-8")
    marker = tmp_path / f"{name}.marker"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QA_CACHE_DIR": str(cache)}
    proc = subprocess.Popen([sys.executable, str(script), step, str(seconds), str(marker), *extra],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    return proc, marker


def wait_for(marker: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the build never reached the step"
        time.sleep(0.05)


def test_two_processes_building_at_once(tmp_path, reference):
    cache = tmp_path / "cache"
    a, marker_a = start_build(tmp_path, cache, "embed", 1.5, "a")
    b, marker_b = start_build(tmp_path, cache, "embed", 1.5, "b")
    wait_for(marker_a, a)
    wait_for(marker_b, b)  # both are building at the same time
    reader = create(cache)  # a third process meanwhile gets correct answers
    assert results(reader) == reference
    outs = [p.communicate(timeout=120) for p in (a, b)]
    assert (a.returncode, b.returncode) == (0, 0), outs
    assert all("indexes rebuilt" in out or "up to date" in out for out, _ in outs)
    engine = create(cache)
    assert engine.indexes.rebuilt_because is None and results(engine) == reference
    assert staging_dirs(cache) == []


@pytest.mark.parametrize("with_previous", [False, True])
def test_build_killed_while_embedding(tmp_path, reference, with_previous):
    cache = tmp_path / "cache"
    if with_previous:
        create(cache)
    proc, marker = start_build(tmp_path, cache, "embed", 60, "kill", "--rebuild")
    wait_for(marker, proc)
    proc.kill()  # SIGKILL: no cleanup code runs
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    engine = create(cache)
    assert (engine.indexes.rebuilt_because is None) == with_previous
    assert results(engine) == reference


def test_build_killed_while_writing_leaves_the_old_index_whole(tmp_path, reference):
    cache = tmp_path / "cache"
    create(cache)
    proc, marker = start_build(tmp_path, cache, "write", 60, "kill", "--rebuild")
    wait_for(marker, proc)
    proc.kill()
    proc.communicate()
    half = staging_dirs(cache)
    assert len(half) == 1 and (half[0] / "dense.faiss").exists()
    assert not (half[0] / "manifest.json").exists()  # half-written, and only in staging
    engine = create(cache)
    assert engine.indexes.rebuilt_because is None and results(engine) == reference
    # staging dirs of dead builds are swept once they are old (a live build may still own one)
    os.utime(half[0], (time.time() - 7200, time.time() - 7200))
    create(cache)
    assert staging_dirs(cache) == []


def test_build_killed_while_writing_the_first_index(tmp_path, reference):
    cache = tmp_path / "cache"
    proc, marker = start_build(tmp_path, cache, "write", 60, "kill")
    wait_for(marker, proc)
    proc.kill()
    proc.communicate()
    assert [p for p in (cache / "indexes").iterdir() if not p.name.startswith(".")] == []
    engine = create(cache)
    assert engine.indexes.rebuilt_because == "no index yet" and results(engine) == reference


# ----------------------------------------------------------------------------- inputs

ODD_QUESTIONS = [
    "",
    "   \t\n  ",
    "\x00",
    "nul\x00inside\x01and\x7fcontrol\x1bchars",
    "x" * 100_000,
    "腾讯" * 50_000,
    "🚀🤖🎉👍🏽👨‍👩‍👧",
    "漢字 かな カナ 한글 English Ελληνικά العربية עברית",
    "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "'; DROP TABLE pairs; --",
    "\u200b\u200d\ufeff\u202e reversed",
    "?" * 300,
]


@pytest.mark.parametrize("question", ODD_QUESTIONS, ids=lambda q: repr(q[:20]))
def test_odd_questions_get_a_clear_result(hashing_engine, question):
    d = hashing_engine.ask(question).to_dict()
    assert_contract(d)
    assert "\x00" not in d["question"] and len(d["question"]) <= MAX_QUESTION_CHARS
    if question.strip(" \t\n\x00"):
        assert d["hits"]
    else:
        assert d["hits"] == [] and not d["answered"] and d["notice"]
    if len(question) > MAX_QUESTION_CHARS:
        assert "characters" in d["notice"]


@pytest.mark.parametrize("question", ["\ud800", "a\udcffb 腾讯云"])
def test_lone_surrogates_do_not_raise(hashing_engine, question):
    """JSON may carry "\\ud800"; invalid UTF-8 on stdin arrives as surrogate escapes."""
    d = hashing_engine.ask(question).to_dict()
    assert_contract(d)
    json.dumps(d, ensure_ascii=False).encode("utf-8")  # printable as UTF-8


def test_invalid_utf8_on_stdin_is_answered(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QA_CACHE_DIR": str(tmp_path / "cache")}
    got = subprocess.run([sys.executable, "-m", "qa", "ask", "--json", "--model", "hashing"],
                         input=b"\xff\xfe bad \xe8\x85 \xe8\x85\xbe\xe8\xae\xaf\n",
                         check=False, capture_output=True, env=env, cwd=ROOT, timeout=120)
    assert got.returncode == 0 and b"Traceback" not in got.stderr
    (line,) = got.stdout.decode("utf-8").splitlines()
    assert_contract(json.loads(line))


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(question=st.text(max_size=300), top_k=st.integers(min_value=1, max_value=50),
       mode=st.sampled_from(["hybrid", "dense", "lexical"]))
def test_ask_never_raises_on_any_text(hashing_engine, question, top_k, mode):
    """Any text, that is; a top_k below 1 is the caller's error (tests/test_engine.py)."""
    d = hashing_engine.ask(question, top_k=top_k, mode=mode).to_dict()
    assert_contract(d)
    assert len(d["hits"]) <= top_k
    assert [h["rank"] for h in d["hits"]] == list(range(1, len(d["hits"]) + 1))


LABEL = st.sampled_from(["提問:", "提問:", "記者:", "湯道生:", "汤道生:", "湯道生 :", ""])
LINE = st.tuples(LABEL, st.text(max_size=40)).map(lambda t: t[0] + t[1])


@settings(max_examples=300, deadline=None, database=None)
@given(lines=st.lists(LINE, max_size=25), newline=st.sampled_from(["\n", "\r\n"]))
def test_parser_returns_pairs_or_a_clear_error(lines, newline):
    try:
        interview = parse_article(newline.join(lines))
    except InterviewParseError as exc:
        assert "no question/answer pairs" in str(exc)
        return
    assert interview.pairs
    assert [p.id for p in interview.pairs] == [f"p{i:02d}" for i in range(1, len(interview) + 1)]
    for p in interview.pairs:
        assert isinstance(p.question, str) and p.answer_paragraphs
        assert all(isinstance(a, str) for a in p.answer_paragraphs)


def test_label_only_turns_make_no_pair():
    with pytest.raises(InterviewParseError):
        parse_article("提問:\n湯道生:")


def test_invalid_utf8_interview_is_a_clear_error(tmp_path):
    bad = tmp_path / "interview.txt"
    bad.write_bytes("提問:騰訊雲?\n湯道生:".encode() + b"\xe9\x9b\xff\xfe" + "是的。\n".encode())
    with pytest.raises(InterviewParseError, match="not UTF-8"):
        load_interview(bad)
    with pytest.raises(QAError, match="not UTF-8"):
        Engine.create(model="hashing", interview=bad, cache_dir=tmp_path / "cache")


@pytest.mark.parametrize("text", ["", "just a lead-in paragraph\n\nand another",
                                  "提問:a question nobody answered?\n"])
def test_interview_without_pairs_is_a_clear_error(tmp_path, text):
    path = tmp_path / "interview.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InterviewParseError, match="no question/answer pairs"):
        Engine.create(model="hashing", interview=path, cache_dir=tmp_path / "cache")


def test_cli_reports_a_pairless_interview_in_one_line(tmp_path):
    path = tmp_path / "interview.txt"
    path.write_text("no exchanges here\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QA_CACHE_DIR": str(tmp_path / "cache")}
    got = subprocess.run([sys.executable, "-m", "qa", "ask", "--json", "--model", "hashing",
                          "--interview", str(path), "腾讯云"], check=False, capture_output=True,
                         text=True, env=env, cwd=ROOT, timeout=120)
    assert got.returncode == 1 and "Traceback" not in got.stderr
    assert got.stderr.strip().splitlines()[-1].startswith("error: no question/answer pairs")


def test_json_interview_with_no_usable_records(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"question": "", "answer": "x"}\n{"question": "q?", "answer": []}\n',
                    encoding="utf-8")
    with pytest.raises(InterviewParseError, match="no question/answer records"):
        load_interview(path)


def test_copy_of_a_cache_from_another_machine_path_still_loads(tmp_path, reference):
    """Moving the cache (e.g. restoring a backup elsewhere) keeps it valid: nothing in the
    manifest depends on the absolute path."""
    create(tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    engine = create(tmp_path / "b")
    assert engine.indexes.rebuilt_because is None and results(engine) == reference
