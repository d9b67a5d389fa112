"""Corpus: a parsed interview (and its optional English edition) → what the indexes hold.

- :func:`load_translation` reads ``<interview stem>.en.json`` beside the interview, if present, and
  checks it lines up with the pairs (same ids, same paragraph counts); a translation that does not
  line up is ignored with a warning, so an interview without one still works.
- :func:`make_corpus` turns pairs into passages for the dense index (each question with its section
  heading, each answer paragraph, and the English counterparts) and one BM25 document per pair.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from index.store import Corpus, Passage
from qa.parsing import Interview, QAPair, read_text
from qa.text import tokenize

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PairTranslation:
    question: str
    answer_paragraphs: tuple[str, ...]
    section: str = ""

    @property
    def answer(self) -> str:
        return "\n\n".join(self.answer_paragraphs)


def translation_path(interview_path: Path) -> Path:
    return interview_path.with_name(f"{interview_path.stem}.en.json")


def load_translation(path: Path, interview: Interview) -> dict[str, PairTranslation]:
    """English translations by pair id, or ``{}`` when there is none or it does not line up."""
    if not path.exists():
        return {}
    try:
        data = json.loads(read_text(path))
        sections = data.get("sections", {})
        out: dict[str, PairTranslation] = {}
        for rec in data["pairs"]:
            pair = interview.by_id(rec["id"])
            answer = tuple(rec["answer"])
            if len(answer) != len(pair.answer_paragraphs):
                raise ValueError(
                    f"{rec['id']}: {len(answer)} English paragraphs for "
                    f"{len(pair.answer_paragraphs)} Chinese ones"
                )
            out[pair.id] = PairTranslation(rec["question"], answer, sections.get(pair.section, ""))
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("ignoring translation %s: it does not match the interview (%s)", path, exc)
        return {}
    return out


def _question_text(section: str, question: str) -> str:
    return f"{section}\n{question}" if section else question


def make_corpus(interview: Interview, translation: dict[str, PairTranslation] | None = None
                ) -> Corpus:
    translation = translation or {}
    passages: list[Passage] = []
    docs: list[tuple[str, ...]] = []
    for pair in interview.pairs:
        passages.append(Passage(pair.id, "question", _question_text(pair.section, pair.question)))
        passages.extend(
            Passage(pair.id, "answer", text, i) for i, text in enumerate(pair.answer_paragraphs)
        )
        tokens = tokenize(_lexical_text(pair))
        tr = translation.get(pair.id)
        if tr:
            passages.append(Passage(pair.id, "question_en", _question_text(tr.section, tr.question)))
            passages.extend(
                Passage(pair.id, "answer_en", text, i) for i, text in enumerate(tr.answer_paragraphs)
            )
            tokens += tokenize(" ".join((tr.section, tr.question, tr.answer)))
        docs.append(tuple(tokens))
    return Corpus(tuple(passages), tuple(docs), tuple(p.id for p in interview.pairs))


def _lexical_text(pair: QAPair) -> str:
    return " ".join((pair.section, pair.question, pair.answer))
