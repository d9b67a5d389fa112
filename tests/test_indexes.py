"""FAISS agrees with brute force; BM25 scores and persists; an empty collection is refused."""

import numpy as np
import pytest

from index.dense import DenseIndex
from index.lexical import LexicalIndex


def _unit(rng, n, d):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_exact_faiss_matches_numpy_brute_force():
    rng = np.random.default_rng(0)
    base, queries = _unit(rng, 500, 48), _unit(rng, 20, 48)
    index = DenseIndex.build(base)
    scores, ids = index.search(queries, 10)
    brute = queries @ base.T
    want_ids = np.argsort(-brute, axis=1)[:, :10]
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_allclose(scores, np.take_along_axis(brute, want_ids, 1), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(index.all_scores(queries[0]), brute[0], rtol=1e-5, atol=1e-5)


def test_hnsw_above_the_switch_over_has_high_recall():
    rng = np.random.default_rng(1)
    base, queries = _unit(rng, 3000, 32), _unit(rng, 50, 32)
    approx = DenseIndex.build(base, exact_max=1000)
    assert approx.kind == "IndexHNSWFlat"
    _, ids = approx.search(queries, 10)
    exact = np.argsort(-(queries @ base.T), axis=1)[:, :10]
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, exact, strict=True)])
    assert recall > 0.9


def test_dense_round_trip(tmp_path):
    rng = np.random.default_rng(2)
    base = _unit(rng, 30, 16)
    DenseIndex.build(base).save(tmp_path / "d.faiss")
    loaded = DenseIndex.load(tmp_path / "d.faiss")
    np.testing.assert_allclose(loaded.all_scores(base[3]), base @ base[3], rtol=1e-5, atol=1e-5)


def test_dense_refuses_empty_and_wrong_dimension():
    with pytest.raises(ValueError):
        DenseIndex.build(np.zeros((0, 8), np.float32))
    index = DenseIndex.build(np.eye(4, dtype=np.float32))
    with pytest.raises(ValueError, match="dimension"):
        index.search(np.ones((1, 5), np.float32), 1)


def test_bm25_ranks_the_matching_document_first(tmp_path):
    docs = [["腾讯", "erp", "市场"], ["中台", "数据"], ["腾讯云", "盈利"]]
    lex = LexicalIndex.build(docs)
    s = lex.scores(["erp", "unknown-token"])
    assert int(np.argmax(s)) == 0 and s[1] == 0 and s[2] == 0
    assert lex.scores([]).tolist() == [0, 0, 0]
    lex.save(tmp_path)
    np.testing.assert_allclose(LexicalIndex.load(tmp_path).scores(["中台"]), lex.scores(["中台"]))
