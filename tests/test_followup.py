"""Follow-up questions: which questions lean on the one before (pure), and how the engine reads
them with it (real model)."""

import dataclasses
import json

import pytest

import qa
from qa.engine import MAX_QUESTION_CHARS
from qa.evaluate import DEFAULT_QUESTIONS, evaluate, load_questions
from qa.followup import combine, is_bare, refers_back

FOLLOWUPS = DEFAULT_QUESTIONS.parent / "followups.jsonl"


@pytest.mark.parametrize("question", [
    "他为什么这么说?", "這個做法有什麼好處", "那私有云呢?", "其他BG呢", "合作夥伴的銷售呢?",
    "刚才说的中台是什么意思", "为什么?", "為啥", "展开说说", "為甚麼?", "能详细说说吗?", "什么意思",
    "Why does he think that?", "And the sales team?", "what about healthcare",
    "how does it work", "Tell me more.", "why?", "So what changed?", "Can you elaborate?",
    "What do you mean?", "Why not?",
])
def test_questions_that_point_back(question):
    assert refers_back(question)


@pytest.mark.parametrize("question", [
    "腾讯会自己做ERP吗", "腾讯云什么时候盈利", "其实腾讯有没有中台", "腾讯应该怎么做to B",
    "因此腾讯不做ERP吗", "那么腾讯的中台是什么", "Will Tencent build an ERP?",
    "What does Tong think about the middle platform", "Why is Tencent Cloud not profitable?",
    "Whyte", "hello", "therefore Tencent partners", "腾讯的股价为什么下跌呢?", "点解腾讯唔做ERP?",
    "腾讯其他员工的加班多吗", "尤其是医疗行业怎么做", "其次是人才", "极其重要的客户", "如此重要的市场",
    "此时的腾讯云", "Does Tencent agree that clouds matter?", "What does Tencent offer IT departments?",
    "Is there a gym at Tencent's headquarters?", "Does Tencent think that remote work is good?",
])
def test_self_contained_questions_do_not(question):
    assert not refers_back(question)


def test_bare_follow_ups_have_no_words_of_their_own():
    for q in ("为什么?", "他为什么这么说?", "Why does he think that?", "Tell me more",
              "能详细说说吗", "為甚麼?", "點解?", "講多啲", "咩意思?", "具體啲"):  # + Cantonese
        assert is_bare(q), q
    for q in ("那私有云呢?", "And the sales team?", "他喜欢打篮球吗"):
        assert not is_bare(q), q


def test_combine_keeps_the_end_of_a_long_previous_question_within_a_limit():
    """The end, where a long message asks its question (as clean_question keeps it)."""
    assert combine(" 腾讯会自己做ERP吗 ", " 为什么? ") == "腾讯会自己做ERP吗 为什么?"
    assert combine("腾讯会自己做ERP吗", "") == "腾讯会自己做ERP吗"  # a bare follow-up
    long_question = "问" * 1990
    text = combine("腾讯会自己做ERP吗", long_question, limit=2000)
    assert len(text) == 2000 and text.endswith(long_question) and text.startswith("讯会自己做ERP吗 问")
    pasted = "背景资料很长。" * 400 + "腾讯会自己做ERP吗?"
    text = combine(pasted, "他这样划边界的理由是什么?", limit=2000)
    assert len(text) <= 2000 and "腾讯会自己做ERP吗? 他这样划边界的理由是什么?" in text
    assert combine("腾讯会自己做ERP吗", "问" * 2000, limit=2000) == "问" * 2000


def test_a_follow_up_is_read_with_the_previous_question(real_engine):
    alone = real_engine.ask("他这样划边界的理由是什么")
    assert not alone.answered and alone.read_with is None  # alone it names no topic
    a = real_engine.ask("他这样划边界的理由是什么", previous="腾讯会自己做ERP吗")
    assert a.answered and a.hits[0].pair.id == "p10"
    assert a.read_with == "腾讯会自己做ERP吗"
    assert a.read_as == "腾讯会自己做ERP吗 他这样划边界的理由是什么"
    assert a.question == "他这样划边界的理由是什么" and a.language == "zh-Hans"
    d = a.to_dict()
    assert d["read_with"] == a.read_with and d["read_as"] == a.read_as


def test_a_self_contained_or_factoid_question_is_read_alone(real_engine):
    erp = "腾讯会自己做ERP吗"
    # answered alone: the previous question is not used
    a = real_engine.ask("腾讯云现在盈利了吗", previous=erp)
    assert a.read_with is None and a.hits[0].pair.id == "p13"
    # asks for a figure or a name the interview does not give: stays declined
    for q in ("这个花了多少钱?", "那是哪家公司做的?", "Who built it?"):
        b = real_engine.ask(q, previous=erp)
        assert not b.answered and b.read_with is None, q
    # off topic, pointing back or not: declined, not given the previous question's exchange
    for q in ("那今天天气怎么样呢", "那天气呢", "他喜欢打篮球吗", "那腾讯的员工福利呢?",
              "腾讯的股价为什么下跌呢?", "Does he like it?", "and his salary?",
              "Is there a gym at Tencent's headquarters?"):
        a = real_engine.ask(q, previous=erp)
        assert not a.answered and a.read_with is None, q


def test_a_bare_follow_up_is_read_with_context_even_when_answered_alone(real_engine):
    """"他为什么这么说?" alone matches whatever 说 matches; after a question it means that one."""
    q, prev = "他为什么这么说?", "腾讯会自己做ERP吗"
    a = real_engine.ask(q, previous=prev)
    assert a.read_with == prev and a.answered and a.hits[0].pair.id == "p10"


@pytest.mark.parametrize("q", ["有什么看法?", "您的观点是?", "What's your view?"])
def test_asking_for_a_view_follows_up(real_engine, q):
    """A request for a view with no topic of its own is about the question before it (alone it
    is declined: it names nothing the interview could answer)."""
    prev = "腾讯会自己做ERP吗"
    assert not real_engine.ask(q).answered
    a = real_engine.ask(q, previous=prev)
    assert a.read_with == prev and a.answered and a.hits[0].pair.id == "p10"


def test_a_short_question_without_a_pointer_stays_on_the_topic(real_engine):
    """Chinese drops the subject: "不擔心嗎?" after a question on Tencent Cloud's profits is
    about that answer's "我不是特別擔心", not about the exchange that asks about worrying.
    ("為什麼不擔心?", the example before, is found alone since questions are embedded in
    Simplified script.)"""
    prev, q = "騰訊雲現在賺錢嗎?", "不擔心嗎?"
    assert real_engine.ask(q).hits[0].pair.id == "p06"  # read alone
    a = real_engine.ask(q, previous=prev)
    assert a.read_with == prev and a.answered and a.hits[0].pair.id == "p13"
    # a short question on another topic keeps its own exchange
    b = real_engine.ask("那熊猫直播呢?", previous=prev)
    assert b.read_with is None and b.hits[0].pair.id == "p05"
    c = real_engine.ask("ERP呢?", previous=prev)
    assert c.hits[0].pair.id == "p10"


def test_chains_stay_on_the_question_that_set_the_topic(real_engine):
    erp = "腾讯会自己做ERP吗"
    first = real_engine.ask(erp)
    why = real_engine.ask("为什么?", previous=first.anchor)
    more = real_engine.ask("Tell me more", previous=why.anchor)
    assert why.read_with == erp and more.read_with == erp and more.hits[0].pair.id == "p10"
    # after a long question, a bare follow-up gets what that question got, cut the same way
    long_q = erp + " 我是一家制造业公司的IT负责人，想知道腾讯的边界在哪里。" * 80
    for q in ("为什么?", "Why?"):
        a = real_engine.ask(q, previous=long_q)
        alone = real_engine.ask(long_q)
        assert a.read_with == alone.question and len(a.read_with) == MAX_QUESTION_CHARS
        assert a.hits[0].pair.id == alone.hits[0].pair.id and a.answered == alone.answered


def test_a_follow_up_that_names_a_topic_sets_it_for_the_next_one(real_engine, monkeypatch):
    """A web review: "腾讯会不会自己做ERP啊" → "那私有云呢?" → "具体说说" went back to ERP. The
    second names a topic of its own, so when it is read in context the third is read with the two
    of them together. Alone, "那私有云呢?" scores about 0.40, near the calibrated threshold: the
    threshold is raised here so that it is declined alone and read in context, whatever the
    current calibration."""
    monkeypatch.setattr(real_engine, "calibration",
                        dataclasses.replace(real_engine.calibration, threshold=0.6))
    assert not real_engine.ask("那私有云呢?").answered
    first = real_engine.ask("腾讯会不会自己做ERP啊")
    private = real_engine.ask("那私有云呢?", previous=first.anchor)
    assert private.read_with == first.question and private.hits[0].pair.id == "p12"
    assert private.anchor == private.read_as != first.question
    more = real_engine.ask("具体说说", previous=private.anchor)
    assert more.answered and more.hits[0].pair.id == "p12"
    assert more.anchor == private.anchor  # bare: the topic stays


def test_a_topic_chain_stays_on_the_new_topic(real_engine):
    """The same chain as users meet it, with the calibrated threshold: the third turn is about
    private cloud (p12), not ERP (p10), whether the second was answered alone or in context."""
    first = real_engine.ask("腾讯会不会自己做ERP啊")
    private = real_engine.ask("那私有云呢?", previous=first.anchor)
    more = real_engine.ask("具体说说", previous=private.anchor)
    assert private.hits[0].pair.id == more.hits[0].pair.id == "p12" and more.answered


def test_previous_questions_must_match_the_questions(real_engine):
    with pytest.raises(ValueError, match="one per question"):
        real_engine.ask_many(["a", "b"], previous=["c"])
    with pytest.raises(TypeError, match="not a single string"):
        real_engine.ask_many(["为什么"], previous="腾讯会自己做ERP吗")
    # empty or blank previous questions are no context
    assert real_engine.ask("他这样划边界的理由是什么", previous="  ").read_with is None


def test_module_level_ask_takes_the_previous_question(real_engine, monkeypatch):
    monkeypatch.setattr("qa.engine.default_engine", lambda: real_engine)
    r = qa.ask("他这样划边界的理由是什么", previous="腾讯会自己做ERP吗")
    assert r["read_with"] == "腾讯会自己做ERP吗" and r["hits"][0]["pair_id"] == "p10"
    with pytest.raises(TypeError, match="previous"):
        qa.ask("为什么", previous=["腾讯会自己做ERP吗"])


def test_followup_set_shape():
    rows = [json.loads(line) for line in FOLLOWUPS.read_text(encoding="utf-8").splitlines()]
    items = load_questions(FOLLOWUPS)
    assert len(items) == len(rows) >= 200 and all(i.previous for i in items)
    assert {r["kind"] for r in rows} == {"anaphora", "ellipsis", "standalone", "oos", "bare"}
    assert {i.split for i in items} == {"dev", "test"}
    assert all((r["expected"] is None) == (r["kind"] == "oos") for r in rows)


def test_followups_on_the_held_out_split_beat_reading_them_alone(real_engine):
    """Measured: README 'Follow-up questions'. Reading alone is the same questions without their
    previous ones; the floors sit a little under the measured figures."""
    items = load_questions(FOLLOWUPS, split="test")
    chat = evaluate(real_engine, items).metrics
    alone = evaluate(real_engine, [dataclasses.replace(i, previous="") for i in items]).metrics
    assert chat["answered_right"] > alone["answered_right"] + 5
    # the share of answers that are right does not drop by more than about one answer in the
    # 76 given (measured: 58/76 = 0.763 against 48/62 = 0.774 alone)
    assert (chat["answered_right"] / chat["answered"]
            >= alone["answered_right"] / alone["answered"] - 0.02)
    assert chat["inscope_declined"] < alone["inscope_declined"]
    assert chat["oos_declined"] >= alone["oos_declined"] - 2  # 28 against 30 of 38 now
    # 28/38 = 0.737 now (29/38 before the fourteenth batch's recalibration lowered the threshold)
    assert chat["recall@1"] >= 0.82 and chat["oos_declined_rate"] >= 0.70


def test_a_follow_up_with_nothing_before_it_says_so(real_engine):
    # answered or not alone ("为什么这么做?" matched an exchange at 95%), it is noise
    for q in ("为什么?", "Tell me more", "為甚麼?", "为什么这么做?", "汤道生为什么这么说?"):
        a = real_engine.ask(q)
        assert not a.answered and a.reason_code == "context" and a.anchor == "", q
    # chit-chat and ordinary off-topic questions keep their usual reasons
    for q in ("今天天气怎么样", "你是谁?", "What?", "???"):
        assert real_engine.ask(q).reason_code != "context", q


def test_the_interviewees_name_is_not_a_topic_of_its_own(real_engine):
    prev = "腾讯会自己做ERP吗?"
    for q in ("汤道生为什么这么说?", "Why did Dowson Tong say that?"):
        a = real_engine.ask(q, previous=prev)
        assert a.read_with == prev and a.hits[0].pair.id == "p10", q


def test_a_follow_up_in_neither_script_takes_the_conversations(real_engine):
    assert real_engine.ask("那明年呢", previous="騰訊會自己做ERP嗎").language == "zh-Hant"
    assert real_engine.ask("那明年呢", previous="腾讯会自己做ERP吗").language == "zh-Hans"
    assert real_engine.ask("那明年呢").language == "zh-Hans"
    # a question with a script of its own keeps it
    assert real_engine.ask("为什么", previous="騰訊會自己做ERP嗎").language == "zh-Hans"


def test_more_ways_to_ask_for_more(real_engine):
    """Follow-ups without a topic word of their own get the exchange the previous question got."""
    prev = "熊猫直播破产时腾讯做了什么"
    first = real_engine.ask(prev).hits[0].pair.id
    for q in ("为什么这么做?", "这样做的原因是什么?", "What was the reason?", "能举个例子吗",
              "Can you give an example?", "具体点?", "go on", "講多啲", "點解呀?"):
        a = real_engine.ask(q, previous=prev)
        assert a.answered and a.read_with == prev and a.hits[0].pair.id == first, q


def test_a_python_conversation_reads_each_question_with_the_one_before(real_engine, monkeypatch):
    """qa.Conversation keeps the topic as the chat does: a bare follow-up, small talk in
    between, a follow-up with a topic of its own, an empty question, reset."""
    import qa
    import qa.engine

    monkeypatch.setattr(qa.engine, "_default", real_engine)
    chat = qa.Conversation(top_k=3)
    erp = "腾讯会自己做ERP吗"
    assert chat.previous is None and chat.ask(erp)["read_with"] is None
    assert chat.previous == erp
    why = chat.ask("为什么?")
    assert why["read_with"] == erp and why["hits"][0]["pair_id"] == "p10" and len(why["hits"]) == 3
    assert chat.ask("谢谢")["reason_code"] == "chat" and chat.previous == erp  # topic kept
    assert chat.ask("Tell me more")["read_with"] == erp
    assert chat.ask("")["notice"] and chat.previous == erp  # an empty question changes nothing
    assert chat.ask("那私有云呢?")["hits"][0]["pair_id"] == "p12"
    assert chat.ask("具体说说")["hits"][0]["pair_id"] == "p12"  # the new topic
    chat.reset()
    alone = chat.ask("为什么?")
    assert alone["reason_code"] == "context" and alone["read_with"] is None
    assert chat.previous is None  # nothing to follow up on yet
