"""The session record: durable per turn, private, readable when incomplete; kill -9 loses at most a turn."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import soundfile as sf

from simulator import cli
from simulator.call import session
from simulator.call.session import SessionWriter, TurnRecord
from simulator.errors import UserError


def _turn(i: int, speaker: str = "trainee", text: str = "hello") -> TurnRecord:
    return TurnRecord(
        index=i,
        speaker=speaker,
        text=f"{text} {i}",
        start=float(i),
        end=i + 0.8,
        behaviors=("empathy",) if speaker == "trainee" else (),
    )


def test_writer_is_private_and_round_trips():
    w = SessionWriter.create("billing-frustrated", seed=4, mode="text")
    tone = (0.2 * np.sin(np.arange(16000) / 16000 * 2 * np.pi * 440)).astype(np.float32)
    w.add_turn(_turn(0), tone, 16000)
    w.add_turn(_turn(1, "patient"), tone, 22050)
    w.finish("end_state", scorecard={"passed": True}, latency={"turns": 1}, patient_path=["ring", "opening"])
    w.close()
    assert (w.dir.stat().st_mode & 0o777) == 0o700
    assert (w.dir.parent.stat().st_mode & 0o777) == 0o700
    for f in w.dir.iterdir():
        assert f.stat().st_mode & 0o777 == 0o600, f
    s = session.load(w.id)
    assert s.complete and s.scenario == "billing-frustrated" and s.start["seed"] == 4
    assert [t.text for t in s.turns] == ["hello 0", "hello 1"]
    assert s.turns[0].behaviors == ("empathy",)
    assert s.turns[0].audio == "000-trainee.flac"
    audio, rate = sf.read(s.dir / s.turns[1].audio)
    assert rate == 22050 and len(audio) == 16000
    assert s.scorecard == {"passed": True}
    assert s.transcript()["turns"][0] == {"speaker": "trainee", "text": "hello 0", "start": 0.0, "end": 0.8}


def test_incomplete_session_with_a_torn_last_line():
    w = SessionWriter.create("billing-frustrated", seed=0, mode="voice")
    w.add_turn(_turn(0))
    w.add_turn(_turn(1, "patient"))
    w.close()
    with open(w.dir / session.JOURNAL, "ab") as fh:  # a kill in the middle of a write
        fh.write(b'{"type":"turn","index":2,"speaker":"trai')
    s = session.load(w.id)
    assert not s.complete and len(s.turns) == 2 and s.skipped_lines == 1


def test_list_and_find_by_prefix_or_last():
    a = SessionWriter.create("billing-frustrated", seed=0, mode="text", session_id="20250101-100000-aaaa")
    b = SessionWriter.create("suicidal-ideation", seed=0, mode="text", session_id="20250101-110000-bbbb")
    a.finish("end_state")
    for w in (a, b):
        w.close()
    listed = session.list_sessions()
    assert [s.id for s in listed] == [a.id, b.id]
    assert [s.complete for s in listed] == [True, False]
    assert session.load("20250101-10").id == a.id
    assert session.load("last").id == b.id
    with pytest.raises(UserError, match="ambiguous"):
        session.load("20250101")
    with pytest.raises(UserError, match="no session"):
        session.load("nope")


def test_sessions_commands_work_on_incomplete_sessions(capsys, monkeypatch, fake_parts):
    w = SessionWriter.create("billing-frustrated", seed=0, mode="text")
    w.add_turn(TurnRecord(0, "trainee", "Thank you for calling Riverside Family Practice, this is Sam.", 0.0, 3.0))
    w.add_turn(TurnRecord(1, "patient", "I got a bill.", 3.5, 5.0, kind="line", state="opening", mood=7))
    w.close()
    assert cli.main(["sessions", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["id"] == w.id and listed[0]["complete"] is False and listed[0]["turns"] == 2
    assert cli.main(["sessions", "show", w.id[:12]]) == 0
    out = capsys.readouterr().out
    assert "incomplete" in out and "I got a bill." in out
    assert cli.main(["sessions", "score", w.id, "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["scenario"] == "billing-frustrated" and "greet_practice" in {b["id"] for b in card["behaviors"]}
    assert session.load(w.id).scorecard == card  # the score is kept with the session
    assert cli.main(["sessions", "show", "nope"]) == 2


def test_replay_writes_the_call(tmp_path, capsys):
    w = SessionWriter.create("billing-frustrated", seed=0, mode="voice")
    tone = (0.2 * np.sin(np.arange(8000) / 16000 * 2 * np.pi * 440)).astype(np.float32)
    w.add_turn(TurnRecord(0, "trainee", "hi", 0.0, 0.5), tone, 16000)
    w.add_turn(TurnRecord(1, "patient", "hello", 1.0, 1.5), tone, 16000)
    w.close()
    out = tmp_path / "call.wav"
    assert cli.main(["sessions", "replay", w.id, "-o", str(out)]) == 0
    audio, rate = sf.read(out)
    assert audio.shape[1] == 2 and len(audio) / rate == pytest.approx(1.5, abs=0.05)
    assert np.abs(audio[: rate // 2, 0]).max() > 0.1 and np.abs(audio[: rate // 2, 1]).max() < 1e-3


# ------------------------------------------------------------------ kill -9 mid-call

CHILD = textwrap.dedent("""
    import sys, time
    from simulator.call import practice, session
    from simulator.call import trainee as trainee_mod
    from simulator.authoring import scenario as sc_mod
    from simulator.speech.audio import VirtualMicrophone, VirtualSpeaker
    from simulator.call.patient import Patient
    from simulator.testing import EnergyVad, FakeDetector, FakeRecognizer, FakeSynthesizer, ManualClock, ToneSpeech

    class Announcing(session.SessionWriter):
        def add_turn(self, turn, audio=None, sample_rate=None):
            rec = super().add_turn(turn, audio, sample_rate)
            print("journaled", turn.index, flush=True)  # only after it is on disk
            return rec

    lines = sys.argv[1:]
    sc = sc_mod.load("billing-frustrated")
    clock = ManualClock()
    turns = trainee_mod.parse_trainee_script("\\n".join(lines))
    speech = ToneSpeech([t.text for t in turns])
    def slow(audio):
        time.sleep(0.4)  # a slow recognizer, so the call is still running when it is killed
        return speech.recognize(audio)
    mic = VirtualMicrophone(clock=clock, stop_when_idle_s=None, gap_s=0.0)
    bank = practice.LineBank(FakeSynthesizer(sample_rate=22050), sc.patient.voice)
    bank.prepare(Patient(sc).all_lines())
    trainee = trainee_mod.ScriptedVoice(mic, [speech.clip(t.text) for t in turns], turns)
    writer = Announcing.create(sc.id, seed=0, mode="voice")
    print("session", writer.id, flush=True)
    call = practice.VoiceCall(sc, source=mic, sink=VirtualSpeaker(clock), recognizer=FakeRecognizer(slow),
                              vad=EnergyVad(), detector=FakeDetector(), bank=bank, clock=clock,
                              options=practice.PracticeOptions(barge_in=True, early_asr_s=10.0), trainee=trainee,
                              writer=writer)
    call.run()
    print("finished", flush=True)
""")


def test_kill_9_mid_call_loses_at_most_the_current_turn(repo):
    from test_practice import STRONG

    env = {**os.environ, "PYTHONPATH": str(repo)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, *STRONG],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=repo,
    )
    acknowledged = -1
    sid = None
    deadline = time.time() + 60
    try:
        for line in proc.stdout:
            if line.startswith("session"):
                sid = line.split()[1]
            if line.startswith("journaled"):
                acknowledged = int(line.split()[1])
                if acknowledged >= 4:
                    proc.send_signal(signal.SIGKILL)
                    break
            assert time.time() < deadline, "the child call took too long"
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    s = session.load(sid)
    assert not s.complete
    # everything acknowledged before the kill is there (the turn in progress at most is lost)
    assert [t.index for t in s.turns][: acknowledged + 1] == list(range(acknowledged + 1))
    assert len(s.turns) in (acknowledged + 1, acknowledged + 2)
    for t in s.turns:
        if t.audio:
            audio, _rate = sf.read(s.dir / t.audio)
            assert len(audio) > 0
    assert not list(s.dir.glob(".*.tmp")) or all(p.name not in {t.audio for t in s.turns} for p in s.dir.glob(".*.tmp"))
    # the incomplete session still scores
    from simulator.authoring.scenario import load
    from simulator.call.result import score_turns
    from simulator.testing import FakeDetector

    assert score_turns(load("billing-frustrated"), s.turns, FakeDetector()) is not None
