"""Text normalisation and tokenisation: one function for corpus and query alike.

- :func:`fold` maps any text to a canonical form: Traditional → Simplified (OpenCC ``t2s``),
  full-width → half-width (NFKC), acronym plurals singular (``BGs`` → ``BG``), Latin lower-cased, whitespace collapsed, and ``to B`` / ``to-C`` /
  ``2B`` / ``B2B`` style terms joined (``tob`` / ``toc``). It is for matching only; displayed text stays verbatim.
- :func:`tokenize` turns text into lexical tokens: :func:`fold`, then jieba with the interview's
  user dictionary, then English stemming (Snowball), dropping stop words and punctuation.
- :func:`detect_language` says whether a query is English, Simplified or Traditional Chinese.
- :func:`strip_markup` drops HTML tags pasted with a question (``<b>…</b>``, ``<img …>``).

jieba and OpenCC load lazily, once per process.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache

from qa.config import DATA_DIR

_lock = threading.Lock()
_TO_X = re.compile(r"(?<![a-z0-9])(?:to|b?2)\s*-?\s*([bc])(?![a-z0-9])", re.IGNORECASE)
_WS = re.compile(r"\s+")
_ACRONYM_PLURAL = re.compile(r"\b([A-Z]{2,})s\b")  # BGs, VPs, KPIs → BG, VP, KPI
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_LATIN_WORD = re.compile(r"[a-z][a-z0-9&'\-]*")
_WORDISH = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)
# An HTML tag of a known element ("<Tencent Cloud>" is not markup; "a<b and c>d" reads as a <b>
# tag, a price paid for not parsing HTML). The attribute grammar is unambiguous and possessive: an
# unclosed tag with many attributes must not make the match backtrack exponentially.
_TAGS = ("a|abbr|b|big|blockquote|body|br|button|center|code|del|details|div|em|embed|font|form|"
         "h[1-6]|head|hr|html|i|iframe|img|input|ins|label|li|link|mark|meta|object|ol|option|p|"
         "pre|s|script|section|select|small|source|span|strike|strong|style|sub|summary|sup|svg|"
         "table|tbody|td|textarea|th|thead|title|tr|tt|u|ul|video")
# HTML's boolean attributes (and the obsolete ones), the only ones written without a value: "<b
# and c>" (as in "a<b and c>d") is not a tag, "<input disabled>" is; "disabled = 'x'" is a name
# with a value.
_BOOLEAN = ("allowfullscreen|async|autofocus|autoplay|checked|controls|default|defer|disabled|"
            "download|formnovalidate|hidden|inert|ismap|itemscope|loop|multiple|muted|nomodule|"
            "noresize|noshade|novalidate|nowrap|open|playsinline|readonly|required|reversed|"
            "selected")
# Each attribute is a boolean one (nothing after it but space, / or >) or a name with a value, so
# the two cannot both match: no backtracking blow-up on an unclosed tag.
_TAG = re.compile(rf"</?(?:{_TAGS})"
                  rf"""(?:\s+(?:(?:{_BOOLEAN})(?!\s*=)(?=[\s/>])|[^\s"'<>/=]+\s*=\s*"""
                  r"""(?:"[^"]*"|'[^']*'|[^\s"'<>]+)))*+\s*/?>""",
                  re.IGNORECASE)
_SCRIPT = re.compile(r"<(script|style)\b[^<>]*>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)
_GAP = "\x00"  # where markup was
_HAN_GAP = re.compile(rf"(?<={_CJK.pattern})\x00+(?={_CJK.pattern})")  # markup between Han


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def _load_words(name: str) -> frozenset[str]:
    path = DATA_DIR / name
    return frozenset(
        w.strip() for w in path.read_text(encoding="utf-8").splitlines()
        if w.strip() and not w.startswith("#")
    )


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return _load_words("stopwords_zh.txt") | _load_words("stopwords_en.txt")


@lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.load_userdict(str(DATA_DIR / "userdict.txt"))
    tok.initialize()
    return tok


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def to_simplified(text: str) -> str:
    """Traditional → Simplified with OpenCC (``纔`` → ``才``, ``隻考慮`` → ``只考虑``)."""
    return _t2s().convert(text)


def han_chars(text: str) -> int:
    """How many Han characters *text* has."""
    return len(_CJK.findall(text))


def query_form(text: str) -> str:
    """The form of a question that gets embedded: in Simplified script, so a question means the
    same to the model in either script ("那私有雲呢?" and "那私有云呢?" get the same vector and the
    same answer). Every query the model embeds goes through it, the labelled questions used as
    exemplars too. The interview is indexed in both scripts (``qa.corpus``)."""
    return to_simplified(text)


def strip_markup(text: str) -> str:
    """*text* without the HTML tags pasted with it: ``<b>中抬</b>是什么`` → ``中抬是什么`` (a tag
    between Han characters joins them, elsewhere it leaves a space). A script or style element
    goes with its content when other text is left, else its text is the question. Text with no
    tag of a known element (``<5%``, ``3 < 4``, ``<Tencent Cloud>``) is returned as it is, and so
    is text that is nothing but markup."""
    if "<" not in text:
        return text
    out, scripts = _SCRIPT.subn(_GAP, text)
    if scripts and not _WORDISH.search(_TAG.sub("", out).replace(_GAP, "")):
        out = _SCRIPT.sub(lambda m: _GAP + m.group(2) + _GAP, text)  # nothing else: keep its text
    out, tags = _TAG.subn(_GAP, out)
    if not scripts + tags:
        return text
    out = _WS.sub(" ", _HAN_GAP.sub("", out).replace(_GAP, " ")).strip()
    return out if _WORDISH.search(out) else text


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Canonical matching form: Simplified script, half-width, lower-case, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _ACRONYM_PLURAL.sub(r"\1", text)
    text = to_simplified(text).lower()
    text = _TO_X.sub(lambda m: f" to{m.group(1).lower()} ", text)
    return _WS.sub(" ", text).strip()


def split_names(names: Iterable[str]) -> list[str]:
    """Each name in *names*, where one entry may hold several: "Dowson Tong (Tang Daosheng)" gives
    "Dowson Tong" and "Tang Daosheng"."""
    return [" ".join(f.split()) for n in names for f in re.split(r"[()（）,，/;；、]", n)
            if f.strip()]


def name_forms(names: Iterable[str]) -> frozenset[str]:
    """How a text may name someone called *names*, :func:`fold`ed: each name, and each word of
    three letters or more of a name of several words ("汤道生", "dowson tong", "tong")."""
    full = {fold(n) for n in split_names(names)}
    return frozenset({f for f in full if len(f) >= 2}
                     | {w for f in full if " " in f for w in f.split() if len(w) >= 3})


_LATIN = r"a-z0-9\u00c0-\u024f"
_HAN = r"\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_RUNS = re.compile(rf"[{_LATIN}][{_LATIN}&\-.]*[{_LATIN}]|[{_LATIN}]|[{_HAN}]+")


def segment(text: str) -> list[str]:
    """Words of already-folded text: Latin/digit words whole (hyphenated ones split into their
    parts), Han runs segmented by jieba.

    Latin words never go through jieba, so a dictionary entry such as ``erp`` cannot split
    ``enterprises``. Punctuation and spaces are dropped. Splitting at hyphens lets "cross-BG" meet
    "BG" (dev split, 4-fold cross-validated Recall@1 0.902 → 0.908).
    """
    out: list[str] = []
    for run in _RUNS.findall(text):
        if not _CJK.match(run):
            parts = [p for p in run.split("-") if p]  # a run starts and ends with a letter
            out.extend(parts)  # "cross-BG" → cross, bg; "e-commerce" → e, commerce
        else:
            with _lock:  # jieba's Tokenizer is not documented as thread-safe
                out.extend(w for w in _jieba().lcut(run) if w.strip())
    return out


@lru_cache(maxsize=2048)
def word_spans(folded: str) -> tuple[tuple[str, int, int], ...]:
    """jieba's words of already-folded Chinese text with their (start, end) offsets, for finding a
    one-character term only where it is a word of its own (``就`` in ``就做``, not in ``成就``)."""
    with _lock:
        return tuple(_jieba().tokenize(folded))


def _stem(word: str) -> str:
    if _LATIN_WORD.fullmatch(word) and len(word) > 3:
        return _stemmer().stemWord(word)
    return word


@lru_cache(maxsize=4096)
def _tokenize_cached(text: str) -> tuple[str, ...]:
    stop = stopwords()
    out: list[str] = []
    for word in segment(fold(text)):
        if word in stop or not _WORDISH.search(word):
            continue
        word = _stem(word)
        if word in stop:
            continue
        out.append(word)
    return tuple(out)


def tokenize(text: str) -> list[str]:
    """Lexical tokens of *text*: folded, segmented, stemmed, without stop words or punctuation."""
    return list(_tokenize_cached(text))


_EN_WORD = re.compile(r"[A-Za-z][a-z]+")  # a word, not an acronym (ERP, CSIG, B)
_HAN_RUN = re.compile(rf"[{_HAN}]+")


@cache  # one converter per config for the process (not a result cache: benchmarks keep it)
def _s2t(config: str = "s2t"):
    import opencc

    return opencc.OpenCC(config)


def to_traditional(text: str, config: str = "s2t") -> str:
    """Simplified → Traditional with OpenCC: by default ``s2t``, the character forms the bundled
    article uses (爲, 裏); ``s2tw`` writes the forms readers in Taiwan and Hong Kong expect today
    (為, 裡, 群 rather than 羣), which the app's own labels and replies use (:mod:`ui.i18n`)."""
    return _s2t(config).convert(text)


def _changed(chars: str, converted: str) -> int:
    return sum(a != b for a, b in zip(chars, converted, strict=True))


_KANA = re.compile(r"[\u3041-\u309f\u30a1-\u30fa\u31f0-\u31ff\uff66-\uff9d]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3131-\u318e]")


def other_language(text: str) -> str | None:
    """"Japanese" or "Korean" when *text* is written in it (two kana or hangul letters or more,
    and at least a third of its letters), which this chatbot does not read; else None. Chinese
    with a Japanese name in it ("腾讯和ソニー合作过吗") has too few to count."""
    letters = sum(c.isalpha() for c in text)
    for name, pattern in (("Japanese", _KANA), ("Korean", _HANGUL)):
        n = len(pattern.findall(text))
        if n >= 2 and n * 3 >= letters:
            return name
    return None


def detect_language(text: str, tie: str = "zh-Hans") -> str:
    """``"en"``, ``"zh-Hans"`` or ``"zh-Hant"``, by majority, so that a name or term copied from
    the page does not decide: English when the text has more English words (acronyms, and
    capitalised words after the first, i.e. names, left out) than Chinese words (jieba's: "Tell me about 熊貓直播" has three to two, "What does 湯道生 think
    about talent?" five to one, "做to B和to C有什么不同?" two to five); else Traditional when more of
    its characters are Traditional-only than Simplified-only, Simplified when fewer, and *tie*
    when as many: by default Simplified ("湯道生怎么看人才" has one of each: Simplified, the
    likelier reader of a copied name; "那明年呢" has none), in a conversation the script of the
    turn before. Simplified-only is judged by the Hong Kong standard (``s2hk``), where 台 is
    Traditional too."""
    han = _CJK.findall(text)
    # English words; a capitalised one after the first is a name ("Tencent Cloud Meeting好用吗")
    words = _EN_WORD.findall(text)
    english = len(words[:1]) + sum(w.islower() for w in words[1:])
    if not han or english > len(han):
        return "en"
    if english and english > len(segment(fold(" ".join(_HAN_RUN.findall(text))))):
        return "en"
    joined = "".join(han)
    counts = []
    for convert in (to_simplified, _s2t("s2hk").convert):
        whole = convert(joined)  # one call; character by character only if a phrase changed length
        counts.append(_changed(joined, whole) if len(whole) == len(joined)
                      else sum(convert(c) != c for c in han))
    traditional, simplified = counts
    if traditional == simplified:
        return tie
    return "zh-Hant" if traditional > simplified else "zh-Hans"
