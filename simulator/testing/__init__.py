"""Fakes for every device and model interface, for fast tests (and for plugin authors).

The real implementations are built by ``simulator.speech.factory``; these stand-ins are small,
deterministic and need no model files or sound card.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# speech: clock, recognizer, synthesizer, pyttsx3 engine (simulator.speech.asr / tts / audio)
import itertools
from dataclasses import dataclass as _dataclass
from typing import ClassVar

import numpy as _np


class ManualClock:
    """A clock that only moves when slept on or advanced: real-time loops run instantly."""

    def __init__(self, start: float = 0.0):
        self.t = start
        self.slept = 0.0  # total seconds "slept"

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.t += seconds
            self.slept += seconds

    def advance(self, seconds: float) -> None:
        self.t += seconds


class FakeRecognizer:
    """Returns scripted texts in order (then ``default``); records what it was given.

    ``script`` may also be a callable ``audio -> str``; an item may be a whole ``Transcription``
    (words with their probabilities), returned as it is.
    """

    engine = "fake"
    model = "fake"

    def __init__(self, script=(), default: str = ""):
        self._script = script if callable(script) else list(script)
        self.default = default
        self.calls: list[dict] = []  # {"samples", "prompt", "hotwords"} per call

    def transcribe(self, audio, *, prompt=None, hotwords=None):
        from simulator.speech.asr import Segment, Transcription

        audio = _np.asarray(audio, dtype=_np.float32)
        self.calls.append({"samples": len(audio), "prompt": prompt, "hotwords": hotwords})
        if callable(self._script):
            text = self._script(audio)
        else:
            text = self._script.pop(0) if self._script else self.default
        if isinstance(text, Transcription):  # a scripted transcription, words and all
            return text
        dur = len(audio) / 16000
        segs = (Segment(0.0, dur, text),) if text else ()
        return Transcription(text, segs, (), dur)


class FakeSynthesizer:
    """Deterministic tones: each sentence is a sine whose pitch depends on the voice.

    Duration is 60 ms per character / ``voice.rate`` (at least 0.2 s); the tone frequency
    is 180 Hz x ``voice.pitch``. ``calls`` counts synthesised sentences.
    """

    engine = "fake"

    def __init__(self, sample_rate: int = 16000):
        self.sample_rate = sample_rate
        self.calls = 0

    def _sentence(self, text: str, voice) -> _np.ndarray:
        self.calls += 1
        dur = max(0.2, 0.06 * len(text) / getattr(voice, "rate", 1.0))
        t = _np.arange(int(dur * self.sample_rate), dtype=_np.float32) / self.sample_rate
        return (
            0.5 * getattr(voice, "volume", 1.0) * _np.sin(2 * _np.pi * 180.0 * getattr(voice, "pitch", 1.0) * t)
        ).astype(_np.float32)

    def stream(self, text, voice):
        from simulator.speech.tts import split_sentences, with_gaps

        yield from with_gaps((self._sentence(s, voice) for s in split_sentences(text)), self.sample_rate)

    def synthesize(self, text, voice):
        from simulator.speech.tts import join_chunks

        return join_chunks(list(self.stream(text, voice)))


class FakePyttsx3Engine:
    """A pyttsx3-like engine for ``tts.Pyttsx3Synthesizer``: writes a tone WAV, except that
    the renders listed in ``empty_on`` (0-based) write an empty file, as espeak sometimes does."""

    def __init__(self, empty_on=(), sample_rate: int = 22050):
        self.empty_on = set(empty_on)
        self.sample_rate = sample_rate
        self.renders = 0
        self.properties: dict = {}
        self._pending: tuple[str, str] | None = None  # (text, path) of the next render

    def setProperty(self, name, value):
        self.properties[name] = value

    def save_to_file(self, text, path):
        self._pending = (text, path)

    def runAndWait(self):
        import wave

        assert self._pending is not None, "runAndWait() before save_to_file()"
        text, path = self._pending
        n = self.renders
        self.renders += 1
        frames = b""
        if n not in self.empty_on:
            t = _np.arange(int(0.05 * len(text) * self.sample_rate)) / self.sample_rate
            frames = (0.3 * _np.sin(2 * _np.pi * 200 * t) * 32767).astype("<i2").tobytes()
        with wave.open(path, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.sample_rate)
            w.writeframes(frames)


# ---------------------------------------------------------------------------------------------
# behavior detection (simulator.understanding.detect.Detector): substring rules, for scorer tests


@_dataclass(frozen=True)
class FakeDetection:
    """Same fields as ``simulator.understanding.detect.Detection``."""

    id: str
    confidence: float
    quote: str = ""


class FakeDetector:
    """Detects a behavior when its text contains one of a few lowercase substrings.

    Deterministic and instant, so scorer tests say exactly which behaviors a turn shows.
    Pass ``phrases`` (id -> substrings) to replace the defaults, which fit billing-frustrated.
    """

    DEFAULT: ClassVar[dict[str, tuple[str, ...]]] = {
        "greet_practice": ("riverside",),
        "self_identify": ("this is sam", "my name is"),
        "verify_identity": ("date of birth", "date a birth"),
        "restate_issue": ("so you were", "so i understand", "if i'm hearing"),
        "empathy": ("i'm sorry", "i understand"),
        "use_name": ("ms. carter", "denise"),
        "take_ownership": ("let me look", "i can set up", "i'll send"),
        "advise_911": ("call 911", "nine one one"),
        "stay_on_line": ("stay on the line",),
        "transfer_clinical": ("transfer you to the nurse", "connect you with the nurse"),
        "crisis_line_988": ("988",),
        "flag_clinical": ("message for the nurse", "flag this for the clinical"),
        "route_records": ("records department",),
        "escalate_manager": ("practice manager",),
        "flag_billing": ("billing team", "billing specialist"),
        "offer_more_help": ("anything else",),
        "next_steps": ("business days", "within"),
        "warm_close": ("have a good day", "thank you for calling"),
        "medical_advice": ("you should take", "sounds like a"),
        "promise_outcome": ("definitely",),
        "override_clinical": ("i'll approve",),
        "argue": ("that's wrong",),
        "dismissive": ("calm down",),
        "jargon": ("adjudicated", "837p"),
        "voicemail_phi": ("your balance", "test results"),
    }

    def __init__(self, phrases: dict[str, tuple[str, ...]] | None = None):
        self.phrases = dict(self.DEFAULT if phrases is None else phrases)
        self.calls = 0  # how many texts were looked at (tests check batching)

    def detect(self, text: str, context=None) -> list[FakeDetection]:
        self.calls += 1
        low = text.lower()
        mode = getattr(context, "mode", "call")
        out = []
        for bid, subs in self.phrases.items():
            if bid == "voicemail_phi" and mode != "voicemail":
                continue
            hit = next((s for s in subs if s in low), None)
            if hit:
                out.append(FakeDetection(bid, 0.9, hit))
        return out

    def detect_batch(self, items) -> list[list[FakeDetection]]:
        return [self.detect(text, ctx) for text, ctx in items]

    # dialogue acts by substring too (docs/behaviors.md, "Dialogue acts")
    ACTS: ClassVar[dict[str, tuple[str, ...]]] = {
        "greeting": ("thank you for calling", "this is sam"),
        "identity_request": ("date of birth", "date a birth", "your full name"),
        "spelling_request": ("spell",),
        "callback_request": ("best number", "number to reach", "callback number"),
        "hold": ("hold", "one moment", "bear with me"),
        "repeat_request": ("say that again", "repeat that", "didn't catch"),
        "small_talk": ("weather", "how's your day"),
        "transfer": ("transfer you", "connect you", "putting you through"),
        "escalation": ("i'll send", "message for", "flag this", "practice manager"),
        "offer": ("does that work", "would you like", "i have "),
        "closing": ("have a good day", "bye", "take care"),
        "acknowledge": ("okay", "got it"),
    }

    def understand(self, text: str, context=None):
        from simulator.understanding.detect import Act, Detection, Understanding
        from simulator.understanding.facts import extract

        low = text.lower()
        acts = [a for a, subs in self.ACTS.items() if any(sub in low for sub in subs)]
        if text.rstrip().endswith("?") and not (
            {"identity_request", "spelling_request", "callback_request"} & set(acts)
        ):
            acts.append("question")
        facts = tuple(extract(text))
        if facts or (not acts and len(text.split()) >= 6):
            acts.append("inform")
        elif not acts:
            acts.append("acknowledge")
        behaviors = tuple(Detection(d.id, d.confidence, d.quote) for d in self.detect(text, context))
        return Understanding(text, behaviors, tuple(Act(a, 0.9) for a in acts), facts)

    def understand_batch(self, items):
        return [self.understand(text, ctx) for text, ctx in items]


class FakeEmbedder:
    """Hashed bag of words and word pairs, L2-normalised: phrases sharing words are close.

    Deterministic and instant, so detector tests run without onnxruntime; it knows no
    synonyms, which is exactly what the rule layer must not rely on.
    """

    name = "fake-hashed-bow"
    dim = 256

    def __init__(self):
        self.calls = 0  # how many embed() calls (tests check that batches are one call)

    def embed(self, texts):
        import hashlib

        self.calls += 1
        out = _np.zeros((len(texts), self.dim), dtype=_np.float32)
        for i, text in enumerate(texts):
            words = text.lower().split()
            for feat in words + [a + " " + b for a, b in itertools.pairwise(words)]:
                h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=4).digest(), "little")
                out[i, h % self.dim] += 1.0 if " " not in feat else 0.5
        norms = _np.linalg.norm(out, axis=1, keepdims=True)
        return out / _np.maximum(norms, 1e-12)


def fake_scorecard(
    scores=(4, 4, 4, 4, 4),
    passed=True,
    expected="none",
    correct=True,
    blockers=(),
    latency=1.0,
    scenario="billing-frustrated",
    missed=(),
) -> dict:
    """A Scorecard JSON dict (DESIGN.md) with chosen scores, for store/review/report tests."""
    from simulator.authoring.catalog import DIMENSIONS

    return {
        "scenario": scenario,
        "passed": passed,
        "blockers": [{"id": b, "turn": 1, "quote": "..."} for b in blockers],
        "dimensions": {
            d: {"score": s, "evidence": [], "missed": list(missed) if d == "greeting" else []}
            for d, s in zip(DIMENSIONS, scores)
        },
        "behaviors": [],
        "escalation": {
            "expected": expected,
            "observed": [] if correct or expected == "none" else ["flag_clinical"],
            "correct": correct,
        },
        "timing": {"response_latency_s": {"median": latency, "max": latency * 2}, "talk_ratio": 0.5},
        "feedback": [],
    }


# ---------------------------------------------------------------------------------------------
# the practice loop (simulator.call.practice): a VAD by loudness, and tones that stand for words


class EnergyVad:
    """Speech probability from loudness (1.0 above ``threshold`` RMS): a stand-in for Silero."""

    sample_rate = 16000
    frame_samples = 512

    def __init__(self, threshold: float = 0.02):
        self.threshold = threshold
        self.frames = 0

    def reset(self) -> None:
        pass

    def process(self, frame) -> float:
        self.frames += 1
        return 1.0 if float(_np.sqrt(_np.mean(_np.square(frame)))) > self.threshold else 0.0


class ToneSpeech:
    """Trainee "speech" without a voice: each text is a tone of its own pitch, and
    :meth:`recognize` (a ``FakeRecognizer`` script) hears the text back from the pitch,
    whatever silence or cut surrounds it, so the real-time loop can be tested end to end."""

    def __init__(self, texts, sample_rate: int = 16000, seconds: float = 1.0):
        self.texts = [t for t in dict.fromkeys(texts) if t.strip()]
        self.sample_rate = sample_rate
        self.seconds = seconds

    def freq(self, text: str) -> float:
        return 300.0 + 50.0 * self.texts.index(text)

    def clip(self, text: str):
        if not text.strip():
            return _np.zeros(0, dtype=_np.float32)
        t = _np.arange(int(self.seconds * self.sample_rate)) / self.sample_rate
        return (0.3 * _np.sin(2 * _np.pi * self.freq(text) * t)).astype(_np.float32)

    def recognize(self, audio) -> str:
        audio = _np.asarray(audio, dtype=_np.float32)
        if len(audio) < 256 or float(_np.max(_np.abs(audio))) < 0.01:
            return ""
        spectrum = _np.abs(_np.fft.rfft(audio))
        peak = float(_np.fft.rfftfreq(len(audio), 1 / self.sample_rate)[int(_np.argmax(spectrum))])
        i = int(round((peak - 300.0) / 50.0))
        return self.texts[i] if 0 <= i < len(self.texts) else ""


def fake_parts(**more):
    """``factory.override`` with the fakes, for code that builds its own parts (the CLI, the call
    builder): a :class:`FakeDetector`, no sentence embedder (word overlap); ``more`` adds or
    replaces makers (``sound_devices=lambda: False``, ``audio_sink=lambda *a, **k: sink``)."""
    from simulator.speech import factory

    makers = {
        "detector": lambda *a, **k: FakeDetector(),
        "embedder": lambda *a, **k: None,
        "embedder_or_none": lambda *a, **k: None,
    }
    makers.update(more)
    return factory.override(**makers)
