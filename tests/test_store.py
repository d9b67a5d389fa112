"""Index persistence: round trip, stale manifest, corrupt or missing files, atomic swaps."""

import json
import os
import stat
from dataclasses import replace

import numpy as np
import pytest

from index import store
from index.store import Corpus, Passage, load_or_build


class TinyEncoder:
    """Deterministic 8-dim bag-of-characters encoder; counts how often it is called."""

    model_id = "tiny"
    dim = 8

    def __init__(self, fingerprint="tiny-v1"):
        self.fingerprint = fingerprint
        self.calls = 0

    def encode_passages(self, texts):
        self.calls += 1
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            for ch in t:
                out[i, ord(ch) % self.dim] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    def encode_queries(self, texts):
        return self.encode_passages([f"query: {t}" for t in texts])


def corpus(text="alpha"):
    passages = (Passage("p01", "question", f"{text} question"),
                Passage("p01", "answer", "first answer", 0),
                Passage("p02", "question", "beta question"),
                Passage("p02", "answer", "second answer", 0))
    return Corpus(passages, (("alpha", "answer"), ("beta", "answer")), ("p01", "p02"))


def test_round_trip_loads_without_re_embedding(tmp_path):
    enc = TinyEncoder()
    first = load_or_build(tmp_path / "ix", corpus(), enc)
    assert first.rebuilt_because == "no index yet" and first.persisted
    second = load_or_build(tmp_path / "ix", corpus(), enc)
    assert second.rebuilt_because is None
    assert enc.calls == 1
    assert second.passages == first.passages
    q = enc.encode_queries(["alpha"])[0]
    np.testing.assert_allclose(second.dense.all_scores(q), first.dense.all_scores(q))
    manifest = json.loads((tmp_path / "ix" / "manifest.json").read_text("utf-8"))
    assert manifest["model_id"] == "tiny" and manifest["dim"] == 8
    assert set(manifest["files"]) >= {"dense.faiss", "passages.json"}


@pytest.mark.parametrize("change, reason", [
    (lambda: (corpus("gamma"), TinyEncoder()), "indexed corpus changed"),
    (lambda: (corpus(), TinyEncoder("tiny-v2")), "model weights changed"),
])
def test_stale_manifest_rebuilds_and_says_why(tmp_path, change, reason):
    load_or_build(tmp_path / "ix", corpus(), TinyEncoder())
    c, enc = change()
    again = load_or_build(tmp_path / "ix", c, enc)
    assert reason in again.rebuilt_because
    assert load_or_build(tmp_path / "ix", c, enc).rebuilt_because is None


def test_exemplars_are_embedded_as_queries_persisted_and_checked(tmp_path):
    enc = TinyEncoder()
    with_ex = replace(corpus(), exemplars=("alpha?", "weather?"))
    built = load_or_build(tmp_path / "ix", with_ex, enc)
    np.testing.assert_allclose(built.exemplars, enc.encode_queries(["alpha?", "weather?"]))
    again = load_or_build(tmp_path / "ix", with_ex, enc)
    assert again.rebuilt_because is None
    np.testing.assert_allclose(again.exemplars, built.exemplars)
    # other example questions (a recalibration) → rebuilt, and the manifest says why
    other = replace(corpus(), exemplars=("alpha?", "share price?"))  # same count, other texts
    rebuilt = load_or_build(tmp_path / "ix", other, enc)
    assert "example questions" in rebuilt.rebuilt_because
    np.testing.assert_allclose(rebuilt.exemplars[1], enc.encode_queries(["share price?"])[0])
    none = load_or_build(tmp_path / "ix", corpus(), enc)
    assert none.rebuilt_because and none.exemplars is None


def test_exemplars_are_embedded_in_their_query_form_which_is_part_of_the_fingerprint(tmp_path):
    enc = TinyEncoder()
    asis = replace(corpus(), exemplars=("alpha?", "WEATHER?"))
    assert asis.exemplar_queries == asis.exemplars  # by default embedded as written
    lower = replace(asis, exemplar_queries=("alpha?", "weather?"))
    assert lower.fingerprint() != asis.fingerprint()
    load_or_build(tmp_path / "ix", asis, enc)
    built = load_or_build(tmp_path / "ix", lower, enc)
    assert "example questions" in built.rebuilt_because
    np.testing.assert_allclose(built.exemplars, enc.encode_queries(["alpha?", "weather?"]))
    with pytest.raises(ValueError, match="differ in length"):
        replace(asis, exemplar_queries=("alpha?",))


def test_corrupt_truncated_or_missing_files_rebuild(tmp_path):
    d = tmp_path / "ix"
    load_or_build(d, corpus(), TinyEncoder())
    data = (d / "dense.faiss").read_bytes()
    (d / "dense.faiss").write_bytes(data[: len(data) // 2])
    r = load_or_build(d, corpus(), TinyEncoder())
    assert "dense.faiss is corrupt" in r.rebuilt_because
    (d / "passages.json").unlink()
    assert "passages.json is missing" in load_or_build(d, corpus(), TinyEncoder()).rebuilt_because
    (d / "manifest.json").write_text("{not json", encoding="utf-8")
    assert "manifest is unreadable" in load_or_build(d, corpus(), TinyEncoder()).rebuilt_because
    assert load_or_build(d, corpus(), TinyEncoder()).rebuilt_because is None


def test_no_temporary_directories_are_left_behind(tmp_path):
    load_or_build(tmp_path / "ix", corpus(), TinyEncoder())
    load_or_build(tmp_path / "ix", corpus(), TinyEncoder(), rebuild=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ix"]


def test_leftovers_of_a_killed_build_are_ignored_and_cleaned(tmp_path):
    load_or_build(tmp_path / "ix", corpus(), TinyEncoder())
    stale = tmp_path / ".ix.tmp-dead"
    stale.mkdir()
    (stale / "dense.faiss").write_bytes(b"half")
    os.utime(stale, (0, 0))
    store.cleanup_stale(tmp_path)
    assert not stale.exists()
    assert load_or_build(tmp_path / "ix", corpus(), TinyEncoder()).rebuilt_because is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_cache_serves_from_memory(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        r = load_or_build(ro / "ix", corpus(), TinyEncoder())
        assert not r.persisted and r.dense.size == 4
    finally:
        ro.chmod(stat.S_IRWXU)


def test_unwritable_cache_serves_from_memory(tmp_path, monkeypatch):
    """Works as root too: the write itself fails."""
    def boom(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(store.tempfile, "mkdtemp", boom)
    r = load_or_build(tmp_path / "ix", corpus(), TinyEncoder())
    assert not r.persisted and r.rebuilt_because == "no index yet"
    assert r.dense.size == 4 and not (tmp_path / "ix").exists()


def test_a_failed_faiss_write_serves_from_memory_with_one_warning(tmp_path, monkeypatch, caplog):
    """faiss reports a failed write as RuntimeError, which has no ``strerror``."""
    def faiss_write_fails(*a, **k):
        raise RuntimeError("Error in faiss::FileIOWriter: could not open ix/dense.faiss")

    monkeypatch.setattr(store, "_write", faiss_write_fails)
    said: list[str] = []
    with caplog.at_level("WARNING", logger=store.__name__):
        r = load_or_build(tmp_path / "ix", corpus(), TinyEncoder(), progress=said.append)
    assert not r.persisted and r.dense.size == 4 and not (tmp_path / "ix").exists()
    warnings = [m for m in said if m.startswith("warning:")]
    assert len(warnings) == 1 and "FileIOWriter" in warnings[0] and "QA_CACHE_DIR" in warnings[0]
    assert not caplog.records  # shown once, on the progress line, not logged a second time
    with caplog.at_level("WARNING", logger=store.__name__):
        load_or_build(tmp_path / "ix2", corpus(), TinyEncoder())  # a library caller: logged
    assert any("serving from memory" in rec.getMessage() for rec in caplog.records)
