"""Dense index: FAISS inner product over L2-normalised vectors.

In: a float32 matrix (n, dim) of unit vectors. Out: for a query vector, the inner product (= cosine)
with every stored vector, or the top-k. Below :data:`EXACT_MAX` vectors the index is exact
(``IndexFlatIP``); above it, an HNSW graph (``IndexHNSWFlat`` with inner product), chosen
automatically by :func:`build_faiss` (switch-over measured by ``python -m qa bench --scale``).
Persists with ``faiss.write_index`` (no pickle).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Up to this many vectors an exact search fits a 2 ms budget (about 0.057 µs per vector on this
# 2-core machine); larger collections get an HNSW graph (recall@10 0.975-1.0 against exact at
# 10k-1M). Measured by `python -m qa bench --scale`, see docs/benchmarks.md.
EXACT_MAX = 20_000
# How many neighbours an approximate index returns to all_scores(); the rest score -1.
APPROX_CANDIDATES = 1000
HNSW_M = 32
HNSW_EF_SEARCH = 128
HNSW_EF_CONSTRUCTION = 80


def _faiss():
    import faiss

    return faiss


def build_faiss(vectors: np.ndarray, exact_max: int = EXACT_MAX):
    """An index over *vectors* (n, dim): exact when ``n <= exact_max``, else HNSW."""
    faiss = _faiss()
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] == 0:
        raise ValueError(f"expected a non-empty (n, dim) matrix, got shape {vectors.shape}")
    n, dim = vectors.shape
    if n <= exact_max:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    index.add(vectors)
    return index


class DenseIndex:
    """Vectors in FAISS; :meth:`search` returns (scores, ids) like FAISS, best first."""

    def __init__(self, index) -> None:
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray, exact_max: int = EXACT_MAX) -> DenseIndex:
        return cls(build_faiss(vectors, exact_max))

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    @property
    def kind(self) -> str:
        return type(self._index).__name__

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-*k* inner products for each row of *queries* (m, dim) → ((m, k), (m, k))."""
        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if q.shape[1] != self.dim:
            raise ValueError(f"query dimension {q.shape[1]} != index dimension {self.dim}")
        k = max(1, min(k, self.size))
        return self._index.search(q, k)

    def all_scores(self, query: np.ndarray) -> np.ndarray:
        """The score of every stored vector for one query, in storage order.

        Exact for a flat index; an approximate index scores its best :data:`APPROX_CANDIDATES`
        neighbours and gives the rest -1 (asking HNSW for every vector would be slow and lossy).
        """
        k = self.size if self.kind == "IndexFlatIP" else min(self.size, APPROX_CANDIDATES)
        scores, ids = self.search(query, k)
        out = np.full(self.size, -1.0, dtype=np.float32)
        valid = ids[0] >= 0
        out[ids[0][valid]] = scores[0][valid]
        return out

    def save(self, path: Path) -> None:
        _faiss().write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        return cls(_faiss().read_index(str(path)))
