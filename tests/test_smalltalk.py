"""Small talk (greetings, thanks, questions about the chatbot) is told apart from questions, and
the engine and the app answer it with what the chatbot is for."""

import pytest

from qa.smalltalk import about_interview, about_kind, is_small_talk


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


NAMES = ("湯道生", "Dowson Tong (Tang Daosheng)")


@pytest.mark.parametrize("text", [
    "这篇采访讲了什么?", "Summarize the interview", "汤道生是谁?", "Who is Dowson Tong?",
    "你好,这篇采访讲了什么?", "What is the interview about?", "what topics does the interview cover?",
    "這篇訪談的主要內容是什麼?", "湯道生是誰", "who is tong?", "Who is Tang Daosheng?",
    "我可以问什么?", "总结一下这篇文章", "who was interviewed?", "那汤道生是谁?",
    "Summarize the interview in 3 bullet points", "请总结一下这篇采访成三点",
    "can you summarize this article briefly", "Who is Mr. Tong?", "Who is Tang?",
    "汤道生的背景是什么?",
    # when, by whom, where it was published: the article's head answers
    "这篇采访的记者是谁?", "這篇訪談是什麼時候的?", "When was this interview published?",
    "Who interviewed Dowson Tong?", "谁采访了汤道生?", "汤道生是谁采访的?", "文章的作者是谁",
    "这篇文章是哪家媒体的?", "Which newspaper published the interview?",
    "What is the title of the article?", "记者是谁?", "記者是誰?", "作者是谁",
])
def test_questions_about_the_interview_itself(text):
    assert about_interview(text, NAMES)


@pytest.mark.parametrize("text", [
    "汤道生怎么看中台?", "What did Tong say about ERP?", "Who is Lu Shan?",
    "Where did this interview take place?", "When was Tencent Cloud founded?",
    "Who interviewed the customers?", "汤道生什么时候拜访客户?", "这篇报道提到的中台是什么?", "把这篇采访全文翻译成英文", "汤道生是谁提拔的?",
    "丁珂是誰?這篇採訪為什麼會提到他?", "你好", "Tell me about Tong's views on ERP", "",
    "文章里说的腾讯交付中心在哪个城市?",
])
def test_questions_on_the_content_are_not_about_the_interview(text):
    assert not about_interview(text, NAMES)


@pytest.mark.parametrize(("text", "kind"), [
    ("When was this interview?", "article"), ("记者是谁?", "article"),
    ("這篇訪談是什麼時候的?", "article"), ("汤道生是谁采访的?", "article"),
    ("Which newspaper published the interview?", "article"), ("你好,作者是谁?", "article"),
    ("这篇采访讲了什么?", "interview"), ("Who is Dowson Tong?", "interview"),
    ("这篇采访讲了什么?作者是谁?", "interview"),  # more than the head: the whole about reply
    ("汤道生怎么看中台?", None), ("你好", None),
])
def test_a_question_on_the_articles_head_alone_is_told_apart(text, kind):
    assert about_kind(text, NAMES) == kind


def test_the_engine_answers_a_question_on_the_articles_head_with_the_head(real_engine, capsys):
    from types import SimpleNamespace

    from qa.cli import _emit

    when = real_engine.ask("When was this interview?")
    assert when.reason_code == "about" and not when.answered
    assert "22.05.2019" in when.reason and "By Liu Jia | Yicai" in when.reason  # the English head
    who = real_engine.ask("这篇采访的记者是谁?")
    assert "作者 | 第一財經 劉佳" in who.reason and "By Liu Jia" not in who.reason
    _emit(when, SimpleNamespace(json=False), real_engine)
    out = capsys.readouterr().out
    assert "By Liu Jia | Yicai" in out and "What is the interview about?" in out
    assert "took charge of the Cloud and Smart Industries Group" not in out  # no whole lead
    summary = real_engine.ask("这篇采访讲了什么?")
    assert "22.05.2019" not in summary.reason  # the general reason; the reply shows the lead


def test_who_is_needs_the_interviewees_names():
    assert not about_interview("Who is Dowson Tong?")  # no names given: no "who is" form
    assert about_interview("这篇采访讲了什么?")


def test_about_is_quick_on_long_repeats():
    import time

    start = time.perf_counter()
    for text in ["这篇采访" * 800 + "x", "那" * 3000 + "汤道生是谁x", "who is " * 500 + "x"]:
        assert not about_interview(text, NAMES)
    assert time.perf_counter() - start < 0.05


def test_the_engine_answers_about_the_interview_with_its_introduction(real_engine, capsys):
    from types import SimpleNamespace

    from qa.cli import _emit
    from ui.handlers import Handlers

    about = real_engine.ask("Who is Dowson Tong?")
    assert not about.answered and about.reason_code == "about" and about.confidence == 0.0
    assert about.aside and about.anchor_after("腾讯会自己做ERP吗") == "腾讯会自己做ERP吗"
    _emit(about, SimpleNamespace(json=False), real_engine)
    out = capsys.readouterr().out
    assert "took charge of the Cloud and Smart Industries Group" in out  # the English lead
    assert "[p07] 騰訊沒有中臺能力是“誤解”" in out  # a topic
    assert "22.05.2019" in out and "By Liu Jia | Yicai" in out  # the article's head
    _, history = Handlers(lambda: real_engine).respond("这篇采访讲了什么?", [])
    reply = history[-1]["content"]
    assert "湯道生執掌雲與智慧產業事業羣" in reply and ">导读</summary>" in reply
    assert '<p class="about-head">22.05.2019 · ' in reply and "作者 | 第一財經 劉佳" in reply
    assert reply.count('class="ask-link"') == len(real_engine.interview.sections)


def test_the_lead_summary_starts_where_the_interviewee_is_named():
    from qa.corpus import lead_summary

    lead = ["22.05.2019", "By Liu Jia | Yicai", "Eight months on, Dowson Tong runs CSIG.",
            "He visits customers.", "Later paragraph."]
    names = ("湯道生", "Dowson Tong (Tang Daosheng)")
    assert lead_summary(lead, names) == ("Eight months on, Dowson Tong runs CSIG.",
                                         "He visits customers.")
    assert lead_summary(["Counting down", "Tong said so."], names) == ("Tong said so.",)
    assert lead_summary(["x", "y", "z"], names) == ("x", "y")  # nobody named: the start
    assert lead_summary(["作者 | 劉佳", "湯道生執掌CSIG。", "他拜訪客戶。"], names, n=1) == (
        "湯道生執掌CSIG。",)


def test_the_article_head_is_the_short_lines_before_the_interviewee_is_named():
    from qa.corpus import article_head

    names = ("湯道生", "Dowson Tong (Tang Daosheng)")
    lead = ["22.05.2019", " ", "By Liu Jia | Yicai", "Eight months on, Dowson Tong runs CSIG."]
    assert article_head(lead, names) == ("22.05.2019", "By Liu Jia | Yicai")
    assert article_head(["x", "y"], names) == ()  # nobody named: no head to tell apart
    assert article_head(["Tong said so.", "22.05.2019"], names) == ()  # named at once
    prose = "A long opening paragraph that tells a story before it gets to the interviewee. " * 3
    assert article_head(["22.05.2019", prose, "Tong said so."], names) == ()


def test_a_question_about_the_interview_is_no_topic_to_follow_up_on(real_engine):
    """Like small talk, it is not what "为什么?" leans on: the context reply, not the
    introduction again."""
    why = real_engine.ask("为什么?", previous="这篇采访讲了什么?")
    assert why.reason_code == "context" and why.read_with is None


def test_the_about_reply_in_english_and_for_an_interview_without_introduction(real_engine):
    from qa.engine import Answer
    from qa.parsing import Interview, QAPair
    from ui import render
    from ui.handlers import Handlers

    _, history = Handlers(lambda: real_engine).respond("Who is Dowson Tong?", [])
    reply = history[-1]["content"]
    assert "took charge of the Cloud and Smart Industries Group" in reply  # the English lead
    assert "On talent standards: more than just delivering" in reply  # an English topic
    assert "quoted below" in reply
    # no introduction and no section headings: no "below", and the questions as the topics
    bare = Interview(pairs=(QAPair("p1", "", "Q", "Why ERP?", ("Because.",)),
                            QAPair("p2", "", "Q", "Why cloud?", ("So.",))),
                     context=(), source="x.jsonl", speakers=())
    answer = Answer(question="What is the interview about?", answered=False, confidence=0.0,
                    hits=(), reason_code="about")
    html = render.about_reply(answer, bare, {}, intro=(), names=())
    assert "below" not in html and "has no introduction" in html and "<details" not in html
    assert html.count('class="ask-link"') == 2 and "Why cloud?" in html


def test_words_every_exchange_uses_or_only_his_name_get_the_about_reply(real_engine):
    """"Tencent", "腾讯" or "汤道生" alone chooses no exchange (every one says Tencent; none is
    about his name): the about reply, not an arbitrary exchange at a high confidence. A follow-up
    form, or a word that picks exchanges, is asked as usual."""
    for text in ("Tencent", "腾讯", "汤道生", "Tong", "腾讯 客户"):
        a = real_engine.ask(text)
        assert a.reason_code == "about" and not a.answered, text
        assert a.reason.startswith("Every exchange of the interview talks about that"), text
    assert real_engine.ask("汤道生怎么看?").reason_code != "about"  # leans on a question before
    cloud = real_engine.ask("腾讯云")
    assert cloud.reason_code is None and cloud.hits[0].pair_id == "p13"
    after = real_engine.ask_many(["汤道生怎么看?"], previous=["腾讯会自己做ERP吗"])[0]
    assert after.read_with and after.hits[0].pair_id == "p10"
