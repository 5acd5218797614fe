"""Voice activity and end of turn: real Silero on a clip with pauses, and the pure endpointer."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from simulator.speech.vad import FRAME_S, EndpointConfig, Endpointer, TurnDetector, looks_mid_number, speech_segments


def _run(endpointer: Endpointer, probs) -> list:
    return [ev for p in probs for ev in [endpointer.update(p)] if ev]


def _frames(seconds: float, p: float) -> list[float]:
    return [p] * int(round(seconds / FRAME_S))


@pytest.mark.real
def test_silero_finds_the_three_spoken_parts(silero, load_clip):
    silero.reset()
    segs = speech_segments(silero.probabilities(load_clip("dob_pauses")))
    assert len(segs) == 3
    starts = [s for s, _ in segs]
    assert starts[0] == pytest.approx(0.5, abs=0.25)
    assert all(b - a > 0.8 for a, b in itertools.pairwise(starts))  # one-second pauses between


@pytest.mark.real
def test_streaming_matches_faster_whisper_batch_vad(silero, load_clip):
    from faster_whisper.vad import SileroVADModel

    from simulator.speech import models

    audio = load_clip("verify")
    audio = audio[: len(audio) // 512 * 512]
    batch = SileroVADModel(str(models.silero_vad_path()))(audio).reshape(-1)
    silero.reset()
    assert np.allclose(silero.probabilities(audio), batch, atol=1e-4)


@pytest.mark.real
def test_endpoint_after_silence_and_patience_mid_number(silero, load_clip, faster_whisper):
    """Without partial text the 700 ms endpoint cuts "oh four"; with the partial ASR hook the
    turn runs through "twelve ... sixty eight" and ends once the number is complete."""
    audio = np.concatenate([load_clip("dob_pauses"), np.zeros(16000, np.float32)])
    silero.reset()
    probs = silero.probabilities(audio)
    plain = _run(Endpointer(), probs)
    assert [e.kind for e in plain][:2] == ["speech_start", "end_of_turn"]
    assert plain[1].t < 3.0  # cut after the first part

    ep = Endpointer()
    events, asked = [], 0
    for _i, p in enumerate(probs):
        ev = ep.update(p)
        if ev:
            events.append(ev)
        if ep.in_turn and abs(ep.silence_s - 0.3) < FRAME_S / 2:  # a pause: ask ASR for a partial
            start = int(ep.turn_start * 16000)
            ep.set_partial(faster_whisper.transcribe(audio[start : int(ep.t * 16000)]).text)
            asked += 1
    ends = [e for e in events if e.kind == "end_of_turn"]
    assert asked >= 2
    assert len(ends) == 1 and ends[0].t > 5.5
    assert ends[0].speech_s > 4.5


def test_turn_detector_accepts_any_chunk_size(silero, load_clip):
    audio = load_clip("verify")
    det = TurnDetector(silero, Endpointer(EndpointConfig(silence_s=0.5)))
    det.reset()
    events = []
    for i in range(0, len(audio) + 16000, 320):  # 20 ms ticks, then a second of silence
        chunk = audio[i : i + 320] if i < len(audio) else np.zeros(320, np.float32)
        events += det.push(chunk)
    assert [e.kind for e in events] == ["speech_start", "end_of_turn"]
    assert events[1].t == pytest.approx(len(audio) / 16000 - 0.25 + 0.5, abs=0.4)


def test_short_sounds_are_not_speech():
    ep = Endpointer()
    assert _run(ep, _frames(1, 0.0) + _frames(0.2, 0.9) + _frames(1.5, 0.0)) == []  # an "mm-hm"


def test_speech_start_after_min_speech_then_end_after_silence():
    ep = Endpointer(EndpointConfig(silence_s=0.7, min_speech_s=0.3))
    events = _run(ep, _frames(1, 0.0) + _frames(2, 0.9) + _frames(1, 0.0))
    assert [e.kind for e in events] == ["speech_start", "end_of_turn"]
    assert events[0].t == pytest.approx(1.0, abs=FRAME_S)
    assert events[1].t == pytest.approx(3.7, abs=2 * FRAME_S)
    assert events[1].speech_s == pytest.approx(2.0, abs=2 * FRAME_S)


def test_hysteresis_keeps_a_turn_through_soft_frames():
    ep = Endpointer()
    events = _run(ep, _frames(1, 0.9) + _frames(1, 0.4) + _frames(1, 0.9) + _frames(1, 0.0))
    assert [e.kind for e in events] == ["speech_start", "end_of_turn"]


def test_mid_number_gets_extra_patience():
    probs = _frames(1, 0.9) + _frames(1.2, 0.0) + _frames(1, 0.9) + _frames(1, 0.0)
    hasty = _run(Endpointer(), probs)
    assert [e.kind for e in hasty] == ["speech_start", "end_of_turn", "speech_start", "end_of_turn"]
    ep = Endpointer(EndpointConfig(silence_s=0.7, number_patience_s=0.8))
    events = []
    for i, p in enumerate(probs):
        if i == int(1.3 / FRAME_S):
            ep.set_partial("my date of birth is oh four")
            assert ep.patient and ep.required_silence() == pytest.approx(1.5)
        if i == int(3.1 / FRAME_S):
            ep.set_partial("my date of birth is oh four twelve sixty eight")
        ev = ep.update(p)
        if ev:
            events.append(ev)
    assert [e.kind for e in events] == ["speech_start", "end_of_turn"]
    assert events[1].t == pytest.approx(3.2 + 0.7, abs=2 * FRAME_S)


def test_custom_mid_number_hook():
    ep = Endpointer(mid_number=lambda text: text.endswith("..."))
    ep.set_partial("let me think...")
    assert ep.patient
    ep.set_partial("done")
    assert not ep.patient


@pytest.mark.parametrize(
    "text,mid",
    [
        ("My date of birth is oh four", True),
        ("oh four twelve", True),
        ("oh four twelve sixty-eight", False),
        ("My date of birth is 04. 12. 68.", False),
        ("04/12", True),
        ("04/12/1968", False),
        ("my number is 555 123", True),
        ("555-123-4567", False),
        ("April twelfth nineteen sixty", True),
        ("April 12th, 1968", False),
        ("two hundred and", True),
        ("I need a refill for my lisinopril", False),
        ("I have two kids at home", False),
        ("", False),
    ],
)
def test_looks_mid_number(text, mid):
    assert looks_mid_number(text) is mid


def test_speech_segments_pure():
    probs = np.array(_frames(0.5, 0.0) + _frames(1, 0.9) + _frames(0.5, 0.0) + _frames(0.1, 0.9) + _frames(0.5, 0))
    segs = speech_segments(probs, min_speech_s=0.25, min_silence_s=0.3)
    assert len(segs) == 1 and segs[0][0] == pytest.approx(0.5, abs=FRAME_S)
