"""Small talk: a message that greets, thanks, says goodbye or asks what this chatbot is.

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

import re

from qa.text import fold

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
