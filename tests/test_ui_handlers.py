"""The app's handlers as plain functions: no server, the hashing encoder instead of a model
(except for the bundled example questions, which are checked on the real model)."""

import dataclasses
import html
import json
import re
import shutil
import threading
import time
from html.parser import HTMLParser

import pytest

from qa import config
from qa.engine import Answer, Engine
from qa.errors import QAError
from qa.evidence import aligned_simplified, escape
from qa.text import detect_language, to_simplified, to_traditional
from ui import render
from ui.handlers import EMPTY_PROMPT, Handlers
from ui.page import BUNDLED, UNKNOWN


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine.create(model="hashing", cache_dir=tmp_path_factory.mktemp("hashing"))


class Answering:
    """The hashing engine with every answer counted as answered (its own confidence is ~0)."""

    def __init__(self, engine):
        self._engine = engine

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def ask(self, question, top_k=5, mode="hybrid", previous=None):
        a = self._engine.ask(question, top_k=top_k, mode=mode, previous=previous)
        return dataclasses.replace(a, answered=bool(a.hits), confidence=0.93 if a.hits else 0.0)


class Exploding(Answering):
    def ask(self, question, top_k=5, mode="hybrid", previous=None):
        if "boom" in (question or ""):
            raise RuntimeError("index on fire")
        return super().ask(question, top_k, mode, previous)


@pytest.fixture()
def handlers(engine):
    return Handlers(lambda: engine)


def plain(html):
    """The text of *html* with tags dropped (entities kept)."""
    return re.sub(r"<[^>]+>", "", html)


class Copied(HTMLParser):
    """The text a chat reply's copy button copies (``ui.app.COPY_AS_TEXT``), as the browser
    reads it with the Simplified copy off: without what is marked ``no-copy``, the hidden
    Simplified copy, and what a closed ``<details>`` folds (unless it is marked ``copy-open``),
    with what is marked ``copy-only``; blocks on lines of their own."""

    BLOCKS = frozenset({"div", "p", "li", "ol", "details", "summary"})

    def __init__(self, html_: str) -> None:
        super().__init__()
        self.stack: list[tuple[bool, bool]] = []  # per open element: hidden, folds its content
        self.parts: list[str] = []
        self.feed(html_)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        hidden, folding = self.stack[-1] if self.stack else (False, False)
        hidden = (hidden or "no-copy" in classes or "ev-simp" in classes
                  or (folding and tag != "summary"))
        folds = tag == "details" and "open" not in a and "copy-open" not in classes
        self.stack.append((hidden, folds))
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        self.stack.pop()
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not (self.stack and self.stack[-1][0]):
            self.parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\n{2,}", "\n", "".join(self.parts)).strip()


# An exchange's id ("p10") in copied text, where it would run into the Chinese after it.
EXCHANGE_ID = r"(?<![A-Za-z])p\d\d(?!\d)"
# What a copied answer ends with, written out here so that a missing translation fails.
QUOTED = {"zh-Hans": "— 汤道生，2019 年 5 月接受第一财经专访",
          "zh-Hant": "— 湯道生，2019 年 5 月接受第一財經專訪",
          "en": "— 湯道生 (Dowson Tong), interviewed by 第一財經 (Yicai), May 2019"}


def failing_once(engine):
    """An engine factory whose first call fails as an unavailable model does, and its call log."""
    from qa.errors import ModelUnavailableError

    calls = []

    def factory():
        calls.append(1)
        if len(calls) == 1:
            raise ModelUnavailableError("model X is not available offline")
        return engine

    return factory, calls


def texts(history):
    return [m["content"] for m in history]


def test_empty_message_adds_nothing_however_often_it_is_sent(handlers):
    assert handlers.respond("   \n ", []) == ("", [])
    _, history = handlers.respond("騰訊的中臺", [])
    before = list(history)
    for empty in ("", "   ", "\n\t", None):
        box, history = handlers.respond(empty, history)
        assert box == "" and history == before


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
    assert escape(pair.section) in html and "置信度 93%" in html and "conf-high" in html
    assert '<mark class="ev-term">' in html and 'class="ev-para ev-best"' in html
    assert 'class="ev-simp"' in html and escape(to_simplified(pair.answer_paragraphs[0])) in text
    assert "英文版" in html  # the reply's own words follow the question's language


@pytest.mark.parametrize("question,language", [
    ("腾讯会自己做ERP吗", "zh-Hans"), ("騰訊會自己做ERP嗎", "zh-Hant"),
    ("Will Tencent build its own ERP?", "en")])
def test_a_copied_answer_is_a_quotation_without_the_apps_own_words(engine, question, language):
    h = Handlers(lambda: Answering(engine))
    reply = h.respond(question, [])[1][-1]["content"]
    pair = engine.interview.by_id(render.pair_of(reply))
    text = Copied(reply).text
    # the interviewer's question and the answer verbatim, then who said it, to whom, when
    assert pair.question in text and all(p in text for p in pair.answer_paragraphs)
    assert text.endswith("\n" + QUOTED[language])
    # the English edition only when it is open (for an English question)
    assert (engine.translation[pair.id].answer_paragraphs[0] in text) is (language == "en")
    # none of the app's words: badge, ids (the runners-up's too), section heading, labels, why
    assert not re.search(EXCHANGE_ID, text) and pair.section not in text
    why = plain(re.search(r'<div class="why[^"]*">(.*?)</div>', reply).group(1))
    for words in ("置信度", "confidence", "简体中文", "英文版", "English edition",
                  html.unescape(why), "其他相近的问答", "其他相近的問答", "Other close exchanges"):
        assert words not in text, words
    # the attribution is in the copy only (style.css hides it on the page)
    assert re.findall(r'<p class="quoted copy-only">([^<]*)</p>', reply) == [
        escape(QUOTED[language])]


def test_a_copied_repeat_or_decline_keeps_its_text_and_drops_the_rest(handlers, engine):
    """A repeat of the answer above, folded on the page, is copied whole, without the note on
    how the follow-up was read; a decline is copied as its message, without ids or badge."""
    answer = dataclasses.replace(engine.ask("腾讯会自己做ERP吗"), answered=True, confidence=0.9,
                                 read_with="腾讯会自己做ERP吗")
    text = Copied(render.answer_reply(answer, 0.5, "湯道生", repeat=True,
                                      quoted=QUOTED["zh-Hans"])).text
    assert answer.hits[0].pair.answer_paragraphs[-1] in text
    assert text.endswith(QUOTED["zh-Hans"])
    assert "结合上一个问题理解" not in text and "同一段问答" not in text
    reply = handlers.respond("今天天气怎么样", [])[1][-1]["content"]
    text = Copied(reply).text
    assert text.startswith("这次访谈没有谈到这个问题。")
    listed = [html.unescape(q) for q in re.findall(r'<span class="near-q">(.*?)</span>', reply)]
    assert listed and all(q in text for q in listed)
    assert "置信度" not in text and not re.search(EXCHANGE_ID, text) and "—" not in text


def test_history_accumulates_across_turns(engine):
    h = Handlers(lambda: Answering(engine))
    _, history = h.respond("騰訊的中臺", [])
    _, history = h.respond("What about Tencent Cloud?", history)
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
    assert "<details class=\"ev-en\" open>" in history[-1]["content"]  # English query: open


def test_abstention_says_not_covered_and_offers_nearest_questions(handlers, engine):
    _, history = handlers.respond("What is the weather like today?", [])
    reply = history[-1]
    assert "does not cover this" in reply["content"]
    # the interviewee by his English name for an English question
    assert "Dowson Tong was not asked about it" in reply["content"]
    questions = {" ".join(p.question.split()) for p in engine.interview.pairs}
    english = {" ".join(t.question.split()) for t in engine.translation.values()}
    # the list items ask their question on a click (the page's script asks an item's title),
    # in the asker's language; no option buttons repeat them under the reply
    assert "options" not in reply
    assert "click one to read its answer" in reply["content"]
    listed = re.findall(r'<span class="near-en">(.*?)</span>', reply["content"])
    asks = [html.unescape(a) for a in re.findall(
        r'<li class="ask-link" title="([^"]*)" role="button" tabindex="0">', reply["content"])]
    assert 1 <= len(asks) <= 3 and len(listed) == len(asks)
    assert all(a in english for a in asks)
    assert [" ".join(html.unescape(q).split()) for q in listed] == asks
    # a Traditional query gets the verbatim wording of the nearest questions; a Simplified one
    # the same questions in Simplified script
    reply = handlers.respond("今天天氣怎麼樣", [])[1][-1]
    asks = _asks(reply)
    assert asks and all(a in questions for a in asks)
    listed = re.findall(r'<span class="near-q">(.*?)</span>', reply["content"])
    assert asks == [" ".join(html.unescape(q).split()) for q in listed]
    reply = handlers.respond("今天天气怎么样", [])[1][-1]
    listed = re.findall(r'<span class="near-q">(.*?)</span>', reply["content"])
    assert _asks(reply) == [to_simplified(" ".join(html.unescape(q).split())) for q in listed]


def _asks(reply) -> list[str]:
    """What the listed exchanges of *reply* ask on a click."""
    return [html.unescape(a) for a in re.findall(r'<li class="ask-link" title="([^"]*)"',
                                                 reply["content"])]


def test_a_reply_speaks_the_language_of_the_question(handlers, engine):
    for question, lang, says, not_says in [
        ("今天天气怎么样", "zh-Hans", "这次访谈没有谈到这个问题", "does not cover"),
        ("今天天氣怎麼樣", "zh-Hant", "這次訪談沒有談到這個問題", "does not cover"),
        ("What is the weather like today?", "en", "does not cover this", "访谈"),
        ("湯道生今天去哪裡吃飯了", "zh-Hant", "記者沒有就此問過湯道生", "does not cover"),
        # a name copied from the page does not turn a Simplified question Traditional, and the
        # Simplified sentence writes the name in Simplified
        ("湯道生今天去哪里吃饭了", "zh-Hans", "记者没有就此问过汤道生", "湯道生在"),
    ]:
        reply = handlers.respond(question, [])[1][-1]["content"]
        assert says in reply and not_says not in reply, (lang, plain(reply))
    # the specific reason too: the engine's code, the question's language
    a = engine.ask("谁负责腾讯的ERP?")
    declined = dataclasses.replace(a, answered=False, reason_code="party", reason="It asks who…")
    assert "具体的人或公司" in plain(render.abstain_reply(declined, 0.5))
    assert "具體的人或公司" in plain(render.abstain_reply(
        dataclasses.replace(declined, language="zh-Hant"), 0.5))
    assert "It asks who…" in plain(render.abstain_reply(
        dataclasses.replace(declined, language="en"), 0.5))
    # an answered Chinese question: badge and labels in Chinese, the interview's text verbatim
    answered = dataclasses.replace(a, answered=True, confidence=0.9)
    html = render.answer_reply(answered, 0.5)
    assert "置信度 90%" in html and "% confidence" not in html
    assert escape(answered.hits[0].pair.answer_paragraphs[0][:20]) in html
    # the matched words as a Simplified reader writes them; the interview's text stays verbatim
    why = re.search(r'<div class="why[^"]*">(.*?)</div>', html).group(1)
    assert "腾讯" in why and "騰訊" not in why


def test_a_decline_near_the_threshold_says_not_sure_instead_of_not_covered(engine):
    far = engine.ask("What is the weather like today?")
    assert not far.answered and not far.unsure
    near = dataclasses.replace(far, unsure=True)
    for lang, unsure, covered in [("en", "Not sure the interview answers this", "does not cover"),
                                  ("zh-Hans", "不确定访谈是否回答了这个问题", "没有谈到"),
                                  ("zh-Hant", "不確定訪談是否回答了這個問題", "沒有談到")]:
        text = plain(render.abstain_reply(dataclasses.replace(near, language=lang), 0.5, "湯道生"))
        assert unsure in text and covered not in text and "湯道生" not in text, text
        text = plain(render.abstain_reply(dataclasses.replace(far, language=lang), 0.5, "湯道生"))
        assert covered in text and unsure not in text, text
    assert "not sure" in render.compare_cards(near, 0.5)
    assert "not sure" not in render.compare_cards(far, 0.5)


def test_english_lines_beside_the_verbatim_text_are_for_english_questions_only(handlers):
    """An English asker gets the English edition's section title and questions beside the
    verbatim Chinese; a Chinese asker does not get an English line among the Chinese ones."""
    for question, english in [("腾讯会自己做ERP吗", False), ("騰訊會自己做ERP嗎", False),
                              ("Will Tencent build its own ERP?", True)]:
        reply = handlers.respond(question, [])[1][-1]["content"]
        assert ('class="sec-en"' in reply) is english, question
        assert ('class="near-en"' in reply) is english, question  # the runners-up
    for question, english in [("今天天气怎么样", False), ("What is the weather like today?", True)]:
        reply = handlers.respond(question, [])[1][-1]["content"]
        assert ('class="near-en"' in reply) is english, question  # the nearest questions


def test_clicking_a_listed_question_asks_it(handlers, engine):
    _, history = handlers.respond("今天天气怎么样", [])
    option = _asks(history[-1])[0]
    _, history = handlers.respond(option, history)
    assert len(history) == 4 and escape(option) in history[2]["content"]
    # offered in the asker's script, so the reply to the click stays in it
    assert option == to_simplified(option) and option != to_traditional(option)
    _, english = handlers.respond("What is the weather like today?", [])
    assert all(detect_language(a) == "en" for a in _asks(english[-1]))


def test_html_in_a_question_is_shown_as_text(handlers):
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    _, history = handlers.respond(evil, [])
    for content in texts(history):
        assert "<img" not in content and "<script" not in content
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in history[0]["content"]


def test_very_long_question_is_truncated_with_a_notice(handlers):
    _, history = handlers.respond("Tencent Cloud " * 500, [])
    assert ("The question was 6,999 characters long; only the last 2,000 were used"
            in history[-1]["content"])
    assert "6,999 characters in all" in history[0]["content"]  # the trailing space is stripped
    shown = re.sub(r' data-anchor="[^"]*"', "", history[0]["content"])
    assert len(shown) < 2000  # the bubble shows start and end; the anchor keeps what was answered
    assert len(render.anchor_of(history[0]["content"])) == 2000
    _, history = handlers.respond("騰訊雲" * 2000, [])  # in the question's language
    assert "只用了最後 2,000 個字符" in history[-1]["content"]
    assert "共 6,000 個字符" in history[0]["content"]
    _, history = handlers.respond("背景资料。\n" * 500 + "腾讯云什么时候赚钱?", [])
    assert "只用了最后一行" in history[-1]["content"]  # the question on the last line
    assert render.anchor_of(history[0]["content"]) == "腾讯云什么时候赚钱?"


def test_a_long_message_searched_as_its_last_sentence_says_so(handlers):
    background = ("我们是一家区域性的连锁超市，门店有两百多家，过去几年一直在做会员系统和线上小程序，"
                  "最近管理层在讨论明年的信息化预算，大家意见不太一致，有人主张自己开发。") * 2
    _, history = handlers.respond(background + "请问：汤道生认为腾讯会和ERP厂商竞争吗？", [])
    assert "只检索了最后一句" in history[-1]["content"]
    _, history = handlers.respond(to_traditional(background) + "請問:騰訊會做ERP嗎?", [])
    assert "只檢索了最後一句" in history[-1]["content"]


def test_one_users_error_stays_in_their_reply(engine):
    h = Handlers(lambda: Exploding(engine))
    _, broken = h.respond("boom", [])
    assert "Sorry, something went wrong" in broken[-1]["content"]
    assert "index on fire" not in broken[-1]["content"]  # internals are logged, not shown
    _, fine = h.respond("騰訊的中臺", [])
    assert "置信度" in fine[-1]["content"] and "Sorry" not in fine[-1]["content"]
    assert "Sorry" in h.compare("boom", 3) and "Sorry" in h.compare_modes("boom")
    _, broken = h.respond("这个索引会boom吗", [])  # the apology in the asker's language
    assert "抱歉,回答时出了问题" in broken[-1]["content"].replace("，", ",")


def test_engine_that_fails_to_load_gives_a_message_and_is_retried(engine):
    factory, calls = failing_once(engine)
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
    empty = handlers.compare("", 4)
    assert "prompt" in empty and escape(EMPTY_PROMPT) in empty
    # no exchange shares a word with "x": the lexical chips say so rather than a tied "#1"
    nothing = handlers.compare("x", 3)
    assert nothing.count("lexical 0.0000 · no match") == 3 and "dense" in nothing


def test_compare_modes_shows_each_mode_and_rank_moves(handlers, engine):
    html = handlers.compare_modes("騰訊雲的競爭對手", 5)
    assert html.count('class="mcell') == 15
    # a block per mode (a phone stacks them rather than cutting off a table), the ranks beside
    assert html.startswith(f'<div class="modes" style="--rows:6;--modes:{len(engine.modes)}">')
    assert html.count('<div class="mcol">') == len(engine.modes) == 3
    assert [f"#{r}" for r in range(1, 6)] == re.findall(r'<div class="rk">(#\d)</div>', html)
    assert html.count('<span class="mrk">#5</span>') == 3  # each cell's rank, for a phone


def test_compare_names_modes_and_scores_in_the_pages_language(handlers, engine):
    """The names of the modes and the scores (and "new") are in the page's language, as the
    legends that explain them (the question's when no page says); what is said about the
    question, the verdict, in the question's."""
    names = {"en": (["hybrid", "dense", "lexical"], ["fused", "dense", "lexical"]),
             "zh-Hans": (["混合", "稠密", "词汇"], ["融合", "稠密", "词汇"]),
             "zh-Hant": (["混合", "稠密", "詞彙"], ["融合", "稠密", "詞彙"])}
    english = r"(?<![a-z])(hybrid|dense|lexical|sparse|fused|latent terms|new)(?![a-z])"
    for question, labels, shown in [("腾讯云的竞争对手", None, "zh-Hans"),
                                     ("騰訊雲的競爭對手", "zh-Hant", "zh-Hant"),
                                     ("Who are Tencent Cloud's competitors?", "zh-Hans", "zh-Hans"),
                                     ("腾讯云的竞争对手", "en", "en")]:
        modes, scores = names[shown]
        table = handlers.compare_modes(question, 5, labels)
        assert re.findall(r'<div class="mode">([^<]*)</div>', table) == modes
        assert (re.search(english, plain(table)) is None) is (shown != "en")
        cards = handlers.compare(question, 5, labels)
        first = re.search(r'<div class="chips">(.*?)</div>', cards).group(1)
        assert re.findall(r'class="chip chip-\w+">([^<]*?) -?\d', first) == scores
        mode, verdict = re.search(r'<span class="verdict">([^<]*) · ([^<]*)</span>', cards).groups()
        assert mode == modes[0] and detect_language(verdict) == detect_language(question)
    # an exchange missing from hybrid's top k: its tooltip in the question's language
    hit = engine.ask("騰訊雲的競爭對手", top_k=1).hits[0]
    assert render._move({}, hit, "en", "zh-Hans").endswith('">新</span>')
    assert 'title="not in the hybrid top-k">new</span>' in render._move({}, hit, "en", "en")


def test_compare_modes_fades_exchanges_a_lexical_mode_scored_zero(handlers, engine):
    # one exchange mentions Panda TV: BM25 scores the other four of its top five 0 (the dense
    # score orders them), and the table says so
    html = handlers.compare_modes("熊猫直播", 5)
    lexical = engine.ask("熊猫直播", top_k=5, mode="lexical")
    assert [h.scores["lexical"] > 0 for h in lexical.hits] == [True, False, False, False, False]
    assert html.count('class="mcell zero"') == 4
    # its tooltips in the question's language
    assert "得 0 分的按稠密得分排序" in html and "the zeros are ordered" not in html
    english = handlers.compare_modes("Panda TV bandwidth", 5)
    assert "the zeros are ordered by the dense score" in english
    assert "混合检索" not in english
    cards = handlers.compare("熊猫直播", 5)
    assert "无匹配" in cards and "no match" not in cards


def test_browse_lists_all_thirteen_exchanges_by_section(handlers, engine):
    html = handlers.browse()
    assert html.count('class="b-pair"') == len(engine.interview.pairs) == 13
    for section in engine.interview.sections:
        assert escape(section) in html
    assert html.index(escape(engine.interview.pairs[0].question)) < html.index(
        escape(engine.interview.pairs[12].question))
    assert html.count('<span class="who-inline">湯道生:</span>') == 13


def test_api_ask_is_the_qa_ask_contract(handlers, engine):
    for q in ("腾讯会自己做ERP吗", "What does Tencent look for in talent?"):
        assert handlers.api_ask(q, 3) == engine.ask(q, top_k=3).to_dict()
    empty = handlers.api_ask("", 5)
    assert empty["answered"] is False and empty["hits"] == [] and empty["notice"]
    # an API client's top_k is checked as qa.ask checks it (3.0 is 3); the slider's own
    # values are clamped instead (_k)
    assert len(handlers.api_ask("腾讯会自己做ERP吗", 3.0)["hits"]) == 3
    import gradio as gr

    for k in (float("inf"), float("nan"), None, "abc", -3, 0, 2.5):
        with pytest.raises(gr.Error, match="top_k"):
            handlers.api_ask("腾讯会自己做ERP吗", k)
    with pytest.raises(gr.Error, match="must be text"):
        handlers.api_ask(123, 5)


def test_a_decline_for_a_name_or_figure_says_so(handlers, engine):
    from qa.answertype import DECLINE_REASONS

    saved = engine.calibration
    # only the answer type decides: flagged questions are declined, the rest answered
    engine.calibration = dataclasses.replace(saved, coef={"factoid": -10.0}, bias=5.0,
                                             threshold=0.5)
    try:
        _, history = handlers.respond("谁接替了汤道生在社交网络事业群的位置?", [])
        reply = history[-1]["content"]
        assert "这次访谈没有谈到这个问题" in reply
        assert "具体的人或公司" in reply  # DECLINE_REASONS["party"], in the question's language
        cards = handlers.compare("谁接替了汤道生在社交网络事业群的位置?", 3)  # Compare says it too
        assert "具体的人或公司" in cards and "不回答" in cards and "置信度" in cards
        english = "Who took over from Dowson Tong at the social networking group?"
        assert escape(DECLINE_REASONS["party"]) in handlers.respond(english, [])[1][-1]["content"]
        cards = handlers.compare(english, 3)
        assert escape(DECLINE_REASONS["party"]) in cards and "abstains" in cards
        assert cards.count('class="card-en" lang="en"') == 3  # the English edition on each card
        engine.calibration = dataclasses.replace(engine.calibration, bias=-5.0)  # declines all
        _, history = handlers.respond("谁接替了汤道生在社交网络事业群的位置?", [])
        assert "这次访谈没有谈到这个问题" in history[-1]["content"]
        assert "abstain-reason" not in history[-1]["content"]  # not the reason: none claimed
    finally:
        engine.calibration = saved


# -- which interview is served: header, examples, the interviewee's label ----------------------
def test_bundled_interview_gets_its_own_page(handlers):
    page = handlers.page()
    assert page == BUNDLED and page.speaker == "湯道生"
    assert "騰訊真的沒有中臺能力嗎?" not in page.starters  # answered with the wrong exchange
    header = render.header(page)
    assert "Ask 湯道生" in header and "Yicai" not in header  # the subtitle follows the locale
    assert "Yicai interview, May 2019" in page.subtitle
    assert "第一财经专访" in page.subtitle_hans and "第一財經專訪" in page.subtitle_hant
    from ui.i18n import chrome

    subtitles = {k: v["ui_subtitle"] for k, v in chrome(page).items()}
    assert subtitles["en"] == page.subtitle and subtitles["zh-CN"] == page.subtitle_hans
    assert subtitles["zh-TW"] == subtitles["zh-HK"] == page.subtitle_hant


def test_a_copy_of_the_bundled_interview_is_still_the_bundled_one(tmp_path):
    copy = tmp_path / "copy.txt"
    shutil.copy(config.DEFAULT_INTERVIEW, copy)
    engine = Engine.create(model="hashing", interview=copy, cache_dir=tmp_path / "cache")
    assert Handlers(lambda: engine).page() == BUNDLED


@pytest.fixture(scope="module")
def records_engine(tmp_path_factory):
    """Another interview: JSONL records, which name no speaker."""
    root = tmp_path_factory.mktemp("records")
    path = root / "town-hall.jsonl"
    records = [{"question": "你们的云业务怎么样?", "answer": "云业务发展很快,我们投入很大。"},
               {"question": "What about AI?", "answer": "AI is central to our strategy."}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    return Engine.create(model="hashing", interview=path, cache_dir=root / "cache")


def test_another_interview_gets_a_neutral_page_without_tencent_examples(records_engine):
    h = Handlers(lambda: Answering(records_engine))
    page = h.page()
    assert page.starters == page.examples == page.compare_examples == ()
    assert page.speaker == ""
    texts_ = (page.title, page.heading, page.subtitle, page.welcome, render.header(page))
    for text in texts_:
        assert not re.search("湯道生|Tencent|騰訊|Yicai", text), text
    assert "town-hall.jsonl" in page.title and "town-hall.jsonl · 2 exchanges" in page.subtitle
    assert "town-hall.jsonl · 共 2 段问答" == page.subtitle_hans
    # records name no speaker: answers are not labelled with anyone's name
    _, history = h.respond("AI strategy", [])
    reply = history[-1]["content"]
    assert "AI is central" in plain(reply) and "湯道生" not in reply
    assert '<div class="who">Answer</div>' in reply and '<div class="who">Interviewer</div>' in reply
    browse = h.browse()
    assert "湯道生" not in browse and '<span class="who-inline">A:</span>' in browse


def test_another_article_labels_answers_with_its_own_speaker(tmp_path):
    path = tmp_path / "other.txt"
    path.write_text("提問:你好嗎?\n湯道生:我很好,謝謝。\n記者:雲業務呢?\n湯道生:雲業務發展很快。\n",
                    encoding="utf-8")
    engine = Engine.create(model="hashing", interview=path, cache_dir=tmp_path / "cache")
    h = Handlers(lambda: Answering(engine))
    page = h.page()
    assert page.speaker == "湯道生" and page.heading == "Ask 湯道生"
    assert page.starters == () and "Yicai" not in render.header(page)
    _, history = h.respond("雲業務", [])
    assert '<div class="who">湯道生</div>' in history[-1]["content"]


def test_page_is_neutral_while_the_engine_cannot_load(engine):
    factory, calls = failing_once(engine)
    h = Handlers(factory)
    assert h.page() == UNKNOWN
    assert h.page() == BUNDLED and len(calls) == 2  # retried once the engine loads


def test_header_and_welcome_escape_the_file_name(tmp_path):
    path = tmp_path / "<b>x.jsonl"
    path.write_text(json.dumps({"question": "q?", "answer": "a."}) + "\n", encoding="utf-8")
    engine = Engine.create(model="hashing", interview=path, cache_dir=tmp_path / "cache")
    page = Handlers(lambda: engine).page()
    assert "<b>" not in render.header(page) and "<b>" not in page.welcome
    assert all("<b>" not in text for text in (page.subtitle, page.subtitle_hans, page.subtitle_hant))


def test_bundled_example_questions_get_the_right_exchange(real_engine):
    expected = {
        "腾讯会自己做ERP吗?": "p10",
        "騰訊的用戶中臺能幫企業識別哪些用戶?": "p07",  # replaced 騰訊真的沒有中臺能力嗎? (got p08)
        # replaced "Is Tencent Cloud losing money?" (p13, but at 61%: a starter should not look
        # unsure)
        "Why is Tencent Cloud not profitable yet?": "p13",
        # replaced "What does Tencent look for when it hires talent?" (p04 first, but declined at
        # 0.38 after the 844-question recalibration), then "What kind of people is Tencent hiring
        # for its enterprise business?" (0.76 once the confidence became the chance of being right)
        "What kind of talent does Tencent need for its to-B business?": "p04",
        "湯道生現在花最多時間在什麼事上?": "p01",
        "How do Tencent's business groups work together on to-B?": "p09",
    }
    assert set(expected) <= set(BUNDLED.starters + BUNDLED.examples)
    for question, pair_id in expected.items():
        answer = real_engine.ask(question)
        assert answer.answered and answer.hits[0].pair.id == pair_id, question
    for question in BUNDLED.starters:  # the first thing a visitor clicks should look sure
        assert real_engine.ask(question).confidence >= 0.8, question


def test_every_decline_reason_is_translated():
    from qa.engine import REASONS
    from ui.i18n import reason

    for code, english in REASONS.items():
        for language in ("zh-Hans", "zh-Hant"):
            assert reason(code, english, language) != english, (code, language)
        # English is the engine's text, but for the chat, whose app reply names the Browse tab
        # rather than also the command line's `qa pairs`
        assert (reason(code, english, "en") == english) is (code != "chat")
    assert "Browse tab" in reason("chat", REASONS["chat"], "en")


@pytest.mark.parametrize("page", [BUNDLED, UNKNOWN], ids=["bundled", "unknown"])
def test_the_page_labels_have_the_same_keys_in_every_locale(page):
    """The gr.I18n dictionaries: the same keys in each locale, every label translated, and the
    Traditional strings OpenCC's conversion of the Simplified ones (written once)."""
    from ui.i18n import CHROME_LOCALES, chrome, traditional

    locales = chrome(page)
    assert set(locales) == set(CHROME_LOCALES) == {"en", "zh-CN", "zh", "zh-TW", "zh-HK"}
    en, hans, hant = locales["en"], locales["zh-CN"], locales["zh-TW"]
    assert set(en) == set(hans) == set(hant)
    assert hant == {k: traditional(v) for k, v in hans.items()}
    # today's Traditional forms (為, 裡, 群), not OpenCC's default 爲, 裏, 羣
    assert not re.search("[爲裏羣]", "".join(hant.values()))
    assert locales["zh"] == hans and locales["zh-HK"] == hant
    assert all(hans[k] != en[k] and hant[k] != en[k] for k in en), "an untranslated label"
    # keys clear of Gradio's own ("label", "slider": those show "[object Object]")
    assert all(re.fullmatch(r"ui_[a-z_]+", k) for k in en)
    # English as the page has always said it
    assert en["ui_welcome"] == page.welcome and en["ui_tab_ask"] == "Ask"
    assert en["ui_clear"] == "Clear chat" and en["ui_question"] == "Your question"
    assert hans["ui_tab_ask"] == "提问" and hant["ui_tab_ask"] == "提問"


def test_the_locale_switch_finds_what_it_needs_in_gradio():
    """LOCALE_HEAD imports Gradio's "core-*.js" chunk and calls its changeLocale (zh-HK, zh-SG,
    zh): checked here without a browser, so a Gradio upgrade that renames either fails."""
    from pathlib import Path

    import gradio

    from ui.i18n import LOCALE_HEAD

    assets = Path(gradio.__file__).parent / "templates" / "frontend" / "assets"
    (core,) = assets.glob("core-*.js")
    assert re.search(r"export\s*\{[^}]*\bas changeLocale\b", core.read_text("utf-8"))
    assert "core-[\\w-]+\\.js" in LOCALE_HEAD and "m.changeLocale(" in LOCALE_HEAD


def test_the_status_line_is_in_each_locale_and_says_why_without_an_engine(engine):
    from ui.i18n import chrome, traditional

    h = Handlers(lambda: engine)
    facts = h.status_facts()
    assert facts == {"n": len(engine.interview), "model": engine.encoder.model_id,
                     "pct": round(100 * h.threshold)}
    locales = chrome(h.page(), facts)
    assert locales["en"]["ui_status"] == h.status()
    assert locales["en"]["ui_status"].startswith(f"{facts['n']} exchanges · model `")
    assert locales["zh-CN"]["ui_status"].startswith(f"共 {facts['n']} 段问答 · 模型")
    assert locales["zh-TW"]["ui_status"] == traditional(locales["zh-CN"]["ui_status"])
    assert f"{facts['pct']}%" in locales["zh-HK"]["ui_status"]

    def broken():
        raise QAError("no model here")

    down = Handlers(broken)
    assert down.status_facts() is None and "no model here" in down.status()
    assert "ui_status" not in chrome(down.page())["en"]


def test_another_interviews_welcome_is_translated_and_keeps_its_names(tmp_path):
    from qa.parsing import load_interview
    from ui.page import page_for

    path = tmp_path / "访谈.txt"
    path.write_text("提問:你好嗎?\n王大厨:我很好。\n記者:生意呢?\n王大厨:很好。\n", encoding="utf-8")
    page = page_for(load_interview(path))
    assert page.speaker == "王大厨"
    assert "2 exchanges in 访谈.txt" in page.welcome and "王大厨's answer" in page.welcome
    assert "访谈.txt，共 2 段问答" in page.welcome_hans and "王大厨的原话" in page.welcome_hans
    # the page's own words in Traditional, the names as the interview writes them
    assert "访谈.txt，共 2 段問答" in page.welcome_hant and "王大厨的原話" in page.welcome_hant


def test_a_declined_badge_stays_under_the_status_lines_threshold():
    """The status line says "answers below 41% … are withheld": a declined answer at 0.407
    must not read "41%"; one at the threshold or above keeps its rounding."""
    assert "40% confidence" in render.confidence_badge(0.407, 0.41)
    assert "41% confidence" in render.confidence_badge(0.41, 0.41)
    assert "12% confidence" in render.confidence_badge(0.12, 0.41)
    assert "0% confidence" in render.confidence_badge(0.001, 0.004)


def test_an_answer_lists_its_runners_up_folded_and_never_claims_certainty(engine):
    answer = dataclasses.replace(engine.ask("腾讯会自己做ERP吗", top_k=4), answered=True,
                                 confidence=0.999)
    html = render.answer_reply(answer, 0.5)
    assert "100%" not in html and "置信度 99%" in html
    english = render.answer_reply(dataclasses.replace(answer, language="en"), 0.5)
    assert "100%" not in english and "99% confidence" in english
    runners = re.search(r'<details class="runners[^"]*">(.*?)</details>', html).group(1)
    assert "其他相近的问答（2 条）" in runners and runners.count("<li ") == 2
    # a click on a runner-up asks its question, in the asker's script (Simplified here)
    asks = re.findall(r'<li class="ask-link" title="([^"]*)"', runners)
    assert asks == [escape(to_simplified(" ".join(h.pair.question.split())))
                    for h in answer.hits[1:3]]
    for hit in answer.hits[1:3]:
        assert escape(hit.pair.question) in runners
    assert escape(answer.hits[3].pair.question) not in runners
    lone = dataclasses.replace(answer, hits=answer.hits[:1])
    assert "runners" not in render.answer_reply(lone, 0.5)


def test_english_notice_starts_with_a_capital_and_labels_cut_at_a_word():
    answer = Answer(question="x", answered=False, confidence=0.0, hits=(), language="en",
                    notice="the question was 3000 characters long; only the last 2000 were used")
    assert "The question was 3000 characters long" in render._answer_notice(answer)
    label = render._short("How does Tencent decide which industries it has real strengths in "
                          "and which it leaves to partners?", 66)
    assert label == "How does Tencent decide which industries it has real strengths in…"
    assert render._short("騰訊" * 40, 10) == "騰訊騰訊騰訊騰訊騰…"


def test_a_follow_up_rides_on_the_history_gradio_hands_back(real_engine):
    """The previous question is read back from the user bubble, in the history as the handler
    wrote it and as Gradio's Chatbot hands it back (content as a list of text parts)."""
    import gradio as gr

    chatbot = gr.Chatbot()
    h = Handlers(lambda: real_engine)
    evil = 'ERP "> <img src=x onerror=alert(1)> {x} $y$\n腾讯会自己做ERP吗'
    _, history = h.respond(evil, [])
    assert "<img" not in history[0]["content"]  # the attribute is escaped like the text
    assert render.anchor_of(history[0]["content"]) == " ".join(evil.split())  # one line
    for hist in (history, chatbot.preprocess(chatbot.postprocess(history))):
        _, after = h.respond("他这样划边界的理由是什么", hist)
        assert "notice-followup" in after[-1]["content"] and ">p10<" in after[-1]["content"]
        # the follow-up has words of its own, so the next turn follows up on the two together,
        # as they were searched (without the markup)
        from qa.followup import combine
        from qa.text import strip_markup

        assert render.anchor_of(after[-2]["content"]) == combine(
            strip_markup(" ".join(evil.split())), "他这样划边界的理由是什么")
    _, fresh = h.respond("他这样划边界的理由是什么", [])
    assert "notice-followup" not in fresh[-1]["content"]
    assert h.api_ask("他这样划边界的理由是什么", 3, "腾讯会自己做ERP吗")["read_with"] == (
        "腾讯会自己做ERP吗")
    with pytest.raises(gr.Error, match="previous"):
        h.api_ask("为什么", 3, ["腾讯会自己做ERP吗"])


def test_the_follow_up_notice_shows_the_start_of_a_long_previous_question(engine):
    a = dataclasses.replace(engine.ask("为什么"), answered=True, read_with="腾讯" + "啊" * 200,
                            language="zh-Hans")
    html_ = render.answer_reply(a, 0.5)
    assert "“腾讯" + "啊" * 77 + "…”" in html_


def test_a_follow_up_on_the_same_exchange_is_folded_under_a_note(real_engine):
    import gradio as gr

    chatbot = gr.Chatbot()
    h = Handlers(lambda: real_engine)
    _, history = h.respond("腾讯会自己做ERP吗", [])
    assert render.pair_of(history[-1]["content"]) == "p10"
    _, history = h.respond("为什么?", chatbot.preprocess(chatbot.postprocess(history)))
    same = history[-1]["content"]
    assert '<details class="same' in same and "同一段问答" in same
    assert same.index("notice-followup") < same.index('<details class="same')  # note stays out
    # what is new: the other close exchanges, open under the fold, each asked by a click
    depth, fold_end = 0, None
    for tag in re.finditer(r"<details|</details>", same[same.index('<details class="same'):]):
        depth += 1 if tag.group() == "<details" else -1
        if depth == 0:
            fold_end = same.index('<details class="same') + tag.end()
            break
    assert same.index('<details class="runners no-copy" open>') >= fold_end
    assert "没有比上面的回答说得更多" in same
    _, history = h.respond("腾讯云现在盈利了吗", history)  # another exchange: shown in full
    assert 'details class="same' not in history[-1]["content"]
    assert render.pair_of(history[-1]["content"]) == "p13"
    assert render.pair_of(render.message_box("x")) is None


@pytest.mark.parametrize(("header", "language"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans"), ("zh", "zh-Hans"), ("zh-SG", "zh-Hans"),
    ("zh-TW,zh;q=0.9", "zh-Hant"), ("zh-HK", "zh-Hant"), ("zh-MO", "zh-Hant"),
    ("zh-Hant-TW", "zh-Hant"), ("zh-Hans-HK", "zh-Hans"), ("en-US,en;q=0.9", "en"), ("fr", "en"),
    ("", "en"), (None, "en"),
])
def test_the_browsers_language_from_its_accept_language_header(header, language):
    from ui.i18n import language_of_locale

    assert language_of_locale(header) == language


def test_browse_labels_follow_the_page_language(handlers):
    zh, en = handlers.browse("zh-Hans"), handlers.browse("en")
    assert "<summary>导读</summary>" in zh and "<summary>英文版</summary>" in zh
    assert 'class="sec-en"' not in zh and "English edition" not in zh
    assert "<summary>Introduction (導讀)</summary>" in en and 'class="sec-en"' in en
    # an English page: the contents name the sections in English too, the English edition open
    toc = en.split('<ol class="toc"')[1].split("</ol>")[0]
    assert "On talent standards: more than just delivering" in toc
    assert en.count('<details class="ev-en" open>') == 13 and '<details class="ev-en" open>' not in zh
    assert "<summary>導讀</summary>" in handlers.browse("zh-Hant")



def test_a_long_message_is_shown_by_its_start_and_its_end():
    """The engine answers a long message's end, so the bubble shows it as well as the start."""
    bubble = render.user_bubble("开头" + "中" * 2000 + "结尾的问题?")
    assert "开头" in bubble and "结尾的问题? (共 2,008 个字符)" in bubble


# -- a Simplified reader, a copy, of Browse and the about reply ----------------------------------
class SimplifiedCopies(HTMLParser):
    """The text of each Simplified copy in some HTML (a ``div.ev-simp``, which the "also show
    Simplified" box shows), without its label."""

    def __init__(self, html_: str) -> None:
        super().__init__()
        self.copies: list[str] = []
        self.depth = 0  # open elements inside the current copy
        self.feed(html_)
        self.close()

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
        elif tag == "div" and "ev-simp" in (dict(attrs).get("class") or "").split():
            self.depth = 1
            self.copies.append("")

    def handle_endtag(self, tag):
        self.depth = max(0, self.depth - 1)

    def handle_data(self, data):
        if self.depth:
            self.copies[-1] += data


def _simplified_copies(html_: str) -> list[str]:
    return [c.removeprefix("简体中文") for c in SimplifiedCopies(html_).copies]


def _simplified_titles(html_: str) -> list[str]:
    return [html.unescape(s) for s in re.findall(
        r'<span class="ev-simp sec-simp" lang="zh-Hans">([^<]*)</span>', html_)]


@pytest.mark.parametrize("language", ["zh-Hans", "zh-Hant", "en"])
def test_browse_has_the_simplified_copy_the_answers_have(handlers, engine, language):
    """Browse, on every page, keeps the verbatim Traditional text and adds the Simplified copy
    that the "also show Simplified" box shows (as under an answer, labelled 简体中文): the
    introduction, each exchange, and the section titles in the contents and the headings."""
    page = handlers.browse(language)
    interview = engine.interview
    for pair in interview.pairs:  # verbatim, then its Simplified copy
        assert escape(pair.answer_paragraphs[0]) in page
    copies = _simplified_copies(page)
    assert len(copies) == 1 + len(interview.pairs)  # the introduction, each exchange
    assert copies[0] == "".join(to_simplified(p) for p in interview.context)
    assert "汤道生执掌云与智慧产业事业群" in copies[0]
    for pair, copy in zip(interview.pairs, copies[1:], strict=True):
        assert to_simplified(pair.question) in copy
        assert all(to_simplified(p) in copy for p in pair.answer_paragraphs)
        assert "汤道生:" in copy and f"{to_simplified(pair.asker)}:" in copy
    simplified = [to_simplified(s) for s in interview.sections]
    assert _simplified_titles(page.split('<ol class="toc"')[1].split("</ol>")[0]) == simplified
    headings = re.findall(r'<h3 class="b-sec"[^>]*>(.*?)</h3>', page)
    assert [_simplified_titles(h) for h in headings] == [
        [to_simplified(p.section)] for p in interview.section_starts()]


def test_an_answers_section_heading_has_its_simplified_script(engine):
    h = Handlers(lambda: Answering(engine))
    reply = h.respond("腾讯会自己做ERP吗", [])[1][-1]["content"]
    head = re.search(r'<div class="reply-head no-copy">(.*?)</div>', reply).group(1)
    pair = engine.interview.by_id(render.pair_of(reply))
    assert escape(pair.section) in head and _simplified_titles(head) == [
        to_simplified(pair.section)]


@pytest.mark.parametrize("question,language", [
    ("这篇采访讲了什么?", "zh-Hans"), ("這篇採訪講了什麼?", "zh-Hant"),
    ("What is this interview about?", "en")])
def test_the_about_reply_has_a_simplified_copy_and_copies_its_content_only(
        handlers, engine, question, language):
    """The about reply: the article's head and introduction verbatim, then their Simplified copy
    (a Chinese introduction; an English question gets the English edition's, which has none);
    each topic with its Simplified title. A copy of it has the content, not the app's words on
    what the chatbot does or how to use the list."""
    from ui.i18n import table

    reply = handlers.respond(question, [])[1][-1]["content"]
    assert "about-lead" in reply
    copies = _simplified_copies(reply)
    if language == "en":
        assert copies == []
    else:
        assert len(copies) == 2  # the head and the lead; the whole introduction, folded
        assert copies[0].startswith("22.05.2019 · 本文字数") and "作者 | 第一财经 刘佳" in copies[0]
        assert "汤道生执掌云与智慧产业事业群" in copies[0]
        assert copies[1] == "".join(to_simplified(p) for p in engine.interview.context)
    assert _simplified_titles(reply) == [to_simplified(s) for s in engine.interview.sections]
    text = Copied(reply).text
    strings = table(language)
    for words in (strings["about_intro"], "click one", "点击", "點擊", "p01"):
        assert words not in text, words
    assert strings["topics"] in text and engine.interview.sections[0] in text
    assert "22.05.2019" in text or language == "en"


def test_a_copied_english_answer_labels_who_speaks_in_english(engine):
    """A copy of the reply to an English question names the speakers in English: above the
    verbatim text (with the article's own labels after them, as shown) and above the English
    edition (labels that only the copy has)."""
    h = Handlers(lambda: Answering(engine))
    reply = h.respond("Will Tencent build its own ERP?", [])[1][-1]["content"]
    pair = engine.interview.by_id(render.pair_of(reply))
    english = engine.translation[pair.id]
    lines = Copied(reply).text.split("\n")
    assert lines[:2] == ["Interviewer (提問)", pair.question]
    assert lines[2:4] == ["Dowson Tong (湯道生)", pair.answer_paragraphs[0]]
    at = lines.index(english.question)
    assert lines[at - 1] == "Interviewer" and lines[at + 1] == "Dowson Tong"
    assert lines[at + 2] == english.answer_paragraphs[0]
    # a Chinese question keeps the article's own labels, and no English ones
    zh = Copied(h.respond("腾讯会自己做ERP吗", [])[1][-1]["content"]).text
    assert zh.startswith("提問\n") and "\n湯道生\n" in zh and "Dowson Tong" not in zh


@pytest.mark.parametrize("question,head", [
    ("When was this interview?", "By Liu Jia | Yicai"), ("这篇采访的记者是谁?", "作者 | 第一財經 劉佳")])
def test_a_question_on_the_articles_head_gets_the_head_first_and_the_rest_folded(
        handlers, question, head):
    """"When was this interview?" is answered by the article's head (date, byline), shown as the
    reply; the introduction and the topics, which it did not ask for, are folded under it."""
    reply = handlers.respond(question, [])[1][-1]["content"]
    facts = re.findall(r'<p class="about-fact">([^<]*)</p>', reply)
    assert facts[0] == "22.05.2019" and head in facts  # a line of the head a paragraph
    fold = reply.index('<details class="about-more">')
    assert reply.index("about-fact") < fold < reply.index("about-lead")
    assert fold < reply.index('class="ask-link"')  # the topics are in the fold too
    summary = handlers.respond("这篇采访讲了什么?", [])[1][-1]["content"]
    assert "about-fact" not in summary and "about-more" not in summary  # all of it, unfolded


def test_compare_cards_have_the_simplified_copy_the_answers_have(handlers, engine):
    """Compare's cards keep the verbatim Traditional text and add, as a chat answer does, its
    Simplified copy that the "also show Simplified" box shows (labelled 简体中文): the question,
    the best paragraph and the whole answer; the section title its Simplified line."""
    html_ = handlers.compare("腾讯会自己做ERP吗", 3)
    hits = engine.ask("腾讯会自己做ERP吗", top_k=3).hits
    copies = _simplified_copies(html_)
    assert len(copies) == len(hits) == html_.count('class="card"') == 3
    for hit, copy in zip(hits, copies, strict=True):
        assert aligned_simplified(hit.pair.question) in copy
        assert all(aligned_simplified(p) in copy for p in hit.pair.answer_paragraphs)
    assert "腾讯" in copies[0] and "騰訊" not in copies[0]
    assert _simplified_titles(html_) == [to_simplified(h.pair.section) for h in hits
                                         if to_simplified(h.pair.section) != h.pair.section]


@pytest.mark.parametrize("language,back", [
    ("en", "Back to contents"), ("zh-Hans", "返回目录"), ("zh-Hant", "返回目錄")])
def test_browse_links_back_to_the_contents_after_each_section(handlers, engine, language, back):
    """Browse is long (about 7,800 px on a phone): each section ends with a link, in the page's
    language, back up to the contents."""
    page = handlers.browse(language)
    toc = re.search(r'<ol class="toc" id="([^"]+)">', page)
    assert toc, "the contents have an id to link to"
    links = re.findall(rf'<a href="#{toc.group(1)}">(.*?)</a>', page)
    headings = re.findall(r'<h3 class="b-sec" id="([^"]+)"', page)
    assert len(links) == len(headings) >= len(engine.interview.sections)
    assert {plain(link).replace("↑", "").strip() for link in links} == {back}
    # after each section's last exchange (before the next heading, or at the end)
    for section in page.split('<h3 class="b-sec"')[1:]:
        assert f'href="#{toc.group(1)}"' in section.rsplit('<div class="b-pair"', 1)[1]
