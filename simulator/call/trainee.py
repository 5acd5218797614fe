"""The trainee's side of a call when no person is talking: scripts, typed answers, voices.

A trainee script (``--trainee-script``) has one turn per line, blank lines and ``#`` comments
ignored, or is a transcript file (JSON or ``VA:``/``PATIENT:`` lines) whose trainee turns are
used in order. Two markers help tests and demos: a line ``[silence]`` says nothing for that turn
(the patient re-prompts), and ``[interrupt]`` / ``[interrupt 1.5]`` before a line starts it that
many seconds (default 1.0) into the patient's previous line.

Text calls take their turns from a :class:`TextTrainee` (:class:`ScriptedText`,
:class:`TypedTrainee`); voice calls from :class:`ScriptedVoice`, which speaks synthesised or
recorded clips into a virtual microphone and says its line again when the caller asks.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from simulator.errors import UserError
from simulator.speech.asr import SAMPLE_RATE as ASR_RATE
from simulator.speech.voice import VoiceProfile


@dataclass(frozen=True)
class ScriptTurn:
    """One scripted trainee turn."""

    text: str  # "" for a silent turn
    interrupt_after_s: float | None = None  # start this long into the patient's line (barge-in)

    @property
    def silent(self) -> bool:
        return not self.text.strip()


_MARK = re.compile(r"^\s*\[(silence|interrupt)(?:\s+([0-9.]+))?\]\s*(.*)$", re.I)


_SPEAKER_LINE = re.compile(r"^\s*(va|trainee|patient|caller)\s*:", re.I)


def parse_trainee_script(text: str, display: str = "<script>") -> list[ScriptTurn]:
    """Trainee turns from a script: plain lines, or a transcript whose trainee turns are used."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise UserError(
            f"{display}: no trainee turns; write one line per turn (blank lines and # comments are ignored)"
        )
    if text.lstrip().startswith("{") or any(_SPEAKER_LINE.match(ln) for ln in lines):
        from simulator.scoring import transcript

        tr = transcript.parse(text, display)
        turns = [ScriptTurn(t.text) for t in tr.turns if t.speaker == "trainee"]
        if not turns:
            raise UserError(f"{display}: the transcript has no trainee (VA:) turns to say")
        return turns
    out = []
    for n, ln in enumerate(text.splitlines(), 1):
        if not ln.strip() or ln.lstrip().startswith("#"):
            continue
        m = _MARK.match(ln)
        if not m:
            out.append(ScriptTurn(ln.strip()))
            continue
        kind, num, rest = m.group(1).lower(), m.group(2), m.group(3).strip()
        if kind == "silence":
            if rest:
                raise UserError(f"{display}:{n}: '[silence]' stands alone on its line (the trainee says nothing)")
            out.append(ScriptTurn(""))
        else:
            if not rest:
                raise UserError(f"{display}:{n}: '[interrupt]' needs the words to say after it")
            try:
                after = float(num) if num else 1.0
            except ValueError:
                raise UserError(
                    f"{display}:{n}: '[interrupt {num}]': give the seconds as a number, e.g. [interrupt 1.5]"
                ) from None
            out.append(ScriptTurn(rest, interrupt_after_s=after))
    return out


def load_trainee_script(path: str | Path) -> list[ScriptTurn]:
    p = Path(path)
    if not p.is_file():
        raise UserError(f"{path}: no such trainee script (one turn per line, or a transcript file)")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text; a trainee script is plain text, one turn per line") from None
    return parse_trainee_script(text, str(path))


def trainee_voice_for(patient_voice: VoiceProfile) -> VoiceProfile:
    """A voice clearly unlike the patient's, for scripted trainee turns (the same engine, other pitch)."""
    pitch = 0.86 if patient_voice.pitch >= 1.0 else 1.14
    return VoiceProfile(engine="piper", voice="joe", rate=1.05, pitch=pitch)


class TextTrainee(Protocol):
    def reply(self, patient_line: str | None) -> str | None:
        """The trainee's next turn ("" = silence), or None to hang up."""
        ...


class ScriptedText:
    """A trainee script read as typed turns (no audio)."""

    def __init__(self, turns: Sequence[ScriptTurn | str]):
        self.turns = [t if isinstance(t, ScriptTurn) else ScriptTurn(t) for t in turns]
        self.i = 0

    def reply(self, patient_line: str | None) -> str | None:
        if self.i >= len(self.turns):
            return None
        t = self.turns[self.i]
        self.i += 1
        return t.text


class TypedTrainee:
    """The trainee types each reply; an empty line is silence, ``/quit`` (or Ctrl-D) hangs up."""

    def __init__(self, prompt: Callable[[str], str] = input, *, label: str = "You: "):
        self.prompt = prompt
        self.label = label  # "" when the input is not a terminal: the view prints the turn instead

    def reply(self, patient_line: str | None) -> str | None:
        try:
            text = self.prompt(self.label)
        except EOFError:
            return None
        if text.strip().lower() in ("/quit", "/q", "/hangup", "/bye"):
            return None
        return text.strip()


class SpeakerMouth:
    """Says scripted trainee clips through an output device, one after another (the interface of
    ``VirtualMicrophone.say``), for calls through real audio devices: with the headless PulseAudio
    set-up the microphone (the sink's monitor) hears them, VAD and all."""

    gap_s = 0.0

    def __init__(self, sink, sample_rate: int = ASR_RATE):
        import queue
        import threading

        self.sink = sink
        self.sample_rate = sample_rate
        self.spoken: list[tuple[float, float]] = []
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="vasim-trainee-voice", daemon=True)
        self._thread.start()

    def say(self, audio: np.ndarray) -> None:
        self._queue.put(np.asarray(audio, dtype=np.float32))

    @property
    def idle(self) -> bool:
        return self._queue.empty()

    def _run(self) -> None:
        while True:
            audio = self._queue.get()
            if audio is None:
                return
            start = time.monotonic()
            self.sink.play(audio, self.sample_rate)
            self.sink.wait()
            self.spoken.append((start, time.monotonic()))

    def close(self) -> None:
        self._queue.put(None)
        self.sink.stop()
        self._thread.join(timeout=5)
        self.sink.close()


class ScriptedVoice:
    """The trainee's side from a script (synthesised) or recorded files, spoken into a virtual mic.

    It answers ``think_s`` after the patient stops, or ``[interrupt]``s into the patient's line;
    when the caller asks what was said (a ``clarify`` reply) it says its last line again, as a
    person would; when the script runs out it hangs up.
    """

    def __init__(
        self,
        mic,
        clips: Sequence[np.ndarray],
        turns: Sequence[ScriptTurn],
        *,
        think_s: float = 0.5,
        ring_s: float = 0.8,
    ):
        if len(clips) != len(turns):
            raise ValueError("one clip per turn")
        self.mic = mic
        self.clips = list(clips)
        self.turns = list(turns)
        self.think_s = think_s
        self.ring_s = ring_s
        self.i = 0
        self.hung_up = False
        self.queued = 0  # clips handed to the microphone
        self._spoken0 = len(getattr(mic, "spoken", []))

    @property
    def busy(self) -> bool:
        """Still saying a queued clip (the microphone lists each clip once it has been said)."""
        spoken = getattr(self.mic, "spoken", None)
        if spoken is None:
            return not getattr(self.mic, "idle", True)
        return len(spoken) - self._spoken0 < self.queued

    @property
    def next_turn(self) -> ScriptTurn | None:
        return self.turns[self.i] if self.i < len(self.turns) else None

    def _speak(self, lead_s: float, *, again: bool = False) -> None:
        if again:
            self.i -= 1
        clip = self.clips[self.i]
        self.i += 1
        if clip is None or not len(clip):
            return  # a silent turn
        gap = float(getattr(self.mic, "gap_s", 0.0))
        pad = np.zeros(int(max(0.0, lead_s - gap) * ASR_RATE), dtype=np.float32)
        self.mic.say(np.concatenate([pad, np.asarray(clip, dtype=np.float32)]))
        self.queued += 1

    def call_answered(self) -> None:
        """Inbound: the phone rings; the VA picks up and greets."""
        if self.next_turn is None:
            self.hung_up = True
        else:
            self._speak(self.ring_s)

    def patient_started(self) -> None:
        nxt = self.next_turn
        if nxt is not None and nxt.interrupt_after_s is not None:
            self._speak(nxt.interrupt_after_s)

    def patient_finished(self, interrupted: bool, *, asked_again: bool = False) -> None:
        """The patient stopped talking; ``asked_again``: its line asked what the trainee said."""
        if interrupted or self.busy:
            return  # already talking
        if asked_again and self.i > 0:
            self._speak(self.think_s, again=True)
        elif self.next_turn is None:
            self.hung_up = True
        else:
            self._speak(self.think_s)


TRAINEE_SENTENCE_GAP_S = 0.25  # a fluent speaker's pause between sentences


def trim_silence(audio: np.ndarray, sample_rate: int, threshold: float = 0.01, keep_s: float = 0.03) -> np.ndarray:
    """Cut the leading and trailing near-silence of a synthesised sentence (keeping ``keep_s``)."""
    loud = np.nonzero(np.abs(audio) > threshold)[0]
    if not len(loud):
        return audio[:0]
    keep = int(keep_s * sample_rate)
    return audio[max(0, loud[0] - keep) : loud[-1] + keep]


def cap_pauses(audio: np.ndarray, sample_rate: int, max_pause_s: float = 0.3, threshold: float = 0.01) -> np.ndarray:
    """Shorten every silence inside a clip to ``max_pause_s`` (TTS pauses long at commas)."""
    win = max(1, int(0.01 * sample_rate))
    n = len(audio) // win
    if n == 0:
        return audio
    quiet = np.abs(audio[: n * win]).reshape(n, win).max(axis=1) < threshold
    keep = np.ones(len(audio), dtype=bool)
    limit = int(max_pause_s / 0.01)
    i = 0
    while i < n:
        if not quiet[i]:
            i += 1
            continue
        j = i
        while j < n and quiet[j]:
            j += 1
        if j - i > limit:
            keep[(i + limit) * win : j * win] = False
        i = j
    return audio[keep]


def synthesize_trainee_clips(
    turns: Sequence[ScriptTurn],
    synthesizer,
    voice: VoiceProfile,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[np.ndarray]:
    """Each script turn in the trainee's voice, at 16 kHz for the microphone.

    Sentences are made one by one and joined with a short, even pause: TTS pads every sentence
    with silence, and half a second between sentences would read as the end of the turn.
    """
    from simulator.speech.tts import resample, split_sentences

    rate = int(synthesizer.sample_rate)
    gap = np.zeros(int(TRAINEE_SENTENCE_GAP_S * ASR_RATE), dtype=np.float32)
    out = []
    for i, t in enumerate(turns):
        if progress:
            progress(i, len(turns), t.text)
        parts: list[np.ndarray] = []
        for sentence in [] if t.silent else split_sentences(t.text):
            audio = trim_silence(np.asarray(synthesizer.synthesize(sentence, voice), dtype=np.float32), rate)
            audio = cap_pauses(audio, rate, TRAINEE_SENTENCE_GAP_S)
            if len(audio):
                parts += [gap] if parts else []
                parts.append(resample(audio, rate, ASR_RATE))
        out.append(np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32))
    if progress:
        progress(len(turns), len(turns), "")
    return out


def load_trainee_audio(directory: str | Path) -> tuple[list[ScriptTurn], list[np.ndarray]]:
    """One audio file per trainee turn (sorted by name), at 16 kHz."""
    from simulator.speech.audio import read_audio

    d = Path(directory)
    if not d.is_dir():
        raise UserError(f"{directory}: not a directory; --trainee-audio takes a folder with one audio file per turn")
    files = sorted(p for p in d.iterdir() if p.suffix.lower() in (".wav", ".flac", ".ogg"))
    if not files:
        raise UserError(f"{directory}: no .wav, .flac or .ogg files (one per trainee turn, in name order)")
    clips = [read_audio(f, ASR_RATE)[0] for f in files]
    return [ScriptTurn(f.name) for f in files], clips
