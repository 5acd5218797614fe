"""``vasim bench score``: how well scoring agrees with human reviewers, and how long it takes.

**Agreement** (issue 13's figures, :mod:`simulator.scoring.agreement`) on sets of
reviewer-scored calls: ``dev`` (``tests/data/calls/dev``: the rubric was tuned on it), ``eval``
(``tests/data/calls/eval``: written before tuning, never tuned on) and ``sealed``
(``tests/data/sealed/calls``: written independently, never read while tuning): pass/fail
agreement, blocker recall and precision, false blockers on strong calls, the escalation verdict,
and per dimension in-band, exact and within-one agreement and quadratic-weighted kappa.

**Speed** against DESIGN.md's targets: a 20-turn call scored with the detector already loaded
(<= 100 ms), and a cold ``vasim score --json`` in a fresh process (<= 3 s). Medians of several runs.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_WARM_MS = 100.0
TARGET_COLD_S = 3.0
SCENARIO = "billing-frustrated"


CALL_SETS = {
    "dev": ("tests", "data", "calls", "dev"),
    "eval": ("tests", "data", "calls", "eval"),
    "sealed": ("tests", "data", "sealed", "calls"),
}


def add_arguments(p) -> None:
    p.add_argument("--sets", default="dev,eval,sealed", help="reviewer-scored call sets to agree with (comma list)")
    p.add_argument("--no-timing", action="store_true", help="agreement only")
    p.add_argument("--no-agreement", action="store_true", help="timing only")
    p.add_argument("--disagreements", action="store_true", help="list the calls where the verdicts differ")
    p.add_argument("--runs", type=int, default=20, help="warm runs (median reported)")
    p.add_argument("--cold-runs", type=int, default=3, help="cold subprocess runs (median reported)")
    p.add_argument(
        "--words-only", "--rules-only", dest="words_only", action="store_true", help="use the words-only detector"
    )
    p.add_argument("--scenario", default=SCENARIO)


def twenty_turn_call(scenario):
    """The scenario's strong example padded to 20 turns with more of the same conversation."""
    from simulator.authoring.model import Turn
    from simulator.scoring.transcript import from_turns

    strong = next(e for e in scenario.examples if e.kind == "strong")
    body, last = list(strong.turns[:-1]), strong.turns[-1]
    pair = [
        Turn(speaker="patient", text="Sorry, can you say that part again?"),
        Turn(
            speaker="trainee",
            text="Of course. I'm going to go over it again so it's clear, and I'll note it on your account.",
        ),
    ]
    while len(body) + 1 < 20:
        body += pair
    if len(body) + 1 > 20:
        body = body[:-1]  # end on the patient's line, so the closing answers it
    turns = body + [last]
    t = 0.0
    timed = []
    for turn in turns:
        dur = 0.4 * len(turn.text.split())  # ~150 words a minute
        timed.append(turn.model_copy(update={"start": round(t, 2), "end": round(t + dur, 2)}))
        t += dur + 0.8
    return from_turns(scenario, timed)


class _Replay:
    """A detector that answers from memory after the first time, to time the scorer alone."""

    def __init__(self, inner):
        self.inner = inner
        self.memo: dict = {}

    def understand_batch(self, items):
        key = tuple((text, repr(ctx)) for text, ctx in items)
        if key not in self.memo:
            self.memo[key] = self.inner.understand_batch(items)
        return self.memo[key]

    def detect_batch(self, items):
        return [list(u.behaviors) for u in self.understand_batch(items)]


def agreement_sets(names, detector, catalog) -> dict:
    """Score every reviewer-scored call of each set and compare with the reviews."""
    from pathlib import Path

    from simulator.authoring import scenario as sc_mod
    from simulator.scoring import agreement as ag
    from simulator.scoring import transcript as tr_mod
    from simulator.scoring.score import score_call

    root = Path(__file__).resolve().parents[2]
    out: dict = {}
    for name in names:
        folder = root.joinpath(*CALL_SETS[name])
        files = sorted(folder.glob("*.json"))
        if not files:
            continue
        pairs = []
        for f in files:
            doc, review = ag.load_review(f)
            scenario = sc_mod.load(doc["scenario"])
            card = score_call(scenario, tr_mod.load(f, scenario), detector, catalog)
            pairs.append((ag.Scored.of(card), review))
        result = ag.agreement(pairs)
        out[name] = {**result.to_json(), "disagreements": result.disagreements}
    return out


def run(args) -> dict:
    from simulator.authoring import scenario as sc_mod
    from simulator.authoring.catalog import load_catalog
    from simulator.speech import factory

    scenario = sc_mod.load(args.scenario)
    catalog = load_catalog()
    t0 = time.perf_counter()
    detector = factory.make_detector(embeddings=not args.words_only, catalog=catalog)
    load_s = time.perf_counter() - t0
    result: dict = {"detector": "words only" if args.words_only else "full", "detector_load_s": round(load_s, 3)}
    if not args.no_agreement:
        names = [n.strip() for n in args.sets.split(",") if n.strip()]
        unknown = [n for n in names if n not in CALL_SETS]
        if unknown:
            from simulator.errors import UserError

            raise UserError(f"unknown call set {unknown[0]!r}; use {', '.join(CALL_SETS)}")
        result["agreement"] = agreement_sets(names, detector, catalog)
        result["show_disagreements"] = args.disagreements
    if args.no_timing:
        return result
    return {**result, **timing_run(args, scenario, detector, catalog)}


def timing_run(args, scenario, detector, catalog) -> dict:
    from simulator.scoring.score import score_call

    call = twenty_turn_call(scenario)
    score_call(scenario, call, detector, catalog)  # warm-up (first-use caches)
    warm = []
    for _ in range(max(1, args.runs)):
        t0 = time.perf_counter()
        score_call(scenario, call, detector, catalog)
        warm.append((time.perf_counter() - t0) * 1000)

    # the scorer's own share: the same call with detections replayed from memory
    replay = _Replay(detector)
    score_call(scenario, call, replay, catalog)
    own = []
    for _ in range(max(1, args.runs)):
        t0 = time.perf_counter()
        score_call(scenario, call, replay, catalog)
        own.append((time.perf_counter() - t0) * 1000)

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"turns": [t.model_dump(exclude_none=True) for t in call.turns]}, f)
        path = f.name
    cold = []
    try:
        cmd = [sys.executable, "-m", "simulator", "score", "--json", args.scenario, path]
        if args.words_only:
            cmd.append("--words-only")
        for _ in range(max(1, args.cold_runs)):
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
            cold.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                raise SystemExit(f"vasim: cold run failed: {proc.stderr.strip()[-300:]}")
    finally:
        os.unlink(path)
    warm_ms = statistics.median(warm)
    cold_s = statistics.median(cold)
    return {
        "scenario": args.scenario,
        "turns": len(call.turns),
        "warm_ms": {
            "median": round(warm_ms, 2),
            "max": round(max(warm), 2),
            "runs": len(warm),
            "target": TARGET_WARM_MS,
            "ok": warm_ms <= TARGET_WARM_MS,
        },
        "scoring_only_ms": {"median": round(statistics.median(own), 2), "max": round(max(own), 2), "runs": len(own)},
        "cold_s": {
            "median": round(cold_s, 3),
            "max": round(max(cold), 3),
            "runs": len(cold),
            "target": TARGET_COLD_S,
            "ok": cold_s <= TARGET_COLD_S,
        },
    }


def render(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for name, a in result.get("agreement", {}).items():
        pct = lambda v: "-" if v is None else f"{100 * v:.0f}%"
        t = Table(title=f"agreement with reviewers: {name} ({a['calls']} calls)")
        t.add_column("measure")
        t.add_column("value")
        t.add_row("pass/fail agreement", pct(a["pass_fail_agreement"]))
        for kind, v in a["by_kind"].items():
            t.add_row(f"  {kind} calls", f"{v['agreed']}/{v['calls']}")
        t.add_row("blocker recall", f"{pct(a['blocker_recall'])} of {a['blockers_named']} named by reviewers")
        t.add_row("blocker precision", f"{pct(a['blocker_precision'])} of {a['blockers_found']} found")
        t.add_row("false blockers on strong calls", str(a["false_blockers_on_strong_calls"]))
        t.add_row("escalation verdict", pct(a["escalation_agreement"]))
        t.add_row("dimension scores inside the band", pct(a["in_band_all"]))
        for d, v in a["dimensions"].items():
            k = "-" if v["kappa"] is None else f"{v['kappa']:.2f}"
            t.add_row(
                f"  {d}",
                f"in band {pct(v['in_band'])}, exact {pct(v['exact'])}, within one {pct(v['within_one'])}, kappa {k}",
            )
        console.print(t)
        if result.get("show_disagreements"):
            for line in a["disagreements"]:
                console.print(f"  {line}")
    if "warm_ms" not in result:
        return
    table = Table(
        title=f"vasim score: {result['turns']}-turn call, {result['detector']} detector "
        f"(load {result['detector_load_s']:.2f} s)"
    )
    for col in ("measure", "median", "max", "target", "runs", ""):
        table.add_column(col)
    w, c = result["warm_ms"], result["cold_s"]
    table.add_row(
        "warm: detect + score",
        f"{w['median']:.1f} ms",
        f"{w['max']:.1f} ms",
        f"<= {w['target']:.0f} ms",
        str(w["runs"]),
        "[green]ok[/]" if w["ok"] else "[red]over[/]",
    )
    o = result["scoring_only_ms"]
    table.add_row("warm: scorer alone", f"{o['median']:.1f} ms", f"{o['max']:.1f} ms", "", str(o["runs"]), "")
    table.add_row(
        "cold: vasim score",
        f"{c['median']:.2f} s",
        f"{c['max']:.2f} s",
        f"<= {c['target']:.0f} s",
        str(c["runs"]),
        "[green]ok[/]" if c["ok"] else "[red]over[/]",
    )
    console.print(table)
