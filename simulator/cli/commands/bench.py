"""``vasim bench asr|tts|detect|turn|score|patient``: benchmarks, median of several runs.

Each benchmark lives in ``simulator/benchmarks/<name>.py`` and exposes
``add_arguments(parser)`` and ``run(args) -> dict`` (the JSON result) and
``render(result) -> None`` (a rich table). Speed is never asserted in unit tests;
it is measured here.
"""

from __future__ import annotations

import importlib
import json
import sys

BENCHMARKS = {
    "asr": "speech recognition: load time, real-time factor, WER, peak RSS per engine",
    "tts": "speech synthesis: time to first audio, real-time factor per engine",
    "detect": "behavior detection: precision/recall/F1 per behavior, throughput",
    "turn": "a scripted call in real time: voice-to-voice latency by part",
    "score": "call scoring: agreement with QA reviewers, time per call, cold start",
    "patient": "the simulated caller: replies that fit off-script turns, decision time",
}


def register(sub) -> None:
    p = sub.add_parser("bench", help="run a benchmark (median of several runs)")
    bsub = p.add_subparsers(dest="bench", metavar="NAME", parser_class=type(p))
    for name, help_ in BENCHMARKS.items():
        try:
            mod = importlib.import_module(f"simulator.benchmarks.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"simulator.benchmarks.{name}":
                continue
            raise
        bp = bsub.add_parser(name, help=help_)
        bp.add_argument("--json", action="store_true", help="print the result as JSON")
        mod.add_arguments(bp)
        bp.set_defaults(func=lambda args, mod=mod: _run(mod, args))


def _run(mod, args) -> int:
    result = mod.run(args)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        mod.render(result)
    return 0
