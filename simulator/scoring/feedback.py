"""Coaching: for every miss and every violation, one concrete tip in plain words.

Each tip is tied to the script framework a VA learns (DESIGN.md, seed guide):
opening and identification, core response, empathy phrase, closing. It quotes what the
trainee actually said at that moment and shows what better sounds like, taken from the
scenario's own exemplar lines (the ideal VA reply to the same beat of the call), with
the catalog's advice. Blockers come first, then other violations, then misses by weight,
then delivery (pace, fillers, response time).
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.authoring.catalog import Catalog
from simulator.authoring.model import END, RING, Scenario
from simulator.scoring.scorecard import Scorecard, Tip, quote
from simulator.text.split import sentences, words
from simulator.understanding.detect import Context

if TYPE_CHECKING:
    from simulator.scoring.transcript import Transcript

OPENING, CORE, EMPATHY, CLOSING, DELIVERY = (
    "Opening and identification",
    "Core response",
    "Empathy phrase",
    "Closing",
    "Delivery",
)

# For a violation, the behavior its "Better" line must show instead (medical advice and clinical
# overrides depend on the call's escalation, see counterpart()).
COUNTERPART = {
    "argue": "empathy",
    "dismissive": "empathy",
    "jargon": "restate_issue",
    "promise_outcome": "next_steps",
    "override_clinical": "flag_clinical",
    "voicemail_phi": "greet_practice",
    "disclose_before_verify": "verify_identity",
}

# Last resort when neither the scenario's exemplars nor the catalog's examples show a behavior:
# a plain rewrite, filled with the call's names. Each one is checked by the detector like any
# other candidate (tests/test_feedback.py), so a template that stops showing its behavior is a
# failing test, not a misleading tip.
TEMPLATES = {
    "greet_practice": "Thank you for calling {practice}.",
    "self_identify": "My name is {va}, and I'll be helping you today.",
    "verify_identity": "Before we go on, may I have your full name and date of birth?",
    "restate_issue": "Let me make sure I have this right: you're calling about {topic}.",
    "empathy": "I'm so sorry you're dealing with this; I understand how stressful it is.",
    "use_name": "Thank you, {patient}.",
    "take_ownership": "Let me look into that for you right now.",
    "advise_911": "I need you to hang up and call 911 right now.",
    "stay_on_line": "I'll stay on the line with you until help arrives.",
    "transfer_clinical": "I'm transferring you to our nurse right now.",
    "crisis_line_988": "You can also call or text 988, the Suicide and Crisis Lifeline, at any time.",
    "flag_clinical": "I'll send a message to the clinical team so the nurse can review it.",
    "route_records": "I'll route your request to our medical records department.",
    "escalate_manager": "I'll escalate this to our practice manager.",
    "flag_billing": "I'll send this to our billing specialist to review.",
    "offer_more_help": "Is there anything else I can help you with today?",
    "next_steps": "Here's what happens next: you should hear back from us within two business days.",
    "warm_close": "Thank you for calling {practice}, and have a good day.",
}

# Delivery thresholds (seed guide: calm pacing; QA reviews flag slow pickups and fillers)
SLOW_RESPONSE_S = 2.5
FAST_WPM, SLOW_WPM = 180.0, 100.0
FILLER_RATE = 3.0  # per 100 words

# detector -> (scenario key -> candidates): kept per detector object (and dropped with it), so a
# new detector never reads what another one detected
_exemplar_cache: weakref.WeakKeyDictionary[Any, dict[tuple, list[Candidate]]] = weakref.WeakKeyDictionary()


def stage_of(bid: str, catalog: Catalog) -> str:
    if bid == "disclose_before_verify" or bid not in catalog:
        return OPENING
    b = catalog[bid]
    if b.stage == "opening":
        return OPENING
    if b.stage == "closing":
        return CLOSING
    if b.dimension == "empathy":
        return EMPATHY
    return CORE


def _tokens(text: str) -> set[str]:
    return set(words(text)) - {
        "i",
        "a",
        "the",
        "to",
        "and",
        "it",
        "is",
        "you",
        "my",
        "that",
        "for",
        "of",
    }


def _state_for_patient_line(scenario: Scenario, text: str) -> str | None:
    """The scenario beat a patient turn belongs to: the state whose lines it resembles most."""
    words = _tokens(text)
    best, best_sim = None, 0.25
    for name, line in _patient_lines(scenario):
        other = _tokens(line)
        if not words or not other:
            continue
        sim = len(words & other) / len(words | other)
        if sim > best_sim:
            best, best_sim = name, sim
    return best


def _patient_lines(scenario: Scenario) -> list[tuple[str, str]]:
    """(state the trainee is in after hearing it, patient line) for every line the patient can say.

    A transition's reaction line is answered in the state the transition leads to."""
    out = []
    for name, st in scenario.states.items():
        out += [(name, line) for line in st.say.all() + (st.again.all() if st.again else [])]
        for tr in st.on:
            if tr.say and tr.goto != END:
                out += [(tr.goto or name, line) for line in tr.say.all()]
    return out


@dataclass(frozen=True)
class Candidate:
    """A line a tip could show as better: a whole exemplar, one of its sentences, a catalog
    example or a template, with the behaviors the detector finds in it."""

    state: str | None  # the beat it answers (None: not from the scenario)
    text: str
    ids: frozenset[str]


def exemplars(scenario: Scenario, detector) -> list[tuple[str | None, str, frozenset[str]]]:
    """(state, ideal line, behaviors detected in it), detected once per scenario and detector."""
    return [(c.state, c.text, c.ids) for c in _candidates(scenario, detector) if c.text in _whole_lines(scenario)]


def _whole_lines(scenario: Scenario) -> set[str]:
    return {line for _, line in scenario.exemplar_lines()}


def _candidates(scenario: Scenario, detector) -> list[Candidate]:
    """Every exemplar line and each of its sentences, in conversation order, detected in one batch."""
    key = (scenario.id, scenario.source, scenario.greeting_exemplar, len(scenario.states))
    cache = _exemplar_cache.setdefault(detector, {})
    if key not in cache:
        items: list[tuple[str, str]] = []
        for state, line in scenario.exemplar_lines():
            items.append((state, line))
            parts = sentences(line)
            if len(parts) > 1:
                items += [(state, p) for p in parts]
        ctx = Context.of(scenario)
        found = detector.detect_batch([(text, ctx) for _, text in items]) if items else []
        if len(cache) > 64:
            cache.clear()
        cache[key] = [Candidate(s, t, frozenset(d.id for d in dets)) for (s, t), dets in zip(items, found)]
    return cache[key]


def counterpart(bid: str, scenario: Scenario, catalog: Catalog) -> str | None:
    """The good behavior a tip's "Better" line must show: the behavior itself for a miss, its
    opposite for a violation (medical advice: the escalation this call needs; a needless
    escalation: handling it yourself, or this call's own escalation)."""
    from simulator.authoring.policy import ESCALATION_REQUIRES

    required = ESCALATION_REQUIRES.get(scenario.escalation, ())
    if bid in ("medical_advice", "override_clinical"):
        for esc in ("advise_911", "transfer_clinical", "flag_clinical"):
            if esc in required:
                return esc
        return "flag_clinical"
    if bid in COUNTERPART:
        return COUNTERPART[bid]
    if bid in catalog and catalog[bid].polarity == "negative":
        return "empathy"
    return bid


def _va_name(scenario: Scenario) -> str:
    for _, line in scenario.exemplar_lines():
        m = re.search(r"\b(?:this is|my name is|name's) ([A-Z][a-z]+)\b", line)
        if m:
            return m.group(1)
    return "Sam"


# What a caller on each touchpoint is calling about, for the restate template.
TOPICS = {
    "billing": "your bill",
    "billing_dispute": "charges on your bill that you believe are wrong",
    "symptoms": "symptoms that are worrying you",
    "emergency": "what is happening to you right now",
    "crisis": "how you are feeling right now",
    "refill": "a refill of your medication",
    "lab_results": "your lab results",
    "records": "a copy of your medical records",
    "complaint": "making a complaint",
    "scheduling": "booking an appointment",
    "general_inquiry": "our hours and services",
    "new_patient": "joining the practice as a new patient",
    "referral": "the status of your referral",
    "post_visit_followup": "how you have been since your visit",
    "reminder": "your upcoming appointment",
}


def _fallbacks(target: str, scenario: Scenario, catalog: Catalog, detector) -> list[Candidate]:
    """The template, then the catalog's typed examples (the lowercase ones imitate speech
    recognition, not what to say), each detected with this call's names: an example that names
    another practice does not show greet_practice here. The template comes first because the
    catalog's examples are about other calls ("...the refill for your lisinopril...")."""
    texts = []
    if target in TEMPLATES:
        topic = TOPICS.get(scenario.touchpoint, "your question today")
        texts.append(
            TEMPLATES[target].format(
                practice=scenario.practice.name, patient=scenario.patient.name, va=_va_name(scenario), topic=topic
            )
        )
    if target in catalog and catalog[target].polarity == "positive":
        texts += [t for t in catalog[target].examples if t[:1].isupper()]
    ctx = Context.of(scenario)
    found = detector.detect_batch([(t, ctx) for t in texts]) if texts else []
    return [Candidate(None, t, frozenset(d.id for d in dets)) for t, dets in zip(texts, found)]


def _overlaps(text: str, used: set[str]) -> bool:
    n = " ".join(words(text))
    return any(n == u or (n and u and (n in u or u in n)) for u in used)


def better_line(
    target: str | None,
    scenario: Scenario,
    detector,
    catalog: Catalog,
    used: set[str],
    at_state: str | None = None,
    avoid: str | None = None,
) -> str:
    """A line that shows ``target`` according to the detector, shows no violation (nor ``avoid``),
    and repeats no line already used in this scorecard. Looked for in the beat being coached
    first, then the beats that expect the behavior, then the rest of the scenario's exemplars
    (closing behaviors from the end, never the greeting), then the catalog, then a template.
    A single sentence that shows it is preferred to the whole exemplar (it is what to copy)."""
    if not target:
        return ""
    negative = {b.id for b in catalog if b.polarity == "negative"} | ({avoid} if avoid else set())
    pool = _candidates(scenario, detector)
    closing = target in catalog and catalog[target].stage == "closing"
    beats = [s for s, _ in scenario.exemplar_lines()]
    if closing:
        beats = [s for s in reversed(beats) if s != RING]
    preferred = ([at_state] if at_state else []) + [n for n, st in scenario.states.items() if target in st.expects]
    order = list(dict.fromkeys(p for p in preferred + beats if p is not None))

    def ok(c: Candidate) -> bool:
        return target in c.ids and not (c.ids & negative) and not _overlaps(c.text, used)

    for state in order:
        here = [c for c in pool if c.state == state]
        parts = [c for c in here if c.text not in _whole_lines(scenario)]
        for c in parts + [c for c in here if c not in parts]:
            if ok(c):
                used.add(" ".join(words(c.text)))
                return c.text
    for c in _fallbacks(target, scenario, catalog, detector):
        if ok(c):
            used.add(" ".join(words(c.text)))
            return c.text
    return ""


def _reply_turn(transcript: Transcript, state: str, scenario: Scenario) -> int | None:
    """The trainee turn that answered the patient's line of ``state``."""
    turns = transcript.turns
    for i, t in enumerate(turns):
        if t.speaker == "patient" and _state_for_patient_line(scenario, t.text) == state:
            for j in range(i + 1, len(turns)):
                if turns[j].speaker == "trainee":
                    return j
    return None


def _where_expected(bid: str, scenario: Scenario, transcript: Transcript, catalog: Catalog) -> int | None:
    """The trainee turn where a missed behavior should have been shown."""
    trainee = [i for i, t in enumerate(transcript.turns) if t.speaker == "trainee"]
    if not trainee:
        return None
    stage = stage_of(bid, catalog)
    if stage == OPENING:
        return trainee[0]
    if stage == CLOSING:
        return trainee[-1]
    for name, st in scenario.states.items():
        if bid in st.expects:
            j = _reply_turn(transcript, name, scenario)
            if j is not None:
                return j
    after_patient = [i for i in trainee if i > 0 and transcript.turns[i - 1].speaker == "patient"]
    return (after_patient or trainee)[0]


def _exemplar_state_before(turn: int, transcript: Transcript, scenario: Scenario) -> str | None:
    """The beat a trainee turn replied to (for a violation: what should have been said instead)."""
    for i in range(turn - 1, -1, -1):
        if transcript.turns[i].speaker == "patient":
            return _state_for_patient_line(scenario, transcript.turns[i].text)
    return RING if scenario.va_speaks_first else None


def _line(stage: str, advice: str, said: str, better: str) -> str:
    text = f"{stage}: {advice.strip()}"
    if said:
        text += f' You said: "{said}"'
        text += "" if said.endswith((".", "?", "!", "...")) else "."
    if better and better != said:
        text += f' Better: "{better}"'
    return text


def coach(scenario: Scenario, transcript: Transcript, card: Scorecard, detector, catalog: Catalog) -> list[Tip]:
    """Tips in order: blockers, violations, missed escalation, needless escalation, misses, delivery.
    Each "Better" line shows the behavior the tip asks for (checked by the detector) and no two
    tips in one scorecard show the same line."""
    tips: list[Tip] = []
    done: set[str] = set()
    used: set[str] = set()

    def advice_for(bid: str, fallback: str) -> str:
        return catalog[bid].tip if bid in catalog and catalog[bid].tip else fallback

    def better(bid: str, at_state: str | None = None, avoid: str | None = None) -> str:
        return better_line(counterpart(bid, scenario, catalog), scenario, detector, catalog, used, at_state, avoid)

    # 1. blockers, then 2. other violations: quote the offending turn, show the good behavior for that beat
    blocker_ids = [b.id for b in card.blockers if b.turn is not None]
    violations = [h for h in card.behaviors if h.id in catalog and catalog[h.id].polarity == "negative"]
    violations.sort(key=lambda h: (h.id not in blocker_ids, h.turn))
    for h in violations:
        if h.id in done:
            continue
        done.add(h.id)
        state = _exemplar_state_before(h.turn, transcript, scenario)
        good = better(h.id, state)
        said = quote(transcript.turns[h.turn].text)
        kind = "blocker" if h.id in blocker_ids else "violation"
        tips.append(
            Tip(
                stage=stage_of(h.id, catalog),
                behavior=h.id,
                kind=kind,
                turn=h.turn,
                said=said,
                better=good,
                text=_line(stage_of(h.id, catalog), advice_for(h.id, "Avoid this."), said, good),
            )
        )

    # missing escalation (a blocker for emergencies, crises and same-day symptoms)
    for bid in card.escalation.missing:
        if bid in done:
            continue
        done.add(bid)
        turn = _where_expected(bid, scenario, transcript, catalog)
        said = quote(transcript.turns[turn].text) if turn is not None else ""
        good = better(bid)
        urgent = any(b.id == bid for b in card.blockers)
        tips.append(
            Tip(
                stage=stage_of(bid, catalog),
                behavior=bid,
                kind="blocker" if urgent else "missed",
                turn=turn,
                said=said,
                better=good,
                text=_line(stage_of(bid, catalog), advice_for(bid, ""), said, good),
            )
        )
    for bid in card.escalation.needless:
        h = next(b for b in card.behaviors if b.id == bid)
        advice = (
            f"This call needed {'no escalation' if scenario.escalation == 'none' else scenario.escalation.replace('_', ' ')}; "
            f"escalating this way ({bid.replace('_', ' ')}) sends the caller to the wrong place."
        )
        state = _exemplar_state_before(h.turn, transcript, scenario)
        good = better_line(needless_counterpart(scenario), scenario, detector, catalog, used, state, avoid=bid)
        said = quote(transcript.turns[h.turn].text)
        tips.append(
            Tip(
                stage=CORE,
                behavior=bid,
                kind="violation",
                turn=h.turn,
                said=said,
                better=good,
                text=_line(CORE, advice, said, good),
            )
        )
        done.add(bid)

    # wrong facts: what was said, and what the account or practice says
    for dim in card.dimensions.values():
        for e in dim.evidence:
            if e.id in ("wrong_fact_critical", "wrong_fact_minor") and e.turn is not None and e.id not in done:
                done.add(e.id)
                said = quote(transcript.turns[e.turn].text)
                advice = f"Check the account or the practice's information before you state it: {e.note}."
                tips.append(
                    Tip(
                        stage=CORE,
                        behavior=None,
                        kind="violation",
                        turn=e.turn,
                        said=said,
                        better="",
                        text=_line(CORE, advice, said, ""),
                    )
                )

    # 3. misses, heaviest first, in script order (a rubric check is coached by the behavior it rests on)
    required = scenario.required_behaviors(catalog)
    missed = [
        (CHECK_BEHAVIOR.get(bid, bid), dim)
        for dim, d in card.dimensions.items()
        for bid in d.missed
        if CHECK_BEHAVIOR.get(bid, bid) in catalog and CHECK_BEHAVIOR.get(bid, bid) not in done
    ]
    missed = list(dict.fromkeys(missed))
    order = {OPENING: 0, EMPATHY: 1, CORE: 2, CLOSING: 3}
    missed.sort(key=lambda x: (order.get(stage_of(x[0], catalog), 2), -required.get(x[0], 1.0)))
    for bid, _dim in missed:
        done.add(bid)
        turn = _where_expected(bid, scenario, transcript, catalog)
        said = quote(transcript.turns[turn].text) if turn is not None else ""
        stage = stage_of(bid, catalog)
        # opening behaviors are shown by the greeting first
        good = better(bid, RING if stage == OPENING and scenario.greeting_exemplar else None)
        recommended = bid in card.escalation.recommended_missing
        advice = advice_for(bid, f"Remember to {bid.replace('_', ' ')}.")
        if recommended:
            advice = "Recommended: " + advice
        tips.append(
            Tip(
                stage=stage,
                behavior=bid,
                kind="missed",
                turn=turn,
                said=said,
                better=good,
                text=_line(stage, advice, said, good),
            )
        )

    tips += delivery_tips(card)
    return tips


# Rubric checks computed by the scorer, and the behavior a tip for each asks for
CHECK_BEHAVIOR = {
    "verified_first": "verify_identity",
    "empathy_early": "empathy",
    "escalation_recommended": "crisis_line_988",
}


def needless_counterpart(scenario: Scenario) -> str:
    """What a needless escalation's "Better" line shows: the call's own escalation, or, when it
    needed none, handling the request yourself."""
    from simulator.authoring.policy import ESCALATION_REQUIRES

    required = ESCALATION_REQUIRES.get(scenario.escalation, ())
    return required[0] if required else "take_ownership"


def tip_target(tip, scenario: Scenario, catalog: Catalog) -> str | None:
    """The behavior a tip's "Better" line is meant to show (for tests and reports)."""
    if not tip.behavior:
        return None
    if tip.kind == "violation" and tip.behavior in catalog and catalog[tip.behavior].polarity == "positive":
        return needless_counterpart(scenario)  # a needless escalation
    return counterpart(tip.behavior, scenario, catalog)


def delivery_tips(card: Scorecard) -> list[Tip]:
    t = card.timing
    out = []
    if t.response_latency_s and t.response_latency_s.median > SLOW_RESPONSE_S:
        out.append(
            Tip(
                stage=DELIVERY,
                kind="timing",
                text=(
                    f"{DELIVERY}: answer within a second or two; your replies started a median "
                    f"{t.response_latency_s.median:.1f} s after the caller stopped (slowest {t.response_latency_s.max:.1f} s). "
                    "If you need time to look something up, say so: \"Let me pull that up for you, one moment.\""
                ),
            )
        )
    if t.long_silences:
        out.append(
            Tip(
                stage=DELIVERY,
                kind="timing",
                text=(
                    f"{DELIVERY}: {len(t.long_silences)} silence{'s' if len(t.long_silences) > 1 else ''} over 3 seconds; "
                    "fill a pause by telling the caller what you are doing."
                ),
            )
        )
    if t.speaking_rate_wpm and t.speaking_rate_wpm > FAST_WPM:
        out.append(
            Tip(
                stage=DELIVERY,
                kind="timing",
                text=(
                    f"{DELIVERY}: you spoke at {t.speaking_rate_wpm:.0f} words a minute; slow down to about 140-160 so an upset caller can follow."
                ),
            )
        )
    elif t.speaking_rate_wpm and t.speaking_rate_wpm < SLOW_WPM:
        out.append(
            Tip(
                stage=DELIVERY,
                kind="timing",
                text=(
                    f"{DELIVERY}: you spoke at {t.speaking_rate_wpm:.0f} words a minute; a steady 140-160 sounds confident."
                ),
            )
        )
    if t.filler_rate > FILLER_RATE:
        out.append(
            Tip(
                stage=DELIVERY,
                kind="timing",
                text=(
                    f"{DELIVERY}: {t.filler_words} filler words (um, uh) - {t.filler_rate:.1f} per 100 words; "
                    "pause silently instead, it sounds more sure."
                ),
            )
        )
    return out
