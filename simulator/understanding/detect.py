"""What a trainee turn does: catalog behaviors, dialogue acts and facts, as one :class:`Understanding`.

The scorer and the simulated caller both ask this module, and get the same answer
(docs/behaviors.md is the labelling guide it is trained and measured against):

* **Behaviors** come from a learned model (:mod:`simulator.understanding.model`, trained by
  ``vasim train detect`` on ``scenarios/corpus``): a logistic regression per behavior over the
  turn's words (names from the context and negation marked first:
  :mod:`simulator.understanding.features`) and its sentence embedding. Each detection carries a
  calibrated confidence (0..1, a probability on lines the model never saw) and the clause that
  carries its evidence (the quote). Exact preconditions stay rules: ``voicemail_phi`` only on a
  voicemail, ``use_name`` only when the caller's name is said, ``greet_practice`` only when the
  practice is named (when it is known).
* **Dialogue acts** (a question, a hold, a transfer announced...) come from the same kind of model.
* **Facts** (amounts, times, days, phone numbers...) are read by rules (:mod:`simulator.understanding.facts`).

Without an embedder (no onnxruntime, or fast tests) the words-only model decides; a behavior a
trainer added to the catalog (``scenarios/behaviors.d``) that the model was not trained on is
found by comparing the turn's clauses with the behavior's example phrases (embeddings), until
it has corpus lines and the model is retrained.
Sequence behaviors (``disclose_before_verify``) are the scorer's job, not this module's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from simulator.authoring.catalog import Catalog, load_catalog
from simulator.errors import RuntimeFailure
from simulator.understanding import features as F
from simulator.understanding import train
from simulator.understanding.facts import Fact, extract
from simulator.understanding.model import LinearModel

DEFAULT_THRESHOLD = 0.78  # cosine similarity for a trainer-added behavior's examples, when it sets none
SURE = 0.5  # a detection at least this probable is sure; below it the trainer is asked to check


@dataclass(frozen=True)
class Context:
    """What the detector needs to know besides the words."""

    practice: str | None = None  # practice name, for greet_practice
    patient: str | None = None  # caller's full name, for use_name
    mode: Literal["call", "voicemail"] = "call"  # voicemail_phi only fires in voicemail mode

    @classmethod
    def of(cls, scenario: Any) -> Context:
        """The context of a call in ``scenario`` (an ``authoring.model.Scenario``)."""
        return cls(practice=scenario.practice.name, patient=scenario.patient.name, mode=scenario.mode)


@dataclass(frozen=True)
class Detection:
    id: str
    confidence: float  # 0..1, calibrated
    quote: str = ""  # the part of the text that shows it (evidence for the scorecard)

    @property
    def sure(self) -> bool:
        return self.confidence >= SURE


@dataclass(frozen=True)
class Act:
    id: str  # one of corpus.ACTS
    confidence: float


@dataclass(frozen=True)
class Understanding:
    """One trainee turn, understood: what it shows, what it does, what it states."""

    text: str
    behaviors: tuple[Detection, ...] = ()
    acts: tuple[Act, ...] = ()
    facts: tuple[Fact, ...] = ()

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(d.id for d in self.behaviors)

    @property
    def act_ids(self) -> frozenset[str]:
        return frozenset(a.id for a in self.acts)

    def shows(self, bid: str) -> bool:
        return bid in self.ids

    def does(self, act: str) -> bool:
        return act in self.act_ids

    def get(self, bid: str) -> Detection | None:
        return next((d for d in self.behaviors if d.id == bid), None)


@lru_cache(maxsize=8)
def load_model(kind: str, lexical: bool) -> LinearModel:
    path = train.weights_path(kind, lexical)
    try:
        return LinearModel.load(path)
    except (OSError, ValueError, KeyError) as exc:
        raise RuntimeFailure(
            f"detector weights missing or unreadable ({path}: {exc}); run `vasim train detect`"
        ) from exc


# --------------------------------------------------------------------------- example phrases (trainer-added behaviors)


@dataclass
class _Bank:
    """Example-phrase vectors of the behaviors the model does not know (computed once per catalog and model)."""

    ids: list[str]
    pos: np.ndarray
    pos_owner: np.ndarray
    neg: np.ndarray
    neg_owner: np.ndarray


_BANKS: dict[str, _Bank] = {}


def _segment_max(sims: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    out = np.full((sims.shape[0], n), -1.0, dtype=np.float32)
    for j in range(n):
        cols = owner == j
        if cols.any():
            out[:, j] = sims[:, cols].max(axis=1)
    return out


# --------------------------------------------------------------------------- detector


class Detector:
    """Behaviors, acts and facts of trainee turns; see the module docstring."""

    def __init__(
        self,
        catalog: Catalog | None = None,
        embedder=None,
        *,
        behaviors: LinearModel | None = None,
        acts: LinearModel | None = None,
        use_cache: bool = True,
    ):
        self.catalog = catalog or load_catalog()
        self.ids = [b.id for b in self.catalog if b.detect == "text"]
        # the full models need the embeddings they were trained with; with any other embedder (a
        # fake in tests, another model) the words-only models decide and the embedder only serves
        # the example phrases of trainer-added behaviors
        full = load_model("behaviors", False) if behaviors is None and embedder is not None else None
        matches = full is not None and full.encoder == getattr(embedder, "name", None)
        self.behavior_model = behaviors or (full if matches and full is not None else load_model("behaviors", True))
        self.act_model = acts or load_model("acts", not matches)
        for m in (self.behavior_model, self.act_model):
            if m.uses_embeddings and (embedder is None or m.encoder != embedder.name):
                raise RuntimeFailure(
                    f"the detector was trained with {m.encoder} embeddings, not "
                    f"{getattr(embedder, 'name', 'none')}; run `vasim train detect`"
                )
        self.degraded = embedder is not None and not self.behavior_model.uses_embeddings
        self.embedder = embedder if (self.behavior_model.uses_embeddings or self.act_model.uses_embeddings) else None
        self._index = {b: j for j, b in enumerate(self.behavior_model.labels)}
        # catalog behaviors the model was not trained on: their example phrases decide
        self._example_ids = [b for b in self.ids if b not in self._index and self.catalog[b].examples]
        self._example_embedder = embedder
        self._bank = self._build_bank(use_cache) if embedder is not None and self._example_ids else None
        self._cache: dict[str, np.ndarray] = {}

    # -- public API
    def understand(self, text: str, context: Context = Context()) -> Understanding:
        return self.understand_batch([(text, context)])[0]

    def understand_batch(self, items: Sequence[tuple[str, Context]]) -> list[Understanding]:
        """Every turn at once: one embedding call for the batch."""
        if not items:
            return []
        prepared = [F.prepare(text, ctx.practice, ctx.patient) for text, ctx in items]
        feats = [F.featurize(p, ctx.mode) for p, (_, ctx) in zip(prepared, items)]
        emb = self._embed([F.model_text(p, ctx.mode) for p, (_, ctx) in zip(prepared, items)])
        bp = self.behavior_model.probabilities(feats, emb if self.behavior_model.uses_embeddings else None)
        ap = self.act_model.probabilities(feats, emb if self.act_model.uses_embeddings else None)
        examples = self._example_scores(items) if self._example_ids else None
        out = []
        for k, ((text, ctx), p) in enumerate(zip(items, prepared)):
            behaviors = self._behaviors(text, ctx, p, bp[k], None if examples is None else examples[k])
            acts = tuple(
                Act(a, round(float(ap[k, j]), 3))
                for j, a in enumerate(self.act_model.labels)
                if ap[k, j] >= self.act_model.thresholds[j]
            )
            out.append(Understanding(text, behaviors, acts, tuple(extract(text))))
        return out

    def detect(self, text: str, context: Context = Context()) -> list[Detection]:
        return list(self.understand(text, context).behaviors)

    def detect_batch(self, items: Sequence[tuple[str, Context]]) -> list[list[Detection]]:
        return [list(u.behaviors) for u in self.understand_batch(items)]

    def scores(self, text: str, context: Context = Context()) -> dict[str, dict]:
        """Per behavior: the calibrated probability, the threshold it must reach, and whether its
        exact precondition holds (for ``vasim detect --explain``)."""
        p = F.prepare(text, context.practice, context.patient)
        feats = [F.featurize(p, context.mode)]
        emb = self._embed([F.model_text(p, context.mode)])
        probs = self.behavior_model.probabilities(feats, emb if self.behavior_model.uses_embeddings else None)[0]
        return {
            b: {
                "p": round(float(probs[j]), 3),
                "threshold": float(self.behavior_model.thresholds[j]),
                "gate": train.gate(b, p, context.mode, context.practice),
            }
            for b, j in self._index.items()
            if b in self.ids
        }

    def clear_cache(self) -> None:
        """Forget cached sentence vectors (benchmarks measure cold embedding)."""
        self._cache.clear()

    # -- internals
    _CACHE_SIZE = 4096  # sentence vectors kept: trainees repeat their scripts

    def _embed(self, texts: list[str]) -> np.ndarray | None:
        if self.embedder is None:
            return None
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            for t, v in zip(todo, self.embedder.embed(todo)):
                self._cache[t] = v
            while len(self._cache) > self._CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
        return np.stack([self._cache[t] for t in texts])

    def _behaviors(
        self,
        text: str,
        ctx: Context,
        prepared: F.Prepared,
        probs: np.ndarray,
        examples: dict[str, tuple[float, str]] | None,
    ) -> tuple[Detection, ...]:
        model = self.behavior_model
        found: dict[str, Detection] = {}
        hits = [
            b
            for b, j in self._index.items()
            if b in self.ids and probs[j] >= model.thresholds[j] and train.gate(b, prepared, ctx.mode, ctx.practice)
        ]
        if hits:
            quotes = self._quotes(text, ctx, hits)
            for b in hits:
                found[b] = Detection(b, round(float(probs[self._index[b]]), 3), quotes[b])
        for b, (conf, quote) in (examples or {}).items():
            found[b] = Detection(b, round(conf, 3), quote)
        return tuple(found[b] for b in self.ids if b in found)

    def _quotes(self, text: str, ctx: Context, hits: list[str]) -> dict[str, str]:
        """The clause whose words carry each behavior's evidence (the whole turn when it is one clause)."""
        from simulator.text.split import clauses

        cs = clauses(text)
        if len(cs) <= 1:
            return {b: text.strip() for b in hits}
        feats = [F.featurize(F.prepare(c.raw, ctx.practice, ctx.patient), ctx.mode) for c in cs]
        z = self.behavior_model.lexical_logits(feats)
        out = {}
        for b in hits:
            j = self._index[b]
            order = np.argsort(-z[:, j], kind="stable")
            out[b] = cs[int(order[0])].raw
        return out

    # -- trainer-added behaviors: example phrases
    def _build_bank(self, use_cache: bool) -> _Bank:
        emb = self._example_embedder
        h = hashlib.sha256(emb.name.encode())
        for bid in self._example_ids:
            beh = self.catalog[bid]
            h.update(bid.encode() + b"".join(b"+" + p.encode() for p in beh.examples))
            h.update(b"".join(b"-" + p.encode() for p in beh.near_misses))
        key = h.hexdigest()[:16]
        if key in _BANKS:
            return _BANKS[key]
        pos_t: list[str] = []
        pos_o: list[int] = []
        neg_t: list[str] = []
        neg_o: list[int] = []
        for j, bid in enumerate(self._example_ids):
            beh = self.catalog[bid]
            pos_t += [_example_text(p) for p in beh.examples]
            pos_o += [j] * len(beh.examples)
            neg_t += [_example_text(p) for p in beh.near_misses]
            neg_o += [j] * len(beh.near_misses)
        vecs = self._cached_vectors(key, pos_t + neg_t) if use_cache else emb.embed(pos_t + neg_t)
        bank = _Bank(
            list(self._example_ids),
            vecs[: len(pos_t)],
            np.array(pos_o, dtype=np.int32),
            vecs[len(pos_t) :],
            np.array(neg_o, dtype=np.int32),
        )
        _BANKS[key] = bank
        return bank

    def _cached_vectors(self, key: str, texts: list[str]) -> np.ndarray:
        from simulator import paths

        emb = self._example_embedder
        path = Path(paths.cache_dir()) / f"detect-bank-{key}.npy"
        try:
            vecs = np.load(path)
            if vecs.shape == (len(texts), emb.dim):
                return vecs
        except (OSError, ValueError):
            pass
        vecs = emb.embed(texts)
        try:
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, vecs)
            tmp.replace(path)
        except OSError:
            pass  # a read-only cache only costs load time
        return vecs

    def _example_scores(self, items: Sequence[tuple[str, Context]]) -> list[dict[str, tuple[float, str]]]:
        """Per turn: the trainer-added behaviors whose examples one of its clauses resembles
        (best similarity above the behavior's threshold and above its best near miss)."""
        from simulator.text.split import clauses

        out: list[dict[str, tuple[float, str]]] = [{} for _ in items]
        if self._bank is None:
            return out
        split = [clauses(text) for text, _ in items]
        flat = [c for cs in split for c in cs]
        if not flat:
            return out
        q = self._example_embedder.embed([_example_text(c.raw) for c in flat])
        n = len(self._bank.ids)
        pos = _segment_max(q @ self._bank.pos.T, self._bank.pos_owner, n)
        neg = (
            _segment_max(q @ self._bank.neg.T, self._bank.neg_owner, n)
            if len(self._bank.neg)
            else np.full_like(pos, -1)
        )
        k = 0
        for t, cs in enumerate(split):
            for c in cs:
                for j, bid in enumerate(self._bank.ids):
                    thr = self.catalog[bid].threshold or DEFAULT_THRESHOLD
                    s, m = float(pos[k, j]), float(pos[k, j] - neg[k, j])
                    if s >= thr and m > 0:
                        conf = 0.5 + min(0.45, (s - thr) * 1.5)
                        if bid not in out[t] or out[t][bid][0] < conf:
                            out[t][bid] = (conf, c.raw)
                k += 1
        return out


def _example_text(text: str) -> str:
    from simulator.text.normalize import normalize

    return normalize(text)


def words_only_detector(catalog: Catalog | None = None) -> Detector:
    """The words-only model: no embedding model to load (fast tests, and the fallback without onnxruntime)."""
    return Detector(catalog, embedder=None)


words_only_detector = words_only_detector  # the name callers have used


def result_json(text: str, detections: Iterable[Detection]) -> dict:
    """The `vasim detect --json` shape."""
    return {"text": text, "behaviors": [{"id": d.id, "confidence": d.confidence} for d in detections]}


__all__ = [
    "Act",
    "Context",
    "Detection",
    "Detector",
    "Understanding",
    "result_json",
    "words_only_detector",
]
