"""``vasim bench tts``: time to first audio and real-time factor per engine (uncached).

Each engine runs in its own subprocess (load time includes imports; peak RSS is its own).
Time to first audio is measured on ``stream()``: the first sentence's chunk, which is what
the patient's speaker starts playing. RTF = synthesis seconds / audio seconds.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

LINES = [
    "Hi, this is Maria Lopez.",
    "I got a bill for two hundred dollars and I don't understand why. Can you help me?",
    "My date of birth is April twelfth, nineteen sixty-eight.",
    "I've been having chest pain since this morning and it's getting worse.",
    "Okay, thank you. That's all I needed today.",
]
TARGETS = {"piper_first_audio_ms": 250}


def add_arguments(parser) -> None:
    parser.add_argument("--runs", type=int, default=3, help="timed runs per line (median), after one warm-up")
    parser.add_argument("--engine", action="append", dest="engines", choices=["piper", "pyttsx3"], help="default: both")


def worker(engine: str, runs: int) -> dict:
    import resource

    from simulator.speech.voice import VoiceProfile

    t0 = time.perf_counter()
    from simulator.speech import factory

    synth = factory.make_synthesizer(engine, cache=False)
    load_s = time.perf_counter() - t0
    voice = VoiceProfile(engine=engine, voice="joe" if engine == "piper" else "en-us+f3")
    synth.synthesize("Hello.", voice)  # warm-up
    first, rtf = [], []
    for _ in range(runs):
        for line in LINES:
            t = time.perf_counter()
            chunks: list[np.ndarray] = []
            for chunk in synth.stream(line, voice):
                if not chunks:
                    first.append(time.perf_counter() - t)
                chunks.append(chunk)
            total = time.perf_counter() - t
            rtf.append(total / (sum(len(c) for c in chunks) / synth.sample_rate))
    return {
        "engine": engine,
        "load_s": round(load_s, 3),
        "first_audio_ms": {"p50": round(1000 * statistics.median(first), 1), "max": round(1000 * max(first), 1)},
        "rtf": round(statistics.median(rtf), 4),
        "sample_rate": synth.sample_rate,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "runs": runs,
    }


def run(args) -> dict:
    rows = []
    for engine in args.engines or ["piper", "pyttsx3"]:
        proc = subprocess.run(
            [sys.executable, "-m", "simulator.benchmarks.tts", engine, str(args.runs)], capture_output=True, text=True
        )
        if proc.returncode != 0:
            from simulator.errors import RuntimeFailure

            raise RuntimeFailure(
                f"TTS benchmark for {engine} failed: {(proc.stderr.strip().splitlines() or ['?'])[-1]}"
            )
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {"benchmark": "tts", "lines": len(LINES), "results": rows, "targets": TARGETS}


def render(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"TTS benchmark ({result['lines']} patient lines, median of runs, uncached)")
    for col in ("engine", "load s", "first audio p50 ms", "first audio max ms", "RTF", "rate Hz", "peak RSS MB"):
        table.add_column(col, justify="left" if col == "engine" else "right")
    for r in result["results"]:
        table.add_row(
            r["engine"], f"{r['load_s']:.2f}", f"{r['first_audio_ms']['p50']:.0f}", f"{r['first_audio_ms']['max']:.0f}",
            f"{r['rtf']:.3f}", str(r["sample_rate"]), f"{r['peak_rss_mb']:.0f}",
        )  # fmt: skip
    table.add_row("target (piper)", "", f"<= {result['targets']['piper_first_audio_ms']}", "", "", "", "")
    Console(width=max(110, Console().width)).print(table)


if __name__ == "__main__":
    print(json.dumps(worker(sys.argv[1], int(sys.argv[2]))))
