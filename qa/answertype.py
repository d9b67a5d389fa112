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
- :func:`asks_later` says whether a question asks about a time after the interview: it names a
  year later than every year the interview mentions ("腾讯2023年的营收", "by 2025"), or asks what
  happened after the latest one ("after 2019", "2019年以后"). An interview cannot speak to later
  events; without a year in the interview (its date is usually one) the rule is off.
- a request for the chatbot to write or do something ("帮我写一封邀请函", "write me a poem",
  "请你扮演汤道生", "ignore all previous instructions") is ``"task"``: an interview can only be
  quoted.
- :func:`has_number` says whether a text states a figure or a date.
- :func:`factoid` combines them into the confidence feature. It is 1.0 for a party, how-to,
  later-events or task question, and for a number question whose best-matching passage states
  no figure. A number
  question that the evidence *can* answer ("how many days since the reorganisation?" →
  "200多天") is not flagged. It is 0.0 otherwise.

Whether and how much this lowers the confidence is not set here: the weight is fitted with the
other confidence features on the dev split by ``python -m qa calibrate``.
"""

from __future__ import annotations

import re

from qa.text import fold

# Patterns run on fold()ed text: Simplified script (OpenCC leaves 甚麼 as 甚么), half-width, lower
# case. They aim at precision: a form that is also a conjunction ("when a customer…", "when does
# it make sense…"), a relative pronoun ("people who…"), an adverb ("多少有点", "how much harder")
# or "several" (这几年, 十几年, 过去几个月, "…几个事业群…吗?") must not count. Cantonese forms (点解,
# 点样, 边个, 几钱) are included: Hong Kong users write them.
_NUMBER = re.compile(
    r"多少(?![有会也还些])|多久|多长时间|几时|几多|几钱|哪一?年|(?:什么|甚么)时候|何时"
    r"|\bhow (?:many|long|often)\b"
    r"|\bhow much\b(?!\s+(?:more|less|harder|easier|better|worse|further|longer|bigger|faster)\b)"
    r"(?!(?:\s+\S+){0,5}?\s+(?:care|cares|matter|matters|value|values|rely|relies|depend|depends|"
    r"like|likes|want|wants|believe|believes|trust|trusts|focus|focuses|emphasi[sz]es?|"
    r"influence|influences|affect|affects|help|helps|change|changed)\b)"
    r"|\b(?:in )?(?:what|which) (?:year|date|month|percentage)\b"
    r"|\bwhen (?:did|will|was|were)\b"
)
# 几 + measure asks "how many" only outside a yes/no question and not after 这/那/十/过去/未来…
_NUMBER_JI = re.compile(r"(?<![这那好前后近头十去来])几(?:[个家名位年月天次倍成岁]|[十百千万])")
# Other interrogatives: a Chinese question that also asks why/how/what/where is not asking for a
# number ("…忙些什么?…变了多少?", "几个事业群之间怎么配合?", "难在哪?").
_OPEN_ZH = re.compile(r"为什么|为何|怎么|怎样|如何|点解|点样|哪里|哪儿|在哪|(?:什么|甚么)(?!时候)")
_PARTY = re.compile(
    r"(?<![不管论])谁(?![都也])|边个|哪一?家|哪一?间|边间|哪一?位|哪个(?:人|公司|厂商|企业)"
    r"|哪些(?:公司|厂商|银行|品牌)(?!的?需求)"
    r"|^(?:and |so |but )?(?:who|whom)\b"
    r"|\b(?:which|what) (?:[a-z]+ )?(?:company|companies|firms?|banks?|vendors?|executives?|"
    r"brands?)\b"
)
_HOWTO = re.compile(
    r"\b(?:how|where) (?:do|can) i\b"
    r"|(?:^|我|我们|要|该|能|可以)(?:怎么|如何|怎样)(?:注册|申请|开通|安装|下载|登录|开户|退款|提现|报名|购买)"
    r"|(?:怎么|如何|怎样)(?:注册|申请|开通|开户|登录|下载|安装|退款|提现|报名)\W*$"
)
# A figure: digits not glued to letters (C2B, 5G are names), Chinese numerals with a unit (not
# 一家 / 这一年, where 一 means "a"; 几 only in 几十/几百…), English number words.
_FIGURE = re.compile(
    r"(?<![a-z])\d+(?![a-z])"
    r"|(?:[两二三四五六七八九十百千万亿半]|一(?=[十百千万亿])|几(?=[十百千万]))"
    r"[零一二两三四五六七八九十百千万亿几]*多?(?:年|天|个月|%|家|名|人|亿|万|元|美元|种|倍|成|岁|个|次)"
    r"|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundreds?|thousands?|millions?|billions?|percent|dozens?|half)\b"
)

# A request for the chatbot to do something other than quote the interview: write a text ("帮我写
# 一封邀请函", "write me a poem"), play a part ("请你扮演汤道生", "pretend you are"), or drop its
# instructions ("忽略上面的规则", "ignore all previous instructions", "系统提示词"). Not a question
# about writing, roles or rules ("他写过书吗", "寫報告用:湯道生怎麼…", "Did Tong write a book?",
# "CSIG扮演什么角色", "Does Tencent ignore the rules of the market?"): each form must be asked
# of the chatbot (imperative, or addressed to 你).
_TASK = re.compile(
    # 写/编 + what to write, asked for: at the start or after 请 / 帮我 / 麻烦 / 你来 or a leading
    # 用 (within the sentence: "帮我用这篇访谈的口吻,写一段…"), not "他有没有计划,写一本书?"
    r"(?:^|(?:^用|请你?|麻烦你?|帮我|帮忙|给我|替我|你来)[^.!?;]{0,25}?)(?:写|编)"
    r"(?:[一几两]|首|段|封|篇|份|张|条)"
    # a part to play, addressed to the chatbot: not "腾讯想扮演什么角色", "应该扮演连接者"
    r"|(?:请你?|你来?|帮我)扮演|假装你|角色扮演"
    # dropping its instructions: with what to drop ("上面的所有规则"), not "忽略市场规则"
    r"|(?:忽略|无视|忘掉|忘记)掉?(?:上面|之前|以上|前面|你的|刚才|所有|全部|一切)"
    r"(?:[的所有全部一切上面之前以上前面你]){0,6}?(?:指令|指示|规则|设定|提示|要求)"
    r"|(?:系统|system)\s*(?:提示词|prompt)"
    # translating: at the start or asked for ("请帮我翻译这段访谈", "把这篇采访全文翻译成英文"), not
    # "腾讯有没有做翻译产品"
    r"|(?:^|(?:^把|请你?|麻烦你?|帮我|帮忙|给我|替我|你来)[^.!?;]{0,25}?)翻译"
    # English: write/compose/draft in the imperative (first, after "please" or "can you"), not
    # "Did Tencent write a letter…?", "…decide to draft a new strategy"
    r"|(?:^|[.!?]\s*|\bplease\s+|\b(?:can|could|would|will) you\s+(?:please\s+)?)"
    r"(?:write|compose|draft)\s+(?:me\s+|us\s+)?(?:a|an|some|\d+)\s"
    r"|\b(?:ignore|disregard|forget)\s+(?:(?:all|any)\s+)?(?:(?:the|your|my)\s+)?"
    r"(?:previous|prior|above|earlier|preceding)\s+(?:instructions|rules|prompts?)\b"
    r"|\b(?:ignore|disregard|forget)\s+(?:(?:all|any)\s+)?(?:(?:the|your)\s+)?"
    r"(?:instructions|prompts?|system prompt)\b"
    r"|\bpretend (?:to be|you(?:'re| are))\b|\brole-?play\b"
    r"|(?:^|[.!?]\s*|\bplease\s+|\b(?:can|could|would|will) you\s+(?:please\s+)?)translate\b"
)

DECLINE_REASONS = {
    "number": "It asks for a figure or a date, and the closest passage of the interview states "
              "none.",
    "howto": "It asks for instructions (how to do something); the interview gives views and "
             "reasons, not how-tos.",
    "party": "It asks who (a specific person or company); this interview mostly gives views and "
             "reasons, and seldom answers that kind of question.",
    "later": "It asks about a time after the interview, which cannot speak to later events.",
    "task": "This chatbot does not write or do things: it answers questions about the interview "
            "with the answers given in it. Ask about one of its topics.",
}

# A year, not a count or a code: no digit, separator or range mark before it ("400-2020-1234",
# "2018-2020", "2019至2020年", "1:2025", "1.2020"; a date such as "22.05.2019" is read by _DATE
# first), no count unit or digit group after it ("2050多个", "2030名", "2030%", "2020-06"); not
# one that bounds a time before it ("before 2020", "2020年以前", "until 2020", "2020前后"). Run on
# fold()ed text (Simplified, half-width, lower case).
_YEAR = re.compile(
    r"(?<![\d:\-–~/至])(?<!\d\.)(?<!before )(?<!until )(?<!prior to )(?<!\bto )"
    r"((?:19|20)\d\d)(?![\d%:\-–~/]|\.\d)"
    r"(?!\s*(?:多|万|亿|千|百|个|家|名|位|人|元|块|倍|件|台|次|percent|\s*年?\s*(?:以前|之前|前)))"
)
# what came after a year: "after 2019", "since 2019", "post-2019", "2019年以后 / 之后 / 后 /
# 以来 / 起 / 往后 / 至今", also from its end or a month of it ("2019年底以后", "2019年5月之后");
# 后 not as in 后台 / 后端 / 后面
_AFTER_YEAR = re.compile(
    r"\b(?:after|since|post-?)\s*((?:19|20)\d\d)\b"
    r"|(?<!\d)((?:19|20)\d\d)\s*年?\s*(?:底|末|\d{1,2}\s*月(?:份)?)?\s*"
    r"(?:以后|之后|以来|往后|至今|起|后(?![台端面续]))"
)


_DATE = re.compile(r"(?<![\d.:/-])\d{1,2}[./-]\d{1,2}[./-]((?:19|20)\d\d)(?![\d.:/-])")


def _years(text: str) -> list[int]:
    """The years *text* (already folded) names: dates "22.05.2019" / "5/22/2019" included."""
    return [int(y) for y in _YEAR.findall(_DATE.sub(r" \1 ", text))]


def latest_year(texts) -> int | None:
    """The latest year (1900–2099) that *texts* mention, read as :func:`asks_later` reads a
    question (folded; counts and codes are not years), or None."""
    years = [y for t in texts for y in _years(fold(t or ""))]
    return max(years) if years else None


def asks_later(question: str | None, latest: int | None) -> bool:
    """Whether *question* asks about a time after *latest*, the interview's latest year: it names
    a later year, or asks what came after that year (or a later one)."""
    if latest is None:
        return False
    text = fold(question or "")
    if any(y > latest for y in _years(text)):
        return True
    return any(int(a or b) >= latest for a, b in _AFTER_YEAR.findall(text))


def asks_for(question: str | None, latest: int | None = None) -> str | None:
    """``"later"`` (see :func:`asks_later`; only with the interview's *latest* year),
    ``"number"``, ``"party"``, ``"howto"``, ``"task"`` (a request to write or do something, see
    ``_TASK``) or None (an open question: why, how does Tencent, what does he think)."""
    text = fold(question or "")
    if _TASK.search(text):
        return "task"
    if asks_later(question, latest):
        return "later"
    if _PARTY.search(text):
        return "party"
    number = _NUMBER.search(text) or (_NUMBER_JI.search(text) and "吗" not in text)
    if number and not _asks_open(text):
        return "number"
    if _HOWTO.search(text):
        return "howto"
    return None


def _asks_open(text: str) -> bool:
    """Whether the question also asks why/how/what in Chinese (numbers words then mean degree)."""
    return bool(_OPEN_ZH.search(_NUMBER_JI.sub(" ", _NUMBER.sub(" ", text))))


def has_number(text: str | None) -> bool:
    """Whether *text* states a figure or a date (digits, Chinese numerals with a unit, "million")."""
    return bool(_FIGURE.search(fold(text or "")))


def factoid(question: str, evidence: str | None, latest: int | None = None) -> float:
    """1.0 when *question* asks for a party, for instructions, about a time after *latest* (the
    interview's latest year) or for a text to be written (a task), or for a number that *evidence*
    does not state."""
    kind = asks_for(question, latest)
    if kind in ("party", "howto", "later", "task"):
        return 1.0
    if kind == "number" and not has_number(evidence or ""):
        return 1.0
    return 0.0
