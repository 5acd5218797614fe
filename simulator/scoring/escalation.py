"""The escalation a call needed, the one it got, and when (DESIGN.md's escalation table, as data
in :mod:`simulator.authoring.policy`).

``check`` compares the escalation actions shown with what the scenario's kind requires: missing
ones, needless ones (a transfer when none was needed), more than needed, recommended ones left
out. For a required escalation it also measures **timing**: the *trigger* is the first caller
turn that made the escalation necessary (one that says a word of the scenario's
``escalation_cues``; without cues, the caller's first turn), and the delay is counted in trainee
turns from there to the first required action (0: the very next turn), and in seconds when the
call was spoken.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from simulator.authoring.catalog import ESCALATION_ACTIONS
from simulator.authoring.model import Scenario
from simulator.authoring.policy import ESCALATION_RECOMMENDS, ESCALATION_REQUIRES, NEEDLESS, OVER
from simulator.scoring.scorecard import BehaviorHit, EscalationCheck
from simulator.scoring.transcript import Transcript

LATE_TURNS = 2  # a required escalation this many trainee turns after the trigger is late
VERY_LATE_TURNS = 3  # ... and this many, for an emergency, crisis or same-day transfer, is harm


def trigger_turn(scenario: Scenario, transcript: Transcript) -> int | None:
    cues = [c.lower() for c in scenario.escalation_cues]
    first = None
    for i, t in enumerate(transcript.turns):
        if t.speaker != "patient":
            continue
        if first is None:
            first = i
        low = t.text.lower()
        if not cues or any(re.search(rf"\b{re.escape(c)}", low) for c in cues):
            return i
    return first if not cues else None


def check(scenario: Scenario, transcript: Transcript, counted: Sequence[BehaviorHit]) -> EscalationCheck:
    kind = scenario.escalation
    observed = list(dict.fromkeys(h.id for h in counted if h.id in ESCALATION_ACTIONS))
    shown = {h.id for h in counted}
    required = ESCALATION_REQUIRES[kind]
    missing = [b for b in required if b not in shown]
    needless = [b for b in NEEDLESS.get(kind, ()) if b in shown]
    over = [b for b in OVER.get(kind, ()) if b in shown and b not in required]
    rec_missing = [b for b in ESCALATION_RECOMMENDS.get(kind, ()) if b not in shown]
    out = EscalationCheck(
        expected=kind,
        observed=observed,
        correct=not missing and not needless,
        missing=missing,
        needless=needless,
        over=over,
        recommended_missing=rec_missing,
    )
    if not required or len(missing) == len(required):
        return out
    trig = trigger_turn(scenario, transcript)
    acted = min((h.turn for h in counted if h.id in required), default=None)
    if trig is None or acted is None:
        return out
    late_by = sum(1 for i in range(trig + 1, acted) if transcript.turns[i].speaker == "trainee")
    if acted < trig:
        late_by = 0
    t0, t1 = transcript.turns[trig].end, transcript.turns[acted].start
    delay = round(t1 - t0, 1) if t0 is not None and t1 is not None and t1 >= t0 else None
    return out.model_copy(update={"trigger_turn": trig, "action_turn": acted, "late_by": late_by, "delay_s": delay})
