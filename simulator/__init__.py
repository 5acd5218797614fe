"""va-simulator: an offline speech role-play trainer for healthcare virtual assistants.

The library does everything the ``vasim`` command does; the names below are its public API
(``docs/api.md`` shows each use in a few lines). The stages are folders: ``text`` ->
``authoring`` (scenarios, catalog) -> ``speech`` (ASR, TTS, VAD, audio; ``speech.factory``
builds the real parts) -> ``understanding`` (what a trainee turn does) -> ``call`` (the
patient and the live call; ``call.setup`` wires one) -> ``scoring`` -> ``records`` (the
results store) -> ``reports``; ``console`` and ``cli`` are the terminal front-end,
``testing`` holds the fakes. Names are imported on first use, so ``import simulator`` is cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = {
    # scenarios
    "load_scenario": ("simulator.authoring.scenario", "load"),
    "Scenario": ("simulator.authoring.model", "Scenario"),
    "load_catalog": ("simulator.authoring.catalog", "load_catalog"),
    # calls
    "text_call": ("simulator.call.setup", "text_call"),
    "build_voice_call": ("simulator.call.setup", "build_voice_call"),
    "PracticeOptions": ("simulator.call.practice", "PracticeOptions"),
    "CallResult": ("simulator.call.result", "CallResult"),
    "Patient": ("simulator.call.patient", "Patient"),
    "load_trainee_script": ("simulator.call.trainee", "load_trainee_script"),
    # understanding and scoring
    "make_detector": ("simulator.speech.factory", "make_detector"),
    "score_transcript": ("simulator.scoring.score", "score_transcript"),
    "Scorecard": ("simulator.scoring.scorecard", "Scorecard"),
    # assessments, results, reports
    "load_assessment": ("simulator.call.assessment", "load"),
    "take_assessment": ("simulator.call.assessment", "run"),
    "text_runner": ("simulator.call.setup", "text_runner"),
    "voice_runner": ("simulator.call.setup", "voice_runner"),
    "open_store": ("simulator.records.store", "open_store"),
    "build_report": ("simulator.reports.report", "build"),
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        module, attr = _API[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
