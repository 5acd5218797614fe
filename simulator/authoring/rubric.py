"""The QA rubric as data: anchored levels and observable checks per dimension (docs/scoring.md).

Defaults live in the catalog (``scenarios/behaviors.yaml``, ``rubric:``); a scenario's
``scoring.rubric`` and an assessment's ``rubric`` override them dimension by dimension (a check,
fault or harm list given there replaces the default's; levels merge by number). The scorer
(:mod:`simulator.scoring.rubric`) turns a call into a level per dimension with it.
"""

from __future__ import annotations

from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

DimensionName = Literal["greeting", "empathy", "accuracy", "escalation", "closing"]

# Checks the scorer computes from the whole call (not a behavior id): see docs/scoring.md
COMPUTED_CHECKS = frozenset(
    {
        "opening_offer",
        "verified_first",
        "empathy_early",
        "courtesy",
        "facts_correct",
        "expected_facts",
        "escalation_required",
        "escalation_recommended",
        "in_scope",
    }
)
COMPUTED_FAULTS = frozenset({"wrong_fact_minor", "escalation_late", "needless_transfer", "over_escalation"})
# and unsure_<dimension>: a violation of that dimension the detector was unsure of (added by the scorer)
COMPUTED_HARM = frozenset({"wrong_fact_critical", "escalation_missed", "escalation_very_late"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Check(_Strict):
    """Something a good call does, worth ``points`` of the dimension's credit."""

    id: str  # a behavior id or a computed check
    points: float = Field(1.0, gt=0)
    did: str = ""  # how the scorecard says it was done ("named the practice")
    missed: str = ""  # how it says it was not ("did not name the practice")


class Fault(_Strict):
    points: float = Field(1.0, gt=0)
    says: str = ""


class DimensionRubric(_Strict):
    weight: float = Field(1.0, ge=0)  # in the call's weighted mean
    levels: dict[int, str] = {}  # 1..5 -> what that level looks like
    checks: list[Check] = []
    faults: dict[str, Fault] = {}  # behavior id or computed fault -> its cost
    harm: list[str] = []  # behavior ids or computed harm that make the dimension a 1

    @field_validator("levels")
    @classmethod
    def _levels(cls, v: dict[int, str]) -> dict[int, str]:
        bad = [k for k in v if k not in (1, 2, 3, 4, 5)]
        if bad:
            raise ValueError(f"levels are 1 to 5, not {bad}")
        return v

    def merged(self, other: DimensionRubric | None, fields: set[str] | None = None) -> DimensionRubric:
        """This dimension with ``other``'s fields laid over it (only those ``other`` sets)."""
        if other is None:
            return self
        given = fields if fields is not None else other.model_fields_set
        update: dict = {}
        for f in given:
            update[f] = {**self.levels, **other.levels} if f == "levels" else getattr(other, f)
        return self.model_copy(update=update)


class Rubric(RootModel[dict[DimensionName, DimensionRubric]]):
    """Dimension -> its rubric."""

    def get(self, dim: str) -> DimensionRubric:
        return self.root.get(cast("DimensionName", dim), DimensionRubric())

    def over(self, override: Rubric | dict | None) -> Rubric:
        """This rubric with ``override`` laid over it, dimension by dimension."""
        if not override:
            return self
        other = override if isinstance(override, Rubric) else Rubric.model_validate(override)
        merged = dict(self.root)
        for dim, d in other.root.items():
            merged[dim] = merged[dim].merged(d) if dim in merged else d
        return Rubric(merged)
