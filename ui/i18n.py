"""The reply's own words in the asker's language: English, Simplified or Traditional Chinese.

A chat reply wraps the interview's verbatim text in a few words of its own (the confidence badge,
who is speaking, why a passage is highlighted, why the question was declined). They follow the
question's language (``Answer.language``: ``"en"``, ``"zh-Hans"``, ``"zh-Hant"``). The Chinese
strings are written once in Simplified; the Traditional ones are converted with OpenCC (``s2t``)
and cached. The Compare tab's verdict, confidence and "whole answer" labels follow the question
too. The page's fixed labels (tabs, buttons, the score legend) stay bilingual English.
"""

from __future__ import annotations

from functools import cache

from qa.text import to_traditional

_ZH: dict[str, str] = {
    "confidence": "置信度 {pct}%",
    "confidence_title": "排名第一的回答正确的可能性",
    "interviewer": "记者",
    "answer": "回答",
    "english_edition": "英文版",
    "highlighted": "高亮段落：{where}第 {n} 段（共 {total} 段），{why}",
    "highlighted_where_en": "英文版",
    "matched_terms": "匹配词：{terms}",
    "terms_joiner": "、",
    "why_dense": "语义最接近",
    "why_dense-en": "语义最接近（根据英文版）",
    "why_lexical": "重合词语最多",
    "not_covered": "这次访谈没有谈到这个问题。",
    "not_asked": "记者没有就此问过{speaker}。",
    "not_asked_anon": "",
    "offer": "下面列出记者实际问过的最接近的问题；点击本条回复下方对应编号的按钮即可查看回答。",
    "reason_number": "这个问题问的是数字或日期，而访谈中最接近的段落没有给出。",
    "reason_howto": "这个问题问的是操作方法；访谈谈的是看法和原因，不是操作指南。",
    "reason_party": "这个问题问的是具体的人或公司；这次访谈主要谈看法和原因，很少回答这类问题。",
    "reason_later": "这个问题问的是访谈之后的事，访谈无法谈到后来发生的事情。",
    "chars_in_all": "(共 {n:,} 个字符)",
    "truncated": "问题太长，只用了前 {max:,} 个字符。",
    "read_with": "结合上一个问题理解：“{q}”",
    "corrected": "“{typed}”按访谈中的“{read_as}”理解",
    "same_exchange": "与上面的回答是同一段问答（点开可再看一遍）",
    "error": "抱歉，回答时出了问题。请重试或换个说法；其他用户不受影响。",
    "error_qa": "抱歉，没能完成：{detail}",
    "reason_exemplar": "这个问题更接近已知超出访谈范围的问题（股价、薪酬、其他公司等），而不是访谈回答过的问题。",
    "reason_context": "这是对前一个问题的追问（“为什么？”“具体说说”），但前面还没有问题：请先提一个问题，再追问。",
    "runners_up": "其他相近的问答（{n} 条）",
    "cmp_answered": "会回答",
    "cmp_abstains": "不回答：访谈没有谈到这个问题",
    "whole_answer": "完整回答（共 {n} 段）",
}

_EN: dict[str, str] = {
    "confidence": "{pct}% confidence",
    "confidence_title": "how likely the top answer is right",
    "interviewer": "Interviewer",
    "answer": "Answer",
    "english_edition": "English edition",
    "highlighted": "highlighted: {where}paragraph {n} of {total}, {why}",
    "highlighted_where_en": "English edition, ",
    "matched_terms": "matched terms: {terms}",
    "terms_joiner": ", ",
    "why_dense": "closest in meaning",
    "why_dense-en": "closest in meaning (via the English edition)",
    "why_lexical": "most shared terms",
    "not_covered": "The interview does not cover this.",
    "not_asked": "{speaker} was not asked about it in this interview.",
    "not_asked_anon": "It did not come up in this interview.",
    "offer": "The nearest questions the interviewer did ask are listed here; to read an answer, "
             "press its numbered button below this reply.",
    "chars_in_all": "({n:,} characters in all)",
    "read_with": "Read as a follow-up to: “{q}”",
    "corrected": "Read “{typed}” as the interview's “{read_as}”",
    "same_exchange": "The same exchange as the answer above (open to read it again)",
    "runners_up": "Other close exchanges ({n})",
    "cmp_answered": "answered",
    "cmp_abstains": "abstains: the interview does not cover this",
    "whole_answer": "whole answer ({n} paragraphs)",
    "error": "Sorry, something went wrong while answering. Please try again or rephrase the "
             "question; other users are not affected.",
    "error_qa": "Sorry, that did not work: {detail}",
}


@cache
def _traditional() -> dict[str, str]:
    return {k: to_traditional(v) for k, v in _ZH.items()}


def table(language: str) -> dict[str, str]:
    """The strings for *language*; English for anything that is not Chinese."""
    if language == "zh-Hant":
        return _traditional()
    return _ZH if language == "zh-Hans" else _EN


def t(key: str, language: str = "en", **values: object) -> str:
    """The string *key* in *language*, formatted with *values* (English when no translation)."""
    strings = table(language)
    text = strings[key] if key in strings else _EN.get(key, key)
    return text.format(**values) if values else text


def reason(code: str | None, english: str | None, language: str) -> str | None:
    """A decline reason (``Answer.reason_code``, ``Answer.reason``) in *language*; the engine's
    English text when there is no translation (or the question is English)."""
    if not code or language not in ("zh-Hans", "zh-Hant"):
        return english
    return table(language).get(f"reason_{code}", english)
