"""From what a call showed to a 1-5 level per dimension, with the reasons a reviewer would give.

The scorer gathers :class:`Findings` (which checks were met, with evidence; which faults and
harm occurred, with evidence) and :func:`level` applies one dimension's rubric
(:class:`~simulator.authoring.rubric.DimensionRubric`) to them:

* **harm** (argued, dismissed, wrong or unsafe information...) makes the dimension a 1;
* otherwise the share of the applicable checks' points earned sets the level: all of them 5,
  at least 65% 4, at least 40% 3, less 2 (a missing nicety never makes a 1);
* each kind of fault then costs its points, never below 2.

The ``why`` reads like a reviewer's line: the level's anchor, then what was done, missed or
wrong ("3: Polite and clear, but never acknowledges how the caller feels. Missed: did not
acknowledge the caller's feelings.").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.authoring.rubric import DimensionRubric
from simulator.scoring.scorecard import CheckResult, DimensionScore, Evidence, EvidenceKind

LEVEL_CREDIT = ((0.99, 5), (0.65, 4), (0.4, 3))  # share of points earned -> level; below: 2


@dataclass(frozen=True)
class Finding:
    id: str
    turn: int | None = None
    quote: str = ""
    time: float | None = None
    note: str = ""  # "you said $240; the balance is $185.00", "two turns after the caller described ..."

    def evidence(self, kind: EvidenceKind) -> Evidence:
        return Evidence(id=self.id, turn=self.turn, quote=self.quote, time=self.time, kind=kind, note=self.note)


@dataclass
class Findings:
    """What the scorer found in one call, for every dimension to read."""

    shown: dict[str, list[Finding]] = field(default_factory=dict)  # behavior id -> every counted hit
    met: dict[str, Finding] = field(default_factory=dict)  # check id -> first evidence
    partial: dict[str, float] = field(default_factory=dict)  # check id -> share of its points earned (0..1)
    faults: dict[str, list[Finding]] = field(default_factory=dict)  # computed faults (wrong_fact_minor...)
    harm: dict[str, list[Finding]] = field(default_factory=dict)  # computed harm (wrong_fact_critical...)
    applies: set[str] = field(default_factory=set)  # checks that apply in this call

    def add(self, bucket: dict[str, list[Finding]], f: Finding) -> None:
        bucket.setdefault(f.id, []).append(f)


def level(dim: str, rubric: DimensionRubric, found: Findings) -> DimensionScore:
    checks = [c for c in rubric.checks if c.id in found.applies]
    total = sum(c.points for c in checks)
    earned = 0.0
    results: list[CheckResult] = []
    evidence: list[Evidence] = []
    for c in checks:
        share = 1.0 if c.id in found.met else found.partial.get(c.id, 0.0)
        earned += c.points * share
        f = found.met.get(c.id)
        results.append(
            CheckResult(
                id=c.id,
                points=c.points,
                earned=round(c.points * share, 2),
                said=(c.did if share >= 1 else (f"{c.did} (partly)" if share > 0 else c.missed)) or c.id,
                turn=f.turn if f else None,
            )
        )
        if f is not None and f.turn is not None:  # evidence is a turn of the call
            evidence.append(f.evidence("shown"))
    harm = [f for h in rubric.harm for f in found.harm.get(h, []) + found.shown.get(h, [])]
    faults = [
        (fid, spec, found.faults.get(fid, []) + found.shown.get(fid, []))
        for fid, spec in rubric.faults.items()
        if found.faults.get(fid) or found.shown.get(fid)
    ]
    evidence.extend(f.evidence("violation") for f in harm if f.turn is not None)
    for _, _, fs in faults:
        evidence.extend(f.evidence("violation") for f in fs if f.turn is not None)
    if harm:
        score = 1
    else:
        credit = earned / total if total else 1.0
        score = next((lvl for cut, lvl in LEVEL_CREDIT if credit >= cut), 2)
        cost = sum(spec.points for _, spec, _ in faults)
        score = max(2, min(score, int(round(score - cost)))) if cost else score
    missed = [r.id for r in results if r.earned < r.points and r.earned == 0]
    evidence.sort(key=lambda e: e.turn if e.turn is not None else -1)
    return DimensionScore(
        score=score,
        why=_why(score, rubric, results, harm, faults),
        evidence=evidence,
        missed=missed,
        checks=results,
        judged=bool(checks or harm or faults),
    )


def _why(score: int, rubric: DimensionRubric, results: list[CheckResult], harm: list[Finding], faults) -> str:
    parts = [f"{score}: {rubric.levels.get(score, '')}".rstrip(": ").strip()]
    if harm:
        parts.append("; ".join(_said(f) for f in harm[:2]) + ".")
    done = [r.said for r in results if r.earned >= r.points]
    half = [r.said for r in results if 0 < r.earned < r.points]
    miss = [r.said for r in results if r.earned == 0]
    if done and score < 5:
        parts.append("Did: " + ", ".join(done) + ".")
    if half:
        parts.append("Partly: " + ", ".join(half) + ".")
    if miss and not harm:
        parts.append("Missed: " + ", ".join(miss) + ".")
    for fid, spec, fs in faults:
        parts.append(f"{(spec.says or fid).capitalize()}: " + "; ".join(_said(f) for f in fs[:2]) + ".")
    return " ".join(p for p in parts if p)


def _said(f: Finding) -> str:
    where = f"turn {f.turn}" if f.turn is not None else ""
    what = f.note or (f'"{f.quote}"' if f.quote else f.id.replace("_", " "))
    return f"{where}: {what}" if where else what
