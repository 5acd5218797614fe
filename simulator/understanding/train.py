"""Training the detector (``vasim train detect``): corpus in, versioned weights out.

The corpus (``scenarios/corpus/turns``) is read, every turn prepared once (names from its
context, negation marked: :mod:`simulator.understanding.features`) and embedded once. Then, for
the behaviors and for the dialogue acts, each with and without sentence embeddings:

1. **Grouped cross-validation.** For every writer's batch, a model trained on all the other
   batches predicts it (a batch's recognised copy, ``b01-x.asr``, stays with ``b01-x``). These
   held-out predictions are the honest figures, and the only data calibration and thresholds
   are fitted on.
2. **Calibration and thresholds** per label from those held-out predictions
   (:class:`~simulator.understanding.model.Calibration`, :func:`~simulator.understanding.model.best_thresholds`).
3. **The final model** on every batch, saved with its calibration, thresholds, the corpus hash
   and the settings.

Everything is deterministic (L-BFGS from zeros, sorted vocabularies), so the same corpus and
encoder give the same weights. The sealed set is never read here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simulator.understanding import features as F
from simulator.understanding.corpus import ACTS, Corpus, Turn
from simulator.understanding.model import Calibration, LinearModel, best_thresholds, design, fit

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
C_BEHAVIORS = 1.0
C_ACTS = 1.0
EMB_SCALE = 4.0
MIN_COUNT = 2


def weights_path(kind: str, lexical: bool = False) -> Path:
    """``kind``: "behaviors" or "acts"."""
    return WEIGHTS_DIR / f"{kind}{'-lexical' if lexical else ''}.npz"


def group_of(turn: Turn) -> str:
    """The writer's batch a turn belongs to (a recognised copy stays with its batch)."""
    return turn.batch.split(".")[0]


def corpus_hash(corpus: Corpus) -> str:
    h = hashlib.sha256()
    for t in sorted(corpus, key=lambda t: (t.batch, t.text)):
        h.update(f"{t.batch}\t{t.text}\t{','.join(sorted(t.labels))}\t{','.join(sorted(t.acts))}\n".encode())
    return h.hexdigest()[:16]


@dataclass
class Prepared:
    turns: list[Turn]
    prepared: list[F.Prepared]
    feats: list[set[str]]
    emb: np.ndarray | None
    groups: list[str]


def prepare_corpus(corpus: Corpus, embedder=None) -> Prepared:
    turns = list(corpus)
    prepared = [F.prepare(t.text, t.practice, t.patient) for t in turns]
    feats = [F.featurize(p, t.mode) for p, t in zip(prepared, turns)]
    emb = None
    if embedder is not None:
        emb = embedder.embed([F.model_text(p, t.mode) for p, t in zip(prepared, turns)])
    return Prepared(turns, prepared, feats, emb, [group_of(t) for t in turns])


@dataclass
class Scores:
    """Precision, recall and F1 per label, and their macro average."""

    per_label: dict[str, tuple[float, float, float, int]] = field(default_factory=dict)

    @property
    def macro_f1(self) -> float:
        vals = [f for _, _, f, n in self.per_label.values() if n]
        return float(np.mean(vals)) if vals else 0.0

    @classmethod
    def of(cls, labels: Sequence[str], Y: np.ndarray, D: np.ndarray, mask: np.ndarray | None = None) -> Scores:
        out = cls()
        for j, lab in enumerate(labels):
            keep = np.ones(len(Y), dtype=bool) if mask is None else mask[:, j].astype(bool)
            y, d = Y[keep, j] > 0.5, D[keep, j] > 0.5
            tp = float((y & d).sum())
            p = tp / d.sum() if d.sum() else 0.0
            r = tp / y.sum() if y.sum() else 0.0
            f = 2 * p * r / (p + r) if p + r else 0.0
            out.per_label[lab] = (p, r, f, int(y.sum()))
        return out


@dataclass
class Task:
    """One model to train: which labels, which rows count for each, which gates apply."""

    kind: str  # "behaviors" | "acts"
    labels: tuple[str, ...]
    Y: np.ndarray
    mask: np.ndarray  # (N, L): 1 where the row counts for the label
    C: float


def behavior_task(data: Prepared, labels: Sequence[str]) -> Task:
    Y = np.array([[lab in t.labels for lab in labels] for t in data.turns], dtype=np.float64)
    mask = np.array([[t.known is None or lab in t.known for lab in labels] for t in data.turns], dtype=np.float64)
    for j, lab in enumerate(labels):
        if lab not in MASKED:
            continue
        for i, (t, p) in enumerate(zip(data.turns, data.prepared)):
            if not gate(lab, p, t.mode, t.practice):
                mask[i, j] = 0.0  # decided by its gate, whatever the model says
    return Task("behaviors", tuple(labels), Y, mask, C_BEHAVIORS)


def act_task(data: Prepared) -> Task:
    Y = np.array([[a in t.acts for a in ACTS] for t in data.turns], dtype=np.float64)
    labelled = np.array([bool(t.acts) and t.known is None for t in data.turns], dtype=np.float64)
    return Task("acts", ACTS, Y, np.repeat(labelled[:, None], len(ACTS), axis=1), C_ACTS)


def gate(label: str, prepared: F.Prepared, mode: str, practice: str | None) -> bool:
    """Exact preconditions (docs/behaviors.md): a voicemail for ``voicemail_phi``, the caller's
    name for ``use_name``, the practice's name for ``greet_practice`` (when the practice is not
    known, a name that ends like one: "... Family Practice", "... Pediatrics"), a place for a name
    for ``self_identify`` ("this is ...", "... speaking"), and whom an escalation goes to for
    ``transfer_clinical``, ``flag_billing`` and ``escalate_manager`` (a clinician, billing, a manager)."""
    if label == "voicemail_phi":
        return mode == "voicemail"
    if label == "use_name":
        return F.names_caller(prepared)
    if label == "greet_practice":
        return F.names_practice(prepared) if practice else F.names_a_practice(prepared)
    if label == "self_identify":
        return F.offers_a_name(prepared)
    return F.names_target(prepared, label)


# Labels whose gate is a fact of the training row (the model never sees a row the gate shuts):
# voicemail mode and the caller's name. greet_practice learns from every row, so that without a
# practice in the context it does not fire on any line at all.
MASKED = ("voicemail_phi", "use_name", "self_identify", *F.TARGETS)


@dataclass
class TrainResult:
    model: LinearModel
    cv: Scores  # grouped cross-validation: every batch decided by a model, calibration and thresholds made without it
    groups: list[str]
    decisions: np.ndarray  # (N, L) those held-out decisions, for per-batch figures


def train_task(
    data: Prepared,
    task: Task,
    *,
    use_embeddings: bool,
    encoder: str = "",
    progress: Callable[[str], None] | None = None,
) -> TrainResult:
    emb = data.emb if use_embeddings else None
    groups = sorted(set(data.groups))
    vocab = F.vocabulary(data.feats, MIN_COUNT)
    n, L = task.Y.shape
    Z = np.zeros((n, L))
    g_arr = np.array(data.groups)
    for g in groups:
        test = np.flatnonzero(g_arr == g)
        train = np.flatnonzero(g_arr != g)
        if progress:
            progress(f"{task.kind}{'' if use_embeddings else ' (words only)'}: held out {g}")
        fold_vocab = F.vocabulary([data.feats[i] for i in train], MIN_COUNT)
        Xtr = design([data.feats[i] for i in train], fold_vocab, None if emb is None else emb[train], EMB_SCALE)
        W = fit(Xtr, task.Y[train], task.mask[train], task.C)
        Xte = design([data.feats[i] for i in test], fold_vocab, None if emb is None else emb[test], EMB_SCALE)
        Z[test] = Xte.dot(W)
    cal = Calibration.fitted(Z, task.Y, task.mask)
    thr = best_thresholds(cal(Z) * task.mask, task.Y, task.mask)
    # the figures: each batch decided with a calibration and thresholds fitted without it too
    D = np.zeros_like(Z)
    for g in groups:
        test, rest = g_arr == g, g_arr != g
        cal_g = Calibration.fitted(Z[rest], task.Y[rest], task.mask[rest])
        thr_g = best_thresholds(cal_g(Z[rest]) * task.mask[rest], task.Y[rest], task.mask[rest])
        D[test] = (cal_g(Z[test]) >= thr_g) * task.mask[test]
    cv = Scores.of(task.labels, task.Y, D, task.mask)
    if progress:
        progress(f"{task.kind}{'' if use_embeddings else ' (words only)'}: final model")
    W = fit(design(data.feats, vocab, emb, EMB_SCALE), task.Y, task.mask, task.C)
    model = LinearModel(
        labels=task.labels,
        vocab=vocab,
        W=W,
        dense_dim=0 if emb is None else emb.shape[1],
        emb_scale=EMB_SCALE,
        encoder=encoder if emb is not None else "",
        calibration=cal,
        thresholds=thr,
        meta={
            "C": task.C,
            "min_count": MIN_COUNT,
            "groups": groups,
            "rows": int(n),
            "cv_macro_f1": round(cv.macro_f1, 4),
            "cv": {
                lab: {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "positives": n}
                for lab, (p, r, f, n) in cv.per_label.items()
            },
        },
    )
    return TrainResult(model, cv, groups, D)


def held_out_groups(groups: Sequence[str], exclude: Sequence[str] = ("b00-project",)) -> list[str]:
    return [g for g in groups if g not in exclude]


@dataclass
class Trained:
    """What ``vasim train detect`` made: the models, where they were written, their held-out figures."""

    corpus: str  # hash
    rows: int
    groups: list[str]
    results: dict[str, TrainResult]  # "behaviors", "behaviors-lexical", "acts", "acts-lexical"
    paths: dict[str, Path]


def train_all(
    corpus: Corpus,
    behavior_ids: Sequence[str],
    embedder,
    *,
    out_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Trained:
    """Train and save the behavior and act models, with and without sentence embeddings."""
    out_dir = Path(out_dir or WEIGHTS_DIR)
    out_dir.mkdir(parents=True, exist_ok=True)
    if progress:
        progress(f"preparing {len(corpus)} turns")
    data = prepare_corpus(corpus, embedder)
    digest = corpus_hash(corpus)
    results: dict[str, TrainResult] = {}
    paths: dict[str, Path] = {}
    for task in (behavior_task(data, behavior_ids), act_task(data)):
        for lexical in (False, True):
            name = f"{task.kind}{'-lexical' if lexical else ''}"
            r = train_task(data, task, use_embeddings=not lexical, encoder=embedder.name, progress=progress)
            r.model.meta["corpus"] = digest
            path = out_dir / f"{name}.npz"
            r.model.save(path)
            results[name], paths[name] = r, path
    return Trained(digest, len(data.turns), sorted(set(data.groups)), results, paths)


__all__ = [
    "WEIGHTS_DIR",
    "Prepared",
    "Scores",
    "TrainResult",
    "Trained",
    "act_task",
    "behavior_task",
    "corpus_hash",
    "gate",
    "prepare_corpus",
    "train_all",
    "train_task",
    "weights_path",
]
