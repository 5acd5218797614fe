"""How closely the scorer agrees with human reviewers, in the figures a QA lead asks for.

A :class:`Review` is what a reviewer said of one call: the verdict, the blockers that must fire,
the escalation verdict and, per dimension, the band of scores they would accept (``[lo, hi]``; a
trainer's single score is a band of one). :func:`agreement` compares scorecards with reviews:

* **pass/fail agreement**, and per kind of call (strong, mediocre, failing) when known;
* **blockers**: recall and precision over (call, blocker id) pairs, and strong calls given a
  blocker a reviewer did not name (false blockers);
* **escalation verdict** agreement;
* per **dimension**: inside the reviewer's band, exact and within-one agreement with the band's
  nearer edge, and quadratic-weighted kappa between the score and that edge.

Used by ``vasim bench score`` (reviewer-scored call sets) and ``vasim review agreement`` (the
trainers' own reviews in the results store).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulator.authoring.catalog import DIMENSIONS
from simulator.errors import Problem, ProblemsError
from simulator.stats import quadratic_weighted_kappa


@dataclass(frozen=True)
class Review:
    call: str  # file name or session id
    passed: bool
    blockers: frozenset[str] = frozenset()
    escalation_correct: bool | None = None
    bands: dict[str, tuple[int, int]] = field(default_factory=dict)
    kind: str = ""  # strong | mediocre | failing, when known


@dataclass(frozen=True)
class Scored:
    """What the scorer said of the same call (the parts agreement compares)."""

    passed: bool
    blockers: frozenset[str]
    escalation_correct: bool
    scores: dict[str, int]

    @classmethod
    def of(cls, card: Any) -> Scored:
        return cls(
            passed=card.passed,
            blockers=frozenset(b.id for b in card.blockers),
            escalation_correct=card.escalation.correct,
            scores=card.scores(),
        )


@dataclass
class Agreement:
    calls: int = 0
    pass_fail: float = 0.0
    by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (agreed, calls)
    blocker_recall: float | None = None
    blocker_precision: float | None = None
    blockers_named: int = 0
    blockers_found: int = 0
    false_blockers_on_strong: int = 0
    escalation: float | None = None
    in_band: dict[str, float] = field(default_factory=dict)
    exact: dict[str, float] = field(default_factory=dict)
    within_one: dict[str, float] = field(default_factory=dict)
    kappa: dict[str, float | None] = field(default_factory=dict)
    disagreements: list[str] = field(default_factory=list)

    @property
    def in_band_all(self) -> float:
        vals = list(self.in_band.values())
        return float(np.mean(vals)) if vals else 0.0

    def to_json(self) -> dict:
        return {
            "calls": self.calls,
            "pass_fail_agreement": round(self.pass_fail, 3),
            "by_kind": {k: {"agreed": a, "calls": n} for k, (a, n) in self.by_kind.items()},
            "blocker_recall": None if self.blocker_recall is None else round(self.blocker_recall, 3),
            "blocker_precision": None if self.blocker_precision is None else round(self.blocker_precision, 3),
            "blockers_named": self.blockers_named,
            "blockers_found": self.blockers_found,
            "false_blockers_on_strong_calls": self.false_blockers_on_strong,
            "escalation_agreement": None if self.escalation is None else round(self.escalation, 3),
            "dimensions": {
                d: {
                    "in_band": round(self.in_band[d], 3),
                    "exact": round(self.exact[d], 3),
                    "within_one": round(self.within_one[d], 3),
                    "kappa": _r3(self.kappa[d]),
                }
                for d in self.in_band
            },
            "in_band_all": round(self.in_band_all, 3),
        }


def _r3(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


def nearer_edge(score: int, band: tuple[int, int]) -> int:
    lo, hi = band
    return min(max(score, lo), hi)


def agreement(pairs: Iterable[tuple[Scored, Review]]) -> Agreement:
    pairs = list(pairs)
    out = Agreement(calls=len(pairs))
    if not pairs:
        return out
    out.pass_fail = sum(s.passed == r.passed for s, r in pairs) / len(pairs)
    for s, r in pairs:
        if r.kind:
            a, n = out.by_kind.get(r.kind, (0, 0))
            out.by_kind[r.kind] = (a + (s.passed == r.passed), n + 1)
        if s.passed != r.passed:
            out.disagreements.append(
                f"{r.call}: scorer {'PASS' if s.passed else 'FAIL'}, reviewer {'PASS' if r.passed else 'FAIL'}"
            )
    named = sum(len(r.blockers) for _, r in pairs)
    found = sum(len(s.blockers) for s, _ in pairs)
    both = sum(len(s.blockers & r.blockers) for s, r in pairs)
    out.blockers_named, out.blockers_found = named, found
    out.blocker_recall = both / named if named else None
    out.blocker_precision = both / found if found else None
    out.false_blockers_on_strong = sum(1 for s, r in pairs if r.kind == "strong" and (s.blockers - r.blockers))
    esc = [(s, r) for s, r in pairs if r.escalation_correct is not None]
    out.escalation = sum(s.escalation_correct == r.escalation_correct for s, r in esc) / len(esc) if esc else None
    for d in DIMENSIONS:
        rows = [(s.scores[d], r.bands[d]) for s, r in pairs if d in r.bands and d in s.scores]
        if not rows:
            continue
        edges = [nearer_edge(x, band) for x, band in rows]
        out.in_band[d] = sum(band[0] <= x <= band[1] for x, band in rows) / len(rows)
        out.exact[d] = sum(x == e for (x, _), e in zip(rows, edges)) / len(rows)
        out.within_one[d] = sum(abs(x - e) <= 1 for (x, _), e in zip(rows, edges)) / len(rows)
        out.kappa[d] = quadratic_weighted_kappa([x for x, _ in rows], edges)
    return out


# --------------------------------------------------------------------------- reviewer-scored call files


def load_review(path: Path) -> tuple[dict, Review]:
    """A reviewer-scored call file (``tests/data/calls/*/``): the transcript and its review."""
    where = str(path)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ProblemsError([Problem(where, 1, 1, "(file)", f"cannot read a reviewed call ({exc})")]) from None
    rev = doc.get("review")
    if not isinstance(rev, dict) or "passed" not in rev:
        raise ProblemsError([Problem(where, 1, 1, "review", "missing: a reviewed call needs review.passed")])
    bands = {d: (int(v[0]), int(v[1])) for d, v in (rev.get("bands") or {}).items()}
    kind = Path(path).stem.split("--")[-1].split("-")[0] if "--" in Path(path).stem else ""
    return doc, Review(
        call=Path(path).name,
        passed=bool(rev["passed"]),
        blockers=frozenset(b["id"] for b in rev.get("blockers", [])),
        escalation_correct=rev.get("escalation_correct"),
        bands=bands,
        kind=kind,
    )
