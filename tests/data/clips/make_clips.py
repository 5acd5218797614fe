"""Re-create the committed benchmark clips (run once; the outputs are committed).

    python tests/data/clips/make_clips.py

Piper's ``joe`` voice, resampled to 16 kHz mono, 16-bit FLAC. ``clips.json`` holds the
reference text. Piper is not bit-exact between runs, so re-running changes the files
slightly; the benchmark figures in models/README.md were measured on the committed ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf

from simulator.speech.tts import PiperSynthesizer, resample
from simulator.speech.voice import VoiceProfile

HERE = Path(__file__).resolve().parent
RATE = 16000

SHORT = [
    ("greeting", "Thank you for calling Riverside Family Practice, this is Dana. How can I help you today?"),
    ("verify", "Can I have your full name and date of birth, please?"),
    ("empathy", "I'm so sorry to hear that. That sounds really frustrating."),
    ("ownership", "Let me look into that bill for you right now."),
    ("transfer", "I'm going to transfer you to our nurse right away."),
    ("emergency", "Please hang up and call nine one one now. I will stay on the line with you."),
    ("refill", "I've sent your refill request to the clinical team, and they will call you back today."),
    ("anything_else", "Is there anything else I can help you with today?"),
    ("records", "I can route your request to our medical records department."),
    ("closing", "Thank you for calling, and have a wonderful afternoon."),
]

LONG = (
    "Thank you for calling Riverside Family Practice, this is Dana speaking. "
    "Before we go any further, can I have your full name and your date of birth? "
    "Thank you, Mister Lopez. I can see the statement you are asking about. "
    "I understand that an unexpected bill is stressful, and I want to help you sort it out. "
    "It looks like your insurance processed the visit, and part of the charge was applied to your deductible. "
    "I'm going to send this to our billing team so that a specialist can review the claim with you. "
    "They will call you back within two business days. "
    "In the meantime, you don't need to make a payment. "
    "Is there anything else I can help you with today? "
    "Thank you for calling, and have a wonderful afternoon."
)

# A date of birth said with long pauses between the number groups (VAD endpointing tests).
DOB_PARTS = ["My date of birth is oh four.", "Twelve.", "Sixty eight."]
DOB_GAP_S = 1.0


def main() -> None:
    tts = PiperSynthesizer()
    voice = VoiceProfile()
    refs = {}

    def write(name: str, audio: np.ndarray, text: str) -> None:
        audio = resample(audio, tts.sample_rate, RATE)
        sf.write(HERE / f"{name}.flac", audio, RATE, subtype="PCM_16")
        refs[f"{name}.flac"] = {"text": text, "duration_s": round(len(audio) / RATE, 2), "kind": kind}

    kind = "short"
    for name, text in SHORT:
        write(
            name,
            np.concatenate([np.zeros(4000, np.float32), tts.synthesize(text, voice), np.zeros(4000, np.float32)]),
            text,
        )
    kind = "long"
    write("long_call", tts.synthesize(LONG, voice), LONG)
    kind = "pauses"
    gap = np.zeros(int(DOB_GAP_S * tts.sample_rate), np.float32)
    lead = np.zeros(int(0.5 * tts.sample_rate), np.float32)
    parts = [lead]
    for i, part in enumerate(DOB_PARTS):
        parts += [tts.synthesize(part, voice), gap if i < len(DOB_PARTS) - 1 else lead]
    write("dob_pauses", np.concatenate(parts), " ".join(DOB_PARTS))
    (HERE / "clips.json").write_text(json.dumps(refs, indent=2) + "\n")


if __name__ == "__main__":
    main()
