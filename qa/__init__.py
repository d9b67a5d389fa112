"""Ask the May 2019 Yicai interview with 湯道生 (Dowson Tong, Tencent CSIG) a question.

    >>> import qa
    >>> result = qa.ask("腾讯会自己做ERP吗")
    >>> result["answered"], result["hits"][0]["pair_id"]
    >>> qa.ask("他这样划边界的理由是什么", previous="腾讯会自己做ERP吗")["read_with"]
    >>> chat = qa.Conversation()     # or let it carry the conversation
    >>> chat.ask("腾讯会自己做ERP吗"); chat.ask("为什么?")["read_with"]

:func:`ask` returns exactly the JSON object ``python -m qa ask --json`` prints. The engine (model,
indexes) is created on first use and reused; heavy libraries are imported only then. A question
that is neither a string nor None is refused with ``TypeError``, an unknown mode with
``ValueError``, both before any model loads.
"""

from __future__ import annotations

__all__ = ["Conversation", "ask"]


def ask(question: str | None, top_k: int = 5, *, mode: str = "hybrid",
        previous: str | None = None) -> dict:
    """Answer *question* from the interview; see :mod:`qa.engine` for the fields.

    An empty question (``""``, blank, or ``None``) returns ``answered: False`` with no hits; it
    does not raise. Anything else that is not a ``str`` raises ``TypeError``.

    In a conversation, pass the question asked just before as *previous* (in a chain, the
    previous result's ``read_with`` when it has one, else its ``question``, so that the chain
    stays on the question that set the topic): a follow-up that leans
    on it ("他为什么这么说?", "这样划边界的理由是什么?", "Tell me more") is then read together with it,
    and ``read_with`` says so. :class:`Conversation` does the bookkeeping.
    """
    return _answer(question, top_k, mode, previous).to_dict()


def _answer(question, top_k, mode, previous):  # -> qa.engine.Answer, checked as ask() says
    if question is not None and not isinstance(question, str):
        hint = ("decode it first, e.g. qa.ask(question.decode('utf-8'))"
                if isinstance(question, bytes | bytearray)
                else "pass its text, e.g. qa.ask('腾讯会自己做ERP吗'), one question per call")
        raise TypeError(
            f"the question must be a string (str), not {type(question).__name__}; {hint}")
    if previous is not None and not isinstance(previous, str):
        raise TypeError(f"previous must be the earlier question's text (str) or None, "
                        f"not {type(previous).__name__}")
    from qa.config import MODES, check_top_k

    check_top_k(top_k)  # before the model loads
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    from qa.engine import Answer, clean_question, default_engine

    if not clean_question(question)[0]:
        return Answer(question="", answered=False, confidence=0.0, hits=(),
                      notice="the question is empty", mode=mode)
    return default_engine().ask(question, top_k=top_k, mode=mode, previous=previous)


class Conversation:
    """A conversation, as the web app's chat and ``ask --chat`` hold one: each question is read
    with the one before, so "为什么?" or "Tell me more" follows up on the topic.

        >>> chat = qa.Conversation()
        >>> chat.ask("腾讯会自己做ERP吗")["hits"][0]["pair_id"]
        >>> chat.ask("为什么?")["read_with"]      # "腾讯会自己做ERP吗"
        >>> chat.ask("谢谢"); chat.ask("Tell me more")["read_with"]  # small talk keeps the topic

    :meth:`ask` returns what :func:`ask` does; ``previous`` is what the next question will be
    read with (``None`` before the first question, after :meth:`reset`, or when nothing can be
    followed up on). Not for sharing between users: make one per conversation.
    """

    def __init__(self, top_k: int = 5, *, mode: str = "hybrid") -> None:
        self.top_k, self.mode = top_k, mode
        self.previous: str | None = None

    def ask(self, question: str | None) -> dict:
        """Answer *question* read with the conversation so far, and remember it."""
        answer = _answer(question, self.top_k, self.mode, self.previous)
        if answer.question:  # an empty question changes nothing
            self.previous = answer.anchor_after(self.previous) or None
        return answer.to_dict()

    def reset(self) -> None:
        """Start again: the next question is read on its own."""
        self.previous = None
