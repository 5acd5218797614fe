"""The scorer: one call transcript in, a QA scorecard a reviewer would sign out.

``score_call`` is a pure function of the scenario, the transcript, a detector and the catalog.
It mirrors the practice's monthly QA review (DESIGN.md, docs/scoring.md):

1. **What the trainee did**: every trainee turn understood (behaviors with calibrated
   confidence and the quote that shows them); closing courtesies count only in the second half
   of the call; a violation heard on words recognition was unsure of is listed for review, not
   counted.
2. **What a reviewer checks besides**: verification as a reviewer sees it
   (:mod:`simulator.scoring.verification`: account or chart details before identity, or to a
   third party without authority), the facts stated against the scenario and practice
   (:mod:`simulator.scoring.facts`), and the escalation with its timing
   (:mod:`simulator.scoring.escalation`).
3. **Five dimensions** scored 1-5 by the rubric (:mod:`simulator.scoring.rubric`; the data is
   the catalog's ``rubric:``, overridable per scenario and assessment): harm makes a 1, the share
   of checks met sets the level, faults cost points, and each score says why.
4. **The verdict** (the pass policy, :data:`simulator.authoring.policy.PASS_MARK`): fail on any
   blocker (medical advice, details before verification, details on a voicemail, a missed
   emergency, crisis or same-day escalation), a missed required escalation action of any kind, or
   any dimension at 1; otherwise pass when the weighted mean of the dimensions reaches the pass mark.
"""

from __future__ import annotations

import re
import statistics
from typing import Any, cast

from simulator.authoring.catalog import DIMENSIONS, ESCALATION_ACTIONS, Catalog
from simulator.authoring.model import Scenario
from simulator.authoring.policy import (
    ESCALATION_IS_BLOCKER,
    ESCALATION_RECOMMENDS,
    ESCALATION_REQUIRES,
    PASS_MARK,
)
from simulator.authoring.rubric import Check, DimensionRubric, Fault, Rubric
from simulator.scoring import escalation as esc_mod
from simulator.scoring import facts as facts_mod
from simulator.scoring import feedback, verification
from simulator.scoring.rubric import Finding, Findings, level
from simulator.scoring.scorecard import (
    BehaviorHit,
    Blocker,
    DimensionScore,
    EscalationCheck,
    Scorecard,
    Silence,
    Stat,
    Timing,
    quote,
)
from simulator.scoring.transcript import Transcript
from simulator.text.split import words
from simulator.understanding import hearing
from simulator.understanding.detect import SURE, Context

LONG_SILENCE_S = 3.0
FILLERS = ("um", "umm", "uh", "uhh", "uhm", "erm", "er", "ah", "hmm", "mm")
EARLY_TURNS = 3  # empathy within the trainee's first turns counts as early
OUT_OF_SCOPE = ("medical_advice", "override_clinical", "promise_outcome")
VOICEMAIL_CHECKS = ("greet_practice", "self_identify")  # what a voicemail is held to, besides staying in scope
_COURTESY = re.compile(
    r"\b(?:please|thank you|thanks|you'?re welcome|happy to|glad to|of course|my pleasure|no problem|"
    r"absolutely|appreciate|sure thing|take your time|no worries)\b",
    re.I,
)
# An opening that offers help, or (outbound) says why the VA is calling
_OFFER = re.compile(
    r"\b(?:how (?:can|may|could) (?:i|we) (?:help|assist|direct)|what can i (?:do|help)|how can i be of|"
    r"help you (?:with|today)|calling (?:to|about|because|regarding|for)|checking in|following up|"
    r"is (?:this|now) a (?:good|ok|okay) time|reason for (?:my|the|this) call|i'?m calling)",
    re.I,
)


# ---------------------------------------------------------------------------------------------
# timing


def timing(transcript: Transcript) -> Timing:
    turns = transcript.turns
    trainee_words = [w.lower() for t in turns if t.speaker == "trainee" for w in words(t.text)]
    # single hesitation sounds only: "you know" / "I mean" are too often real words ("let you know")
    fillers = sum(w in FILLERS for w in trainee_words)
    rate = round(100.0 * fillers / len(trainee_words), 2) if trainee_words else 0.0
    out = Timing(filler_words=fillers, filler_rate=rate)
    if not transcript.timed:
        return out
    # timed: every turn has a start and an end
    starts = cast("list[float]", [t.start for t in turns])
    ends = cast("list[float]", [t.end for t in turns])
    lat = [
        max(0.0, starts[i] - ends[i - 1])
        for i in range(1, len(turns))
        if turns[i].speaker == "trainee" and turns[i - 1].speaker == "patient"
    ]
    talk = {"trainee": 0.0, "patient": 0.0}
    for i, t in enumerate(turns):
        talk[t.speaker] += max(0.0, ends[i] - starts[i])
    total = talk["trainee"] + talk["patient"]
    silences = [
        Silence(after_turn=i - 1, seconds=round(starts[i] - ends[i - 1], 2))
        for i in range(1, len(turns))
        if starts[i] - ends[i - 1] > LONG_SILENCE_S
    ]
    return out.model_copy(
        update={
            "response_latency_s": Stat(median=round(statistics.median(lat), 2), max=round(max(lat), 2))
            if lat
            else None,
            "talk_ratio": round(talk["trainee"] / total, 2) if total > 0 else None,
            "speaking_rate_wpm": round(len(trainee_words) / (talk["trainee"] / 60.0), 1)
            if talk["trainee"] > 0
            else None,
            "long_silences": silences,
        }
    )


# ---------------------------------------------------------------------------------------------
# what the trainee did


def context_for(transcript: Transcript) -> Context:
    return Context(practice=transcript.practice, patient=transcript.patient, mode=transcript.mode)


def understand_turns(transcript: Transcript, detector) -> dict[int, Any]:
    """Every trainee turn understood (one batch): turn index -> ``Understanding``."""
    ctx = context_for(transcript)
    idx = [i for i, t in enumerate(transcript.turns) if t.speaker == "trainee"]
    return dict(zip(idx, detector.understand_batch([(transcript.turns[i].text, ctx) for i in idx])))


def detect_turns(
    transcript: Transcript, detector, catalog: Catalog, understood: dict[int, Any] | None = None
) -> list[BehaviorHit]:
    """The catalog behaviors of every trainee turn (``understood``: from :func:`understand_turns`)."""
    understood = understood if understood is not None else understand_turns(transcript, detector)
    hits = []
    for i, u in understood.items():
        dets = u.behaviors
        turn = transcript.turns[i]
        seen = set()
        for d in dets:
            if d.id not in catalog or d.id in seen or catalog[d.id].detect == "sequence":
                continue
            if d.id == "voicemail_phi" and transcript.mode != "voicemail":
                continue
            seen.add(d.id)
            hits.append(
                BehaviorHit(
                    id=d.id,
                    turn=i,
                    quote=quote(d.quote or turn.text),
                    confidence=round(float(d.confidence), 3),
                    time=turn.start,
                    **_heard(d.quote or turn.text, turn),
                )
            )
    return hits


def _heard(evidence: str, turn) -> dict:
    """How sure recognition was of a hit's evidence (nothing for typed or written turns)."""
    p = hearing.evidence_p(evidence, turn.words or ())
    return {} if p is None else {"heard": p, "uncertain": not hearing.is_sure(p)}


def _withheld(hit: BehaviorHit, catalog: Catalog) -> bool:
    """A violation heard uncertainly: listed for review, not counted (one misheard word must not fail a call)."""
    return hit.uncertain and catalog[hit.id].polarity == "negative"


def review_notes(hits: list[BehaviorHit], catalog: Catalog) -> list[str]:
    """What the trainer should check: evidence recognition was unsure of, and violations the
    detector was unsure of (below an even chance)."""
    out = []
    for h in hits:
        if h.uncertain:
            counted = "not counted" if _withheld(h, catalog) else "counted"
            out.append(
                f"turn {h.turn}: {h.id} rests on words recognition was unsure of "
                f"(lowest word probability {h.heard:.2f}; {counted}): \"{h.quote}\". Listen to the recording."
            )
        elif h.id in catalog and catalog[h.id].polarity == "negative" and h.confidence < SURE:
            out.append(
                f"turn {h.turn}: {h.id} was a close call for the scorer (confidence {h.confidence:.2f}; "
                f"counted): \"{h.quote}\". Check it."
            )
    return out


# Closing behaviors that say what happens next are information, wherever they fall; only the
# courtesies that have opening look-alikes are held to the second half of the call.
_ANYWHERE = {"next_steps"}


def _counts(hit: BehaviorHit, trainee_idx: list[int], catalog: Catalog) -> bool:
    """Closing behaviors only count in the second half of the call: "Thank you for calling"
    in the greeting is not a warm close, and "How can I help?" is not "anything else?".
    ``next_steps`` ("you'll hear back within two hours") counts wherever it is said."""
    if catalog[hit.id].stage != "closing" or len(trainee_idx) < 2 or hit.id in _ANYWHERE:
        return True
    return trainee_idx.index(hit.turn) >= len(trainee_idx) // 2


def sequence_hits(scenario: Scenario, transcript: Transcript, hits: list[BehaviorHit]) -> list[BehaviorHit]:
    """Details said too early or to the wrong person: ``disclose_before_verify`` on a call,
    ``voicemail_phi`` (the scenario's account or chart facts) on a voicemail."""
    out = []
    if transcript.mode == "voicemail":
        already = {h.turn for h in hits if h.id == "voicemail_phi"}
        phi = verification._phi_values(scenario)
        for i, t in enumerate(transcript.turns):
            if t.speaker == "trainee" and i not in already:
                found = verification._disclosed(t.text, phi, [], [])
                if found and found[0] != "account detail":
                    out.append(
                        BehaviorHit(
                            id="voicemail_phi",
                            turn=i,
                            quote=quote(found[1]),
                            confidence=1.0,
                            time=t.start,
                            note=found[0],
                            **_heard(found[2], t),  # the detail said, not every word of its clause
                        )
                    )
        return out
    verify_turns = {h.turn for h in hits if h.id == "verify_identity"}
    for d in verification.disclosures(scenario, transcript, verify_turns):
        t = transcript.turns[d.turn]
        who = "to someone without authority" if d.to_third_party else "before identity was verified"
        out.append(
            BehaviorHit(
                id="disclose_before_verify",
                turn=d.turn,
                quote=quote(d.quote),
                confidence=1.0,
                time=t.start,
                note=f"{d.what} {who}",
                **_heard(d.said or d.quote, t),  # the detail said, not every word of its clause
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# the rubric for this call


def effective_rubric(scenario: Scenario, catalog: Catalog, override: Rubric | None = None) -> Rubric:
    """The catalog's rubric, with the scenario's ``scoring`` and an assessment's ``override`` laid over it.

    ``scoring.required`` sets a behavior check's points (adding it to the behavior's dimension
    when the rubric lacks it); ``scoring.forbidden`` sets a fault's points (a violation not named
    anywhere becomes a fault of its dimension); ``scoring.rubric`` replaces parts of dimensions.
    """
    rubric = catalog.rubric.over(scenario.scoring.rubric).over(override)
    dims: dict[str, DimensionRubric] = {d: rubric.get(d) for d in DIMENSIONS}
    escalation_ids = set(ESCALATION_REQUIRES[scenario.escalation])
    for bid, points in scenario.scoring.required.items():
        if bid not in catalog or bid in escalation_ids:
            continue
        dim = catalog[bid].dimension
        checks = list(dims[dim].checks)
        at = next((k for k, c in enumerate(checks) if c.id == bid), None)
        if at is None:
            checks.append(
                Check(
                    id=bid,
                    points=points,
                    did=f"showed {bid.replace('_', ' ')}",
                    missed=f"missed {bid.replace('_', ' ')}",
                )
            )
        else:
            checks[at] = checks[at].model_copy(update={"points": points})
        dims[dim] = dims[dim].model_copy(update={"checks": checks})
    harm = {h for d in dims.values() for h in d.harm}
    for bid, points in scenario.forbidden_behaviors(catalog).items():
        if bid in harm or bid not in catalog:
            continue
        dim = catalog[bid].dimension
        faults = dict(dims[dim].faults)
        old = faults.get(bid)
        faults[bid] = Fault(points=points, says=old.says if old else catalog[bid].meaning.rstrip("."))
        dims[dim] = dims[dim].model_copy(update={"faults": faults})
    for name, r in dims.items():  # a violation the detector was unsure of: a point in its dimension, never a 1
        if f"unsure_{name}" not in r.faults:
            extra = {**r.faults, f"unsure_{name}": Fault(points=1, says="possibly a violation (the scorer was unsure)")}
            dims[name] = r.model_copy(update={"faults": extra})
    return Rubric.model_validate(dims)


def _applicable(scenario: Scenario, rubric: Rubric, catalog: Catalog) -> set[str]:
    not_required = set(scenario.scoring.not_required)
    checks = {c.id for d in DIMENSIONS for c in rubric.get(d).checks} - not_required
    if scenario.mode == "voicemail":
        return (checks & (set(VOICEMAIL_CHECKS) | set(scenario.scoring.required))) | {"in_scope"}
    out = {c for c in checks if c in catalog or c in ("in_scope",)}
    if "verify_identity" not in not_required:
        out.add("verified_first")
    out.add("opening_offer")
    if "empathy" not in not_required:
        out.add("empathy_early")
    out.add("courtesy")
    out.add("facts_correct")
    if any(f.expected for f in scenario.facts.values()):
        out.add("expected_facts")
    if ESCALATION_REQUIRES[scenario.escalation]:
        out.add("escalation_required")
    if ESCALATION_IS_BLOCKER[scenario.escalation]:
        out.discard("next_steps")  # the call is handed on (911, the nurse): what happens next is theirs
    if scenario.escalation in ESCALATION_RECOMMENDS:
        out.add("escalation_recommended")
    return out & checks | {"in_scope"} & checks


def _finding(h: BehaviorHit, note: str = "") -> Finding:
    return Finding(h.id, h.turn, h.quote, h.time, note or h.note)


def findings(
    scenario: Scenario,
    transcript: Transcript,
    counted: list[BehaviorHit],
    esc: EscalationCheck,
    facts: facts_mod.FactCheck,
    rubric: Rubric,
    catalog: Catalog,
    informed: bool = True,
) -> Findings:
    """``informed``: the trainee said something the caller could rely on (a fact, information, an
    offer, an escalation); otherwise there is nothing whose correctness could be credited."""
    found = Findings(applies=_applicable(scenario, rubric, catalog))
    if not informed:
        found.applies.discard("facts_correct")
    first: dict[str, BehaviorHit] = {}
    for h in counted:
        first.setdefault(h.id, h)
    for bid, h in first.items():
        found.met[bid] = _finding(h)
    trainee_idx = [i for i, t in enumerate(transcript.turns) if t.speaker == "trainee"]
    # the opening offers help (inbound) or says why the VA calls (outbound)
    opening = [i for i in trainee_idx[:2]]
    offer = next((i for i in opening if _OFFER.search(transcript.turns[i].text)), None)
    if offer is not None:
        found.met["opening_offer"] = Finding("opening_offer", offer, quote(transcript.turns[offer].text))
    # verified first: identity asked, and nothing disclosed before it
    if "verify_identity" in first and "disclose_before_verify" not in first:
        found.met["verified_first"] = _finding(first["verify_identity"])
    # empathy early: within the first turns, or before the call is solved or escalated
    if "empathy" in first:
        e = first["empathy"]
        solved = min(
            (h.turn for h in counted if catalog[h.id].stage == "escalation" or h.id == "take_ownership"), default=None
        )
        early = e.turn in trainee_idx[:EARLY_TURNS] or (solved is not None and e.turn <= solved)
        if early:
            found.met["empathy_early"] = _finding(e)
        else:
            found.partial["empathy_early"] = 0.5
    # courtesy: please, thank you, happy to... in at least two of the trainee's turns
    polite = [i for i in trainee_idx if _COURTESY.search(transcript.turns[i].text)]
    if len(polite) >= 2:
        found.met["courtesy"] = Finding("courtesy", polite[0], quote(transcript.turns[polite[0]].text))
    elif polite:
        found.partial["courtesy"] = 0.5
    # facts
    if not any(w.critical for w in facts.wrong) and not facts.wrong:
        found.met["facts_correct"] = Finding("facts_correct")
    elif not any(w.critical for w in facts.wrong):
        found.partial["facts_correct"] = 0.75
    if facts.given is not None:
        expected = [n for n, f in scenario.facts.items() if f.expected]
        if expected and not facts.missing:
            first_given = min(facts.given.values())
            found.met["expected_facts"] = Finding(
                "expected_facts", first_given, "", None, "gave " + ", ".join(expected)
            )
        elif expected:
            found.partial["expected_facts"] = len(facts.given) / len(expected)
    for w in facts.wrong:
        found.add(
            found.harm if w.critical else found.faults,
            Finding(
                "wrong_fact_critical" if w.critical else "wrong_fact_minor",
                w.turn,
                quote(w.quote),
                transcript.turns[w.turn].start,
                w.evidence(),
            ),
        )
    for turn, day, text in facts.closed_days:
        found.add(
            found.faults,
            Finding(
                "wrong_fact_minor",
                turn,
                quote(text),
                transcript.turns[turn].start,
                f"the practice is open on {day.capitalize()}",
            ),
        )
    # escalation
    required = ESCALATION_REQUIRES[scenario.escalation]
    if required:
        done = [b for b in required if b in first]
        if len(done) == len(required):
            h = first[done[0]]
            found.met["escalation_required"] = _finding(h)
        elif done:
            found.partial["escalation_required"] = len(done) / len(required)
        blocker_kind = ESCALATION_IS_BLOCKER[scenario.escalation]
        if blocker_kind and not done:
            at = _wrong_turn(transcript, esc)
            found.add(
                found.harm,
                Finding(
                    "escalation_missed",
                    at,
                    quote(transcript.turns[at].text) if at is not None else "",
                    None,
                    "never made: " + ", ".join(esc.missing),
                ),
            )
        if blocker_kind and esc.late_by is not None and esc.action_turn is not None and esc.trigger_turn is not None:
            t = transcript.turns[esc.action_turn]
            when = f"{esc.late_by} trainee turns after the caller said it (turn {esc.trigger_turn})"
            if esc.delay_s is not None:
                when += f", {esc.delay_s:.0f} s later"
            if blocker_kind and esc.late_by >= esc_mod.VERY_LATE_TURNS:
                found.add(
                    found.harm,
                    Finding("escalation_very_late", esc.action_turn, quote(t.text), t.start, f"escalated {when}"),
                )
            elif esc.late_by >= esc_mod.LATE_TURNS:
                found.add(
                    found.faults,
                    Finding("escalation_late", esc.action_turn, quote(t.text), t.start, f"escalated {when}"),
                )
    recommended = ESCALATION_RECOMMENDS.get(scenario.escalation, ())
    if recommended and all(b in first for b in recommended):
        found.met["escalation_recommended"] = _finding(first[recommended[0]])
    for b in esc.needless:
        found.add(
            found.faults,
            _finding(first[b], f"{b.replace('_', ' ')} was not needed").__class__(
                "needless_transfer",
                first[b].turn,
                first[b].quote,
                first[b].time,
                f"{b.replace('_', ' ')} was not needed",
            ),
        )
    for b in esc.over:
        found.add(
            found.faults,
            Finding(
                "over_escalation",
                first[b].turn,
                first[b].quote,
                first[b].time,
                f"{b.replace('_', ' ')} was more than needed",
            ),
        )
    # in scope: nothing outside the VA's role
    if not any(b in first for b in OUT_OF_SCOPE):
        found.met["in_scope"] = Finding("in_scope")
    for h in counted:
        f = _finding(h)
        if h.confidence >= SURE or catalog[h.id].polarity != "negative":
            found.add(found.shown, f)
        else:  # a violation the detector was unsure of costs a point, never a 1 (and is listed for review)
            dim = catalog[h.id].dimension
            found.add(
                found.faults, Finding(f"unsure_{dim}", h.turn, h.quote, h.time, f"{h.id.replace('_', ' ')} (unsure)")
            )
    return found


def _wrong_turn(transcript: Transcript, esc: EscalationCheck) -> int | None:
    """Where a missed escalation went wrong: the first trainee turn after the trigger."""
    start = esc.trigger_turn if esc.trigger_turn is not None else 0
    return next((i for i in range(start, len(transcript.turns)) if transcript.turns[i].speaker == "trainee"), None)


# ---------------------------------------------------------------------------------------------
# scoring


def score_call(
    scenario: Scenario, transcript: Transcript, detector, catalog: Catalog, rubric: Rubric | None = None
) -> Scorecard:
    """Score one call. Pure: the same inputs always give the same scorecard. ``rubric``: an
    assessment's overrides of the catalog and scenario rubric."""
    trainee_idx = [i for i, t in enumerate(transcript.turns) if t.speaker == "trainee"]
    understood = understand_turns(transcript, detector)
    hits = detect_turns(transcript, detector, catalog, understood)
    hits += sequence_hits(scenario, transcript, hits)
    hits.sort(key=lambda h: (h.turn, h.id))
    counted = [h for h in hits if _counts(h, trainee_idx, catalog) and not _withheld(h, catalog)]
    esc = esc_mod.check(scenario, transcript, counted)
    fact_check = facts_mod.check(scenario, transcript)
    effective = effective_rubric(scenario, catalog, rubric)
    informed = any(u.facts or u.act_ids & {"inform", "offer", "escalation", "transfer"} for u in understood.values())
    found = findings(scenario, transcript, counted, esc, fact_check, effective, catalog, informed)
    dims: dict[str, DimensionScore] = {d: level(d, effective.get(d), found) for d in DIMENSIONS}
    blockers = _blockers(scenario, counted, esc, transcript)
    weights = {d: effective.get(d).weight for d in DIMENSIONS if dims[d].judged} or {d: 1.0 for d in DIMENSIONS}
    total = sum(weights.values()) or 1.0
    avg = round(sum(dims[d].score * w for d, w in weights.items()) / total, 2)
    pass_mark = scenario.scoring.pass_mark or PASS_MARK
    harmed = any(dims[d].score == 1 for d in DIMENSIONS)
    missed_action = any(b in ESCALATION_ACTIONS for b in esc.missing)
    passed = not blockers and not harmed and not missed_action and avg >= pass_mark
    card = Scorecard(
        scenario=scenario.id,
        passed=passed,
        blockers=blockers,
        dimensions=dims,
        behaviors=hits,
        escalation=esc,
        timing=timing(transcript),
        average=avg,
        pass_mark=pass_mark,
        mode=transcript.mode,
        review=review_notes(hits, catalog),
    )
    tips = feedback.coach(scenario, transcript, card, detector, catalog)
    return card.model_copy(update={"tips": tips, "feedback": [t.text for t in tips]})


def _blockers(
    scenario: Scenario, counted: list[BehaviorHit], esc: EscalationCheck, transcript: Transcript
) -> list[Blocker]:
    out = []
    always = set(scenario.blocker_ids())
    seen = set()
    for h in counted:
        if h.id in always and h.id not in seen:
            seen.add(h.id)
            reason = _BLOCKER_REASON[h.id] + (f" ({h.note})" if h.note else "")
            out.append(Blocker(id=h.id, turn=h.turn, quote=h.quote, reason=reason))
    if ESCALATION_IS_BLOCKER[scenario.escalation]:
        at = _wrong_turn(transcript, esc)
        for b in esc.missing:
            out.append(
                Blocker(
                    id=b,
                    turn=at,
                    quote=quote(transcript.turns[at].text) if at is not None else "",
                    reason=f"required {scenario.escalation.replace('_', ' ')} action never taken: {b}",
                )
            )
    return out


_BLOCKER_REASON = {
    "medical_advice": "gave medical advice or interpreted symptoms or results",
    "disclose_before_verify": "gave account or clinical details before verifying the caller",
    "voicemail_phi": "left medical or account details in a voicemail",
}


def score_transcript(scenario: Scenario, transcript, detector=None, catalog: Catalog | None = None) -> Scorecard:
    """Score a call: ``transcript`` is a file path (JSON or ``VA:``/``PATIENT:`` lines), a
    :class:`Transcript`, or a list of turns (``{"speaker", "text"}``). The real detector is built
    when none is given."""
    from pathlib import Path

    from simulator.authoring.catalog import load_catalog
    from simulator.scoring import transcript as tr_mod
    from simulator.speech import factory

    if isinstance(transcript, (str, Path)):
        transcript = tr_mod.load(transcript, scenario)
    elif isinstance(transcript, list):
        transcript = tr_mod.from_turns(scenario, transcript)
    catalog = catalog or load_catalog()
    detector = detector if detector is not None else factory.make_detector(catalog=catalog)
    return score_call(scenario, transcript, detector, catalog)
