"""The learned part of understanding: a multi-label linear model over words and a sentence embedding.

Each label (a catalog behavior, or a dialogue act) gets a logistic regression over

* the turn's sparse features (:func:`simulator.understanding.features.featurize`: words with
  negation marked, word 2-3-grams, exact cues), and
* optionally the turn's sentence embedding (an :class:`~simulator.speech.embed.Embedder`),
  scaled by ``emb_scale`` so that one L2 penalty suits both parts.

Training (:func:`fit`) minimises the summed L2-regularised log loss of all labels at once with
L-BFGS from zeros: no randomness, so the same corpus gives the same weights. A per-label mask
leaves rows out of a label's loss (``voicemail_phi`` learns from voicemails only).

The raw probability is then **calibrated** (:class:`Calibration`: Platt scaling of the logit,
fitted on predictions for batches the model never saw, so a confidence of 0.8 is right about 80%
of the time on another writer's lines), and a per-label **threshold** on the calibrated
probability decides (chosen the same way, for the best F1).

The weights are one ``.npz`` file with a JSON header: the labels, the vocabulary, the encoder the
dense weights belong to, and how the model was made (corpus hash, settings).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize

FORMAT = 1


def sparse_matrix(feature_sets: Sequence[set[str]], vocab: dict[str, int]) -> sp.csr_matrix:
    rows: list[int] = []
    cols: list[int] = []
    for r, fs in enumerate(feature_sets):
        for f in fs:
            j = vocab.get(f)
            if j is not None:
                rows.append(r)
                cols.append(j)
    data = np.ones(len(rows), dtype=np.float64)
    return sp.csr_matrix((data, (rows, cols)), shape=(len(feature_sets), len(vocab)))


@dataclass(frozen=True)
class Design:
    """A design matrix kept in two parts: sparse word features and the dense (scaled) embedding.
    Weights are rows for the sparse columns, then the dense columns, then the bias."""

    sparse: sp.csr_matrix
    dense: np.ndarray | None

    @property
    def width(self) -> int:
        return self.sparse.shape[1] + (0 if self.dense is None else self.dense.shape[1]) + 1

    def __len__(self) -> int:
        return self.sparse.shape[0]

    def dot(self, W: np.ndarray) -> np.ndarray:
        v = self.sparse.shape[1]
        out = np.asarray(self.sparse @ W[:v])
        if self.dense is not None:
            out = out + self.dense @ W[v : v + self.dense.shape[1]]
        return out + W[-1]

    def tdot(self, G: np.ndarray) -> np.ndarray:
        """X^T G: the gradient's shape (width, L)."""
        parts = [np.asarray(self.sparse.T @ G)]
        if self.dense is not None:
            parts.append(self.dense.T @ G)
        parts.append(G.sum(axis=0, keepdims=True))
        return np.vstack(parts)


def design(feature_sets: Sequence[set[str]], vocab: dict[str, int], emb: np.ndarray | None, emb_scale: float) -> Design:
    dense = None if emb is None else np.asarray(emb, dtype=np.float64) * emb_scale
    return Design(sparse_matrix(feature_sets, vocab), dense)


def fit(X: Design, Y: np.ndarray, mask: np.ndarray | None = None, C: float = 1.0, max_iter: int = 400) -> np.ndarray:
    """Weights (width, L) of L logistic regressions, L2 penalty 1/(2C) on all but the bias row."""
    d = X.width
    L = Y.shape[1]
    M = np.ones_like(Y) if mask is None else mask.astype(np.float64)

    def loss_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
        W = w.reshape(d, L)
        Z = X.dot(W)
        # log(1 + e^z) - y z, computed stably
        loss = float((M * (np.logaddexp(0.0, Z) - Y * Z)).sum())
        P = 0.5 * (1.0 + np.tanh(0.5 * Z))  # the logistic function, without overflow
        G = X.tdot(M * (P - Y))
        reg = W[:-1]
        loss += 0.5 / C * float((reg * reg).sum())
        G[:-1] += reg / C
        return loss, G.ravel()

    res = minimize(loss_grad, np.zeros(d * L), jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    return res.x.reshape(d, L)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


@dataclass
class Calibration:
    """Platt scaling per label: p = sigmoid(a * logit + b)."""

    a: np.ndarray
    b: np.ndarray

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        return sigmoid(Z * self.a + self.b)

    @classmethod
    def identity(cls, n: int) -> Calibration:
        return cls(np.ones(n), np.zeros(n))

    @classmethod
    def fitted(cls, Z: np.ndarray, Y: np.ndarray, mask: np.ndarray | None = None) -> Calibration:
        """Fit (a, b) per label on held-out logits ``Z`` and labels ``Y`` (log loss, a >= 0)."""
        L = Z.shape[1]
        a, b = np.ones(L), np.zeros(L)
        for j in range(L):
            keep = np.ones(len(Z), dtype=bool) if mask is None else mask[:, j].astype(bool)
            z, y = Z[keep, j], Y[keep, j]
            if y.sum() == 0 or y.sum() == len(y):
                continue

            def f(v: np.ndarray, z: np.ndarray = z, y: np.ndarray = y) -> tuple[float, np.ndarray]:
                s = v[0] * z + v[1]
                p = sigmoid(s)
                loss = float((np.logaddexp(0.0, s) - y * s).sum()) + 1e-3 * (v[0] - 1) ** 2
                g = np.array([float(((p - y) * z).sum()) + 2e-3 * (v[0] - 1), float((p - y).sum())])
                return loss, g

            r = minimize(f, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B", bounds=[(0.05, 10.0), (-20.0, 20.0)])
            a[j], b[j] = r.x
        return cls(a, b)


def best_thresholds(P: np.ndarray, Y: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Per label, the probability threshold with the best F1 on held-out predictions (ties: the
    middle of the best run, so a threshold is not pressed against one example)."""
    grid = np.round(np.arange(0.05, 0.951, 0.025), 3)
    out = np.full(P.shape[1], 0.5)
    for j in range(P.shape[1]):
        keep = np.ones(len(P), dtype=bool) if mask is None else mask[:, j].astype(bool)
        y = Y[keep, j] > 0.5
        if not y.any():
            continue
        scores = []
        for t in grid:
            pred = P[keep, j] >= t
            tp = float((pred & y).sum())
            scores.append(2 * tp / (pred.sum() + y.sum()) if tp else 0.0)
        f1 = np.array(scores)
        best = np.flatnonzero(f1 >= f1.max() - 1e-9)
        out[j] = float(grid[best[len(best) // 2]])
    return out


@dataclass
class LinearModel:
    """Trained weights for a set of labels; see the module docstring."""

    labels: tuple[str, ...]
    vocab: dict[str, int]
    W: np.ndarray  # (len(vocab) + dense + 1, len(labels)): sparse rows, embedding rows, bias
    dense_dim: int  # 0: words only
    emb_scale: float
    encoder: str  # the Embedder.name the dense rows belong to ("" when dense_dim == 0)
    calibration: Calibration
    thresholds: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def uses_embeddings(self) -> bool:
        return self.dense_dim > 0

    def logits(self, feature_sets: Sequence[set[str]], emb: np.ndarray | None = None) -> np.ndarray:
        if self.uses_embeddings and emb is None:
            raise ValueError(f"this model needs {self.encoder} sentence embeddings")
        X = design(feature_sets, self.vocab, emb if self.uses_embeddings else None, self.emb_scale)
        return X.dot(self.W)

    def lexical_logits(self, feature_sets: Sequence[set[str]]) -> np.ndarray:
        """The words' share of the logits only (no embedding, no bias): which clause carries the evidence."""
        return np.asarray(sparse_matrix(feature_sets, self.vocab) @ self.W[: len(self.vocab)])

    def probabilities(self, feature_sets: Sequence[set[str]], emb: np.ndarray | None = None) -> np.ndarray:
        return self.calibration(self.logits(feature_sets, emb))

    # -- storage
    def save(self, path: Path) -> None:
        from simulator.fsutil import atomic_write

        header = {
            "format": FORMAT,
            "labels": list(self.labels),
            "vocab": sorted(self.vocab, key=self.vocab.__getitem__),
            "dense_dim": self.dense_dim,
            "emb_scale": self.emb_scale,
            "encoder": self.encoder,
            "meta": self.meta,
        }
        import io

        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            header=np.frombuffer(json.dumps(header, sort_keys=True).encode(), dtype=np.uint8),
            W=self.W.astype(np.float32),
            cal_a=self.calibration.a.astype(np.float32),
            cal_b=self.calibration.b.astype(np.float32),
            thresholds=self.thresholds.astype(np.float32),
        )
        atomic_write(Path(path), buf.getvalue(), private=False)

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        with np.load(Path(path)) as z:
            header = json.loads(bytes(z["header"]).decode())
            if header.get("format") != FORMAT:
                raise ValueError(f"{path}: model format {header.get('format')}, expected {FORMAT}")
            vocab = {f: j for j, f in enumerate(header["vocab"])}
            return cls(
                labels=tuple(header["labels"]),
                vocab=vocab,
                W=z["W"].astype(np.float64),
                dense_dim=int(header["dense_dim"]),
                emb_scale=float(header["emb_scale"]),
                encoder=header["encoder"],
                calibration=Calibration(z["cal_a"].astype(np.float64), z["cal_b"].astype(np.float64)),
                thresholds=z["thresholds"].astype(np.float64),
                meta=header.get("meta", {}),
            )
