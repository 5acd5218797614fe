"""Where the time of a turn goes, and the call's latency summary (the ``latency`` block of a result)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from simulator import stats

LATENCY_PARTS = ("endpoint", "asr", "decide", "tts_first_audio")


@dataclass(frozen=True)
class TurnLatency:
    """Where the time went between the trainee stopping and the patient starting (ms)."""

    endpoint: float | None  # silence waited until the turn was declared over (None: typed turns)
    asr: float | None  # recognition still to do after that (0 when it finished during the pause)
    decide: float  # detection + the patient's choice
    tts_first_audio: float | None  # until the sink has the line
    voice_to_voice: float | None  # the trainee's last speech frame -> the patient's first audio
    early_asr: bool = False  # everything was recognised during the pause
    asr_compute: float | None = None  # recognition work for the whole turn, most of it while speaking
    segments: int = 0  # stretches of the turn (between pauses) recognised separately

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            k: round(float(v), 1)
            for k, v in self.__dict__.items()
            if k not in ("early_asr", "segments") and v is not None
        }
        return (
            out
            | ({"early_asr": True} if self.early_asr else {})
            | ({"segments": self.segments} if self.segments else {})
        )


def percentile(values: Sequence[float | None], q: float) -> float | None:
    """A latency percentile as the practice result reports it: milliseconds to 0.1."""
    p = stats.percentile(values, q)
    return None if p is None else round(p, 1)


def latency_summary(latencies: Sequence[TurnLatency]) -> dict[str, Any]:
    """DESIGN.md's ``latency`` object: voice-to-voice p50/p95/max and the median of each part."""
    v2v = [lt.voice_to_voice for lt in latencies if lt.voice_to_voice is not None]
    return {
        "voice_to_voice_ms": {
            "p50": percentile(v2v, 50),
            "p95": percentile(v2v, 95),
            "max": round(max(v2v), 1) if v2v else None,
        },
        "parts_ms": {p: percentile([getattr(lt, p) for lt in latencies], 50) for p in LATENCY_PARTS},
        "turns": len(latencies),
    }
