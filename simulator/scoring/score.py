"""The scorer: one call transcript in, an evidence-backed QA scorecard out.

``score_call`` is a pure function of the scenario, the transcript, a behavior detector
and the catalog. It mirrors the practice's monthly QA review (DESIGN.md): five
dimensions scored 1-5, each with the turns that earned or cost the points and what
was missed; blockers (medical advice, disclosing account or clinical details before
identity is verified, details left in a voicemail, a missed emergency/crisis/same-day
escalation) fail the call whatever the scores; the escalation is checked against the
scenario's kind for the right action at the right urgency.

Each dimension starts at 5 and loses up to 4 points for the share (by weight,
``Scenario.required_behaviors()``) of its required behaviors never shown, and the weight
of each distinct violation shown (``Scenario.forbidden_behaviors()``); never below 1. Turn numbers in the scorecard index ``transcript.turns`` from 0.

The pass rule. A dimension with nothing to judge (no required behavior in this scenario,
and no violation or out-of-place action shown in it) still gets its 5 on the card: in an
escalation ``none`` scenario, "escalation handling" means the call was handled within the
VA's scope without a needless transfer, and that is true. But a free 5 must not carry a
weak call over the pass mark (a call that only greets and verifies would average 3.0), so
``average`` -- the figure compared with the pass mark -- is taken over the *judged*
dimensions only, and a call also fails when any judged dimension scored 1 (a dimension
failed outright is a failed call in the monthly QA review, however good the rest).
Blockers and a missed required escalation fail the call whatever the scores (DESIGN.md).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from simulator.authoring.catalog import DIMENSIONS, Catalog
from simulator.authoring.model import Scenario
from simulator.authoring.policy import (
    ESCALATION_IS_BLOCKER,
    ESCALATION_RECOMMENDS,
    ESCALATION_REQUIRES,
    NEEDLESS,
    OVER,
)
from simulator.scoring import feedback
from simulator.scoring.scorecard import (
    BehaviorHit,
    Blocker,
    DimensionScore,
    EscalationCheck,
    Evidence,
    Scorecard,
    Silence,
    Stat,
    Timing,
    quote,
)
from simulator.scoring.transcript import Transcript
from simulator.text.numbers import spoken_numbers
from simulator.text.split import words
from simulator.understanding import hearing
from simulator.understanding.detect import Context

LONG_SILENCE_S = 3.0
MIN_DIMENSION_WEIGHT = 2.0  # see _score_dimension
FILLERS = ("um", "umm", "uh", "uhh", "uhm", "erm", "er", "ah", "hmm", "mm")


def _contains(hay: list[str], needle: list[str]) -> bool:
    n = len(needle)
    if not n or n > len(hay):
        return False
    first = needle[0]
    return any(hay[i] == first and hay[i : i + n] == needle for i in range(len(hay) - n + 1))


@dataclass(frozen=True)
class FactForm:
    fact: str  # the fact's name in the scenario
    said: str  # the form as written
    tokens: tuple[str, ...]


def phi_forms(scenario: Scenario) -> list[FactForm]:
    """Every written and spoken form of the scenario's PHI facts, normalised."""
    forms = []
    for name, fact in scenario.facts.items():
        if not fact.phi:
            continue
        for said in [fact.value, *fact.spoken]:
            toks = tuple(spoken_numbers(said))
            if toks:
                forms.append(FactForm(name, said, toks))
    return forms


def find_phi(text: str, forms: Sequence[FactForm]) -> list[FactForm]:
    toks = spoken_numbers(text)
    hits, seen = [], set()
    for f in forms:
        if f.fact not in seen and _contains(toks, list(f.tokens)):
            hits.append(f)
            seen.add(f.fact)
    return hits


# ---------------------------------------------------------------------------------------------
# identity verification


_AFFIRM = re.compile(r"\b(yes|yeah|yep|yup|correct|that's right|that is right|that's me|speaking|it is)\b", re.I)
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


def _names_identity(text: str, scenario: Scenario) -> bool:
    """Does the text contain the caller's name or date of birth (in any spoken form)?"""
    toks = spoken_numbers(text)
    name_parts = [p for p in spoken_numbers(scenario.patient.name) if len(p) > 2]
    if any(p in toks for p in name_parts):
        return True
    dob = scenario.patient.dob
    month = _MONTHS[dob.month - 1]
    if month in toks and str(dob.day) in toks:
        return True
    if _contains(toks, [str(dob.year)]) or _contains(toks, [str(dob.year // 100), str(dob.year % 100)]):
        return True
    return bool(re.search(rf"\b0?{dob.month}\s*[/-]\s*0?{dob.day}\b", text))


def verified_at(transcript: Transcript, scenario: Scenario, verify_turns: set[int]) -> int | None:
    """Index of the patient turn that completed identity verification, or None.

    Verification is a trainee turn asking for name and date of birth, answered by the
    caller giving them in the next patient turn; or a trainee turn confirming them
    ("that's Denise Carter, born April twelfth?") answered with a yes.
    """
    asked = confirming = False
    for i, t in enumerate(transcript.turns):
        if t.speaker == "trainee":
            if i in verify_turns:
                asked = True
                confirming = confirming or _names_identity(t.text, scenario)
        elif asked:
            if _names_identity(t.text, scenario) or (confirming and _AFFIRM.search(t.text)):
                return i
            asked = confirming = False  # the caller did not answer; the trainee must ask again
    return None


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
# scoring


def context_for(transcript: Transcript) -> Context:
    return Context(practice=transcript.practice, patient=transcript.patient, mode=transcript.mode)


def detect_turns(transcript: Transcript, detector, catalog: Catalog) -> list[BehaviorHit]:
    """Run detection over every trainee turn (one batch) and keep catalog behaviors."""
    ctx = context_for(transcript)
    idx = [i for i, t in enumerate(transcript.turns) if t.speaker == "trainee"]
    results = detector.detect_batch([(transcript.turns[i].text, ctx) for i in idx])
    hits = []
    for i, dets in zip(idx, results):
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


def _said(found: Sequence[FactForm]) -> str:
    """The words of the first fact found, as evidence to look up among the recognised words."""
    return " ".join(found[0].tokens) if found else ""


def _withheld(hit: BehaviorHit, catalog: Catalog) -> bool:
    """A violation heard uncertainly: listed for review, not counted (one misheard word must not fail a call)."""
    return hit.uncertain and catalog[hit.id].polarity == "negative"


def review_notes(hits: list[BehaviorHit], catalog: Catalog) -> list[str]:
    out = []
    for h in hits:
        if h.uncertain:
            counted = "not counted" if _withheld(h, catalog) else "counted"
            out.append(
                f"turn {h.turn}: {h.id} rests on words recognition was unsure of "
                f"(lowest word probability {h.heard:.2f}; {counted}): \"{h.quote}\". Listen to the recording."
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


def score_call(scenario: Scenario, transcript: Transcript, detector, catalog: Catalog) -> Scorecard:
    """Score one call. Pure: the same inputs always give the same scorecard."""
    trainee_idx = [i for i, t in enumerate(transcript.turns) if t.speaker == "trainee"]
    hits = detect_turns(transcript, detector, catalog)
    hits += sequence_hits(scenario, transcript, hits)
    hits.sort(key=lambda h: (h.turn, h.id))

    counted = [h for h in hits if _counts(h, trainee_idx, catalog) and not _withheld(h, catalog)]
    first: dict[str, BehaviorHit] = {}
    for h in counted:
        first.setdefault(h.id, h)

    required = scenario.required_behaviors(catalog)
    forbidden = scenario.forbidden_behaviors(catalog)
    esc = check_escalation(scenario, counted)

    dims: dict[str, DimensionScore] = {}
    for dim in DIMENSIONS:
        dims[dim] = _score_dimension(dim, scenario, catalog, counted, first, required, forbidden, esc)

    blockers = _blockers(scenario, counted, esc)
    judged = [d for d in DIMENSIONS if _judged(dims[d])] or list(DIMENSIONS)
    avg = round(sum(dims[d].score for d in judged) / len(judged), 2)
    missed_required_escalation = bool(esc.missing)
    failed_outright = any(dims[d].score == 1 for d in judged)
    passed = (
        not blockers and not missed_required_escalation and not failed_outright and avg >= scenario.scoring.pass_mark
    )
    card = Scorecard(
        scenario=scenario.id,
        passed=passed,
        blockers=blockers,
        dimensions=dims,
        behaviors=hits,
        escalation=esc,
        timing=timing(transcript),
        average=avg,
        pass_mark=scenario.scoring.pass_mark,
        mode=transcript.mode,
        review=review_notes(hits, catalog),
    )
    tips = feedback.coach(scenario, transcript, card, detector, catalog)
    return card.model_copy(update={"tips": tips, "feedback": [t.text for t in tips]})


def sequence_hits(scenario: Scenario, transcript: Transcript, hits: list[BehaviorHit]) -> list[BehaviorHit]:
    """PHI said too early: ``disclose_before_verify`` on a call, ``voicemail_phi`` on a voicemail."""
    forms = phi_forms(scenario)
    if not forms:
        return []
    out = []
    if transcript.mode == "voicemail":
        already = {h.turn for h in hits if h.id == "voicemail_phi"}
        for i, t in enumerate(transcript.turns):
            if t.speaker == "trainee" and i not in already:
                found = find_phi(t.text, forms)
                if found:
                    out.append(
                        BehaviorHit(
                            id="voicemail_phi",
                            turn=i,
                            quote=quote(t.text),
                            confidence=1.0,
                            time=t.start,
                            **_heard(_said(found), t),
                        )
                    )
        return out
    verify_turns = {h.turn for h in hits if h.id == "verify_identity"}
    done = verified_at(transcript, scenario, verify_turns)
    for i, t in enumerate(transcript.turns):
        if done is not None and i > done:
            break
        if t.speaker != "trainee":
            continue
        found = find_phi(t.text, forms)
        if found:
            out.append(
                BehaviorHit(
                    id="disclose_before_verify",
                    turn=i,
                    quote=quote(t.text),
                    confidence=1.0,
                    time=t.start,
                    **_heard(_said(found), t),
                )
            )
    return out


def check_escalation(scenario: Scenario, counted: list[BehaviorHit]) -> EscalationCheck:
    kind = scenario.escalation
    from simulator.authoring.catalog import ESCALATION_ACTIONS

    observed = list(dict.fromkeys(h.id for h in counted if h.id in ESCALATION_ACTIONS))
    shown = {h.id for h in counted}
    missing = [b for b in ESCALATION_REQUIRES[kind] if b not in shown]
    needless = [b for b in NEEDLESS.get(kind, ()) if b in shown]
    over = [b for b in OVER.get(kind, ()) if b in shown and b not in ESCALATION_REQUIRES[kind]]
    rec_missing = [b for b in ESCALATION_RECOMMENDS.get(kind, ()) if b not in shown]
    return EscalationCheck(
        expected=kind,
        observed=observed,
        correct=not missing and not needless,
        missing=missing,
        needless=needless,
        over=over,
        recommended_missing=rec_missing,
    )


def _judged(dim: DimensionScore) -> bool:
    """Had something to judge: a required behavior (shown or missed), or a violation or note."""
    return bool(dim.evidence or dim.missed)


def _score_dimension(
    dim: str,
    scenario: Scenario,
    catalog: Catalog,
    counted: list[BehaviorHit],
    first: dict[str, BehaviorHit],
    required: dict[str, float],
    forbidden: dict[str, float],
    esc: EscalationCheck,
) -> DimensionScore:
    req = {b: w for b, w in required.items() if b in catalog and catalog[b].dimension == dim}
    if dim == "escalation":
        for b in ESCALATION_RECOMMENDS.get(scenario.escalation, ()):
            req.setdefault(b, 1.0)
    total = sum(req.values())
    missed_w = sum(w for b, w in req.items() if b not in first)
    # Missing everything required costs 4 points; a dimension with a single small
    # requirement (accuracy: "restate the issue") loses 2 for it, not all 4: a call with
    # no errors is not a 1 in accuracy because one courtesy was skipped.
    lost = 4.0 * missed_w / max(total, MIN_DIMENSION_WEIGHT) if total else 0.0
    evidence = [Evidence(id=b, turn=first[b].turn, quote=first[b].quote, time=first[b].time) for b in req if b in first]
    evidence.sort(key=lambda e: e.turn if e.turn is not None else -1)

    penalty = 0.0
    seen = set()
    for h in counted:
        if h.id in forbidden and catalog[h.id].dimension == dim:
            evidence.append(Evidence(id=h.id, turn=h.turn, quote=h.quote, time=h.time, kind="violation"))
            if h.id not in seen:
                penalty += forbidden[h.id]
                seen.add(h.id)
    if dim == "escalation":
        for b in esc.needless:
            h = first[b]
            evidence.append(Evidence(id=b, turn=h.turn, quote=h.quote, time=h.time, kind="violation"))
            penalty += 2
        for b in esc.over:
            h = first[b]
            evidence.append(Evidence(id=b, turn=h.turn, quote=h.quote, time=h.time, kind="note"))
            penalty += 1
    score = max(1, min(5, int(5 - lost - penalty + 0.5)))
    missed = [b for b in sorted(req, key=lambda b: -req[b]) if b not in first]
    return DimensionScore(score=score, evidence=evidence, missed=missed)


def _blockers(scenario: Scenario, counted: list[BehaviorHit], esc: EscalationCheck) -> list[Blocker]:
    out = []
    always = set(scenario.blocker_ids())
    seen = set()
    for h in counted:
        if h.id in always and h.id not in seen:
            seen.add(h.id)
            out.append(Blocker(id=h.id, turn=h.turn, quote=h.quote, reason=_BLOCKER_REASON[h.id]))
    if ESCALATION_IS_BLOCKER[scenario.escalation]:
        for b in esc.missing:
            out.append(
                Blocker(
                    id=b,
                    turn=None,
                    quote="",
                    reason=f"required {scenario.escalation.replace('_', ' ')} action never taken: {b}",
                )
            )
    return out


_BLOCKER_REASON = {
    "medical_advice": "gave medical advice or interpreted symptoms or results",
    "disclose_before_verify": "gave account or clinical details before verifying name and date of birth",
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
