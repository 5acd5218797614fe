"""How a voice sounds: the profile a scenario gives its patient and the synthesizers speak with."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class VoiceProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    """How a patient sounds. ``rate`` and ``pitch`` are multipliers around the voice's own."""

    engine: Literal["piper", "pyttsx3"] = "piper"
    voice: str = "joe"  # piper: a shipped voice name; pyttsx3: an espeak-ng voice, e.g. "en-us+f3"
    rate: float = Field(1.0, ge=0.5, le=2.0)  # speaking speed, 1.0 = normal
    pitch: float = Field(1.0, ge=0.5, le=2.0)  # 1.0 = the voice's own pitch
    volume: float = Field(1.0, gt=0, le=2.0)
