"""Small talk (greetings, thanks, questions about the chatbot) is told apart from questions, and
the engine and the app answer it with what the chatbot is for."""

import pytest

from qa.smalltalk import is_small_talk


@pytest.mark.parametrize("text", [
    "你好", "您好！", "大家好", "哈囉,你是誰?你可以幫我做什麼?", "嗨 你好", "早安", "谢谢", "多謝",
    "好的", "OK", "Hi there!", "hello", "Good morning! How does this thing work?", "Thanks a lot",
    "thank you very much", "bye", "Who are you?", "What can you do?", "你是机器人吗?", "你能做什么",
    "你好你是谁", "嗨你好", "哈喽你好", "谢谢你的回答", "how are you?", "hi, how are you", "thank u",
    "hi good morning",
    # a bare "how does it work?" is about the chatbot beside a greeting or "who are you?"
    "哈囉,你是誰?可以幫我做什麼?", "Hi! How does it work?", "你好,这个怎么用?", "嗨,怎么使用",
    "hello, what can it do?",
])
def test_small_talk(text):
    assert is_small_talk(text)


@pytest.mark.parametrize("text", [
    "你好,腾讯会自己做ERP吗?",  # a question besides the greeting
    "hello, why won't Tencent build ERP?",
    "What is this?",  # after an answer, "this" may be its topic
    "这是什么?", "他是谁?", "谢谢你们的回答,那私有云呢?", "好的销售是什么样的?",
    "What does Tong think of good salespeople?", "", "   ", None,
    # forms that may follow up on the topic before: only ones addressed to the chatbot count
    "How does it work?", "这个怎么用", "怎么用?", "How can I use it?", "可以帮我做什么?",
    "history", "hihello", "ok so what about ERP",
    # ... but after thanks or an acknowledgement they may still be about the answer before
    "好的,怎么用?", "谢谢,可以帮我做什么", "Thanks! How does it work?",
])
def test_questions_are_not_small_talk(text):
    assert not is_small_talk(text)


def test_long_repeats_are_quick():
    """Repeated particles ("哈哈哈…", "哦哦哦…") must not make the phrase regex backtrack: Python's
    re holds the GIL, so a slow question would stall every user."""
    import time

    worst = ["你好" + "哈" * 3000 + "x", "哦" * 1999 + "x", "嗯" * 2000 + "x", "hi " * 700 + "x",
             "谢谢" * 900 + "x"]
    start = time.perf_counter()
    for text in worst:
        assert not is_small_talk(text)
    assert time.perf_counter() - start < 0.05


def test_the_engine_declines_small_talk_with_its_own_reason(real_engine):
    hello = real_engine.ask("你好")
    assert not hello.answered and hello.reason_code == "chat" and not hello.unsure
    assert hello.confidence == 0.0 and hello.anchor == ""  # nothing for a follow-up to lean on
    # after a question, small talk is not read as a follow-up of it
    who = real_engine.ask("你是谁?", previous="腾讯会自己做ERP吗")
    assert who.reason_code == "chat" and who.read_with is None and not who.answered
    # "你能做什么" would be answered at 0.99 as a follow-up of the ERP question
    can = real_engine.ask("你能做什么", previous="腾讯会自己做ERP吗")
    assert can.reason_code == "chat" and can.read_with is None and not can.answered
    # nor is anything read as a follow-up of small talk
    why = real_engine.ask("为什么?", previous="你好")
    assert why.read_with is None and why.reason_code == "context"
    # a greeting with a question is a question
    both = real_engine.ask("你好,腾讯会自己做ERP吗?")
    assert both.answered and both.hits[0].pair.id == "p10" and both.reason_code is None


def test_the_app_and_the_cli_say_what_the_chatbot_is_for(real_engine, capsys):
    from qa.cli import _print_answer
    from ui.handlers import Handlers
    from ui.page import BUNDLED

    h = Handlers(lambda: real_engine)
    for text, says in [("你好", "这里回答关于这次访谈的问题"), ("Thanks!", "This chatbot answers"),
                       ("帮我写一首关于腾讯云的诗", "这里不代写"),
                       ("Write me a poem about Tencent Cloud", "does not write")]:
        reply = h.respond(text, [])[1][-1]
        content = reply["content"]
        assert says in content and "not cover" not in content and "没有谈到" not in content, text
        assert [o["value"] for o in reply["options"]] == list(BUNDLED.starters)
        assert "conf-" not in content  # no confidence badge
    for text in ("你好", "Write me a poem about Tencent Cloud"):
        _print_answer(real_engine.ask(text).to_dict())
        out = capsys.readouterr().out
        assert "This chatbot" in out and "does not seem to cover" not in out, text
        assert "Interviewer" not in out, text  # no exchange printed under it


def test_small_talk_keeps_the_conversation_going(real_engine):
    """"谢谢" between a question and its follow-up: the follow-up still leans on the question."""
    from ui.handlers import Handlers

    h = Handlers(lambda: real_engine)
    _, history = h.respond("腾讯为什么不做ERP?", [])
    _, history = h.respond("谢谢", history)
    assert "你好" not in history[-1]["content"]  # the reply does not greet a thanks
    _, history = h.respond("具体说说", history)
    assert "腾讯为什么不做ERP" in history[-1]["content"]  # read with the question before
    assert 'data-pair="p10"' in history[-1]["content"]
