"""Expected answer type: interrogative forms in both scripts and English, figures in evidence."""

import pytest

from qa.answertype import asks_for, factoid, has_number


@pytest.mark.parametrize("question, kind", [
    ("腾讯云2018年的营收是多少?", "number"),
    ("騰訊雲什麼時候開始盈利?", "number"),
    ("CSIG有幾個部門?", "number"),
    ("How much does Tencent Cloud charge per GB?", "number"),
    ("When did Tencent launch its cloud?", "number"),
    ("In what year was CSIG founded? how many staff?", "number"),
    ("谁接替了汤道生的职位?", "party"),
    ("騰訊的ERP系統是向哪家廠商買的?", "party"),
    ("Who runs the social networking group now?", "party"),
    ("Which company is Tencent Cloud's largest customer?", "party"),
    ("How do I sign up for WeChat Work?", "howto"),
    ("小程序帳號怎麼註冊?", "howto"),
    ("为什么腾讯不做ERP?", None),
    ("湯道生怎麼看中台?", None),
    ("How does Tencent decide what to build itself?", None),
    ("How can Tencent win over traditional companies?", None),  # not instructions for the user
    ("What should Tencent do when a customer runs into trouble?", None),  # "when" as a conjunction
    ("ERP", None),
])
def test_asks_for(question, kind):
    assert asks_for(question) == kind


@pytest.mark.parametrize("text, expected", [
    ("到现在过去200多天", True),
    ("這半年,花了三年時間", True),
    ("More than two hundred days have passed", True),
    ("Revenue grew 40%", True),
    ("我們不做ERP,也不打算做", False),
    ("We serve them with one face.", False),
    ("", False),
])
def test_has_number(text, expected):
    assert has_number(text) is expected


def test_factoid_checks_the_evidence_for_number_questions_only():
    assert factoid("过去多少天了?", "从930调整到现在过去200多天") == 0.0  # the evidence answers it
    assert factoid("腾讯云去年营收多少?", "腾讯云现在还没有盈利") == 1.0
    assert factoid("How many customers does it have?", None) == 1.0
    assert factoid("Who leads CSIG?", "湯道生 200 days") == 1.0  # a party: no figure helps
    assert factoid("为什么腾讯不做ERP?", None) == 0.0


def test_the_engine_feeds_the_feature_to_the_confidence(hashing_engine):
    from qa.confidence import FEATURES

    assert "factoid" in FEATURES
    assert hashing_engine.ask("谁负责腾讯的ERP?").features.factoid == 1.0
    assert hashing_engine.ask("腾讯为什么不做ERP?").features.factoid == 0.0


def test_a_decline_says_why_only_when_the_answer_type_is_the_reason(hashing_engine):
    import dataclasses

    from qa.answertype import DECLINE_REASONS

    saved = hashing_engine.calibration
    try:
        hashing_engine.calibration = dataclasses.replace(saved, threshold=2.0)  # declines all
        assert hashing_engine.ask("谁负责腾讯的ERP?").reason == DECLINE_REASONS["party"]
        assert hashing_engine.ask("谁负责腾讯的ERP?").to_dict()["reason"] == DECLINE_REASONS[
            "party"]
        assert hashing_engine.ask("腾讯为什么不做ERP?").reason is None  # no specific reason
        hashing_engine.calibration = dataclasses.replace(saved, threshold=-1.0)  # answers all
        assert hashing_engine.ask("谁负责腾讯的ERP?").reason is None
    finally:
        hashing_engine.calibration = saved


def test_the_cli_prints_the_reason(capsys):
    from qa.answertype import DECLINE_REASONS
    from qa.cli import _print_answer

    _print_answer({"question": "Who runs CSIG?", "answered": False, "confidence": 0.1,
                   "reason": DECLINE_REASONS["party"],
                   "hits": [{"pair_id": "p01", "section": "s", "question": "q", "answer": "a",
                             "rank": 1, "score": 0.1}]})
    out = capsys.readouterr().out
    assert "does not seem to cover this" in out and DECLINE_REASONS["party"] in out
