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
from typing import TYPE_CHECKING

from simulator.catalog import Catalog
from simulator.scenario import END, RING, Scenario

if TYPE_CHECKING:
    from simulator.score import Scorecard, Tip
    from simulator.transcript import Transcript

OPENING, CORE, EMPATHY, CLOSING, DELIVERY = (
    "Opening and identification", "Core response", "Empathy phrase", "Closing", "Delivery")

# For a violation with no ideal reply to match, show the behavior that should have been used.
COUNTERPART = {"argue": "empathy", "dismissive": "empathy", "jargon": "restate_issue",
               "medical_advice": "transfer_clinical", "promise_outcome": "next_steps",
               "override_clinical": "flag_clinical", "voicemail_phi": "greet_practice",
               "disclose_before_verify": "verify_identity"}

# Delivery thresholds (seed guide: calm pacing; QA reviews flag slow pickups and fillers)
SLOW_RESPONSE_S = 2.5
FAST_WPM, SLOW_WPM = 180.0, 100.0
FILLER_RATE = 3.0  # per 100 words

_exemplar_cache: dict[tuple, list[tuple[str, str, frozenset[str]]]] = {}


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
    return set(re.findall(r"[a-z']+", text.lower())) - {"i", "a", "the", "to", "and", "it", "is", "you", "my", "that", "for", "of"}


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


def exemplars(scenario: Scenario, detector) -> list[tuple[str, str, frozenset[str]]]:
    """(state, ideal line, behaviors detected in it), detected once per scenario and detector."""
    key = (id(detector), scenario.id, scenario.source, scenario.greeting_exemplar, len(scenario.states))
    if key not in _exemplar_cache:
        from simulator.score import Context

        lines = scenario.exemplar_lines()
        ctx = Context(practice=scenario.practice.name, patient=scenario.patient.name, mode=scenario.mode)
        found = detector.detect_batch([(line, ctx) for _, line in lines]) if lines else []
        if len(_exemplar_cache) > 64:
            _exemplar_cache.clear()
        _exemplar_cache[key] = [(s, line, frozenset(d.id for d in dets)) for (s, line), dets in zip(lines, found)]
    return _exemplar_cache[key]


def _better_for(bid: str, scenario: Scenario, ex: list[tuple[str, str, frozenset[str]]], catalog: Catalog,
                at_state: str | None = None) -> str:
    """An exemplar line that shows ``bid``: the one for the same beat if it does, else the first
    that does, else the exemplar of a beat that expects it, else the catalog's own example."""
    if at_state:
        for s, line, ids in ex:
            if s == at_state and bid in ids:
                return line
    closing = bid in catalog and catalog[bid].stage == "closing"
    # a closing behavior is best shown by the last exemplar, never by the greeting
    for s, line, ids in (reversed(ex) if closing else ex):
        if bid in ids and not (closing and s == RING):
            return line
    for name, st in scenario.states.items():
        if bid in st.expects and st.exemplar:
            return st.exemplar
    if bid in catalog and catalog[bid].polarity == "positive" and catalog[bid].examples:
        return catalog[bid].examples[0]
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
    from simulator.score import Tip, quote

    ex = exemplars(scenario, detector)
    by_state = {s: line for s, line, _ in ex}
    tips: list[Tip] = []
    done: set[str] = set()

    def advice_for(bid: str, fallback: str) -> str:
        return (catalog[bid].tip if bid in catalog and catalog[bid].tip else fallback)

    # 1. blockers, then 2. other violations: quote the offending turn, show the ideal reply to the same beat
    blocker_ids = [b.id for b in card.blockers if b.turn is not None]
    violations = [h for h in card.behaviors if h.id in catalog and catalog[h.id].polarity == "negative"]
    violations.sort(key=lambda h: (h.id not in blocker_ids, h.turn))
    for h in violations:
        if h.id in done:
            continue
        done.add(h.id)
        state = _exemplar_state_before(h.turn, transcript, scenario)
        better = by_state.get(state or "", "")
        if h.id == "disclose_before_verify" or not better:
            better = _better_for(COUNTERPART.get(h.id, ""), scenario, ex, catalog) if h.id in COUNTERPART else better
        said = quote(transcript.turns[h.turn].text)
        kind = "blocker" if h.id in blocker_ids else "violation"
        tips.append(Tip(stage=stage_of(h.id, catalog), behavior=h.id, kind=kind, turn=h.turn, said=said, better=better,
                        text=_line(stage_of(h.id, catalog), advice_for(h.id, "Avoid this."), said, better)))

    # missing escalation (a blocker for emergencies, crises and same-day symptoms)
    for bid in card.escalation.missing:
        if bid in done:
            continue
        done.add(bid)
        turn = _where_expected(bid, scenario, transcript, catalog)
        said = quote(transcript.turns[turn].text) if turn is not None else ""
        better = _better_for(bid, scenario, ex, catalog)
        urgent = any(b.id == bid for b in card.blockers)
        tips.append(Tip(stage=stage_of(bid, catalog), behavior=bid, kind="blocker" if urgent else "missed", turn=turn,
                        said=said, better=better, text=_line(stage_of(bid, catalog), advice_for(bid, ""), said, better)))
    for bid in card.escalation.needless:
        h = next(b for b in card.behaviors if b.id == bid)
        advice = (f"This call needed {'no escalation' if scenario.escalation == 'none' else scenario.escalation.replace('_', ' ')}; "
                  f"escalating this way ({bid.replace('_', ' ')}) sends the caller to the wrong place.")
        state = _exemplar_state_before(h.turn, transcript, scenario)
        better = by_state.get(state or "", "")
        said = quote(transcript.turns[h.turn].text)
        tips.append(Tip(stage=CORE, behavior=bid, kind="violation", turn=h.turn, said=said, better=better,
                        text=_line(CORE, advice, said, better)))
        done.add(bid)

    # 3. misses, heaviest first, in script order
    required = scenario.required_behaviors(catalog)
    missed = [(bid, dim) for dim, d in card.dimensions.items() for bid in d.missed if bid not in done]
    order = {OPENING: 0, EMPATHY: 1, CORE: 2, CLOSING: 3}
    missed.sort(key=lambda x: (order.get(stage_of(x[0], catalog), 2), -required.get(x[0], 1.0)))
    for bid, _dim in missed:
        done.add(bid)
        turn = _where_expected(bid, scenario, transcript, catalog)
        said = quote(transcript.turns[turn].text) if turn is not None else ""
        if stage_of(bid, catalog) == OPENING and scenario.greeting_exemplar and bid != "verify_identity":
            better = scenario.greeting_exemplar
        else:
            better = _better_for(bid, scenario, ex, catalog)
        stage = stage_of(bid, catalog)
        recommended = bid in card.escalation.recommended_missing
        advice = advice_for(bid, f"Remember to {bid.replace('_', ' ')}.")
        if recommended:
            advice = "Recommended: " + advice
        tips.append(Tip(stage=stage, behavior=bid, kind="missed", turn=turn, said=said, better=better,
                        text=_line(stage, advice, said, better)))

    tips += delivery_tips(card)
    return tips


def delivery_tips(card: Scorecard) -> list[Tip]:
    from simulator.score import Tip

    t = card.timing
    out = []
    if t.response_latency_s and t.response_latency_s.median > SLOW_RESPONSE_S:
        out.append(Tip(stage=DELIVERY, kind="timing", text=(
            f"{DELIVERY}: answer within a second or two; your replies started a median "
            f"{t.response_latency_s.median:.1f} s after the caller stopped (slowest {t.response_latency_s.max:.1f} s). "
            "If you need time to look something up, say so: \"Let me pull that up for you, one moment.\"")))
    if t.long_silences:
        out.append(Tip(stage=DELIVERY, kind="timing", text=(
            f"{DELIVERY}: {len(t.long_silences)} silence{'s' if len(t.long_silences) > 1 else ''} over 3 seconds; "
            "fill a pause by telling the caller what you are doing.")))
    if t.speaking_rate_wpm and t.speaking_rate_wpm > FAST_WPM:
        out.append(Tip(stage=DELIVERY, kind="timing", text=(
            f"{DELIVERY}: you spoke at {t.speaking_rate_wpm:.0f} words a minute; slow down to about 140-160 so an upset caller can follow.")))
    elif t.speaking_rate_wpm and t.speaking_rate_wpm < SLOW_WPM:
        out.append(Tip(stage=DELIVERY, kind="timing", text=(
            f"{DELIVERY}: you spoke at {t.speaking_rate_wpm:.0f} words a minute; a steady 140-160 sounds confident.")))
    if t.filler_rate > FILLER_RATE:
        out.append(Tip(stage=DELIVERY, kind="timing", text=(
            f"{DELIVERY}: {t.filler_words} filler words (um, uh) - {t.filler_rate:.1f} per 100 words; "
            "pause silently instead, it sounds more sure.")))
    return out
