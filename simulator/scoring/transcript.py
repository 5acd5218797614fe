"""Call transcripts: the input of the scorer.

A transcript is the list of turns of one call, who spoke and what they said, with
optional times. It comes from three places: a finished practice session, a file a
trainer writes (``vasim score SCENARIO FILE``), or a scenario's own example calls.
Files are JSON (DESIGN.md, "Transcript format") or plain text, one turn per line
prefixed ``VA:``/``TRAINEE:`` or ``PATIENT:``/``CALLER:``.

Every problem with a file is one :class:`UserError` line that names the file, the
line (and column for JSON) and what to do; the CLI exits 2.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.authoring.model import PATIENT_ALIASES, TRAINEE_ALIASES, Example, Scenario, Turn
from simulator.errors import UserError

MAX_BYTES = 5 * 1024 * 1024  # a long call is ~50 KB of text; anything this big is a mistake

_PREFIX = re.compile(r"^\s*([A-Za-z]+)\s*:\s?(.*)$")
SPEAKERS = {**TRAINEE_ALIASES, **PATIENT_ALIASES}


class Transcript(BaseModel):
    """One call, ready to score: the context detection needs plus the turns in order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scenario: str | None = None  # the scenario id the file says it belongs to, if any
    practice: str | None = None  # the practice's name (greet_practice needs it)
    patient: str | None = None  # the caller's name (use_name needs it)
    mode: Literal["call", "voicemail"] = "call"
    turns: list[Turn] = Field(default_factory=list)

    @property
    def timed(self) -> bool:
        """True when every turn has a start and an end, so timing metrics can be computed."""
        return bool(self.turns) and all(t.start is not None and t.end is not None for t in self.turns)

    def trainee_turns(self) -> list[tuple[int, Turn]]:
        return [(i, t) for i, t in enumerate(self.turns) if t.speaker == "trainee"]


# ---------------------------------------------------------------------------------------------
# parsing


def read(ref: str | Path, stdin=None) -> tuple[str, str]:
    """(display name, text) of a transcript file, or ``-`` for standard input."""
    ref = str(ref)
    if ref == "-":
        stream = stdin or sys.stdin
        buf = getattr(stream, "buffer", None)
        raw = buf.read(MAX_BYTES + 1) if buf is not None else stream.read(MAX_BYTES + 1)
        display = "<stdin>"
    else:
        path = Path(ref)
        display = ref
        if not path.exists():
            raise UserError(f"{display}: no such transcript file")
        if path.is_dir():
            raise UserError(f"{display}: is a directory; give a transcript file (JSON or VA:/PATIENT: lines)")
        if path.stat().st_size > MAX_BYTES:
            raise UserError(
                f"{display}: transcript is {path.stat().st_size / 1e6:.1f} MB, over the 5 MB limit; is this the right file?"
            )
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise UserError(f"{display}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise UserError(f"{display}: transcript is over the 5 MB limit; is this the right file?")
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise UserError(f"{display}:{line}: not UTF-8 text; save the transcript as UTF-8") from None
        raw = text
    return display, raw


def parse(text: str, display: str = "<transcript>") -> Transcript:
    """Parse JSON or plain-text transcript text; context not filled in from a scenario yet."""
    if not text.strip():
        raise UserError(
            f"{display}: empty transcript; write JSON ({{\"turns\": [...]}}) or lines like 'VA: ...' / 'PATIENT: ...'"
        )
    if text.lstrip().startswith(("{", "[")):
        return _parse_json(text, display)
    return _parse_plain(text, display)


def _parse_json(text: str, display: str) -> Transcript:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{display}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    if isinstance(data, list):  # a bare list of turns
        data = {"turns": data}
    if not isinstance(data, dict):
        raise UserError(f"{display}:1:1: a JSON transcript must be an object with \"turns\"")
    lines = _json_turn_lines(text)
    turns_raw = data.get("turns")
    if turns_raw is None:
        raise UserError(
            f"{display}:1:1: missing \"turns\": a list of {{\"speaker\": \"trainee\"|\"patient\", \"text\": ...}}"
        )
    if not isinstance(turns_raw, list):
        raise UserError(f"{display}:1:1: turns: expected a list of turns, got {type(turns_raw).__name__}")
    if not turns_raw:
        raise UserError(f"{display}:1:1: turns: empty; a transcript needs at least one turn")
    turns = []
    for i, raw in enumerate(turns_raw):
        where = f"{display}:{lines[i]}" if i < len(lines) else display
        turns.append(_json_turn(raw, i, where))
    for key in ("scenario", "practice", "patient"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise UserError(f"{display}:1:1: {key}: expected text, got {type(data[key]).__name__}")
    mode = data.get("mode")
    if mode is not None and mode not in ("call", "voicemail"):
        raise UserError(f"{display}:1:1: mode: '{mode}' is not allowed; use call or voicemail")
    extra = {"mode": mode} if mode else {}  # left unset, the scenario's mode applies
    return Transcript(
        scenario=data.get("scenario"), practice=data.get("practice"), patient=data.get("patient"), turns=turns, **extra
    )


def _json_turn_lines(text: str) -> list[int]:
    """Best-effort line numbers of the turn objects, for error messages."""
    out = []
    m = re.search(r'"turns"\s*:\s*\[', text)
    pos = m.end() if m else (text.find("[") + 1)
    depth = 0
    in_str = esc = False
    for j in range(pos, len(text)):
        c = text[j]
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
            continue
        if c == '"':
            in_str = True
        elif c in "{[":
            if depth == 0:
                out.append(text.count("\n", 0, j) + 1)
            depth += 1
        elif c in "}]":
            if depth == 0:
                break
            depth -= 1
    return out


def _json_turn(raw: Any, i: int, where: str) -> Turn:
    if not isinstance(raw, dict):
        raise UserError(
            f"{where}: turns[{i}]: expected an object {{\"speaker\": ..., \"text\": ...}}, got {type(raw).__name__}"
        )
    speaker = raw.get("speaker")
    if speaker is None:
        alias = [k for k in raw if str(k).lower() in SPEAKERS]
        if alias:
            speaker, text = alias[0], raw[alias[0]]
            raw = {k: v for k, v in raw.items() if k != alias[0]} | {"text": text}
        else:
            raise UserError(f"{where}: turns[{i}]: missing \"speaker\" (trainee or patient)")
    if not isinstance(speaker, str) or speaker.lower() not in SPEAKERS:
        raise UserError(
            f"{where}: turns[{i}].speaker: unknown speaker '{speaker}'; use trainee (or va) or patient (or caller)"
        )
    if not isinstance(raw.get("text"), str):
        raise UserError(f"{where}: turns[{i}].text: missing or not text")
    fields = {"speaker": SPEAKERS[speaker.lower()], "text": raw["text"]}
    for key in ("start", "end"):
        v = raw.get(key)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise UserError(f"{where}: turns[{i}].{key}: expected seconds (a number >= 0), got {v!r}")
        fields[key] = float(v)
    words = raw.get("words")
    if words is not None:
        ok = isinstance(words, list) and all(
            isinstance(w, list)
            and len(w) == 2
            and isinstance(w[0], str)
            and not isinstance(w[1], bool)
            and isinstance(w[1], (int, float))
            and 0 <= w[1] <= 1
            for w in words
        )
        if not ok:
            raise UserError(
                f"{where}: turns[{i}].words: expected [[word, probability 0..1], ...] as recognition "
                "writes them; remove the field for a written transcript"
            )
        fields["words"] = [(w, float(p)) for w, p in words]
    if "start" in fields and "end" in fields and fields["end"] < fields["start"]:
        raise UserError(f"{where}: turns[{i}].end: ends ({fields['end']}) before it starts ({fields['start']})")
    try:
        return Turn.model_validate(fields)
    except ValidationError as exc:  # pragma: no cover - guarded above
        raise UserError(f"{where}: turns[{i}]: {exc.errors()[0]['msg']}") from None


def _parse_plain(text: str, display: str) -> Transcript:
    turns = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _PREFIX.match(line)
        if not m:
            raise UserError(f"{display}:{n}: no speaker; start the line with 'VA:' or 'PATIENT:' (or TRAINEE:/CALLER:)")
        who, said = m.group(1), m.group(2).strip()
        if who.lower() not in SPEAKERS:
            raise UserError(
                f"{display}:{n}: unknown speaker '{who}'; use VA or TRAINEE for the trainee, PATIENT or CALLER for the caller"
            )
        turns.append(Turn(speaker=SPEAKERS[who.lower()], text=said))
    if not turns:
        raise UserError(f"{display}: no turns; write lines like 'VA: ...' and 'PATIENT: ...'")
    return Transcript(turns=turns)


# ---------------------------------------------------------------------------------------------
# binding to a scenario


def for_scenario(tr: Transcript, scenario: Scenario, display: str = "<transcript>") -> Transcript:
    """Fill practice, patient and mode from the scenario unless the transcript overrides them.

    A transcript that names a different scenario is refused: scoring a call against the
    wrong scenario gives a confident, wrong scorecard.
    """
    if tr.scenario and tr.scenario != scenario.id:
        raise UserError(
            f"{display}: transcript is for scenario '{tr.scenario}', not '{scenario.id}'; "
            f"score it with `vasim score {tr.scenario} {display}` or fix its \"scenario\" field"
        )
    if not any(t.speaker == "trainee" for t in tr.turns):
        raise UserError(f"{display}: no trainee (VA) turns to score")
    # explicit mode only overrides when the file set it; parse() defaults it to "call"
    return tr.model_copy(
        update={
            "scenario": scenario.id,
            "practice": tr.practice or scenario.practice.name,
            "patient": tr.patient or scenario.patient.name,
            "mode": tr.mode if "mode" in tr.model_fields_set else scenario.mode,
        }
    )


def load(ref: str | Path, scenario: Scenario, stdin=None) -> Transcript:
    """Read, parse and bind a transcript file (or ``-``) to a scenario."""
    display, text = read(ref, stdin)
    return for_scenario(parse(text, display), scenario, display)


def from_example(scenario: Scenario, example: Example) -> Transcript:
    """An example call of a scenario file, as a transcript with the scenario's context."""
    return Transcript(
        scenario=scenario.id,
        practice=scenario.practice.name,
        patient=scenario.patient.name,
        mode=scenario.mode,
        turns=list(example.turns),
    )


def from_turns(scenario: Scenario, turns: list[Turn] | list[dict]) -> Transcript:
    """A transcript for a scenario from turns (a finished practice session)."""
    return Transcript(
        scenario=scenario.id,
        practice=scenario.practice.name,
        patient=scenario.patient.name,
        mode=scenario.mode,
        turns=[t if isinstance(t, Turn) else Turn.model_validate(t) for t in turns],
    )
