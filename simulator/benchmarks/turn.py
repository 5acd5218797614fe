"""``vasim bench turn``: a scripted call through the virtual microphone in real time.

Reports, per patient reply, the voice-to-voice latency (trainee's last speech frame to the
patient's first audio) and its parts (endpoint wait, ASR, decide, TTS first audio) as
p50/p95/max; the session start (models loaded + every patient line synthesised) with a cold
and a warm synthesis cache; and the process's peak RSS. Targets (DESIGN.md): voice-to-voice
p50 <= 600 ms, p95 <= 1000 ms; peak RSS <= 800 MB; session start <= 10 s cold for 20 lines,
<= 2 s warm.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time

TARGETS = {
    "voice_to_voice_p50_ms": 600,
    "voice_to_voice_p95_ms": 1000,
    "peak_rss_mb": 800,
    "start_cold_20_lines_s": 10,
    "start_warm_s": 2,
}


def add_arguments(p) -> None:
    p.add_argument("--scenario", default="billing-frustrated", help="scenario id (default billing-frustrated)")
    p.add_argument("--script", metavar="FILE", help="trainee script (default scenarios/scripts/SCENARIO-strong.txt)")
    p.add_argument("--model", default="tiny.en", help="Whisper model (default tiny.en)")


def _stats(values):
    from simulator.call.latency import percentile

    vals = [v for v in values if v is not None]
    return {
        "p50": percentile(vals, 50),
        "p95": percentile(vals, 95),
        "max": round(max(vals), 1) if vals else None,
        "n": len(vals),
    }


def cold_start(scenario_id: str, script_path: str, model: str) -> dict:
    """Session start with an empty synthesis cache (run in a child process, so its memory
    does not count against the measured call). The cache is the caller's ``$VASIM_CACHE``."""
    from simulator.authoring import scenario as sc_mod
    from simulator.call import practice
    from simulator.call import trainee as trainee_mod
    from simulator.call.setup import build_voice_call

    scenario = sc_mod.load(scenario_id)
    script = trainee_mod.load_trainee_script(script_path)
    s = build_voice_call(scenario, options=practice.PracticeOptions(), script=script, asr_model=model)
    return {
        "load_s": s.load_s,
        "prepare_s": s.prepare_s,
        "lines": s.lines,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run(args) -> dict:
    import json
    import subprocess
    import sys

    from rich.console import Console

    from simulator.authoring import scenario as sc_mod
    from simulator.call import latency, practice
    from simulator.call import trainee as trainee_mod
    from simulator.call.setup import build_voice_call, default_script

    scenario = sc_mod.load(args.scenario)
    script_path = str(args.script or default_script(scenario.id))
    script = trainee_mod.load_trainee_script(script_path)
    err = Console(stderr=True, highlight=False)
    old_cache = os.environ.get("VASIM_CACHE")
    with tempfile.TemporaryDirectory(prefix="vasim-bench-turn-") as cache:
        os.environ["VASIM_CACHE"] = cache  # a cold synthesis cache, then the same one warm
        try:
            err.print("[dim]session start with a cold synthesis cache...[/]")
            code = (
                "import json, sys; from simulator.benchmarks.turn import cold_start; "
                "print(json.dumps(cold_start(*sys.argv[1:])))"
            )
            proc = subprocess.run(
                [sys.executable, "-c", code, scenario.id, script_path, args.model],
                capture_output=True,
                text=True,
                env=os.environ.copy(),
            )
            if proc.returncode != 0:
                from simulator.errors import RuntimeFailure

                raise RuntimeFailure(f"cold start failed: {proc.stderr.strip().splitlines()[-1:]}")
            cold = json.loads(proc.stdout.strip().splitlines()[-1])
            warm = build_voice_call(scenario, options=practice.PracticeOptions(), script=script, asr_model=args.model)
            err.print(f"[dim]running a {len(script)}-turn call in real time...[/]")
            t0 = time.perf_counter()
            result = warm.run()
            call_s = time.perf_counter() - t0
        finally:
            if old_cache is None:
                os.environ.pop("VASIM_CACHE", None)
            else:
                os.environ["VASIM_CACHE"] = old_cache
    lat = result.latencies
    per_line = cold["prepare_s"] / max(cold["lines"], 1)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "scenario": scenario.id,
        "model": args.model,
        "cpus": len(os.sched_getaffinity(0)),
        "load_average": round(os.getloadavg()[0], 1),
        "call_s": round(call_s, 1),
        "turns": len(lat),
        "early_asr_used": sum(1 for x in lat if x.early_asr),
        "voice_to_voice_ms": _stats([x.voice_to_voice for x in lat]),
        "parts_ms": {p: _stats([getattr(x, p) for x in lat]) for p in latency.LATENCY_PARTS},
        "session_start_s": {
            "model_load": round(cold["load_s"], 2),
            "lines": cold["lines"],
            "cold": round(cold["load_s"] + cold["prepare_s"], 2),
            "cold_20_lines": round(cold["load_s"] + 20 * per_line, 2),
            "warm": round(warm.load_s + warm.prepare_s, 2),
            "warm_lines_only": round(warm.prepare_s, 3),
        },
        "peak_rss_mb": round(rss_mb, 1),
        "passed_call": bool(result.scorecard and result.scorecard.get("passed")),
        "recognised": [t.text for t in result.turns if t.speaker == "trainee" and t.text],
        "targets": TARGETS,
    }


def render(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(
        title=f"vasim bench turn: {result['scenario']}, {result['model']}, {result['cpus']} CPUs "
        f"(load {result['load_average']}), {result['turns']} replies",
        show_edge=False,
    )
    for col in ("latency (ms)", "p50", "p95", "max"):
        t.add_column(col, justify="left" if col.startswith("lat") else "right")
    for name, st in [*result["parts_ms"].items(), ("voice_to_voice", result["voice_to_voice_ms"])]:
        fmt = lambda v: "-" if v is None else f"{v:.0f}"
        t.add_row(name.replace("_", " "), fmt(st["p50"]), fmt(st["p95"]), fmt(st["max"]))
    console.print(t)
    s = result["session_start_s"]
    v = result["voice_to_voice_ms"]
    ok = lambda good: "[green]ok[/]" if good else "[red]over[/]"
    console.print(
        f"voice-to-voice p50 {v['p50']} ms (target 600) {ok((v['p50'] or 1e9) <= 600)}, "
        f"p95 {v['p95']} ms (target 1000) {ok((v['p95'] or 1e9) <= 1000)}; "
        f"early recognition used in {result['early_asr_used']}/{result['turns']} turns"
    )
    console.print(
        f"session start: cold {s['cold']} s for {s['lines']} lines ({s['cold_20_lines']} s for 20, target 10) "
        f"{ok(s['cold_20_lines'] <= 10)}; warm {s['warm']} s (target 2) {ok(s['warm'] <= 2)}; "
        f"model load {s['model_load']} s"
    )
    console.print(
        f"peak RSS {result['peak_rss_mb']} MB (target 800) {ok(result['peak_rss_mb'] <= 800)}; "
        f"the call {'passed' if result['passed_call'] else 'did not pass'}"
    )
