"""The practice loop with fakes: text calls, and voice calls through the virtual microphone and
speaker on a manual clock (instant), with tones standing in for the trainee's words."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from simulator import cli
from simulator.authoring import scenario as sc_mod
from simulator.call import session
from simulator.call import trainee as trainee_mod
from simulator.call.patient import REPROMPT, SILENCE_HANGUP, Patient
from simulator.call.practice import LineBank, PracticeOptions, VoiceCall, run_text_call
from simulator.call.trainee import ScriptedText, ScriptedVoice, parse_trainee_script
from simulator.console import call_view
from simulator.errors import UserError
from simulator.speech.audio import VirtualMicrophone, VirtualSpeaker
from simulator.testing import EnergyVad, FakeDetector, FakeRecognizer, FakeSynthesizer, ManualClock, ToneSpeech

STRONG = [
    "Thank you for calling Riverside Family Practice, this is Sam. How can I help you today?",
    "I'm sorry, I understand how frustrating that is. Let me look into that. May I have your full name and date of birth?",
    "Thank you, Ms. Carter. So you were expecting the physical to be covered.",
    "I understand, Ms. Carter. I can set up a payment plan and I'll send a note to our billing team.",
    "Billing will get back to you within five business days. Is there anything else I can help you with?",
    "Thank you for calling, Ms. Carter, have a good day.",
]
WEAK = [
    "Billing.",
    "Yeah, the balance is a hundred eighty five, it was adjudicated as a problem visit on the 837P.",
    "No, that's wrong, you should have asked at check-in.",
    "Okay.",
]
STRONG_PATH = ["ring", "opening", "identified", "explained", "resolving", "closing"]


@pytest.fixture(scope="module")
def billing():
    return sc_mod.load("billing-frustrated")


def voice_call(scenario, lines: list[str], *, barge_in: bool = True, **opts):
    """A whole call on a manual clock: returns (result, speaker, microphone)."""
    clock = ManualClock()
    turns = parse_trainee_script("\n".join(lines))
    speech = ToneSpeech([t.text for t in turns])
    mic = VirtualMicrophone(clock=clock, stop_when_idle_s=None, gap_s=0.0)
    sink = VirtualSpeaker(clock)
    bank = LineBank(FakeSynthesizer(sample_rate=22050), scenario.patient.voice)
    bank.prepare(Patient(scenario).all_lines())
    trainee = ScriptedVoice(mic, [speech.clip(t.text) for t in turns], turns, think_s=0.4, ring_s=0.5)
    options = PracticeOptions(barge_in=barge_in, **opts)
    call = VoiceCall(
        scenario,
        source=mic,
        sink=sink,
        recognizer=FakeRecognizer(speech.recognize),
        vad=EnergyVad(),
        detector=FakeDetector(),
        bank=bank,
        clock=clock,
        options=options,
        trainee=trainee,
    )
    return call.run(), sink, mic


# ------------------------------------------------------------------ text calls


def test_text_call_strong_passes_and_is_journaled(billing):
    result = run_text_call(billing, ScriptedText(STRONG), FakeDetector())
    assert result.patient_path == STRONG_PATH
    assert result.end_reason == "end_state"
    assert result.scorecard["passed"] is True
    assert [t.speaker for t in result.turns[:2]] == ["trainee", "patient"]
    stored = session.load(result.session_id)
    assert stored.complete and stored.end["reason"] == "end_state"
    assert [t.text for t in stored.turns] == [t.text for t in result.turns]
    assert stored.scorecard["passed"] is True
    assert stored.end["patient_path"] == STRONG_PATH


def test_text_call_weak_fails_and_the_patient_hangs_up(billing):
    result = run_text_call(billing, ScriptedText(WEAK), FakeDetector())
    assert result.scorecard["passed"] is False
    assert result.end_reason in ("goto_end", "mood_hangup")
    assert "resolving" not in result.patient_path  # she never calms down
    blockers = {b["id"] for b in result.scorecard["blockers"]}
    assert "disclose_before_verify" in blockers


def test_text_call_silence_and_hangup(billing):
    result = run_text_call(billing, ScriptedText(["Riverside Family Practice, this is Sam.", "", ""]), FakeDetector())
    kinds = [t.kind for t in result.turns]
    assert kinds[-1] == "hangup" and result.end_reason == "silence_hangup"
    assert result.turns[-3].text in REPROMPT.all() and result.turns[-1].text in SILENCE_HANGUP.all()


# ------------------------------------------------------------------ voice calls (virtual audio, fakes)


def test_voice_call_follows_the_same_path_as_text(billing):
    result, sink, _mic = voice_call(billing, STRONG)
    assert result.patient_path == STRONG_PATH
    trainee = [t.text for t in result.turns if t.speaker == "trainee"]
    assert trainee == STRONG
    patient = [t for t in result.turns if t.speaker == "patient"]
    assert [a for _, a, _ in sink.played] and len(sink.played) == len(patient)
    assert not any(t.interrupted for t in patient)
    # a latency for every answered turn, with all its parts
    assert len(result.latencies) == len(STRONG)
    for lt in result.latencies:
        assert lt.voice_to_voice is not None and lt.endpoint is not None and lt.asr is not None
    js = result.to_json()
    assert set(js["latency"]["parts_ms"]) == {"endpoint", "asr", "decide", "tts_first_audio"}
    assert js["latency"]["voice_to_voice_ms"]["p50"] is not None
    assert result.scorecard["passed"] is True


def test_voice_call_records_both_sides_privately(billing):
    result, _sink, _ = voice_call(billing, STRONG[:3])
    stored = session.load(result.session_id)
    d = stored.dir
    assert (d.stat().st_mode & 0o777) == 0o700
    files = sorted(p.name for p in d.iterdir())
    assert files and all((d / f).stat().st_mode & 0o777 == 0o600 for f in files)
    with_audio = [t for t in stored.turns if t.audio]
    assert {t.speaker for t in with_audio} == {"trainee", "patient"}
    for t in with_audio:
        audio, rate = sf.read(d / t.audio)
        assert len(audio) > 0.3 * rate
    # trainee turns are timed on the call's clock and come in order
    times = [(t.start, t.end) for t in stored.turns if t.start is not None]
    assert all(s <= e for s, e in times)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(times))
    mixed = session.call_audio(stored)
    assert mixed.ndim == 2 and mixed.shape[1] == 2 and np.abs(mixed[:, 0]).max() > 0 and np.abs(mixed[:, 1]).max() > 0


def test_barge_in_stops_the_patient_and_marks_the_interruption(billing):
    lines = [STRONG[0], "[interrupt 0.5] " + STRONG[1], *STRONG[2:]]
    result, sink, _ = voice_call(billing, lines, barge_in=True)
    patient = [t for t in result.turns if t.speaker == "patient"]
    assert patient[0].interrupted and not any(t.interrupted for t in patient[1:])
    assert result.interruptions == 1
    heard = sink.played[0][1]
    full = LineBank(FakeSynthesizer(sample_rate=22050), billing.patient.voice).get(patient[0].text)
    assert len(heard) < len(full) / 2  # cut short
    # the talk-over became the trainee's turn, and the call went on as usual
    assert [t.text for t in result.turns if t.speaker == "trainee"][1] == STRONG[1]
    assert result.patient_path == STRONG_PATH
    assert any(e["event"] == "barge_in" for e in session.load(result.session_id).events)


def test_backchannel_shorter_than_the_minimum_does_not_interrupt(billing):
    lines = [STRONG[0], "[interrupt 0.5] mm-hm", *STRONG[1:]]
    clock_opts = dict(barge_in_min_s=1.5)  # the 1 s tone is shorter than the barge-in minimum
    result, _sink, _ = voice_call(billing, lines, **clock_opts)
    assert result.interruptions == 0


def test_half_duplex_ignores_talk_over(billing):
    lines = [STRONG[0], "[interrupt 0.5] " + STRONG[1], *STRONG[2:]]
    result, _sink, _ = voice_call(billing, lines, barge_in=False)
    assert result.interruptions == 0
    assert not any(t.interrupted for t in result.turns if t.speaker == "patient")


def test_voice_silence_reprompts_then_the_patient_hangs_up(billing):
    result, _sink, _ = voice_call(billing, [STRONG[0], "[silence]", "[silence]"], reprompt_after_s=4.0)
    patient = [t for t in result.turns if t.speaker == "patient"]
    assert patient[-2].text in REPROMPT.all()
    assert patient[-1].text in SILENCE_HANGUP.all() and result.end_reason == "silence_hangup"


def test_voice_weak_call_path_differs(billing):
    result, _, _ = voice_call(billing, WEAK)
    assert result.scorecard["passed"] is False
    assert "resolving" not in result.patient_path and result.patient_path != STRONG_PATH


def test_script_runs_out_the_trainee_hangs_up(billing):
    result, _, _ = voice_call(billing, STRONG[:2])
    assert result.end_reason == "trainee_hangup"
    assert len([t for t in result.turns if t.speaker == "trainee"]) == 2


# ------------------------------------------------------------------ trainee scripts


def test_parse_plain_script_with_markers():
    turns = parse_trainee_script(
        "# a comment\nHello there.\n\n[silence]\n[interrupt 1.5] Sorry to cut in.\n[interrupt] Again.\n"
    )
    assert [t.text for t in turns] == ["Hello there.", "", "Sorry to cut in.", "Again."]
    assert turns[1].silent and turns[2].interrupt_after_s == 1.5 and turns[3].interrupt_after_s == 1.0


def test_parse_transcript_scripts_use_the_trainee_turns():
    plain = "VA: Riverside, this is Sam.\nPATIENT: Hi.\nVA: How can I help?\n"
    assert [t.text for t in parse_trainee_script(plain)] == ["Riverside, this is Sam.", "How can I help?"]
    js = json.dumps(
        {
            "turns": [
                {"speaker": "trainee", "text": "One."},
                {"speaker": "patient", "text": "Two."},
                {"speaker": "trainee", "text": "Three."},
            ]
        }
    )
    assert [t.text for t in parse_trainee_script(js)] == ["One.", "Three."]


@pytest.mark.parametrize(
    "text,needle",
    [
        ("", "no trainee turns"),
        ("# only a comment\n", "no trainee turns"),
        ("[interrupt]\n", ":1: '[interrupt]' needs the words"),
        ("Hi\n[silence] words\n", ":2: '[silence]' stands alone"),
        ("PATIENT: only the caller\n", "no trainee (VA:) turns"),
    ],
)
def test_bad_scripts_are_one_clear_line(text, needle):
    with pytest.raises(UserError) as exc:
        parse_trainee_script(text, "s.txt")
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_committed_scripts_parse(repo: Path):
    scripts = sorted((repo / "scenarios" / "scripts").glob("*.txt"))
    for path in scripts:
        assert trainee_mod.load_trainee_script(path), path


# ------------------------------------------------------------------ the command


@pytest.fixture
def fake_models(fake_parts):
    """The command builds its parts through the library's factory; these are the fakes."""


def test_cli_text_json_shape(tmp_path, capsys, fake_models):
    script = tmp_path / "strong.txt"
    script.write_text("\n".join(STRONG) + "\n")
    rc = cli.main(
        ["practice", "billing-frustrated", "--text", "--trainee-script", str(script), "--json", "--seed", "3"]
    )
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert set(out) >= {"session_id", "scenario", "turns", "scorecard", "latency", "recording"}
    assert out["scenario"] == "billing-frustrated"
    assert set(out["turns"][0]) == {"speaker", "text", "start", "end"}
    assert out["scorecard"]["passed"] is True
    assert set(out["latency"]["voice_to_voice_ms"]) == {"p50", "p95", "max"}
    assert set(out["latency"]["parts_ms"]) == {"endpoint", "asr", "decide", "tts_first_audio"}
    assert Path(out["recording"]).is_dir()
    assert session.load(out["session_id"]).start["seed"] == 3


def test_cli_without_devices_points_to_text(capsys, monkeypatch, fake_models):
    from simulator.speech import factory

    with factory.override(sound_devices=lambda: False):
        rc = cli.main(["practice", "billing-frustrated"])
    err = capsys.readouterr().err
    assert rc == 2 and "--text" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["practice", "no-such-scenario", "--text"], "no such scenario"),
        (
            ["practice", "billing-frustrated", "--text", "--trainee-script", "/nonexistent.txt"],
            "no such trainee script",
        ),
        (["practice", "billing-frustrated", "--text", "--trainee-audio", "/tmp"], "do not go together"),
    ],
)
def test_cli_bad_input_exit_2(argv, needle, capsys, fake_models):
    rc = cli.main(argv)
    err = capsys.readouterr().err
    assert rc == 2 and needle in err and "Traceback" not in err


def test_cli_typed_replies_from_stdin(monkeypatch, capsys, fake_models):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(STRONG[:2]) + "\n/quit\n"))
    rc = cli.main(["practice", "billing-frustrated", "--text"])
    out = capsys.readouterr().out
    assert rc == 0 and "Denise" in out and "you hung up" in out
    # piped input is not echoed by a terminal: each typed line is printed once, with no prompt
    assert "You: You:" not in out and sum(line.startswith("You: ") for line in out.splitlines()) == 2


def test_typed_at_a_terminal_is_not_printed_twice():
    import io

    from rich.console import Console

    buf = io.StringIO()
    view = call_view.PrintView(Console(file=buf, width=200), "Denise", echo_trainee=False)
    view.turn("trainee", "Thank you for calling.")  # already on screen after the "You: " prompt
    view.turn("trainee", "")  # silence is still noted
    view.turn("patient", "Hi.")
    assert buf.getvalue().splitlines() == ["You: (silence)", "Denise: Hi."]
    prompts = []
    assert trainee_mod.TypedTrainee(lambda p: prompts.append(p) or "hello").reply(None) == "hello" and prompts == [
        "You: "
    ]


# ------------------------------------------------------------------ helpers of the voice loop


def test_heard_text_drops_whispers_made_up_tail():
    from simulator.call.practice import heard_text
    from simulator.speech.asr import Segment, Transcription, Word

    tr = Transcription(
        "How can I help you today? Thank you.",
        (Segment(0.0, 5.1, "How can I help you today?"), Segment(5.12, 5.16, "Thank you.")),
        (Word(4.9, 5.1, "today?", 0.99), Word(5.12, 5.12, "Thank", 0.01), Word(5.12, 5.16, "you.", 0.98)),
        5.3,
    )
    assert heard_text(tr) == "How can I help you today?"
    sure = Transcription("Thank you.", (Segment(0.0, 0.3, "Thank you."),), (Word(0.0, 0.1, "Thank", 0.9),), 0.5)
    assert heard_text(sure) == "Thank you."


def test_sentences_keep_titles_with_names():
    """Both voices pause between sentences; "Ms. Carter" is not two of them (tts.split_sentences)."""
    from simulator.speech.tts import split_sentences

    assert split_sentences("You're welcome, Ms. Carter. Dr. Webb will see you.") == [
        "You're welcome, Ms. Carter.",
        "Dr. Webb will see you.",
    ]
    assert split_sentences("Come at 8 a.m. tomorrow. We open at 8 a.m. Is that okay?") == [
        "Come at 8 a.m. tomorrow.",
        "We open at 8 a.m.",
        "Is that okay?",
    ]


def test_cap_pauses_and_trim():
    from simulator.call.trainee import cap_pauses, trim_silence

    tone = np.full(1600, 0.5, np.float32)
    clip = np.concatenate([np.zeros(8000, np.float32), tone, np.zeros(16000, np.float32), tone])
    capped = cap_pauses(clip, 16000, 0.3)
    assert len(capped) < len(clip) and len(capped) / 16000 < 0.5 + 0.2 + 0.3 + 0.05
    trimmed = trim_silence(capped, 16000)
    assert np.abs(trimmed[:10]).max() > 0 or len(trimmed) < len(capped)


def test_live_view_on_a_terminal(billing):
    import io

    from rich.console import Console

    from simulator.console.call_view import LiveView

    out = io.StringIO()
    view = LiveView("Billing", "Denise", console=Console(file=out, force_terminal=True, width=80))
    view.status("Ringing")
    view.turn("trainee", "Riverside, this is Sam.")
    view.turn("patient", "I got a bill.", "hangs up")
    view.close()
    text = out.getvalue()
    assert "Riverside, this is Sam." in text and "Denise" in text and "I got a bill." in text


@pytest.mark.real
def test_call_through_pulseaudio_devices(headless_audio):
    """Real devices (the headless PulseAudio null sink and its monitor), fake models: the patient
    plays on one output stream, the scripted trainee on another, the microphone hears both and
    the half-duplex loop only listens when the patient is quiet."""
    from test_patient import mini

    from simulator.speech.audio import DeviceSink, DeviceSource, RealClock

    sc = mini(
        states={
            "ask": {"say": "Hi there.", "on": [{"when": "take_ownership", "goto": "done"}]},
            "done": {"say": "Great.", "end": True},
        },
        start="ask",
    )
    lines = ["Riverside Family Practice, this is Sam.", "Let me look into that for you.", "Bye now, take care."]
    turns = parse_trainee_script("\n".join(lines))
    speech = ToneSpeech(lines, seconds=0.8)
    clock = RealClock()
    mic = DeviceSource()
    sink = DeviceSink()
    mouth = trainee_mod.SpeakerMouth(DeviceSink())
    bank = LineBank(FakeSynthesizer(sample_rate=22050), sc.patient.voice)
    trainee = ScriptedVoice(mouth, [speech.clip(t) for t in lines], turns, think_s=0.3, ring_s=0.3)
    call = VoiceCall(
        sc,
        source=mic,
        sink=sink,
        recognizer=FakeRecognizer(speech.recognize),
        vad=EnergyVad(),
        detector=FakeDetector({"take_ownership": ("let me look",), "greet_practice": ("riverside",)}),
        bank=bank,
        clock=clock,
        options=PracticeOptions(barge_in=False, max_call_s=40),
        trainee=trainee,
    )
    try:
        result = call.run()
    finally:
        sink.close()
        mouth.close()
    assert [t.text for t in result.turns if t.speaker == "trainee"] == lines
    assert result.patient_path == ["ring", "ask", "done"] and result.end_reason == "end_state"


def test_trainee_audio_dir_in_name_order(tmp_path, billing):
    from simulator.call.trainee import load_trainee_audio

    speech = ToneSpeech(STRONG[:2])
    for i, text in enumerate(STRONG[:2]):
        sf.write(tmp_path / f"{i:02d}.wav", speech.clip(text), 16000)
    (tmp_path / "notes.txt").write_text("ignored")
    turns, clips = load_trainee_audio(tmp_path)
    assert [t.text for t in turns] == ["00.wav", "01.wav"]
    assert [speech.recognize(c) for c in clips] == STRONG[:2]
    with pytest.raises(UserError, match="no .wav"):
        load_trainee_audio(_empty(tmp_path))


def _empty(tmp_path):
    d = tmp_path / "empty"
    d.mkdir()
    return d


# ------------------------------------------------------------------ typed calls carry no timings


def test_typed_call_has_no_made_up_timings(billing):
    from simulator.scoring import feedback  # noqa: F401 - the tips come from the scorer's feedback

    result = run_text_call(billing, ScriptedText(STRONG), FakeDetector())
    assert result.input == "typed" and result.to_json()["input"] == "typed"
    assert all(t.start is None and t.end is None for t in result.turns)
    timing = result.scorecard["timing"]
    assert timing["response_latency_s"] is None and timing["talk_ratio"] is None and timing["speaking_rate_wpm"] is None
    assert not timing["long_silences"]
    assert not [t for t in result.scorecard["tips"] if "words a minute" in t["text"] or "answer within" in t["text"]]
    assert result.latency["voice_to_voice_ms"]["p50"] is None
    from io import StringIO

    from rich.console import Console

    con = Console(file=StringIO(), width=100)
    from simulator.cli.commands.practice import render_result

    render_result(result, billing, console=con)
    shown = con.file.getvalue()
    assert "words/min" not in shown and "reply after" not in shown


def test_voice_call_keeps_measured_timings(billing):
    result, _, _ = voice_call(billing, STRONG)
    assert result.input == "voice" and result.scorecard["timing"]["response_latency_s"] is not None


# ------------------------------------------------------------------ --trainee: practice calls in the results store


def _script(tmp_path, lines):
    f = tmp_path / "script.txt"
    f.write_text("\n".join(lines) + "\n")
    return str(f)


def test_cli_practice_with_trainee_is_stored_as_practice(tmp_path, capsys, fake_models):
    from simulator.records.store import open_store

    db = str(tmp_path / "r.db")
    rc = cli.main(
        [
            "practice",
            "billing-frustrated",
            "--text",
            "--trainee-script",
            _script(tmp_path, STRONG),
            "--trainee",
            "Ana Lopez",
            "--cohort",
            "spring",
            "--db",
            db,
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["stored"] == {"trainee": "Ana Lopez", "cohort": "spring", "saved": True}
    with open_store(db) as store:
        (s,) = store.sessions(trainee="Ana Lopez", with_turns=True)
        assert s.session_id == out["session_id"] and s.source == "practice" and s.run_id is None
        assert s.cohort == "spring" and s.scenario == "billing-frustrated" and s.passed is True
        assert s.typed and s.response_latency_s is None and s.latency_median_s is None
        assert s.recording == out["recording"] and Path(s.recording).is_dir()
        assert [t["text"] for t in s.turns] == [t["text"] for t in out["turns"]]
        assert store.runs(trainee="Ana Lopez") == []  # not an assessment attempt
        assert store.verify().ok
    # the plain view says where it went
    rc = cli.main(
        [
            "practice",
            "billing-frustrated",
            "--text",
            "--trainee-script",
            _script(tmp_path, STRONG[:2]),
            "--trainee",
            "Ana Lopez",
            "--db",
            db,
        ]
    )
    assert rc == 0 and "Saved as a practice call for Ana Lopez" in capsys.readouterr().out
    with open_store(db) as store:
        assert len(store.sessions(trainee="Ana Lopez")) == 2


def test_cli_practice_without_trainee_stores_nothing(tmp_path, capsys, fake_models):
    db = tmp_path / "r.db"
    rc = cli.main(
        [
            "practice",
            "billing-frustrated",
            "--text",
            "--trainee-script",
            _script(tmp_path, STRONG[:2]),
            "--db",
            str(db),
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and "stored" not in out and not db.exists()
    assert session.load(out["session_id"]).complete  # the journal stays in the data directory


def test_cli_practice_silent_call_is_not_stored(tmp_path, capsys, monkeypatch, fake_models):
    import io

    from simulator.records.store import open_store

    db = str(tmp_path / "r.db")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    rc = cli.main(["practice", "billing-frustrated", "--text", "--trainee", "bo", "--db", db])
    assert rc == 0 and "Not saved" in capsys.readouterr().out
    with open_store(db) as store:
        assert store.trainees() == []


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["--endpoint-silence", "0.1"], "between 0.2 and 3"),
        (["--endpoint-silence", "3.5"], "between 0.2 and 3"),
        (["--endpoint-silence", "nan"], "between 0.2 and 3"),
        (["--endpoint-silence", "soon"], "invalid float value"),
        (["--text", "--endpoint-silence", "1"], "only applies to spoken calls"),
        (["--text", "--asr-hotwords"], "only applies to spoken calls"),
        (["--text", "--cohort", "spring"], "--cohort needs --trainee"),
        (["--text", "--trainee", "a\nb"], "invalid trainee name"),
    ],
)
def test_cli_practice_bad_flags_one_line_exit_2(argv, needle, capsys, fake_models):
    try:
        rc = cli.main(["practice", "billing-frustrated", *argv])
    except SystemExit as exc:  # argparse's own usage errors
        rc = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and needle in err[0]


def test_cli_practice_voice_flags_reach_the_options(monkeypatch, capsys, billing, fake_models):
    import types

    from simulator.speech import factory

    seen = {}

    def build(scenario, *, options, **kw):  # the library's call builder, with nothing loaded
        seen["options"] = options
        return types.SimpleNamespace(run=lambda: run_text_call(billing, ScriptedText(STRONG[:1]), FakeDetector()))

    monkeypatch.setattr("simulator.call.setup.build_voice_call", build)
    with factory.override(sound_devices=lambda: True):
        assert (
            cli.main(["practice", "billing-frustrated", "--asr-hotwords", "--endpoint-silence", "1.2", "--json"]) == 0
        )
        assert seen["options"].asr_hotwords is True and seen["options"].endpoint_silence_s == 1.2
        assert cli.main(["practice", "billing-frustrated", "--json"]) == 0
    assert (
        seen["options"].asr_hotwords is False
        and seen["options"].endpoint_silence_s == PracticeOptions().endpoint_silence_s
    )
    capsys.readouterr()


def test_hotword_option_reaches_the_recognizer(billing):
    heard = []

    class Spy(FakeRecognizer):
        def transcribe(self, audio, *, prompt=None, hotwords=None):
            heard.append(hotwords)
            return super().transcribe(audio, prompt=prompt, hotwords=hotwords)

    clock = ManualClock()
    turns = parse_trainee_script("\n".join(STRONG[:2]))
    speech = ToneSpeech([t.text for t in turns])
    mic = VirtualMicrophone(clock=clock, stop_when_idle_s=None, gap_s=0.0)
    bank = LineBank(FakeSynthesizer(sample_rate=22050), billing.patient.voice)
    bank.prepare(Patient(billing).all_lines())
    trainee = ScriptedVoice(mic, [speech.clip(t.text) for t in turns], turns, think_s=0.4, ring_s=0.5)
    call = VoiceCall(
        billing,
        source=mic,
        sink=VirtualSpeaker(clock),
        recognizer=Spy(speech.recognize),
        vad=EnergyVad(),
        detector=FakeDetector(),
        bank=bank,
        clock=clock,
        options=PracticeOptions(barge_in=True, asr_hotwords=True),
        trainee=trainee,
    )
    call.run()
    assert heard and all(h for h in heard)
