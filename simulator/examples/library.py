"""Audio examples: a scenario's example calls rendered as model calls to listen to.

Written scripts miss tone. Each scenario's first ``strong`` and first ``weak`` example
call is rendered into ``audio_examples/`` as one compressed audio file (Opus in OGG; FLAC
at 16 kHz where this libsndfile has no Opus) plus a timed transcript (WebVTT, and JSON in
the DESIGN.md transcript format with per-turn ``start``/``end``, so ``vasim score`` reads
it as it is).

Rendering has two stages, so that what changed can be known without synthesising:

1. :func:`plan` turns an example into a :class:`Plan`: each turn's text, the resolved
   voice (the VA is one fixed calm voice; the patient is the scenario's voice, with its
   delivery shifted by mood — a frustrated caller faster and higher, a distressed caller
   slower and lower) and the pause before it (seeded, 0.4-0.9 s, longer before hard
   answers). Its :meth:`Plan.content_hash` covers everything that shapes the audio, so
   ``--changed`` re-renders only what changed and ``check`` finds stale files.
2. :func:`render` synthesises the turns and lays them out. Every time in the transcript
   is derived from sample counts, never from the wall clock, and each turn is padded to a
   50 ms grid, so rendering twice gives the same timings.

``audio_examples/index.json`` records the hash, duration and files of every rendering;
``audio_examples/README.md`` lists what each one shows.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from simulator.authoring.model import Example, Scenario, mood_band
from simulator.fsutil import atomic_write
from simulator.paths import REPO_DIR
from simulator.speech.voice import VoiceProfile

RENDERER_VERSION = 1  # bump when rendering changes in a way that changes the audio
KINDS = ("strong", "weak")

# The VA: one fixed, calm voice for every example (piper is deterministic in length).
VA_VOICE = VoiceProfile(engine="piper", voice="joe", rate=0.95, pitch=1.0)
VA_LABEL = "VA"
PATIENT_LABEL = "Caller"

# Touchpoints where the caller is distressed rather than annoyed: slower, lower, hesitant.
DISTRESSED = frozenset({"crisis", "emergency", "symptoms"})
# Touchpoints where the VA's answers are hard: a beat longer to think before answering.
HARD_ANSWERS = frozenset({"crisis", "emergency", "symptoms", "lab_results", "complaint", "billing_dispute"})
# How numbers that are said digit by digit are written for the synthesizer: piper reads "911"
# as "nine hundred eleven", which neither a caller nor Whisper takes for the emergency number.
SPOKEN_FORMS: tuple[tuple[str, str], ...] = ((r"\b911\b", "nine one one"), (r"\b988\b", "nine eight eight"))
MIN_PITCH_GAP = 0.08  # a patient on the VA's engine and voice is pitched at least this far away

# Engines whose line length is fixed (piper with fixed phoneme durations): their lines are
# used as they are, since trimming by loudness would make the length follow the waveform,
# which varies from run to run. Lines of other engines (espeak-ng) are trimmed of silence.
STEADY_ENGINES = frozenset({"piper"})
GRID_S = 0.05  # each turn is padded to a multiple of this, so small length jitter cannot move times
TARGET_RMS = 0.08  # about -22 dBFS: every turn equally loud, whoever speaks
PEAK = 0.95


def examples_dir() -> Path:
    """Where rendered examples live: ``$VASIM_AUDIO_EXAMPLES`` or the repository's ``audio_examples/``."""
    return Path(os.environ.get("VASIM_AUDIO_EXAMPLES") or REPO_DIR / "audio_examples")


class Synthesizer(Protocol):
    """What rendering needs from ``tts.Synthesizer`` (a router over engines, e.g. ``factory.MultiSynthesizer``)."""

    sample_rate: int

    def synthesize(self, text: str, voice: VoiceProfile) -> np.ndarray: ...


class EngineRouter:
    """A synthesizer that sends each line to the engine its voice names; engines not given are built on first use."""

    def __init__(self, engines: dict[str, Synthesizer], build: Callable[[str], Synthesizer] | None = None):
        self._engines = dict(engines)
        self._build = build
        self.engine = next(iter(self._engines))
        self.sample_rate = self._engines[self.engine].sample_rate

    def get(self, engine: str) -> Synthesizer:
        if engine not in self._engines:
            if self._build is None:
                from simulator.errors import UserError

                raise UserError(f"no {engine!r} synthesizer here; use one of {', '.join(self._engines)}")
            self._engines[engine] = self._build(engine)
        return self._engines[engine]

    def synthesize(self, text: str, voice: VoiceProfile) -> np.ndarray:
        """Audio at the engine's own rate, resampled to ``self.sample_rate`` if it differs."""
        synth = self.get(voice.engine)
        audio = synth.synthesize(text, voice)
        return _resample(audio, synth.sample_rate, self.sample_rate) if synth.sample_rate != self.sample_rate else audio


# ---------------------------------------------------------------------------------------------
# options and the plan


@dataclass(frozen=True)
class RenderOptions:
    """How examples are rendered; all of it is part of every content hash."""

    sample_rate: int = 24000  # output rate (Opus allows 8/12/16/24/48 kHz)
    format: Literal["ogg", "flac"] = "ogg"  # ogg = Opus in OGG; flac = lossless fallback
    opus_compression: float = 0.9  # soundfile compression_level: 0.9 is about 30 kbit/s for speech
    va_voice: VoiceProfile = VA_VOICE
    lead_in_s: float = 0.3  # silence before the first turn
    tail_s: float = 0.6  # silence after the last turn

    @property
    def suffix(self) -> str:
        return ".ogg" if self.format == "ogg" else ".flac"


def default_options() -> RenderOptions:
    """Opus at 24 kHz where libsndfile has it, otherwise FLAC at 16 kHz (still small for speech)."""
    import soundfile as sf

    if "OPUS" in sf.available_subtypes("OGG"):
        return RenderOptions()
    return RenderOptions(sample_rate=16000, format="flac")


@dataclass(frozen=True)
class PlannedTurn:
    index: int  # position in the example's turns
    speaker: Literal["trainee", "patient"]
    text: str
    voice: VoiceProfile  # resolved: mood and distinctness applied
    pause_before_s: float  # silence before this turn (the lead-in for the first)
    mood: int | None = None  # the caller's mood at this turn (patient turns only)
    spoken: str = ""  # the text as handed to the synthesizer (see SPOKEN_FORMS); "" = as written

    @property
    def say(self) -> str:
        return self.spoken or self.text


@dataclass(frozen=True)
class Plan:
    """Everything that decides how one rendered example sounds, before any synthesis."""

    key: str  # "<scenario>.<kind>", also the file stem
    scenario: str
    example: str  # the example's name in the scenario file
    kind: Literal["strong", "weak"]
    about: str
    practice: str
    patient: str
    mode: str
    turns: tuple[PlannedTurn, ...]
    options: RenderOptions

    def content_hash(self) -> str:
        o = self.options
        blob = {
            "renderer": RENDERER_VERSION,
            "key": self.key,
            "turns": [
                {
                    "speaker": t.speaker,
                    "text": t.say,
                    "voice": t.voice.model_dump(mode="json"),
                    "pause": t.pause_before_s,
                }
                for t in self.turns
            ],
            "options": {
                "sample_rate": o.sample_rate,
                "format": o.format,
                "opus_compression": o.opus_compression,
                "lead_in_s": o.lead_in_s,
                "tail_s": o.tail_s,
            },
        }
        raw = json.dumps(blob, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def example_key(scenario_id: str, kind: str) -> str:
    return f"{scenario_id}.{kind}"


def selected_examples(scenario: Scenario) -> list[Example]:
    """The examples that are rendered: the first strong and the first weak call of the file."""
    out = []
    for kind in KINDS:
        ex = next((e for e in scenario.examples if e.kind == kind), None)
        if ex is not None:
            out.append(ex)
    return out


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from the given parts (no global random state)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def mood_trajectory(start: int, n: int, kind: str) -> list[int]:
    """The caller's mood at each of their ``n`` turns: a good call calms them, a poor one winds them up."""
    if n <= 0:
        return []
    end = max(1, start - 5) if kind == "strong" else min(10, start + 2)
    if n == 1:
        return [start]
    return [int(round(start + (end - start) * i / (n - 1))) for i in range(n)]


def delivery(base: VoiceProfile, mood: int, touchpoint: str) -> VoiceProfile:
    """The caller's voice at a given mood: emotion carried by rate and pitch.

    Distressed callers (crisis, emergency, symptoms) speak slower and lower the more upset
    they are; everyone else speaks faster and higher as they get angry. Calm (0-3) keeps
    the scenario's own voice.
    """
    arousal = max(0, mood - 3) / 7  # 0 at calm .. 1 at furious
    if touchpoint in DISTRESSED:
        rate, pitch = 1 - 0.12 * arousal, 1 - 0.06 * arousal
    else:
        rate, pitch = 1 + 0.12 * arousal, 1 + 0.07 * arousal
    return base.model_copy(
        update={
            "rate": round(min(2.0, max(0.5, base.rate * rate)), 3),
            "pitch": round(min(2.0, max(0.5, base.pitch * pitch)), 3),
        }
    )


def distinct_from(patient: VoiceProfile, va: VoiceProfile) -> VoiceProfile:
    """Keep the caller audibly different from the VA when both use the same engine and voice."""
    if (patient.engine, patient.voice) != (va.engine, va.voice):
        return patient
    if abs(patient.pitch / va.pitch - 1) >= MIN_PITCH_GAP:
        return patient
    pitch = va.pitch * (1 + 1.5 * MIN_PITCH_GAP if patient.pitch >= va.pitch else 1 - 1.5 * MIN_PITCH_GAP)
    return patient.model_copy(update={"pitch": round(pitch, 3)})


def pause_before(scenario: Scenario, example: Example, i: int, mood: int | None) -> float:
    """The silence before turn ``i`` (> 0): 0.4-0.9 s, seeded by scenario, example and turn.

    Longer before a hard answer (a sensitive touchpoint, or a long reply to give) and
    before a distressed caller speaks; shorter before an angry caller cuts back in.
    """
    turn = example.turns[i]
    s = 0.4 + 0.5 * _unit(scenario.id, example.name, i)
    if turn.speaker == "trainee":
        if scenario.touchpoint in HARD_ANSWERS:
            s += 0.3
        if len(turn.text.split()) >= 35:
            s += 0.2
    elif mood is not None:
        if scenario.touchpoint in DISTRESSED and mood >= 4:
            s += 0.4
        elif mood_band(mood) == "angry":
            s *= 0.7
    return round(s, 3)


def spoken_form(text: str) -> str:
    """The text as the synthesizer should read it (numbers said digit by digit spelled out)."""
    import re

    for pattern, words in SPOKEN_FORMS:
        text = re.sub(pattern, words, text)
    return text


def plan(scenario: Scenario, example: Example, options: RenderOptions | None = None) -> Plan:
    """The render plan of one example call (pure: no synthesis, so hashing is instant)."""
    options = options or RenderOptions()
    n_patient = sum(t.speaker == "patient" for t in example.turns)
    moods = iter(mood_trajectory(scenario.patient.mood.start, n_patient, example.kind))
    base = distinct_from(scenario.patient.voice, options.va_voice)
    turns = []
    for i, t in enumerate(example.turns):
        if t.speaker == "patient":
            mood = next(moods)
            voice = distinct_from(delivery(base, mood, scenario.touchpoint), options.va_voice)
        else:
            mood, voice = None, options.va_voice
        pause = options.lead_in_s if i == 0 else pause_before(scenario, example, i, mood)
        text = t.text.strip()
        spoken = spoken_form(text)
        turns.append(PlannedTurn(i, t.speaker, text, voice, pause, mood, spoken if spoken != text else ""))
    return Plan(
        key=example_key(scenario.id, example.kind),
        scenario=scenario.id,
        example=example.name,
        kind=example.kind,
        about=example.about,
        practice=scenario.practice.name,
        patient=scenario.patient.name,
        mode=scenario.mode,
        turns=tuple(turns),
        options=options,
    )


def plans(scenarios: Iterable[Scenario], options: RenderOptions | None = None) -> list[Plan]:
    return [plan(sc, ex, options) for sc in scenarios for ex in selected_examples(sc)]


# ---------------------------------------------------------------------------------------------
# rendering


@dataclass(frozen=True)
class TimedTurn:
    index: int
    speaker: Literal["trainee", "patient"]
    text: str
    start: float  # seconds from the start of the file
    end: float


@dataclass(frozen=True)
class Rendering:
    plan: Plan
    audio: np.ndarray = field(repr=False)  # float32 mono at plan.options.sample_rate
    turns: tuple[TimedTurn, ...]

    @property
    def sample_rate(self) -> int:
        return self.plan.options.sample_rate

    @property
    def duration_s(self) -> float:
        return round(len(self.audio) / self.sample_rate, 3)


def _resample(audio: np.ndarray, src: int, dst: int) -> np.ndarray:
    from simulator.speech.tts import resample

    return resample(audio, src, dst)


def trim_silence(audio: np.ndarray, sample_rate: int, threshold: float = 0.01) -> np.ndarray:
    """Cut leading and trailing near-silence (10 ms windows below ``threshold`` of the peak)."""
    if audio.size == 0:
        return audio
    win = max(1, sample_rate // 100)
    n = len(audio) // win
    if n == 0:
        return audio
    env = np.abs(audio[: n * win]).reshape(n, win).max(axis=1)
    loud = np.flatnonzero(env > threshold * max(float(env.max()), 1e-9))
    if loud.size == 0:
        return audio[:0]
    return audio[loud[0] * win : min(len(audio), (loud[-1] + 1) * win)]


def level(audio: np.ndarray) -> np.ndarray:
    """Bring a turn to the common loudness (RMS), limited to a safe peak, with 5 ms fades."""
    if audio.size == 0:
        return audio.astype(np.float32)
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    out = audio * (TARGET_RMS / rms) if rms > 1e-6 else audio.copy()
    peak = float(np.max(np.abs(out)))
    if peak > PEAK:
        out = out * (PEAK / peak)
    fade = min(len(out) // 2, 120)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        out[:fade] *= ramp
        out[-fade:] *= ramp[::-1]
    return out.astype(np.float32)


def turn_audio(synthesizer: Synthesizer, turn: PlannedTurn, sample_rate: int) -> np.ndarray:
    """One turn: synthesised, resampled, trimmed, levelled and padded to the 50 ms grid."""
    raw = np.asarray(synthesizer.synthesize(turn.say, turn.voice), dtype=np.float32)
    audio = _resample(raw, synthesizer.sample_rate, sample_rate)
    if turn.voice.engine not in STEADY_ENGINES:
        audio = trim_silence(audio, sample_rate)
    audio = level(audio)
    grid = int(round(GRID_S * sample_rate))
    padded = -(-max(len(audio), 1) // grid) * grid
    return np.concatenate([audio, np.zeros(padded - len(audio), dtype=np.float32)])


def render(plan_: Plan, synthesizer: Synthesizer, on_turn: Callable[[PlannedTurn], None] | None = None) -> Rendering:
    """Synthesise and lay out one example. Times come from sample counts only."""
    rate = plan_.options.sample_rate
    pieces: list[np.ndarray] = []
    timed: list[TimedTurn] = []
    pos = 0
    for t in plan_.turns:
        gap = int(round(t.pause_before_s * rate))
        audio = turn_audio(synthesizer, t, rate)
        pieces += [np.zeros(gap, dtype=np.float32), audio]
        start = pos + gap
        pos = start + len(audio)
        timed.append(TimedTurn(t.index, t.speaker, t.text, round(start / rate, 3), round(pos / rate, 3)))
        if on_turn:
            on_turn(t)
    pieces.append(np.zeros(int(round(plan_.options.tail_s * rate)), dtype=np.float32))
    return Rendering(plan_, np.concatenate(pieces).astype(np.float32), tuple(timed))


# ---------------------------------------------------------------------------------------------
# transcripts: WebVTT and JSON


def vtt_time(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def speaker_label(speaker: str) -> str:
    return VA_LABEL if speaker == "trainee" else PATIENT_LABEL


def to_vtt(r: Rendering) -> str:
    """WebVTT with one cue per turn and the speaker as a voice span (``<v VA>``)."""
    p = r.plan
    lines = ["WEBVTT", "", "NOTE", f"{p.scenario}: {p.kind} example '{p.example}'. {p.about}".strip(), ""]
    for i, t in enumerate(r.turns, 1):
        text = t.text.replace("-->", "->").replace("\n", " ").replace("&", "&amp;").replace("<", "&lt;")
        lines += [str(i), f"{vtt_time(t.start)} --> {vtt_time(t.end)}", f"<v {speaker_label(t.speaker)}>{text}", ""]
    return "\n".join(lines)


def to_json(r: Rendering, audio_name: str) -> dict:
    """The DESIGN.md transcript format (``vasim score`` reads it) plus what the rendering used."""
    p = r.plan
    return {
        "scenario": p.scenario,
        "practice": p.practice,
        "patient": p.patient,
        "mode": p.mode,
        "example": p.example,
        "kind": p.kind,
        "about": p.about,
        "audio": audio_name,
        "duration_s": r.duration_s,
        "sample_rate": r.sample_rate,
        "hash": p.content_hash(),
        "turns": [
            {
                "speaker": t.speaker,
                "text": t.text,
                "start": t.start,
                "end": t.end,
                "voice": pt.voice.model_dump(mode="json"),
                **({"mood": pt.mood} if pt.mood is not None else {}),
            }
            for t, pt in zip(r.turns, p.turns)
        ],
    }


# ---------------------------------------------------------------------------------------------
# files and the index


@dataclass(frozen=True)
class IndexEntry:
    key: str
    scenario: str
    example: str
    kind: str
    about: str
    hash: str
    duration_s: float
    audio: str  # file names, relative to the examples folder
    vtt: str
    transcript: str
    bytes: int  # size of the audio file


INDEX = "index.json"
README = "README.md"


def load_index(directory: Path) -> dict[str, IndexEntry]:
    path = directory / INDEX
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {k: IndexEntry(**v) for k, v in data.get("examples", {}).items()}
    except (json.JSONDecodeError, TypeError, AttributeError) as exc:
        from simulator.errors import UserError

        raise UserError(
            f"{path}: unreadable example index ({exc}); delete it and run `vasim examples render`"
        ) from None


def save_index(directory: Path, entries: dict[str, IndexEntry], options: RenderOptions) -> None:
    data = {
        "renderer": RENDERER_VERSION,
        "format": "ogg/opus" if options.format == "ogg" else "flac",
        "sample_rate": options.sample_rate,
        "total_bytes": sum(e.bytes for e in entries.values()),
        "examples": {k: asdict(entries[k]) for k in sorted(entries)},
    }
    atomic_write(directory / INDEX, (json.dumps(data, indent=2) + "\n").encode("utf-8"), private=False)
    atomic_write(directory / README, readme(entries).encode("utf-8"), private=False)


def encode(r: Rendering) -> bytes:
    """The audio file's bytes: Opus in OGG, or FLAC (16-bit)."""
    import io

    import soundfile as sf

    buf = io.BytesIO()
    o = r.plan.options
    if o.format == "ogg":
        sf.write(buf, r.audio, o.sample_rate, format="OGG", subtype="OPUS", compression_level=o.opus_compression)
    else:
        sf.write(buf, r.audio, o.sample_rate, format="FLAC", subtype="PCM_16")
    return buf.getvalue()


def write(r: Rendering, directory: Path) -> IndexEntry:
    """Write audio, VTT and JSON for one rendering; returns its index entry."""
    p = r.plan
    audio_name = p.key + p.options.suffix
    blob = encode(r)
    atomic_write(directory / audio_name, blob, private=False)
    atomic_write(directory / f"{p.key}.vtt", to_vtt(r).encode("utf-8"), private=False)
    atomic_write(directory / f"{p.key}.json", json.dumps(to_json(r, audio_name), indent=2) + "\n", private=False)
    return IndexEntry(
        key=p.key,
        scenario=p.scenario,
        example=p.example,
        kind=p.kind,
        about=p.about,
        hash=p.content_hash(),
        duration_s=r.duration_s,
        audio=audio_name,
        vtt=f"{p.key}.vtt",
        transcript=f"{p.key}.json",
        bytes=len(blob),
    )


def remove(entry: IndexEntry, directory: Path) -> None:
    for name in (entry.audio, entry.vtt, entry.transcript):
        (directory / name).unlink(missing_ok=True)


def mmss(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


def readme(entries: dict[str, IndexEntry]) -> str:
    """``audio_examples/README.md``: what each example shows, how long it is, how to hear it."""
    total = sum(e.bytes for e in entries.values())
    lines = [
        "# Audio examples: model calls to listen to",
        "",
        "Written scripts miss tone. These are the example calls of every scenario, rendered with",
        "the VA in one calm voice and the caller in the scenario's voice (faster and higher when",
        "frustrated, slower and lower when distressed). Each has a timed transcript (`.vtt`, and",
        "`.json` in the transcript format `vasim score` reads).",
        "",
        "Listen with `vasim listen SCENARIO` (the strong call) or `vasim listen SCENARIO --weak`;",
        "add `--text` to read it with the scorer's notes instead. Generated by",
        "`vasim examples render`; do not edit by hand (`vasim examples check` finds stale ones).",
        "",
        f"{len(entries)} examples, {mmss(sum(e.duration_s for e in entries.values()))} in all, {total / 1e6:.1f} MB.",
        "",
        "| scenario | kind | length | what it shows | audio |",
        "|---|---|---|---|---|",
    ]
    for k in sorted(entries):
        e = entries[k]
        about = " ".join(e.about.split()).replace("|", "\\|")
        lines.append(f"| {e.scenario} | {e.kind} | {mmss(e.duration_s)} | {about} | [{e.audio}]({e.audio}) |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# staleness


@dataclass(frozen=True)
class Status:
    key: str
    state: Literal["ok", "stale", "missing", "orphan"]
    reason: str = ""

    def line(self) -> str:
        return f"{self.key}: {self.state}" + (f": {self.reason}" if self.reason else "")


def status(plans_: Iterable[Plan], directory: Path, index: dict[str, IndexEntry] | None = None) -> list[Status]:
    """Compare the plans of the library with what is on disk.

    ``missing``: never rendered (or a file is gone); ``stale``: the scenario's example, a
    voice or the renderer changed since it was rendered; ``orphan``: rendered for an
    example that no longer exists.
    """
    index = load_index(directory) if index is None else index
    out = []
    keys = set()
    for p in plans_:
        keys.add(p.key)
        e = index.get(p.key)
        if e is None:
            out.append(Status(p.key, "missing", "not rendered; run `vasim examples render --changed`"))
            continue
        gone = [n for n in (e.audio, e.vtt, e.transcript) if not (directory / n).is_file()]
        if gone:
            out.append(Status(p.key, "missing", f"{', '.join(gone)} not found; run `vasim examples render --changed`"))
        elif e.hash != p.content_hash():
            what = "the example changed" if e.example == p.example else f"now example '{p.example}'"
            out.append(
                Status(p.key, "stale", f"{what} (or its voices or the renderer); run `vasim examples render --changed`")
            )
        else:
            out.append(Status(p.key, "ok"))
    for k in sorted(set(index) - keys):
        out.append(Status(k, "orphan", "its scenario or example is gone; `vasim examples render --changed` removes it"))
    return out


def render_to(
    plans_: list[Plan],
    synthesizer: Synthesizer | None,  # None only when there is nothing to render
    directory: Path,
    *,
    prune: Iterable[str] = (),
    on_turn: Callable[[PlannedTurn], None] | None = None,
    on_done: Callable[[IndexEntry], None] | None = None,
    on_error: Callable[[Plan, Exception], None] | None = None,
) -> dict[str, IndexEntry]:
    """Render ``plans_`` into ``directory``, drop the ``prune`` keys, and rewrite index and README.

    The index is saved after every example, so an interrupted run keeps what it finished.
    With ``on_error``, an example whose synthesis fails is reported there and skipped (it
    stays missing or stale, so ``--changed`` retries it); without, the error propagates.
    """
    directory.mkdir(parents=True, exist_ok=True)
    index = load_index(directory)
    options = plans_[0].options if plans_ else default_options()
    for key in prune:
        if key in index:
            remove(index.pop(key), directory)
    if not plans_:
        save_index(directory, index, options)
    for p in plans_:
        assert synthesizer is not None, "render_to: plans to render but no synthesizer"
        try:
            entry = write(render(p, synthesizer, on_turn), directory)
        except Exception as exc:
            if on_error is None:
                raise
            on_error(p, exc)
            continue
        index[p.key] = entry
        save_index(directory, index, options)
        if on_done:
            on_done(entry)
    return index


# ---------------------------------------------------------------------------------------------
# listening: what the VA did well or badly, turn by turn


@dataclass(frozen=True)
class Note:
    """One annotation of a VA turn, from the scorer."""

    turn: int
    good: bool  # a behavior to copy (True) or a violation / blocker (False)
    id: str
    text: str


def annotate(card, catalog) -> dict[int, list[Note]]:
    """Per-turn notes from a scorecard: behaviors shown (good), violations and blockers (bad)."""
    notes: dict[int, list[Note]] = {}
    blocked = {(b.id, b.turn) for b in card.blockers}
    for b in card.blockers:
        if b.turn is None:
            continue
        why = b.reason or (catalog[b.id].meaning if b.id in catalog else "")
        notes.setdefault(b.turn, []).append(Note(b.turn, False, b.id, f"blocker: {why}".rstrip(": ")))
    seen = set()
    for hit in card.behaviors:
        if (hit.id, hit.turn) in blocked or (hit.id, hit.turn) in seen:
            continue
        seen.add((hit.id, hit.turn))
        beh = catalog.get(hit.id, None)
        good = beh is None or beh.polarity == "positive"
        notes.setdefault(hit.turn, []).append(Note(hit.turn, good, hit.id, beh.meaning if beh else hit.id))
    for turn in notes:
        notes[turn].sort(key=lambda n: (n.good, n.id))  # problems first
    return notes


def verdict(card) -> list[str]:
    """The outcome in a few lines: pass or fail and why, escalation, and what was never done."""
    lines = [("PASSED" if card.passed else "FAILED") + f" (average {card.average:.1f}, pass mark {card.pass_mark:.1f})"]
    for b in card.blockers:
        lines.append(
            f"blocker {b.id}"
            + (f" at turn {b.turn}" if b.turn is not None else "")
            + (f": {b.reason}" if b.reason else "")
        )
    esc = card.escalation
    lines.append(
        f"escalation {esc.expected}: "
        + ("correct" if esc.correct else "NOT correct")
        + (f" (missing {', '.join(esc.missing)})" if esc.missing else "")
    )
    scores = ", ".join(f"{d} {s.score}" for d, s in card.dimensions.items())
    lines.append(f"scores: {scores}")
    missed = sorted({m for d in card.dimensions.values() for m in d.missed})
    if missed:
        lines.append(f"never shown: {', '.join(missed)}")
    return lines


def load_example(ref: str, kind: str):
    """``(scenario, index entry, transcript with times, stale)`` of a rendered example call, or a
    one-line ``UserError``; ``stale``: the scenario changed since it was rendered."""
    from simulator.authoring import scenario as sc_mod
    from simulator.errors import UserError
    from simulator.scoring import transcript as tr_mod

    if kind not in ("strong", "weak"):
        raise UserError(f"{kind}: an example is 'strong' or 'weak'")
    scenario = sc_mod.load(ref)
    directory = examples_dir()
    key = example_key(scenario.id, kind)
    entry = load_index(directory).get(key)
    if entry is None or not (directory / entry.transcript).is_file():
        raise UserError(f"{scenario.id}: no rendered {kind} example; run `vasim examples render {scenario.id}`")
    sel = {e.kind: e for e in selected_examples(scenario)}
    stale = kind in sel and entry.hash != plan(scenario, sel[kind], default_options()).content_hash()
    transcript = tr_mod.load(directory / entry.transcript, scenario)
    return scenario, entry, transcript, stale
