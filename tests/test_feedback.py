"""Coaching tips: one per miss, tied to the script framework, quoting the trainee and the exemplar."""

from __future__ import annotations

import pytest

from simulator import feedback
from simulator import scenario as sc_mod
from simulator import score
from simulator import transcript as tr
from simulator.catalog import load_catalog
from simulator.scenario import Turn
from simulator.testing import FakeDetector


@pytest.fixture(scope="module")
def billing():
    return sc_mod.load("billing-frustrated")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def weak_card(billing, catalog):
    return score.score_call(billing, tr.from_example(billing, billing.examples[1]), FakeDetector(), catalog)


def test_one_tip_per_miss_and_violation(weak_card):
    behaviors = [t.behavior for t in weak_card.tips if t.behavior]
    assert len(behaviors) == len(set(behaviors))
    missed = {m for d in weak_card.dimensions.values() for m in d.missed}
    assert missed <= set(behaviors)
    assert {"disclose_before_verify", "argue", "jargon"} <= set(behaviors)
    assert weak_card.feedback == [t.text for t in weak_card.tips]


def test_blockers_come_first(weak_card):
    assert weak_card.tips[0].kind == "blocker" and weak_card.tips[0].behavior == "disclose_before_verify"
    assert all(t.kind != "blocker" for t in weak_card.tips[1:])


def test_tips_name_the_framework_stage(weak_card):
    stages = {t.behavior: t.stage for t in weak_card.tips}
    assert stages["greet_practice"] == "Opening and identification"
    assert stages["verify_identity"] == "Opening and identification"
    assert stages["empathy"] == "Empathy phrase" and stages["argue"] == "Empathy phrase"
    assert stages["restate_issue"] == "Core response" and stages["jargon"] == "Core response"
    assert stages["warm_close"] == "Closing" and stages["offer_more_help"] == "Closing"
    for t in weak_card.tips:
        assert t.text.startswith(t.stage + ": ")


def test_tips_quote_the_trainee_and_an_exemplar(billing, weak_card):
    tips = {t.behavior: t for t in weak_card.tips}
    assert tips["greet_practice"].said == "Billing." and tips["greet_practice"].turn == 0
    assert tips["greet_practice"].better == billing.greeting_exemplar
    assert 'You said: "Billing."' in tips["greet_practice"].text
    # the argument is quoted whole, and the better line is the exemplar for that same beat
    assert tips["argue"].said.startswith("No, that's wrong")
    exemplars = {line for _, line in billing.exemplar_lines()}
    assert tips["argue"].better in exemplars
    # closing advice points at the ideal sign-off, never at the greeting
    assert tips["warm_close"].said == "Okay, bye."
    assert tips["warm_close"].better == billing.states["closing"].exemplar
    # disclosure: show how to verify instead
    assert "date of birth" in tips["disclose_before_verify"].better
    # the catalog's advice is in the text
    assert "name and date of birth" in tips["verify_identity"].text


def test_missed_empathy_quotes_the_reply_to_the_upset_line(billing, catalog):
    turns = [Turn(speaker="trainee", text="Riverside Family Practice, this is Sam. May I have your name and date of birth?"),
             Turn(speaker="patient", text="It's Denise Carter. April twelfth, nineteen sixty-eight. Now can you tell me why I'm being charged?"),
             Turn(speaker="trainee", text="The claim was processed."),
             Turn(speaker="patient", text="But nobody told me that at the visit! I asked about my knee for two minutes and now it's a whole other charge?"),
             Turn(speaker="trainee", text="That is how it works.")]
    card = score.score_call(billing, tr.from_turns(billing, turns), FakeDetector(), catalog)
    tip = next(t for t in card.tips if t.behavior == "empathy")
    # `explained` is the beat that expects empathy: its reply is turn 4
    assert tip.turn == 4 and tip.said == "That is how it works."
    assert "I understand" in tip.better


def test_a_perfect_call_gets_no_tips(billing, catalog):
    card = score.score_call(billing, tr.from_example(billing, billing.examples[0]), FakeDetector(), catalog)
    assert card.tips == [] and card.feedback == []


def test_delivery_tips(billing, catalog):
    turns = [Turn(speaker="trainee", text="Um riverside uh this is sam um hi", start=0.0, end=1.0),
             Turn(speaker="patient", text="Hello", start=1.0, end=2.0),
             Turn(speaker="trainee", text="Uh um date of birth", start=7.0, end=8.0)]
    card = score.score_call(billing, tr.from_turns(billing, turns), FakeDetector(), catalog)
    delivery = [t.text for t in card.tips if t.stage == "Delivery"]
    assert any("median 5.0 s" in t for t in delivery)
    assert any("silence" in t for t in delivery)
    assert any("filler words" in t for t in delivery)
    assert any("words a minute" in t for t in delivery)
    assert card.tips[-1].stage == "Delivery"


def test_state_matching_survives_asr_noise(billing):
    assert feedback._state_for_patient_line(
        billing, "but nobody told me that at the visit i asked about my knee for two minutes") == "explained"
    assert feedback._state_for_patient_line(billing, "what is the weather") is None
