"""Shared fixtures. The real default model and its indexes live in the normal cache
(``$QA_CACHE_DIR`` or the user cache dir), so they are converted and built once per machine, as for
a user; tests that need isolation pass ``tmp_path`` as the cache instead."""

import pytest


@pytest.fixture(scope="session")
def real_engine():
    from qa.engine import Engine

    return Engine.create()


@pytest.fixture(scope="session")
def hashing_engine(tmp_path_factory):
    from qa.engine import Engine

    return Engine.create(model="hashing", cache_dir=tmp_path_factory.mktemp("hashing-cache"))
