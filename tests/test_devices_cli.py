"""`vasim devices`: with no device (or no microphone, or no speaker) one error line, exit 2,
pointing to --text mode; with devices, the list."""

from __future__ import annotations

import json

from simulator.cli import main
from simulator.speech import audio


def dev(index: int, name: str, inputs: int, outputs: int) -> audio.DeviceInfo:
    return audio.DeviceInfo(index, name, "ALSA", inputs, outputs, 44100.0, inputs > 0, outputs > 0)


def run(capsys, *argv):
    code = main(["devices", *argv])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_no_device_is_one_error_line_exit_2(capsys, monkeypatch):
    monkeypatch.setattr(audio, "list_devices", list)
    code, out, err = run(capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "no audio devices found" in err and "--text" in err and "Traceback" not in err


def test_no_input_device_lists_outputs_then_errors(capsys, monkeypatch):
    monkeypatch.setattr(audio, "list_devices", lambda: [dev(0, "HDMI", 0, 2)])
    code, out, err = run(capsys)
    assert code == 2 and "HDMI" in out
    assert err.count("\n") == 1 and "no audio input (microphone) device found" in err and "--text" in err


def test_no_output_device_errors(capsys, monkeypatch):
    monkeypatch.setattr(audio, "list_devices", lambda: [dev(1, "USB mic", 1, 0)])
    code, _, err = run(capsys)
    assert code == 2 and "no audio output (speaker) device found" in err and "--text" in err


def test_json_still_printed_when_no_device(capsys, monkeypatch):
    monkeypatch.setattr(audio, "list_devices", list)
    code, out, err = run(capsys, "--json")
    assert code == 2 and json.loads(out) == [] and "--text" in err


def test_devices_listed_exit_0(capsys, monkeypatch):
    monkeypatch.setattr(audio, "list_devices", lambda: [dev(3, "pulse", 2, 2)])
    code, out, err = run(capsys)
    assert code == 0 and err == ""
    assert "<>   3 pulse  (ALSA, 2 in, 2 out, 44100 Hz)" in out
    code, out, _ = run(capsys, "--json")
    assert code == 0 and json.loads(out)[0]["name"] == "pulse"
