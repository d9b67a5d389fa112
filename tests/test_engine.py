"""The engine's contract: ranked verbatim answers, scores, confidence, abstention, odd input."""

import numpy as np
import pytest

import qa
import qa.engine as engine_module
from qa.engine import LAST_SENTENCE_USED, MAX_QUESTION_CHARS, UNSURE_SHARE, focus_question
from qa.text import to_simplified

CONTRACT_HIT_KEYS = {"rank", "pair_id", "section", "question", "answer", "score", "scores"}


def test_acceptance_erp_question(real_engine):
    ans = real_engine.ask("腾讯会自己做ERP吗")
    assert ans.answered
    assert ans.hits[0].pair.answer.startswith("爲什麼騰訊要把所有的事兒都做了?")


@pytest.mark.parametrize("question, expected", [
    ("騰訊雲什麼時候能盈利?", "p13"),
    ("Does Tencent have a private cloud product for banks?", "p12"),
    ("熊猫直播破产", "p05"),
])
def test_each_script_and_language_finds_its_answer(real_engine, question, expected):
    assert real_engine.ask(question).hits[0].pair.id == expected


@pytest.mark.parametrize("traditional, simplified", [
    ("那私有雲呢?", "那私有云呢?"),  # a web review saw the first declined, the second answered
    ("騰訊雲現在賺錢嗎?", "腾讯云现在赚钱吗?"),
    ("騰訊的股價會漲嗎?", "腾讯的股价会涨吗?"),
])
def test_a_question_means_the_same_in_either_script(real_engine, traditional, simplified):
    a, b = real_engine.ask(traditional), real_engine.ask(simplified)
    assert a.language == "zh-Hant" and b.language == "zh-Hans"
    assert [h.pair_id for h in a.hits] == [h.pair_id for h in b.hits]
    assert [h.score for h in a.hits] == pytest.approx([h.score for h in b.hits], abs=1e-5)
    assert (a.answered, a.confidence) == (b.answered, pytest.approx(b.confidence, abs=1e-6))


def test_out_of_scope_is_declined_but_still_returns_neighbours(real_engine):
    ans = real_engine.ask("What's the weather in Shenzhen tomorrow?")
    assert not ans.answered
    assert len(ans.hits) == 5 and 0.0 <= ans.confidence < real_engine.calibration.threshold


def test_a_long_paste_is_answered_by_its_end(real_engine):
    """A pasted document followed by the question: the question, at the end, is what is kept
    (its last line when that asks something, else the last MAX_QUESTION_CHARS characters)."""
    document = "以下是我们公司的背景资料,供参考。\n" * 300
    ans = real_engine.ask(document + "腾讯会自己做ERP吗?")
    assert ans.question == "腾讯会自己做ERP吗?" and "last line" in ans.notice
    assert ans.answered and ans.hits[0].pair.id == "p10"
    # the interviewee's name is not a topic of its own: "汤道生怎么看?" asks about the text
    view = real_engine.ask(document + "关于ERP,我们很担心。\n汤道生怎么看?")
    assert "last 2,000" in view.notice and view.question.endswith("汤道生怎么看?")
    run_on = real_engine.ask(document.replace("\n", "") + "腾讯会自己做ERP吗")
    assert len(run_on.question) == MAX_QUESTION_CHARS and "last 2,000" in run_on.notice
    assert run_on.question.endswith("腾讯会自己做ERP吗")


@pytest.mark.parametrize("last, kept", [
    ("腾讯会自己做ERP吗？", "line"),  # the full-width question mark
    ("?", "end"), ("为什么?", "end"), ("Why?", "end"),  # no words of its own
    # asking for a view on the text above it: the text is the topic
    ("对此你怎么看?", "end"), ("有什么看法?", "end"), ("您的观点是?", "end"),
    ("What are your thoughts?", "end"), ("腾讯对中台的看法是什么?", "line"),
    ("腾讯会自己做ERP吗", "end"),  # no question mark
])
def test_a_long_paste_keeps_its_last_line_only_when_that_is_a_question(last, kept):
    from qa.engine import clean_question

    text, notice = clean_question("背景资料很长。" * 400 + "\n" + last)
    if kept == "line":
        assert text == last and "last line" in notice
    else:
        assert len(text) == MAX_QUESTION_CHARS and text.endswith(last) and "last 2,000" in notice
    one_line = "很长的问题" * 500 + "?"  # a last line longer than the limit: its end
    text, notice = clean_question(one_line)
    assert len(text) == MAX_QUESTION_CHARS and text.endswith("问题?") and "last 2,000" in notice


BACKGROUND = ("我们是一家区域性的连锁超市，门店有两百多家，过去几年一直在做会员系统和线上小程序，"
              "最近管理层在讨论明年的信息化预算。我们觉得人才和团队的培养是最大的问题，招聘到合适的"
              "技术人员很难，内部的文化也需要调整，很多同事习惯了原来的工作方式。")


def test_a_long_message_is_searched_as_its_last_sentence_when_that_asks_on_its_own():
    from qa.engine import LONG_MESSAGE_CHARS, focus_question

    q = "请问：汤道生认为腾讯会和ERP厂商竞争吗？"
    assert focus_question(BACKGROUND + q) == q
    assert focus_question("我们是超市。" + q) is None  # short: the whole message
    # a Han character counts two: fewer characters than LONG_MESSAGE_CHARS, yet long; Latin
    # letters, as many, are not
    assert len(BACKGROUND) + len(q) < LONG_MESSAGE_CHARS
    latin = "We run a chain of shops and sell online. " * 3
    assert len(latin) >= len(BACKGROUND)
    assert focus_question(latin + "Will Tencent compete with ERP vendors?") is None
    english = "We run a chain of shops and sell online. " * 6
    assert focus_question(english + "Will Tencent compete with ERP vendors?") == (
        "Will Tencent compete with ERP vendors?")
    # a last sentence that leans on the text before it, or asks nothing: the whole message
    for last in ("他怎么看?", "对此你怎么看?", "为什么?", "请帮我看看。"):
        assert focus_question(BACKGROUND + last) is None, last
    names = frozenset({"汤道生"})
    assert focus_question(BACKGROUND + "汤道生怎么看?", names) is None


def test_a_background_paragraph_does_not_decide_the_answer(real_engine):
    q = "请问：汤道生认为腾讯会和ERP厂商竞争吗？"
    a = real_engine.ask(BACKGROUND + q)
    assert a.read_as == q and "last sentence" in a.notice
    assert a.answered and a.hits[0].pair.id == "p10"
    off = real_engine.ask(BACKGROUND + "腾讯的股价明年会涨吗?")  # off-topic stays off-topic
    assert not off.answered and off.read_as == "腾讯的股价明年会涨吗?"


def test_the_interviewers_own_questions_are_searched_whole(real_engine):
    """A click on a listed exchange asks its question (in English on an English page): however
    long, it is searched whole, not as its last sentence, and gets its own exchange."""
    long = [p for p in real_engine.interview.pairs
            if focus_question(" ".join(real_engine.translation[p.id].question.split()))]
    assert long  # some English questions are long messages whose last sentence asks on its own
    for pair in long:
        text = " ".join(real_engine.translation[pair.id].question.split())
        a = real_engine.ask(text)
        assert LAST_SENTENCE_USED not in (a.notice or ""), pair.id
        assert a.answered and a.hits[0].pair_id == pair.id, pair.id
    simplified = real_engine.ask(to_simplified(long[0].question))  # another script, too
    assert simplified.hits[0].pair_id == long[0].id
    assert LAST_SENTENCE_USED not in (simplified.notice or "")


def test_a_decline_near_the_threshold_is_unsure(real_engine):
    threshold = real_engine.calibration.threshold
    questions = ["What's the weather in Shenzhen tomorrow?", "他们缺什么样的人才",
                 "CSIG缺哪类人?", "Does Tencent lack people?", "腾讯云什么时候才能赚钱?",
                 "腾讯会自己做ERP吗", "那个马化腾对中台怎么看", "How does Tencent recruit talent?",
                 "他们缺什么样的人?"]
    answers = real_engine.ask_many(questions)
    for a in answers:
        assert a.unsure == (not a.answered and a.confidence >= UNSURE_SHARE * threshold), a
        assert a.to_dict()["unsure"] is a.unsure
    assert not answers[0].unsure  # far below the threshold: "not covered"
    assert any(a.unsure for a in answers)
    # a bare follow-up with nothing before it is not "not sure", whatever it matched alone
    bare = real_engine.ask("为什么?", previous="")
    assert bare.reason_code == "context" and not bare.unsure


def test_to_dict_is_the_json_contract(real_engine):
    d = real_engine.ask("中台的难点是什么", top_k=3).to_dict()
    assert {"question", "answered", "confidence", "hits"} <= set(d)
    assert [h["rank"] for h in d["hits"]] == [1, 2, 3]
    for h in d["hits"]:
        assert CONTRACT_HIT_KEYS <= set(h)
        assert {"dense", "lexical"} <= set(h["scores"])
        pair = real_engine.interview.by_id(h["pair_id"])
        assert h["answer"] == pair.answer and h["question"] == pair.question
    scores = [h["score"] for h in d["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert d["hits"][0]["answer_en"]  # the English edition travels with each hit


def test_modes_rank_differently_but_return_the_same_shape(real_engine):
    q = "Why won't Tencent build ERP software itself?"
    for mode in ("hybrid", "dense", "lexical"):
        ans = real_engine.ask(q, mode=mode)
        assert ans.mode == mode and len(ans.hits) == 5
    with pytest.raises(ValueError):
        real_engine.ask(q, mode="magic")


def test_empty_and_long_questions(hashing_engine):
    empty = hashing_engine.ask("   \n\t")
    assert not empty.answered and empty.hits == () and empty.confidence == 0.0
    # invisible format characters (zero-width space, BOM, word joiner) are not a question either
    for invisible in ("\u200b", "\ufeff", " \u2060\u200b "):
        blank = hashing_engine.ask(invisible)
        assert blank.hits == () and blank.notice == "the question is empty"
    assert hashing_engine.ask("中\u200b台").question == "中台"
    long = hashing_engine.ask("中台" * 5000)
    assert long.notice and f"{MAX_QUESTION_CHARS:,}" in long.notice and "10,000" in long.notice
    assert len(long.question) == MAX_QUESTION_CHARS and long.hits


def test_control_characters_and_top_k_bounds(hashing_engine):
    ans = hashing_engine.ask("ERP\x00\x07 市場", top_k=99)
    assert "\x00" not in ans.question and len(ans.hits) == 13
    for bad, error in ((0, ValueError), (-1, ValueError), (None, TypeError), (2.5, TypeError),
                       ("3", TypeError), (True, TypeError)):
        with pytest.raises(error, match="top_k"):
            hashing_engine.ask("ERP", top_k=bad)
    assert len(hashing_engine.ask("ERP", top_k=np.int64(2)).hits) == 2


def test_module_level_ask_checks_top_k_before_loading_the_model(monkeypatch):
    def no_model():
        raise AssertionError("the model must not load for an invalid top_k")

    monkeypatch.setattr(engine_module, "default_engine", no_model)
    with pytest.raises(ValueError, match="top_k"):
        qa.ask("腾讯会自己做ERP吗", top_k=0)
    with pytest.raises(TypeError, match="top_k"):
        qa.ask("腾讯会自己做ERP吗", top_k=None)


def test_module_level_ask_matches_the_engine(real_engine, monkeypatch):
    monkeypatch.setattr(engine_module, "_default", real_engine)
    assert qa.ask("腾讯会自己做ERP吗") == real_engine.ask("腾讯会自己做ERP吗").to_dict()
    empty = qa.ask("")
    assert empty["answered"] is False and empty["hits"] == []


def test_lone_surrogates_and_nan_never_crash_or_look_certain(hashing_engine):
    from qa.confidence import FALLBACK, FEATURES, Features

    assert hashing_engine.ask("\ud800ERP").hits  # undecodable input is replaced, not fatal
    nan = Features(*([float("nan")] * len(FEATURES)))
    assert FALLBACK.confidence(nan) == 0.0


def test_empty_module_level_ask_needs_no_engine(monkeypatch):
    def boom():
        raise AssertionError("the engine must not be created for an empty question")

    monkeypatch.setattr(engine_module, "default_engine", boom)
    assert qa.ask(" \x00 ")["answered"] is False


def test_the_interviewees_name_is_neither_unseen_nor_against_coverage(hashing_engine):
    """His name (the answer label, and the English edition's form of it) is the interview's own
    word: a question naming him must not look out of scope for it. Ordinary lead-in words stay
    ordinary: "global" in a question the interview does not answer still counts."""
    assert hashing_engine._neutral == {"汤道生", "dowson", "tong", "tang", "daosheng"}
    assert hashing_engine.ask("What is the global strategy?", mode="lexical").features.unseen > 0
    for named, plain in (("汤道生如何看待中台?", "如何看待中台?"),
                         ("What does Dowson Tong think about the middle platform?",
                          "What does he think about the middle platform?")):
        a, b = (hashing_engine.ask(q, mode="lexical").features for q in (named, plain))
        assert a.unseen <= b.unseen  # the name dilutes, never adds to, the unseen share
        assert a.coverage == pytest.approx(b.coverage)
        assert a.coverage > 0
    # a word the article never uses still counts as unseen
    assert hashing_engine.ask("汤道生喜欢吃榴莲吗").features.unseen > 0.5


def test_features_neutral_words():
    import numpy as np

    from qa.confidence import Features

    kw = {"dense": np.array([0.9, 0.8]), "lexical": np.array([2.0, 1.0]),
          "order": np.array([0, 1]), "top_vocab": frozenset({"中台"}), "idf": lambda t: 1.0,
          "vocab": frozenset({"中台"})}
    plain = Features.compute(query_tokens=["汤道生", "中台"], **kw)
    neutral = Features.compute(query_tokens=["汤道生", "中台"], neutral=frozenset({"汤道生"}), **kw)
    assert (plain.unseen, plain.coverage) == (0.5, 0.5)
    assert (neutral.unseen, neutral.coverage) == (0.0, 1.0)


def test_every_mode_the_cli_offers_is_one_the_engine_serves(real_engine):
    from qa.cli import build_parser

    ask = build_parser()._subparsers._group_actions[0].choices["ask"]
    offered = next(a.choices for a in ask._actions if a.dest == "mode")
    assert tuple(offered) == real_engine.modes  # the default model has the sparse head
    for mode in offered:
        assert real_engine.ask("腾讯会自己做ERP吗", mode=mode).hits


def test_every_format_character_is_stripped_from_a_question():
    import sys
    import unicodedata

    from qa.engine import clean_question

    cf = "".join(chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf")
    assert clean_question(f"中{cf}台")[0] == "中台"
    assert clean_question("\ufe0f\u3164\u2800")[0] == ""  # variation selector, fillers: blank
