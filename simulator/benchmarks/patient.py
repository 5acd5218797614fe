"""``vasim bench patient``: does the simulated caller's reply fit what the trainee just said?

Probe sets (one JSON object a line): ``{"scenario", "before": [trainee lines...], "trainee",
"act", "fits", "must_any", "must_not"}``. The patient (seed 0) hears the ``before`` lines, then
``trainee``; the reply fits when one of ``must_any`` occurs in it (or the list is empty) and none
of ``must_not`` does, case-insensitive. An ended call replies "".

* ``dev`` (``tests/data/patient/dev_probes.jsonl``): the patient and scenarios were tuned on it;
* ``sealed`` (``tests/data/sealed/patient_probes.jsonl``): written independently, never read
  while tuning; run it only to report a figure.

Also counted, on every reply of every probe (the ``before`` turns included): a line said twice in
a row, and a line out of the caller's temperament (:meth:`Patient.out_of_temperament`). Speed:
the patient's decision per turn (``respond``) and with the understanding of the turn
(``understand`` + ``respond``), p50/p95, target <= 30 ms.
"""

from __future__ import annotations

import itertools
import json
import statistics
from collections import defaultdict
from pathlib import Path

TARGET_MS = 30.0
TARGET_FIT = 0.90
SETS = {
    "dev": ("tests", "data", "patient", "dev_probes.jsonl"),
    "sealed": ("tests", "data", "sealed", "patient_probes.jsonl"),
}


def add_arguments(p) -> None:
    p.add_argument("--sets", default="dev", help="probe sets (comma list): dev, sealed, or a path to a .jsonl file")
    p.add_argument("--words-only", action="store_true", help="use the words-only detector (no sentence embeddings)")
    p.add_argument("--scenario", default="", help="only the probes of this scenario")
    p.add_argument("--failures", action="store_true", help="list the probes whose reply did not fit")
    p.add_argument("--seed", type=int, default=0)


def _root() -> Path:
    return Path(__file__).resolve().parents[2]


def set_path(name: str) -> Path:
    return _root().joinpath(*SETS[name]) if name in SETS else Path(name)


def load_probes(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def evaluate(probes: list[dict], detector, *, seed: int = 0, scenario_filter: str = "") -> dict:
    from simulator.authoring import scenario as sc_mod
    from simulator.call.patient import Knowledge, PatientOptions
    from simulator.call.probes import fits, play, understander

    cache: dict = {}
    knowing: dict = {}
    embedder = getattr(detector, "embedder", None)
    opts = PatientOptions(seed=seed)
    understand = understander(detector)
    rows = []
    timings: list[tuple[float, float]] = []
    for pr in probes:
        if scenario_filter and pr["scenario"] != scenario_filter:
            continue
        sc = cache.get(pr["scenario"]) or cache.setdefault(pr["scenario"], sc_mod.load(pr["scenario"]))
        if sc.id not in knowing:  # the caller's answers, embedded once per scenario (as a call does at its start)
            knowing[sc.id] = Knowledge(
                sc.patient.knows, embedder, threshold=opts.knows_threshold, overlap_threshold=opts.overlap_threshold
            )
        got = play(sc, pr.get("before", []), pr["trainee"], understand, seed=seed, knowledge=knowing[sc.id])
        timings += list(zip(got.decide_ms, got.total_ms))
        said, p = got.said, got.patient
        assert p is not None
        rows.append(
            {
                "scenario": pr["scenario"],
                "act": pr.get("act", ""),
                "trainee": pr["trainee"],
                "reply": got.reply,
                "fits": fits(got.reply, pr.get("must_any", []), pr.get("must_not", [])),
                "repeats": sum(a == b for a, b in itertools.pairwise(said)),
                "off_temperament": [t for t in said if p.out_of_temperament(t)],
                "want": pr.get("fits", ""),
            }
        )
    return {"rows": rows, "timings": timings}


def _share(rows, key=None) -> dict:
    groups: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        groups[r[key] if key else "all"].append(r["fits"])
    return {k: {"fit": round(sum(v) / len(v), 3), "n": len(v)} for k, v in sorted(groups.items())}


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return round(s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))], 3)


def run(args) -> dict:
    from simulator.speech import factory

    detector = factory.make_detector(embeddings=not args.words_only)
    out: dict = {"detector": "words-only" if args.words_only else "full", "target_fit": TARGET_FIT, "sets": {}}
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        path = set_path(name)
        if not path.exists():
            out["sets"][name] = {"missing": str(path)}
            continue
        res = evaluate(load_probes(path), detector, seed=args.seed, scenario_filter=args.scenario)
        rows, timings = res["rows"], res["timings"]
        decide = [t[0] for t in timings]
        full = [t[1] for t in timings]
        entry = {
            "probes": len(rows),
            "fit": _share(rows)["all"]["fit"] if rows else 0.0,
            "per_scenario": _share(rows, "scenario"),
            "per_act": _share(rows, "act"),
            "repeated_back_to_back": sum(r["repeats"] for r in rows),
            "out_of_temperament": sum(len(r["off_temperament"]) for r in rows),
            "decide_ms": {
                "p50": _pct(decide, 0.5),
                "p95": _pct(decide, 0.95),
                "mean": round(statistics.fmean(decide), 3) if decide else 0.0,
            },
            "understand_and_decide_ms": {"p50": _pct(full, 0.5), "p95": _pct(full, 0.95)},
            "target_ms": TARGET_MS,
        }
        if getattr(args, "failures", False) and name != "sealed":
            entry["failures"] = [r for r in rows if not r["fits"] or r["repeats"] or r["off_temperament"]]
        out["sets"][name] = entry
    return out


def render(result: dict) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    con = Console(highlight=False, soft_wrap=True)
    con.print(f"detector: {result['detector']}")
    for name, e in result["sets"].items():
        if "missing" in e:
            con.print(f"[yellow]{name}: no probe set at {escape(e['missing'])}[/]")
            continue
        ok = e["fit"] >= result["target_fit"]
        con.print(
            f"[bold]{name}[/]: {e['probes']} probes, [{'green' if ok else 'red'}]{e['fit']:.1%} fit[/] "
            f"(target {result['target_fit']:.0%}); repeated back to back: {e['repeated_back_to_back']}; "
            f"out of temperament: {e['out_of_temperament']}"
        )
        d, f = e["decide_ms"], e["understand_and_decide_ms"]
        con.print(
            f"  decision p50 {d['p50']:.2f} ms, p95 {d['p95']:.2f} ms; with understanding p50 {f['p50']:.1f} ms, "
            f"p95 {f['p95']:.1f} ms (target <= {e['target_ms']:.0f} ms)"
        )
        for key, title in (("per_scenario", "scenario"), ("per_act", "act")):
            t = Table(title=f"{name}: by {title}")
            t.add_column(title)
            t.add_column("fit", justify="right")
            t.add_column("n", justify="right")
            for k, v in e[key].items():
                t.add_row(escape(k), f"{v['fit']:.0%}", str(v["n"]))
            con.print(t)
        for r in e.get("failures", []):
            con.print(
                f"[red]x[/] {escape(r['scenario'])} {escape('[' + r['act'] + ']')} {escape(r['trainee'])}\n"
                f"    -> {escape(r['reply'] or '(hangs up)')}\n    want: {escape(r['want'])}"
                + (f"\n    repeated: {r['repeats']}" if r["repeats"] else "")
                + (f"\n    off temperament: {escape(str(r['off_temperament']))}" if r["off_temperament"] else "")
            )
