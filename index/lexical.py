"""Lexical index: BM25 (bm25s) over pre-tokenised documents.

In: one token list per document (from :func:`qa.text.tokenize`). Out: a BM25 score for every
document given a query's tokens (unknown tokens score nothing; an empty query scores all zeros).
Persists with bm25s's own numpy/JSON files (no pickle) into a directory.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

K1 = 1.2
B = 0.75


def _bm25s():
    import bm25s

    # bm25s sets its own logger to DEBUG at import; keep its chatter out of users' terminals.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


class LexicalIndex:
    """BM25 scores for a fixed list of documents."""

    def __init__(self, retriever) -> None:
        self._bm25 = retriever
        self._vocab: dict[str, int] = retriever.vocab_dict

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]], k1: float = K1, b: float = B) -> LexicalIndex:
        bm25s = _bm25s()
        if not docs:
            raise ValueError("cannot build a BM25 index over no documents")
        retriever = bm25s.BM25(k1=k1, b=b)
        # bm25s needs at least one token per document; an empty document gets the empty token.
        retriever.index([list(d) or [""] for d in docs], show_progress=False)
        return cls(retriever)

    @property
    def num_docs(self) -> int:
        return int(self._bm25.scores["num_docs"])

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every document (float32, length :attr:`num_docs`)."""
        ids = [self._vocab[t] for t in query_tokens if t in self._vocab and t != ""]
        if not ids:
            return np.zeros(self.num_docs, dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)

    def save(self, directory: Path) -> None:
        self._bm25.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        return cls(_bm25s().BM25.load(str(directory), load_corpus=False))
