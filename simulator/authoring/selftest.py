"""Scenario self-tests: score each scenario's example calls, compare with what they expect;
play its patient probes through the simulated caller.

A scenario file carries a strong and a weak example call with the outcome each must get
(``Expectation``): pass or fail, which blockers fire, whether the escalation is right,
behaviors that must (not) be found, score bounds, and the dimensions where the weak
call must score strictly below the strong one. Its ``probes`` (trainee lines and what the
caller's reply must or must not contain) check the simulated caller the same way. ``vasim scenario test`` runs these, so a
trainer who edits a scenario, and a developer who changes the scorer, both find out at
once when the two stop agreeing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from simulator.authoring.catalog import Catalog, load_catalog
from simulator.authoring.model import Example, Scenario


@dataclass
class ExampleResult:
    scenario: str
    example: str
    kind: str
    ok: bool
    failures: list[str] = field(default_factory=list)
    scores: dict[str, int] = field(default_factory=dict)
    passed: bool | None = None

    def as_dict(self) -> dict:
        return {
            "scenario": self.scenario,
            "example": self.example,
            "kind": self.kind,
            "ok": self.ok,
            "failures": self.failures,
            "scores": self.scores,
            "passed": self.passed,
        }


@dataclass
class ProbeResult:
    """One patient probe of a scenario (``probes:``): the caller's reply and whether it fits."""

    scenario: str
    example: str  # "probe N" (with its act)
    trainee: str
    reply: str
    ok: bool
    failures: list[str] = field(default_factory=list)
    kind: str = "probe"

    def as_dict(self) -> dict:
        return {
            "scenario": self.scenario,
            "example": self.example,
            "kind": self.kind,
            "ok": self.ok,
            "failures": self.failures,
            "trainee": self.trainee,
            "reply": self.reply,
        }


def run_probes(scenarios: list[Scenario], detector=None, embedder=None) -> list[ProbeResult]:
    """Play every scenario's patient probes through the simulated caller (seed 0)."""
    from simulator.call.patient import Knowledge
    from simulator.call.probes import play, understander, why_not

    if detector is None:
        from simulator.speech import factory

        detector = factory.make_detector()
    embedder = embedder if embedder is not None else getattr(detector, "embedder", None)
    understand = understander(detector)
    out = []
    for sc in scenarios:
        knowledge = Knowledge(sc.patient.knows, embedder) if sc.probes else None
        for i, pr in enumerate(sc.probes):
            got = play(sc, pr.before, pr.trainee, understand, knowledge=knowledge)
            failures = why_not(got.reply, pr.must_any, pr.must_not)
            name = f"probe {i + 1}" + (f" ({pr.act})" if pr.act else "")
            out.append(ProbeResult(sc.id, name, pr.trainee, got.reply, not failures, failures))
    return out


def check(ex: Example, card, strong_card=None) -> list[str]:
    """Every way a scorecard differs from the example's expectation, one plain line each."""
    e = ex.expect
    out = []
    fired = [b.id for b in card.blockers]
    if card.passed != e.passed:
        why = (
            f" (blockers: {', '.join(fired)})"
            if fired
            else f" (average {card.average:.1f}, pass mark {card.pass_mark:g})"
        )
        if card.escalation.missing:
            why += f" (missing escalation: {', '.join(card.escalation.missing)})"
        out.append(f"expected {'pass' if e.passed else 'fail'}, got {'pass' if card.passed else 'fail'}{why}")
    for b in e.blockers:
        if b not in fired:
            out.append(f"expected blocker {b}, it did not fire (fired: {', '.join(fired) or 'none'})")
    if e.passed and fired and not e.blockers:
        out.append(f"expected no blockers, got {', '.join(fired)}")
    if e.escalation_correct is not None and card.escalation.correct != e.escalation_correct:
        esc = card.escalation
        detail = f"observed {', '.join(esc.observed) or 'none'}"
        if esc.missing:
            detail += f", missing {', '.join(esc.missing)}"
        if esc.needless:
            detail += f", not needed {', '.join(esc.needless)}"
        out.append(
            f"expected escalation {'correct' if e.escalation_correct else 'wrong'} for {esc.expected}, got "
            f"{'correct' if esc.correct else 'wrong'} ({detail})"
        )
    found = card.detected()
    for b in e.detects:
        if b not in found:
            out.append(f"expected behavior {b} to be detected, it was not")
    for b in e.not_detects:
        if b in found:
            turns = [h.turn for h in card.behaviors if h.id == b]
            out.append(f"behavior {b} must not be detected, found in turn {', '.join(map(str, turns))}")
    scores = card.scores()
    for dim, low in e.min_scores.items():
        if scores[dim] < low:
            out.append(
                f"{dim} scored {scores[dim]}, expected at least {low} (missed: {', '.join(card.dimensions[dim].missed) or '-'})"
            )
    for dim, high in e.max_scores.items():
        if scores[dim] > high:
            out.append(f"{dim} scored {scores[dim]}, expected at most {high}")
    if e.worse:
        if strong_card is None:
            out.append(
                f"expects to be worse than the strong example in {', '.join(e.worse)}, but there is no strong example"
            )
        else:
            strong = strong_card.scores()
            for dim in e.worse:
                if scores[dim] >= strong[dim]:
                    out.append(f"{dim} scored {scores[dim]}, must be below the strong example's {strong[dim]}")
    return out


def run(scenarios: list[Scenario], detector=None, catalog: Catalog | None = None) -> list[ExampleResult]:
    """Score every example call; the detector is built once (the real one unless given)."""
    from simulator.scoring.score import score_call
    from simulator.scoring.transcript import from_example

    if detector is None:
        from simulator.speech import factory

        detector = factory.make_detector()
    catalog = catalog or load_catalog()
    out = []
    for sc in scenarios:
        cards = {ex.name: score_call(sc, from_example(sc, ex), detector, catalog) for ex in sc.examples}
        strong = next((cards[ex.name] for ex in sc.examples if ex.kind == "strong"), None)
        for ex in sc.examples:
            card = cards[ex.name]
            failures = check(ex, card, strong if ex.kind == "weak" else None)
            out.append(ExampleResult(sc.id, ex.name, ex.kind, not failures, failures, card.scores(), card.passed))
    return out


def render(results: list[ExampleResult], probes: Sequence[ProbeResult] = ()) -> None:
    from rich.console import Console
    from rich.markup import escape

    con = Console(highlight=False, soft_wrap=True)
    for p in probes:
        mark = "[green]ok  [/]" if p.ok else "[bold red]FAIL[/]"
        con.print(f"{mark} {escape(p.scenario)}/{escape(p.example)} [dim]{escape(p.trainee)}[/]")
        if not p.ok:
            con.print(f"     caller: {escape(p.reply or '(hangs up)')}")
            for f in p.failures:
                con.print(f"     {escape(f)}")
    if probes:
        bad_p = sum(not p.ok for p in probes)
        con.print(f"probes: {len(probes) - bad_p} passed, {bad_p} failed")
    for r in results:
        scores = " ".join(f"{d[:3]}={s}" for d, s in r.scores.items())
        mark = "[green]ok  [/]" if r.ok else "[bold red]FAIL[/]"
        con.print(
            f"{mark} {escape(r.scenario)}/{escape(r.example)} ({r.kind}) "
            f"[dim]{'pass' if r.passed else 'fail'} {scores}[/]"
        )
        for f in r.failures:
            con.print(f"     {escape(f)}")
    bad = sum(not r.ok for r in results)
    con.print(f"{len(results) - bad} passed, {bad} failed")
