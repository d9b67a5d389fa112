"""Score fusion: several per-pair score vectors → one ranking. Pure functions, no I/O.

- :func:`rrf`: reciprocal-rank fusion, ``sum_s w_s / (k + rank_s)``; scale-free, robust.
- :func:`weighted`: a weighted sum of per-signal scores after min-max normalisation over the
  candidates (so a BM25 of 12 and a cosine of 0.85 are comparable).
- :func:`ranks`: 1-based ranks of a score vector (ties share the better rank).
- :func:`learned`: a linear model over :func:`pair_features` (scores, ranks, word coverage),
  fitted as a pairwise-relevant logistic regression on the dev split by ``python -m qa calibrate``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def signal_rank(scores: Mapping[str, float], name: str) -> int | None:
    """Where signal *name* alone ranked an exchange (a hit's ``scores``: ``dense``,
    ``dense_rank``…), or None when a word-matching signal (lexical, sparse) found nothing in it:
    every such exchange ties at rank 1, which would read as agreement."""
    if f"{name}_rank" not in scores:
        return None
    if name != "dense" and scores.get(name, 0.0) <= 0:
        return None
    return int(scores[f"{name}_rank"])


def ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each entry, highest score first; equal scores share the best rank."""
    s = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-s, kind="stable")
    r = np.empty(len(s), dtype=np.int64)
    r[order] = np.arange(1, len(s) + 1)
    # ties: the minimum rank among equal values
    for value in np.unique(s):
        idx = np.flatnonzero(s == value)
        if len(idx) > 1:
            r[idx] = r[idx].min()
    return r


def rrf(signals: Mapping[str, np.ndarray], weights: Mapping[str, float] | None = None,
        k: float = 60.0) -> np.ndarray:
    """Reciprocal-rank fusion of per-item score vectors (all the same length)."""
    out: np.ndarray | None = None
    for name, scores in signals.items():
        w = 1.0 if weights is None else weights.get(name, 0.0)
        part = w / (k + ranks(scores))
        out = part if out is None else out + part
    if out is None:
        raise ValueError("rrf needs at least one signal")
    return out


def minmax(scores: np.ndarray) -> np.ndarray:
    s = np.asarray(scores, dtype=np.float64)
    lo, hi = float(s.min()), float(s.max())
    if hi - lo < 1e-12:
        return np.zeros_like(s)
    return (s - lo) / (hi - lo)


def weighted(signals: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Weighted sum of min-max normalised scores; weights need not sum to one."""
    out: np.ndarray | None = None
    for name, scores in signals.items():
        part = weights.get(name, 0.0) * minmax(scores)
        out = part if out is None else out + part
    if out is None:
        raise ValueError("weighted fusion needs at least one signal")
    return out


PAIR_FEATURES = ("dense_norm", "lexical_norm", "dense_gap", "lexical_ratio", "dense_rr",
                 "lexical_rr", "coverage", "sparse_norm", "sparse_rr")


def pair_features(dense: np.ndarray, lexical: np.ndarray, coverage: np.ndarray,
                  sparse: np.ndarray | None = None) -> np.ndarray:
    """Per-item features for :func:`learned` fusion, shape (n, len(PAIR_FEATURES)).

    Min-max scores, the gap to the best cosine, BM25 relative to the best, reciprocal ranks, the
    IDF-weighted share of the query's words the item contains, and the sparse (latent-term)
    score's min-max and reciprocal rank. Without a sparse signal its two columns are zero, so
    they cannot change a ranking.
    """
    d = np.asarray(dense, dtype=np.float64)
    lx = np.asarray(lexical, dtype=np.float64)
    if sparse is None:
        sp_norm = sp_rr = np.zeros_like(d)
    else:
        sp = np.asarray(sparse, dtype=np.float64)
        sp_norm, sp_rr = minmax(sp), 1.0 / ranks(sp)
    return np.stack([
        minmax(d), minmax(lx), d - d.max(), lx / (lx.max() + 1e-9),
        1.0 / ranks(d), 1.0 / ranks(lx), np.asarray(coverage, dtype=np.float64), sp_norm, sp_rr,
    ], axis=1)


def learned(features: np.ndarray, coef: Mapping[str, float]) -> np.ndarray:
    """A linear score over :data:`PAIR_FEATURES` (a learning-to-rank logistic model's logit)."""
    w = np.array([coef.get(n, 0.0) for n in PAIR_FEATURES])
    return features @ w + coef.get("bias", 0.0)
