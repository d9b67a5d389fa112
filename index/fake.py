"""A deterministic, model-free encoder for tests and development (``load_encoder("hashing")``).

``HashingEncoder`` has the ``Encoder`` interface: ``encode_queries`` / ``encode_passages`` map a
list of strings to a float32 ``(n, 64)`` array of unit rows, identically for queries and passages
and across processes and platforms (``fingerprint`` is ``"hashing-v1"``). Each text is NFKC- and
case-folded, then its character 1-, 2- and 3-grams are counted into 64 buckets chosen by blake2b,
so texts that share characters score higher: enough for logic tests of indexing and fusion,
useless for real retrieval. No torch, no weights, microseconds per text.
"""

from __future__ import annotations

import hashlib
import unicodedata

import numpy as np

from index.embedding import HASHING_MODEL, Encoder

HASHING_DIM = 64
HASHING_FINGERPRINT = "hashing-v1"
_NGRAMS = (1, 2, 3)


class HashingEncoder(Encoder):
    """Character n-gram feature hashing into 64 dimensions, L2-normalised. Test/dev only."""

    def __init__(self) -> None:
        super().__init__(None, HASHING_MODEL, HASHING_FINGERPRINT, dim=HASHING_DIM)

    def _encode(self, texts: list[str], prompt: str | None) -> np.ndarray:
        return np.stack([_hash_text(text) for text in texts])


def _hash_text(text: str) -> np.ndarray:
    norm = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    vec = np.zeros(HASHING_DIM, dtype=np.float32)
    grams = [norm[i : i + n] for n in _NGRAMS for i in range(len(norm) - n + 1)] or ["\0"]
    for gram in grams:
        digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest()
        vec[int.from_bytes(digest, "little") % HASHING_DIM] += 1.0
    return vec / np.float32(np.linalg.norm(vec))
