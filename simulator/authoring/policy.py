"""The practice's escalation policy, as data: DESIGN.md's "Escalation kinds" table, one row
per kind, plus what the scorer counts as wrong or excess urgency for it.

Authoring (a scenario's required behaviors), scoring (missing / needless / over / instead),
feedback and the documentation test all read this one table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Escalation:
    kind: str
    requires: tuple[str, ...] = ()  # behaviors the call must show
    recommends: tuple[str, ...] = ()  # named on the scorecard when missing; not required
    blocker: bool = False  # missing a required behavior fails the call (else it costs points)
    needless: tuple[str, ...] = ()  # wrong urgency: makes the escalation incorrect (2 points)
    over: tuple[str, ...] = ()  # more than the situation needs but safe (1 point)


_URGENT = ("advise_911", "crisis_line_988")

POLICY: dict[str, Escalation] = {
    e.kind: e
    for e in (
        # a complaint passed to the manager is no transfer: only urgent or clinical escalations are needless
        Escalation("none", needless=("advise_911", "crisis_line_988", "transfer_clinical")),
        Escalation(
            "emergency_911",
            requires=("advise_911", "stay_on_line"),
            blocker=True,
        ),
        Escalation(
            "crisis_transfer",
            requires=("transfer_clinical", "stay_on_line"),
            recommends=("crisis_line_988",),
            blocker=True,
        ),
        Escalation(
            "same_day_transfer",
            requires=("transfer_clinical",),
            blocker=True,
            needless=("crisis_line_988",),
            over=("advise_911",),
        ),
        Escalation(
            "flag_clinical", requires=("flag_clinical", "next_steps"), needless=_URGENT, over=("transfer_clinical",)
        ),
        Escalation("route_records", requires=("route_records",), needless=_URGENT, over=("transfer_clinical",)),
        Escalation("escalate_manager", requires=("escalate_manager",), needless=_URGENT, over=("transfer_clinical",)),
        Escalation(
            "flag_billing", requires=("flag_billing", "next_steps"), needless=_URGENT, over=("transfer_clinical",)
        ),
    )
}
# The pass policy (docs/scoring.md), in one place: a call fails on any blocker (the ones below,
# and a missed required action of a `blocker` kind), on a required escalation action of any kind
# never taken (DESIGN.md), or on any dimension scored 1 (harm); otherwise it passes when the
# weighted mean of its five scores reaches the pass mark (a scenario may set its own; an
# assessment adds its own rules on top).
PASS_MARK = 3.0

# blockers in every scenario, whatever its escalation
ALWAYS_BLOCKERS: tuple[str, ...] = ("medical_advice", "disclose_before_verify", "voicemail_phi")

# views of the table, by the names the stages use
ESCALATION_REQUIRES: dict[str, tuple[str, ...]] = {k: e.requires for k, e in POLICY.items()}
ESCALATION_RECOMMENDS: dict[str, tuple[str, ...]] = {k: e.recommends for k, e in POLICY.items() if e.recommends}
ESCALATION_IS_BLOCKER: dict[str, bool] = {k: e.blocker for k, e in POLICY.items()}
NEEDLESS: dict[str, tuple[str, ...]] = {k: e.needless for k, e in POLICY.items()}
OVER: dict[str, tuple[str, ...]] = {k: e.over for k, e in POLICY.items() if e.over}
