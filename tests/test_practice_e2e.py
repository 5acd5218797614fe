"""Whole calls with the real models through the virtual microphone and speaker.

The trainee's script lines are synthesised by piper in a second voice and spoken into the
virtual microphone; Silero VAD, Whisper tiny.en, the real behavior detector, the patient and
the scorer all run for real. The six scripted calls (strong and weak for the three named
scenarios) run on a manual clock, as fast as the models allow, with the same frames and
turn-taking as in real time; one call runs on the real clock, as `vasim demo` does.
"""

from __future__ import annotations

import pytest

from simulator.authoring import scenario as sc_mod
from simulator.call import practice, session
from simulator.call import result as result_mod
from simulator.call import trainee as trainee_mod
from simulator.paths import scenarios_dir
from simulator.speech.audio import RealClock, VirtualMicrophone, VirtualSpeaker
from simulator.testing import ManualClock

pytestmark = pytest.mark.real

SCENARIOS = ["billing-frustrated", "symptoms-same-day", "suicidal-ideation"]
# what each weak script must fail on (blockers in the scorecard)
WEAK_BLOCKERS = {
    "billing-frustrated": {"disclose_before_verify"},
    "symptoms-same-day": {"transfer_clinical"},  # the same-day transfer never happened
    "suicidal-ideation": {"transfer_clinical", "stay_on_line"},  # the crisis escalation was missed
}


@pytest.fixture(scope="session")
def real(faster_whisper, silero, tmp_path_factory):
    """Every real model, loaded once: recognizer, VAD, detector, embedder, cached synthesizers."""
    import os
    from pathlib import Path

    from simulator.speech import factory
    from simulator.speech.tts import CachedSynthesizer

    cache = Path(os.environ.get("VASIM_TEST_CACHE") or tmp_path_factory.mktemp("tts")) / "tts"
    synths: dict = {}

    def synth(engine: str):
        if engine not in synths:
            if engine == "trainee":
                synths[engine] = CachedSynthesizer(
                    factory.make_trainee_synthesizer(synth("piper").inner, cache=False), cache
                )
            else:
                synths[engine] = CachedSynthesizer(factory.make_synthesizer(engine, cache=False), cache)
        return synths[engine]

    return {
        "asr": faster_whisper,
        "vad": silero,
        "detector": factory.make_detector(),
        "embedder": factory.make_embedder(),
        "synth": synth,
    }


def real_call(real, scenario_id: str, kind: str, clock=None) -> result_mod.CallResult:
    sc = sc_mod.load(scenario_id)
    turns = trainee_mod.load_trainee_script(scenarios_dir() / "scripts" / f"{scenario_id}-{kind}.txt")
    clock = clock or ManualClock()
    mic = VirtualMicrophone(clock=clock, stop_when_idle_s=None, gap_s=0.0)
    sink = VirtualSpeaker(clock)
    bank = practice.LineBank(real["synth"](sc.patient.voice.engine), sc.patient.voice)  # lines made as needed
    clips = trainee_mod.synthesize_trainee_clips(
        turns, real["synth"]("trainee"), trainee_mod.trainee_voice_for(sc.patient.voice)
    )
    trainee = trainee_mod.ScriptedVoice(mic, clips, turns)
    call = practice.VoiceCall(
        sc,
        source=mic,
        sink=sink,
        recognizer=real["asr"],
        vad=real["vad"],
        detector=real["detector"],
        bank=bank,
        clock=clock,
        options=practice.PracticeOptions(barge_in=True),
        trainee=trainee,
        embedder=real["embedder"],
    )
    result = call.run()
    result.speaker = sink  # for the assertions below
    return result


@pytest.fixture(scope="module")
def calls(real):
    """Each scripted call once, shared by the tests below."""
    done: dict = {}

    def get(scenario_id: str, kind: str):
        if (scenario_id, kind) not in done:
            done[(scenario_id, kind)] = real_call(real, scenario_id, kind)
        return done[(scenario_id, kind)]

    return get


def _goal_states(scenario_id: str) -> set[str]:
    return {n for n, s in sc_mod.load(scenario_id).states.items() if s.goal}


@pytest.mark.parametrize("scenario_id", SCENARIOS)
def test_strong_script_passes(calls, scenario_id):
    r = calls(scenario_id, "strong")
    heard = [t.text for t in r.turns if t.speaker == "trainee"]
    assert r.scorecard is not None and r.scorecard["passed"], (heard, r.scorecard["blockers"], r.patient_path)
    assert _goal_states(scenario_id) & set(r.patient_path), r.patient_path
    assert r.end_reason in ("end_state", "trainee_close")
    # every line of the script was said, and said again where the caller asked "Sorry, what?"
    asked = sum(1 for t in r.turns if t.speaker == "patient" and t.kind == "clarify")
    script = trainee_mod.load_trainee_script(scenarios_dir() / "scripts" / f"{scenario_id}-strong.txt")
    assert len(heard) == len(script) + asked, (heard, asked)
    assert all(t.latency_ms.get("voice_to_voice") is not None for t in r.turns[1:] if t.speaker == "patient")


@pytest.mark.parametrize("scenario_id", SCENARIOS)
def test_weak_script_fails_for_the_right_reason(calls, scenario_id):
    r = calls(scenario_id, "weak")
    assert r.scorecard is not None and not r.scorecard["passed"]
    blockers = {b["id"] for b in r.scorecard["blockers"]}
    # the stated reason is a blocker, or - where recognition was unsure of the very words that carry
    # it - listed for the trainer to check against the recording (one misheard word decides nothing)
    flagged = {b for b in WEAK_BLOCKERS[scenario_id] if any(b in note for note in r.scorecard["review"])}
    assert WEAK_BLOCKERS[scenario_id] <= blockers | flagged, (
        blockers,
        r.scorecard["review"],
        [t.text for t in r.turns],
    )
    assert not _goal_states(scenario_id) & set(r.patient_path), r.patient_path


@pytest.mark.parametrize("scenario_id", SCENARIOS)
def test_the_patient_takes_a_different_path(calls, scenario_id):
    strong, weak = calls(scenario_id, "strong"), calls(scenario_id, "weak")
    assert strong.patient_path != weak.patient_path
    if scenario_id == "billing-frustrated":
        # the frustrated caller calms down only when she hears empathy
        moods = lambda r: [t.mood for t in r.turns if t.speaker == "patient" and t.mood is not None]
        assert min(moods(strong)) <= 3 < min(moods(weak))
        assert "resolving" in strong.patient_path and weak.end_reason in ("mood_hangup", "goto_end")


def test_a_call_in_real_time(real):
    """The real clock, as `vasim demo` runs it: audio really plays, the journal has both sides."""
    r = real_call(real, "billing-frustrated", "strong", clock=RealClock())
    heard = [(t.speaker, t.kind, t.text) for t in r.turns]
    # On the wall clock a busy machine changes where the microphone's frames fall, so a word may be
    # heard unsurely and the caller asks again ("Sorry, what was that?") while the script goes on:
    # the path may stop short of 'closing' (seen once at load 3.3). What must hold is the verdict
    # and that the call got past the identity check.
    assert r.scorecard["passed"], (r.scorecard["blockers"], heard)
    assert {"identified", "explained", "resolving", "closing"} & set(r.patient_path), (r.patient_path, heard)
    stored = session.load(r.session_id)
    assert stored.complete
    assert {t.speaker for t in stored.turns if t.audio} == {"trainee", "patient"}
    assert len(r.speaker.played) == len([t for t in r.turns if t.speaker == "patient" and t.text])
    assert r.latency["voice_to_voice_ms"]["p50"] is not None


class _SlowRecognizer:
    """The real recognizer on a busy machine: each pass takes ``delay_s`` longer."""

    def __init__(self, inner, delay_s: float):
        self.inner, self.delay_s = inner, delay_s
        self.engine, self.model = inner.engine, inner.model

    def transcribe(self, audio, **kw):
        import time

        time.sleep(self.delay_s)
        return self.inner.transcribe(audio, **kw)


def test_the_greeting_is_heard_the_same_however_it_is_cut_or_timed(real):
    """Issue 10: the billing-frustrated greeting, shifted against the VAD's frame grid (so every
    pause is cut a little elsewhere) and recognised by a slow recognizer (the partial passes finish
    after the pause), is the same turn text every time: cuts come from the audio, not the clock."""
    import numpy as np

    from simulator.speech.asr import normalize_text

    sc = sc_mod.load("billing-frustrated")
    turns = trainee_mod.load_trainee_script(scenarios_dir() / "scripts" / "billing-frustrated-strong.txt")[:1]
    clip = trainee_mod.synthesize_trainee_clips(
        turns, real["synth"]("trainee"), trainee_mod.trainee_voice_for(sc.patient.voice)
    )[0]
    heard = {}
    for lead, delay_s in [(0, 0.0), (160, 0.0), (333, 0.0), (517, 0.0), (0, 0.4), (333, 0.4)]:
        clock = ManualClock()
        mic = VirtualMicrophone(clock=clock, stop_when_idle_s=None, gap_s=0.0)
        bank = practice.LineBank(real["synth"](sc.patient.voice.engine), sc.patient.voice)
        shifted = np.concatenate([np.zeros(lead, np.float32), clip])
        trainee = trainee_mod.ScriptedVoice(mic, [shifted], turns)
        call = practice.VoiceCall(
            sc,
            source=mic,
            sink=VirtualSpeaker(clock),
            recognizer=_SlowRecognizer(real["asr"], delay_s),
            vad=real["vad"],
            detector=real["detector"],
            bank=bank,
            clock=clock,
            options=practice.PracticeOptions(barge_in=True),
            trainee=trainee,
        )
        result = call.run()
        heard[(lead, delay_s)] = next(t.text for t in result.turns if t.speaker == "trainee")
    words = {k: " ".join(normalize_text(v)) for k, v in heard.items()}
    assert len(set(words.values())) == 1, heard
    assert "help you today" in next(iter(words.values())), heard
