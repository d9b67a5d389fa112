"""`python -m qa eval --report DIR` as a function: the hashing engine, a small question file."""

import json
import re

import pytest

from qa.evaluate import DEFAULT_QUESTIONS
from qa.report import write_report


def test_report_has_metrics_answer_types_plots_and_misses(hashing_engine, tmp_path):
    records = [json.loads(x) for x in DEFAULT_QUESTIONS.read_text(encoding="utf-8").splitlines()]
    picked = ([r for r in records if r["split"] == "dev"][:20]
              + [r for r in records if r["split"] == "test" and r["expected"]][:20])
    own = [  # the answer-type table must count these two out-of-scope questions
        {"id": "x1", "question": "Who runs CSIG now?", "lang": "en", "expected": None,
         "kind": "oos", "split": "test"},
        {"id": "x2", "question": "腾讯云去年营收多少?", "lang": "zh-Hans", "expected": None,
         "kind": "oos", "split": "test"},
    ]
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in picked + own)
                         + "\n", encoding="utf-8")
    path = write_report(hashing_engine, tmp_path / "out", questions)
    text = path.read_text(encoding="utf-8")
    for heading in ("## Metrics (hybrid, the default)", "## Retrieval modes and fusion",
                    "## Abstention", "### Expected answer type", "## Misses",
                    "### Exemplars", "### Is the confidence the chance of being right?",
                    "## Before/after of each kept change"):
        assert heading in text
    assert "| test | party | 0 (0) | 1 (" in text
    assert re.search(r"\| test \| number \| 0 \(0\) \| [1-9]\d* \(", text)
    # the reliability table: the hand-set fallback is not rescaled, and the report says so
    assert "no rescaling (the raw in-scope probability)" in text
    assert re.search(r"expected calibration error \*\*0\.\d{3}\*\*", text)
    assert "| confidence | questions | mean confidence | top answer right |" in text
    for png in ("confidence.png", "dense_top.png", "reliability.png"):
        assert (tmp_path / "out" / png).stat().st_size > 1000
        assert f"]({png})" in text
    # the hashing engine's hand-set fallback declines in-scope questions even when it ranks their
    # pair first: those declines are listed with the misses
    outcomes = {o.item.id: o for o in _evaluate(hashing_engine, questions)}
    declined_right = [i for i, o in outcomes.items()
                      if o.item.expected and o.rank == 1 and not o.answer.answered]
    assert declined_right, "the fixture should produce a correct-but-declined question"
    for qid in declined_right:
        assert f"| {qid} |" in text
    assert not list((tmp_path / "out").glob("*.tmp"))  # written atomically
    # the hand-kept history is embedded, the `exemplar` change among it
    assert "`exemplar` confidence feature" in text.split("## Before/after of each kept change")[1]


def _evaluate(engine, path):
    from qa.evaluate import evaluate, load_questions

    return evaluate(engine, load_questions(path, split="all"), split="all").outcomes


def test_answers_that_are_right_counts_what_a_user_is_told():
    from types import SimpleNamespace as NS

    from qa.evaluate import Labelled, Outcome, metrics

    def outcome(expected, top, answered):
        hit = NS(pair=NS(id=top), rank=1)
        return Outcome(Labelled("x", "q", "en", expected),
                       NS(answered=answered, hits=(hit,), confidence=0.5))

    m = metrics([
        outcome("p01", "p01", True),  # answered, right
        outcome("p02", "p03", True),  # answered, wrong exchange
        outcome("p04", "p04", False),  # declined: not an answer at all
        outcome(None, "p05", True),  # off-topic but answered: wrong
        outcome(None, "p06", False),  # off-topic, declined
    ])
    assert (m["answered_right"], m["answered"]) == (1, 3)
    # the top answer is right twice (once declined) in five, each at 50%: 0.5 - 2/5 off
    assert m["calibration_error"] == pytest.approx(0.1)


# -- `python -m qa bench --out FILE`: the benchmarks document ----------------------------------
def test_bench_refuses_to_overwrite_a_file_that_is_not_a_benchmarks_document(tmp_path):
    import pytest

    from qa.bench import write_section
    from qa.errors import QAError

    notes = tmp_path / "notes.md"
    notes.write_text("# My notes\n\nimportant stuff\n", encoding="utf-8")
    with pytest.raises(QAError, match=r"notes\.md.*not a benchmarks document.*--out"):
        write_section(notes, "speed", "| a | b |", "machine")
    assert notes.read_text(encoding="utf-8") == "# My notes\n\nimportant stuff\n"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.md"]  # no temporary file left behind


def test_bench_checks_out_before_measuring_anything(tmp_path, monkeypatch):
    """The refusal comes before the run (minutes long), not after it."""
    import argparse

    import pytest

    from qa import bench
    from qa.errors import QAError

    notes = tmp_path / "notes.md"
    notes.write_text("important stuff", encoding="utf-8")

    def never(*_a, **_k):
        raise AssertionError("benchmarks ran although the output file is refused")

    monkeypatch.setattr(bench, "Speed", never)
    args = argparse.Namespace(out=str(notes), scale=False, load=False, quick=True)
    with pytest.raises(QAError, match="not a benchmarks document"):
        bench.main(args)


def test_bench_updates_its_own_document_and_starts_empty_ones(tmp_path):
    from qa.bench import DOC_TITLE, ROOT, SECTIONS, write_section

    real = tmp_path / "benchmarks.md"
    real.write_text((ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8"),
                    encoding="utf-8")
    write_section(real, "load", "NEW LOAD TABLE", "machine X")
    text = real.read_text(encoding="utf-8")
    assert text.startswith(DOC_TITLE) and "NEW LOAD TABLE" in text
    assert text.count(SECTIONS["speed"]) == text.count(SECTIONS["scale"]) == 1  # others kept
    for empty in ("", "\n  \n"):  # a new or blank file becomes a benchmarks document
        f = tmp_path / "new.md"
        f.write_text(empty, encoding="utf-8")
        write_section(f, "speed", "SPEED TABLE", "machine Y")
        assert f.read_text(encoding="utf-8").startswith(DOC_TITLE)
    missing = tmp_path / "sub" / "fresh.md"
    write_section(missing, "scale", "SCALE TABLE", "machine Z")
    assert "SCALE TABLE" in missing.read_text(encoding="utf-8")
    # a document holding only section markers (its title edited away) is still ours: updated,
    # with what the user wrote around the sections kept
    marked = tmp_path / "marked.md"
    marked.write_text("Intro by hand.\n\n<!-- bench:speed:start -->\nold\n<!-- bench:speed:end -->\n",
                      encoding="utf-8")
    write_section(marked, "speed", "FRESH", "m")
    text = marked.read_text(encoding="utf-8")
    assert "Intro by hand." in text and "FRESH" in text and "old" not in text


def test_bench_refuses_an_out_path_that_is_not_a_regular_file():
    from pathlib import Path

    import pytest

    from qa.bench import check_out
    from qa.errors import QAError

    with pytest.raises(QAError, match="not a regular file"):
        check_out(Path("/dev/null"))
