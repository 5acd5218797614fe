"""Everything works offline: the speech pipeline runs under a guard that fails any socket
connection other than a local (AF_UNIX) one, such as the PulseAudio socket."""

from __future__ import annotations

import socket

import numpy as np
import pytest


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch):
    attempts = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guard(real):
        def connect(self, address):
            if self.family != socket.AF_UNIX:
                attempts.append(address)
                raise NetworkUsed(f"network connection attempted: {address!r}")
            return real(self, address)

        return connect

    monkeypatch.setattr(socket.socket, "connect", guard(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guard(real_connect_ex))
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *a, **k: (_ for _ in ()).throw(NetworkUsed(f"DNS lookup {a[:2]}"))
    )
    yield attempts
    assert attempts == [], f"network connections attempted: {attempts}"


def test_the_guard_blocks_tcp(no_network):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(NetworkUsed):
        s.connect(("127.0.0.1", 9))
    s.close()
    no_network.clear()


@pytest.mark.real
def test_speech_pipeline_offline(no_network, load_clip, tmp_path, monkeypatch):
    """Models load fresh from their packages (no hub), and one turn runs end to end:
    virtual mic -> VAD endpoint -> ASR (both engines) -> TTS -> virtual speaker."""
    from simulator.speech import factory
    from simulator.speech.asr import normalize_text
    from simulator.speech.audio import VirtualMicrophone, VirtualSpeaker
    from simulator.speech.voice import VoiceProfile
    from simulator.testing import ManualClock

    monkeypatch.setenv("VASIM_CACHE", str(tmp_path))
    recognizer = factory.make_recognizer("faster-whisper", "tiny.en")
    openai = factory.make_recognizer("openai-whisper", "tiny.en")
    tts = factory.make_synthesizer("piper")
    detector = factory.make_vad(silence_s=0.7)
    clock = ManualClock()
    mic = VirtualMicrophone([load_clip("verify")], clock=clock, gap_s=0.3, stop_when_idle_s=1.5)
    speaker = VirtualSpeaker(clock)
    heard: list[np.ndarray] = []
    turn = None
    for frame in mic:
        heard.append(frame)
        for ev in detector.push(frame):
            if ev.kind == "end_of_turn":
                turn = np.concatenate(heard)
                break
        if turn is not None:
            break
    assert turn is not None
    text = recognizer.transcribe(turn, prompt="Riverside Family Practice").text
    assert {"date", "birth"} <= set(normalize_text(text))
    assert {"date", "birth"} <= set(normalize_text(openai.transcribe(turn).text))
    reply = tts.synthesize("Sure, it is April twelfth, nineteen sixty eight.", VoiceProfile())
    speaker.play(reply, tts.sample_rate)
    assert speaker.wait()
    assert len(speaker.played[0][1]) == len(reply)


@pytest.mark.real
def test_pulseaudio_is_allowed_through_its_unix_socket(headless_audio, no_network):
    from simulator.speech.audio import DeviceSink

    sink = DeviceSink()
    sink.play(np.zeros(4800, np.float32), 48000)
    assert sink.wait(timeout=5)
    sink.close()
