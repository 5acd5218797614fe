"""The session record: what was said in a practice call, kept safe as it happens.

A session is a private directory ``data_dir()/sessions/<id>/`` (mode 0700) holding

* ``journal.jsonl`` — one JSON object per line: a ``start`` record (scenario, seed, mode,
  options), one ``turn`` record per turn, and an ``end`` record (why it ended, the scorecard,
  the latency summary). Every line is appended and fsync'd before the call goes on, so
  Ctrl-C, a crash, ``kill -9`` or a pulled headset loses at most the turn in progress; a line
  cut short by a kill is skipped on reading.
* ``NNN-trainee.flac`` / ``NNN-patient.flac`` — the audio of each turn (written, fsync'd and
  renamed into place before its journal line), so a half-written file is never referenced.

Every file is 0600: recordings and scores are personal data. A session without an ``end``
record is *incomplete*; it can still be listed, shown, replayed and scored.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulator import paths
from simulator.errors import UserError
from simulator.fsutil import atomic_write, fsync_dir

JOURNAL = "journal.jsonl"
SCHEMA = 1


def sessions_root() -> Path:
    return paths.private_dir(paths.data_dir() / "sessions")


def new_session_id(now: dt.datetime | None = None) -> str:
    """Sortable by time, unique enough for one user: ``20250301-142501-3f9a``."""
    now = now or dt.datetime.now()
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


@dataclass(frozen=True)
class TurnRecord:
    """One turn as stored in the journal."""

    index: int  # 0-based, in call order
    speaker: str  # "trainee" | "patient"
    text: str
    start: float | None = None  # seconds since the call started
    end: float | None = None
    kind: str = ""  # trainee: "speech" | "typed" | "silence"; patient: the reply kind
    behaviors: tuple[str, ...] = ()  # detected in a trainee turn
    state: str = ""  # patient: the state after this line
    mood: int | None = None  # patient: the mood after this line
    interrupted: bool = False  # patient: cut off by the trainee (barge-in)
    latency_ms: dict[str, float] = field(
        default_factory=dict
    )  # patient: endpoint, asr, decide, tts_first_audio, voice_to_voice
    audio: str = ""  # the FLAC file of this turn, relative to the session directory
    words: tuple[tuple[str, float], ...] = ()  # trainee, spoken: the recognised words and their probabilities

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["behaviors"] = list(self.behaviors)
        d["words"] = [list(w) for w in self.words]
        return {k: v for k, v in d.items() if v not in (None, "", (), [], {}) or k in ("text", "index")}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TurnRecord:
        known = {f for f in cls.__dataclass_fields__}
        kw = {k: v for k, v in d.items() if k in known}
        kw["behaviors"] = tuple(kw.get("behaviors", ()))
        kw["words"] = tuple((str(w), float(p)) for w, p in kw.get("words", ()))
        return cls(**kw)


def flac_bytes(audio: np.ndarray, sample_rate: int) -> bytes:
    import io

    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.clip(np.asarray(audio, dtype=np.float32), -1, 1), sample_rate, format="FLAC", subtype="PCM_16")
    return buf.getvalue()


class SessionWriter:
    """Appends a call to its journal turn by turn; every write is on disk before it returns."""

    def __init__(self, directory: Path, session_id: str):
        self.id = session_id
        self.dir = directory
        self.turns: list[TurnRecord] = []
        self.finished = False
        self._fd = os.open(directory / JOURNAL, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(self._fd, 0o600)

    @classmethod
    def create(
        cls,
        scenario_id: str,
        *,
        seed: int,
        mode: str,
        options: dict[str, Any] | None = None,
        root: Path | None = None,
        session_id: str | None = None,
    ) -> SessionWriter:
        root = paths.private_dir(root) if root else sessions_root()
        sid = session_id or new_session_id()
        directory = root / sid
        directory.mkdir(mode=0o700)
        os.chmod(directory, 0o700)
        w = cls(directory, sid)
        w._append(
            {
                "type": "start",
                "schema": SCHEMA,
                "session_id": sid,
                "scenario": scenario_id,
                "seed": seed,
                "mode": mode,
                "options": options or {},
                "started_at": dt.datetime.now().isoformat(timespec="seconds"),
            }
        )
        fsync_dir(root)
        return w

    def _append(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        view = memoryview(line)
        while view:
            view = view[os.write(self._fd, view) :]
        os.fsync(self._fd)

    def add_turn(self, turn: TurnRecord, audio: np.ndarray | None = None, sample_rate: int | None = None) -> TurnRecord:
        """Store one turn (and its audio, if any) durably; returns the record as stored."""
        if audio is not None and len(audio) and sample_rate:
            name = f"{turn.index:03d}-{turn.speaker}.flac"
            atomic_write(self.dir / name, flac_bytes(audio, sample_rate), durable=True)
            turn = TurnRecord(**{**turn.__dict__, "audio": name})
        self._append({"type": "turn", **turn.to_json()})
        self.turns.append(turn)
        return turn

    def event(self, kind: str, **data: Any) -> None:
        """A note that is not a turn (e.g. a barge-in, a device error), kept for diagnosis."""
        self._append({"type": "event", "event": kind, **data})

    def finish(
        self,
        reason: str,
        *,
        scorecard: dict | None = None,
        latency: dict | None = None,
        patient_path: list[str] | None = None,
    ) -> None:
        if self.finished:
            return
        self._append(
            {
                "type": "end",
                "reason": reason,
                "ended_at": dt.datetime.now().isoformat(timespec="seconds"),
                "patient_path": patient_path or [],
                "latency": latency or {},
                "scorecard": scorecard,
            }
        )
        self.finished = True

    def save_scorecard(self, scorecard: dict) -> None:
        """A (re)score of a finished or incomplete session, kept as its own record."""
        self._append(
            {"type": "score", "scorecard": scorecard, "scored_at": dt.datetime.now().isoformat(timespec="seconds")}
        )

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class Session:
    """A stored session as read back (complete or not)."""

    id: str
    dir: Path
    start: dict[str, Any]
    turns: list[TurnRecord]
    end: dict[str, Any] | None
    scores: list[dict[str, Any]] = field(default_factory=list)  # later `sessions score` results
    events: list[dict[str, Any]] = field(default_factory=list)
    skipped_lines: int = 0  # journal lines that could not be read (a kill mid-write)

    @property
    def complete(self) -> bool:
        return self.end is not None

    @property
    def scenario(self) -> str:
        return self.start.get("scenario", "")

    @property
    def started_at(self) -> str:
        return self.start.get("started_at", "")

    @property
    def scorecard(self) -> dict | None:
        if self.scores:
            return self.scores[-1]["scorecard"]
        return (self.end or {}).get("scorecard")

    def transcript(self) -> dict[str, Any]:
        """The call in DESIGN.md's transcript format (input of the scorer)."""
        return {
            "scenario": self.scenario,
            "turns": [
                {
                    "speaker": t.speaker,
                    "text": t.text,
                    **({"start": t.start} if t.start is not None else {}),
                    **({"end": t.end} if t.end is not None else {}),
                }
                for t in self.turns
                if t.text.strip()
            ],
        }

    def open_writer(self) -> SessionWriter:
        return SessionWriter(self.dir, self.id)


def read_journal(path: Path) -> Iterator[dict[str, Any] | None]:
    """Records of a journal; None for a line that is not valid JSON (cut short by a kill)."""
    with open(path, "rb") as fh:
        for raw in fh:
            try:
                rec = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                yield None
                continue
            yield rec if isinstance(rec, dict) else None


def load_dir(directory: Path) -> Session:
    start: dict[str, Any] = {}
    turns: list[TurnRecord] = []
    end = None
    scores, events = [], []
    skipped = 0
    for rec in read_journal(directory / JOURNAL):
        if rec is None:
            skipped += 1
            continue
        kind = rec.get("type")
        if kind == "start":
            start = rec
        elif kind == "turn":
            try:
                turns.append(TurnRecord.from_json(rec))
            except TypeError:
                skipped += 1
        elif kind == "end":
            end = rec
        elif kind == "score":
            scores.append(rec)
        elif kind == "event":
            events.append(rec)
    return Session(
        id=start.get("session_id", directory.name),
        dir=directory,
        start=start,
        turns=turns,
        end=end,
        scores=scores,
        events=events,
        skipped_lines=skipped,
    )


def list_sessions(root: Path | None = None) -> list[Session]:
    """Every stored session, oldest first (ids sort by time)."""
    root = root or sessions_root()
    if not root.is_dir():
        return []
    return [load_dir(d) for d in sorted(root.iterdir()) if (d / JOURNAL).is_file()]


def load(ref: str, root: Path | None = None) -> Session:
    """A session by id, unique id prefix, or ``last``."""
    root = root or sessions_root()
    ids = sorted(d.name for d in root.iterdir() if (d / JOURNAL).is_file()) if root.is_dir() else []
    if not ids:
        raise UserError("no sessions yet: run `vasim practice SCENARIO` first")
    if ref in ("last", "latest"):
        return load_dir(root / ids[-1])
    if ref in ids:
        return load_dir(root / ref)
    matches = [i for i in ids if i.startswith(ref)]
    if len(matches) == 1:
        return load_dir(root / matches[0])
    if matches:
        raise UserError(f"session '{ref}' is ambiguous ({', '.join(matches[:4])}...): give more of the id")
    raise UserError(f"no session '{ref}' (`vasim sessions list` shows them)")


def call_audio(session: Session, sample_rate: int = 22050) -> np.ndarray:
    """Both sides of the call on one timeline, stereo (left: trainee, right: patient).

    Turns are placed at their recorded start times; a turn without times follows the previous one.
    """
    import soundfile as sf

    from simulator.speech.tts import resample

    placed: list[tuple[int, int, np.ndarray]] = []
    cursor = 0.0
    for t in session.turns:
        if not t.audio or not (session.dir / t.audio).is_file():
            continue
        audio, rate = sf.read(session.dir / t.audio, dtype="float32", always_2d=True)
        mono = resample(audio.mean(axis=1), rate, sample_rate)
        at = t.start if t.start is not None else cursor
        channel = 0 if t.speaker == "trainee" else 1
        placed.append((int(at * sample_rate), channel, mono))
        cursor = at + len(mono) / sample_rate
    if not placed:
        return np.zeros((0, 2), dtype=np.float32)
    length = max(off + len(a) for off, _, a in placed)
    out = np.zeros((length, 2), dtype=np.float32)
    for off, ch, a in placed:
        out[off : off + len(a), ch] += a
    return np.clip(out, -1, 1)
