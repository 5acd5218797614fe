"""``vasim bench detect``: how well and how fast behaviors are detected.

Quality is measured on the labeled development set (``tests/data/detect_dev.jsonl``):
per-behavior thresholds are tuned on its ``train`` lines (the best F1 for each behavior,
ties to the higher, more precise threshold) and precision / recall / F1 are reported on
the held-out ``test`` lines only, so the figures are not flattered by the tuning.
Throughput is utterances per second through ``detect_batch`` (median of several runs).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from simulator.errors import UserError

DEV_SET = Path(__file__).resolve().parents[2] / "tests" / "data" / "detect_dev.jsonl"
GRID = [round(0.50 + 0.01 * i, 2) for i in range(50)]  # cosine thresholds tried on train


def add_arguments(p) -> None:
    p.add_argument("--data", type=Path, default=DEV_SET, help="labeled JSONL (default: tests/data/detect_dev.jsonl)")
    p.add_argument("--rules-only", action="store_true", help="measure the rule layer alone")
    p.add_argument("--runs", type=int, default=5, help="throughput runs (median reported)")
    p.add_argument(
        "--errors",
        choices=("train", "test"),
        help="list the lines of this split the detector gets wrong (develop on train, not test)",
    )


@dataclass(frozen=True)
class Example:
    text: str
    labels: frozenset[str]
    context: object  # detect.Context
    split: str
    line: int


def load_dev_set(path: Path) -> list[Example]:
    from simulator.understanding.detect import Context

    if not path.is_file():
        raise UserError(f"{path}: no such file; give --data PATH to a labeled JSONL file")
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append(
                Example(
                    row["text"],
                    frozenset(row.get("labels", [])),
                    Context(row.get("practice"), row.get("patient"), row.get("mode", "call")),
                    row.get("split", "test"),
                    i,
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise UserError(
                f"{path}:{i}: bad line ({exc}); expected {{\"text\", \"labels\": [...], \"split\": \"train\"|\"test\"}}"
            ) from None
    return out


def prf(pred: list[set[str]], gold: list[frozenset[str]], ids: list[str]) -> dict[str, dict]:
    out = {}
    for bid in ids:
        tp = sum(1 for p, g in zip(pred, gold) if bid in p and bid in g)
        fp = sum(1 for p, g in zip(pred, gold) if bid in p and bid not in g)
        fn = sum(1 for p, g in zip(pred, gold) if bid not in p and bid in g)
        prec = tp / (tp + fp) if tp + fp else 1.0
        rec = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[bid] = {
            "precision": round(prec, 3),
            "recall": round(rec, 3),
            "f1": round(f1, 3),
            "support": tp + fn,
            "tp": tp,
            "fp": fp,
            "fn": fn,
        }
    return out


def tune(detector, prepared, gold, ids) -> dict[str, float]:
    """Per behavior, the similarity threshold at which rules + embeddings have the best F1 on
    train. The rules catch most train lines, so F1 is often flat over a range of thresholds;
    the middle of that best plateau is taken (neither the loosest nor the strictest value the
    train lines allow)."""
    f1s: dict[str, list[float]] = {bid: [] for bid in ids}
    for t in GRID:
        preds = [{d.id for d in ds} for ds in detector.decide(prepared, {b: t for b in ids})]
        for bid, m in prf(preds, gold, ids).items():
            f1s[bid].append(m["f1"])
    out = {}
    for bid, row in f1s.items():
        top = max(row)
        best = [t for t, f in zip(GRID, row) if f >= top - 1e-9]
        out[bid] = best[len(best) // 2]
    return out


def run(args) -> dict:
    from simulator.speech import factory

    examples = load_dev_set(args.data)
    t0 = time.perf_counter()
    detector = factory.make_detector(embeddings=not args.rules_only)
    load_s = time.perf_counter() - t0
    ids = [i for i in detector.ids if any(i in e.labels for e in examples)]
    train = [e for e in examples if e.split == "train"]
    test = [e for e in examples if e.split == "test"]
    if not test:
        raise UserError(f"{args.data}: no lines with \"split\": \"test\" to report on")

    thresholds = {}
    if detector.embedder is not None and train:
        prepared = detector.prepare([(e.text, e.context) for e in train])
        thresholds = tune(detector, prepared, [e.labels for e in train], ids)
    if hasattr(detector, "clear_cache"):
        detector.clear_cache()
    prepared = detector.prepare([(e.text, e.context) for e in test])
    detections = detector.decide(prepared, thresholds)
    preds = [{d.id for d in ds} for ds in detections]
    per = prf(preds, [e.labels for e in test], ids)
    macro = {k: round(statistics.mean(m[k] for m in per.values()), 3) for k in ("precision", "recall", "f1")}
    errors = [
        {"line": e.line, "text": e.text, "missed": sorted(e.labels - p), "extra": sorted(p - e.labels)}
        for e, p in zip(test, preds)
        if p != set(e.labels)
    ]
    if args.errors == "train" and train:
        tp = detector.decide(detector.prepare([(e.text, e.context) for e in train]), thresholds)
        errors = [
            {
                "line": e.line,
                "text": e.text,
                "missed": sorted(e.labels - {d.id for d in ds}),
                "extra": sorted({d.id for d in ds} - e.labels),
            }
            for e, ds in zip(train, tp)
            if {d.id for d in ds} != set(e.labels)
        ]

    items = [(e.text, e.context) for e in examples]
    rates, cpu_rates = [], []
    for _ in range(max(1, args.runs)):
        if hasattr(detector, "clear_cache"):
            detector.clear_cache()  # measure embedding every clause, not the cache
        t, c = time.perf_counter(), time.process_time()
        detector.detect_batch(items)
        rates.append(len(items) / (time.perf_counter() - t))
        cpu_rates.append(len(items) / max(1e-9, (time.process_time() - c) / 2))
    result = {
        "layers": "rules" if detector.embedder is None else f"rules+{detector.embedder.name}",
        "data": str(args.data),
        "train_lines": len(train),
        "test_lines": len(test),
        "macro": macro,
        "behaviors": per,
        "thresholds_tuned_on_train": thresholds,
        "throughput_utt_per_s": round(statistics.median(rates), 1),
        "throughput_runs": [round(r, 1) for r in rates],
        # CPU seconds spent, spread over 2 cores: what 2 idle cores would do on a shared machine
        "throughput_utt_per_2cpu_s": round(statistics.median(cpu_rates), 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "load_s": round(load_s, 3),
    }
    if args.errors:
        result["errors"] = errors
    else:
        result["error_count"] = len(errors)
    return result


def render(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"behavior detection on {result['test_lines']} held-out lines ({result['layers']})")
    for col in ("behavior", "precision", "recall", "F1", "support", "threshold"):
        table.add_column(col, justify="left" if col == "behavior" else "right")
    thr = result["thresholds_tuned_on_train"]
    for bid, m in result["behaviors"].items():
        style = "red" if m["f1"] < 0.9 else ""
        table.add_row(
            bid,
            f"{m['precision']:.2f}",
            f"{m['recall']:.2f}",
            f"{m['f1']:.2f}",
            str(m["support"]),
            f"{thr[bid]:.2f}" if bid in thr else "-",
            style=style,
        )
    mac = result["macro"]
    table.add_row("macro", f"{mac['precision']:.2f}", f"{mac['recall']:.2f}", f"{mac['f1']:.2f}", "", "", style="bold")
    console = Console()
    console.print(table)
    console.print(
        f"throughput {result['throughput_utt_per_s']} utterances/s wall (median of "
        f"{len(result['throughput_runs'])}; load average {result['load_average_1m']}), "
        f"{result['throughput_utt_per_2cpu_s']} per 2 CPU-seconds; detector load {result['load_s']} s"
    )
    for err in result.get("errors", []):
        console.print(f"  line {err['line']}: {err['text']!r} missed={err['missed']} extra={err['extra']}")
