"""Labelled question files (qa.evaluate): a bad record is refused with its line, the field or id at
fault and what would be valid, before any question is asked."""

import json
from types import SimpleNamespace as NS

import pytest

from qa.errors import QAError
from qa.evaluate import Labelled, evaluate, load_questions

GOOD = {"id": "q1", "question": "Why?", "lang": "en", "expected": "p01", "kind": "detail",
        "split": "dev"}


def _file(tmp_path, *lines: str):
    f = tmp_path / "questions.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f


def _engine(*ids: str):
    """An engine stand-in: its interview's pair ids, and no answers (none may be asked for)."""
    def ask_many(*_a, **_k):
        raise AssertionError("questions were asked although a record is invalid")

    return NS(interview=NS(pairs=tuple(NS(id=i) for i in ids), source="interview.json"),
              ask_many=ask_many)


def test_an_expected_pair_the_interview_lacks_names_id_line_and_valid_ids(tmp_path):
    bad = dict(GOOD, id="q2", expected="p99")
    f = _file(tmp_path, json.dumps(GOOD), "", json.dumps(bad))
    items = load_questions(f)
    with pytest.raises(QAError) as err:
        evaluate(_engine("p01", "p02", "p03"), items)
    msg = str(err.value)
    assert "questions.jsonl:3" in msg  # the line in the file (blank lines counted)
    assert "'p99'" in msg and "q2" in msg
    assert "p01, p02, p03" in msg


def test_a_long_list_of_valid_ids_is_shortened():
    items = [Labelled("q1", "Why?", "en", "nope")]
    ids = [f"p{i:03d}" for i in range(1, 201)]
    with pytest.raises(QAError, match=r"p001, p002.*p200 \(200 in all") as err:
        evaluate(_engine(*ids), items)
    assert "p150" not in str(err.value)


def test_in_scope_and_out_of_scope_records_that_match_the_interview_are_evaluated(tmp_path):
    oos = dict(GOOD, id="q2", expected=None)
    items = load_questions(_file(tmp_path, json.dumps(GOOD), json.dumps(oos)))
    answers = [NS(hits=(NS(pair=NS(id="p01"), rank=1),), answered=True, confidence=0.9),
               NS(hits=(), answered=False, confidence=0.2)]
    engine = NS(interview=NS(pairs=(NS(id="p01"),)), ask_many=lambda *_a, **_k: answers)
    result = evaluate(engine, items)
    assert result.metrics["recall@1"] == 1.0 and result.metrics["oos_declined"] == 1
    # 90% and right, 20% and (off topic) never right: each 0.1-0.2 off
    assert result.metrics["calibration_error"] == pytest.approx((0.1 + 0.2) / 2)


@pytest.mark.parametrize("field", ["id", "question", "expected"])
def test_a_missing_required_field_is_named(tmp_path, field):
    rec = {k: v for k, v in GOOD.items() if k != field}
    f = _file(tmp_path, json.dumps(GOOD), json.dumps(rec))
    with pytest.raises(QAError) as err:
        load_questions(f)
    msg = str(err.value)
    assert "questions.jsonl:2" in msg
    assert f"missing field {field!r}" in msg
    assert "required: id, question, expected" in msg


@pytest.mark.parametrize("line", ["[1, 2]", "3", '"text"', "null", "true"])
def test_a_line_that_is_not_a_json_object_is_a_clear_error(tmp_path, line):
    f = _file(tmp_path, json.dumps(GOOD), line)
    with pytest.raises(QAError, match=r"questions\.jsonl:2: .*not a JSON object.*"
                                      r"required: id, question, expected"):
        load_questions(f)


def test_a_line_that_is_not_json_is_a_clear_error(tmp_path):
    f = _file(tmp_path, "{'id': 'q1'}")
    with pytest.raises(QAError, match=r"questions\.jsonl:1: not valid JSON"):
        load_questions(f)


@pytest.mark.parametrize("change, said", [
    ({"question": "  "}, "'question'"),
    ({"question": 7}, "'question'"),
    ({"expected": ""}, "null"),
    ({"expected": 3}, "'expected'"),
    ({"split": "train"}, "'dev' or 'test'"),
    ({"lang": 1}, "'lang'"),
])
def test_a_field_of_the_wrong_kind_is_named(tmp_path, change, said):
    f = _file(tmp_path, json.dumps(dict(GOOD, **change)))
    with pytest.raises(QAError, match=r"questions\.jsonl:1: ") as err:
        load_questions(f)
    assert said in str(err.value)


def test_optional_fields_may_be_left_out(tmp_path):
    minimal = {"id": 5, "question": "Why?", "expected": None}
    [item] = load_questions(_file(tmp_path, json.dumps(minimal)))
    assert (item.id, item.expected, item.lang, item.kind, item.split) == ("5", None, "", "", "")


def test_a_null_optional_field_counts_as_left_out(tmp_path):
    nulls = {"id": "q1", "question": "Why?", "expected": "p01", "lang": None, "kind": None,
             "split": None}
    [item] = load_questions(_file(tmp_path, json.dumps(nulls)))
    assert (item.lang, item.kind, item.split) == ("", "", "")
    with pytest.raises(QAError, match="no labelled questions"):  # in no split but "all"
        load_questions(_file(tmp_path, json.dumps(nulls)), split="dev")


def test_a_repeated_id_is_refused_naming_both_lines(tmp_path):
    a = {"id": "q1", "question": "Why?", "expected": "p01"}
    b = {"id": "q1", "question": "How?", "expected": None}
    with pytest.raises(QAError, match=r":2: id 'q1' is already used on line 1"):
        load_questions(_file(tmp_path, json.dumps(a) + "\n" + json.dumps(b)))
