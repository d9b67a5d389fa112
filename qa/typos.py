"""Homophone typos: a pinyin input method's slip on one of the interview's own terms.

People type Chinese through pinyin: "腾讯云" comes out as "腾迅云", "中台" as "中抬", "微信" as
"微芯". The slip sounds exactly like the term and differs in one character, so BM25 misses the
term and the question may be declined. :class:`Corrector` reads such a slip as the interview's
term, and says so (``Answer.corrections``).

A stretch of a question is read as a term when all of these hold:

- it sounds like one of the interview's words of 2-4 Han characters (toneless pinyin,
  ``pypinyin``), and that sound belongs to no other word of the interview;
- it differs from that word in exactly one character, and that character never occurs in the
  interview (the interview writes 讯, never 迅; a question's 上 in "服务上" is not a slip for 商);
- it is no word itself (jieba's dictionary, with the interview's words);
- for two characters, jieba reads it as one unknown word or as two lone characters, never as the
  end of one word and the start of the next ("日志有" is not "只有", "在医疗" is not "在意").

On the 1,084 labelled questions and 220 follow-ups none of these conditions fires; the rules
were made that strict after a first version (any homophone stretch) changed 57 of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from qa.text import _jieba, to_simplified, to_traditional

_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_HAN_WORD = re.compile(r"[\u3400-\u9fff]{2,4}")
LENGTHS = (4, 3, 2)  # longest first


@cache
def _pinyin():
    from pypinyin import lazy_pinyin

    return lazy_pinyin


def sound(text: str) -> tuple[str, ...]:
    """Toneless pinyin of *text*, one syllable per character."""
    return tuple(_pinyin()(text))


def _aligned(text: str) -> str:
    """*text* in Simplified script, one character for one (a phrase OpenCC rewrites to another
    length is converted character by character)."""
    whole = to_simplified(text)
    if len(whole) == len(text):
        return whole
    return "".join(s if len(s := to_simplified(c)) == 1 else c for c in text)


class Corrector:
    """Reads homophone slips on the words of one text (the interview; see the module doc)."""

    def __init__(self, words: Iterable[str], text: str) -> None:
        """*words*: the interview's words (its lexical vocabulary: folded, Simplified); *text*:
        its whole text, whose characters are the ones it uses."""
        self.words = frozenset(w for w in words if _HAN_WORD.fullmatch(w))
        by_sound: dict[tuple[str, ...], set[str]] = {}
        for w in self.words:
            by_sound.setdefault(sound(w), set()).add(w)
        self._by_sound = {k: next(iter(v)) for k, v in by_sound.items() if len(v) == 1}
        self._chars = frozenset(_aligned(text))

    def _is_word(self, text: str) -> bool:
        return text in self.words or _jieba().FREQ.get(text, 0) > 0

    def correct(self, question: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """*question* with each slip replaced by the interview's term (in Simplified script), and
        the ``(as typed, read as)`` pairs; *question* itself and ``()`` when there is none."""
        if not self._by_sound:
            return question, ()
        plain = _aligned(question)
        if not _RUN.search(plain):
            return question, ()
        spans = list(_jieba().tokenize(plain))
        whole = {(a, b) for _, a, b in spans}
        single = {a for _, a, b in spans if b - a == 1}
        out, fixes, last = [], [], 0
        for run in _RUN.finditer(plain):
            i = run.start()
            while i < run.end():
                n = next((n for n in LENGTHS if self._slip(plain, i, n, run.end(), whole, single)),
                         0)
                if not n:
                    i += 1
                    continue
                term = self._by_sound[sound(plain[i:i + n])]
                out += [question[last:i], term]
                fixes.append((question[i:i + n], term))
                last = i = i + n
        if not fixes:
            return question, ()
        return "".join([*out, question[last:]]), tuple(fixes)

    def _slip(self, plain: str, i: int, n: int, end: int, whole: set, single: set) -> bool:
        if i + n > end:
            return False
        part = plain[i:i + n]
        if self._is_word(part):
            return False
        if n == 2 and not ((i, i + 2) in whole or (i in single and i + 1 in single)):
            return False
        term = self._by_sound.get(sound(part))
        if term is None:
            return False
        differ = [a for a, b in zip(part, term, strict=True) if a != b]
        return len(differ) == 1 and differ[0] not in self._chars


# -- a robustness measure -------------------------------------------------------------------------
@cache
def _common_chars(min_freq: int = 2000) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Common single characters (jieba's dictionary frequency ≥ *min_freq*) by sound."""
    out: dict[tuple[str, ...], list[str]] = {}
    for word, freq in _jieba().FREQ.items():
        if len(word) == 1 and freq >= min_freq and _RUN.fullmatch(word):
            out.setdefault(sound(word), []).append(word)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def make_typo(question: str, corrector: Corrector, rng) -> tuple[str, str, str] | None:
    """*question* with one homophone slip on one of the interview's words in it, as a pinyin
    input method makes it: one character of the word replaced by a common character that sounds
    the same, that the interview never uses and that leaves no dictionary word. Returns ``(new
    question, word, slip)``, or None when the question has no such word. *rng*: a
    ``random.Random``, so a run is repeatable."""
    plain = _aligned(question)
    spans = [(w, a, b) for w, a, b in _jieba().tokenize(plain) if w in corrector.words]
    rng.shuffle(spans)
    traditional = plain != question
    for word, a, b in spans:
        for k in rng.sample(range(len(word)), len(word)):
            pool = [c for c in _common_chars().get(sound(word[k]), ())
                    if c != word[k] and c not in corrector._chars]
            rng.shuffle(pool)
            for c in pool:
                slip = word[:k] + c + word[k + 1:]
                if not corrector._is_word(slip):
                    typed = to_traditional(c) if traditional else c
                    return (question[:a + k] + typed + question[a + k + 1:], question[a:b],
                            question[a:a + k] + typed + question[a + k + 1:b])
    return None


def robustness(engine, items, seed: int = 0) -> tuple[int, dict[str, dict]]:
    """How one homophone slip per question (:func:`make_typo`, repeatable with *seed*) affects
    the Chinese in-scope *items*: metrics of the same questions typed cleanly, with the slip and
    the correction off, and with the slip as the engine reads it. Returns the number of
    questions and the three metric dicts (:func:`qa.evaluate.metrics`)."""
    import copy
    import random
    from dataclasses import replace

    from qa.evaluate import evaluate

    rng = random.Random(seed)
    clean, typed = [], []
    for item in items:
        if item.expected and item.lang != "en":
            slip = make_typo(item.question, engine._corrector, rng)
            if slip is not None:
                clean.append(item)
                typed.append(replace(item, question=slip[0]))
    if not clean:
        return 0, {}
    off = copy.copy(engine)  # never swap state on an engine that may be serving
    off._corrector = Corrector((), "")
    return len(clean), {"clean": evaluate(engine, clean).metrics,
                        "slip, not corrected": evaluate(off, typed).metrics,
                        "slip, corrected": evaluate(engine, typed).metrics}


def table(runs: dict[str, dict]) -> str:
    """:func:`robustness`'s runs as a Markdown table."""
    lines = ["| questions typed | Recall@1 | in-scope declined | answers that are right |",
             "|---|---|---|---|"]
    lines += [f"| {name} | {m['recall@1']:.3f} | {m['inscope_declined']}/{m['n_inscope']} | "
              f"{m['answered_right']}/{m['answered']} |" for name, m in runs.items()]
    return "\n".join(lines)
