"""The parser turns the bundled article into 13 verbatim pairs and refuses bad input clearly."""

import json
import logging

import pytest

from qa.config import DEFAULT_INTERVIEW
from qa.errors import InterviewParseError
from qa.parsing import load_interview, parse_article, parse_records

ARTICLE = DEFAULT_INTERVIEW.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def interview():
    return load_interview(DEFAULT_INTERVIEW)


def test_thirteen_pairs_with_stable_ids(interview):
    assert len(interview) == 13
    assert [p.id for p in interview.pairs] == [f"p{i:02d}" for i in range(1, 14)]


def test_text_is_verbatim(interview):
    for p in interview.pairs:
        assert p.question in ARTICLE
        for para in p.answer_paragraphs:
            assert para in ARTICLE.replace("\xa0", " ")
    assert interview.by_id("p10").answer.startswith("爲什麼騰訊要把所有的事兒都做了?")
    # the Traditional script's conversion quirks survive untouched
    assert "纔能夠" in interview.by_id("p02").answer


def test_sections_and_askers(interview):
    assert interview.sections == [
        "花時間最多的事:拜訪客戶", "談人才標準:不僅僅是完成交付", "騰訊沒有中臺能力是“誤解”",
        "談業務協同:所有BG參與其中", "談邊界:“騰訊不會所有事都自己做”", "不擔心騰訊雲",
    ]
    assert interview.by_id("p01").section == "花時間最多的事:拜訪客戶"
    assert interview.by_id("p13").section == "不擔心騰訊雲"
    assert [p.asker for p in interview.pairs].count("記者") == 2
    assert interview.by_id("p12").asker == "記者"


def test_multi_paragraph_answers_and_nbsp_labels(interview):
    assert len(interview.by_id("p09").answer_paragraphs) == 6
    assert interview.by_id("p08").question == "做中臺的難點是什麼?"  # label followed by U+00A0
    assert interview.by_id("p05").answer.startswith("我們吸納了很多")


def test_lead_in_caption_and_trailer_are_not_answers(interview):
    everything = "".join(p.answer + p.question + p.section for p in interview.pairs)
    assert "攝影by劉佳" not in everything
    assert not any("攝影" in c for c in interview.context)  # the photo caption is not lead-in
    story = parse_article("這家公司從攝影器材起家,後來轉做雲服務。\n\n記者攝影by某某\n\n"
                          "提問:為什麼?\n\n湯道生:因為客戶需要。")
    assert story.context == ("這家公司從攝影器材起家,後來轉做雲服務。",)  # a sentence stays
    assert "相關文章" not in everything
    assert any("拜訪客戶" in c for c in interview.context)
    assert not any(c.startswith("提問") for c in interview.context)
    assert interview.by_id("p13").answer.endswith("所以我不是特別擔心。")


def test_half_width_colons_and_custom_labels():
    text = "Q: What is it?\n\nA: It is a test.\n\nSecond paragraph.\n\nQ: And then?\n\nA: Done."
    iv = parse_article(text, askers=["Q"], answerers=["A"])
    assert len(iv) == 2
    assert iv.pairs[0].answer_paragraphs == ("It is a test.", "Second paragraph.")


def test_full_and_half_width_colons_mix():
    # "\uff1a" is the full-width colon (written as an escape so that no tool folds it)
    iv = parse_article("提問\uff1a一?\n湯道生:答一。\n記者: 二?\n湯道生 \uff1a 答二。")
    assert [p.question for p in iv.pairs] == ["一?", "二?"]
    assert [p.answer for p in iv.pairs] == ["答一。", "答二。"]


def test_another_interviewee_is_found_without_options(caplog):
    text = ("小店專訪\n\n做麵包的秘訣\n\n記者\uff1a你用什麼酵母\uff1f\n\n"
            "王大廚\uff1a我用老麵。\n\n每天餵兩次。\n\n記者\uff1a會開分店嗎\uff1f\n\n"
            "王大廚\uff1a暫時不會。")
    with caplog.at_level(logging.INFO):
        iv = parse_article(text)
    assert iv.speakers == ("王大廚",) and "王大廚" in caplog.text
    assert [p.answer_paragraphs for p in iv.pairs] == [("我用老麵。", "每天餵兩次。"), ("暫時不會。",)]
    assert iv.pairs[0].section == "做麵包的秘訣"
    # Q / A turns, the common English form
    iv = parse_article("Q: Which yeast?\n\nA: My own.\n\nQ: More shops?\n\nA: Not yet.")
    assert [(p.asker, p.question, p.answer) for p in iv.pairs] == [
        ("Q", "Which yeast?", "My own."), ("Q", "More shops?", "Not yet.")]
    # one labelled reply is not enough to call it the interviewee
    with pytest.raises(InterviewParseError, match="no question/answer pairs"):
        parse_article("記者:你好嗎?\n\n王大廚:好。")


def test_answer_without_question_warns(caplog):
    with caplog.at_level(logging.WARNING):
        iv = parse_article("湯道生:沒有問題的回答。\n\n提問:問題?\n\n湯道生:回答。")
    assert len(iv) == 1
    assert "answer without a question" in caplog.text


def test_no_pairs_is_an_error(tmp_path):
    f = tmp_path / "empty.txt"
    f.write_text("just some prose\n\nwith no interview in it.", encoding="utf-8")
    with pytest.raises(InterviewParseError, match="no question/answer pairs"):
        load_interview(f)


def test_wrong_encoding_is_an_error(tmp_path):
    f = tmp_path / "big5.txt"
    f.write_bytes("提問:你好?\n湯道生:你好。".encode("big5"))
    with pytest.raises(InterviewParseError, match="not UTF-8"):
        load_interview(f)


def test_json_and_jsonl_records(tmp_path):
    recs = [{"question": "Why?", "answer": "Because.\n\nAlso this."},
            {"question": "How?", "answer": ["Like so."], "section": "S"}]
    j = tmp_path / "i.json"
    j.write_text(json.dumps(recs), encoding="utf-8")
    jl = tmp_path / "i.jsonl"
    jl.write_text("\n".join(json.dumps(r) for r in recs), encoding="utf-8")
    for path in (j, jl):
        iv = load_interview(path)
        assert [p.id for p in iv.pairs] == ["p01", "p02"]
        assert iv.pairs[0].answer_paragraphs == ("Because.", "Also this.")
        assert iv.pairs[1].section == "S"


def test_records_without_pairs_or_with_orphans(caplog):
    with pytest.raises(InterviewParseError):
        parse_records([])
    with caplog.at_level(logging.WARNING):
        iv = parse_records([{"answer": "orphan"}, {"question": "q", "answer": "a"}])
    assert len(iv) == 1 and "no question" in caplog.text


def test_fingerprint_changes_with_text(interview):
    other = parse_article(ARTICLE.replace("蠻大的", "很大的"))
    assert other.fingerprint() != interview.fingerprint()
    assert load_interview(DEFAULT_INTERVIEW).fingerprint() == interview.fingerprint()


def test_short_answer_paragraph_is_not_a_heading():
    iv = parse_article("提問:一?\n\n湯道生:我們做連接。\n\n第一,做好連接器\n\n很長的段落。\n\n"
                       "小節\n\n提問:二?\n\n湯道生:答。")
    assert iv.pairs[0].answer_paragraphs == ("我們做連接。", "第一,做好連接器", "很長的段落。")
    assert iv.pairs[0].section == "" and iv.pairs[1].section == "小節"


def test_second_answer_turn_is_appended(caplog):
    with caplog.at_level(logging.WARNING):
        iv = parse_article("提問:一?\n\n湯道生:第一段。\n\n湯道生:第二段。")
    assert iv.pairs[0].answer_paragraphs == ("第一段。", "第二段。")


def test_json_that_is_not_a_list_of_records(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text("null", encoding="utf-8")
    with pytest.raises(InterviewParseError):
        load_interview(f)


def test_duplicate_pair_ids_are_named(tmp_path):
    recs = [{"id": "a1", "question": "One?", "answer": "1."},
            {"id": "b2", "question": "Two?", "answer": "2."},
            {"id": "a1", "question": "Three?", "answer": "3."},
            {"question": "Four?", "answer": "4."},  # numbered p04 ...
            {"id": "p04", "question": "Five?", "answer": "5."}]  # ... as this one says it is
    f = tmp_path / "dup.json"
    f.write_text(json.dumps(recs), encoding="utf-8")
    with pytest.raises(InterviewParseError) as err:
        load_interview(f)
    msg = str(err.value)
    assert "dup.json" in msg
    assert "'a1' (record 1 and record 3)" in msg and "'p04' (record 4 and record 5)" in msg
    assert "'b2'" not in msg
    assert "unique" in msg
    # a .jsonl file: its lines, blank ones counted, as an editor numbers them
    lines = [json.dumps(recs[0]), "", json.dumps(recs[1]), json.dumps(recs[2])]
    f = tmp_path / "dup.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InterviewParseError, match=r"'a1' \(line 1 and line 4\)"):
        load_interview(f)
    f.write_text(json.dumps(recs[0]) + "\n\n\n" + '"oops"' + "\n", encoding="utf-8")
    with pytest.raises(InterviewParseError, match=r"dup\.jsonl: line 4 is not an object"):
        load_interview(f)
    # broken JSON on a line: that line of the file, not line 1 of the record
    f.write_text(json.dumps(recs[0]) + "\n\n\n" + '{"id": "x",' + "\n", encoding="utf-8")
    with pytest.raises(InterviewParseError, match=r"dup\.jsonl: line 4 is not valid JSON"):
        load_interview(f)


def test_json_object_without_pairs_explains_the_shape(tmp_path):
    f = tmp_path / "obj.json"
    f.write_text(json.dumps({"items": [{"question": "Why?", "answer": "Because."}]}),
                 encoding="utf-8")
    with pytest.raises(InterviewParseError) as err:
        load_interview(f)
    msg = str(err.value)
    assert "obj.json" in msg and "'pairs'" in msg and "'items'" in msg
    assert "question" in msg and "answer" in msg
    assert "no question/answer records found" not in msg
    # the documented object form still loads
    f.write_text(json.dumps({"pairs": [{"question": "Why?", "answer": "Because."}]}),
                 encoding="utf-8")
    assert len(load_interview(f)) == 1


def test_json_pairs_that_is_not_a_list_says_so(tmp_path):
    f = tmp_path / "obj.json"
    f.write_text(json.dumps({"pairs": {"question": "Why?", "answer": "Because."}}),
                 encoding="utf-8")
    with pytest.raises(InterviewParseError, match=r"'pairs'.*list"):
        load_interview(f)


def test_browse_gives_a_section_that_returns_its_own_unique_anchor():
    """Browse tab (ui.render.browse_page) on a JSON interview whose section "A" comes back after
    "B": every heading is shown, every HTML id is unique, and each table-of-contents link points
    at a heading that exists (the section's first appearance)."""
    import re

    from ui.render import browse_page

    iv = parse_records([
        {"question": "One?", "answer": "1.", "section": "A"},
        {"question": "Two?", "answer": "2.", "section": "B"},
        {"question": "Three?", "answer": "3.", "section": "A"},
        {"question": "Four?", "answer": "4.", "section": "A"},
    ])
    html = browse_page(iv, {})
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), ids
    headings = re.findall(r'<h3 class="b-sec" id="([^"]+)">([^<]*)</h3>', html)
    assert [h[1] for h in headings] == ["A", "B", "A"]  # "A" again before p03, once
    links = re.findall(r'<a href="#([^"]+)">([^<]*)</a>', html)
    assert [t for _, t in links] == ["A", "B"]
    for target, text in links:
        assert (target, text) in headings
    # the headings still lead their own exchanges
    assert html.index(headings[2][0]) < html.index("Three?") < html.index("Four?")
