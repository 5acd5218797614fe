"""Speech recognition: what the trainee said.

A :class:`Recognizer` turns float32 mono 16 kHz audio into a :class:`Transcription`
(text, segments and word timestamps). Two engines run the *same* Whisper weights:

* :class:`FasterWhisperRecognizer` (default): CTranslate2, int8, 2 threads.
* :class:`OpenAIWhisperRecognizer`: openai-whisper on the checkpoint that
  ``vasim models convert`` makes exactly from the CTranslate2 ``model.bin``.

Both decode the same way (below) with the language fixed to English, so they are
comparable side by side. A prompt (the practice's and the patient's names, medication
names) and hotwords from the scenario help recognition. Audio is always passed as an
array: no ffmpeg is needed.

Decoding is greedy at temperature 0 first. Where that output loops (gzip compression
ratio over 2.4) or is very unsure (mean log-probability under -1), it is decoded again.
openai-whisper uses Whisper's usual fallback at rising temperatures, its sampler seeded
before every call. faster-whisper cannot do that reproducibly: CTranslate2's sampler is one
generator per native worker thread, seeded once when the thread first samples, so
``set_random_seed`` before a call changes nothing and the fallback's text depended on every
sample drawn earlier in the process (test order, the calls before). Its fallback is
deterministic instead: beam search (5) with no repeated 3-grams, kept when it scores better.
So the same audio gives the same text, whatever ran before. Neither engine conditions a
window on the text it has just decoded (``condition_on_previous_text`` off). Without the
fallback and that, tiny.en fell into loops at the end of a turn ("I'm sorry, I'm sorry, ...",
a run of dots, or the hotwords repeated: "Dr. Anita Patel, Dr. Anita Patel, ..."). Measured
on the 30 rendered example calls (``tests/test_examples.py::test_round_trip``): the worst VA
word error rate went from 122% to 16%, the worst caller's from 156% to 55%.

Every :class:`Segment` keeps Whisper's own confidence (mean token log-probability and the
no-speech probability) and every :class:`Word` its probability, so what is done with a
transcription can tell a sure word from a guess (see ``simulator.understanding.hearing``).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from simulator.errors import UserError
from simulator.text.normalize import wer_words as normalize_text

SAMPLE_RATE = 16000
ENGINES = ("faster-whisper", "openai-whisper")
TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # greedy first; the rest only as a fallback
SEED = 1234  # openai-whisper's fallback sampler's seed, set before every call
COMPRESSION_RATIO_MAX = 2.4  # above: the text loops
LOG_PROB_MIN = -1.0  # below: very unsure
NO_SPEECH_MIN = 0.6  # above, with a low log-probability: silence, not a failed decode
FALLBACK_BEAM = 5  # faster-whisper's deterministic fallback
FALLBACK_NO_REPEAT_NGRAM = 3


@dataclass(frozen=True)
class Segment:
    start: float  # seconds from the start of the audio
    end: float
    text: str
    avg_logprob: float = 0.0  # Whisper's mean token log-probability of the window (0: sure)
    no_speech_prob: float = 0.0  # Whisper's probability that the window is not speech


@dataclass(frozen=True)
class Word:
    start: float  # seconds from the start of the audio
    end: float
    word: str  # as Whisper spells it, without surrounding spaces
    probability: float  # 0..1


@dataclass(frozen=True)
class Transcription:
    text: str  # the whole utterance, stripped
    segments: tuple[Segment, ...] = ()
    words: tuple[Word, ...] = ()
    duration_s: float = 0.0  # of the audio given

    def to_json(self, **extra) -> dict:
        return {
            **extra,
            "text": self.text,
            "duration_s": round(self.duration_s, 3),
            "segments": [{"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text} for s in self.segments],
        }


class Recognizer(Protocol):
    """Speech to text. Implementations: the two Whisper engines, ``testing.FakeRecognizer``."""

    engine: str  # "faster-whisper", "openai-whisper", "fake"
    model: str  # e.g. "tiny.en"

    def transcribe(
        self, audio: np.ndarray, *, prompt: str | None = None, hotwords: list[str] | None = None
    ) -> Transcription:
        """``audio``: float32 mono at 16 kHz. ``prompt``: context text; ``hotwords``: names to favour."""
        ...


def as_mono16k(audio: np.ndarray) -> np.ndarray:
    """Check and normalise recognizer input: 1-D float32 (a 2-D array is mixed down)."""
    audio = np.asarray(audio)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    if audio.ndim != 1:
        raise ValueError(f"audio must be mono (1-D), got shape {audio.shape}")
    if audio.dtype.kind in "iu":
        audio = audio.astype(np.float32) / float(np.iinfo(audio.dtype).max)
    return np.ascontiguousarray(audio, dtype=np.float32)


def build_prompt(prompt: str | None, hotwords: list[str] | None) -> str | None:
    """One initial prompt from context text and hotwords (for engines without hotwords)."""
    parts = [p.strip() for p in [prompt or "", ", ".join(hotwords or [])] if p and p.strip()]
    return ". ".join(parts) or None


class FasterWhisperRecognizer:
    """faster-whisper (CTranslate2) on a manifest model, int8 on the CPU."""

    engine = "faster-whisper"

    def __init__(self, model: str = "tiny.en", *, compute_type: str = "int8", cpu_threads: int = 2, beam_size: int = 1):
        from faster_whisper import WhisperModel

        from simulator.speech import models

        self.model = model
        self.path: Path = models.ct2_model_dir(model)
        self.beam_size = beam_size
        self._model = WhisperModel(
            str(self.path), device="cpu", compute_type=compute_type, cpu_threads=cpu_threads, local_files_only=True
        )

    def transcribe(
        self, audio: np.ndarray, *, prompt: str | None = None, hotwords: list[str] | None = None
    ) -> Transcription:
        audio = as_mono16k(audio)
        first = self._decode(audio, prompt, hotwords, beam_size=self.beam_size)
        if not needs_fallback(first):
            return first
        # deterministic fallback (see the module docstring): no sampling
        second = self._decode(
            audio,
            prompt,
            hotwords,
            beam_size=max(self.beam_size, FALLBACK_BEAM),
            no_repeat_ngram_size=FALLBACK_NO_REPEAT_NGRAM,
        )
        return better(first, second)

    def _decode(self, audio: np.ndarray, prompt: str | None, hotwords: list[str] | None, **options) -> Transcription:
        segments, _info = self._model.transcribe(
            audio,
            language="en",
            task="transcribe",
            temperature=0.0,
            word_timestamps=True,
            initial_prompt=prompt or None,
            hotwords=", ".join(hotwords) if hotwords else None,
            vad_filter=False,
            condition_on_previous_text=False,  # see the module docstring
            compression_ratio_threshold=None,  # judged here, over the whole transcription
            log_prob_threshold=None,
            **options,
        )
        segs: list[Segment] = []
        words: list[Word] = []
        for s in segments:  # a generator: decoding happens here
            segs.append(
                Segment(float(s.start), float(s.end), s.text.strip(), float(s.avg_logprob), float(s.no_speech_prob))
            )
            words.extend(
                Word(float(w.start), float(w.end), w.word.strip(), float(w.probability)) for w in s.words or []
            )
        return Transcription(_join(segs), tuple(segs), tuple(words), len(audio) / SAMPLE_RATE)


class OpenAIWhisperRecognizer:
    """openai-whisper (PyTorch) on the checkpoint converted from the same CTranslate2 weights."""

    engine = "openai-whisper"

    def __init__(self, model: str = "tiny.en", *, threads: int = 2, convert_if_missing: bool = True):
        import torch
        import whisper

        from simulator.speech import models

        torch.set_num_threads(threads)
        self.model = model
        path = models.openai_checkpoint_path(model)
        if not path.is_file() or not path.with_suffix(".json").is_file():
            if not convert_if_missing:
                raise UserError(f"{path} is missing: run `vasim models convert {model}`")
            models.convert(model)
        self.path = path
        self._whisper = whisper
        self._model = whisper.load_model(str(path), device="cpu")
        heads = models.openai_alignment_heads(model)
        if heads:
            dims = self._model.dims
            mask = torch.zeros(dims.n_text_layer, dims.n_text_head, dtype=torch.bool)
            for layer, head in heads:
                mask[layer, head] = True
            self._model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)

    def transcribe(
        self, audio: np.ndarray, *, prompt: str | None = None, hotwords: list[str] | None = None
    ) -> Transcription:
        audio = as_mono16k(audio)
        import torch

        torch.manual_seed(SEED)
        result = self._whisper.transcribe(
            self._model,
            audio,
            language="en",
            task="transcribe",
            temperature=TEMPERATURES,
            word_timestamps=True,
            initial_prompt=build_prompt(prompt, hotwords),
            condition_on_previous_text=False,  # see the module docstring
            compression_ratio_threshold=2.4,
            logprob_threshold=-1.0,
            fp16=False,
            verbose=None,
        )
        segs: list[Segment] = []
        words: list[Word] = []
        for s in result["segments"]:
            segs.append(
                Segment(
                    float(s["start"]),
                    float(s["end"]),
                    s["text"].strip(),
                    float(s.get("avg_logprob", 0.0)),
                    float(s.get("no_speech_prob", 0.0)),
                )
            )
            words.extend(
                Word(float(w["start"]), float(w["end"]), w["word"].strip(), float(w["probability"]))
                for w in s.get("words", [])
            )
        return Transcription(_join(segs), tuple(segs), tuple(words), len(audio) / SAMPLE_RATE)


def compression_ratio(text: str) -> float:
    """Whisper's loop test: how well the text compresses (a loop compresses well)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def mean_logprob(tr: Transcription) -> float:
    return sum(s.avg_logprob for s in tr.segments) / len(tr.segments) if tr.segments else 0.0


def needs_fallback(tr: Transcription) -> bool:
    """Whisper's test for a failed decode: a loop, or very unsure text that is not silence."""
    if not tr.segments:
        return False
    if compression_ratio(tr.text) > COMPRESSION_RATIO_MAX:
        return True
    silence = all(s.no_speech_prob > NO_SPEECH_MIN for s in tr.segments)
    return mean_logprob(tr) < LOG_PROB_MIN and not silence


def better(first: Transcription, second: Transcription) -> Transcription:
    """The better of two decodes of the same audio: one that passes Whisper's test, else one that
    does not loop, else the surer one; ties keep ``first``."""

    def rank(tr: Transcription) -> tuple[bool, bool, float]:
        return (not needs_fallback(tr), compression_ratio(tr.text) <= COMPRESSION_RATIO_MAX, mean_logprob(tr))

    return second if rank(second) > rank(first) else first


def _join(segments: list[Segment]) -> str:
    return re.sub(r"\s+", " ", " ".join(s.text for s in segments)).strip()


# ---------------------------------------------------------------- scoring transcripts


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, reference length) after :func:`normalize_text` (``text.normalize.wer_words``)."""
    ref, hyp = normalize_text(reference), normalize_text(hypothesis)
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1], len(ref)


def wer(reference: str, hypothesis: str) -> float:
    errors, n = word_errors(reference, hypothesis)
    return errors / max(n, 1)
