"""Reports on stored results: one trainee, a cohort, or one scenario.

:func:`build` reads the store once and computes every figure into a :class:`Report`
(plain data: it is also the JSON export). The renderers only lay it out:
:mod:`simulator.reports.html` (one self-contained page through a Jinja2 template, inline SVG
charts from :mod:`simulator.reports.charts`), :mod:`simulator.reports.export` (CSV, JSON) and
:mod:`simulator.console.report_view` (rich tables in the terminal).

Targets come from the seed guide's metrics: escalation accuracy 95%+ and first-call
resolution 80%+; the per-dimension target is a QA-scale average (4 of 5 by default).
Scores are the *effective* ones (a trainer's override replaces the automatic score).

Every stored call counts: assessment calls and practice calls saved with ``vasim practice
--trainee`` (each labelled by ``source``; ``only=`` narrows a report to one kind). Typed calls
(``--text``) carry no timings, so they are left out of every response-latency figure.

First-call resolution of a simulated call: the call passed with the right escalation
(a correct transfer or routing counts as resolved), unless the practice loop says
otherwise for the session (see ``store.derive_resolved``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Literal

from simulator import stats
from simulator.authoring.catalog import DIMENSIONS
from simulator.errors import UserError
from simulator.records.store import Store, StoredSession

Kind = Literal["trainee", "cohort", "scenario"]


@dataclass(frozen=True)
class Targets:
    escalation_accuracy: float = 0.95  # seed guide: 95%+ appropriate escalations
    first_call_resolution: float = 0.80  # seed guide: 80%+
    dimension_mean: float = 4.0  # QA-scale average each dimension should reach
    low_score: int = 2  # a dimension at or below this is named as a reason a call failed


@dataclass
class Rate:
    """A share with its counts, so every percentage in a report can be checked."""

    hits: int
    n: int

    @property
    def value(self) -> float | None:
        return self.hits / self.n if self.n else None

    def as_dict(self) -> dict:
        return {"hits": self.hits, "n": self.n, "value": self.value}


@dataclass
class TraineeRow:
    trainee: str
    sessions: int
    means: dict[str, float | None]
    passed: Rate
    escalation: Rate
    fcr: Rate
    latency_median_s: float | None
    meets: dict[str, bool | None]  # dimension / "escalation" / "fcr" -> meets its target
    practice: int = 0  # of the sessions, how many were practice calls (the rest: assessments)
    typed: int = 0  # of the sessions, how many were typed (no latency)


@dataclass
class ScenarioRow:
    scenario: str
    attempts: int
    failures: int
    fail_rate: float
    reasons: list[tuple[str, int]]  # most common first


@dataclass
class Report:
    kind: str
    name: str
    generated_at: str
    targets: Targets
    sessions: list[StoredSession]
    trainees: list[TraineeRow]
    distributions: dict[str, dict[int, int]]  # dimension -> score -> count
    means: dict[str, float | None]
    passed: Rate
    escalation: Rate
    fcr: Rate
    latency_median_s: float | None
    latency_p90_s: float | None
    latencies: list[float]
    progress: dict[str, list[dict]]  # trainee -> attempts in order
    scenarios: list[ScenarioRow]
    agreement: list[dict]
    runs: list[dict] = field(default_factory=list)
    only: str | None = None  # "assessment" or "practice" when the report is narrowed to one kind

    @property
    def practice_sessions(self) -> int:
        return sum(1 for s in self.sessions if s.source == "practice")

    @property
    def typed_sessions(self) -> int:
        return sum(1 for s in self.sessions if s.typed)

    def as_dict(self) -> dict:
        """The JSON export: every figure with its counts."""
        return {
            "kind": self.kind,
            "name": self.name,
            "generated_at": self.generated_at,
            "targets": asdict(self.targets),
            "only": self.only,
            "summary": {
                "sessions": len(self.sessions),
                "trainees": len(self.trainees),
                "practice_sessions": self.practice_sessions,
                "assessment_sessions": len(self.sessions) - self.practice_sessions,
                "typed_sessions": self.typed_sessions,
                "passed": self.passed.as_dict(),
                "escalation_accuracy": self.escalation.as_dict(),
                "first_call_resolution": self.fcr.as_dict(),
                "means": self.means,
                "response_latency_s": {"median": self.latency_median_s, "p90": self.latency_p90_s},
            },
            "distributions": {d: {str(k): v for k, v in dist.items()} for d, dist in self.distributions.items()},
            "trainees": [
                {
                    "trainee": t.trainee,
                    "sessions": t.sessions,
                    "means": t.means,
                    "passed": t.passed.as_dict(),
                    "escalation_accuracy": t.escalation.as_dict(),
                    "first_call_resolution": t.fcr.as_dict(),
                    "response_latency_median_s": t.latency_median_s,
                    "meets": t.meets,
                    "practice_sessions": t.practice,
                    "typed_sessions": t.typed,
                }
                for t in self.trainees
            ],
            "progress": self.progress,
            "scenarios": [
                {
                    "scenario": s.scenario,
                    "attempts": s.attempts,
                    "failures": s.failures,
                    "fail_rate": s.fail_rate,
                    "reasons": [{"reason": r, "count": c} for r, c in s.reasons],
                }
                for s in self.scenarios
            ],
            "agreement": self.agreement,
            "assessments": self.runs,
            "sessions": [session_row(s) for s in self.sessions],
        }


# ---------------------------------------------------------------------------------------------
# figures


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _meets(value: float | None, target: float) -> bool | None:
    """Whether a figure reaches its target; None when there is no figure."""
    return None if value is None else value >= target


def escalation_rate(sessions: list[StoredSession]) -> Rate:
    judged = [s for s in sessions if s.escalation_correct is not None]
    return Rate(sum(1 for s in judged if s.escalation_correct), len(judged))


def failure_reasons(s: StoredSession, targets: Targets = Targets()) -> list[str]:
    """Why a call failed, in words a trainer can act on."""
    out = [f"blocker: {b}" for b in s.blockers]
    esc = s.scorecard.get("escalation") or {}
    if esc.get("correct") is False:
        expected = esc.get("expected") or "?"
        observed = ", ".join(esc.get("observed") or []) or "none"
        out.append(
            f"escalation: expected {expected}, did {observed}"
            if expected != "none"
            else f"escalation: unneeded ({observed})"
        )
    for d in DIMENSIONS:
        if d in s.scores and s.scores[d] <= targets.low_score:
            out.append(f"low {d} ({s.scores[d]})")
    dims = s.scorecard.get("dimensions") or {}
    for d in DIMENSIONS:
        for m in (dims.get(d) or {}).get("missed") or []:
            label = m.get("id") if isinstance(m, dict) else m
            if label:
                out.append(f"missed: {label}")
    return out or ["below the pass mark"]


def session_row(s: StoredSession) -> dict:
    row = {
        "session_id": s.session_id,
        "trainee": s.trainee,
        "cohort": s.cohort or "",
        "scenario": s.scenario,
        "started_at": s.started_at,
        "source": s.source,
        "passed": s.passed,
    }
    for d in DIMENSIONS:
        row[d] = s.scores.get(d)
    for d in DIMENSIONS:
        row[f"auto_{d}"] = s.auto_scores.get(d)
    row.update(
        {
            "overridden": ",".join(sorted({o.dimension for o in s.overrides})),
            "escalation_expected": s.escalation_expected,
            "escalation_correct": s.escalation_correct,
            "first_call_resolution": s.resolved,
            "response_latency_median_s": s.response_latency_s,
            "typed": s.typed,
            "voice_to_voice_p50_ms": s.voice_to_voice_p50_ms,
            "blockers": ",".join(s.blockers),
            "run_id": s.run_id or "",
            "position": s.position,
        }
    )
    return row


SOURCES = ("assessment", "practice")


def build(
    store: Store,
    kind: Kind,
    name: str,
    targets: Targets = Targets(),
    cohort: str | None = None,
    only: str | None = None,
) -> Report:
    """Read the store and compute every figure of a report (``only``: "assessment" or "practice" calls)."""
    if only is not None and only not in SOURCES:
        raise UserError(f"unknown kind of call '{only}'; use one of {', '.join(SOURCES)}")
    from simulator.records.review import agreement

    if kind == "trainee":
        store.require_trainee(name)
        sessions = store.sessions(trainee=name)
        agree = agreement(store, trainee=name)
    elif kind == "cohort":
        store.require_cohort(name)
        sessions = store.sessions(cohort=name)
        agree = agreement(store, cohort=name)
    elif kind == "scenario":
        if cohort is not None:
            store.require_cohort(cohort)
        sessions = store.sessions(scenario=name, cohort=cohort)
        if not sessions:
            raise UserError(
                f"no stored sessions of scenario '{name}'"
                + (f" in cohort '{cohort}'" if cohort else "")
                + " (check the id with `vasim scenario list`)"
            )
        agree = agreement(store, scenario=name, cohort=cohort)
    else:  # pragma: no cover - argparse restricts it
        raise UserError(f"unknown report kind '{kind}'")
    if only is not None:
        # an assessment call is anything that is not practice (imports count as assessed work)
        sessions = [s for s in sessions if (s.source == "practice") == (only == "practice")]

    distributions = {d: {k: 0 for k in range(1, 6)} for d in DIMENSIONS}
    for s in sessions:
        for d in DIMENSIONS:
            if d in s.scores:
                distributions[d][s.scores[d]] += 1
    means = {d: _mean([s.scores[d] for s in sessions if d in s.scores]) for d in DIMENSIONS}
    latencies = [s.response_latency_s for s in sessions if s.response_latency_s is not None]  # typed calls: none

    by_trainee: dict[str, list[StoredSession]] = defaultdict(list)
    for s in sessions:
        by_trainee[s.trainee].append(s)
    if kind == "cohort":
        for t in store.trainees(cohort=name):
            by_trainee.setdefault(t, [])
    if kind == "trainee":
        by_trainee.setdefault(name, [])
    rows = []
    for t in sorted(by_trainee):
        ss = by_trainee[t]
        tm = {d: _mean([s.scores[d] for s in ss if d in s.scores]) for d in DIMENSIONS}
        esc, fcr = escalation_rate(ss), Rate(sum(s.resolved for s in ss), len(ss))
        meets: dict[str, bool | None] = {d: _meets(tm[d], targets.dimension_mean) for d in DIMENSIONS}
        meets["escalation"] = _meets(esc.value, targets.escalation_accuracy)
        meets["fcr"] = _meets(fcr.value, targets.first_call_resolution)
        lat = [s.response_latency_s for s in ss if s.response_latency_s is not None]
        rows.append(
            TraineeRow(
                t,
                len(ss),
                tm,
                Rate(sum(s.passed for s in ss), len(ss)),
                esc,
                fcr,
                statistics.median(lat) if lat else None,
                meets,
                practice=sum(1 for s in ss if s.source == "practice"),
                typed=sum(1 for s in ss if s.typed),
            )
        )

    progress = {
        t: [
            {
                "attempt": i + 1,
                "session_id": s.session_id,
                "scenario": s.scenario,
                "started_at": s.started_at,
                "mean": round(s.mean_score(), 3),
                "passed": s.passed,
                "source": s.source,
                "typed": s.typed,
            }
            for i, s in enumerate(ss)
        ]
        for t, ss in sorted(by_trainee.items())
        if ss
    }

    by_scenario: dict[str, list[StoredSession]] = defaultdict(list)
    for s in sessions:
        by_scenario[s.scenario].append(s)
    scen_rows = []
    for sc, ss in by_scenario.items():
        failed = [s for s in ss if not s.passed]
        reasons = Counter(r for s in failed for r in dict.fromkeys(failure_reasons(s, targets)))
        scen_rows.append(
            ScenarioRow(
                sc,
                len(ss),
                len(failed),
                len(failed) / len(ss),
                sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:6],
            )
        )
    scen_rows.sort(key=lambda r: (-r.fail_rate, -r.failures, r.scenario))

    runs = []
    if kind in ("trainee", "cohort"):
        wanted = set(by_trainee)
        for r in store.runs(trainee=name if kind == "trainee" else None):
            if r.trainee in wanted and (kind == "trainee" or r.cohort in (None, name)):
                runs.append(
                    {
                        "run_id": r.id,
                        "assessment": r.assessment,
                        "trainee": r.trainee,
                        "status": r.status,
                        "started_at": r.started_at,
                        "finished_at": r.finished_at,
                        "passed": (r.result or {}).get("passed"),
                    }
                )

    return Report(
        kind=kind,
        name=name,
        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        targets=targets,
        sessions=sessions,
        trainees=rows,
        distributions=distributions,
        means=means,
        passed=Rate(sum(s.passed for s in sessions), len(sessions)),
        escalation=escalation_rate(sessions),
        fcr=Rate(sum(s.resolved for s in sessions), len(sessions)),
        latency_median_s=statistics.median(latencies) if latencies else None,
        latency_p90_s=stats.percentile(latencies, 90),
        latencies=latencies,
        progress=progress,
        scenarios=scen_rows,
        agreement=[a.as_dict() for a in agree],
        runs=runs,
        only=only,
    )


# ---------------------------------------------------------------------------------------------
# formatting shared by the renderers


def pct(v: float | None) -> str:
    return "–" if v is None else f"{v * 100:.1f}%"


def num(v: float | None, digits: int = 2) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def title(report: Report) -> str:
    return {"trainee": "Trainee", "cohort": "Cohort", "scenario": "Scenario"}[report.kind] + f" report: {report.name}"


# ---------------------------------------------------------------------------------------------
# terminal


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def kinds_line(report: Report) -> str:
    """ "3 sessions: 2 assessment, 1 practice (1 typed); 1 trainee"."""
    n, prac, typed = len(report.sessions), report.practice_sessions, report.typed_sessions
    parts = []
    if n:
        parts.append(f"{n - prac} assessment, {prac} practice" + (f" ({typed} typed)" if typed else ""))
    head = plural(n, "session") + (": " + parts[0] if parts else "")
    only = f", {report.only} calls only" if report.only else ""
    return f"{head}; {plural(len(report.trainees), 'trainee')}{only}"


def latency_text(v: float | None, typed: int, total: int, unit: str = " s") -> str:
    """A response latency, or why there is none: typed calls have no timings."""
    if v is not None:
        return f"{v:.2f}{unit}"
    return "n/a (typed)" if typed and typed == total else "–"


# ---------------------------------------------------------------------------------------------
# CSV / JSON


# ---------------------------------------------------------------------------------------------
# HTML: templates/report.html.j2 (autoescaped), charts from simulator.reports.charts
