"""The scorecard as data: what a scored call says (DESIGN.md, "Scorecard JSON"; extra keys
are additive). Built by ``scoring.score``, coached by ``scoring.feedback``, drawn by
``console.scorecard`` and stored by ``records``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

QUOTE_CHARS = 160  # quotes longer than this are cut at a word boundary


EvidenceKind = Literal["shown", "violation", "note"]


class Evidence(BaseModel):
    """A turn that earned (``shown``) or cost (``violation``) points in a dimension."""

    id: str
    turn: int | None
    quote: str
    time: float | None = None  # the turn's start in seconds, when the transcript has times
    kind: EvidenceKind = "shown"
    note: str = ""  # what the scorer concluded ("you said $240; the balance is $185.00")


class CheckResult(BaseModel):
    """One rubric check of a dimension: its points, what the call earned, and how to say it."""

    id: str
    points: float
    earned: float
    said: str  # "named the practice" / "did not name the practice"
    turn: int | None = None


class DimensionScore(BaseModel):
    score: int = Field(ge=1, le=5)
    why: str = ""  # the reviewer's line: the level's anchor, then what was done, missed or wrong
    evidence: list[Evidence] = []
    missed: list[str] = []  # rubric checks not met at all
    checks: list[CheckResult] = []
    judged: bool = True  # False: nothing in this call to judge (the dimension's 5 is free)


class Blocker(BaseModel):
    id: str
    turn: int | None
    quote: str = ""
    reason: str = ""


class BehaviorHit(BaseModel):
    id: str
    turn: int
    quote: str
    confidence: float
    time: float | None = None
    heard: float | None = None  # spoken turns: the lowest word probability recognition gave the quote
    uncertain: bool = False  # ``heard`` under hearing.SURE_P: a violation so heard is not counted, only listed
    note: str = ""  # for scorer findings (a disclosure: what was disclosed)


class EscalationCheck(BaseModel):
    expected: str
    observed: list[str]  # escalation actions shown, in order of first appearance
    correct: bool
    missing: list[str] = []
    needless: list[str] = []  # wrong urgency for this kind (e.g. a transfer when none is needed)
    over: list[str] = []  # more than needed but safe
    recommended_missing: list[str] = []
    trigger_turn: int | None = None  # the caller turn that made the escalation necessary
    action_turn: int | None = None  # the trainee turn that made it
    late_by: int | None = None  # trainee turns between the two (0: at once)
    delay_s: float | None = None  # seconds between them, when the call was spoken


class Stat(BaseModel):
    median: float
    max: float


class Silence(BaseModel):
    after_turn: int
    seconds: float


class Timing(BaseModel):
    """Delivery metrics. Times need ``start``/``end`` on every turn; fillers never do."""

    response_latency_s: Stat | None = None  # patient stops -> trainee starts
    talk_ratio: float | None = None  # trainee talk time / all talk time
    speaking_rate_wpm: float | None = None  # trainee words per minute of trainee talk
    long_silences: list[Silence] = []  # gaps over 3 s between turns
    filler_words: int = 0
    filler_rate: float = 0.0  # fillers per 100 trainee words


class Tip(BaseModel):
    """One coaching point: what to change, what was said, what better sounds like."""

    stage: Literal["Opening and identification", "Core response", "Empathy phrase", "Closing", "Delivery"]
    behavior: str | None = None
    kind: Literal["blocker", "violation", "missed", "timing"]
    turn: int | None = None
    said: str = ""
    better: str = ""
    text: str


class Scorecard(BaseModel):
    scenario: str
    passed: bool
    blockers: list[Blocker]
    dimensions: dict[str, DimensionScore]
    behaviors: list[BehaviorHit]
    escalation: EscalationCheck
    timing: Timing
    feedback: list[str] = []
    # additive keys
    average: float = 0.0
    pass_mark: float = 3.0
    mode: str = "call"
    tips: list[Tip] = []
    # evidence recognition was unsure of: for the trainer to check against the recording
    review: list[str] = []

    def detected(self) -> set[str]:
        return {b.id for b in self.behaviors}

    def scores(self) -> dict[str, int]:
        return {d: s.score for d, s in self.dimensions.items()}


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " ..."
