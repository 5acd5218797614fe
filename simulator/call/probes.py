"""Patient probes: a few trainee lines, and what the simulated caller's reply must (not) say.

A probe is ``{"before": [trainee lines...], "trainee": line, "must_any": [...], "must_not": [...]}``
(scenario files carry them as ``probes:``; ``vasim bench patient`` reads sets of them from JSONL
files). A fresh patient hears the ``before`` lines, then ``trainee``; the reply fits when one of
``must_any`` occurs in it (or the list is empty) and none of ``must_not`` does, case-insensitive.
A call that has ended replies "".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from simulator.authoring.model import Scenario
from simulator.call.patient import Knowledge, Patient, PatientOptions
from simulator.understanding.detect import Context, Understanding

Understand = Callable[[str, Context], Understanding]


def fits(reply: str, must_any: Sequence[str], must_not: Sequence[str]) -> bool:
    low = reply.lower()
    return (not must_any or any(s.lower() in low for s in must_any)) and not any(s.lower() in low for s in must_not)


def why_not(reply: str, must_any: Sequence[str], must_not: Sequence[str]) -> list[str]:
    """Each way the reply misses the probe, one plain line each."""
    low = reply.lower()
    out = []
    if must_any and not any(s.lower() in low for s in must_any):
        out.append(f"reply has none of {', '.join(repr(s) for s in must_any)}")
    for s in must_not:
        if s.lower() in low:
            out.append(f"reply must not say {s!r}")
    return out


@dataclass
class Played:
    reply: str  # the reply to the probe's last line ("" when the call ended)
    said: list[str] = field(default_factory=list)  # every line the patient said, in order
    decide_ms: list[float] = field(default_factory=list)  # the patient's decision, per trainee turn
    total_ms: list[float] = field(default_factory=list)  # understanding + decision, per trainee turn
    patient: Patient | None = None


def play(
    scenario: Scenario,
    before: Sequence[str],
    trainee: str,
    understand: Understand,
    *,
    seed: int = 0,
    knowledge: Knowledge | None = None,
    embedder=None,
) -> Played:
    """Play one probe through a fresh patient (seeded)."""
    ctx = Context.of(scenario)
    p = Patient(scenario, PatientOptions(seed=seed), knowledge=knowledge, embedder=embedder)
    out = Played("", patient=p)
    first = p.start()
    if first is not None and first.text:
        out.said.append(first.text)
    for text in [*before, trainee]:
        if p.ended:
            out.reply = ""
            break
        t0 = time.perf_counter()
        u = understand(text, ctx)
        t1 = time.perf_counter()
        r = p.respond(u)
        t2 = time.perf_counter()
        out.decide_ms.append((t2 - t1) * 1000)
        out.total_ms.append((t2 - t0) * 1000)
        out.reply = r.text
        if r.text:
            out.said.append(r.text)
    return out


def understander(detector) -> Understand:
    """``detector.understand`` (memoised), or behaviors alone for a detector without it."""
    memo: dict = {}

    def understand(text: str, ctx: Context) -> Understanding:
        key = (text, ctx)
        if key not in memo:
            if hasattr(detector, "understand"):
                memo[key] = detector.understand(text, ctx)
            else:
                memo[key] = Understanding(text, tuple(detector.detect(text, ctx)))
        return memo[key]

    return understand
