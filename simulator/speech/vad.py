"""Voice activity and end of turn.

* :class:`SileroVad` runs the Silero VAD v6 model shipped in ``faster_whisper/assets``
  frame by frame (512 samples = 32 ms at 16 kHz), keeping its recurrent state and
  64-sample context between frames, so it works on a live microphone stream.
* :class:`Endpointer` is a pure state machine over per-frame speech probabilities: it
  confirms speech after ``min_speech_s`` (so an "mm-hm" does not count as a barge-in) and
  ends the turn after ``silence_s`` of silence, waiting ``number_patience_s`` longer while
  the speaker is mid-number (see :func:`looks_mid_number`): "oh four ... twelve ...
  sixty-eight" is not cut after "oh four".
* :class:`TurnDetector` glues the two over audio chunks of any size.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from simulator.text import numbers

SAMPLE_RATE = 16000
FRAME_SAMPLES = 512  # Silero's window at 16 kHz
CONTEXT_SAMPLES = 64  # carried over from the previous frame
FRAME_S = FRAME_SAMPLES / SAMPLE_RATE


class SileroVad:
    """Streaming Silero VAD: :meth:`process` one 512-sample frame at a time."""

    sample_rate = SAMPLE_RATE
    frame_samples = FRAME_SAMPLES

    def __init__(self, path: Path | None = None):
        import onnxruntime

        from simulator.speech import models

        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        opts.log_severity_level = 4
        self._session = onnxruntime.InferenceSession(
            str(path or models.silero_vad_path()), providers=["CPUExecutionProvider"], sess_options=opts
        )
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT_SAMPLES, dtype=np.float32)

    def process(self, frame: np.ndarray) -> float:
        """Speech probability (0..1) of the next 512-sample float32 frame."""
        frame = np.asarray(frame, dtype=np.float32)
        if frame.shape != (FRAME_SAMPLES,):
            raise ValueError(f"VAD frames are {FRAME_SAMPLES} samples, got {frame.shape}")
        x = np.concatenate([self._context, frame])[None, :]
        out, self._h, self._c = self._session.run(None, {"input": x, "h": self._h, "c": self._c})
        self._context = frame[-CONTEXT_SAMPLES:].copy()
        return float(np.asarray(out).reshape(-1)[0])

    def probabilities(self, audio: np.ndarray) -> np.ndarray:
        """Per-frame probabilities of a whole array (zero-padded to whole frames), streaming."""
        audio = np.asarray(audio, dtype=np.float32)
        n = -(-len(audio) // FRAME_SAMPLES)
        padded = np.zeros(n * FRAME_SAMPLES, dtype=np.float32)
        padded[: len(audio)] = audio
        return np.array([self.process(f) for f in padded.reshape(n, FRAME_SAMPLES)], dtype=np.float32)


def speech_segments(
    probs: np.ndarray, *, frame_s: float = FRAME_S, threshold: float = 0.5, neg_threshold: float = 0.35,
    min_speech_s: float = 0.25, min_silence_s: float = 0.3,
) -> list[tuple[float, float]]:  # fmt: skip
    """Speech regions (start, end) in seconds from per-frame probabilities (pure)."""
    segments: list[tuple[float, float]] = []
    start: int | None = None
    silent = 0
    for i, p in enumerate(probs):
        if start is None:
            if p >= threshold:
                start, silent = i, 0
            continue
        silent = silent + 1 if p < neg_threshold else 0
        if silent * frame_s >= min_silence_s:
            end = i - silent + 1
            if (end - start) * frame_s >= min_speech_s:
                segments.append((start * frame_s, end * frame_s))
            start = None
    if start is not None and (len(probs) - silent - start) * frame_s >= min_speech_s:
        segments.append((start * frame_s, (len(probs) - silent) * frame_s))
    return segments


# ---------------------------------------------------------------- numbers in progress

_UNITS = {*numbers.DIGITS, "oh", "o"}  # a digit said as a word ("oh" and "o" for zero)
_TEENS = set(numbers.TEENS)
_TENS = set(numbers.TENS_VALUES)
_OPEN = {"hundred", "thousand", "and", "dash", "slash", "double", "triple"}  # a number cannot end on these
_ORDINALS = re.compile(
    r"^(\d+(st|nd|rd|th)|first|second|third|\w+teenth|\w+tieth|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth)$"
)
_MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"}  # fmt: skip


def _number_groups(words: list[str]) -> list[str] | None:
    """The trailing run of number-ish words as digit groups, or None if the text does not end in one."""
    groups: list[str] = []
    for w in reversed(words):
        if w.isdigit():
            groups.append(w)
        elif w in _UNITS:
            groups.append("0")
        elif w in _TEENS:
            groups.append("00")
        elif w in _TENS:
            if groups and len(groups[-1]) == 1:  # "sixty eight": one 2-digit group
                groups[-1] = "00"
            else:
                groups.append("00")
        elif w in _OPEN or w in _MONTHS or _ORDINALS.match(w):
            groups.append("")
        else:
            break
    return list(reversed(groups)) if groups else None


def looks_mid_number(text: str) -> bool:
    """Does ``text`` (a partial transcript) stop in the middle of a date or phone number?

    True when it ends in a number that looks unfinished: ending on a connecting word
    ("hundred", "and") or a tens word ("nineteen sixty"), a date with fewer than three
    groups, or a phone number with fewer than ten digits. "oh four" and "04/12" are
    unfinished; "oh four twelve sixty-eight", "04/12/1968" and "555 123 4567" are not.
    """
    t = text.lower().replace("-", " ").replace("/", " / ").replace(".", " ").replace(",", " ")
    words = [w.strip("'\"?!:;()") for w in t.split()]
    words = [("slash" if w == "/" else w) for w in words if w]
    if not words:
        return False
    groups = _number_groups(words)
    if groups is None:
        return False
    last = words[-1]
    if last in _OPEN or last in _TENS or last in _MONTHS:
        return True
    digits = "".join(groups)
    numeric = [g for g in groups if g]
    if len(digits) >= 10:  # a full phone number (or more)
        return False
    if len(numeric) >= 3 and len(digits) >= 5:  # month, day, year
        return False
    if any(m in words for m in _MONTHS):  # "april twelfth nineteen sixty eight": done once a year is said
        return len(digits) < 4
    return True


# ---------------------------------------------------------------- end of turn


@dataclass(frozen=True)
class EndpointConfig:
    threshold: float = 0.5  # speech probability that starts speech
    neg_threshold: float = 0.35  # below this a frame is silence (hysteresis)
    silence_s: float = 0.7  # silence that ends a turn
    number_patience_s: float = 0.8  # extra silence allowed while mid-number
    min_speech_s: float = 0.3  # speech shorter than this ("mm-hm") is ignored: no turn, no barge-in
    max_turn_s: float = 60.0  # a turn is ended after this long regardless


@dataclass(frozen=True)
class EndpointEvent:
    kind: Literal["speech_start", "end_of_turn"]
    t: float  # seconds since the endpointer started; for speech_start: when speech began
    speech_s: float = 0.0  # speech so far in this turn (end_of_turn: the whole turn, without trailing silence)


class Endpointer:
    """Decides speech start (barge-in) and end of turn from per-frame probabilities.

    Feed :meth:`update` one probability per frame; call :meth:`set_partial` with partial
    ASR text whenever there is some, so a number in progress gets more patience.
    """

    def __init__(self, config: EndpointConfig = EndpointConfig(), mid_number: Callable[[str], bool] = looks_mid_number,
                 frame_s: float = FRAME_S):  # fmt: skip
        self.config = config
        self.mid_number = mid_number
        self.frame_s = frame_s
        self.reset()

    def reset(self) -> None:
        self.t = 0.0
        self.in_turn = False  # speech confirmed, turn not ended
        self._run = 0.0  # unconfirmed speech run (s)
        self._run_start = 0.0
        self.turn_start = 0.0
        self.silence_s = 0.0
        self.last_speech_t = 0.0
        self._patient = False

    def set_partial(self, text: str) -> None:
        """Partial transcript of the turn so far (from a quick ASR pass during a pause)."""
        self._patient = bool(text) and self.mid_number(text)

    @property
    def patient(self) -> bool:
        """Whether the extra mid-number patience applies now."""
        return self._patient

    def required_silence(self) -> float:
        return self.config.silence_s + (self.config.number_patience_s if self._patient else 0.0)

    def update(self, prob: float) -> EndpointEvent | None:
        c = self.config
        start = self.t
        self.t += self.frame_s
        if not self.in_turn:
            if prob >= c.threshold:
                if self._run == 0.0:
                    self._run_start = start
                self._run += self.frame_s
                if self._run >= c.min_speech_s:
                    self.in_turn, self.turn_start, self.silence_s = True, self._run_start, 0.0
                    self.last_speech_t = self.t
                    self._patient = False
                    return EndpointEvent("speech_start", self._run_start, self._run)
            elif prob < c.neg_threshold:
                self._run = 0.0
            return None
        if prob >= c.neg_threshold:
            self.silence_s = 0.0
            self.last_speech_t = self.t
        else:
            self.silence_s += self.frame_s
        if self.silence_s >= self.required_silence() - 1e-9 or self.t - self.turn_start >= c.max_turn_s:
            speech = self.last_speech_t - self.turn_start
            self.in_turn, self._run, self._patient = False, 0.0, False
            return EndpointEvent("end_of_turn", self.t, speech)
        return None


class TurnDetector:
    """A :class:`SileroVad` and an :class:`Endpointer` over audio chunks of any size."""

    def __init__(self, vad: SileroVad, endpointer: Endpointer | None = None):
        self.vad = vad
        self.endpointer = endpointer or Endpointer()
        self._pending = np.zeros(0, dtype=np.float32)

    def reset(self) -> None:
        self.vad.reset()
        self.endpointer.reset()
        self._pending = np.zeros(0, dtype=np.float32)

    def push(self, audio: np.ndarray) -> list[EndpointEvent]:
        """Feed 16 kHz float32 audio; returns the events its complete frames caused."""
        buf = np.concatenate([self._pending, np.asarray(audio, dtype=np.float32).reshape(-1)])
        n = len(buf) // FRAME_SAMPLES
        events = []
        for i in range(n):
            ev = self.endpointer.update(self.vad.process(buf[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES]))
            if ev:
                events.append(ev)
        self._pending = buf[n * FRAME_SAMPLES :]
        return events
