"""`python -m qa eval --report DIR` as a function: the hashing engine, a small question file."""

import json

from qa.evaluate import DEFAULT_QUESTIONS
from qa.report import write_report


def test_report_has_metrics_answer_types_plots_and_misses(hashing_engine, tmp_path):
    lines = DEFAULT_QUESTIONS.read_text(encoding="utf-8").splitlines()
    records = [json.loads(x) for x in lines]
    # a few of each split and kind, in-scope and out-of-scope
    picked = [r for r in records if r["split"] == "dev"][:20] + \
        [r for r in records if r["split"] == "test"][:20] + \
        [r for r in records if r["expected"] is None][:10]
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in picked) + "\n",
                         encoding="utf-8")
    path = write_report(hashing_engine, tmp_path / "out", questions)
    text = path.read_text(encoding="utf-8")
    for heading in ("## Metrics (hybrid, the default)", "## Retrieval modes and fusion",
                    "## Abstention", "### Expected answer type", "## Misses"):
        assert heading in text
    assert "| test |" in text and "| dev |" in text
    for png in ("confidence.png", "dense_top.png"):
        assert (tmp_path / "out" / png).stat().st_size > 1000
        assert f"]({png})" in text
    # the hashing engine's fallback rule declines nearly everything: those are listed as misses
    assert text.count("\n| q") >= 10
    assert not list((tmp_path / "out").glob("*.tmp"))  # written atomically
