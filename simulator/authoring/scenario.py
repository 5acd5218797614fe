"""The scenario format: one YAML file per role-play, validated by pydantic.

A scenario describes the practice, the patient persona, the facts the VA can look up,
the conversation as states ("beats") with line variants and transitions on the
behaviors the trainee shows, the expected escalation, the scoring rules, and example
calls that act as the scenario's own tests. ``docs/scenario-format.md`` explains every
field; ``vasim scenario schema`` prints the JSON Schema.

Loading never raises anything but :class:`ProblemsError`: every problem of a file is
collected and reported as ``FILE:LINE:COL: field.path: message``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, cast

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from simulator.authoring import yamlio
from simulator.authoring.catalog import DIMENSIONS, Catalog, load_catalog
from simulator.authoring.policy import ALWAYS_BLOCKERS, ESCALATION_REQUIRES
from simulator.authoring.problems import _lost, _yaml_type, pydantic_problems, salvage
from simulator.errors import Problem, ProblemsError
from simulator.paths import scenarios_dir
from simulator.speech.tts import voice_problem
from simulator.speech.voice import VoiceProfile

EscalationKind = Literal[
    "none",
    "emergency_911",
    "crisis_transfer",
    "same_day_transfer",
    "flag_clinical",
    "route_records",
    "escalate_manager",
    "flag_billing",
]


Touchpoint = Literal[
    "billing",
    "billing_dispute",
    "symptoms",
    "emergency",
    "crisis",
    "refill",
    "lab_results",
    "records",
    "complaint",
    "scheduling",
    "general_inquiry",
    "new_patient",
    "referral",
    "post_visit_followup",
    "reminder",
]

# DESIGN.md, "Scenario library": the fixed ids every install ships. A trainer's own scenarios
# (`vasim scenario new`) live beside them; tools that hold the library to a higher bar
# (rendered examples, the test suite) ask this set rather than "every file in scenarios/".
LIBRARY_IDS: frozenset[str] = frozenset(
    {
        "billing-frustrated",
        "billing-dispute-complex",
        "symptoms-same-day",
        "emergency-chest-pain",
        "suicidal-ideation",
        "refill-request",
        "lab-results",
        "records-request",
        "legal-threat",
        "appointment-scheduling",
        "general-inquiry",
        "new-patient-onboarding",
        "referral-status",
        "post-visit-followup",
        "voicemail-reminder",
    }
)

MOOD_BANDS = ("calm", "upset", "angry")  # mood 0-3, 4-6, 7-10
ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"  # scenario ids: lowercase words joined by hyphens
END = "end"  # the reserved state a transition goes to when the patient hangs up
RING = "ring"  # the implicit first state of an inbound call: the VA answers first


def mood_band(mood: int) -> str:
    return "calm" if mood <= 3 else "upset" if mood <= 6 else "angry"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _listify(v: Any) -> Any:
    """Let a single value stand for a one-item list (``when: empathy``)."""
    if v is None:
        return []
    return [v] if isinstance(v, (str, dict)) else v


StrList = Annotated[list[str], BeforeValidator(_listify)]


class Lines(Strict):
    """Line variants, optionally by the caller's mood band.

    In YAML: a string, a list of strings, or a mapping ``{calm: [...], upset: [...],
    angry: [...]}`` (bands may be left out; the nearest band present is used).
    """

    salvage_whole: ClassVar[bool] = True  # its shorthand validator reshapes the input: salvaged whole

    any: list[str] = []
    calm: list[str] = []
    upset: list[str] = []
    angry: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        if isinstance(v, (str, list)):
            return {"any": _listify(v)}
        if isinstance(v, dict):
            return {k: _listify(x) for k, x in v.items()}
        return v

    def for_mood(self, mood: int) -> list[str]:
        band = mood_band(mood)
        order = {
            "calm": ("calm", "upset", "angry"),
            "upset": ("upset", "angry", "calm"),
            "angry": ("angry", "upset", "calm"),
        }[band]
        for b in order:
            lines = getattr(self, b)
            if lines:
                return lines
        return self.any

    def all(self) -> list[str]:
        return self.any + self.calm + self.upset + self.angry

    def __bool__(self) -> bool:
        return bool(self.all())


class Practice(Strict):
    """The practice the VA works for; defined once in ``scenarios/practices/`` and referenced."""

    name: str
    phone: str = ""
    address: str = ""
    hours: dict[str, str] = {}  # e.g. {"Mon-Fri": "8 am - 5 pm", "Sat": "closed"}
    services: list[str] = []
    providers: list[str] = []
    departments: dict[str, str] = {}  # name -> what they handle / how to reach them
    policies: list[str] = []  # statements the VA may make as they are


class MoodSpec(Strict):
    """The caller's mood, 0 (calm) .. 10 (furious), and what moves it."""

    start: int = Field(3, ge=0, le=10)
    # behavior id -> change per turn it is shown; merged over DEFAULT_MOOD_MOVES
    moves: dict[str, int] = {}
    ignored: int = Field(1, ge=0, le=5)  # rise when a turn shows none of the state's `expects`
    hangup_at: int | None = Field(None, ge=1, le=10)  # the caller hangs up at this mood


DEFAULT_MOOD_MOVES: dict[str, int] = {
    "empathy": -2,
    "use_name": -1,
    "restate_issue": -1,
    "take_ownership": -1,
    "argue": 2,
    "dismissive": 3,
    "jargon": 1,
}


class Patient(Strict):
    name: str
    dob: dt.date  # YYYY-MM-DD
    phone: str = ""
    pronouns: str = ""
    speech: str = ""  # how they talk (accent, pace, habits), for authors and voice actors
    voice: VoiceProfile = VoiceProfile()
    mood: MoodSpec = MoodSpec()
    # answers to questions the trainee may ask off-script: topic -> answer
    knows: dict[str, str] = {}
    # said when the trainee asks something the patient cannot answer
    confused: StrList = ["Sorry, I'm not sure what you mean.", "I don't know, honestly."]

    @field_validator("dob")
    @classmethod
    def _plausible_dob(cls, v: dt.date) -> dt.date:
        if v > dt.date.today():
            raise ValueError("date of birth is in the future")
        if v.year < 1900:
            raise ValueError("date of birth before 1900; use YYYY-MM-DD")
        return v


class Fact(Strict):
    """Something the VA can look up. ``phi``: may only be said after identity is verified."""

    salvage_whole: ClassVar[bool] = True  # its shorthand validator reshapes the input: salvaged whole

    value: str
    phi: bool = True
    spoken: list[str] = []  # other ways it is said aloud ("four twelve sixty", "April third")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        return {"value": v} if isinstance(v, (str, int, float)) else v

    @field_validator("value", mode="before")
    @classmethod
    def _str(cls, v: Any) -> Any:
        return str(v) if isinstance(v, (int, float)) else v


class Transition(Strict):
    """Where the conversation goes after a trainee turn. The first match wins."""

    when: StrList = []  # behavior ids all shown in this turn (empty: any turn)
    when_any: StrList = []  # at least one of these shown in this turn
    unless: StrList = []  # none of these shown in this turn
    after: StrList = []  # behaviors shown at any point so far in the call, this turn included
    mood_at_least: int | None = Field(None, ge=0, le=10)
    mood_below: int | None = Field(None, ge=0, le=11)
    goto: str | None = None  # a state name, or "end" (the caller hangs up); None: stay
    mood: int = Field(0, ge=-10, le=10)  # extra mood change when this transition fires
    say: Lines | None = None  # a reaction line said instead of the next state's line


class State(Strict):
    """One beat: the patient speaks, the trainee answers, a transition picks the next beat."""

    say: Lines = Lines()  # the patient's line variants for this beat
    exemplar: str = ""  # what an ideal trainee says in reply to this beat
    expects: StrList = []  # behaviors the trainee should show here (coaching, mood)
    again: Lines | None = None  # said when no transition fires (default: `say` again)
    on: list[Transition] = []
    end: bool = False  # the patient hangs up after this line
    goal: bool = False  # reaching this state means the call's purpose is met


Speaker = Literal["trainee", "patient"]
TRAINEE_ALIASES = {"va": "trainee", "trainee": "trainee"}
PATIENT_ALIASES = {"patient": "patient", "caller": "patient"}


class Turn(Strict):
    salvage_whole: ClassVar[bool] = True  # its shorthand validator reshapes the input: salvaged whole

    speaker: Speaker
    text: str
    start: float | None = Field(None, ge=0)
    end: float | None = Field(None, ge=0)
    # a spoken trainee turn: the recognised words with their probabilities ([["How", 0.98], ...]),
    # so the scorer can tell evidence recognition was unsure of (see simulator.understanding.hearing)
    words: list[tuple[str, Annotated[float, Field(ge=0, le=1)]]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        # `- va: "..."` / `- patient: "..."`, optionally with start/end
        if isinstance(v, dict) and "speaker" not in v:
            for key, speaker in {**TRAINEE_ALIASES, **PATIENT_ALIASES}.items():
                if key in v:
                    rest = {k: x for k, x in v.items() if k != key}
                    return {"speaker": speaker, "text": v[key], **rest}
            got = ", ".join(f"'{k}'" for k in v) or "nothing"
            raise ValueError(f"a turn is `- va: ...` or `- patient: ...` (or trainee/caller); got {got}")
        return v


class Expectation(Strict):
    """The outcome an example call must get from the scorer."""

    passed: bool
    blockers: StrList = []  # these blockers must fire (and, when passed: true, none may)
    escalation_correct: bool | None = None
    detects: StrList = []  # behaviors that must be found somewhere in the call
    not_detects: StrList = []  # behaviors that must not be found
    min_scores: dict[str, int] = {}  # dimension -> lowest acceptable score
    max_scores: dict[str, int] = {}  # dimension -> highest acceptable score
    worse: StrList = []  # dimensions where this (weak) call must score below the strong one

    @field_validator("min_scores", "max_scores")
    @classmethod
    def _dims(cls, v: dict[str, int]) -> dict[str, int]:
        for k, s in v.items():
            if k not in DIMENSIONS:
                raise ValueError(f"unknown dimension '{k}'; use one of {', '.join(DIMENSIONS)}")
            if not 1 <= s <= 5:
                raise ValueError(f"score for {k} must be 1-5")
        return v


class Example(Strict):
    name: str
    kind: Literal["strong", "weak"]
    about: str = ""  # what this example shows
    expect: Expectation
    turns: list[Turn] = Field(min_length=1)


class Scoring(Strict):
    """Required and forbidden behaviors with weights. Both merge over the defaults.

    ``required``/``forbidden`` take a list of ids (weight 1) or a mapping id -> weight.
    ``not_required`` drops a default requirement (e.g. ``verify_identity`` in a voicemail).
    """

    required: dict[str, float] = {}
    forbidden: dict[str, float] = {}
    not_required: StrList = []
    pass_mark: float = Field(3.0, ge=1, le=5)  # lowest average dimension score that passes

    @field_validator("required", "forbidden", mode="before")
    @classmethod
    def _weights(cls, v: Any) -> Any:
        if isinstance(v, (list, str)):
            return {k: 1.0 for k in _listify(v)}
        return v


class Mode(Strict):
    channel: Literal["call", "voicemail"] = "call"
    direction: Literal["inbound", "outbound"] = "inbound"


class Scenario(Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: str
    touchpoint: Touchpoint
    difficulty: Literal["easy", "medium", "hard"] = "medium"
    summary: str = ""  # the brief a trainee reads before the call (no spoilers)
    mode: Literal["call", "voicemail"] = "call"
    direction: Literal["inbound", "outbound"] = "inbound"
    practice: Practice  # in YAML: a name from scenarios/practices/ or an inline mapping
    patient: Patient
    facts: dict[str, Fact] = {}
    escalation: EscalationKind = "none"
    greeting_exemplar: str = ""  # the ideal first words of the VA (inbound answer / outbound intro)
    hotwords: list[str] = []  # extra words for speech recognition (medications, names)
    start: str = ""  # the first patient state (default: the first in `states`)
    states: dict[str, State] = Field(min_length=1)
    scoring: Scoring = Scoring()
    examples: list[Example] = []

    source: str = Field("", exclude=True)  # the file it was loaded from

    @property
    def first_state(self) -> str:
        return self.start or next(iter(self.states))

    @property
    def va_speaks_first(self) -> bool:
        """Inbound calls ring and the VA answers; outbound calls and voicemails start with the other end."""
        return self.direction == "inbound" and self.mode == "call"

    def required_behaviors(self, catalog: Catalog | None = None) -> dict[str, float]:
        """Default script requirements + escalation requirements + the file's own, minus not_required."""
        req: dict[str, float] = {}
        if self.mode == "voicemail":
            req.update({"greet_practice": 1, "self_identify": 1})
        else:
            req.update(
                {
                    "greet_practice": 1,
                    "self_identify": 1,
                    "verify_identity": 2,
                    "empathy": 1,
                    "offer_more_help": 1,
                    "warm_close": 1,
                }
            )
        for bid in ESCALATION_REQUIRES[self.escalation]:
            req[bid] = 3.0
        req.update(self.scoring.required)
        for bid in self.scoring.not_required:
            req.pop(bid, None)
        return req

    def forbidden_behaviors(self, catalog: Catalog) -> dict[str, float]:
        forb = {bid: 1.0 for bid in catalog.violations()}
        for bid in ALWAYS_BLOCKERS:
            forb[bid] = 3.0
        if self.mode != "voicemail":
            forb.pop("voicemail_phi", None)
        forb.update(self.scoring.forbidden)
        return forb

    def blocker_ids(self) -> tuple[str, ...]:
        out = list(ALWAYS_BLOCKERS)
        if self.mode != "voicemail":
            out.remove("voicemail_phi")
        return tuple(out)

    def exemplar_lines(self) -> list[tuple[str, str]]:
        """(state, ideal trainee line) in conversation order, greeting first."""
        out = [(RING, self.greeting_exemplar)] if self.greeting_exemplar else []
        out += [(name, s.exemplar) for name, s in self.states.items() if s.exemplar]
        return out

    def asr_hotwords(self) -> list[str]:
        words = [self.practice.name, self.patient.name, *self.practice.providers, *self.hotwords]
        return [w for w in dict.fromkeys(words) if w]


# ---------------------------------------------------------------------------------------------
# loading


def _practice_ref(data: Any, doc: yamlio.Document, root: Path, problems: list[Problem]) -> Any:
    """Replace ``practice: riverside`` with the mapping from ``practices/riverside.yaml``."""
    if not isinstance(data, dict) or not isinstance(data.get("practice"), str):
        return data
    name = data["practice"]
    path = root / "practices" / f"{name}.yaml"
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name) or not path.is_file():
        known = sorted(p.stem for p in (root / "practices").glob("*.yaml"))
        hint = f"; known practices: {', '.join(known)}" if known else ""
        problems.append(doc.problem(("practice",), f"no practice named '{name}' in {root / 'practices'}{hint}"))
        return {**data, "practice": {"name": name}}
    try:
        pdoc = yamlio.load(path)
    except yamlio.YamlProblems as exc:
        problems.extend(exc.problems)
        return {**data, "practice": {"name": name}}
    try:
        Practice.model_validate(pdoc.data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(pdoc, exc))
        return {**data, "practice": {"name": name}}
    return {**data, "practice": pdoc.data}


def _check_refs(sc: Scenario, doc: yamlio.Document, catalog: Catalog) -> list[Problem]:
    """Checks pydantic cannot do: behavior ids, transition targets, reachability, examples.

    ``sc`` may be a :func:`salvage`d scenario: parts that failed validation are missing
    (unset fields, None items). A check that depends on a missing part is skipped rather
    than guessed, so nothing is reported twice or wrongly.
    """
    problems: list[Problem] = []
    data = doc.data if isinstance(doc.data, dict) else {}

    def raw(*path: Any) -> Any:
        cur: Any = data
        for part in path:
            if isinstance(cur, dict) and isinstance(part, str):
                cur = cur.get(part)
            elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
                cur = cur[part]
            else:
                return None
        return cur

    def behavior(path: tuple, bid: Any) -> None:
        if isinstance(bid, str) and bid not in catalog:
            close = difflib.get_close_matches(bid, catalog.ids, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else " (see scenarios/behaviors.yaml)"
            problems.append(doc.problem(path, f"unknown behavior '{bid}'{hint}"))

    def behaviors(path: tuple, ids: list[str]) -> None:
        listed = isinstance(raw(*path), list)
        for j, bid in enumerate(ids):
            behavior(path + (j,) if listed else path, bid)

    def has(obj: Any, name: str, raw_obj: Any) -> bool:
        return obj is not None and not _lost(obj, raw_obj, name)

    states_known = "states" in sc.model_fields_set and isinstance(sc.__dict__.get("states"), dict)
    states: Mapping[str, State | None] = sc.states if states_known else {}
    complete = states_known  # every state and transition was read, so reachability can be judged
    names = set(states)
    if RING in names and not _lost(sc, data, "direction") and not _lost(sc, data, "mode") and not sc.va_speaks_first:
        problems.append(
            doc.problem(("states", RING), f"state '{RING}' is only for inbound calls, where the VA answers first")
        )
    if END in names:
        problems.append(
            doc.problem(("states", END), f"'{END}' is reserved (a transition to it ends the call); rename this state")
        )
    start = sc.start if has(sc, "start", data) else ""
    if start and states_known and start not in names:
        close = difflib.get_close_matches(start, list(names), n=1)
        problems.append(
            doc.problem(("start",), f"no state named '{start}'" + (f"; did you mean '{close[0]}'?" if close else ""))
        )
    dangling = False
    for name, st in states.items():
        base = ("states", name)
        rs = raw(*base)
        if st is None:
            complete = False
            continue
        if name != RING and has(st, "say", rs) and not st.say:
            problems.append(
                doc.problem(
                    base + ("say",) if isinstance(rs, dict) and "say" in rs else base,
                    "the patient needs at least one line here (say: ...)",
                )
            )
        if has(st, "expects", rs):
            behaviors(base + ("expects",), st.expects)
        if _lost(st, rs, "on") or _lost(st, rs, "end"):
            complete = False
        for t_i, tr in enumerate(st.on):
            tp = base + ("on", t_i)
            rt = raw(*tp)
            if tr is None:
                complete = False
                continue
            for fld in ("when", "when_any", "unless", "after"):
                if has(tr, fld, rt):
                    behaviors(tp + (fld,), getattr(tr, fld))
            if _lost(tr, rt, "goto"):
                complete = False
            elif tr.goto is not None and tr.goto != END and tr.goto not in names:
                dangling = True
                close = difflib.get_close_matches(tr.goto, list(names) + [END], n=1)
                problems.append(
                    doc.problem(
                        tp + ("goto",),
                        f"no state named '{tr.goto}'"
                        + (f"; did you mean '{close[0]}'?" if close else f" (states: {', '.join(names)}, or '{END}')"),
                    )
                )
            if tr.mood_at_least is not None and tr.mood_below is not None and tr.mood_below <= tr.mood_at_least:
                problems.append(
                    doc.problem(
                        tp + ("mood_below",), "mood_below must be above mood_at_least, or the transition can never fire"
                    )
                )
        if st.end and st.on and has(st, "end", rs):
            problems.append(
                doc.problem(base + ("on",), "an end state hangs up, so its transitions never run; remove `on` or `end`")
            )

    # reachability from the first state (and from `ring` on inbound calls); skipped when a
    # transition points nowhere, since every later complaint would just repeat that one, and
    # when part of the graph could not be read
    first = (start or next(iter(states), "")) if complete and not dangling and not _lost(sc, data, "start") else ""
    if first in names:
        graph = cast("Mapping[str, State]", states)  # complete: no state was lost (None)
        reach = {first} | ({RING} if RING in names else set())
        todo = list(reach)
        while todo:
            for tr in graph[todo.pop()].on:
                if tr.goto and tr.goto in names and tr.goto not in reach:
                    reach.add(tr.goto)
                    todo.append(tr.goto)
        for name in states:
            if name not in reach and name != END:
                problems.append(
                    doc.problem(
                        ("states", name), f"state '{name}' is unreachable: no transition leads to it from '{first}'"
                    )
                )
        if not any(st.end or any(tr.goto == END for tr in st.on) for n, st in graph.items() if n in reach):
            problems.append(
                doc.problem(
                    ("states",), "the call can never end: add a state with `end: true` or a transition with `goto: end`"
                )
            )

    scoring, rsc = (sc.scoring, raw("scoring")) if has(sc, "scoring", data) else (None, None)
    if scoring is not None:
        for sub in ("required", "forbidden"):
            if has(scoring, sub, rsc):
                weights = getattr(scoring, sub)
                keyed = isinstance(raw("scoring", sub), dict)
                for bid in weights:
                    behavior(("scoring", sub, bid) if keyed else ("scoring", sub), bid)
        if has(scoring, "not_required", rsc):
            for bid in scoring.not_required:
                behavior(("scoring", "not_required"), bid)
    patient = sc.__dict__.get("patient") if has(sc, "patient", data) else None
    mood = patient.__dict__.get("mood") if has(patient, "mood", raw("patient")) else None
    if mood is not None and has(mood, "moves", raw("patient", "mood")):
        for bid in mood.moves:
            behavior(("patient", "mood", "moves", bid), bid)
    voice = patient.__dict__.get("voice") if has(patient, "voice", raw("patient")) else None
    if voice is not None and isinstance(raw("patient", "voice"), dict) and "voice" in raw("patient", "voice"):
        why = voice_problem(voice)
        if why:
            problems.append(doc.problem(("patient", "voice", "voice"), why))

    if _lost(sc, data, "examples"):
        return problems
    examples = sc.examples
    kinds = {getattr(e, "kind", None) for e in examples}
    if None not in kinds:  # every example's kind was read
        for kind in ("strong", "weak"):
            if kind not in kinds:
                problems.append(
                    doc.problem(
                        ("examples",) if "examples" in data else (),
                        f"missing a {kind} example call (examples: - name: ..., kind: {kind}, expect: ..., turns: ...)",
                    )
                )
    seen: dict[str, int] = {}
    for i, ex in enumerate(examples):
        if ex is None:
            continue
        ep = ("examples", i)
        ex_name = ex.__dict__.get("name")
        if isinstance(ex_name, str):
            if ex_name in seen:
                problems.append(
                    doc.problem(ep + ("name",), f"duplicate example name '{ex_name}' (also examples[{seen[ex_name]}])")
                )
            seen.setdefault(ex_name, i)
        expect = ex.__dict__.get("expect")
        if expect is not None:
            rexp = raw(*ep, "expect")
            for fld in ("blockers", "detects", "not_detects"):
                if has(expect, fld, rexp):
                    for bid in getattr(expect, fld):
                        behavior(ep + ("expect", fld), bid)
            if has(expect, "worse", rexp):
                for dim in expect.worse:
                    if dim not in DIMENSIONS:
                        problems.append(
                            doc.problem(
                                ep + ("expect", "worse"),
                                f"unknown dimension '{dim}'; use one of {', '.join(DIMENSIONS)}",
                            )
                        )
            passed = expect.__dict__.get("passed")
            if ex.__dict__.get("kind") == "strong" and passed is False:
                problems.append(
                    doc.problem(ep + ("expect", "passed"), "a strong example must pass (expect: {passed: true})")
                )
            if passed is True and has(expect, "blockers", rexp) and expect.blockers:
                problems.append(
                    doc.problem(ep + ("expect", "blockers"), "an example that passes cannot expect blockers")
                )
        turns = ex.__dict__.get("turns")
        if isinstance(turns, list) and turns and None not in turns and not any(t.speaker == "trainee" for t in turns):
            problems.append(doc.problem(ep + ("turns",), "an example call needs at least one VA turn"))
    return problems


def parse(doc: yamlio.Document, root: Path | None = None, catalog: Catalog | None = None) -> Scenario:
    """Validate a loaded document as a scenario, or raise :class:`ProblemsError` with all problems.

    Type errors and cross-reference errors are reported together: when pydantic rejects
    part of the file, the reference checks still run on the parts that did validate.
    """
    root = root or scenarios_dir()
    problems: list[Problem] = list(doc.problems)  # e.g. duplicate keys, read past so the rest is checked too
    if not isinstance(doc.data, dict):
        raise ProblemsError(
            problems + [doc.problem((), f"a scenario must be a YAML mapping (key: value), got {_yaml_type(doc.data)}")]
        )
    data = _practice_ref(doc.data, doc, root, problems)
    try:
        sc = Scenario.model_validate({**data, "source": doc.file})
        valid = True
    except ValidationError as exc:
        problems += pydantic_problems(doc, exc, Scenario)
        sc = salvage(Scenario, data)
        valid = False
    if catalog is None:
        catalog = load_catalog(root if (root / "behaviors.yaml").exists() else None)
    if sc is not None:
        problems += _check_refs(sc, doc, catalog)
    for path in doc.comma_splits:
        # only what the caller says: lists of ids ([empathy, use_name]) are meant item by item
        if path[:1] in (("states",), ("patient",)) and len(path) >= 2 and path[-2] in _LINE_KEYS:
            problems.append(
                doc.problem(
                    path,
                    f"'{_raw_at(doc.data, path)}' looks like part of a line cut at a comma: "
                    "in [a, b] every comma starts a new line variant; put each line in quotes "
                    "([\"Sure, it's me.\"]) or write one '- ' item per line",
                )
            )
    if problems or not valid:
        raise ProblemsError(list(dict.fromkeys(problems)))
    return sc


_LINE_KEYS = ("say", "again", "calm", "upset", "angry", "any", "confused")


def _raw_at(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def load_file(path: Path, display: str | None = None, root: Path | None = None) -> Scenario:
    try:
        doc = yamlio.load(path, display, duplicates="report")
    except yamlio.YamlProblems as exc:
        raise ProblemsError(exc.problems) from None
    raw_id = doc.data.get("id") if isinstance(doc.data, dict) else None
    mismatch = (
        [doc.problem(("id",), f"id '{raw_id}' does not match the file name '{path.name}'; rename one of them")]
        if isinstance(raw_id, str) and re.fullmatch(ID_PATTERN, raw_id) and raw_id != path.stem
        else []
    )
    try:
        sc = parse(doc, root=root or _root_for(path))
    except ProblemsError as exc:
        raise ProblemsError(exc.problems + mismatch) from None
    if mismatch:
        raise ProblemsError(mismatch)
    return sc


def _root_for(path: Path) -> Path:
    """The library root for a file: the nearest parent with a behaviors.yaml, else the default."""
    for parent in path.resolve().parents:
        if (parent / "behaviors.yaml").is_file():
            return parent
    return scenarios_dir()


def scenario_files(root: Path | None = None) -> list[Path]:
    root = root or scenarios_dir()
    return sorted(p for p in root.glob("*.yaml") if p.name != "behaviors.yaml")


def validate_paths(paths: list[Path]) -> tuple[list[Scenario], list[Problem]]:
    """Validate files and directories; every problem of every file, plus duplicate ids."""
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    files: list[tuple[Path, str]] = []
    for p in paths:
        if p.is_dir():
            found = scenario_files(p)
            if not found:
                problems.append(Problem(str(p), 1, 1, "(file)", "no scenario files (*.yaml) in this directory"))
            files += [(f, str(f)) for f in found]
        else:
            files.append((p, str(p)))
    ids: dict[str, str] = {}
    for f, display in files:
        try:
            sc = load_file(f, display)
        except ProblemsError as exc:
            problems += exc.problems
            continue
        if sc.id in ids:
            problems.append(Problem(display, 1, 1, "id", f"duplicate scenario id '{sc.id}' (also in {ids[sc.id]})"))
            continue
        ids[sc.id] = display
        scenarios.append(sc)
    return scenarios, problems


@lru_cache(maxsize=64)
def _load_by_id(sid: str, root: str) -> Scenario:
    path = Path(root) / f"{sid}.yaml"
    return load_file(path, str(path))


def load(ref: str) -> Scenario:
    """A scenario by id (from the library) or by path."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or "/" in ref or p.exists():
        return load_file(p, ref)
    root = scenarios_dir()
    if not (root / f"{ref}.yaml").is_file():
        from simulator.errors import UserError

        known = [f.stem for f in scenario_files(root)]
        close = difflib.get_close_matches(ref, known, n=1)
        raise UserError(
            f"{ref}: no such scenario"
            + (f"; did you mean '{close[0]}'?" if close else "")
            + " (vasim scenario list shows them)"
        )
    return _load_by_id(ref, str(root))


def all_scenarios(root: Path | None = None) -> list[Scenario]:
    scs, problems = validate_paths([root or scenarios_dir()])
    if problems:
        raise ProblemsError(problems)
    return scs


def json_schema() -> dict:
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "va-simulator scenario"
    # `practice` may also be the name of a file in scenarios/practices/
    props = schema.get("properties", {})
    if "practice" in props:
        props["practice"] = {
            "anyOf": [{"type": "string", "description": "name of scenarios/practices/NAME.yaml"}, props["practice"]]
        }
    props.pop("source", None)
    return schema
