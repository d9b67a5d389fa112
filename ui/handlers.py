"""The app's behaviour as plain functions: widget values in, widget values out.

:class:`Handlers` wraps one engine (created lazily, once, thread-safe, from ``engine_factory``) and
offers what the widgets call: :meth:`~Handlers.respond` (chat), :meth:`~Handlers.compare`,
:meth:`~Handlers.compare_modes`, :meth:`~Handlers.browse`, :meth:`~Handlers.page` (what the page
says about the interview served, :mod:`ui.page`) and :meth:`~Handlers.api_ask` (the JSON contract
of :func:`qa.ask`). None of them needs a server, so tests call them directly.

Errors stay with the user who caused them: a failure inside a UI handler becomes a friendly message
in that user's output and a log line; nothing is shared between sessions but the engine, which is
safe for concurrent use. Only :meth:`~Handlers.api_ask` raises, as ``gradio.Error``, so that API
clients see a failed call rather than a JSON object that is not the contract.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from qa.config import check_top_k
from qa.engine import Engine, clean_question
from qa.errors import QAError
from qa.text import detect_language, split_names, strip_markup
from ui import render
from ui.i18n import status_line, t
from ui.page import UNKNOWN, Page, page_for

log = logging.getLogger(__name__)

Message = dict[str, Any]
EMPTY_PROMPT = ("Type a question about the interview, in Chinese or English. "
                "请输入关于访谈的问题，中文或英文均可。")  # the page may be in either language
DEFAULT_TOP_K = 5


class Handlers:
    """UI handlers over one lazily created :class:`~qa.engine.Engine`."""

    def __init__(self, engine_factory: Callable[[], Engine]) -> None:
        self._factory = engine_factory
        self._engine: Engine | None = None
        self._page: Page | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The engine, created on first use by exactly one thread."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = self._factory()
        return self._engine

    @property
    def threshold(self) -> float:
        return float(self.engine.effective_calibration.threshold)

    def page(self) -> Page:
        """What the page says about the interview served (header, welcome, examples, the
        interviewee's label); a neutral page while the engine cannot be created."""
        if self._page is None:
            page, _ = _attempt(lambda: page_for(self.engine.interview))
            if page is None:
                return UNKNOWN
            self._page = page
        return self._page

    # -- Ask ------------------------------------------------------------------------------------
    def respond(self, message: str | None, history: list[Message] | None
                ) -> tuple[str, list[Message]]:
        """One chat turn: returns the cleared textbox and the history with the new messages.

        The user's message is appended as escaped text; the reply is the top answer with evidence,
        or (when the engine abstains) a "not covered" / "not sure" note that lists the nearest
        questions, each asked by a click; small talk, a request to write something and a follow-up with nothing
        before it get one line on what the chatbot is for, with the starters as options.
        An empty message adds nothing (the input box's placeholder already says what to do).
        """
        history = list(history or [])
        if not clean_question(message)[0]:
            return "", history
        result, error = _attempt(self._reply, message or "",
                                 render.anchor_of(_last(history, "user")),
                                 render.pair_of(_last(history, "assistant")),
                                 language=detect_language(strip_markup(message or "")))
        reply, anchor = result or ({"role": "assistant",
                                    "content": render.message_box(error or "", "error")}, None)
        history.append({"role": "user",
                        "content": render.user_bubble((message or "").strip(), anchor)})
        history.append(reply)
        return "", history

    def _reply(self, text: str, previous: str | None, shown: str | None = None
               ) -> tuple[Message, str | None]:
        """The reply to *text*, a follow-up of *previous* when it leans on it (folded when it
        shows *shown*, the exchange of the reply just above), and what the next turn follows up on
        (:attr:`~qa.engine.Answer.anchor`)."""
        answer = self.engine.ask(text, top_k=DEFAULT_TOP_K, previous=previous)
        speaker = self.page().speaker
        # "Dowson Tong" of "Dowson Tong (Tang Daosheng)", for an English question
        english = next(iter(split_names(self.engine.front.speakers)), "")
        # a cleaned question (at most MAX_QUESTION_CHARS), or the one before small talk
        anchor = answer.anchor_after(previous) or None
        if answer.answered:
            return {"role": "assistant",
                    "content": render.answer_reply(
                        answer, self.threshold, speaker,
                        repeat=answer.hits[0].pair.id == shown,
                        quoted=self.page().text("quoted", answer.language),
                        speaker_en=english)}, anchor
        if answer.reason_code == "about":  # the article's introduction and the topics
            e = self.engine
            return {"role": "assistant",
                    "content": render.about_reply(answer, e.interview, e.translation,
                                                  e.introduction(answer.language),
                                                  e.speaker_names)}, anchor
        if answer.aside:
            # nothing to follow, small talk or a request to write something: what this is for,
            # and the starters, rather than "not covered" with unrelated exchanges
            return {"role": "assistant", "content": render.context_reply(answer),
                    "options": [{"value": q, "label": q} for q in self.page().starters]}, anchor
        return {"role": "assistant",
                "content": render.abstain_reply(answer, self.threshold, speaker, english)}, anchor

    # -- Compare --------------------------------------------------------------------------------
    def compare(self, question: str | None, top_k: float = DEFAULT_TOP_K,
                labels: str | None = None) -> str:
        """The top-k hybrid answers side by side, as HTML; the names of the mode and the scores
        in *labels*, the page's language (None: the question's)."""
        def run() -> str:
            answer = self.engine.ask(question, top_k=_k(top_k))
            if not answer.hits:
                return render.message_box(EMPTY_PROMPT, "prompt")
            return render.compare_cards(answer, self.threshold, labels)

        return _html(run)

    def compare_modes(self, question: str | None, top_k: float = DEFAULT_TOP_K,
                      labels: str | None = None) -> str:
        """The same question under each retrieval mode (hybrid, dense, lexical, and sparse when
        the model has the latent-term head), as HTML; the modes named in *labels*, the page's
        language (None: the question's)."""
        def run() -> str:
            k = _k(top_k)
            answers = {m: self.engine.ask(question, top_k=k, mode=m) for m in self.engine.modes}
            return render.modes_table(answers, self.threshold, labels)

        return _html(run)

    # -- Browse ---------------------------------------------------------------------------------
    def browse(self, language: str = "en") -> str:
        """The whole interview as HTML, its own labels in *language* (the page's)."""
        def run() -> str:
            e = self.engine
            return render.browse_page(e.interview, e.translation, e.interview.context,
                                      e.front.lead, speaker=self.page().speaker,
                                      language=language)

        return _html(run)

    def _facts(self) -> tuple[dict[str, Any] | None, str | None]:
        def run() -> dict[str, Any]:
            e = self.engine
            return {"n": len(e.interview), "model": e.encoder.model_id,
                    "pct": round(100 * self.threshold)}

        return _attempt(run)

    def status_facts(self) -> dict[str, Any] | None:
        """What the status line says (``n`` exchanges, ``model``, the abstention threshold as
        ``pct``), for :func:`ui.i18n.status_line`; None while the engine cannot be created."""
        return self._facts()[0]

    def status(self) -> str:
        """One line about what is being served (model, exchanges, abstention threshold), in
        English, or why the engine could not be created."""
        facts, error = self._facts()
        return status_line("en", facts) if facts else error or ""

    # -- API ------------------------------------------------------------------------------------
    def api_ask(self, question: str, top_k: int = DEFAULT_TOP_K, previous: str = "") -> dict:
        """The same JSON object as :func:`qa.ask` (``Answer.to_dict()``); *previous* is the
        question asked just before, for a follow-up (empty: none)."""
        if isinstance(top_k, float) and top_k.is_integer():
            top_k = int(top_k)  # a JSON client may send 3.0 for 3; otherwise as qa.ask checks it
        try:
            if question is not None and not isinstance(question, str):
                raise TypeError(f"the question must be text (a JSON string), not "
                                f"{type(question).__name__}; e.g. \"腾讯会自己做ERP吗\"")
            if previous is not None and not isinstance(previous, str):
                raise TypeError(f"previous must be the earlier question's text (a JSON string) "
                                f"or empty, not {type(previous).__name__}")
            check_top_k(top_k)
        except (TypeError, ValueError) as exc:
            result, error = None, str(exc)
        else:
            result, error = _attempt(lambda: self.engine.ask(question or "", top_k=top_k,
                                                                previous=previous or None))
        if error is not None:
            import gradio as gr

            raise gr.Error(error)
        return result.to_dict()


def _attempt(fn: Callable[..., Any], *args: Any, language: str = "en"
             ) -> tuple[Any, str | None]:
    """``(fn(*args), None)``, or ``(None, friendly message in *language*)`` if it raised. This is
    the UI boundary: whatever goes wrong is logged and stays in the output of the user who caused
    it."""
    try:
        return fn(*args), None
    except Exception as exc:  # noqa: BLE001 - the boundary; see the docstring
        return None, _friendly(exc, language)


def _last(history: list[Message], role: str) -> object:
    """The content of the last message of *role* in *history* (None at the start): the user's
    carries what a follow-up is read with (:func:`ui.render.anchor_of`), the assistant's the
    exchange it showed (:func:`ui.render.pair_of`)."""
    for m in reversed(history):
        if isinstance(m, dict) and m.get("role") == role:
            return m.get("content")
    return None


def _html(fn: Callable[[], str]) -> str:
    html, error = _attempt(fn)
    return html if error is None else render.message_box(error, "error")


def _k(top_k: Any) -> int:
    """The Compare slider's value (a float from the page) as a count, clamped to >= 1."""
    try:
        return max(1, int(top_k))
    except (TypeError, ValueError, OverflowError):  # None, "abc", NaN, inf
        return DEFAULT_TOP_K


def _friendly(exc: Exception, language: str = "en") -> str:
    if isinstance(exc, QAError):  # its own text says what to do (in English)
        log.warning("user-facing error: %s", exc)
        return t("error_qa", language, detail=exc)
    log.exception("handler failed")
    return t("error", language)
