"""Evidence: why a hit answers a question, as highlights on the verbatim text.

In: the user's question and a :class:`~qa.engine.Hit`. Out: :class:`Evidence`, for the Chinese
answer and (when the pair has one) its English edition: the answer paragraphs, which one matched
best and why, the best one or two sentences of it, and the character spans of the query's terms.

Spans index the *verbatim* text. Terms are found in an aligned folded copy (Traditional →
Simplified, full-width → half-width, lower case) that has exactly one character per original
character, so a Simplified query marks the Traditional text. :func:`render_html` turns evidence into
HTML in which every piece of corpus and user text is escaped; it never emits text unescaped.
Plain Python: no UI or model dependencies, only :mod:`qa.text` (jieba, OpenCC).
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from qa.text import to_simplified, tokenize, word_spans

if TYPE_CHECKING:
    from qa.engine import Hit

Span = tuple[int, int]

SENTENCE_ENDS = frozenset("。?!;…\uff1f\uff01\uff1b")  # and the full-width ？！；
_CLOSERS = frozenset("”’」』)〉》】\"')]")
_ASCII_WORD = re.compile(r"[a-z0-9][a-z0-9&'\-]*")
_TO_X = re.compile(r"(?<![a-z0-9])(?:to|2)\s*-?\s*([bc])(?![a-z0-9])")
_ASCII_TOKEN = re.compile(r"[a-z0-9&'\-]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


# -- records -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Marked:
    """A verbatim text with the spans to highlight: the query's terms and the best sentences."""

    text: str
    terms: tuple[Span, ...] = ()
    sentences: tuple[Span, ...] = ()


@dataclass(frozen=True)
class TextEvidence:
    """One language edition of a hit, highlighted."""

    language: str  # "zh-Hant" (the verbatim article) or "en" (the English edition)
    question: Marked
    paragraphs: tuple[Marked, ...]
    best_paragraph: int | None
    reason: str  # how best_paragraph was chosen: "dense", "dense-en", "lexical" or "none"


@dataclass(frozen=True)
class Evidence:
    query: str
    query_terms: tuple[str, ...]
    zh: TextEvidence
    en: TextEvidence | None = None

    @property
    def preferred(self) -> TextEvidence:
        """The edition in the query's language: English for an English query when there is one."""
        return self.en if self.en is not None and not _CJK.search(self.query) else self.zh


# -- folding with alignment ---------------------------------------------------------------------
def _fold_char(c: str) -> str:
    """One character folded for matching, or the character itself when folding would change the
    length (so that positions stay aligned)."""
    out = unicodedata.normalize("NFKC", c)
    if len(out) != 1:
        return c
    out = to_simplified(out)
    if len(out) != 1:
        return c
    low = out.lower()
    return low if len(low) == 1 else out


@lru_cache(maxsize=2048)
def aligned_fold(text: str) -> str:
    """*text* folded for matching with the same length as *text*, character for character.

    Whole-phrase OpenCC conversion is used when it preserves the length (it then converts
    character for character and handles the phrase-dependent cases better); otherwise each
    character is folded on its own.
    """
    whole = to_simplified(unicodedata.normalize("NFKC", text)).lower()
    if len(whole) == len(text) and len(unicodedata.normalize("NFKC", text)) == len(text):
        return whole
    return "".join(_fold_char(c) for c in text)


@lru_cache(maxsize=2048)
def aligned_simplified(text: str) -> str:
    """*text* in Simplified script, same length as *text* (for showing the same highlights)."""
    whole = to_simplified(text)
    if len(whole) == len(text):
        return whole
    return "".join(s if len(s := to_simplified(c)) == 1 else c for c in text)


# -- terms --------------------------------------------------------------------------------------
def _merge(spans: Iterable[Span]) -> tuple[Span, ...]:
    """Overlapping spans joined; adjacent ones stay apart, so two terms side by side (``ERP`` and
    ``已經``) are still two terms."""
    out: list[list[int]] = []
    for s, e in sorted(spans):
        if out and s < out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return tuple((s, e) for s, e in out)


def find_terms(text: str, terms: Sequence[str]) -> tuple[Span, ...]:
    """Spans of *terms* (tokens from :func:`qa.text.tokenize`) in the verbatim *text*.

    Chinese terms are found as substrings of the aligned folded text (script-insensitive); Latin
    words and numbers match whole words whose own token (stemmed) is one of the terms, so
    ``customers`` marks ``customer``; ``to B`` / ``to-C`` match the joined ``tob`` / ``toc``.
    """
    wanted = {t for t in terms if t}
    if not wanted or not text:
        return ()
    folded = aligned_fold(text)
    spans: list[Span] = []
    single = {t for t in wanted if len(t) == 1 and _CJK.match(t)}
    if single:  # one character marks only where it is a word of its own (就, not 成就)
        spans.extend((s, e) for w, s, e in word_spans(folded) if w in single)
    for term in wanted - single:
        if _ASCII_TOKEN.fullmatch(term):
            continue
        start = folded.find(term)
        while start >= 0:
            spans.append((start, start + len(term)))
            start = folded.find(term, start + len(term))
    latin = {t for t in wanted if _ASCII_TOKEN.fullmatch(t)}
    if latin:
        taken: list[Span] = []
        for m in _TO_X.finditer(folded):
            if f"to{m.group(1)}" in latin:
                spans.append(m.span())
            taken.append(m.span())
        for m in _ASCII_WORD.finditer(folded):
            if any(s <= m.start() < e for s, e in taken):
                continue
            if _word_token(m.group()) in latin:
                spans.append(m.span())
    return _merge(spans)


def _word_token(word: str) -> str:
    """The lexical token of one Latin word or number: its stem when :func:`tokenize` keeps it
    whole, else the word itself (jieba's user dictionary can split a word, e.g. ``enterprises``
    around ``erp``; such a word must not match the piece)."""
    toks = tokenize(word)
    return toks[0] if len(toks) == 1 else word


# -- sentences ----------------------------------------------------------------------------------
def split_sentences(text: str) -> tuple[Span, ...]:
    """Sentence spans: split after 。?!;… (full-width or ASCII; ``.`` only before a space or the
    end), keeping closing quotes with their sentence and dropping surrounding space."""
    spans: list[Span] = []
    n, i, start = len(text), 0, 0
    while i < n:
        c = text[i]
        if c in SENTENCE_ENDS or (c == "." and (i + 1 == n or text[i + 1].isspace())):
            j = i + 1
            while j < n and (text[j] in SENTENCE_ENDS or text[j] in _CLOSERS):
                j += 1
            spans.append((start, j))
            start, i = j, j
        else:
            i += 1
    if start < n:
        spans.append((start, n))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return tuple(out)


def overlap(text: str, query_terms: Iterable[str]) -> int:
    """How many distinct query terms the text's own tokens contain."""
    return len(set(query_terms) & set(tokenize(text)))


def best_sentences(text: str, query_terms: Sequence[str], limit: int = 2) -> tuple[Span, ...]:
    """The one or two sentences sharing the most terms with the query, in text order.

    Ties go to the earlier sentence; a second sentence is kept only when it shares at least half
    as many terms as the best one. No sentence is returned when none shares a term.
    """
    scored = [(overlap(text[s:e], query_terms), s, e) for s, e in split_sentences(text)]
    scored = sorted((x for x in scored if x[0] > 0), key=lambda x: (-x[0], x[1]))
    if not scored:
        return ()
    top = scored[0][0]
    keep = [x for x in scored[:limit] if x[0] * 2 >= top]
    return tuple(sorted((s, e) for _, s, e in keep))


# -- one edition --------------------------------------------------------------------------------
def _edition(language: str, question: str, paragraphs: Sequence[str], terms: Sequence[str],
             dense_paragraph: int | None, dense_reason: str,
             marks: Sequence[str] | None = None, dense_sentence: str | None = None
             ) -> TextEvidence:
    """*terms* choose the best paragraph and sentences, unless the retrieval's best passage
    (*dense_paragraph*, and *dense_sentence* when it was a sentence of this edition) says which;
    *marks* (default: *terms*) are marked."""
    marks = terms if marks is None else marks
    if dense_paragraph is not None and 0 <= dense_paragraph < len(paragraphs):
        best, reason = dense_paragraph, dense_reason
    else:
        dense_sentence = None
        counts = [overlap(p, terms) for p in paragraphs]
        top = max(counts, default=0)
        best, reason = (counts.index(top), "lexical") if top > 0 else (None, "none")
    marked = []
    for i, text in enumerate(paragraphs):
        sentences = ()
        if i == best:
            sentences = _span_of(text, dense_sentence) or best_sentences(text, terms)
        marked.append(Marked(text, find_terms(text, marks), sentences))
    return TextEvidence(language, Marked(question, find_terms(question, marks)), tuple(marked),
                        best, reason)


def _span_of(text: str, sentence: str | None) -> tuple[Span, ...]:
    """The span of *sentence* (verbatim or its Simplified copy) in *text*, or ()."""
    if not sentence:
        return ()
    at = aligned_simplified(text).find(aligned_simplified(sentence))
    return ((at, at + len(sentence)),) if at >= 0 else ()


# Single characters that the stop-word list keeps (they matter to BM25 as parts of phrases) but
# that say nothing as a highlight: marked, they would light up every paragraph.
_FUNCTION_CHARS = frozenset("做对多等有是在会要能就也都还很把被给让用从到说去来上下里个这那不没又再才只更"
                            "最太已将并而或及以为于之其此该各每某些")


def highlight_terms(question: str | None) -> tuple[str, ...]:
    """The question's terms worth marking: its lexical tokens without single-character function
    words (做, 对, 多, 等), unless nothing else is left. Content characters (云, 钱) stay."""
    return _worth_marking(tuple(dict.fromkeys(tokenize(question or ""))))


def _worth_marking(terms: tuple[str, ...]) -> tuple[str, ...]:
    words = tuple(t for t in terms if t not in _FUNCTION_CHARS)
    return words or terms


def explain(question: str, hit: Hit) -> Evidence:
    """Highlights for *hit* as an answer to *question* (see the module docstring). Every term
    of the question chooses the paragraph and sentences; :func:`highlight_terms` are marked."""
    terms = tuple(dict.fromkeys(tokenize(question or "")))
    marks = _worth_marking(terms)
    ev = hit.evidence
    kind = ev.kind if ev is not None else ""
    # an answer paragraph or one of its sentences (in either edition: they align paragraph by
    # paragraph) says which paragraph; the interviewer's question does not
    english = kind.endswith("_en")
    para = (ev.paragraph if ev is not None and kind.removesuffix("_en") in ("answer", "sentence")
            and ev.paragraph >= 0 else None)
    reason = "lexical" if para is None else "dense-en" if english else "dense"
    sentence = ev.text if kind.startswith("sentence") else None
    zh = _edition("zh-Hant", hit.pair.question, hit.pair.answer_paragraphs, terms, para, reason,
                  marks, None if english else sentence)
    en = None
    if hit.translation is not None:
        tr = hit.translation
        en = _edition("en", tr.question, tr.answer_paragraphs, terms, para,
                      "dense" if english and para is not None else reason, marks,
                      sentence if english else None)
    return Evidence(question or "", marks, zh, en)


# -- HTML ---------------------------------------------------------------------------------------
_EXTRA_ESCAPES = str.maketrans({"{": "&#123;", "}": "&#125;", "$": "&#36;", "`": "&#96;",
                                "\\": "&#92;"})


def escape(text: str) -> str:
    """HTML-escape *text* (quotes too) and neutralise template and Markdown/LaTeX metacharacters
    (``{ } $ ` \\``) so the result shows as the same text in any Gradio HTML or chat component."""
    return html.escape(text, quote=True).translate(_EXTRA_ESCAPES).replace("\n", "<br>")


def render_marked(marked: Marked, *, simplified: bool = False) -> str:
    """Inline HTML of one text: ``<mark class="ev-term">`` on terms inside
    ``<span class="ev-sent">`` on the best sentences. With *simplified*, the text is shown in
    Simplified script (same length, so the same spans apply)."""
    text = aligned_simplified(marked.text) if simplified else marked.text
    n = len(text)
    cuts = {0, n}
    for s, e in (*marked.terms, *marked.sentences):
        cuts.update(c for c in (s, e) if 0 <= c <= n)
    bounds = sorted(cuts)
    out: list[str] = []
    in_sent = in_term = False
    for s, e in itertools.pairwise(bounds):
        sent = any(a <= s and e <= b for a, b in marked.sentences)
        term = any(a <= s and e <= b for a, b in marked.terms)
        if in_term and (not term or sent != in_sent):
            out.append("</mark>")
            in_term = False
        if sent != in_sent:
            out.append('<span class="ev-sent">' if sent else "</span>")
            in_sent = sent
        if term and not in_term:
            out.append('<mark class="ev-term">')
            in_term = True
        out.append(escape(text[s:e]))
    out.append("</mark>" if in_term else "")
    out.append("</span>" if in_sent else "")
    return "".join(out)


def render_paragraphs(edition: TextEvidence, *, simplified: bool = False) -> str:
    """The answer as ``<p class="ev-para">`` elements; the best one also has ``ev-best``."""
    out = []
    for i, m in enumerate(edition.paragraphs):
        cls = "ev-para ev-best" if i == edition.best_paragraph else "ev-para"
        out.append(f'<p class="{cls}">{render_marked(m, simplified=simplified)}</p>')
    return "".join(out)


def render_html(evidence: Evidence, *, simplified: bool = False, english: bool = True) -> str:
    """The question and answer with highlights, as one line of HTML (no blank lines, so Markdown
    renderers keep it as a single HTML block). *simplified* adds the answer in Simplified script;
    *english* adds the English edition when there is one."""
    zh = evidence.zh
    parts = [
        f'<div class="ev-q">{render_marked(zh.question)}</div>',
        f'<div class="ev-a" lang="zh-Hant">{render_paragraphs(zh)}</div>',
    ]
    if simplified:
        parts.append(f'<div class="ev-a ev-simp" lang="zh-Hans">'
                     f'{render_paragraphs(zh, simplified=True)}</div>')
    if english and evidence.en is not None:
        en = evidence.en
        parts.append(f'<div class="ev-en" lang="en"><div class="ev-q">{render_marked(en.question)}'
                     f'</div>{render_paragraphs(en)}</div>')
    return f'<div class="evidence">{"".join(parts)}</div>'
