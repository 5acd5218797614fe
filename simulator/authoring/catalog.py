"""The behavior catalog: what the scorer looks for in a trainee's turns.

The catalog is data (``scenarios/behaviors.yaml``); the ids in DESIGN.md are fixed and
trainers can add more in ``scenarios/behaviors.d/*.yaml``. Each behavior says what it
means, which QA dimension it counts toward, its polarity (something to do, or a
violation), and example phrases — positives and near-miss negatives — that detection
is built from and tested against.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.authoring import yamlio
from simulator.authoring.problems import pydantic_problems
from simulator.authoring.rubric import DimensionName, DimensionRubric, Rubric
from simulator.errors import Problem, ProblemsError
from simulator.paths import scenarios_dir

Dimension = Literal["greeting", "empathy", "accuracy", "escalation", "closing"]
DIMENSIONS: tuple[str, ...] = ("greeting", "empathy", "accuracy", "escalation", "closing")

# The ids DESIGN.md fixes; the catalog file must define every one of them.
FIXED_IDS: tuple[str, ...] = (
    "greet_practice",
    "self_identify",
    "verify_identity",
    "restate_issue",
    "empathy",
    "use_name",
    "take_ownership",
    "advise_911",
    "stay_on_line",
    "transfer_clinical",
    "crisis_line_988",
    "flag_clinical",
    "route_records",
    "escalate_manager",
    "flag_billing",
    "offer_more_help",
    "next_steps",
    "warm_close",
    "medical_advice",
    "promise_outcome",
    "override_clinical",
    "argue",
    "dismissive",
    "jargon",
    "voicemail_phi",
    "disclose_before_verify",
)
ESCALATION_ACTIONS: tuple[str, ...] = (
    "advise_911",
    "stay_on_line",
    "transfer_clinical",
    "crisis_line_988",
    "flag_clinical",
    "route_records",
    "escalate_manager",
    "flag_billing",
)


class Behavior(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = ""  # filled from the mapping key
    meaning: str  # one sentence a trainee understands
    dimension: Dimension  # the QA dimension it counts toward
    polarity: Literal["positive", "negative"]  # positive: do it; negative: a violation
    stage: Literal["opening", "core", "escalation", "closing", "violation"]
    needs: list[Literal["practice", "patient", "voicemail"]] = []  # context detection needs
    detect: Literal["text", "sequence"] = "text"  # sequence: found by the scorer, not per turn
    examples: list[str] = []  # things a trainee might say that ARE this behavior
    near_misses: list[str] = []  # things that look close but are NOT this behavior
    tip: str = ""  # coaching advice when it is missed (positive) or shown (negative)
    threshold: float | None = Field(default=None, ge=0, le=1)  # detection threshold override


class CatalogFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    behaviors: dict[str, Behavior]
    rubric: Rubric | None = None  # the QA rubric's defaults (docs/scoring.md)


class Catalog:
    """All behaviors by id, in file order, and the QA rubric's defaults (raw mapping)."""

    def __init__(self, behaviors: dict[str, Behavior], rubric: dict[DimensionName, DimensionRubric] | None = None):
        self.behaviors = behaviors
        self.rubric = Rubric(rubric or {})

    def __contains__(self, bid: object) -> bool:
        return bid in self.behaviors

    def __getitem__(self, bid: str) -> Behavior:
        return self.behaviors[bid]

    def get(self, bid: str, default: Behavior | None = None) -> Behavior | None:
        return self.behaviors.get(bid, default)

    def __iter__(self):
        return iter(self.behaviors.values())

    @property
    def ids(self) -> list[str]:
        return list(self.behaviors)

    def positive(self) -> list[str]:
        return [b.id for b in self if b.polarity == "positive"]

    def violations(self) -> list[str]:
        return [b.id for b in self if b.polarity == "negative"]


def catalog_files(root: Path | None = None) -> list[Path]:
    root = root or scenarios_dir()
    files = [root / "behaviors.yaml"]
    extra = root / "behaviors.d"
    if extra.is_dir():
        files += sorted(extra.glob("*.yaml"))
    return files


def load_catalog(root: Path | None = None) -> Catalog:
    """Load the catalog (and trainers' additions) or raise :class:`ProblemsError`."""
    return _load_catalog(str(root or scenarios_dir()))


@lru_cache(maxsize=4)
def _load_catalog(root: str) -> Catalog:

    problems: list[Problem] = []
    behaviors: dict[str, Behavior] = {}
    rubric: dict[DimensionName, DimensionRubric] = {}
    for i, path in enumerate(catalog_files(Path(root))):
        try:
            doc = yamlio.load(path)
        except yamlio.YamlProblems as exc:
            problems += exc.problems
            continue
        try:
            parsed = CatalogFile.model_validate(doc.data)
        except ValidationError as exc:
            problems += pydantic_problems(doc, exc)
            continue
        if parsed.rubric is not None:
            rubric.update(parsed.rubric.root)
        for bid, beh in parsed.behaviors.items():
            if bid in behaviors:
                problems.append(doc.problem(("behaviors", bid), f"behavior '{bid}' is already defined; pick a new id"))
                continue
            behaviors[bid] = beh.model_copy(update={"id": bid})
        if i == 0:
            for bid in FIXED_IDS:
                if bid not in behaviors:
                    problems.append(doc.problem(("behaviors",), f"missing fixed behavior '{bid}' (see DESIGN.md)"))
    if problems:
        raise ProblemsError(problems)
    return Catalog(behaviors, rubric)
