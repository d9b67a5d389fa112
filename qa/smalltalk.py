"""Small talk: a message that greets, thanks, says goodbye or asks what this chatbot is.

A public demo receives "你好", "谢谢", "good morning! how does this thing work?" or "哈囉,你是誰?" as
often as questions. None of them is a question about the interview, and "the interview does not
cover this" with three unrelated exchanges is the wrong reply: :func:`is_small_talk` says when a
message is nothing but such phrases, so the engine declines it with ``reason_code`` ``"chat"``
and the app says what it is for instead. A message with a question besides the greeting
("你好,腾讯会自己做ERP吗?") is a question and is answered as usual. Forms only, both scripts and
English; no topic words.
"""

from __future__ import annotations

import re

from qa.text import fold

# On fold()ed text: Simplified script, lower case, half-width punctuation.
_PHRASE = re.compile(
    # greetings, thanks, goodbyes, acknowledgements
    r"(?:你们?|您|大家)好|哈[喽啰罗]|嗨|hi|hello|hey|hiya|yo|早上好|早安|午安|下午好|晚上好|晚安"
    r"|good (?:morning|afternoon|evening|day)|morning|"
    r"谢谢你?|多谢|感谢|谢了|辛苦了?|thanks?(?: you)?(?: a lot| (?:so|very) much)?|thx|ty|cheers"
    r"|再见|拜拜|bye|goodbye|see you|好的|好吧|好|嗯+|哦+|噢|ok|okay|got it|cool|great|nice|wow"
    # what is this chatbot, what can it do, how to use it
    r"|你是(?:谁|什么|机器人|真人|ai|人工智能)|你(?:能|可以|会)(?:做|干)?(?:什么|啥)"
    r"|(?:你)?(?:能|可以)帮(?:我|忙)?(?:做|干)?(?:什么|啥)|怎么用|如何使用|这个怎么用"
    r"|这是什么(?:网站|网页|页面|东西|工具|机器人)"
    r"|who are you|what are you|what can you do|what do you do|how does (?:this|it)(?: thing)? work"
    r"|how (?:do|can) i use (?:this|it)|what is this (?:thing|site|page|bot|app|chatbot)"
    r"|are you (?:a )?(?:bot|robot|human|real|an ai|ai)"
)
# A phrase may be addressed ("hi there", "你好呀") and end in particles or punctuation.
_TAIL = r"(?:\s*(?:there|everyone|all|bot|呀|啊|哇|呢|吗|啦|哦|喔|嘛|哈+|~))*"
_PART = re.compile(rf"(?:{_PHRASE.pattern}){_TAIL}")
_SPLIT = re.compile(r"[,.!?;:，。！？；：~、…]+|\s{2,}")
_ZH_SPLIT = re.compile(r"\s+")


def is_small_talk(question: str | None) -> bool:
    """Whether *question* is only greetings, thanks, goodbyes or questions about the chatbot
    itself ("你好", "Thanks!", "哈囉,你是誰?", "good morning! how does this thing work?")."""
    text = fold(question or "")
    parts = [p.strip() for p in _SPLIT.split(text) if p.strip()]
    if not parts:
        return False
    for part in parts:
        if _PART.fullmatch(part):
            continue
        # Chinese phrases may be separated by spaces only ("你好 你是谁")
        if not all(_PART.fullmatch(w) for w in _ZH_SPLIT.split(part) if w):
            return False
    return True
