"""qa.background: the labelled questions after a background paragraph (a benchmark's plumbing)."""

from qa.background import BACKGROUND, robustness, table, with_background
from qa.evaluate import load_questions


def test_each_question_gets_the_paragraph_of_its_language():
    items = load_questions(split="dev")
    en = next(i for i in items if i.lang == "en")
    zh = next(i for i in items if i.lang == "zh-Hant")
    pasted_en, pasted_zh = with_background([en, zh])
    assert pasted_en.question == BACKGROUND["en"] + " " + en.question
    assert pasted_zh.question == BACKGROUND["zh"] + zh.question
    assert (pasted_en.expected, pasted_zh.split) == (en.expected, zh.split)


def test_robustness_compares_the_rule_on_and_off_without_touching_the_engine(real_engine):
    items = load_questions(split="dev")
    few = [i for i in items if i.expected][:4] + [i for i in items if not i.expected][:2]
    runs = robustness(real_engine, few)
    assert list(runs) == ["as written", "after a background paragraph",
                          "after a background paragraph, searched whole"]
    assert all((m["n_inscope"], m["n_oos"]) == (4, 2) for m in runs.values())
    assert real_engine.focus_long_messages  # switched off on a copy only
    assert table(runs).count("\n") == 4


def test_the_long_message_rule_is_off_on_a_copy_that_says_so(real_engine):
    import copy

    q = BACKGROUND["zh"] + "请问：汤道生认为腾讯会和ERP厂商竞争吗？"
    whole = copy.copy(real_engine)
    whole.focus_long_messages = False
    assert real_engine.ask(q).read_as == "请问：汤道生认为腾讯会和ERP厂商竞争吗？"
    assert whole.ask(q).read_as is None
