"""Parsing: an interview file → an :class:`Interview` of verbatim question/answer pairs.

In: a text article whose interviewer turns start with a label such as ``提問:`` or ``記者:`` and
whose interviewee turns start with ``湯道生:`` (labels are parameters; full-width and half-width
colons and non-breaking spaces are accepted; when no turn starts with a known answer label, the
label that most often answers the interviewer's turns is taken, so another interview, "王大廚:",
needs no option), or a JSON / JSONL file of ``{question, answer}``
records (JSON: a list of them, or an object whose ``pairs`` key holds that list; JSONL: one per
line). Out: an :class:`Interview` holding the lead-in narrative as context and the pairs, each with a
stable id (``p01``, ``p02``, … in article order), its section heading, the asking label, the question
and the answer paragraphs, verbatim.

Refuses (with :class:`~qa.errors.InterviewParseError`): a file that is not UTF-8, a file with no
pairs, JSON of another shape, records that share an id. Warns (``logging``): an answer with no
question before it, a question with no answer.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from qa.errors import InterviewParseError

log = logging.getLogger(__name__)

DEFAULT_ASKERS: tuple[str, ...] = ("提問", "記者", "提问", "记者", "問", "问", "主持人", "Q")
DEFAULT_ANSWERERS: tuple[str, ...] = ("湯道生", "汤道生")
DEFAULT_TRAILERS: tuple[str, ...] = ("相關文章", "相关文章", "相關閱讀", "相关阅读", "延伸閱讀")
CAPTION_MARKERS: tuple[str, ...] = ("攝影", "摄影", "圖片來源", "图片来源", "供圖", "供图")
# A heading is a short line that is not a sentence: at most this many characters.
MAX_HEADING_CHARS = 30
_SENTENCE_END = ("。", "?", "?", "!", "!", "…", ".")
_SPACES = re.compile(r"[\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff]")


@dataclass(frozen=True)
class QAPair:
    """One exchange: the interviewer's question and the interviewee's verbatim answer."""

    id: str
    section: str
    asker: str
    question: str
    answer_paragraphs: tuple[str, ...]

    @property
    def answer(self) -> str:
        """The whole answer, paragraphs separated by a blank line."""
        return "\n\n".join(self.answer_paragraphs)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["answer_paragraphs"] = list(self.answer_paragraphs)
        d["answer"] = self.answer
        return d


@dataclass(frozen=True)
class Interview:
    """A parsed interview: its pairs plus the narrative context that is not an answer."""

    pairs: tuple[QAPair, ...]
    context: tuple[str, ...] = field(default=())
    source: str = ""
    speakers: tuple[str, ...] = ()  # the interviewee's name(s) as the answer labels give them

    def __len__(self) -> int:
        return len(self.pairs)

    def by_id(self, pair_id: str) -> QAPair:
        for p in self.pairs:
            if p.id == pair_id:
                return p
        raise KeyError(pair_id)

    @property
    def sections(self) -> list[str]:
        seen: list[str] = []
        for p in self.pairs:
            if p.section not in seen:
                seen.append(p.section)
        return seen

    @property
    def headed(self) -> bool:
        """Whether its exchanges come under section headings."""
        return any(p.section for p in self.pairs)

    def section_starts(self) -> list[QAPair]:
        """The first exchange under each section heading, in order (the interview's topics); every
        exchange when the interview has no headings."""
        if not self.headed:
            return list(self.pairs)
        seen: set[str] = set()
        return [p for p in self.pairs if p.section not in seen and not seen.add(p.section)]

    def fingerprint(self) -> str:
        """A hash of everything retrieval depends on (ids, sections, questions, answers)."""
        h = hashlib.sha256()
        for p in self.pairs:
            for part in (p.id, p.section, p.question, *p.answer_paragraphs):
                h.update(part.encode("utf-8"))
                h.update(b"\x00")
        return h.hexdigest()


def read_text(path: Path) -> str:
    """Read a UTF-8 file (a BOM is tolerated); any other encoding is a clear error."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InterviewParseError(f"cannot read interview file {path}: {exc.strerror}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InterviewParseError(
            f"{path} is not UTF-8 text (byte {exc.start} is invalid); "
            "convert it first, e.g. `iconv -f BIG5 -t UTF-8`"
        ) from exc


def _clean(line: str) -> str:
    return _SPACES.sub(" ", line).strip()


def _label_re(labels: Sequence[str]) -> re.Pattern[str]:
    alts = "|".join(re.escape(x) for x in sorted(labels, key=len, reverse=True))
    return re.compile(rf"^\s*({alts})\s*[:\uff1a]\s*")  # half- or full-width colon


_ANY_LABEL = re.compile(r"^\s*([^\s:\uff1a,\uff0c。.!?\uff01\uff1f]{1,12})\s*[:\uff1a]\s*\S")


def _answer_label(paragraphs: Sequence[str], ask_re: re.Pattern[str]) -> str | None:
    """The label of the interviewee's turns when it is not a known one: of the labels
    (``名字:``) that start the paragraph right after an interviewer turn, the most common, if it
    does so at least twice; None otherwise."""
    counts: dict[str, int] = {}
    for before, para in itertools.pairwise(paragraphs):
        if ask_re.match(before) and not ask_re.match(para) and (m := _ANY_LABEL.match(para)):
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    best = max(counts.items(), key=lambda kv: kv[1], default=(None, 0))
    return best[0] if best[1] >= 2 else None


def _is_heading(line: str) -> bool:
    return (
        0 < len(line) <= MAX_HEADING_CHARS
        and not line.endswith(_SENTENCE_END)
        and not any(m in line for m in CAPTION_MARKERS)
    )


def _is_caption(line: str) -> bool:
    """A photo caption: a short line, not a sentence, that credits a photo (攝影, 圖片來源…)."""
    return (len(line) <= MAX_HEADING_CHARS and not line.endswith(_SENTENCE_END)
            and any(m in line for m in CAPTION_MARKERS))


def parse_article(
    text: str,
    askers: Sequence[str] = DEFAULT_ASKERS,
    answerers: Sequence[str] = DEFAULT_ANSWERERS,
    trailers: Sequence[str] = DEFAULT_TRAILERS,
    source: str = "",
) -> Interview:
    """Split an article into pairs. See the module docstring for the rules."""
    paragraphs = [p for p in (_clean(x) for x in text.replace("\r\n", "\n").split("\n")) if p]
    ask_re, ans_re = _label_re(askers), _label_re(answerers)
    if not any(ans_re.match(p) for p in paragraphs) and (found := _answer_label(paragraphs,
                                                                               ask_re)):
        # another interviewee: the label that answers the interviewer's turns
        log.info("no answer label %s; the interviewee's turns start with %r",
                 "/".join(answerers), found)
        answerers = (found,)
        ans_re = _label_re(answerers)

    context: list[str] = []
    pairs: list[QAPair] = []
    speakers: list[str] = []
    section = ""
    pending_section = ""
    asker = question = None
    answer: list[str] | None = None
    started = False

    def flush() -> None:
        nonlocal asker, question, answer
        if question is not None:
            if answer:
                answer = [a for a in answer if a]
            if not question.strip():
                if answer:
                    log.warning("an answer to an empty question skipped: %.40s", answer[0])
            elif answer:
                pairs.append(
                    QAPair(f"p{len(pairs) + 1:02d}", section, asker or "", question, tuple(answer))
                )
            else:
                log.warning("question without an answer skipped: %.40s", question)
        asker = question = None
        answer = None

    for n, para in enumerate(paragraphs):
        if para in trailers:
            break
        if m := ask_re.match(para):
            flush()
            started = True
            if pending_section:
                section, pending_section = pending_section, ""
            asker, question, answer = m.group(1), para[m.end():].strip(), []
            continue
        if m := ans_re.match(para):
            if m.group(1) not in speakers:
                speakers.append(m.group(1))
            if question is None:
                log.warning("answer without a question skipped: %.40s", para)
                continue
            text = para[m.end():].strip()
            if answer:
                log.warning("a second answer turn follows; appended to the same answer")
                answer.append(text)
            else:
                answer = [text]
            continue
        if not started:
            # Lead-in narrative: the last heading-like line before the first question is the
            # first section; photo captions (short lines with a photo credit) are dropped;
            # everything else is context.
            if _is_caption(para):
                continue
            if _is_heading(para):
                if pending_section:
                    context.append(pending_section)
                pending_section = para
            else:
                if pending_section:
                    context.append(pending_section)
                    pending_section = ""
                context.append(para)
            continue
        # Inside the exchanges, a short line is a heading only when a question follows it;
        # otherwise it is a short paragraph of the answer (or question).
        nxt = next((p for p in paragraphs[n + 1:] if p), "")
        if _is_heading(para) and (ask_re.match(nxt) or (not nxt and not answer)):
            flush()
            pending_section = para
            continue
        if answer is not None and question is not None and answer:
            answer.append(para)
        elif question is not None and answer == []:
            # The question itself runs over several paragraphs.
            question = f"{question}\n\n{para}"
        else:
            log.warning("text outside any exchange ignored: %.40s", para)
    flush()

    if pending_section and not pairs:
        context.append(pending_section)
    if not pairs:
        raise InterviewParseError(
            "no question/answer pairs found: expected interviewer turns starting with "
            f"{'/'.join(askers)} and answers starting with {'/'.join(answerers)} followed by a colon"
        )
    return Interview(tuple(pairs), tuple(context), source, tuple(speakers))


def parse_records(records: Sequence[dict], source: str = "",
                  where: Sequence[str] | None = None) -> Interview:
    """Pairs from ``{question, answer[, section, id, asker, answerer]}`` records (answer: str or
    list). *where* names each record in messages ("line 4" in a .jsonl file; default
    "record N")."""
    def at(i: int) -> str:
        return where[i - 1] if where is not None else f"record {i}"

    pairs: list[QAPair] = []
    speakers: list[str] = []
    records_of: dict[str, list[int]] = {}  # pair id -> the (1-based) records that gave it
    for i, rec in enumerate(records, 1):
        if not isinstance(rec, dict):
            raise InterviewParseError(
                f"{source or 'input'}: {at(i)} is not an object with \"question\" and "
                f"\"answer\" (it is {type(rec).__name__} {rec!r:.40})")
        q, a = rec.get("question"), rec.get("answer")
        if not q or not str(q).strip():
            if a:
                log.warning("%s: %s has an answer but no question; skipped", source, at(i))
            continue
        if isinstance(a, str):
            paras = tuple(p.strip() for p in re.split(r"\n\s*\n", a) if p.strip())
        elif isinstance(a, list):
            paras = tuple(str(p).strip() for p in a if str(p).strip())
        else:
            paras = ()
        if not paras:
            log.warning("%s: %s has a question but no answer; skipped", source, at(i))
            continue
        pid = str(rec.get("id") or f"p{len(pairs) + 1:02d}")
        records_of.setdefault(pid, []).append(i)
        who = str(rec.get("answerer") or "").strip()
        if who and who not in speakers:
            speakers.append(who)
        pairs.append(
            QAPair(pid, str(rec.get("section") or ""), str(rec.get("asker") or ""), str(q).strip(),
                   paras)
        )
    if not pairs:
        raise InterviewParseError(f"no question/answer records found in {source or 'input'}")
    dups = {pid: ix for pid, ix in records_of.items() if len(ix) > 1}
    if dups:
        named = ", ".join(f"{pid!r} ({', '.join(at(i) for i in ix[:-1])} and {at(ix[-1])})"
                          for pid, ix in list(dups.items())[:10])
        more = f" and {len(dups) - 10} more" if len(dups) > 10 else ""
        raise InterviewParseError(
            f"duplicate pair ids in {source or 'input'}: {named}{more}; every record's \"id\" "
            "must be unique (a record without one is numbered p01, p02, … by its position among "
            "the pairs), so rename the duplicates or leave all ids out")
    return Interview(tuple(pairs), (), source, tuple(speakers))


JSON_SHAPE = ('a list of {"question": ..., "answer": ...} records (answer: text or a list of '
              'paragraphs; optional: section, id, asker, answerer), or an object whose "pairs" '
              'key holds that list')


def _json_records(data: object, path: Path) -> list:
    """The record list of a ``.json`` interview: *data* itself, or its ``pairs``; any other shape is
    an :class:`InterviewParseError` that says which shapes are accepted."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        if "pairs" not in data:
            keys = ", ".join(repr(k) for k in list(data)[:8]) or "none"
            raise InterviewParseError(
                f"{path} is a JSON object without a 'pairs' key (its keys: {keys}); expected "
                f"{JSON_SHAPE}")
        if not isinstance(data["pairs"], list):
            raise InterviewParseError(f"{path}: 'pairs' holds {_shown(data['pairs'])}, not a list; "
                                      f"expected {JSON_SHAPE}")
        return data["pairs"]
    raise InterviewParseError(f"{path} holds JSON {_shown(data)}; expected {JSON_SHAPE}")


def _shown(value: object) -> str:
    """The start of *value* as JSON, for an error message."""
    return json.dumps(value, ensure_ascii=False)[:40]


def load_interview(path: str | Path, **labels: Sequence[str]) -> Interview:
    """Parse a ``.txt`` article or a ``.json`` / ``.jsonl`` file of records."""
    path = Path(path)
    text = read_text(path)
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl"):
        try:
            where = None
            if suffix == ".jsonl":
                lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
                where = [f"line {n}" for n, _ in lines]
                records = []
                for n, line in lines:
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError as exc:  # name the file's line, not the record's
                        raise InterviewParseError(
                            f"{path}: line {n} is not valid JSON: {exc.msg} (column {exc.colno}); "
                            "a .jsonl interview holds one JSON object per line") from exc
            else:
                data = json.loads(text)
                records = _json_records(data, path)
        except json.JSONDecodeError as exc:
            raise InterviewParseError(f"{path} is not valid JSON: {exc}") from exc
        return parse_records(records, source=str(path), where=where)
    return parse_article(text, source=str(path), **labels)
