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


# ------------------------------------------------------------------ listening (issue 14): the turn's Understanding
# FakeDetector.understand gives acts by substring and facts by the real rules, so these tests pin the
# patient's logic, not the detector's figures.

from simulator.call import temperament as temperaments  # noqa: E402
from simulator.call.patient import Heard, cue_acts, garbled, slots_in  # noqa: E402
from simulator.call.probes import fits, play, understander, why_not  # noqa: E402
from simulator.testing import FakeDetector  # noqa: E402
from simulator.understanding.detect import Act, Context, Detection, Understanding  # noqa: E402
from simulator.understanding.facts import extract  # noqa: E402

GREET = "Thank you for calling Riverside Family Practice, this is Sam."


def heard(p: Patient, text: str):
    return p.respond(FakeDetector().understand(text, Context.of(p.scenario)))


def greeted(sc: Scenario, *turns: str) -> Patient:
    p = Patient(sc)
    p.start()
    for t in (GREET, *turns):
        heard(p, t)
    return p


def test_respond_takes_an_understanding_and_the_thin_path_still_works(billing):
    a, b = Patient(billing), Patient(billing)
    u = Understanding(
        GREET, (Detection("greet_practice", 0.9), Detection("self_identify", 0.9)), (Act("greeting", 0.9),)
    )
    ra = a.respond(u)
    rb = b.respond(GREET, ["greet_practice", "self_identify"])
    assert ra.text == rb.text and ra.state == rb.state == "opening"


def test_a_hold_is_acknowledged_in_character_and_the_beat_waits(billing):
    p = greeted(billing, "I'm sorry, that's frustrating. May I have your name and date of birth?")
    assert p.state == "identified"
    r = heard(p, "Can you hold for a moment while I pull up your account? I'll look into it.")
    assert r.kind == "hold" and p.state == "identified" and "knee" not in r.text
    assert r.text in temperaments.reaction(billing.patient, "hold").all()


def test_say_that_again_repeats_the_last_line_never_word_for_word():
    p = greeted(mini())
    first = p.last_line
    r = heard(p, "Sorry, could you say that again?")
    assert r.kind == "repeat" and first[1:] in r.text and r.text != first
    r2 = heard(p, "Sorry, could you repeat that?")
    assert first[1:] in r2.text and r2.text != r.text  # asked twice: said again, never twice the same


def test_spelling_and_callback_number(billing):
    p = greeted(billing)
    assert heard(p, "Could you spell your last name for me?").text.endswith("C-A-R-T-E-R.")
    assert "555-0142" in heard(p, "What's the best number to reach you?").text


def test_spelling_a_name_from_the_request():
    sc = mini(patient={"name": "Alex Moreno", "dob": "1990-03-01", "knows": {"the patient": "It's my son, Jaylen."}})
    p = greeted(sc)
    assert "J-A-Y-L-E-N" in heard(p, "How do you spell Jaylen?").text
    assert "A-L-E-X" in heard(p, "And could you spell your first name?").text


def test_a_wrong_fact_is_contested_and_a_right_one_is_not(billing):
    p = greeted(billing, "I'm sorry. May I have your name and date of birth?")
    r = heard(p, "Thank you, Ms. Carter. I see a balance of three hundred and ten dollars.")
    assert r.kind == "contest" and "hundred and eighty-five" in r.text and p.state == "identified"
    r = heard(p, "Okay, I have the charge from your visit on October third.")
    assert r.kind == "contest" and "September" in r.text
    q = greeted(billing, "I'm sorry. May I have your name and date of birth?")
    assert heard(q, "I see a balance of a hundred and eighty-five dollars.").kind != "contest"
    assert heard(q, "Which pharmacy do you use?").kind != "contest"  # asking states nothing


def test_facts_compared_by_words_need_a_claim():
    sc = mini(
        patient={
            "name": "Alex Moreno",
            "dob": "1990-03-01",
            "facts": {
                "pharmacy": {"value": "the Walgreens on Main", "about": ["pharmacy", "cvs"], "same": ["walgreens"]}
            },
        }
    )
    p = greeted(sc)
    assert heard(p, "I'll send it to the CVS on Fifth, as usual.").kind == "contest"
    assert heard(p, "Which pharmacy do you use?").kind != "contest"
    assert heard(p, "So that's the Walgreens on Main?").kind != "contest"


WANTS = {
    "slots": [
        {"days": ["monday", "tuesday", "wednesday", "thursday", "friday"], "after": "3:30 pm"},
        {"days": ["saturday"], "before": "12 pm"},
    ],
    "by": "June 15",
    "late": "That's after tryouts. It has to be before the fifteenth.",
}


def wanting(**over) -> Scenario:
    return mini(patient={"name": "Alex Moreno", "dob": "1990-03-01", "wants": {**WANTS, **over}})


def test_an_offered_slot_is_accepted_when_it_fits_and_declined_when_not():
    p = greeted(wanting())
    r = heard(p, "I have Tuesday, June 9th at 4:30.")
    assert r.kind == "accept" and "Tuesday at 4:30" in r.text
    p = greeted(wanting())
    r = heard(p, "I could do Monday at 1:15 in the afternoon.")
    assert r.kind == "decline" and "Monday at 1:15" in r.text
    r = heard(p, "How about Saturday, June 13th at 10:15 in the morning?")
    assert r.kind == "accept" and "Saturday" in r.text
    p = greeted(wanting())
    r = heard(p, "The first opening is Tuesday, June 16th at four.")
    assert r.kind == "decline" and "fifteenth" in r.text  # after `by`: the late line


def test_by_a_weekday_and_next_week():
    p = greeted(wanting(slots=[{}], by="friday", late="Friday I fly. Too late."))
    assert heard(p, "It should be ready by next Monday.").text == "Friday I fly. Too late."
    assert heard(p, "It could be ready by Thursday afternoon.").kind == "accept"


def test_slots_in():
    s = slots_in(
        "I have Tuesday at 3:45 or Saturday at 10:15 am.", extract("I have Tuesday at 3:45 or Saturday at 10:15 am.")
    )
    assert [(x.weekday, x.time) for x in s] == [("tuesday", (15, 45)), ("saturday", (10, 15))]


def test_escalations_land_in_every_temperament():
    for name in ("neutral", "withdrawn_crisis", "anxious_parent", "frustrated"):
        sc = mini(patient={"name": "Alex Moreno", "dob": "1990-03-01", "temperament": name})
        for text, kind in [
            ("Please call 911 right now.", "emergency_911"),
            ("You can call or text 988 any time.", "crisis_line"),
            ("A message for the nurse goes out today.", "escalation"),
        ]:
            p = greeted(sc)
            r = heard(p, text)
            assert r.kind == kind, (name, text, r)
            assert r.text in temperaments.reaction(sc.patient, kind).all()


def test_a_transition_on_something_incidental_waits_for_the_escalation(billing):
    # identified: when_any [restate_issue, take_ownership, empathy] -> explained ("my knee"). "Let me look into
    # it, I'll transfer you" shows take_ownership, but what it does is a transfer: the caller answers that.
    p = greeted(billing, "I'm sorry. May I have your name and date of birth?")
    r = heard(p, "Let me look into it. I'm going to transfer you to our billing team.")
    assert r.kind == "transfer" and "knee" not in r.text and p.state == "identified"


def test_transitions_on_acts(billing):
    p = greeted(billing, "I'm sorry. May I have your name and date of birth?")
    r = heard(p, "So part of the visit was billed as an office visit because a new concern was discussed.")
    assert p.state == "explained" and r.kind == "line"  # `acts: inform` moved the beat on


def test_a_caller_in_crisis_never_storms_off_angrily():
    sc = mini(
        patient={
            "name": "Tom B",
            "dob": "1974-03-09",
            "temperament": "withdrawn_crisis",
            "mood": {"start": 8, "hangup_at": 9},
        }
    )
    p = greeted(sc)
    r = heard(p, "Calm down, that's not my problem.")
    assert r.ended and r.end_reason == "mood_hangup"
    assert not p.out_of_temperament(r.text) and "ridiculous" not in r.text.lower()
    assert p.out_of_temperament("This is ridiculous. I'm done. Goodbye.")
    chatty = Patient(mini(patient={"name": "Ann B", "dob": "1950-01-01", "temperament": "chatty_older"}))
    assert chatty.out_of_temperament("...Never mind. I have to go.")  # the crisis caller's own line


def test_scenario_reactions_override_the_temperament():
    sc = mini(
        patient={
            "name": "Alex Moreno",
            "dob": "1990-03-01",
            "temperament": "busy",
            "reactions": {"hold": "Okay, but I'm on my break!"},
        }
    )
    p = greeted(sc)
    assert heard(p, "Can you hold a moment?").text == "Okay, but I'm on my break!"
    assert "Okay, but I'm on my break!" in p.all_lines()


def test_an_early_close_is_objected_to_and_a_close_after_the_goal_ends_the_call():
    p = greeted(mini())
    r = heard(p, "Okay, thanks for calling, bye!")
    assert r.kind == "early_close" and not r.ended
    p = greeted(mini(), "Let me look into that for you.")
    assert p.goal_reached
    assert heard(p, "Okay, have a good day, bye!").ended


def test_words_that_make_no_sentence_get_a_clarify_once(billing):
    p = greeted(billing)
    mood = p.mood
    r = heard(p, "So the— um, the balance— uh, for the—")
    assert r.kind == "clarify" and p.mood == mood
    r = heard(p, "So the— um, the balance— uh, for the—")
    assert r.kind != "clarify"  # asked once: the call goes on
    assert garbled("Mm the, uh, lab... AARP twice the— for your, pending the—")
    assert not garbled("I'm sorry, that's frustrating. Let me look into it.")


def test_an_upsetting_behavior_heard_with_low_confidence_is_asked_about(billing):
    p = greeted(billing)
    unsure = Understanding("Not my problem.", (Detection("dismissive", 0.3),), (Act("inform", 0.9),))
    r = p.respond(unsure)
    assert r.kind == "clarify" and not r.ended
    sure = greeted(billing)
    r = sure.respond(Understanding("Not my problem.", (Detection("dismissive", 0.9),), (Act("inform", 0.9),)))
    assert r.ended  # 7 + 3 + 1 (ignored) = 10: she hangs up


def test_again_escalates_and_never_repeats_back_to_back():
    sc = mini(
        patient={"name": "Alex Moreno", "dob": "1990-03-01", "mood": {"start": 1}},
        states={
            "ask": {
                "say": "Hi, I have a question.",
                "again": {"calm": ["Hello?"], "angry": ["Are you listening to me?"]},
                "on": [{"when": "take_ownership", "goto": "end"}],
            },
        },
    )
    p = greeted(sc)
    texts = [heard(p, "Hmm.").text for _ in range(5)]
    assert all(a != b for a, b in itertools.pairwise(texts))
    assert texts[0] == "Hello?" and texts[1] == "Are you listening to me?"  # rephrase, then sharper
    assert p.mood > 1  # then a mood step


def test_asks_about_skips_a_question_already_answered():
    sc = mini(
        states={
            "opening": {"say": "Hi, I have questions.", "on": [{"goto": "hours"}]},
            "hours": {
                "say": "What are your hours?",
                "asks_about": ["hours", "eight to five"],
                "on": [{"goto": "parking"}],
            },
            "parking": {"say": "And where do I park?", "on": [{"goto": "end"}]},
        }
    )
    p = greeted(sc)
    r = heard(p, "We're open eight to five on weekdays.")
    assert p.state == "parking" and r.text == "And where do I park?"
    q = greeted(sc)
    assert heard(q, "Sure, I can help.").text == "What are your hours?"


def test_cue_acts_back_the_detector_up():
    assert "hold" in cue_acts("Give me just a moment, I'll be right back.")
    assert "closing" not in cue_acts("Thanks for calling! Could I get your name?")
    assert "jargon" in cue_acts("I'll do a warm handoff to BH triage for a C-SSRS.")
    assert Heard.of(Understanding("One moment please.")).acts >= {"hold"}


def test_probes_play_through_a_fresh_patient(billing):
    understand = understander(FakeDetector())
    got = play(billing, [GREET], "Could you spell your last name?", understand)
    assert "C-A-R-T-E-R" in got.reply and len(got.decide_ms) == 2 and got.said[-1] == got.reply
    assert fits(got.reply, ["c-a-r"], ["knee"]) and not fits(got.reply, ["x"], [])
    assert why_not("Hello there", ["bye"], ["hello"]) == ["reply has none of 'bye'", "reply must not say 'hello'"]


def test_every_library_scenario_has_probes_and_a_temperament_or_voicemail():
    for sc in sc_mod.all_scenarios():
        assert len(sc.probes) >= 5, sc.id
        assert sc.patient.temperament != "neutral" or sc.mode == "voicemail" or sc.id == "new-patient-onboarding", sc.id


def test_all_lines_has_the_reactions(billing):
    lines = set(Patient(billing).all_lines())
    for name in ("hold", "early_close", "transfer", "mishear"):
        assert set(t for t in temperaments.reaction(billing.patient, name).all() if "{" not in t) <= lines


def test_chatty_question_the_caller_knows_is_answered_and_plain_chat_is_chatted_back():
    p = greeted(mini())
    chatty = (Act("small_talk", 0.7), Act("question", 0.6))
    r = p.respond(Understanding("So which pharmacy do you use?", (), chatty))
    assert r.kind == "answer" and "Walgreens" in r.text  # the topic itself: answered, not chatted back to
    r = p.respond(Understanding("How's your week going?", (), chatty))
    assert r.kind == "small_talk"


def test_anything_else_before_the_goal_gets_what_is_still_open_not_confusion():
    p = greeted(mini())
    r = p.respond(Understanding("Is there anything else I can help you with?", (Detection("offer_more_help", 0.9),)))
    assert r.kind != "confused" and p.state == "ask"
    assert r.text in ("Are you there?", "Can you help me or not?")
