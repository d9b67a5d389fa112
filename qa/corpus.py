"""Corpus: a parsed interview (and its optional English edition) → what the indexes hold.

- :func:`load_translation` reads ``<interview stem>.en.json`` beside the interview, if present, and
  checks it lines up with the pairs (same ids, same paragraph counts); a translation that does not
  line up is ignored with a warning, so an interview without one still works.
- :func:`load_front_matter` reads the same file's English lead-in (``context``, shown in
  the Browse tab) and the interviewee's English name (``speakers``: label → name), which the engine
  treats like his Chinese name: a word of the interview, never an answer.
- :func:`make_corpus` turns pairs into passages for the dense index and one BM25 document per pair.
  A pair's passages: its question with and without the section heading, each answer paragraph, each
  sentence of the answer, the English counterparts of all of these, and Simplified-script copies of
  the Chinese ones (users mostly type Simplified; the model matches same-script text better).
  Measured on the dev split (dense only, Recall@1): paragraphs and questions 0.744; + sentences
  0.795; + Simplified copies and the bare question 0.821.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.store import Corpus, Passage
from qa.parsing import Interview, QAPair, read_text
from qa.text import fold, name_forms, query_form, to_simplified, tokenize

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
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        log.warning("ignoring translation %s: it does not match the interview (%s)", path, exc)
        return {}
    return out


@dataclass(frozen=True)
class FrontMatter:
    """What the English edition says besides the pairs."""

    lead: tuple[str, ...] = ()  # the article's lead-in, paragraph by paragraph
    speakers: tuple[str, ...] = ()  # the interviewee's name(s) in English


def _first_naming(lead: Sequence[str], names: Sequence[str]) -> int | None:
    """The index of the first paragraph of *lead* that names the interviewee (*names*: "湯道生",
    "Dowson Tong (Tang Daosheng)", in the forms :func:`qa.text.name_forms` gives), or None."""
    found = re.compile("|".join(
        rf"\b{re.escape(f)}\b" if f.isascii() else re.escape(f)
        for f in sorted(name_forms(names), key=len, reverse=True)) or r"(?!x)x")
    return next((i for i, para in enumerate(lead) if found.search(fold(para))), None)


def lead_summary(lead: Sequence[str], names: Sequence[str], n: int = 2) -> tuple[str, ...]:
    """The *n* paragraphs of an article's *lead* that say who the interviewee is and what the
    interview is about: from the first one that names them (:func:`_first_naming`), past the
    date, the reading time and the byline; the first *n* when none does."""
    first = _first_naming(lead, names)
    return tuple(lead[first:first + n]) if first is not None else tuple(lead[:n])


# A line of an article's head: the date, the reading time, the headline, the byline.
HEAD_LINE_CHARS = 120


def article_head(lead: Sequence[str], names: Sequence[str]) -> tuple[str, ...]:
    """The short lines of an article's *lead* before it first names the interviewee: the date,
    the reading time, the headline, the byline ("22.05.2019", "作者 | 第一財經 劉佳"), which
    answer when and by whom it was published; () when no paragraph names them or a line before
    is longer than :data:`HEAD_LINE_CHARS` (prose, not a head)."""
    first = _first_naming(lead, names)
    head = tuple(p.strip() for p in lead[:first or 0] if p.strip())
    return head if all(len(p) <= HEAD_LINE_CHARS for p in head) else ()


def topics(interview: Interview, translation: Mapping[str, PairTranslation]
           ) -> list[tuple[QAPair, str, str]]:
    """What the interview covers, for a question about it: the first exchange under each section
    heading with the heading, in the interview's words and the English edition's ("" without
    one); without headings (:attr:`~qa.parsing.Interview.headed`), each exchange with its
    question."""
    out = []
    for pair in interview.section_starts():
        tr = translation.get(pair.id)
        if interview.headed:
            out.append((pair, pair.section, tr.section if tr else ""))
        else:
            out.append((pair, pair.question, tr.question if tr else ""))
    return out


def load_front_matter(path: Path) -> FrontMatter:
    """The English edition's lead-in and speaker names; empty when absent or malformed."""
    if not path.exists():
        return FrontMatter()
    try:
        data = json.loads(read_text(path))
        strings = lambda xs: tuple(x.strip() for x in xs if isinstance(x, str) and x.strip())
        return FrontMatter(strings(data.get("context", [])),
                           strings((data.get("speakers") or {}).values()))
    except (AttributeError, TypeError, ValueError):
        return FrontMatter()  # load_translation already warned about a broken file


def _question_text(section: str, question: str) -> str:
    return f"{section}\n{question}" if section else question


_SENTENCE = re.compile(r"(?<=[。?!;\uff1f\uff01\uff1b])|(?<=[.!?;])\s+")  # full-width ？！； too
MIN_SENTENCE_CHARS = 8


def sentences(paragraph: str, min_chars: int = MIN_SENTENCE_CHARS) -> list[str]:
    """The sentences of a paragraph (Chinese or English), dropping fragments shorter than
    *min_chars* (8: a passage worth indexing; 1 keeps every sentence)."""
    parts = [p.strip() for p in _SENTENCE.split(paragraph)]
    return [p for p in parts if len(p) >= min_chars]


def _pair_passages(pair_id: str, section: str, question: str, paragraphs: tuple[str, ...],
                   suffix: str = "") -> Iterator[Passage]:
    yield Passage(pair_id, f"question{suffix}", _question_text(section, question))
    if section:
        yield Passage(pair_id, f"question{suffix}", question)
    for i, text in enumerate(paragraphs):
        yield Passage(pair_id, f"answer{suffix}", text, i)
        sents = sentences(text)
        if len(sents) > 1:
            yield from (Passage(pair_id, f"sentence{suffix}", s, i) for s in sents)


def make_corpus(interview: Interview, translation: dict[str, PairTranslation] | None = None,
                exemplars: tuple[str, ...] = ()) -> Corpus:
    """The passages and BM25 documents of *interview*; *exemplars* (labelled questions, see
    ``qa.exemplars``) are carried along to be embedded with them."""
    translation = translation or {}
    passages: list[Passage] = []
    docs: list[tuple[str, ...]] = []
    for pair in interview.pairs:
        own = list(_pair_passages(pair.id, pair.section, pair.question, pair.answer_paragraphs))
        passages.extend(own)
        seen = {p.text for p in own}
        for p in own:
            hans = to_simplified(p.text)
            if hans not in seen:
                seen.add(hans)
                passages.append(Passage(p.pair_id, p.kind, hans, p.paragraph, variant="zh-Hans"))
        tokens = tokenize(_lexical_text(pair))
        tr = translation.get(pair.id)
        if tr:
            passages.extend(_pair_passages(pair.id, tr.section, tr.question, tr.answer_paragraphs,
                                           suffix="_en"))
            tokens += tokenize(f"{tr.section} {tr.question} {tr.answer}")
        docs.append(tuple(tokens))
    return Corpus(tuple(passages), tuple(docs), tuple(p.id for p in interview.pairs),
                  tuple(exemplars), tuple(query_form(t) for t in exemplars))


def _lexical_text(pair: QAPair) -> str:
    return f"{pair.section} {pair.question} {pair.answer}"
