"""The confidence as the chance that the top answer is right: Platt scaling folded into the
calibration, and the reliability measure (no model needed)."""

import math

import numpy as np
import pytest

from qa.confidence import Calibration, Features, fit_platt, reliability


def _features(dense_top: float, exemplar: float = 0.0) -> Features:
    return Features(dense_top=dense_top, dense_margin=0.0, dense_spread=0.0, lexical_top=0.0,
                    coverage=0.0, agree=0.0, unseen=0.0, exemplar=exemplar)


def _cal() -> Calibration:
    return Calibration(bias=-5.0, coef={"dense_top": 10.0, "exemplar": -4.0}, threshold=0.4,
                       generic={"coef": {"dense_top": 8.0}, "bias": -4.0, "threshold": 0.3})


def test_rescaling_changes_the_numbers_but_no_decision():
    cal = _cal()
    scaled = cal.rescaled(0.5, -1.0, generic=(2.0, 0.5))
    grid = [_features(x / 20, e) for x in range(21) for e in (-0.2, 0.0, 0.2)]
    before = [cal.confidence(f) for f in grid]
    after = [scaled.confidence(f) for f in grid]
    assert before != pytest.approx(after)
    # the same order and the same answered / declined split
    assert np.argsort(before, kind="stable").tolist() == np.argsort(after, kind="stable").tolist()
    assert [b >= cal.threshold for b in before] == [a >= scaled.threshold for a in after]
    # the map itself: sigmoid(a * z + b) of the old log-odds
    f = grid[30]
    assert scaled.confidence(f) == pytest.approx(1 / (1 + math.exp(-(0.5 * cal.score(f) - 1.0))))
    assert scaled.scaled == {"a": 0.5, "b": -1.0}
    # the generic model gets its own map, and keeps its own decisions
    g0, g1 = cal.without_exemplars(), scaled.without_exemplars()
    assert g1.scaled == {"a": 2.0, "b": 0.5}
    assert [g0.confidence(f) >= g0.threshold for f in grid] == \
        [g1.confidence(f) >= g1.threshold for f in grid]
    assert g1.confidence(f) == pytest.approx(1 / (1 + math.exp(-(2.0 * g0.score(f) + 0.5))))


def test_a_decreasing_map_is_refused():
    with pytest.raises(ValueError, match="increase"):
        _cal().rescaled(-0.5, 0.0)


def test_rescaled_calibration_survives_json(tmp_path):
    from qa.confidence import load_calibration, save_calibration

    path = tmp_path / "cal.json"
    scaled = _cal().rescaled(0.7, -0.2, generic=(0.9, 0.1))
    save_calibration("m", scaled, path)
    again = load_calibration("m", path)
    assert again == scaled
    assert again.without_exemplars().scaled == {"a": 0.9, "b": 0.1}


def test_platt_recovers_a_known_map_from_outcomes():
    rng = np.random.default_rng(0)
    z = rng.normal(0.0, 3.0, 4000)
    right = rng.random(4000) < 1 / (1 + np.exp(-(0.5 * z - 1.0)))
    a, b = fit_platt(z, right)
    assert a == pytest.approx(0.5, abs=0.06) and b == pytest.approx(-1.0, abs=0.15)
    # nothing to fit: one class only, or a score that says the opposite of the truth
    assert fit_platt(z, np.ones_like(right)) is None
    assert fit_platt(z, z < 0) is None
    # non-finite log-odds (a broken signal) are left out, not fatal
    assert fit_platt(np.append(z, [np.inf, np.nan]), np.append(right, [True, False])) is not None


def test_reliability_bins_and_error():
    conf = [0.05, 0.05, 0.95, 0.95, 0.95, 0.95]
    right = [False, False, True, True, True, False]
    rows, ece = reliability(conf, right)
    assert rows == [(0.0, 0.1, 2, pytest.approx(0.05), 0.0),
                    (pytest.approx(0.9), 1.0, 4, pytest.approx(0.95), 0.75)]
    assert ece == pytest.approx((2 * 0.05 + 4 * 0.20) / 6)
    assert reliability([1.0], [True])[0][0][:3] == (pytest.approx(0.9), 1.0, 1)  # 1.0: last bin
    assert reliability([0.5, 0.5], [True, False])[1] == pytest.approx(0.0)
