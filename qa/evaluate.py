"""Evaluation: a labelled question file → retrieval and abstention metrics.

In: JSONL records ``{"id", "question", "lang", "expected": pair id or null, "kind", "split"}``
(``expected: null`` marks a question the interview does not cover). Out: an :class:`EvalResult`
with Recall@1, Recall@3, MRR (over in-scope questions), per-language Recall@1, and abstention
counts: out-of-scope questions correctly declined and in-scope questions wrongly declined.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qa.config import PACKAGE_DIR
from qa.errors import QAError

DEFAULT_QUESTIONS = PACKAGE_DIR.parent / "tests" / "data" / "questions.jsonl"
LANGS = ("zh-Hans", "zh-Hant", "en")


@dataclass(frozen=True)
class Labelled:
    id: str
    question: str
    lang: str
    expected: str | None
    kind: str = ""
    split: str = ""


@dataclass
class Outcome:
    item: Labelled
    answer: object  # qa.engine.Answer

    @property
    def rank(self) -> int | None:
        """1-based rank of the expected pair among the hits, None if absent."""
        for h in self.answer.hits:
            if h.pair.id == self.item.expected:
                return h.rank
        return None


@dataclass
class EvalResult:
    outcomes: list[Outcome]
    split: str
    metrics: dict = field(default_factory=dict)

    @property
    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.item.expected and o.rank != 1]


def load_questions(path: str | Path = DEFAULT_QUESTIONS, split: str = "all") -> list[Labelled]:
    path = Path(path)
    if not path.exists():
        raise QAError(f"labelled question file not found: {path}")
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            items.append(Labelled(str(rec["id"]), rec["question"], rec.get("lang", ""),
                                  rec.get("expected"), rec.get("kind", ""), rec.get("split", "")))
        except (ValueError, KeyError) as exc:
            raise QAError(f"{path}:{n}: not a labelled question record ({exc})") from exc
    if split != "all":
        items = [i for i in items if i.split == split]
    if not items:
        raise QAError(f"no labelled questions in {path} (split {split!r})")
    return items


def metrics(outcomes: Sequence[Outcome]) -> dict:
    inscope = [o for o in outcomes if o.item.expected]
    oos = [o for o in outcomes if not o.item.expected]
    n = len(inscope) or 1
    r1 = sum(o.rank == 1 for o in inscope) / n
    r3 = sum(o.rank is not None and o.rank <= 3 for o in inscope) / n
    mrr = sum(1.0 / o.rank for o in inscope if o.rank) / n
    by_lang: dict[str, list[Outcome]] = defaultdict(list)
    for o in inscope:
        by_lang[o.item.lang].append(o)
    oos_by_lang: dict[str, list[Outcome]] = defaultdict(list)
    for o in oos:
        oos_by_lang[o.item.lang].append(o)
    return {
        "n_inscope": len(inscope),
        "n_oos": len(oos),
        "recall@1": r1,
        "recall@3": r3,
        "mrr": mrr,
        "recall@1_by_lang": {
            lang: sum(o.rank == 1 for o in os_) / len(os_) for lang, os_ in sorted(by_lang.items())
        },
        "mrr_by_lang": {
            lang: sum(1.0 / o.rank for o in os_ if o.rank) / len(os_)
            for lang, os_ in sorted(by_lang.items())
        },
        "oos_declined": sum(not o.answer.answered for o in oos),
        "oos_declined_by_lang": {
            lang: f"{sum(not o.answer.answered for o in os_)}/{len(os_)}"
            for lang, os_ in sorted(oos_by_lang.items())
        },
        "inscope_declined": sum(not o.answer.answered for o in inscope),
        "inscope_declined_rate": sum(not o.answer.answered for o in inscope) / n,
        "oos_declined_rate": (sum(not o.answer.answered for o in oos) / len(oos)) if oos else 0.0,
        # what a user sees: of the questions answered (in scope or not), how many got the right
        # exchange; an answered out-of-scope question is a wrong answer
        "answered": sum(o.answer.answered for o in outcomes),
        "answered_right": sum(o.answer.answered and o.rank == 1 for o in inscope),
    }


def evaluate(engine, items: Sequence[Labelled], mode: str = "hybrid", split: str = "all",
             top_k: int = 5) -> EvalResult:
    answers = engine.ask_many([i.question for i in items], top_k=top_k, mode=mode)
    outcomes = [Outcome(i, a) for i, a in zip(items, answers, strict=True)]
    return EvalResult(outcomes, split, metrics(outcomes))


def format_table(result: EvalResult) -> str:
    """The metrics as a Markdown table."""
    m = result.metrics
    rows = [
        ("split", result.split),
        ("in-scope questions", m["n_inscope"]),
        ("Recall@1", f"{m['recall@1']:.3f}"),
        ("Recall@3", f"{m['recall@3']:.3f}"),
        ("MRR", f"{m['mrr']:.3f}"),
    ]
    rows += [(f"Recall@1 ({lang})", f"{v:.3f}") for lang, v in m["recall@1_by_lang"].items()]
    rows += [
        ("out-of-scope declined", f"{m['oos_declined']}/{m['n_oos']}"),
        ("in-scope declined", f"{m['inscope_declined']}/{m['n_inscope']}"),
        ("answers that are right", f"{m['answered_right']}/{m['answered']}"),
    ]
    lines = ["| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines)
