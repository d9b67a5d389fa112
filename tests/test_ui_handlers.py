"""The app's handlers as plain functions: no server, the hashing encoder instead of a model."""

import dataclasses
import re
import threading
import time

import pytest

from qa.engine import Engine
from qa.evidence import escape
from qa.text import to_simplified
from ui.handlers import EMPTY_PROMPT, Handlers


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine.create(model="hashing", cache_dir=tmp_path_factory.mktemp("hashing"))


class Answering:
    """The hashing engine with every answer counted as answered (its own confidence is ~0)."""

    def __init__(self, engine):
        self._engine = engine

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def ask(self, question, top_k=5, mode="hybrid"):
        a = self._engine.ask(question, top_k=top_k, mode=mode)
        return dataclasses.replace(a, answered=bool(a.hits), confidence=0.93 if a.hits else 0.0)


class Exploding(Answering):
    def ask(self, question, top_k=5, mode="hybrid"):
        if "boom" in (question or ""):
            raise RuntimeError("index on fire")
        return super().ask(question, top_k, mode)


@pytest.fixture()
def handlers(engine):
    return Handlers(lambda: engine)


def plain(html):
    """The text of *html* with tags dropped (entities kept)."""
    return re.sub(r"<[^>]+>", "", html)


def texts(history):
    return [m["content"] for m in history]


def test_empty_message_gets_a_gentle_prompt_and_no_user_bubble(handlers):
    box, history = handlers.respond("   \n ", [])
    assert box == "" and len(history) == 1
    assert history[0]["role"] == "assistant" and escape(EMPTY_PROMPT) in history[0]["content"]


def test_answer_shows_verbatim_answer_question_section_confidence_and_highlights(engine):
    h = Handlers(lambda: Answering(engine))
    pair = engine.interview.pairs[9]
    _, history = h.respond(pair.question, [])
    user, reply = history
    assert user["role"] == "user" and reply["role"] == "assistant" and "options" not in reply
    html = reply["content"]
    text = plain(html)
    for para in pair.answer_paragraphs:
        assert escape(para) in text
    assert escape(pair.section) in html and "93% confidence" in html and "conf-high" in html
    assert '<mark class="ev-term">' in html and 'class="ev-para ev-best"' in html
    assert 'class="ev-simp"' in html and escape(to_simplified(pair.answer_paragraphs[0])) in text
    assert "English edition" in html


def test_history_accumulates_across_turns(engine):
    h = Handlers(lambda: Answering(engine))
    _, history = h.respond("騰訊的中臺", [])
    _, history = h.respond("What about Tencent Cloud?", history)
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
    assert "<details class=\"ev-en\" open>" in history[-1]["content"]  # English query: open


def test_abstention_says_not_covered_and_offers_nearest_questions(handlers, engine):
    _, history = handlers.respond("今天天气怎么样", [])
    reply = history[-1]
    assert "does not cover this" in reply["content"]
    questions = {" ".join(p.question.split()) for p in engine.interview.pairs}
    assert 1 <= len(reply["options"]) <= 3
    assert all(o["value"] in questions for o in reply["options"])
    # an English query gets the English wording of the nearest questions
    _, history = handlers.respond("how do I bake bread", [])
    english = {" ".join(t.question.split()) for t in engine.translation.values()}
    assert all(o["value"] in english for o in history[-1]["options"])


def test_clicking_a_follow_up_asks_it(handlers, engine):
    _, history = handlers.respond("今天天气怎么样", [])
    option = history[-1]["options"][0]["value"]
    _, history = handlers.respond(option, history)
    assert len(history) == 4 and escape(option) in history[2]["content"]


def test_html_in_a_question_is_shown_as_text(handlers):
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    _, history = handlers.respond(evil, [])
    for content in texts(history):
        assert "<img" not in content and "<script" not in content
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in history[0]["content"]


def test_very_long_question_is_truncated_with_a_notice(handlers):
    _, history = handlers.respond("騰訊雲" * 2000, [])
    assert "only the first 2000 were used" in history[-1]["content"]
    assert "6,000 characters in all" in history[0]["content"]
    assert len(history[0]["content"]) < 2000


def test_one_users_error_stays_in_their_reply(engine):
    h = Handlers(lambda: Exploding(engine))
    _, broken = h.respond("boom", [])
    assert "Sorry, something went wrong" in broken[-1]["content"]
    assert "index on fire" not in broken[-1]["content"]  # internals are logged, not shown
    _, fine = h.respond("騰訊的中臺", [])
    assert "confidence" in fine[-1]["content"] and "Sorry" not in fine[-1]["content"]
    assert "Sorry" in h.compare("boom", 3) and "Sorry" in h.compare_modes("boom")


def test_engine_that_fails_to_load_gives_a_message_and_is_retried(engine):
    from qa.errors import ModelUnavailableError

    calls = []

    def factory():
        calls.append(1)
        if len(calls) == 1:
            raise ModelUnavailableError("model X is not available offline")
        return engine

    h = Handlers(factory)
    _, history = h.respond("騰訊的中臺", [])
    assert "model X is not available offline" in history[-1]["content"]
    _, history = h.respond("騰訊的中臺", [])
    assert "Sorry" not in history[-1]["content"] and len(calls) == 2


def test_engine_is_created_once_under_concurrent_first_use(engine):
    calls = []

    def slow_factory():
        calls.append(1)
        time.sleep(0.2)
        return engine

    h = Handlers(slow_factory)
    threads = [threading.Thread(target=h.respond, args=("騰訊", [])) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1


def test_compare_shows_top_k_side_by_side_with_every_signal(handlers):
    html = handlers.compare("騰訊雲的競爭對手", 4)
    assert html.count('class="card"') == 4
    for rank in range(1, 5):
        assert f'<span class="rank">#{rank}</span>' in html
    assert html.count("chip-fused") == html.count("chip-dense") == html.count("chip-lex") == 4
    assert "prompt" in handlers.compare("", 4)


def test_compare_modes_shows_each_mode_and_rank_moves(handlers):
    html = handlers.compare_modes("騰訊雲的競爭對手", 5)
    for mode in ("hybrid", "dense", "lexical"):
        assert f'<div class="mode">{mode}</div>' in html
    assert html.count('class="mcell"') == 15


def test_browse_lists_all_thirteen_exchanges_by_section(handlers, engine):
    html = handlers.browse()
    assert html.count('class="b-pair"') == len(engine.interview.pairs) == 13
    for section in engine.interview.sections:
        assert escape(section) in html
    assert html.index(escape(engine.interview.pairs[0].question)) < html.index(
        escape(engine.interview.pairs[12].question))


def test_api_ask_is_the_qa_ask_contract(handlers, engine):
    for q in ("腾讯会自己做ERP吗", "What does Tencent look for in talent?"):
        assert handlers.api_ask(q, 3) == engine.ask(q, top_k=3).to_dict()
    empty = handlers.api_ask("", 5)
    assert empty["answered"] is False and empty["hits"] == [] and empty["notice"]


def test_a_decline_for_a_name_or_figure_says_so(handlers, engine):
    from qa.answertype import DECLINE_REASONS

    saved = engine.calibration
    # only the answer type decides: flagged questions are declined, the rest answered
    engine.calibration = dataclasses.replace(saved, coef={"factoid": -10.0}, bias=5.0,
                                             threshold=0.5)
    try:
        _, history = handlers.respond("谁接替了汤道生在社交网络事业群的位置?", [])
        reply = history[-1]["content"]
        assert "does not cover this" in reply
        assert escape(DECLINE_REASONS["party"]) in reply
        assert escape(DECLINE_REASONS["party"]) in handlers.compare(
            "谁接替了汤道生在社交网络事业群的位置?", 3)  # the Compare tab says it too
        engine.calibration = dataclasses.replace(engine.calibration, bias=-5.0)  # declines all
        _, history = handlers.respond("谁接替了汤道生在社交网络事业群的位置?", [])
        assert "does not cover this" in history[-1]["content"]
        assert "abstain-reason" not in history[-1]["content"]  # not the reason: none claimed
    finally:
        engine.calibration = saved
