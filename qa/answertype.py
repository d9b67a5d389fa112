"""Expected answer type: does a question ask for a figure, a date, a named party or a how-to?

An interview answers in opinions and reasons. The most convincing questions it does *not* answer
are factoid ones on its own topics: "how much does X cost", "when did Y happen", "who runs Z",
"how do I sign up for W".
They share the interview's words, so every retrieval score looks in scope. What gives them away is
the kind of answer they expect. This is the classic "expected answer type" step of question
answering, reduced to what an abstention rule can use:

- :func:`asks_for` says whether a question asks for a ``"number"`` (an amount, a count, a
  duration, a date), a ``"party"`` (a person, a company, a unit) or ``"howto"`` instructions
  ("how do I…", "怎么注册…"), from interrogative forms in Chinese (either script) and English. It
  does not look for topics.
- :func:`has_number` says whether a text states a figure or a date.
- :func:`factoid` combines the two into the confidence feature. It is 1.0 for a party or how-to
  question, and for a number question whose best-matching passage states no figure. A number
  question that the evidence *can* answer ("how many days since the reorganisation?" →
  "200多天") is not flagged. It is 0.0 otherwise.

Whether and how much this lowers the confidence is not set here: the weight is fitted with the
other confidence features on the dev split by ``python -m qa calibrate``.
"""

from __future__ import annotations

import re

from qa.text import fold

# Patterns run on fold()ed text: Simplified script, half-width, lower case.
_NUMBER = re.compile(
    r"多少|几[个家名位年月天次倍成岁]|多久|多长时间|哪一?年|什么时候|何时"
    r"|\bhow (?:many|much|long|big|large|often)\b|\bwhat (?:year|date|percentage)\b"
    r"|^when\b|\bwhen (?:did|does|do|will|was|is|were|are)\b"
)
_PARTY = re.compile(
    r"谁|哪一?家|哪一?位|哪个(?:人|公司|厂商|企业|部门|事业群)|哪些(?:人|公司|厂商|企业|银行|品牌)"
    r"|^who\b|\bwho (?:is|are|was|were|took|runs|leads|heads)\b"
    r"|\bwhich (?:company|companies|firms?|banks?|vendors?|executives?|person|people|brands?)\b"
)
_HOWTO = re.compile(
    r"\bhow (?:do|can|should|would) i\b|\bwhere (?:do|can) i\b"
    r"|(?:怎么|如何|怎样)(?:注册|申请|开通|设置|安装|下载|购买|登录|开户|退款|提现|报名|联系)"
)
_FIGURE = re.compile(
    r"\d|[零一二两三四五六七八九十百千万亿]+多?(?:年|天|个月|%|家|名|人|亿|万|元|美元)"
    r"|\b(?:hundreds?|thousands?|millions?|billions?|percent|dozens?)\b"
)


DECLINE_REASONS = {
    "number": "It asks for a figure or a date, and the closest passage of the interview states none.",
    "howto": "It asks for instructions (how to do something); the interview gives views and "
             "reasons, not how-tos.",
    "party": "It asks who (a specific person or company); the interview gives views and "
             "reasons rather than names, so this is probably not in it.",
}


def asks_for(question: str) -> str | None:
    """``"number"``, ``"party"``, ``"howto"`` or None (an open question: why, how does Tencent,
    what does he think)."""
    text = fold(question)
    if _PARTY.search(text):
        return "party"
    if _NUMBER.search(text):
        return "number"
    if _HOWTO.search(text):
        return "howto"
    return None


def has_number(text: str) -> bool:
    """Whether *text* states a figure or a date (digits, Chinese numerals with a unit, "million")."""
    return bool(_FIGURE.search(fold(text)))


def factoid(question: str, evidence: str | None) -> float:
    """1.0 when *question* asks for a party or for instructions, or for a number that *evidence*
    does not state."""
    kind = asks_for(question)
    if kind in ("party", "howto"):
        return 1.0
    if kind == "number" and not has_number(evidence or ""):
        return 1.0
    return 0.0
