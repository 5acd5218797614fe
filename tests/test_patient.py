"""The simulated patient as a pure state machine: no audio, no models."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from simulator.authoring import scenario as sc_mod
from simulator.authoring.model import Scenario, mood_band
from simulator.call.patient import (
    GOODBYE,
    REPROMPT,
    SILENCE_HANGUP,
    Knowledge,
    Patient,
    PatientOptions,
    questions_in,
    spoken_date,
)
from simulator.testing import FakeEmbedder


@pytest.fixture(scope="module")
def billing() -> Scenario:
    return sc_mod.load("billing-frustrated")


def mini(**over) -> Scenario:
    """A small inline scenario whose lines never mention the caller's identity."""
    data = {
        "id": "mini",
        "title": "Mini",
        "touchpoint": "general_inquiry",
        "practice": {"name": "Riverside Family Practice"},
        "patient": {
            "name": "Alex Moreno",
            "dob": "1990-03-01",
            "mood": {"start": 5, "hangup_at": 9},
            "knows": {"pharmacy": "The Walgreens on Main Street.", "insurance plan": "Aetna, through my wife's job."},
        },
        "states": {
            "ask": {
                "say": {
                    "calm": ["Hi, I have a question about my appointment."],
                    "upset": ["I have a question and I've been on hold forever."],
                    "angry": ["I've called three times now!"],
                },
                "expects": ["empathy"],
                "again": ["Are you there?", "Can you help me or not?"],
                "on": [
                    {"when": "take_ownership", "goto": "done"},
                    {"when": "argue", "goto": "end", "say": "Forget it."},
                ],
            },
            "done": {"say": "Great, thanks.", "goal": True, "on": [{"when": "offer_more_help", "goto": "bye"}]},
            "bye": {"say": "No, that's all.", "end": True},
        },
    }
    data.update(over)
    return Scenario.model_validate(data)


def begin(p: Patient) -> str:
    """Start the call; on an inbound call the VA answers. Returns the patient's first words."""
    first = p.start()
    if first is not None:
        return first.text
    return p.respond("Riverside Family Practice, this is Sam.", ["greet_practice", "self_identify"]).text


def run(p: Patient, turns):
    return [p.respond(text, behaviors) for text, behaviors in turns]


# ------------------------------------------------------------------ the reference scenario

STRONG = [
    ("Thank you for calling Riverside Family Practice, this is Sam.", ["greet_practice", "self_identify"]),
    ("I'm sorry, that's frustrating. May I have your name and date of birth?", ["empathy", "verify_identity"]),
    ("Thank you, Ms. Carter. So you expected the physical to be covered.", ["use_name", "restate_issue"]),
    ("I understand. I can set up a payment plan.", ["empathy", "take_ownership"]),
    ("Is there anything else I can help with?", ["offer_more_help"]),
    ("Thank you for calling, have a good day.", ["warm_close"]),
]


def test_inbound_call_rings_first_then_follows_the_states(billing):
    p = Patient(billing)
    assert p.start() is None and p.state == "ring"
    replies = run(p, STRONG)
    assert [r.state for r in replies] == ["opening", "identified", "explained", "resolving", "closing", "closing"]
    assert replies[0].kind == "line" and "bill" in replies[0].text
    assert replies[4].closing and not replies[4].ended  # the last line waits for the sign-off
    assert replies[5].ended and replies[5].end_reason == "end_state" and replies[5].kind == "goodbye"
    assert p.path == ["ring", "opening", "identified", "explained", "resolving", "closing"]
    assert p.goal_reached and p.ended
    with pytest.raises(RuntimeError):
        p.respond("hello?", [])


def test_same_seed_same_patient_different_seed_can_differ(billing):
    texts = lambda seed: [r.text for r in run(Patient(billing, PatientOptions(seed=seed)), STRONG)]
    assert texts(7) == texts(7)
    assert len({tuple(texts(s)) for s in range(12)}) > 1  # opening and resolving have two variants each


def test_line_choice_does_not_depend_on_the_path_taken(billing):
    """Two trainees reaching the same state in the same mood hear the same line (assessments)."""
    a = Patient(billing, PatientOptions(seed=3))
    b = Patient(billing, PatientOptions(seed=3))
    a.respond("hi", [])
    b.respond("hello riverside", ["greet_practice"])
    b.respond("what?", [])  # b took a detour (a confused line) before going on
    ra = a.respond("sorry, name and dob?", ["empathy", "verify_identity"])
    rb = b.respond("sorry, name and dob?", ["empathy", "verify_identity"])
    assert ra.state == rb.state == "identified" and mood_band(ra.mood) == mood_band(rb.mood)
    assert ra.text == rb.text


def test_mood_falls_with_empathy_and_rises_when_ignored_or_argued_with(billing):
    p = Patient(billing)
    p.respond("Riverside, this is Sam.", ["greet_practice"])  # ring has no expects: no change
    assert p.mood == 7
    r = p.respond("I'm so sorry about that. Let me look into it.", ["empathy", "take_ownership"])
    assert (r.mood_from, r.mood) == (7, 4)  # empathy -2, take_ownership -1
    r = p.respond("Okay.", [])  # shows none of empathy/verify_identity: ignored +1
    assert r.mood == 5 and r.kind == "again"
    r = p.respond("That's wrong, you should have asked.", ["argue"])  # +2 argue, +1 ignored, +1 transition
    assert r.mood == 9 and r.kind == "reaction" and "Excuse me" in r.text


def test_frustrated_caller_hangs_up_when_dismissed(billing):
    p = Patient(billing)
    p.respond("Billing.", [])
    r = p.respond("Calm down, it's not my problem.", ["dismissive"])  # 7 + 3 + 1 (ignored) = 10 = hangup_at
    assert r.ended and r.end_reason == "mood_hangup" and r.text and r.mood == 10


def test_mood_band_picks_the_variant(billing):
    def identified_line(behaviors):
        p = Patient(billing)
        p.respond("Riverside", [])
        return p.respond("name and date of birth?", behaviors)

    angry = identified_line(["verify_identity"])
    calm = identified_line(["verify_identity", "empathy", "take_ownership", "use_name"])  # 7-2-1-1 = 3: calm
    assert angry.state == calm.state == "identified"
    assert calm.mood <= 3 < angry.mood
    say = billing.states["identified"].say
    assert calm.text in say.calm and angry.text in say.angry


def test_after_counts_behaviors_from_earlier_turns(billing):
    p = Patient(billing)
    p.respond("Riverside, this is Sam, may I have your name and date of birth?", ["greet_practice", "verify_identity"])
    r = p.respond("Okay, I see.", [])  # verify_identity was shown in the greeting: `after` matches
    assert r.state == "identified"


# ------------------------------------------------------------------ identity, off-script, again


def test_identity_only_when_asked():
    p = Patient(mini())
    said = [begin(p)] + [r.text for r in run(p, [("Hello.", []), ("Okay then.", [])])]
    assert not any("Alex" in t or "March" in t for t in said)
    r = p.respond("Can I get your name and date of birth?", ["verify_identity"])
    assert r.kind == "identity"
    assert "Alex Moreno" in r.text and "March first, nineteen ninety" in r.text


def test_identity_line_follows_mood():
    calm = Patient(mini(patient={"name": "Alex Moreno", "dob": "1990-03-01", "mood": {"start": 1}}))
    angry = Patient(mini(patient={"name": "Alex Moreno", "dob": "1990-03-01", "mood": {"start": 9}}))
    begin(calm)
    angry.start()
    assert calm.respond("name and dob?", ["verify_identity"]).text.startswith("Sure")
    assert not angry.respond("name and dob?", ["verify_identity"]).text.startswith("Sure")


def test_off_script_question_answered_from_knows_by_word_overlap():
    p = Patient(mini())
    begin(p)
    r = p.respond("Which pharmacy do you use?", [])
    assert r.kind == "answer" and r.topic == "pharmacy" and "Walgreens" in r.text
    r = p.respond("And what insurance plan are you on?", [])
    assert r.kind == "answer" and r.topic == "insurance plan"


def test_off_script_question_with_an_embedder():
    emb = FakeEmbedder()
    p = Patient(mini(), PatientOptions(knows_threshold=0.2), embedder=emb)  # the fake's cosines run low
    begin(p)
    calls = emb.calls
    r = p.respond("okay, which pharmacy should we send it to?", [])
    assert r.kind == "answer" and r.topic == "pharmacy" and emb.calls == calls + 1
    assert p.respond("What colour is the sky?", []).kind == "confused"


def test_unknown_question_gets_a_confused_line_and_statements_get_again():
    p = Patient(mini())
    begin(p)
    r = p.respond("What is your favourite colour?", [])
    assert r.kind == "confused" and r.text in mini().patient.confused
    r = p.respond("Okay.", [])
    assert r.kind == "again" and r.text in ("Are you there?", "Can you help me or not?")


def test_again_lines_do_not_repeat_back_to_back():
    p = Patient(mini(patient={"name": "Alex Moreno", "dob": "1990-03-01", "mood": {"start": 5}}))
    begin(p)
    texts = [p.respond("Hmm.", []).text for _ in range(8)]
    assert all(a != b for a, b in itertools.pairwise(texts))


def test_questions_in():
    assert questions_in("Thanks. Which pharmacy do you use?") == ["Which pharmacy do you use?"]
    assert questions_in("how can i help you today") == ["how can i help you today"]
    assert questions_in("I will send it now.") == []


def test_knowledge_threshold():
    k = Knowledge({"pharmacy": "Walgreens"}, None)
    assert k.match("Which pharmacy?")[0] == "pharmacy"
    assert k.match("What time is it?") is None
    assert k.match("The pharmacy is closed.") is None  # not a question


# ------------------------------------------------------------------ silence and endings


def test_silence_reprompts_then_hangs_up():
    p = Patient(mini())
    begin(p)
    r = p.silence()
    assert r.kind == "reprompt" and r.text in REPROMPT.all() and not r.ended
    r = p.silence()
    assert r.ended and r.end_reason == "silence_hangup" and r.text in SILENCE_HANGUP.all()


def test_speaking_resets_the_silence_count():
    p = Patient(mini())
    begin(p)
    p.silence()
    p.respond("Sorry, go ahead.", ["empathy"])
    assert not p.silence().ended


def test_goto_end_hangs_up_with_the_reaction():
    p = Patient(mini())
    begin(p)
    r = p.respond("No, that's wrong.", ["argue"])
    assert r.ended and r.end_reason == "goto_end" and r.text == "Forget it."


def test_trainee_close_after_the_goal_ends_the_call():
    p = Patient(mini())
    begin(p)
    p.respond("Let me take care of that.", ["take_ownership"])
    assert p.goal_reached
    r = p.respond("Thanks for calling, take care!", ["warm_close"])
    assert r.ended and r.end_reason == "trainee_close" and r.text in GOODBYE.all()


def test_trainee_close_before_the_goal_does_not_end_the_call():
    p = Patient(mini())
    begin(p)
    r = p.respond("Thanks for calling, bye!", ["warm_close"])
    assert not r.ended


def test_end_state_without_a_signoff_hangs_up_quietly():
    p = Patient(mini())
    begin(p)
    p.respond("I'll do it.", ["take_ownership"])
    r = p.respond("Anything else?", ["offer_more_help"])
    assert r.closing and r.state == "bye"
    r = p.silence()
    assert r.ended and r.text == "" and r.end_reason == "end_state"


def test_trainee_hangup():
    p = Patient(mini())
    begin(p)
    p.trainee_hung_up()
    assert p.ended and p.end_reason == "trainee_hangup"


def test_outbound_call_starts_with_the_patient():
    p = Patient(mini(direction="outbound"))
    first = p.start()
    assert first is not None and first.kind == "opening" and p.state == "ask"


def test_explicit_ring_state_transitions():
    sc = mini(
        states={
            "ring": {"on": [{"unless": "greet_practice", "say": "Um, is this Riverside?", "mood": 1}]},
            "ask": {"say": "Hi, I have a question.", "on": [{"when": "take_ownership", "goto": "end"}]},
        },
        start="ask",
    )
    p = Patient(sc)
    r = p.respond("Hello?", [])
    assert r.kind == "reaction" and r.text == "Um, is this Riverside?" and r.state == "ask" and r.mood == 6
    p2 = Patient(sc)
    r = p2.respond("Riverside Family Practice.", ["greet_practice"])
    assert r.kind == "line" and r.text == "Hi, I have a question."


def test_all_lines_covers_everything_it_can_say(billing):
    p = Patient(billing, embedder=None)
    lines = set(p.all_lines())
    for seed in range(5):
        q = Patient(billing, PatientOptions(seed=seed))
        for text, b in STRONG + [("Which insurance plan do you have?", []), ("What?", [])]:
            if q.ended:
                break
            r = q.respond(text, b)
            assert not r.text or r.text in lines
    assert p.identity_line(0) in lines and p.identity_line(10) in lines
    assert "Hello? Are you still there?" in lines


@pytest.mark.parametrize(
    "date,spoken",
    [
        (dt.date(1968, 4, 12), "April twelfth, nineteen sixty-eight"),
        (dt.date(2005, 3, 1), "March first, two thousand five"),
        (dt.date(1901, 12, 23), "December twenty-third, nineteen oh one"),
        (dt.date(1950, 7, 30), "July thirtieth, nineteen fifty"),
        (dt.date(2012, 11, 22), "November twenty-second, twenty twelve"),
    ],
)
def test_spoken_date(date, spoken):
    assert spoken_date(date) == spoken
