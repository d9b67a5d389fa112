"""What the page says about the interview it serves: an :class:`~qa.parsing.Interview` in, a
:class:`Page` out (title, header, welcome text, example questions, the interviewee's label).

The bundled Yicai interview with 湯道生 (recognised by its content fingerprint, so a copy of the
file counts too) gets its own header, welcome text and example questions. Any other interview gets
a neutral header from its file name, no example questions, and a speaker label only when the
interview names its interviewee (a ``.txt`` article's answer label, a record's ``answerer``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from qa import config
from qa.errors import InterviewParseError
from qa.evidence import escape
from qa.parsing import Interview, load_interview


@dataclass(frozen=True)
class Page:
    """The interview-specific text of the page; the app is built from it once."""

    title: str  # the browser tab's title
    heading: str
    subtitle: str
    welcome: str  # Markdown, shown in the empty chat
    speaker: str = ""  # the interviewee's label above answers; empty when the interview names none
    starters: tuple[str, ...] = ()  # example questions in the empty chat
    examples: tuple[str, ...] = ()  # example questions under the input box
    compare_examples: tuple[str, ...] = ()  # example questions in the Compare tab


BUNDLED = Page(
    title="Ask 湯道生 · Tencent CSIG interview (Yicai, May 2019)",
    heading="Ask 湯道生",
    subtitle="Dowson Tong, president of Tencent CSIG · Yicai interview, May 2019",
    welcome=(
        "**Ask the interview.** 湯道生 (Dowson Tong), president of Tencent's Cloud and Smart "
        "Industries Group, talked to Yicai in May 2019 about the industrial internet, middle "
        "platforms, talent and Tencent Cloud. Ask in Chinese or English: each reply is his answer "
        "verbatim, with the best-matching passage highlighted."),
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
                      "騰訊雲的競爭對手"),
)

# When the engine could not be created, nothing is known about the interview.
UNKNOWN = Page(
    title="Ask the interview",
    heading="Ask the interview",
    subtitle="",
    welcome=("**Ask the interview.** Ask in Chinese or English: each reply is the answer given in "
             "the interview, verbatim, with the best-matching passage highlighted."),
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
    exchanges = f"{n} exchange{'s' if n != 1 else ''}"
    heading = f"Ask {speaker}" if speaker else "Ask the interview"
    whose = f"{escape(speaker)}'s answer" if speaker else "the answer given in the interview"
    where = f" in {escape(name)}" if name else ""
    return Page(
        title=" · ".join(x for x in (heading, name) if x),
        heading=heading,
        subtitle=" · ".join(x for x in (name, exchanges) if x),
        welcome=(f"**Ask the interview** ({exchanges}{where}). Ask in "
                 f"Chinese or English: each reply is {whose}, verbatim, with the best-matching "
                 "passage highlighted."),
        speaker=speaker,
    )
