"""Exemplars (qa.exemplars): the nearest-labelled-questions confidence feature, its fallback."""

from dataclasses import replace

import numpy as np
import pytest

from qa.confidence import Calibration, Features
from qa.exemplars import ExemplarSet, K


def _unit(*rows):
    v = np.array(rows, dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _set(n_in=K + 2, n_out=K + 2, skip=False):
    # answerable exemplars point along x, unanswerable ones along y (with a little spread)
    rows = [(1.0, 0.02 * i, 0.0) for i in range(n_in)] + [(0.02 * i, 1.0, 0.0) for i in range(n_out)]
    texts = tuple(f"in {i}" for i in range(n_in)) + tuple(f"out {i}" for i in range(n_out))
    return ExemplarSet(texts, np.array([True] * n_in + [False] * n_out), _unit(*rows), skip)


def test_score_is_positive_near_unanswerable_and_negative_near_answerable():
    ex = _set()
    assert ex.score(_unit((0.05, 1.0, 0.0))[0], "new question") > 0.5
    assert ex.score(_unit((1.0, 0.05, 0.0))[0], "new question") < -0.5
    assert abs(ex.score(_unit((0.0, 0.0, 1.0))[0], "unrelated")) < 1e-6


def test_while_fitting_an_exemplar_is_scored_against_the_others_only():
    ex = _set(skip=True)
    q = ex.vectors[0]
    others = ex.subset(ex.texts[1:])
    assert ex.score(q, "in 0") == pytest.approx(others.score(q, "in 0"))
    # whitespace does not make it a different question
    assert ex.score(q, "  in   0 ") == pytest.approx(others.score(q, "in 0"))
    # counting itself, its nearest answerable neighbour would be a perfect match
    assert ex.score(q, "in 0") > ex.score(q, "something else")
    assert others.skip_same_text


def test_when_serving_a_known_question_counts_itself():
    ex = _set()
    q = ex.vectors[ex.texts.index("out 0")]  # an unanswerable exemplar, typed again by a user
    assert ex.score(q, "out 0") == pytest.approx(ex.score(q, "something else"))
    fitting = _set(skip=True)
    assert fitting.score(q, "out 0") < fitting.score(q, "something else")


def test_usable_needs_more_than_k_of_each_kind_and_lengths_must_match():
    assert _set().usable
    assert not _set(n_out=K).usable
    with pytest.raises(ValueError):
        ExemplarSet(("a",), np.array([True, False]), np.zeros((2, 3), np.float32))


def test_calibration_without_exemplars_uses_the_generic_model():
    generic = {"coef": {"dense_top": 2.0}, "bias": -1.0, "threshold": 0.4}
    cal = Calibration(coef={"dense_top": 3.0, "exemplar": -40.0}, bias=-2.0, threshold=0.5,
                      exemplars_in=["a"], exemplars_out=["b"], interview="x", generic=generic)
    assert cal.exemplars_in == ("a",) and cal.exemplar_texts == ("a", "b")  # lists from JSON
    plain = cal.without_exemplars()
    assert (plain.coef, plain.bias, plain.threshold) == ({"dense_top": 2.0}, -1.0, 0.4)
    assert plain.exemplar_texts == () and plain.without_exemplars() is plain
    f = Features(0.9, 0.1, 0.2, 1.0, 0.5, 1.0, 0.0, exemplar=0.3)
    assert plain.confidence(f) == pytest.approx(1 / (1 + np.exp(-(-1.0 + 2.0 * 0.9))))
    assert cal.confidence(f) < plain.confidence(f)


def test_default_engine_scores_questions_against_its_exemplars(real_engine):
    cal = real_engine.calibration
    if not cal.coef.get("exemplar"):
        pytest.skip("the current calibration has no exemplar feature")
    ex = real_engine.exemplars
    assert ex is not None and ex.usable and len(ex.texts) == len(cal.exemplar_texts)
    near_oos = real_engine.ask("What is Tencent's share price today?")
    near_in = real_engine.ask("Why does Dowson Tong spend so much time visiting customers?")
    assert near_oos.features.exemplar > near_in.features.exemplar
    assert near_oos.confidence == pytest.approx(cal.confidence(near_oos.features))


def test_decline_reason_names_the_exemplars_only_when_they_decided(real_engine):
    cal = real_engine.calibration
    if not cal.coef.get("exemplar"):
        pytest.skip("the current calibration has no exemplar feature")
    question = "Why does Dowson Tong spend so much time visiting customers?"
    saved = real_engine.calibration
    try:
        # the full model declines everything, the generic one answers: the exemplars decided
        real_engine.calibration = replace(cal, bias=-60.0)
        a = real_engine.ask(question)
        assert not a.answered and "outside this interview" in a.reason
        # both decline: no specific reason
        real_engine.calibration = replace(cal, bias=-60.0,
                                          generic={**cal.generic, "bias": -60.0})
        a = real_engine.ask(question)
        assert not a.answered and a.reason is None
    finally:
        real_engine.calibration = saved


def test_another_interview_falls_back_to_the_generic_model(real_engine):
    from qa.engine import Engine

    cal = real_engine.calibration
    if not cal.coef.get("exemplar"):
        pytest.skip("the current calibration has no exemplar feature")
    interview = real_engine.interview
    first = interview.pairs[0]
    edited = replace(interview, pairs=(replace(first, question=first.question + "?"),
                                       *interview.pairs[1:]))
    other = Engine(edited, real_engine.corpus, real_engine.indexes, real_engine.encoder,
                   real_engine.translation, cal)
    assert other.exemplars is None
    a = other.ask("What is Tencent's share price today?")
    assert a.features.exemplar == 0.0
    assert a.confidence == pytest.approx(cal.without_exemplars().confidence(a.features))
