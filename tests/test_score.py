"""The scorer with a substring FakeDetector: dimensions, blockers, sequence, escalation, timing."""

from __future__ import annotations

import json

import pytest

from simulator.authoring import scenario as sc_mod
from simulator.authoring.catalog import DIMENSIONS, load_catalog
from simulator.authoring.model import Fact, Turn
from simulator.scoring import score, verification
from simulator.scoring import transcript as tr
from simulator.testing import FakeDetector
from simulator.text.numbers import spoken_numbers

GOOD_OPEN = (
    "VA: Thank you for calling Riverside Family Practice, this is Sam. May I have your full name and date of birth?"
)
ID_ANSWER = "PATIENT: Denise Carter, April twelfth, nineteen sixty-eight."
GOOD_CLOSE = (
    "VA: I understand, Ms. Carter, I'm sorry about that. Let me look into it. Is there anything else? "
    "Thank you for calling, have a good day."
)


@pytest.fixture(scope="module")
def billing():
    return sc_mod.load("billing-frustrated")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture
def det():
    return FakeDetector()


def run(sc, text, det, catalog, **ctx):
    t = tr.for_scenario(tr.parse(text), sc)
    if ctx:
        t = t.model_copy(update=ctx)
    return score.score_call(sc, t, det, catalog)


def kind(sc, escalation):
    return sc.model_copy(update={"escalation": escalation})


# --- the reference scenario's own examples --------------------------------------------------


def test_strong_example_passes_with_evidence(billing, catalog, det):
    card = score.score_call(billing, tr.from_example(billing, billing.examples[0]), det, catalog)
    assert card.passed and not card.blockers
    assert card.scores() == {d: 5 for d in DIMENSIONS}
    ev = {e.id: e for e in card.dimensions["greeting"].evidence}
    assert ev["greet_practice"].turn == 0 and "riverside" in ev["greet_practice"].quote.lower()
    assert ev["verify_identity"].turn == 2
    assert card.escalation.expected == "none" and card.escalation.correct


def test_weak_example_fails_with_located_blocker(billing, catalog, det):
    card = score.score_call(billing, tr.from_example(billing, billing.examples[1]), det, catalog)
    assert not card.passed
    b = card.blockers[0]
    # the balance she said herself is no disclosure; the claim's coding (a chart detail she never said) is
    assert b.id == "disclose_before_verify" and b.turn == 2 and "problem visit" in b.quote
    assert "claim status" in b.reason
    assert card.dimensions["greeting"].score == 2  # no opening to speak of, and details before verification
    assert set(card.dimensions["greeting"].missed) == {
        "greet_practice",
        "self_identify",
        "opening_offer",
        "verified_first",
    }
    assert "did not check the caller's identity before giving details" in card.dimensions["greeting"].why
    assert any(e.id == "disclose_before_verify" for e in card.dimensions["accuracy"].evidence)
    assert any(e.id == "argue" and e.kind == "violation" for e in card.dimensions["empathy"].evidence)
    assert card.feedback and card.feedback[0].startswith("Opening and identification")


def test_scoring_is_pure(billing, catalog, det):
    t = tr.from_example(billing, billing.examples[1])
    assert score.score_call(billing, t, det, catalog) == score.score_call(billing, t, det, catalog)


# --- number normalisation and PHI --------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ("$185.00", "a hundred and eighty-five dollars"),
        ("$185.00", "one hundred eighty five"),
        ("185", "a hundred eighty-five"),
        ("one eighty five", "it's one eighty-five"),
        ("$92.50", "ninety-two fifty"),
        ("$92.50", "ninety two dollars and fifty cents"),
        ("September 18", "september eighteenth"),
        ("September 18", "Sept... no, September 18th"),
        ("$1,200", "twelve hundred"),
        ("$1,200", "one thousand two hundred"),
        ("19 68", "nineteen sixty-eight"),
        ("$2,500", "twenty five hundred"),
        ("$1,005", "one thousand and five"),
    ],
)
def test_spoken_numbers_match(a, b):
    assert verification._contains(spoken_numbers(b), spoken_numbers(a)), (spoken_numbers(a), spoken_numbers(b))


@pytest.mark.parametrize(
    "a, b", [("$185.00", "eighteen fifty"), ("$185.00", "a hundred and eighty"), ("92", "nine two")]
)
def test_different_numbers_do_not_match(a, b):
    assert not verification._contains(spoken_numbers(b), spoken_numbers(a))


def test_disclosure_after_verification_is_fine(billing, catalog, det):
    text = f"{GOOD_OPEN}\n{ID_ANSWER}\nVA: Your balance is a hundred and eighty-five dollars.\n"
    card = run(billing, text, det, catalog)
    assert "disclose_before_verify" not in card.detected()


def test_disclosure_before_answer_is_a_blocker(billing, catalog, det):
    # asked, but said the amount in the same breath, before the caller answered
    text = f"VA: Riverside Family Practice, may I have your date of birth? I see one eighty-five owing.\n{ID_ANSWER}\n"
    card = run(billing, text, det, catalog)
    assert [b.id for b in card.blockers] == ["disclose_before_verify"] and card.blockers[0].turn == 0
    assert not card.passed


def test_unanswered_verification_does_not_count(billing, catalog, det):
    text = (
        "VA: Riverside, this is Sam, may I have your date of birth?\n"
        "PATIENT: Why do you need that? Just tell me about the bill.\n"
        "VA: Your insurance paid ninety-two dollars.\n"
    )
    card = run(billing, text, det, catalog)
    assert any(b.id == "disclose_before_verify" and b.turn == 2 for b in card.blockers)


def test_confirmation_with_yes_verifies(billing, catalog, det):
    text = (
        "VA: Riverside, this is Sam. Just to confirm your date of birth, April twelfth 1968?\n"
        "PATIENT: Yes.\nVA: The visit was September eighteenth.\n"
    )
    assert "disclose_before_verify" not in run(billing, text, det, catalog).detected()


def test_non_phi_fact_may_be_said_any_time(billing, catalog, det):
    sc = billing.model_copy(update={"facts": {"hours": Fact(value="8 am", phi=False)}})
    card = run(sc, "VA: Riverside, we open at 8 am.\n", det, catalog)
    assert not card.blockers


def test_voicemail_phi_from_facts(billing, catalog, det):
    sc = billing.model_copy(update={"mode": "voicemail"})
    card = run(
        sc,
        "VA: Hi, this is Sam from Riverside Family Practice, about your balance of $185. Call us back.\n",
        det,
        catalog,
    )
    assert card.mode == "voicemail"
    assert [b.id for b in card.blockers] == ["voicemail_phi"]
    assert "disclose_before_verify" not in card.detected()
    clean = run(
        sc, "VA: Hi, this is Sam from Riverside Family Practice. Please call us back at 555-0100.\n", det, catalog
    )
    assert not clean.blockers


# --- blockers and the pass rule --------------------------------------------------------------


def test_medical_advice_fails_a_good_call(billing, catalog, det):
    text = f"{GOOD_OPEN}\n{ID_ANSWER}\nVA: You should take ibuprofen for that knee.\nPATIENT: Ok.\n{GOOD_CLOSE}\n"
    card = run(billing, text, det, catalog)
    assert card.average >= card.pass_mark
    assert [b.id for b in card.blockers] == ["medical_advice"] and not card.passed


def test_average_below_pass_mark_fails(billing, catalog, det):
    card = run(billing, "VA: Hello.\nPATIENT: Hi.\nVA: Okay.\n", det, catalog)
    assert not card.blockers and card.average < card.pass_mark and not card.passed


def test_closing_words_in_greeting_do_not_count(billing, catalog, det):
    text = "VA: Thank you for calling Riverside, anything else I can help with?\nPATIENT: My bill.\nVA: Okay.\nPATIENT: ok\nVA: Bye.\n"
    card = run(billing, text, det, catalog)
    assert card.dimensions["closing"].score == 2  # a curt close: missing niceties are a 2, never a 1
    assert {"offer_more_help", "warm_close"} <= set(card.dimensions["closing"].missed)
    assert "warm_close" in card.detected()  # detected, just not credited


# --- escalation ------------------------------------------------------------------------------


def test_same_day_message_instead_of_transfer_is_wrong_urgency(billing, catalog, det):
    sc = kind(billing, "same_day_transfer")
    text = f"{GOOD_OPEN}\n{ID_ANSWER}\nVA: I'll take a message for the nurse.\nPATIENT: ok\n{GOOD_CLOSE}\n"
    card = run(sc, text, det, catalog)
    assert not card.escalation.correct and card.escalation.missing == ["transfer_clinical"]
    # located where the call went the wrong way: the first trainee turn after the caller spoke
    (b,) = [b for b in card.blockers if b.id == "transfer_clinical"]
    assert b.turn is not None and card_turn(sc, text, b.turn).speaker == "trainee"
    assert not card.passed and card.dimensions["escalation"].score == 1
    right = run(sc, text.replace("take a message for the nurse", "transfer you to the nurse now"), det, catalog)
    assert right.escalation.correct and right.passed and right.dimensions["escalation"].score == 5


def card_turn(sc, text, i):
    return tr.for_scenario(tr.parse(text), sc).turns[i]


def test_emergency_needs_911_and_staying(billing, catalog, det):
    sc = kind(billing, "emergency_911")
    half = run(sc, f"{GOOD_OPEN}\n{ID_ANSWER}\nVA: Please call 911 right now.\n{GOOD_CLOSE}\n", det, catalog)
    assert half.escalation.missing == ["stay_on_line"] and not half.passed
    assert [b.id for b in half.blockers] == ["stay_on_line"]
    assert 1 < half.dimensions["escalation"].score < 5
    full = run(
        sc, f"{GOOD_OPEN}\n{ID_ANSWER}\nVA: Call 911 now, I'll stay on the line with you.\n{GOOD_CLOSE}\n", det, catalog
    )
    assert full.escalation.correct and full.passed


def test_crisis_988_is_recommended_not_required(billing, catalog, det):
    sc = kind(billing, "crisis_transfer")
    base = f"{GOOD_OPEN}\n{ID_ANSWER}\nVA: I'll stay on the line and connect you with the nurse now.\n{GOOD_CLOSE}\n"
    without = run(sc, base, det, catalog)
    assert without.escalation.correct and without.passed
    assert without.escalation.recommended_missing == ["crisis_line_988"]
    assert without.dimensions["escalation"].score == 4
    with_988 = run(sc, base.replace("now.", "now. You can also call or text 988 any time."), det, catalog)
    assert with_988.dimensions["escalation"].score == 5


def test_needless_transfer_lowers_escalation_in_none(billing, catalog, det):
    text = f"{GOOD_OPEN}\n{ID_ANSWER}\nVA: Let me transfer you to the nurse.\nPATIENT: For a bill?\n{GOOD_CLOSE}\n"
    card = run(billing, text, det, catalog)
    assert card.escalation.needless == ["transfer_clinical"] and not card.escalation.correct
    assert card.dimensions["escalation"].score == 3
    assert any(t.behavior == "transfer_clinical" and t.kind == "violation" for t in card.tips)


def test_routine_escalation_missing_fails_but_is_not_a_blocker(billing, catalog, det):
    sc = kind(billing, "flag_billing")
    card = run(sc, f"{GOOD_OPEN}\n{ID_ANSWER}\n{GOOD_CLOSE}\n", det, catalog)
    assert not card.blockers and not card.passed
    assert set(card.escalation.missing) == {"flag_billing", "next_steps"}
    ok = run(
        sc,
        f"{GOOD_OPEN}\n{ID_ANSWER}\nVA: I'll send it to our billing specialist, they'll call within two business days.\n"
        f"PATIENT: ok\n{GOOD_CLOSE}\n",
        det,
        catalog,
    )
    assert ok.escalation.correct and ok.passed


# --- timing ----------------------------------------------------------------------------------


def test_timing_metrics(billing, catalog, det):
    turns = [
        Turn(speaker="trainee", text="Riverside Family Practice, this is Sam, um, how can I help?", start=0.0, end=4.0),
        Turn(speaker="patient", text="I have a question about my bill.", start=4.5, end=6.5),
        Turn(speaker="trainee", text="Uh, sure, may I have your date of birth?", start=7.5, end=10.5),
        Turn(speaker="patient", text="April twelfth 1968.", start=11.0, end=13.0),
        Turn(speaker="trainee", text="Thank you, let me look.", start=17.0, end=19.0),
    ]
    t = tr.from_turns(billing, turns)
    card = score.score_call(billing, t, det, catalog)
    tm = card.timing
    assert tm.response_latency_s.median == 2.5 and tm.response_latency_s.max == 4.0
    assert tm.talk_ratio == round(9 / 13, 2)
    words = 11 + 9 + 5
    assert tm.speaking_rate_wpm == round(words / (9 / 60), 1)
    assert [(s.after_turn, s.seconds) for s in tm.long_silences] == [(3, 4.0)]
    assert tm.filler_words == 2 and tm.filler_rate == round(200 / words, 2)
    assert card.behaviors[0].time == 0.0


def test_untimed_transcript_has_no_time_metrics(billing, catalog, det):
    card = run(billing, "VA: Um, hello.\n", det, catalog)
    assert card.timing.response_latency_s is None and card.timing.talk_ratio is None
    assert card.timing.filler_words == 1


# --- JSON contract ---------------------------------------------------------------------------


def test_json_has_the_design_keys(billing, catalog, det):
    card = score.score_call(billing, tr.from_example(billing, billing.examples[1]), det, catalog)
    data = json.loads(card.model_dump_json())
    assert {"scenario", "passed", "blockers", "dimensions", "behaviors", "escalation", "timing", "feedback"} <= set(
        data
    )
    assert set(data["dimensions"]) == set(DIMENSIONS)
    for d in data["dimensions"].values():
        assert isinstance(d["score"], int) and 1 <= d["score"] <= 5
        assert isinstance(d["evidence"], list) and isinstance(d["missed"], list)
    assert {"id", "turn", "quote"} <= set(data["blockers"][0])
    assert {"id", "turn", "quote", "confidence"} <= set(data["behaviors"][0])
    assert {"expected", "observed", "correct"} <= set(data["escalation"])
    assert {"response_latency_s", "talk_ratio"} <= set(data["timing"])
    assert all(isinstance(f, str) for f in data["feedback"])


def test_one_small_miss_is_not_a_one(billing, catalog, det):
    # accuracy is mostly correctness: a call that states nothing wrong but never restates the
    # concern has one small gap (a 4), not a failed dimension
    text = f"{GOOD_OPEN}\n{ID_ANSWER}\n{GOOD_CLOSE}\n"
    card = run(billing, text, det, catalog)
    assert card.dimensions["accuracy"].missed == ["restate_issue"]
    assert card.dimensions["accuracy"].score == 4
    only = billing.model_copy(
        update={"scoring": billing.scoring.model_copy(update={"required": {"restate_issue": 3.0}})}
    )
    assert run(only, text, det, catalog).dimensions["accuracy"].score == 3  # a scenario may weigh it more
    assert (
        run(only, text.replace("Let me look into it.", "So you were billed. Let me look into it."), det, catalog)
        .dimensions["accuracy"]
        .score
        == 5
    )


# --- accuracy checks facts ---------------------------------------------------------------------


def test_a_wrong_account_fact_is_an_accuracy_1_with_evidence(billing, catalog, det):
    said = f"{GOOD_OPEN}\n{ID_ANSWER}\nVA: Thank you, Ms. Carter. I see your balance is $240.\nPATIENT: Ok.\n{GOOD_CLOSE}\n"
    card = run(billing, said, det, catalog)
    acc = card.dimensions["accuracy"]
    wrong = [e for e in acc.evidence if e.id == "wrong_fact_critical"]
    assert acc.score == 1 and not card.passed
    assert wrong and "$240.00" in wrong[0].note and "$185.00" in wrong[0].note
    right = run(billing, said.replace("$240", "$185"), det, catalog)
    assert not any(e.id.startswith("wrong_fact") for e in right.dimensions["accuracy"].evidence)


def test_a_wrong_callback_number_is_critical_and_the_right_one_is_not(billing, catalog, det):
    sc = billing.model_copy(update={"mode": "voicemail"})
    wrong = run(
        sc, "VA: Hi, this is Sam from Riverside Family Practice. Please call us back at 555-0110.\n", det, catalog
    )
    ev = [e for e in wrong.dimensions["accuracy"].evidence if e.id == "wrong_fact_critical"]
    assert ev and "555-0110" in ev[0].note and "555-0100" in ev[0].note
    assert wrong.dimensions["accuracy"].score == 1
    right = run(
        sc, "VA: Hi, this is Sam from Riverside Family Practice. Please call us back at 555-0100.\n", det, catalog
    )
    assert right.dimensions["accuracy"].score > 1


def test_a_wrong_number_in_a_scenario_fact_is_critical_too(catalog, det):
    from simulator.authoring import scenario as sc_mod

    sc = sc_mod.load("voicemail-reminder")  # its facts hold the callback number
    said = "VA: Hi, this is Marcy at Riverside Family Practice with a message for Andre. Call us back at {}. Thanks!\n"
    assert run(sc, said.format("555-0110"), det, catalog).dimensions["accuracy"].score == 1
    assert run(sc, said.format("555-0100"), det, catalog).dimensions["accuracy"].score > 1
