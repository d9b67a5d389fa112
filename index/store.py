"""Persistence: build the dense and lexical indexes for a corpus, or load them from a cache dir.

In: a :class:`Corpus` (passages to embed, token lists for BM25), an encoder, a directory.
Out: :class:`Indexes` ready to search, plus the reason they were (re)built, if they were.

The directory holds ``dense.faiss``, ``passages.json``, ``bm25/``, ``sparse.npz`` (when the model has
a sparse head, see ``index.sparse``), ``exemplars.npy`` (query vectors of the calibration's labelled
questions, see ``qa.exemplars``, when it has them) and ``manifest.json``. The manifest records the format version,
the model id and weights fingerprint, the sparse head's fingerprint, the vector dimension, the
corpus hash and a sha256 of every file. Loading checks all of them; a mismatch, a missing or a corrupt file
triggers a rebuild that logs why. A build is written into a fresh temporary directory that is then
renamed into place, so a reader never sees a half-written index, even when a build is killed midway or
two processes build at once. If the cache directory cannot be written, the indexes are served from
memory with a warning.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from index.dense import DenseIndex
from index.lexical import LexicalIndex
from index.sparse import SparseIndex

log = logging.getLogger(__name__)

FORMAT_VERSION = 5  # 4: sparse.npz; 5: exemplars.npy
MANIFEST = "manifest.json"
DENSE_FILE = "dense.faiss"
SPARSE_FILE = "sparse.npz"
EXEMPLARS_FILE = "exemplars.npy"
PASSAGES_FILE = "passages.json"
BM25_DIR = "bm25"


@dataclass(frozen=True)
class Passage:
    """One embedded text: which pair it belongs to, what part of it, and the text embedded."""

    pair_id: str
    kind: str  # "question", "answer", "sentence", and the same with "_en" for the translation
    text: str
    paragraph: int = -1  # index of the answer paragraph, -1 for questions
    variant: str = ""  # "zh-Hans" for a Simplified-script copy of the verbatim text


@dataclass(frozen=True)
class Corpus:
    """What gets indexed: passages for FAISS, one BM25 document per pair."""

    passages: tuple[Passage, ...]
    lexical_docs: tuple[tuple[str, ...], ...]
    lexical_pair_ids: tuple[str, ...]
    exemplars: tuple[str, ...] = ()  # labelled questions (qa.exemplars), as written
    exemplar_queries: tuple[str, ...] = ()  # the same, in the form embedded as queries

    def __post_init__(self) -> None:
        if self.exemplars and not self.exemplar_queries:  # embedded as written
            object.__setattr__(self, "exemplar_queries", self.exemplars)
        if len(self.exemplar_queries) != len(self.exemplars):
            raise ValueError("corpus: exemplars and exemplar_queries differ in length")

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        h.update(json.dumps([asdict(p) for p in self.passages], ensure_ascii=False).encode())
        h.update(json.dumps([self.lexical_docs, self.lexical_pair_ids], ensure_ascii=False).encode())
        if self.exemplars:
            h.update(json.dumps(self.exemplars, ensure_ascii=False).encode())
            if self.exemplar_queries != self.exemplars:
                h.update(json.dumps(self.exemplar_queries, ensure_ascii=False).encode())
        return h.hexdigest()


@dataclass
class Indexes:
    passages: tuple[Passage, ...]
    dense: DenseIndex
    lexical: LexicalIndex
    lexical_pair_ids: tuple[str, ...]
    manifest: dict
    rebuilt_because: str | None = None  # None when loaded from disk unchanged
    persisted: bool = True
    sparse: SparseIndex | None = None  # None when the model has no sparse head
    exemplars: np.ndarray | None = None  # (len(corpus.exemplars), dim) query vectors


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): _sha256(p)
        for p in sorted(root.rglob("*")) if p.is_file() and p.name != MANIFEST
    }


def expected_manifest(corpus: Corpus, encoder) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "model_id": encoder.model_id,
        "model_fingerprint": encoder.fingerprint,
        "sparse_head": _sparse_fingerprint(encoder),
        "dim": int(encoder.dim),
        "corpus_hash": corpus.fingerprint(),
        "num_passages": len(corpus.passages),
        "num_exemplars": len(corpus.exemplars),
    }


def _sparse_fingerprint(encoder) -> str | None:
    """The head's weights and the recipe that pools them, or None without a head."""
    head = getattr(encoder, "sparse_head", None)
    if head is None:
        return None
    from index.sparse import RECIPE, TOP_K

    return f"{head.fingerprint}:recipe{RECIPE}:top{TOP_K}"


def _check(directory: Path, want: dict) -> tuple[str | None, dict]:
    """Why the index in *directory* cannot be used (None when it can), and its manifest."""
    mpath = directory / MANIFEST
    if not directory.exists():
        return "no index yet", {}
    if not mpath.exists():
        return "the manifest is missing", {}
    try:
        have = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"the manifest is unreadable ({exc})", {}
    if not isinstance(have, dict):
        return "the manifest is not a JSON object", {}
    labels = {
        "format_version": "the index format changed",
        "model_id": "the model changed",
        "model_fingerprint": "the model weights changed",
        "sparse_head": "the sparse head changed",
        "dim": "the vector dimension changed",
        "corpus_hash": "the indexed corpus changed (interview text, tokenisation or the "
                       "calibration's example questions)",
        "num_passages": "the number of passages changed",
        "num_exemplars": "the number of the calibration's example questions changed",
    }
    for key, label in labels.items():
        if have.get(key) != want[key]:
            return f"{label} ({have.get(key)!r} → {want[key]!r})", have
    files = have.get("files")
    if not isinstance(files, dict) or not files:
        return "the manifest lists no files", have
    for name, digest in files.items():
        path = directory / name
        if not path.is_file():
            return f"{name} is missing", have
        if _sha256(path) != digest:
            return f"{name} is corrupt (checksum mismatch)", have
    return None, have


def _load(directory: Path, manifest: dict) -> Indexes:
    raw = json.loads((directory / PASSAGES_FILE).read_text(encoding="utf-8"))
    passages = tuple(Passage(**p) for p in raw["passages"])
    return Indexes(
        passages=passages,
        dense=DenseIndex.load(directory / DENSE_FILE),
        lexical=LexicalIndex.load(directory / BM25_DIR),
        lexical_pair_ids=tuple(raw["lexical_pair_ids"]),
        manifest=manifest,
        sparse=SparseIndex.load(directory / SPARSE_FILE) if manifest.get("sparse_head") else None,
        exemplars=(np.load(directory / EXEMPLARS_FILE, allow_pickle=False)
                   if manifest.get("num_exemplars") else None),
    )


@dataclass
class Built:
    dense: DenseIndex
    lexical: LexicalIndex
    sparse: SparseIndex | None
    seconds: float
    exemplars: np.ndarray | None = None


def build(corpus: Corpus, encoder) -> Built:
    """Embed and index *corpus* in memory (sparse vectors only when the model has a head)."""
    t0 = time.perf_counter()
    texts = [p.text for p in corpus.passages]
    vectors = encoder.encode_passages(texts) if texts else np.zeros((0, encoder.dim), np.float32)
    dense = DenseIndex.build(vectors)
    lexical = LexicalIndex.build(corpus.lexical_docs)
    sparse = None
    if getattr(encoder, "sparse_head", None) is not None:
        sparse = SparseIndex(encoder.encode_sparse(texts))
    exemplars = (np.asarray(encoder.encode_queries(list(corpus.exemplar_queries)),
                            dtype=np.float32)
                 if corpus.exemplars else None)
    return Built(dense, lexical, sparse, time.perf_counter() - t0, exemplars)


def _write(tmp: Path, corpus: Corpus, built: Built, want: dict) -> dict:
    dense, lexical = built.dense, built.lexical
    if built.sparse is not None:
        built.sparse.save(tmp / SPARSE_FILE)
    if built.exemplars is not None:
        np.save(tmp / EXEMPLARS_FILE, built.exemplars, allow_pickle=False)
    dense.save(tmp / DENSE_FILE)
    (tmp / BM25_DIR).mkdir()
    lexical.save(tmp / BM25_DIR)
    payload = {
        "passages": [asdict(p) for p in corpus.passages],
        "lexical_pair_ids": list(corpus.lexical_pair_ids),
    }
    (tmp / PASSAGES_FILE).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    manifest = {**want, "files": _files(tmp), "dense_index": dense.kind,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def _swap_into_place(tmp: Path, directory: Path) -> None:
    """Rename *tmp* to *directory*, moving any previous index aside first."""
    old = None
    if directory.exists():
        old = directory.with_name(f".{directory.name}.old-{os.getpid()}-{time.time_ns()}")
        os.replace(directory, old)
    try:
        os.rename(tmp, directory)
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            if old is not None and not directory.exists():
                os.replace(old, directory)  # put the previous index back
            raise
        # Another process put a fresh index there first; theirs is as good as ours.
        shutil.rmtree(tmp, ignore_errors=True)
    if old is not None and old.exists():
        shutil.rmtree(old, ignore_errors=True)


def load_or_build(
    directory: Path, corpus: Corpus, encoder, rebuild: bool = False, progress=None
) -> Indexes:
    """Indexes for *corpus* from *directory*, (re)building and persisting them when needed.

    *progress*, if given, is called with short human-readable status lines.
    """
    say = progress or (lambda msg: None)
    want = expected_manifest(corpus, encoder)
    reason, have = ("a rebuild was requested", {}) if rebuild else _check(directory, want)
    if reason is None:
        try:
            indexes = _load(directory, have)
            sparse_ok = indexes.sparse is None or indexes.sparse.size == len(corpus.passages)
            n_ex = 0 if indexes.exemplars is None else len(indexes.exemplars)
            if (indexes.dense.size == len(corpus.passages) and indexes.dense.dim == encoder.dim
                    and sparse_ok and n_ex == len(corpus.exemplars)):
                say(f"loaded indexes from {directory}")
                return indexes
            reason = "the stored index does not match the corpus"
        except Exception as exc:  # noqa: BLE001 - a corrupt file that matched its checksum, etc.
            reason = f"the stored index could not be read ({type(exc).__name__}: {exc})"
    log.info("building indexes in %s: %s", directory, reason)
    say(f"building indexes ({reason}) …")
    built = build(corpus, encoder)
    extra = (f" and {len(corpus.exemplars)} example questions" if corpus.exemplars else "")
    say(f"embedded {len(corpus.passages)} passages{extra} in {built.seconds:.1f}s")
    manifest = dict(want)
    persisted = True
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
        try:
            manifest = _write(tmp, corpus, built, want)
            _swap_into_place(tmp, directory)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    except (OSError, RuntimeError) as exc:  # faiss reports write errors as RuntimeError
        persisted = False
        why = getattr(exc, "strerror", None) or exc  # RuntimeError has no strerror
        message = (f"cannot write the index cache in {directory} ({why}); serving from memory "
                   f"(set QA_CACHE_DIR to a writable directory to keep the indexes)")
        if progress is None:  # a library caller: the log is the only place it can show
            log.warning(message)
        else:  # the CLI and the app show progress lines: one warning there, not two
            log.info(message)
            say(f"warning: {message}")
    return Indexes(corpus.passages, built.dense, built.lexical, corpus.lexical_pair_ids, manifest,
                   rebuilt_because=reason, persisted=persisted, sparse=built.sparse,
                   exemplars=built.exemplars)


def prune_others(keep: Path) -> list[tuple[Path, int]]:
    """Remove the index folders beside *keep* (other interviews or models, e.g. test runs) that
    hold a ``manifest.json``, i.e. that this package built; return each with the bytes freed.
    Anything else in the folder is left alone."""
    removed = []
    parent = keep.parent
    if not parent.is_dir():
        return removed
    for p in sorted(parent.iterdir()):
        if p == keep or not p.is_dir() or not (p / MANIFEST).is_file():
            continue
        size = sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        shutil.rmtree(p, ignore_errors=True)
        if not p.exists():
            removed.append((p, size))
    return removed


def cleanup_stale(parent: Path, max_age_s: float = 3600) -> None:
    """Remove temporary directories that killed builds left behind (older than *max_age_s*)."""
    if not parent.exists():
        return
    now = time.time()
    for p in parent.iterdir():
        if p.name.startswith(".") and (".tmp-" in p.name or ".old-" in p.name):
            try:
                if now - p.stat().st_mtime > max_age_s:
                    shutil.rmtree(p, ignore_errors=True)
            except OSError:
                pass

