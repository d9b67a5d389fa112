"""Evaluation: a labelled question file → retrieval and abstention metrics.

In: JSONL records ``{"id", "question", "expected": pair id or null[, "lang", "kind", "split",
"previous"]}`` (``expected: null`` marks a question the interview does not cover; ``previous``
makes the question a follow-up of that earlier one in a conversation). Out: an :class:`EvalResult`
with Recall@1, Recall@3, MRR (over in-scope questions), per-language Recall@1, and abstention
counts: out-of-scope questions correctly declined and in-scope questions wrongly declined.

Refuses (:class:`~qa.errors.QAError`, naming the file and line): a line that is not a JSON object,
a missing required field, a field of the wrong type, a ``split`` other than dev/test, and (in
:func:`evaluate`, where the interview is known) an ``expected`` id that is not one of its pairs.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qa.confidence import reliability
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
    previous: str = ""  # a follow-up's previous question in the conversation
    # where the record came from, for error messages (not part of its identity)
    source: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)

    @property
    def where(self) -> str:
        """``file:line`` when known, else the question's id."""
        return f"{self.source}:{self.line}" if self.line else f"question {self.id}"


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


REQUIRED = ("id", "question", "expected")  # expected may be null (out of scope)
OPTIONAL = ("lang", "kind", "split", "previous")
SPLITS = ("dev", "test")
_FIELDS = ("required: id, question, expected (a pair id such as \"p01\", or null for a question "
           "the interview does not cover); optional: lang (e.g. zh-Hans, zh-Hant, en), kind (free "
           "text), split (dev or test), previous (the question asked just before, for a follow-up)")


def _json_kind(value: object) -> str:
    """*value*'s type as JSON names it."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return {list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)


def _record(rec: object, path: Path, line: int) -> Labelled:
    """Line *line* of *path*, parsed, as a :class:`Labelled`; or a :class:`QAError` saying what is
    wrong with it."""
    where = f"{path}:{line}"
    if not isinstance(rec, dict):
        raise QAError(f"{where}: {_json_kind(rec)}, not a JSON object. Each line must be one "
                      f"object; {_FIELDS}")
    missing = [k for k in REQUIRED if k not in rec]
    if missing:
        names = ", ".join(repr(k) for k in missing)
        raise QAError(f"{where}: missing field {names}; {_FIELDS}")
    qid = rec["id"]
    if isinstance(qid, bool) or not isinstance(qid, (str, int)) or not str(qid).strip():
        raise QAError(f"{where}: field 'id' must be a non-empty string (or a number), "
                      f"not {qid!r:.40}")
    question = rec["question"]
    if not isinstance(question, str) or not question.strip():
        raise QAError(f"{where}: field 'question' must be non-empty text, not {question!r:.40}")
    expected = rec["expected"]
    if expected is not None and (not isinstance(expected, str) or not expected.strip()):
        raise QAError(f"{where}: field 'expected' must be a pair id such as \"p01\" "
                      f"(see `python -m qa pairs`), or null for a question the interview does "
                      f"not cover, not {expected!r}")
    opt = {k: "" if rec.get(k) is None else rec[k] for k in OPTIONAL}  # null = left out
    for k, v in opt.items():
        if not isinstance(v, str):
            raise QAError(f"{where}: field {k!r} must be text (or null), not {v!r:.40}")
    split = opt["split"]
    if split and split not in SPLITS:
        raise QAError(f"{where}: field 'split' must be 'dev' or 'test' (or left out), "
                      f"not {split!r}")
    return Labelled(str(qid), question, opt["lang"], expected, opt["kind"], split,
                    opt["previous"], source=str(path), line=line)


def load_questions(path: str | Path = DEFAULT_QUESTIONS, split: str = "all") -> list[Labelled]:
    """The labelled questions of the JSONL file at *path* in *split* ("dev", "test" or "all").

    Every record is checked (see :data:`REQUIRED`); the ``expected`` ids are checked against the
    interview by :func:`evaluate`, which knows it.
    """
    path = Path(path)
    if not path.exists():
        raise QAError(f"labelled question file not found: {path}")
    items = []
    first_line: dict[str, int] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as exc:
            raise QAError(f"{path}:{n}: not valid JSON ({exc}). Each line must be one object; "
                          f"{_FIELDS}") from exc
        item = _record(rec, path, n)
        if item.id in first_line:
            raise QAError(f"{path}:{n}: id {item.id!r} is already used on line "
                          f"{first_line[item.id]}; every question needs its own id")
        first_line[item.id] = n
        items.append(item)
    if split != "all":
        items = [i for i in items if i.split == split]
    if not items:
        raise QAError(f"no labelled questions in {path} (split {split!r})")
    return items


def check_expected(items: Sequence[Labelled], pair_ids: Sequence[str], source: str = "") -> None:
    """Refuse (:class:`QAError`) items whose ``expected`` pair is not among *pair_ids* (the
    interview's, from *source*), naming each such item's line and id and the valid ids."""
    known = set(pair_ids)
    bad = [i for i in items if i.expected is not None and i.expected not in known]
    if not bad:
        return
    shown = ", ".join(pair_ids) if len(pair_ids) <= 30 else (
        f"{', '.join(pair_ids[:20])}, …, {pair_ids[-1]} ({len(pair_ids)} in all; "
        "`python -m qa pairs` lists them)")
    where = "; ".join(f"{i.where}: question {i.id} expects pair {i.expected!r}" for i in bad[:5])
    more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
    of = f" {source}" if source else ""
    raise QAError(f"{where}{more}, which the interview{of} does not have; valid pair ids: {shown}. "
                  "Fix the expected ids, or pass the interview these questions were written for "
                  "(--interview)")


def confidence_reliability(outcomes: Sequence[Outcome]):
    """:func:`qa.confidence.reliability` of the answers' confidences against "the top answer is
    right" (an out-of-scope question's never is): the bins and the calibration error."""
    return reliability([o.answer.confidence for o in outcomes],
                       [bool(o.item.expected) and o.rank == 1 for o in outcomes])


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
        # does "confidence" mean what it says, the chance that the top answer is right?
        "calibration_error": confidence_reliability(outcomes)[1],
    }


def evaluate(engine, items: Sequence[Labelled], mode: str = "hybrid", split: str = "all",
             top_k: int = 5) -> EvalResult:
    """Ask *engine* every item's question and score the answers; refuses items that expect a pair
    the engine's interview does not have (:func:`check_expected`) before asking anything."""
    interview = engine.interview
    check_expected(items, [p.id for p in interview.pairs], getattr(interview, "source", ""))
    contexts = [i.previous or None for i in items]
    answers = engine.ask_many([i.question for i in items], top_k=top_k, mode=mode,
                              previous=contexts if any(contexts) else None)
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
        ("confidence calibration error (ECE)", f"{m['calibration_error']:.3f}"),
    ]
    lines = ["| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines)
