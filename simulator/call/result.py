"""A finished call, as the practice loop returns it (and ``vasim practice --json`` prints it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from simulator.authoring.model import Scenario
from simulator.call.latency import TurnLatency, latency_summary
from simulator.call.session import TurnRecord


@dataclass
class CallResult:
    """A finished (or ended-early) call: what ``vasim practice --json`` prints."""

    session_id: str
    scenario: str
    turns: list[TurnRecord]
    scorecard: dict | None
    latencies: list[TurnLatency]
    recording: str
    end_reason: str
    patient_path: list[str]
    interruptions: int = 0
    scorecard_obj: Any = None  # the scorer's own object, for rendering
    input: str = "voice"  # "typed": --text or a script read as text; such turns carry no times

    @property
    def latency(self) -> dict[str, Any]:
        return latency_summary(self.latencies)

    def to_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "scenario": self.scenario,
            "turns": [
                {"speaker": t.speaker, "text": t.text, "start": t.start, "end": t.end}
                for t in self.turns
                if t.text.strip()
            ],
            "scorecard": self.scorecard,
            "latency": self.latency,
            "recording": self.recording,
            "end_reason": self.end_reason,
            "patient_path": self.patient_path,
            "interruptions": self.interruptions,
            "input": self.input,
        }


def score_turns(scenario: Scenario, turns: Sequence[TurnRecord], detector, catalog=None):
    """The scorecard of a call's turns, or None when the trainee said nothing."""
    from simulator.authoring.catalog import load_catalog
    from simulator.scoring import score, transcript

    said = [t for t in turns if t.text.strip()]
    if not any(t.speaker == "trainee" for t in said):
        return None
    tr = transcript.from_turns(
        scenario,
        [
            {
                "speaker": t.speaker,
                "text": t.text,
                **({"words": [list(w) for w in t.words]} if t.words else {}),
                **({"start": t.start} if t.start is not None else {}),
                **({"end": max(t.end, t.start or 0)} if t.end is not None else {}),
            }
            for t in said
        ],
    )
    return score.score_call(scenario, tr, detector, catalog or load_catalog())
