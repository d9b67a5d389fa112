"""Small talk: a message that greets, thanks, says goodbye or asks what this chatbot is; and a
question about the interview itself (:func:`about_interview`).

A public demo receives "你好", "谢谢", "good morning! how does this thing work?" or "哈囉,你是誰?" as
often as questions. None of them is a question about the interview, and "the interview does not
cover this" with three unrelated exchanges is the wrong reply: :func:`is_small_talk` says when a
message is nothing but such phrases, so the engine declines it with ``reason_code`` ``"chat"``
and the app says what it is for instead. A message with a question besides the greeting
("你好,腾讯会自己做ERP吗?") is a question and is answered as usual. Forms only, both scripts and
English; no topic words. Forms that could be a follow-up on the topic before ("怎么用?", "How
does it work?", "可以帮我做什么?") are small talk only beside a greeting or a question about who
the chatbot is ("哈囉,你是誰?可以幫我做什麼?", "Hi! How does it work?"): alone, or after thanks
("好的,怎么用?"), they may be about the answer before. Those addressed to the chatbot ("你能做
什么?", "How does this thing work?") are small talk anyway.
"""

from __future__ import annotations

import functools
import re

from qa.text import fold, name_forms

# On fold()ed text: Simplified script, lower case, half-width punctuation. Each alternative is one
# phrase; possessive repeats (嗯++), so a long run of one character cannot make the regex
# backtrack.
# Greetings, and what this chatbot is, what it can do, how to use it, addressed to it: these
# also say that a bare "how does it work?" beside them is about the chatbot.
_ADDRESS = (
    r"(?:你们|你|您|大家)好|哈[喽啰罗]|嗨|hi|hello|hey|hiya|早上好|早安|午安|下午好|晚上好|晚安"
    r"|good (?:morning|afternoon|evening|day)|how are you(?: doing)?|how'?s it going"
    r"|你是(?:谁|什么|机器人|真人|ai|人工智能)|你(?:能|可以|会)(?:帮我)?(?:做|干)?(?:什么|啥)"
    r"|这是什么(?:网站|网页|页面|工具|机器人)"
    r"|who are you|what are you|what can you do|what do you do"
    r"|how does this (?:thing|site|page|bot|app|chatbot) work"
    r"|how do i use this (?:thing|site|page|bot|app|chatbot)"
    r"|what is this (?:thing|site|page|bot|app|chatbot)"
    r"|are you (?:a )?(?:bot|robot|human|real|an ai|ai)"
)
# Thanks, goodbyes, acknowledgements.
_OTHER = (
    r"谢谢(?:你的回答|你|您)?|多谢|感谢|谢了|辛苦了?"
    r"|thanks?(?: you| u)?(?: a lot| (?:so|very) much)?|thank u|thx|cheers"
    r"|再见|拜拜|bye|goodbye|see you|好的|好吧|嗯++|哦++|噢|ok|okay|got it|cool|great|nice"
)
# How to use it, what it can do, without saying what "it" is: small talk only beside _ADDRESS.
_BARE = (
    r"(?:这个)?怎么(?:使)?用|(?:可以|能)(?:帮我)?(?:做|干)(?:什么|啥)"
    r"|how does it work|how do i use it|how can i use it|what can it do"
)
# After a phrase: an address ("hi there", "你好呀") or particles, possessively, then spaces.
_TAIL = r"(?:\s*+(?:there|everyone|all|bot|呀|啊|哇|呢|吗|啦|哦|喔|嘛|哈|~))*+\s*+"
_ONE = re.compile(
    rf"(?:(?P<address>{_ADDRESS})|(?P<other>{_OTHER})|(?P<bare>{_BARE}))(?![a-z]){_TAIL}"
)
_SPLIT = re.compile(r"[,.!?;:~、…]+")


def is_small_talk(question: str | None) -> bool:
    """Whether *question* is only greetings, thanks, goodbyes or questions about the chatbot
    itself ("你好", "Thanks!", "哈囉,你是誰?可以幫我做什麼?", "你好你是谁", "good morning! how
    does this thing work?"), read phrase by phrase."""
    text = fold(question or "")
    parts = [p.strip() for p in _SPLIT.split(text) if p.strip()]
    if not parts:
        return False
    seen = set()
    for part in parts:
        at = 0
        while at < len(part):
            m = _ONE.match(part, at)
            if not m or m.end() == at:
                return False
            seen.add(m.lastgroup)
            at = m.end()
    return "bare" not in seen or "address" in seen


# A question about the interview as a whole, or about who the interviewee is: the article's
# introduction answers it, not one of the interviewee's answers. On fold()ed text; {name} is
# filled with the interviewee's names (about_interview).
_PIECE = r"(?:这篇|这个|这次|本次|本篇|该|那篇)?(?:采访|访谈|专访|文章|报道)"
_LEAD = r"(?:那么?|请问|所以|so |and |then |ok so )?"
_SUMMARY = (
    rf"{_PIECE}(?:主要|都|一共)?(?:讲|说|谈|聊|写|涉及|涵盖|包括|包含)了?(?:些)?"
    r"(?:什么|啥|哪些)(?:内容|话题|主题|事情?|方面)?"
    rf"|{_PIECE}的?(?:主要)?(?:内容|话题|主题|重点|要点|大意|概要)(?:是(?:什么|啥)|有哪些|有什么)?"
    rf"|(?:请|帮我)?(?:总结|概括|归纳|介绍)(?:一下)?{_PIECE}的?(?:内容|要点|重点)?"
    r"(?:成|为)?(?:[一二三四五六七八九十两几\d]+(?:点|条|句话?|段))?"
    r"|(?:我)?(?:可以|能)问(?:些|你)?(?:什么|啥|哪些)(?:问题)?"
    r"|what(?:'s| is| was) (?:the|this) (?:interview|article) about"
    r"|what (?:topics|subjects|questions) (?:does|did) (?:the|this) (?:interview|article) cover"
    r"|what (?:does|did) (?:the|this) (?:interview|article) (?:cover|discuss|talk about|say)"
    r"|(?:please |can you |could you )?(?:summari[sz]e|sum up"
    r"|(?:write|give)(?: me)? an? (?:short |brief )?summary of) "
    r"(?:the|this) (?:interview|article)"
    r"(?: (?:in|with) (?:\d+|one|two|three|four|five|a few) (?:bullet points|bullets|points"
    r"|sentences?|paragraphs?|lines?|words)| briefly| for me)*+"
    r"|what are (?:the|this) (?:interview|article)'?s? (?:main )?(?:points|topics|takeaways)"
    r"|what can i ask(?: about| you)?"
)
# when, by whom and where the article was published, its title: the article's head answers it
_ARTICLE = (
    rf"{_PIECE}(?:是|于|在)?(?:发表|发布|刊登|刊出|进行|做|写)?(?:于|在)?"
    r"(?:什么时候|何时|哪天|哪一天|哪年|哪一年|几时|几号|什么时间|什么日期)"
    r"(?:的|发表的|发布的|刊登的|进行的|做的|写的)?"
    rf"|{_PIECE}的?(?:日期|发表时间|发布时间|作者|记者|出处|来源|标题|题目)"
    r"(?:是(?:谁|什么|哪天|何时|哪位|哪个|啥))?"
    rf"|{_PIECE}(?:是|来自|发表在|发在|刊登在|登在)?(?:哪家|哪个|什么)"
    r"(?:媒体|报纸|报社|网站|杂志|平台)(?:的|发的|发表的|报道的|做的)?"
    r"|(?:谁|哪个记者|哪位记者|哪家媒体|哪个媒体)(?:写|做)了?(?:这篇|这次|本次)(?:采访|访谈|专访|文章|报道)"
    r"|(?:记者|作者|采访者|采访人)是(?:谁|哪位|哪个|什么人)"  # the article's: no other is named
    r"|when (?:was|is) (?:the|this) (?:interview|article)"
    r"(?: (?:published|conducted|done|held|given|dated|written|from))?"
    r"|(?:what(?:'s| is| was) )?the (?:date|publication date) of (?:the|this) (?:interview|article)"
    r"|who (?:wrote|published|did|conducted|ran) (?:the|this) (?:interview|article)"
    r"|who (?:is|was) the (?:author|journalist|reporter|interviewer|writer)"
    r"(?: of (?:the|this) (?:interview|article))?"
    r"|(?:which|what) (?:newspaper|outlet|media outlet|publication|paper|magazine|website|media)"
    r" (?:published|ran|did|conducted|is|was) (?:the|this) (?:interview|article)(?: from| in)?"
    r"|where (?:was|is) (?:the|this) (?:interview|article) (?:published|from)"
    r"|what(?:'s| is| was) the (?:title|headline) of (?:the|this) (?:interview|article)"
    r"|(?:是)?(?:谁|哪个记者|哪位记者|哪家媒体|哪个媒体)(?:采访|专访)了?(?:{name}|他)"
    r"|who interviewed (?:mr )?(?:{name}|him)"
    r"|(?:{name})(?:是)?(?:被)?(?:谁|哪个记者|哪家媒体)(?:采访|专访)的"  # before "汤道生是谁"
)
_WHO = (
    r"(?:{name})(?:先生|总)?(?:是谁|是(?:什么|哪个|怎样的)人|是做什么的|是干什么的"
    r"|的(?:简介|背景|履历)(?:是(?:什么|啥|怎样的)|如何)?)"
    r"|谁是(?:{name})|介绍(?:一下)?(?:{name})"
    r"|who(?:'s| is| was) (?:mr )?(?:{name})|tell me about (?:mr )?(?:{name})"
    r"|who (?:is|was) (?:the )?interview(?:ee|ed)"
)


@functools.lru_cache(maxsize=8)
def _about(names: tuple[str, ...]) -> tuple[re.Pattern, re.Pattern]:
    """The patterns of a question on the article's head (when, by whom, where, its title) and of
    any other question about the interview itself, for the interviewee's *names*."""
    forms = sorted(name_forms(names), key=len, reverse=True)  # "dowson tong" before "tong"
    name = "|".join(re.escape(n) for n in forms) or r"(?!x)x"
    article = _ARTICLE.format(name=name)
    rest = f"{_SUMMARY}|{_WHO.format(name=name)}"
    return tuple(re.compile(rf"{_LEAD}(?:{alt})(?![a-z]){_TAIL}") for alt in (article, rest))


def about_interview(question: str | None, names: tuple[str, ...] = ()) -> bool:
    """Whether *question* asks what the interview is about, for a summary, what one can ask, who
    the interviewee is, or when, by whom and where the article was published (*names*: the
    interviewee's names, e.g. "湯道生", "Dowson Tong", in the forms :func:`qa.text.name_forms`
    gives): "这篇采访讲了什么?", "Summarize the interview", "汤道生是谁?", "Who is Dowson Tong?",
    "When was this interview?". A greeting may come with it ("你好,这篇采访讲了什么?"); anything
    else makes it a question on the interview's content."""
    return about_kind(question, names) is not None


def about_kind(question: str | None, names: tuple[str, ...] = ()) -> str | None:
    """``"article"`` when *question* only asks when, by whom or where the article was published,
    or its title (the article's head answers it: "When was this interview?", "记者是谁?");
    ``"interview"`` for any other question about the interview itself (:func:`about_interview`);
    None for a question on its content."""
    article, rest = _about(tuple(names))
    text = re.sub(r"\b(mrs?|ms|dr)\.", r"\1", fold(question or ""))  # "Mr." is no full stop
    parts = [p.strip() for p in _SPLIT.split(text) if p.strip()]
    kinds = set()
    for part in parts:
        at = 0
        while at < len(part):
            m = article.match(part, at) or rest.match(part, at) or _ONE.match(part, at)
            if not m or m.end() == at:
                return None
            if m.re is not _ONE:
                kinds.add("article" if m.re is article else "interview")
            at = m.end()
    return None if not kinds else "article" if kinds == {"article"} else "interview"
