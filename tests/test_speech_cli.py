"""``vasim transcribe``, ``say``, ``devices``, ``models``: output formats and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulator import cli
from simulator.speech import audio, factory
from simulator.testing import FakeRecognizer, FakeSynthesizer

CLIP = "tests/data/clips/verify.flac"


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def fake_asr(monkeypatch):
    fake = FakeRecognizer(default="can I have your date of birth")
    monkeypatch.setattr(factory, "make_recognizer", lambda engine="faster-whisper", model="tiny.en": fake)
    return fake


@pytest.fixture
def fake_tts(monkeypatch):
    monkeypatch.setattr(factory, "make_synthesizer", lambda engine="piper", cache=True: FakeSynthesizer(22050))


def test_transcribe_json_lines(capsys, fake_asr, repo, monkeypatch):
    monkeypatch.chdir(repo)
    code, out, err = run(capsys, "transcribe", "--json", CLIP, CLIP)
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 2 and len(fake_asr.calls) == 2
    assert set(lines[0]) == {"path", "text", "duration_s", "segments"}
    assert lines[0]["path"] == CLIP and lines[0]["segments"][0]["text"] == "can I have your date of birth"


def test_transcribe_passes_prompt_and_hotwords(capsys, fake_asr, repo, monkeypatch):
    monkeypatch.chdir(repo)
    code, out, _ = run(capsys, "transcribe", "--prompt", "Riverside", "--hotword", "Dana", CLIP)
    assert code == 0 and out.strip() == "can I have your date of birth"
    assert fake_asr.calls[0]["prompt"] == "Riverside" and fake_asr.calls[0]["hotwords"] == ["Dana"]


@pytest.mark.parametrize("setup,message", [
    (lambda p: str(p / "missing.wav"), "no such file"),
    (lambda p: (str(p / "x.wav"), (p / "x.wav").write_text("not audio"))[0], "not a readable audio file"),
])  # fmt: skip
def test_transcribe_bad_input_is_one_line_exit_2(capsys, tmp_path, fake_asr, setup, message):
    code, out, err = run(capsys, "transcribe", setup(tmp_path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err
    assert fake_asr.calls == []  # inputs are checked before any model loads


def test_transcribe_unknown_model_and_engine(capsys, repo, monkeypatch):
    monkeypatch.chdir(repo)
    code, _, err = run(capsys, "transcribe", "--model", "huge", CLIP)
    assert code == 2 and "tiny.en" in err and err.count("\n") == 1
    with pytest.raises(SystemExit) as exc:
        cli.main(["transcribe", "--engine", "vosk", CLIP])
    assert exc.value.code == 2


def test_say_writes_a_wav(capsys, tmp_path, fake_tts):
    out_path = tmp_path / "hello.wav"
    code, out, err = run(capsys, "say", "--pitch", "1.2", "-o", str(out_path), "Hello there. How are you?")
    assert code == 0, err
    assert out.strip() == str(out_path)
    data, rate = audio.read_audio(out_path, None)
    assert rate == 22050 and np.abs(data).max() > 0.1


def test_say_bad_options(capsys, tmp_path, fake_tts):
    code, _, err = run(capsys, "say", "--pitch", "3", "-o", str(tmp_path / "a.wav"), "hi")
    assert code == 2 and "--pitch" in err and err.count("\n") == 1
    code, _, err = run(capsys, "say", "-o", str(tmp_path / "a.mp3"), "hi")
    assert code == 2 and ".wav" in err
    code, _, err = run(capsys, "say", "  ")
    assert code == 2 and "empty" in err


def test_say_without_a_device_points_to_text_mode(capsys, monkeypatch, fake_tts):
    monkeypatch.setattr(audio, "list_devices", list)
    code, _, err = run(capsys, "say", "hello")
    assert code == 2 and "--text" in err and err.count("\n") == 1


def test_devices_lists_or_explains(capsys, monkeypatch):
    monkeypatch.setattr(audio, "list_devices", list)
    code, _, err = run(capsys, "devices")
    assert code == 2 and "--text" in err and len(err.strip().splitlines()) == 1
    monkeypatch.setattr(
        audio, "list_devices", lambda: [audio.DeviceInfo(3, "pulse", "ALSA", 2, 2, 44100.0, True, True)]
    )
    code, out, _ = run(capsys, "devices", "--json")
    assert json.loads(out)[0]["name"] == "pulse"


def test_models_list_json(capsys):
    code, out, _ = run(capsys, "models", "list", "--json")
    rows = json.loads(out)
    assert code == 0 and {"kind", "name", "available", "path", "note"} == set(rows[0])
    assert any(r["kind"] == "asr" and r["name"] == "tiny.en" and r["available"] for r in rows)


def test_models_convert_unknown_model(capsys):
    code, _, err = run(capsys, "models", "convert", "huge")
    assert code == 2 and "tiny.en" in err


def test_every_speech_command_has_help():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in ("transcribe", "say", "devices", "models"):
        assert name in sub.choices and sub.choices[name].format_help()
        assert any(c.dest == name and c.help for c in sub._choices_actions)
