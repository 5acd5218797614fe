"""``vasim bench detect``: how well and how fast a trainee turn is understood.

Quality, honestly (issue 12):

* **held out by batch**: the figures ``vasim train detect`` measured when it trained the shipped
  weights (every writer's batch predicted by a model, calibration and thresholds made without it;
  stored beside the weights), per behavior and per dialogue act;
* **sealed**: the shipped detector on ``tests/data/sealed/detect_sealed.jsonl``, lines written
  by another hand before any tuning and never used to train or tune (no ``--errors`` for it:
  reading its misses would be tuning on it).

Calibration: on the sealed lines, the mean confidence of detections against the share that are
right, in bins (a confidence of 0.8 should be right about 80% of the time).

Speed: utterances a second through ``understand_batch`` (median of several runs) and one turn
at a time (the live call's case), with the model already loaded.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
from pathlib import Path

from simulator.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
SEALED = ROOT / "tests" / "data" / "sealed" / "detect_sealed.jsonl"
TARGETS = {"macro_f1": 0.92, "safety_recall": 0.95, "safety_precision": 0.9, "per_s": 200.0, "turn_ms": 30.0}
SAFETY = (
    "medical_advice",
    "override_clinical",
    "advise_911",
    "transfer_clinical",
    "stay_on_line",
    "crisis_line_988",
    "voicemail_phi",
)


def add_arguments(p) -> None:
    p.add_argument("--sealed", type=Path, default=SEALED, help="the sealed set (default: tests/data/sealed/...)")
    p.add_argument("--words-only", "--rules-only", dest="words_only", action="store_true", help="the words-only model")
    p.add_argument("--runs", type=int, default=5, help="throughput runs (median reported)")


def _rows(path: Path) -> list[dict]:
    if not path.is_file():
        raise UserError(f"{path}: no such file; give --sealed PATH to a labelled JSONL file")
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            row["text"], row["labels"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise UserError(f"{path}:{i}: bad line ({exc}); expected {{\"text\", \"labels\": [...]}}") from None
        out.append(row)
    return out


def prf(pred: list[set[str]], gold: list[set[str]], ids: list[str], negatives: list[set[str]] | None = None) -> dict:
    out = {}
    for bid in ids:
        tp = sum(1 for p, g in zip(pred, gold) if bid in p and bid in g)
        fp = sum(1 for p, g in zip(pred, gold) if bid in p and bid not in g)
        fn = sum(1 for p, g in zip(pred, gold) if bid not in p and bid in g)
        prec = tp / (tp + fp) if tp + fp else 1.0
        rec = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[bid] = {"precision": round(prec, 3), "recall": round(rec, 3), "f1": round(f1, 3), "positives": tp + fn}
    return out


def calibration(conf: list[float], right: list[bool], bins=(0.0, 0.5, 0.7, 0.85, 0.95, 1.01)) -> list[dict]:
    out = []
    for lo, hi in itertools.pairwise(bins):
        idx = [i for i, c in enumerate(conf) if lo <= c < hi]
        if idx:
            out.append(
                {
                    "bin": f"{lo:.2f}-{min(hi, 1.0):.2f}",
                    "detections": len(idx),
                    "mean_confidence": round(statistics.mean(conf[i] for i in idx), 3),
                    "right": round(sum(right[i] for i in idx) / len(idx), 3),
                }
            )
    return out


def run(args) -> dict:
    from simulator.speech import factory
    from simulator.understanding import train
    from simulator.understanding.detect import Context

    t0 = time.perf_counter()
    detector = factory.make_detector(embeddings=not args.words_only)
    load_s = time.perf_counter() - t0
    kind = "lexical" if detector.embedder is None else "full"
    ids = [b for b in detector.ids if b in detector.behavior_model.labels]
    held_out = {}
    for what in ("behaviors", "acts"):
        model = detector.behavior_model if what == "behaviors" else detector.act_model
        held_out[what] = {"macro_f1": model.meta.get("cv_macro_f1"), "per_label": model.meta.get("cv", {})}
    result: dict = {
        "detector": kind,
        "encoder": detector.behavior_model.encoder or "none",
        "weights": {w: str(train.weights_path(w, kind == "lexical")) for w in ("behaviors", "acts")},
        "corpus": detector.behavior_model.meta.get("corpus"),
        "batches": detector.behavior_model.meta.get("groups"),
        "load_s": round(load_s, 3),
        "held_out": held_out,
    }
    rows = _rows(args.sealed)
    items = [(r["text"], Context(r.get("practice"), r.get("patient"), r.get("mode", "call"))) for r in rows]
    detector.clear_cache()
    found = detector.understand_batch(items)
    pred = [{d.id for d in u.behaviors} for u in found]
    gold = [set(r["labels"]) for r in rows]
    scores = prf(pred, gold, ids)
    conf, right = [], []
    for u, g in zip(found, gold):
        for d in u.behaviors:
            conf.append(d.confidence)
            right.append(d.id in g)
    macro = statistics.mean(s["f1"] for s in scores.values())
    result["sealed"] = {
        "path": str(args.sealed),
        "lines": len(rows),
        "batch": rows[0].get("batch", "") if rows else "",
        "macro_f1": round(macro, 3),
        "per_behavior": scores,
        "calibration": calibration(conf, right),
        "safety": {b: scores[b] for b in SAFETY if b in scores},
    }
    # speed: batched, and one turn at a time (cold cache each run: nothing remembered)
    texts = items * max(1, 1000 // max(1, len(items)))
    per_s = []
    for _ in range(max(1, args.runs)):
        detector.clear_cache()
        t0 = time.perf_counter()
        detector.understand_batch(texts)
        per_s.append(len(texts) / (time.perf_counter() - t0))
    single = []
    for text, ctx in items[:200]:
        detector.clear_cache()
        t0 = time.perf_counter()
        detector.understand(text, ctx)
        single.append((time.perf_counter() - t0) * 1000)
    result["speed"] = {
        "batched_per_s": round(statistics.median(per_s), 1),
        "turn_ms_p50": round(statistics.median(single), 2),
        "turn_ms_p95": round(sorted(single)[int(0.95 * (len(single) - 1))], 2),
        "targets": TARGETS,
    }
    return result


def render(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    s = result["sealed"]
    ho = result["held_out"]["behaviors"]["per_label"]
    t = Table(
        title=f"behaviors: {result['detector']} model ({result['encoder']}), corpus {result['corpus']}: "
        f"held out by batch macro-F1 {result['held_out']['behaviors']['macro_f1']}, "
        f"sealed ({s['lines']} lines, {s['batch']}) macro-F1 {s['macro_f1']:.3f} (target {TARGETS['macro_f1']})"
    )
    for col in ("behavior", "held-out P", "R", "F1", "sealed P", "R", "F1", "n"):
        t.add_column(col)
    for bid, v in s["per_behavior"].items():
        h = ho.get(bid, {})
        t.add_row(
            bid,
            f"{h.get('precision', 0):.2f}" if h else "-",
            f"{h.get('recall', 0):.2f}" if h else "-",
            f"{h.get('f1', 0):.2f}" if h else "-",
            f"{v['precision']:.2f}",
            f"{v['recall']:.2f}",
            f"{v['f1']:.2f}",
            str(v["positives"]),
        )
    console.print(t)
    acts = result["held_out"]["acts"]
    if acts["per_label"]:
        console.print(
            f"dialogue acts, held out by batch: macro-F1 {acts['macro_f1']}  "
            + ", ".join(f"{a} {v['f1']:.2f}" for a, v in acts["per_label"].items())
        )
    console.print(
        "calibration (sealed): "
        + "; ".join(
            f"{b['bin']}: {b['detections']} said {b['mean_confidence']:.2f}, right {b['right']:.2f}"
            for b in s["calibration"]
        )
    )
    sp = result["speed"]
    console.print(
        f"speed: {sp['batched_per_s']:.0f} turns/s batched (target >= {TARGETS['per_s']:.0f}); one turn "
        f"p50 {sp['turn_ms_p50']:.1f} ms, p95 {sp['turn_ms_p95']:.1f} ms (target <= {TARGETS['turn_ms']:.0f}); "
        f"load {result['load_s']:.2f} s"
    )
