"""One uncertain word never ends a call (issue 10): recognition confidence reaches detection,
the patient asks what was said instead of reacting to a violation it half heard, and the
scorecard lists such evidence for the trainer instead of failing the call on it."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.authoring import scenario as sc_mod
from simulator.authoring.catalog import load_catalog
from simulator.call.patient import CLARIFY, Patient
from simulator.scoring.score import score_call
from simulator.scoring.transcript import from_turns, parse
from simulator.speech.asr import Segment, Transcription, Word
from simulator.testing import FakeDetector
from simulator.understanding import hearing

# tiny.en's mishearing of the billing greeting (issue 10), with the word it was unsure of
MISHEARD = "Thank you for calling Riverside Family Practice. This is Sam. I can't help you today."
UNSURE_WORD = "can't"


def words_of(text: str, unsure: dict[str, float] | None = None, p: float = 0.95) -> list[tuple[str, float]]:
    unsure = unsure or {}
    return [(w, unsure.get(w, p)) for w in text.split()]


@pytest.fixture(scope="module")
def billing():
    return sc_mod.load("billing-frustrated")


# The mechanism under test is hearing, not detection: a fake that reads the misheard "can't help
# you" as dismissive, as the rule detector of issue 10 did (the learned detector is tested in
# test_detect.py)
PHRASES = {
    "greet_practice": ("riverside",),
    "self_identify": ("this is sam",),
    "dismissive": ("can't help you",),
    "verify_identity": ("date of birth",),
    "empathy": ("i'm sorry",),
}


def hearing_detector():
    return FakeDetector(PHRASES)


@pytest.fixture(scope="module")
def detector():
    return hearing_detector()


# ------------------------------------------------------------------ evidence confidence


def test_evidence_rests_on_the_words_of_the_quote():
    words = words_of(MISHEARD, {UNSURE_WORD: 0.31, "Sam.": 0.4})
    assert hearing.evidence_p("I can't help you today.", words) == pytest.approx(0.31)
    assert hearing.evidence_p("Thank you for calling Riverside Family Practice.", words) == pytest.approx(0.95)
    assert hearing.evidence_p("", words) == pytest.approx(0.31)  # no quote: the whole turn
    assert hearing.evidence_p("nothing like any of it", words) is None  # not found: nothing known
    assert hearing.evidence_p("I can't help you", []) is None  # typed: no probabilities
    assert hearing.is_sure(None) and hearing.is_sure(0.95) and not hearing.is_sure(0.31)


def test_heard_words_accept_recognizer_words_and_pairs():
    assert hearing.heard_words([Word(0, 1, "Hi", 0.91234), ("there", 0.5)]) == (("Hi", 0.912), ("there", 0.5))


# ------------------------------------------------------------------ the patient


def test_an_unsure_violation_gets_sorry_what_instead_of_a_hang_up(billing, detector):
    sure = Patient(billing)
    r = sure.respond(MISHEARD, ["greet_practice", "self_identify", "dismissive"])
    assert r.ended and r.end_reason == "mood_hangup"  # what one confident 'dismissive' does at mood 7

    p = Patient(billing)
    r = p.respond(MISHEARD, ["greet_practice", "self_identify", "dismissive"], unsure=["dismissive"])
    assert r.kind == "clarify" and r.text in CLARIFY.all() and not r.ended
    assert (r.mood, r.state) == (billing.patient.mood.start, "ring") and not p.shown  # nothing of the turn counted
    # the trainee says it again, clearly: the call goes on as usual
    r = p.respond(
        "Thank you for calling Riverside Family Practice, this is Sam. How can I help you today?",
        ["greet_practice", "self_identify"],
    )
    assert r.kind in ("line", "reaction") and p.state == "opening" and not r.ended


def test_an_unsure_behavior_that_changes_little_is_taken_as_heard(billing):
    p = Patient(billing)
    p.respond("Riverside Family Practice, this is Sam.", ["greet_practice", "self_identify"])
    mood = p.mood
    r = p.respond("It was processed under the 99213.", ["jargon"], unsure=["jargon"])  # one mood step
    assert r.kind != "clarify" and r.mood - mood <= 2 and "jargon" in p.shown


def test_the_patient_can_say_its_clarify_lines(billing):
    assert set(CLARIFY.all()) <= set(Patient(billing).all_lines())  # pre-synthesised with the rest


# ------------------------------------------------------------------ the scorecard


def _call(text: str, words):
    return [
        {"speaker": "trainee", "text": text, **({"words": words} if words is not None else {})},
        {"speaker": "patient", "text": "Hi, I got a bill."},
    ]


def test_a_violation_heard_uncertainly_is_listed_for_review_not_counted(billing, detector):
    catalog = load_catalog()
    unsure = score_call(
        billing, from_turns(billing, _call(MISHEARD, words_of(MISHEARD, {UNSURE_WORD: 0.31}))), detector, catalog
    )
    hit = next(h for h in unsure.behaviors if h.id == "dismissive")
    assert hit.uncertain and hit.heard == pytest.approx(0.31)
    assert not any(e.id == "dismissive" for d in unsure.dimensions.values() for e in d.evidence)
    assert len(unsure.review) == 1 and "dismissive" in unsure.review[0] and "not counted" in unsure.review[0]

    sure = score_call(billing, from_turns(billing, _call(MISHEARD, words_of(MISHEARD))), detector, catalog)
    assert not next(h for h in sure.behaviors if h.id == "dismissive").uncertain and not sure.review
    assert any(e.id == "dismissive" for d in sure.dimensions.values() for e in d.evidence)

    typed = score_call(billing, from_turns(billing, _call(MISHEARD, None)), detector, catalog)
    assert typed.model_dump()["dimensions"] == sure.model_dump()["dimensions"]  # typed text is taken as written


def test_transcript_files_carry_word_probabilities_and_bad_ones_are_one_line():
    import json

    from simulator.errors import UserError

    ok = parse(json.dumps({"turns": [{"speaker": "va", "text": "Hi there", "words": [["Hi", 0.9], ["there", 0.4]]}]}))
    assert ok.turns[0].words == [("Hi", 0.9), ("there", 0.4)]
    with pytest.raises(UserError) as e:
        parse(json.dumps({"turns": [{"speaker": "va", "text": "Hi", "words": [["Hi", 1.5]]}]}), "call.json")
    assert str(e.value).startswith("call.json:1: turns[0].words: expected [[word, probability 0..1]")


# ------------------------------------------------------------------ a whole voice call (fakes)


def test_a_voice_call_asks_again_when_recognition_was_unsure(billing):
    """Recognition hands its word probabilities to the call: the unsure 'can't' does not make the
    frustrated caller hang up; she asks what was said, and the stored turn keeps the words."""
    from simulator.call import session
    from simulator.call.practice import LineBank, PracticeOptions, VoiceCall
    from simulator.call.trainee import ScriptedVoice, parse_trainee_script
    from simulator.speech.audio import VirtualMicrophone, VirtualSpeaker
    from simulator.testing import EnergyVad, FakeRecognizer, FakeSynthesizer, ManualClock, ToneSpeech

    lines = [MISHEARD, "May I have your full name and date of birth?"]
    turns = parse_trainee_script("\n".join(lines))
    speech = ToneSpeech(lines)

    def recognize(audio):
        text = speech.recognize(audio)
        ws = tuple(Word(0, 0, w, p) for w, p in words_of(text, {UNSURE_WORD: 0.31}))
        return Transcription(text, (Segment(0.0, 1.0, text, -0.4),) if text else (), ws, len(audio) / 16000)

    clock = ManualClock()
    mic = VirtualMicrophone(clock=clock, stop_when_idle_s=None, gap_s=0.0)
    bank = LineBank(FakeSynthesizer(sample_rate=22050), billing.patient.voice)
    trainee = ScriptedVoice(mic, [speech.clip(t.text) for t in turns], turns, think_s=0.4, ring_s=0.5)
    call = VoiceCall(
        billing,
        source=mic,
        sink=VirtualSpeaker(clock),
        recognizer=FakeRecognizer(recognize),
        vad=EnergyVad(),
        detector=hearing_detector(),
        bank=bank,
        clock=clock,
        options=PracticeOptions(barge_in=True),
        trainee=trainee,
    )
    result = call.run()
    patient = [t for t in result.turns if t.speaker == "patient"]
    assert patient[0].kind == "clarify" and patient[0].text in CLARIFY.all()
    assert result.end_reason != "mood_hangup" and len(patient) >= 2
    first = next(t for t in result.turns if t.speaker == "trainee")
    assert dict(first.words)[UNSURE_WORD] == pytest.approx(0.31)
    stored = session.load(result.session_id)
    assert dict(next(t for t in stored.turns if t.speaker == "trainee").words)[UNSURE_WORD] == pytest.approx(0.31)
    assert any("dismissive" in note for note in result.scorecard["review"])


# ------------------------------------------------------------------ turn text independent of timing


@pytest.mark.parametrize("asr_delay_s", [0.0, 0.25])
def test_where_a_turn_ends_does_not_depend_on_how_fast_recognition_runs(billing, asr_delay_s):
    """A phone number said with a pause in the middle is one turn, whether the partial pass over
    its first half finishes within the pause or not (a busy machine): mid-number patience is
    decided on the text of every closed stretch, waited for, in the frame before the turn would end."""
    import time

    import numpy as np

    from simulator.call.practice import LineBank, PracticeOptions, VoiceCall
    from simulator.call.trainee import ScriptedVoice, ScriptTurn
    from simulator.speech.audio import VirtualMicrophone, VirtualSpeaker
    from simulator.testing import EnergyVad, FakeRecognizer, FakeSynthesizer, ManualClock, ToneSpeech

    parts = ["My callback number is five five five", "oh one four two, thanks"]
    speech = ToneSpeech(parts, seconds=1.6)
    pause = np.zeros(int(0.7 * 16000), np.float32)  # longer than the 0.5 s end of turn, shorter than 0.5 + 0.8
    clip = np.concatenate([speech.clip(parts[0]), pause, speech.clip(parts[1])])

    def recognize(audio):
        time.sleep(asr_delay_s)  # on the manual clock the call races ahead while this runs
        loud = np.abs(audio) > 0.01
        pieces, start = [], None
        for i in range(0, len(audio), 1600):  # 0.1 s steps: split the audio at its silences
            if loud[i : i + 1600].any() and start is None:
                start = i
            elif not loud[i : i + 1600].any() and start is not None:
                pieces.append(audio[start:i])
                start = None
        if start is not None:
            pieces.append(audio[start:])
        return " ".join(t for t in (speech.recognize(p) for p in pieces if len(p) > 1600) if t)

    clock = ManualClock()
    mic = VirtualMicrophone(clock=clock, stop_when_idle_s=None, gap_s=0.0)
    bank = LineBank(FakeSynthesizer(sample_rate=22050), billing.patient.voice)
    turns = [ScriptTurn(" ".join(parts))]
    trainee = ScriptedVoice(mic, [clip], turns, think_s=0.4, ring_s=0.5)
    call = VoiceCall(
        billing,
        source=mic,
        sink=VirtualSpeaker(clock),
        recognizer=FakeRecognizer(recognize),
        vad=EnergyVad(),
        detector=hearing_detector(),
        bank=bank,
        clock=clock,
        options=PracticeOptions(barge_in=True, min_segment_s=1.0),
        trainee=trainee,
    )
    result = call.run()
    said = [t.text for t in result.turns if t.speaker == "trainee" and t.text]
    assert said == [" ".join(parts)]


def test_the_caller_asks_once_then_gives_the_benefit_of_the_doubt(billing):
    """Said again and still half heard, the line neither loops on "Sorry, what?" nor ends the call."""
    p = Patient(billing)
    kinds = [
        p.respond(MISHEARD, ["greet_practice", "self_identify", "dismissive"], unsure=["dismissive"]).kind
        for _ in range(2)
    ]
    assert kinds[0] == "clarify" and kinds[1] != "clarify"
    assert not p.ended and p.state == "opening" and "dismissive" not in p.shown
    # a sure violation after that still counts as usual
    r = p.respond("Whatever, that's not my problem.", ["dismissive"])
    assert "dismissive" in p.shown and r.mood > billing.patient.mood.start


def test_a_scripted_trainee_says_its_line_again_when_asked():
    from simulator.call.trainee import ScriptedVoice, parse_trainee_script

    class Mic:  # says each clip at once
        gap_s = 0.0

        def __init__(self):
            self.spoken = []

        def say(self, audio):
            self.spoken.append(float(audio[-1]))  # the last sample tells the clips apart

    turns = parse_trainee_script("first line\nsecond line")
    mic = Mic()
    trainee = ScriptedVoice(
        mic, [np.full(1600, 0.1, np.float32), np.full(3200, 0.2, np.float32)], turns, think_s=0.1, ring_s=0.1
    )
    trainee.call_answered()
    trainee.patient_finished(False, asked_again=True)  # "Sorry, what?"
    trainee.patient_finished(False)
    assert not trainee.hung_up
    trainee.patient_finished(False)
    assert mic.spoken == [pytest.approx(0.1), pytest.approx(0.1), pytest.approx(0.2)] and trainee.hung_up


@pytest.mark.parametrize("whole_pass_sure", [True, False])
def test_whether_the_caller_asks_again_rests_on_one_pass_over_the_whole_turn(billing, whole_pass_sure):
    """A turn with a pause inside is recognised stretch by stretch; where a busy machine cuts those
    stretches moves word probabilities near the seams. When an unsure word would decide the call,
    one pass over the whole turn decides instead (here: the stretches are unsure of "can't")."""
    from simulator.call.practice import LineBank, PracticeOptions, VoiceCall
    from simulator.call.trainee import ScriptedVoice, parse_trainee_script
    from simulator.speech.audio import VirtualMicrophone, VirtualSpeaker
    from simulator.testing import EnergyVad, FakeRecognizer, FakeSynthesizer, ManualClock, ToneSpeech

    speech = ToneSpeech([MISHEARD], seconds=1.6)
    tone = speech.clip(MISHEARD)
    clip = np.concatenate([tone, np.zeros(int(0.3 * 16000), np.float32), tone])  # a pause mid-turn
    passes = []

    def recognize(audio):
        text = speech.recognize(audio)
        whole = len(audio) > 3.0 * 16000
        passes.append(whole)
        p = 0.95 if (whole and whole_pass_sure) else 0.31
        ws = tuple(Word(0, 0, w, q) for w, q in words_of(text, {UNSURE_WORD: p}))
        return Transcription(text, (Segment(0.0, 1.0, text, -0.4),) if text else (), ws, len(audio) / 16000)

    turns = parse_trainee_script(MISHEARD)
    clock = ManualClock()
    mic = VirtualMicrophone(clock=clock, stop_when_idle_s=None, gap_s=0.0)
    call = VoiceCall(
        billing,
        source=mic,
        sink=VirtualSpeaker(clock),
        recognizer=FakeRecognizer(recognize),
        vad=EnergyVad(),
        detector=hearing_detector(),
        bank=LineBank(FakeSynthesizer(sample_rate=22050), billing.patient.voice),
        clock=clock,
        options=PracticeOptions(barge_in=True, early_asr_s=0.1),
        trainee=ScriptedVoice(mic, [clip], turns, think_s=0.4, ring_s=0.5),
    )
    result = call.run()
    first = next(t for t in result.turns if t.speaker == "trainee")
    reply = next(t for t in result.turns if t.speaker == "patient")
    assert passes[:3] == [False, False, True], passes  # two stretches, then one pass over the whole turn
    assert first.text == MISHEARD  # the whole pass's words, not the stretches' joined
    if whole_pass_sure:
        assert dict(first.words)[UNSURE_WORD] == pytest.approx(0.95)
        assert reply.kind != "clarify" and result.end_reason == "mood_hangup"  # heard for sure: she hangs up
    else:
        assert reply.kind == "clarify" and result.end_reason != "mood_hangup"


def test_a_disclosure_rests_on_how_well_the_detail_itself_was_heard(billing, detector):
    """The weak billing call under load: "Yeah, I see that insurance paid $92." with "that" half
    heard still disclosed $92 before verification; only an unsure amount makes it uncertain."""
    catalog = load_catalog()
    said = "Yeah, I see that insurance paid $92, and the rest was a problem visit."

    def blockers(probs):
        card = score_call(billing, from_turns(billing, _call(said, words_of(said, probs))), detector, catalog)
        return [b.id for b in card.blockers], card.review

    found, review = blockers({"that": 0.31})
    assert found == ["disclose_before_verify"] and not review
    found, review = blockers({"$92,": 0.31})
    assert not found and len(review) == 1 and "disclose_before_verify" in review[0]
