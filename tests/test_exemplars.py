"""Exemplars (qa.exemplars): the nearest-labelled-questions confidence feature, its fallback."""

from dataclasses import replace

import numpy as np
import pytest

from qa.confidence import FEATURES, Calibration, Features
from qa.exemplars import ExemplarSet, K
from qa.text import to_simplified


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


def test_when_serving_a_known_question_counts_itself():
    ex = _set()
    q = ex.vectors[ex.texts.index("out 0")]  # an unanswerable exemplar, typed again by a user
    sims = ex.vectors @ q
    expected = (np.sort(sims[~ex.answerable])[-K:].mean()
                - np.sort(sims[ex.answerable])[-K:].mean())
    assert ex.score(q, "out 0") == pytest.approx(expected)  # itself (cosine 1) included
    fitting = _set(skip=True)
    assert fitting.score(q, "out 0") < fitting.score(q, "something else")


def test_usable_needs_more_than_k_of_each_kind_and_lengths_must_match():
    assert _set().usable
    assert not _set(n_out=K).usable
    with pytest.raises(ValueError):
        ExemplarSet(("a",), np.array([True, False]), np.zeros((2, 3), np.float32))


def test_subset_keeps_the_named_exemplars_and_the_mode():
    ex = _set(skip=True)
    part = ex.subset(["in 1", "out 2", "not an exemplar"])
    assert part.texts == ("in 1", "out 2") and part.answerable.tolist() == [True, False]
    np.testing.assert_array_equal(part.vectors, ex.vectors[[1, ex.texts.index("out 2")]])
    assert part.skip_same_text


def test_calibration_round_trips_through_json_and_survives_a_missing_generic_model(tmp_path):
    from qa.confidence import load_calibration, save_calibration

    cal = Calibration(coef={"dense_top": 3.0, "exemplar": -40.0}, exemplars_in=("a", "b"),
                      exemplars_out=("c",), interview="x",
                      generic={"coef": {"dense_top": 2.0}, "bias": -1.0, "threshold": 0.4})
    path = tmp_path / "calibration.json"
    save_calibration("key", cal, path)
    assert load_calibration("key", path) == cal
    broken = replace(cal, generic={}).without_exemplars()  # an exemplar weight, no fallback
    assert "exemplar" not in broken.coef and broken.coef["dense_top"] == 3.0


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
    assert cal.coef.get("exemplar"), "the shipped calibration has lost its exemplar feature"
    ex = real_engine.exemplars
    assert ex is not None and ex.usable and len(ex.texts) == len(cal.exemplar_texts)
    # the stored vectors are the exemplars embedded as questions are (qa.text.query_form)
    some = [i for i, t in enumerate(ex.texts) if to_simplified(t) != t][:3]
    assert some, "no Traditional-script exemplar to check"
    np.testing.assert_allclose(ex.vectors[some],
                               real_engine.encode_queries([ex.texts[i] for i in some]), atol=1e-5)
    near_oos = real_engine.ask("What is Tencent's share price today?")
    near_in = real_engine.ask("Why does Dowson Tong spend so much time visiting customers?")
    assert near_oos.features.exemplar > near_in.features.exemplar
    assert near_oos.confidence == pytest.approx(cal.confidence(near_oos.features))
    signals = near_oos.to_dict()["signals"]  # the JSON shows the confidence model's inputs
    assert signals["exemplar"] == pytest.approx(near_oos.features.exemplar, abs=1e-4)
    assert set(signals) == set(FEATURES)


def test_decline_reason_names_the_exemplars_only_when_they_decided(real_engine):
    cal = real_engine.calibration
    assert cal.coef.get("exemplar"), "the shipped calibration has lost its exemplar feature"
    import copy

    engine = copy.copy(real_engine)
    off_topic = "What is Tencent's current share price?"
    on_topic = "Why does Dowson Tong spend so much time visiting customers?"
    # the full model declines everything, the generic one answers everything
    engine.calibration = replace(cal, bias=-60.0, generic={**cal.generic, "bias": 60.0})
    a = engine.ask(off_topic)
    assert a.features.exemplar > 0 and not a.answered and "outside this interview" in a.reason
    assert a.reason_code == "exemplar" and a.to_dict()["reason_code"] == "exemplar"
    # nearer the answerable exemplars: they cannot be the reason
    a = engine.ask(on_topic)
    assert a.features.exemplar < 0 and not a.answered and a.reason is None and a.reason_code is None
    # both models decline: no specific reason
    engine.calibration = replace(cal, bias=-60.0, generic={**cal.generic, "bias": -60.0})
    a = engine.ask(off_topic)
    assert not a.answered and a.reason is None


def test_another_interview_falls_back_to_the_generic_model(real_engine):
    from qa.engine import Engine

    cal = real_engine.calibration
    assert cal.coef.get("exemplar"), "the shipped calibration has lost its exemplar feature"
    interview = real_engine.interview
    first = interview.pairs[0]
    edited = replace(interview, pairs=(replace(first, question=first.question + "?"),
                                       *interview.pairs[1:]))
    other = Engine(edited, real_engine.corpus, real_engine.indexes, real_engine.encoder,
                   real_engine.translation, cal)
    assert other.exemplars is None
    assert other.effective_calibration == cal.without_exemplars() != cal
    from ui.handlers import Handlers

    assert Handlers(lambda: other).threshold == cal.without_exemplars().threshold  # the UI's badge
    a = other.ask("What is Tencent's share price today?")
    assert a.features.exemplar == 0.0
    assert a.confidence == pytest.approx(cal.without_exemplars().confidence(a.features))


def _small_question_file(tmp_path):
    """40 in-scope and 16 out-of-scope dev questions, and one test question."""
    import json

    from qa.evaluate import DEFAULT_QUESTIONS

    records = [json.loads(x) for x in DEFAULT_QUESTIONS.read_text(encoding="utf-8").splitlines()]
    dev = [r for r in records if r["split"] == "dev"]
    picked = [r for r in dev if r["expected"]][:40] + [r for r in dev if not r["expected"]][:16]
    test_q = next(r for r in records if r["split"] == "test")
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [*picked, test_q]),
                    encoding="utf-8")
    return path, picked, test_q


def test_each_model_gets_the_quantile_its_own_cross_validation_chose(tmp_path, monkeypatch):
    import qa.calibrate as qc
    from qa.engine import Engine

    path, _, _ = _small_question_file(tmp_path)
    engine = Engine.create(model="hashing", cache_dir=tmp_path / "cache")

    def fake_cv(*a, q, use_exemplars=True, **k):  # the generic model's sweep picks the other one
        q = q if use_exemplars else 0.21 - q
        return {"recall@1": 1.0, "inscope_declined": q, "oos_declined": 0.9, "auc": 1.0,
                "quantile": q, "by_quantile": {q: (q, 0.9)}, "logodds": np.array([]),
                "right": np.array([], dtype=bool)}

    fitted = {}
    for q in (0.01, 0.2):
        monkeypatch.setattr(qc, "cross_validate", lambda *a, q=q, **k: fake_cv(*a, q=q, **k))
        report = qc.calibrate(engine, path, write=False)
        fitted[q] = engine.calibration
        assert f"{q:.1%} quantile" in fitted[q].fitted_on
        assert f"→ {q:.1%}" in report and f"→ {0.21 - q:.1%}" in report
    assert fitted[0.2].threshold > fitted[0.01].threshold
    assert fitted[0.2].generic["threshold"] < fitted[0.01].generic["threshold"]


def test_calibrate_stores_the_dev_questions_and_leaves_the_engine_serving(tmp_path):
    from qa.calibrate import calibrate
    from qa.engine import Engine

    path, picked, test_q = _small_question_file(tmp_path)
    engine = Engine.create(model="hashing", cache_dir=tmp_path / "cache")
    report = calibrate(engine, path, write=False)
    assert "threshold quantile, cross-validated" in report
    cal = engine.calibration
    assert set(cal.exemplars_in) == {r["question"] for r in picked if r["expected"]}
    assert set(cal.exemplars_out) == {r["question"] for r in picked if not r["expected"]}
    assert test_q["question"] not in cal.exemplar_texts  # the test split is never an exemplar
    assert cal.interview == engine.interview.fingerprint() and cal.generic
    assert engine.exemplars is not None and not engine.exemplars.skip_same_text
    # the number is rescaled to the chance of a right top answer, the generic model's too
    assert "confidence rescaled to the chance the top answer is right" in report
    assert cal.scaled["a"] > 0 and cal.generic["scaled"]["a"] > 0


def test_calibrate_on_too_few_dev_questions_says_how_many_it_needs(tmp_path):
    import json

    from qa.calibrate import calibrate
    from qa.engine import Engine
    from qa.errors import QAError

    path, picked, _ = _small_question_file(tmp_path)
    few = [r for r in picked if r["expected"]][:20] + [r for r in picked if not r["expected"]][:3]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in few), encoding="utf-8")
    engine = Engine.create(model="hashing", cache_dir=tmp_path / "cache")
    with pytest.raises(QAError, match=r"at least 8 in-scope and 8 out-of-scope .* has 20 and 3"):
        calibrate(engine, path, write=False)


def test_the_threshold_quantile_is_the_one_furthest_inside_both_limits():
    from qa.calibrate import choose_quantile

    # limits: at most 4% of in-scope declined, at least 90% of out-of-scope declined
    sweep = {0.01: (0.01, 0.85), 0.02: (0.03, 0.91), 0.03: (0.05, 0.95)}
    assert choose_quantile(sweep) == 0.02  # margins: -5 points, +1, -1
    # neither limit reachable together: the smallest violation wins
    assert choose_quantile({0.02: (0.03, 0.85), 0.04: (0.05, 0.90)}) == 0.04
    # equal worst-case margins (1 point each): fewer answerable questions declined
    assert choose_quantile({0.02: (0.03, 0.91), 0.03: (0.02, 0.91)}) == 0.03
    # a broken entry never wins
    assert choose_quantile({0.02: (float("nan"), 0.99), 0.03: (0.03, 0.91)}) == 0.03
