"""Fusion is a pure function of per-signal scores."""

import numpy as np
import pytest

from qa.fusion import minmax, ranks, rrf, weighted


def test_ranks_highest_first_with_ties():
    assert ranks(np.array([0.1, 0.9, 0.5])).tolist() == [3, 1, 2]
    assert ranks(np.array([1.0, 1.0, 0.0])).tolist() == [1, 1, 3]


def test_rrf_prefers_items_ranked_well_by_both():
    dense = np.array([0.9, 0.8, 0.1])
    lexical = np.array([0.0, 5.0, 4.0])
    fused = rrf({"dense": dense, "lexical": lexical}, k=60)
    assert int(np.argmax(fused)) == 1
    # formula check: item 1 is rank 2 in dense and rank 1 in lexical
    assert fused[1] == pytest.approx(1 / 62 + 1 / 61)


def test_rrf_weights_shift_the_winner():
    dense = np.array([0.9, 0.1])
    lexical = np.array([0.0, 3.0])
    assert int(np.argmax(rrf({"d": dense, "l": lexical}, {"d": 1, "l": 3}, k=1))) == 1
    assert int(np.argmax(rrf({"d": dense, "l": lexical}, {"d": 3, "l": 1}, k=1))) == 0


def test_weighted_normalises_scales():
    dense = np.array([0.80, 0.82, 0.81])   # cosine range is narrow
    lexical = np.array([30.0, 0.0, 10.0])  # BM25 range is wide
    assert minmax(dense).max() == 1.0 and minmax(lexical).min() == 0.0
    assert int(np.argmax(weighted({"d": dense, "l": lexical}, {"d": 0.5, "l": 0.5}))) == 0
    assert int(np.argmax(weighted({"d": dense, "l": lexical}, {"d": 1.0, "l": 0.0}))) == 1


def test_constant_signal_contributes_nothing():
    assert minmax(np.zeros(4)).tolist() == [0, 0, 0, 0]


def test_no_signal_is_an_error():
    with pytest.raises(ValueError):
        rrf({})


def test_learned_fusion_is_a_linear_score_over_pair_features():
    from qa.fusion import PAIR_FEATURES, learned, pair_features

    dense = np.array([0.80, 0.90, 0.85])
    lexical = np.array([6.0, 0.0, 3.0])
    coverage = np.array([1.0, 0.0, 0.5])
    f = pair_features(dense, lexical, coverage)
    assert f.shape == (3, len(PAIR_FEATURES))
    assert f[1, PAIR_FEATURES.index("dense_rr")] == 1.0  # best cosine has reciprocal rank 1
    lexical_only = {"lexical_norm": 1.0}
    assert int(np.argmax(learned(f, lexical_only))) == 0
    assert int(np.argmax(learned(f, {"dense_norm": 1.0}))) == 1
    np.testing.assert_allclose(learned(f, {"coverage": 2.0, "bias": 1.0}), 2 * coverage + 1)
