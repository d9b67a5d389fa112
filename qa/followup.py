"""Follow-up questions in a conversation: does a question lean on the one before it?

In a chat, people ask "他为什么这么说?", "那私有云呢?" or "And the sales team?" right after an
answer. On its own such a question names no topic, so retrieval finds nothing and the engine
declines it. Read together with the question before it, it is answerable.

- :func:`refers_back` says whether a question points back: a personal or demonstrative pronoun
  (他, 这个, 那, "it", "that"), a topic-shifting ellipsis ("那…呢", "what about…", "and…?"), or
  a bare follow-up that is nothing but "why?" / "为什么?" / "tell me more". It looks at forms
  only, never at topics.
- :func:`combine` is the text the engine then asks: the previous question, then this one.

The engine (:meth:`qa.engine.Engine.ask_many` with ``contexts``) uses the combination only for a
question that refers back, that it cannot answer alone, and whose own answer type does not say
the interview lacks what it asks (a figure, a name: "他当时多大?" stays declined); and only when
the combination is answered. Measured on conversations (``tests/data/followups.jsonl``): see the
README.
"""

from __future__ import annotations

import re

from qa.text import fold

# On fold()ed text: Simplified script, lower case, half-width punctuation.
# Pronouns and demonstratives; not the words that merely contain them (其实, 应该, 因此, 那么).
_ZH_POINTER = re.compile(
    r"[他她它这]|其(?![实中])|(?<![应])该|(?<![因])此(?![外])|那(?![么])|上述|刚才|前面|上面"
    r"|呢[\s?!.。？！]*$")
_EN_POINTER = re.compile(
    r"\b(?:he|him|his|she|her|it|its|they|them|their|this|that|these|those|such|there)\b"
    r"|^\s*(?:and|so|but|also|what about|how about)\b")
# A question that is only a follow-up: nothing but "why?", "tell me more"…
_BARE = re.compile(
    r"^\s*(?:为什么|为啥|为何|怎么说|何以见得|(?:具体|展开|详细)(?:说说|讲讲)?|还有呢|然后呢|"
    r"比如|例如|举个例子|why|how so|how come|really|such as|for example|like what|"
    r"tell me more|more|go on|and then|what else|elaborate)[\s?!.。？！]*$")


def refers_back(question: str) -> bool:
    """Whether *question* points back to an earlier turn (see the module doc)."""
    q = fold(question)
    return bool(_ZH_POINTER.search(q) or _EN_POINTER.search(q) or _BARE.search(q))


# how much of a long previous question (or a chain of follow-ups) is kept: its end
CONTEXT_CHARS = 400


def combine(previous: str, question: str) -> str:
    """The text to ask for *question* read as a follow-up of *previous* (its last
    :data:`CONTEXT_CHARS` characters)."""
    return f"{previous.strip()[-CONTEXT_CHARS:].strip()} {question.strip()}"
