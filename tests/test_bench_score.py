"""`vasim bench score`: the timing run (warm, the scorer alone with detections replayed, cold CLI)."""

from __future__ import annotations

import argparse

from simulator.authoring import scenario as sc_mod
from simulator.authoring.catalog import load_catalog
from simulator.benchmarks import score as bench
from simulator.testing import FakeDetector
from simulator.understanding.detect import Context


def test_timing_run_replays_the_understanding_and_times_a_cold_cli_run():
    sc, det = sc_mod.load("billing-frustrated"), FakeDetector()
    args = argparse.Namespace(runs=2, cold_runs=1, words_only=True, scenario="billing-frustrated")
    out = bench.timing_run(args, sc, det, load_catalog())
    assert out["warm_ms"]["median"] > 0 and out["cold_s"]["median"] > 0
    assert out["scoring_only_ms"]["median"] > 0 and out["scoring_only_ms"]["runs"] == 2


def test_replay_answers_from_memory():
    det = FakeDetector()
    calls = []
    real = det.understand_batch
    det.understand_batch = lambda items: calls.append(len(items)) or real(items)
    replay = bench._Replay(det)
    items = [("I'm sorry, that sounds frustrating.", Context.of(sc_mod.load("billing-frustrated")))]
    first = replay.understand_batch(items)
    assert replay.understand_batch(items) is first and calls == [1]
    assert [d.id for d in replay.detect_batch(items)[0]] == [d.id for d in first[0].behaviors]
