"""`vasim bench patient`: the figures, computed with the fake detector on a small probe set."""

from __future__ import annotations

import argparse
import json

from simulator.benchmarks import patient as bench
from simulator.testing import FakeDetector

PROBES = [
    {
        "scenario": "billing-frustrated",
        "before": ["Thank you for calling Riverside Family Practice, this is Sam."],
        "trainee": "Could you spell your last name?",
        "act": "spelling_request",
        "must_any": ["c-a-r"],
        "must_not": [],
    },
    {
        "scenario": "billing-frustrated",
        "before": [],
        "trainee": "Hello, Riverside.",
        "act": "greeting",
        "must_any": ["no such line"],
        "must_not": [],
    },
    {
        "scenario": "voicemail-reminder",
        "before": [],
        "trainee": "Hi Andre, please call us back. Bye!",
        "act": "closing",
        "must_any": [],
        "must_not": ["andre"],
    },
]


def test_evaluate_counts_fits_repeats_and_temperament():
    res = bench.evaluate(PROBES, FakeDetector())
    rows = res["rows"]
    assert [r["fits"] for r in rows] == [True, False, True]
    assert rows[2]["reply"] == ""  # a voicemail answers nothing
    assert all(r["repeats"] == 0 and not r["off_temperament"] for r in rows)
    assert len(res["timings"]) == 4 and all(d <= t for d, t in res["timings"])  # one a trainee turn


def test_run_and_render(tmp_path, monkeypatch, capsys):
    path = tmp_path / "probes.jsonl"
    path.write_text("\n".join(json.dumps(p) for p in PROBES))
    from simulator.speech import factory

    with factory.override(detector=lambda *a, **k: FakeDetector()):
        args = argparse.Namespace(sets=str(path), words_only=True, scenario="", failures=True, seed=0, json=False)
        result = bench.run(args)
    entry = result["sets"][str(path)]
    assert entry["probes"] == 3 and entry["fit"] == round(2 / 3, 3)
    assert entry["per_act"]["greeting"] == {"fit": 0.0, "n": 1} and len(entry["failures"]) == 1
    assert entry["decide_ms"]["p95"] >= entry["decide_ms"]["p50"] >= 0
    bench.render(result)
    out = capsys.readouterr().out
    assert "66.7% fit" in out and "[greeting]" in out
