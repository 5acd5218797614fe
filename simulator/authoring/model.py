"""The scenario format as data: the pydantic models of one role-play file.

A scenario describes the practice, the patient persona, the facts the VA can look up,
the conversation as states ("beats") with line variants and transitions on the
behaviors the trainee shows, the expected escalation, the scoring rules, and example
calls that act as the scenario's own tests. ``docs/scenario-format.md`` explains every
field; ``vasim scenario schema`` prints the JSON Schema. Checks that pydantic cannot do
(references between parts) are in :mod:`simulator.authoring.checks`; reading files and the
library is :mod:`simulator.authoring.scenario`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from simulator.authoring.catalog import DIMENSIONS, Catalog
from simulator.authoring.policy import ALWAYS_BLOCKERS, ESCALATION_REQUIRES
from simulator.authoring.rubric import Rubric
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


Temperament = Literal[
    "neutral", "frustrated", "withdrawn_crisis", "anxious_parent", "chatty_older", "non_native", "formal", "busy"
]
TEMPERAMENTS: tuple[str, ...] = Temperament.__args__  # type: ignore[attr-defined]


class Reactions(Strict):
    """The caller's own lines for what the VA does besides the scenario's beats. Each is line
    variants (by mood band if wanted); left out, the temperament's default is said
    (``simulator/call/temperament.py``). Placeholders: ``{line}`` (repeat: the caller's last
    line), ``{spelled}`` and ``{word}`` (spell), ``{phone}`` (callback), ``{name}`` and ``{dob}``
    (identity), ``{slot}`` (accept, decline), ``{value}`` (contest)."""

    hold: Lines | None = None  # the VA asks the caller to hold
    repeat: Lines | None = None  # the VA asks the caller to say it again ({line})
    small_talk: Lines | None = None  # chit-chat outside the task
    brush_off: Lines | None = None  # the VA dismisses, argues, or waves the concern away
    jargon: Lines | None = None  # the VA uses words the caller does not know
    mishear: Lines | None = None  # the caller could not make out the VA's words
    confused: Lines | None = None  # a question the caller cannot answer
    acknowledge: Lines | None = None  # the VA explains something; nothing else to say
    transfer: Lines | None = None  # a live transfer is announced
    escalation: Lines | None = None  # a message, flag or referral is announced
    emergency_911: Lines | None = None  # the VA tells the caller to call 911
    crisis_line: Lines | None = None  # the VA gives the 988 crisis line
    stay_on_line: Lines | None = None  # the VA promises to stay on the line
    early_close: Lines | None = None  # the VA closes before the caller's need is met
    goodbye: Lines | None = None  # the VA closes once the need is met
    hangup: Lines | None = None  # the caller gives up (mood at hangup_at)
    identity: Lines | None = None  # name and date of birth ({name}, {dob})
    spell: Lines | None = None  # spelling a name ({word}, {spelled})
    callback: Lines | None = None  # the callback number ({phone})
    accept: Lines | None = None  # an offered slot fits the caller's wants ({slot})
    decline: Lines | None = None  # an offered slot does not fit ({slot}); say why
    contest: Lines | None = None  # the VA states a fact the caller knows is wrong ({value})

    def get(self, name: str) -> Lines | None:
        return getattr(self, name, None)


REACTION_NAMES: tuple[str, ...] = tuple(Reactions.model_fields)


class CallerFact(Strict):
    """Something the caller knows to be true (their bill, their pharmacy, when the pain began).

    A VA statement about it (a clause with one of the ``about`` words, not a question asking
    for it) that states another value is contested: with ``say``, or the temperament's
    ``contest`` line. Amounts, times, dates, days, counts and doses are compared as values;
    anything else by words: a sentence that claims a value (one of ``wrong``, a number, or a
    name the caller does not know to be right) is right when it has one of ``same``."""

    salvage_whole: ClassVar[bool] = True

    value: str  # as the caller says it
    about: StrList = []  # words that show a statement is about this fact
    same: StrList = []  # words that show a statement gets it right (text facts)
    wrong: StrList = []  # words that name a wrong value ("left" for the right knee; "cvs" for Walgreens)
    say: Lines | None = None  # the correction

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        return {"value": v} if isinstance(v, (str, int, float)) else v


class Window(Strict):
    """Days and times that suit the caller: ``days`` (weekday names; empty: any day),
    ``after`` / ``before`` (times such as "3:30 pm")."""

    days: StrList = []
    after: str = ""
    before: str = ""


class Wants(Strict):
    """What an offered slot must fit. A slot is a day, date and/or time the VA offers; it fits
    when it falls in one of ``slots`` (none: no slot fits, every offer is declined) and before
    ``by`` (a weekday or a date, e.g. "friday", "June 15"). The caller then says ``accept`` or
    ``decline`` (``reactions``), or ``late`` for a slot after ``by``."""

    slots: list[Window] = []
    by: str = ""
    late: Lines | None = None  # said for a slot after ``by`` (default: decline)


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
    # how this caller reacts to what the VA does besides the scenario's beats (defaults per temperament)
    temperament: Temperament = "neutral"
    reactions: Reactions = Reactions()  # the scenario's own lines, over the temperament's
    facts: dict[str, CallerFact] = {}  # what the caller knows to be true: wrong statements are contested
    wants: Wants | None = None  # what an offered slot must fit

    @field_validator("dob")
    @classmethod
    def _plausible_dob(cls, v: dt.date) -> dt.date:
        if v > dt.date.today():
            raise ValueError("date of birth is in the future")
        if v.year < 1900:
            raise ValueError("date of birth before 1900; use YYYY-MM-DD")
        return v


class Caller(Strict):
    """Who is on the line, when it is not the patient (the scorer holds the VA to it).

    ``role``: ``patient`` (default), ``parent`` (of a minor patient: authorised once the child's
    identity is verified), ``guardian``, ``spouse``, ``relative`` or ``other``. ``authorized``:
    whether this person may hear the patient's account or chart details (default: yes for the
    patient, a parent or a guardian; no for anyone else). ``name``/``dob``: the caller's own,
    when they differ from the patient's."""

    role: Literal["patient", "parent", "guardian", "spouse", "relative", "other"] = "patient"
    authorized: bool | None = None
    name: str = ""
    dob: dt.date | None = None

    @model_validator(mode="after")
    def _default_authority(self) -> Caller:
        if self.authorized is None:
            object.__setattr__(self, "authorized", self.role in ("patient", "parent", "guardian"))
        return self


class Fact(Strict):
    """Something the VA can look up. ``phi``: may only be said after identity is verified.

    The scorer compares what the trainee states with ``value`` (see ``scoring.facts``):
    ``about`` adds words that say a statement is about this fact, ``expected`` marks a fact the
    VA should tell the caller, ``critical`` says whether stating it wrongly misleads the caller
    (default: an account or chart detail, ``phi``, with an amount, date, time or count)."""

    salvage_whole: ClassVar[bool] = True  # its shorthand validator reshapes the input: salvaged whole

    value: str
    phi: bool = True
    spoken: list[str] = []  # other ways it is said aloud ("four twelve sixty", "April third")
    about: list[str] = []  # words a statement about it may use ("owe", "due")
    expected: bool = False  # the VA should tell the caller this
    critical: bool | None = None  # None: decided from phi and the kind of value

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
    acts: StrList = []  # at least one of these dialogue acts done in this turn (docs/behaviors.md)


class State(Strict):
    """One beat: the patient speaks, the trainee answers, a transition picks the next beat."""

    say: Lines = Lines()  # the patient's line variants for this beat
    exemplar: str = ""  # what an ideal trainee says in reply to this beat
    expects: StrList = []  # behaviors the trainee should show here (coaching, mood)
    again: Lines | None = None  # said when no transition fires (default: `say` again)
    on: list[Transition] = []
    end: bool = False  # the patient hangs up after this line
    goal: bool = False  # reaching this state means the call's purpose is met
    # words of the VA that already answer this beat's question (e.g. [hours, "eight to five"]): when
    # the VA said one earlier in the call, the caller does not ask it again and goes on to the next beat
    asks_about: StrList = []


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


class Probe(Strict):
    """A check of the simulated caller: after the ``before`` trainee turns, the reply to
    ``trainee`` must contain one of ``must_any`` (when given) and none of ``must_not``
    (case-insensitive). An ended call replies "". ``vasim scenario test`` runs them."""

    trainee: str
    before: StrList = []
    must_any: StrList = []
    must_not: StrList = []
    about: str = ""  # what the probe checks
    act: str = ""  # the kind of turn (for reports)
    fits: str = ""  # what a fitting reply does, in words


class Scoring(Strict):
    """Required and forbidden behaviors with weights. Both merge over the defaults.

    ``required``/``forbidden`` take a list of ids (weight 1) or a mapping id -> weight.
    ``not_required`` drops a default requirement (e.g. ``verify_identity`` in a voicemail).
    """

    required: dict[str, float] = {}
    forbidden: dict[str, float] = {}
    not_required: StrList = []
    pass_mark: float | None = Field(None, ge=1, le=5)  # lowest weighted mean that passes (default: the policy's)
    rubric: Rubric | None = None  # overrides of the catalog's rubric, dimension by dimension (docs/scoring.md)

    @field_validator("required", "forbidden", mode="before")
    @classmethod
    def _weights(cls, v: Any) -> Any:
        if isinstance(v, (list, str)):
            return {k: 1.0 for k in _listify(v)}
        return v


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
    caller: Caller = Caller()  # who calls, when it is not the patient (third parties: see Caller)
    facts: dict[str, Fact] = {}
    escalation: EscalationKind = "none"
    # words of the caller that make the escalation necessary ("chest", "pain"): the scorer times
    # the escalation from the first caller turn that says one (default: the caller's first turn)
    escalation_cues: list[str] = []
    greeting_exemplar: str = ""  # the ideal first words of the VA (inbound answer / outbound intro)
    hotwords: list[str] = []  # extra words for speech recognition (medications, names)
    start: str = ""  # the first patient state (default: the first in `states`)
    states: dict[str, State] = Field(min_length=1)
    scoring: Scoring = Scoring()
    examples: list[Example] = []
    probes: list[Probe] = []  # trainee lines and what the caller's reply must (not) say

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
