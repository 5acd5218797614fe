"""Shared fixtures. Real-model fixtures are session-scoped so each model loads once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path_factory, monkeypatch):
    """Keep every test's user data and cache out of the real home directory."""
    base = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("VASIM_DATA", str(base / "data"))
    monkeypatch.setenv("VASIM_CACHE", str(os.environ.get("VASIM_TEST_CACHE") or base / "cache"))


@pytest.fixture
def fake_parts():
    """The CLI and the call builder build a FakeDetector and no embedder (``testing.fake_parts``)."""
    from simulator.testing import fake_parts as parts

    with parts():
        yield


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def data_dir() -> Path:
    return DATA


# ---------------------------------------------------------------------------------------------
# speech: committed clips, real models loaded once per session, headless PulseAudio

CLIPS = DATA / "clips"


@pytest.fixture(scope="session")
def clip_refs() -> dict:
    """``clips.json``: file name -> {"text", "duration_s", "kind"}."""
    import json

    return json.loads((CLIPS / "clips.json").read_text())


@pytest.fixture(scope="session")
def load_clip():
    """``load_clip(name)`` -> float32 mono 16 kHz array of a committed clip."""
    from simulator.speech.audio import read_audio

    def load(name: str):
        return read_audio(CLIPS / (name if "." in name else name + ".flac"), 16000)[0]

    return load


@pytest.fixture(scope="session")
def faster_whisper():
    from simulator.speech import factory

    return factory.make_recognizer("faster-whisper", "tiny.en")


@pytest.fixture(scope="session")
def openai_whisper():
    from simulator.speech import factory

    return factory.make_recognizer("openai-whisper", "tiny.en")


@pytest.fixture(scope="session")
def piper():
    from simulator.speech import factory

    return factory.make_synthesizer("piper", cache=False)


@pytest.fixture(scope="session")
def espeak():
    from simulator.speech import factory

    return factory.make_synthesizer("pyttsx3", cache=False)


@pytest.fixture(scope="session")
def silero():
    from simulator.speech.vad import SileroVad

    return SileroVad()


@pytest.fixture(scope="session")
def headless_audio():
    """Start the private PulseAudio server (scripts/headless-audio.sh) for the session.

    Sets PULSE_SERVER & co. in this process, re-scans PortAudio's devices, and stops the
    server at the end if this fixture started it.
    """
    import subprocess

    script = REPO / "scripts" / "headless-audio.sh"
    was_running = subprocess.run(["bash", str(script), "status"], capture_output=True).returncode == 0
    proc = subprocess.run(["bash", str(script), "start"], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"headless PulseAudio did not start: {proc.stderr.strip()}")
    saved = {}
    for line in proc.stdout.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        saved[key] = os.environ.get(key)
        os.environ[key] = value
    from simulator.speech.audio import refresh_devices

    refresh_devices()
    yield proc.stdout
    if not was_running:
        subprocess.run(["bash", str(script), "stop"], capture_output=True)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def pytest_terminal_summary(terminalreporter, config):
    """Figures that tests measured (e.g. the audio examples' round-trip WER), printed after the run.

    A test adds lines with ``request.config.vasim_figures.setdefault(title, []).append(line)``.
    """
    for title, lines in getattr(config, "vasim_figures", {}).items():
        terminalreporter.write_sep("-", title)
        for line in lines:
            terminalreporter.write_line(line)


def pytest_configure(config):
    config.vasim_figures = {}
