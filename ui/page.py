"""What the page says about the interview it serves: an :class:`~qa.parsing.Interview` in, a
:class:`Page` out (title, header, welcome text, example questions, the interviewee's label, the
attribution a copied answer ends with).

The bundled Yicai interview with 湯道生 (recognised by its content fingerprint, so a copy of the
file counts too) gets its own header, welcome text and example questions. Any other interview gets
a neutral header from its file name, no example questions, and a speaker label only when the
interview names its interviewee (a ``.txt`` article's answer label, a record's ``answerer``).
The welcome text comes in English, Simplified and Traditional Chinese (:mod:`ui.i18n`); the page
shows the one for the browser's language.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qa import config
from qa.errors import InterviewParseError
from qa.evidence import escape
from qa.parsing import Interview, load_interview
from ui.i18n import t


@dataclass(frozen=True)
class Page:
    """The interview-specific text of the page; the app is built from it once."""

    title: str  # the browser tab's title
    heading: str
    subtitle: str  # under the heading (English)
    welcome: str  # Markdown, shown in the empty chat (English)
    welcome_hans: str = ""  # the same in Simplified Chinese (empty: English for everyone)
    welcome_hant: str = ""  # and in Traditional Chinese
    subtitle_hans: str = ""  # the subtitle in Simplified Chinese (empty: the English one)
    subtitle_hant: str = ""  # and in Traditional Chinese
    quoted: str = ""  # plain text: who said it, to whom, when; ends a copied answer (English)
    quoted_hans: str = ""  # in Simplified Chinese (empty: the English one)
    quoted_hant: str = ""  # and in Traditional Chinese
    speaker: str = ""  # the interviewee's label above answers; empty when the interview names none
    starters: tuple[str, ...] = ()  # example questions in the empty chat
    examples: tuple[str, ...] = ()  # example questions under the input box
    compare_examples: tuple[str, ...] = ()  # example questions in the Compare tab

    def text(self, name: str, language: str) -> str:
        """The localised field *name* (``welcome``, ``subtitle``, ``quoted``) in *language*
        (``"en"``, ``"zh-Hans"``, ``"zh-Hant"``), the English one when it has no translation."""
        english = getattr(self, name)
        suffix = {"zh-Hans": "_hans", "zh-Hant": "_hant"}.get(language)
        return (getattr(self, f"{name}{suffix}") if suffix else "") or english


def _localised(field: str, text: Callable[[str], str]) -> dict[str, str]:
    """*field* of :class:`Page` in English, Simplified and Traditional Chinese (``field``,
    ``field_hans``, ``field_hant``), as keyword arguments; *text* is ``language -> str``."""
    return {field: text("en"), f"{field}_hans": text("zh-Hans"),
            f"{field}_hant": text("zh-Hant")}


def _welcome(key: str, **parts: Callable[[str], str]) -> dict[str, str]:
    """The welcome *key* (:mod:`ui.i18n`) in the three languages, as the keyword arguments of
    :class:`Page`; *parts* are callables ``language -> str`` that fill in its fields in each
    language."""
    return _localised("welcome", lambda language: t(
        key, language, **{k: part(language) for k, part in parts.items()}))


BUNDLED = Page(
    title="Ask 湯道生 · Tencent CSIG interview (Yicai, May 2019)",
    heading="Ask 湯道生",
    **_localised("subtitle", lambda language: t("subtitle_bundled", language)),
    **_localised("quoted", lambda language: t("quoted_bundled", language)),
    **_welcome("welcome"),
    speaker="湯道生",
    starters=(
        "腾讯会自己做ERP吗?",
        "騰訊的用戶中臺能幫企業識別哪些用戶?",
        "Why is Tencent Cloud not profitable yet?",
        "What kind of talent does Tencent need for its to-B business?",
    ),
    examples=(
        "湯道生現在花最多時間在什麼事上?",
        "做to B和to C有什么不同?",
        "How do Tencent's business groups work together on to-B?",
        "Why did Tencent keep serving Panda TV?",
    ),
    compare_examples=("中台和数据隐私", "What changed after the 930 reorganisation?",
                      "騰訊雲和AWS有什麼不同?"),
)

# When the engine could not be created, nothing is known about the interview.
UNKNOWN = Page(
    title="Ask the interview",
    heading="Ask the interview",
    subtitle="",
    **_welcome("welcome_unknown"),
)


@functools.cache
def _bundled_fingerprint() -> str:
    try:
        return load_interview(config.DEFAULT_INTERVIEW).fingerprint()
    except InterviewParseError:  # no readable bundled file: nothing is the bundled interview
        return ""


def is_bundled(interview: Interview) -> bool:
    """Whether *interview* is the bundled Yicai interview (same pairs, wherever the file is)."""
    return interview.fingerprint() == _bundled_fingerprint()


def page_for(interview: Interview) -> Page:
    """The page for *interview*: :data:`BUNDLED` for the bundled one, else a neutral page."""
    if is_bundled(interview):
        return BUNDLED
    speaker = interview.speakers[0] if interview.speakers else ""
    name = Path(interview.source).name if interview.source else ""
    n = len(interview)
    heading = f"Ask {speaker}" if speaker else "Ask the interview"
    # all the page knows of where a copied answer comes from (the same in every language)
    source = " · ".join(x for x in (speaker, name) if x)

    def exchanges(language: str) -> str:
        return t("exchanges_one" if n == 1 else "exchanges", language, n=n)

    def where(language: str) -> str:
        return t("welcome_where", language, name=escape(name)) if name else ""

    def whose(language: str) -> str:
        if speaker:
            return t("welcome_whose", language, speaker=escape(speaker))
        return t("welcome_whose_anon", language)

    return Page(
        title=" · ".join(x for x in (heading, name) if x),
        heading=heading,
        **_localised("subtitle", lambda language: " · ".join(
            x for x in (escape(name), exchanges(language)) if x)),
        **_welcome("welcome_other", exchanges=exchanges, where=where, whose=whose),
        **_localised("quoted", lambda language: f"— {source}" if source else ""),
        speaker=speaker,
    )
