"""Speech recognition: both real Whisper engines on committed clips, plus the pure helpers."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.speech.asr import as_mono16k, build_prompt, normalize_text, wer, word_errors
from simulator.testing import FakeRecognizer


def _words(text: str) -> set[str]:
    return set(normalize_text(text))


@pytest.mark.real
@pytest.mark.parametrize("clip,key", [("verify", {"name", "date", "birth"}), ("transfer", {"transfer", "nurse"})])
def test_faster_whisper_recognises_trainee_lines(faster_whisper, load_clip, clip, key):
    result = faster_whisper.transcribe(load_clip(clip))
    assert key <= _words(result.text), result.text
    assert result.duration_s == pytest.approx(len(load_clip(clip)) / 16000)
    assert result.segments and result.words
    starts = [w.start for w in result.words]
    assert starts == sorted(starts)
    assert all(0 <= w.start <= w.end <= result.duration_s + 0.5 for w in result.words)
    assert all(0 <= w.probability <= 1 for w in result.words)


@pytest.mark.real
def test_openai_whisper_runs_the_converted_weights(openai_whisper, faster_whisper, load_clip):
    audio = load_clip("emergency")
    a = openai_whisper.transcribe(audio)
    b = faster_whisper.transcribe(audio)
    assert {"call", "9", "1", "stay", "line"} <= _words(a.text), a.text
    assert wer(a.text, b.text) <= 0.2, (a.text, b.text)  # same weights; int8 vs fp32 may differ a little
    assert a.words and a.words[-1].end <= a.duration_s + 0.5
    assert openai_whisper.path.name == "openai-tiny.en.pt"


@pytest.mark.real
def test_long_clip_is_transcribed_whole(faster_whisper, load_clip, clip_refs):
    ref = clip_refs["long_call.flac"]["text"]
    result = faster_whisper.transcribe(load_clip("long_call"))
    assert wer(ref, result.text) < 0.1, result.text
    assert result.segments[-1].end > 30


@pytest.mark.real
def test_prompt_and_hotwords_are_accepted(faster_whisper, openai_whisper, load_clip):
    audio = load_clip("greeting")
    for engine in (faster_whisper, openai_whisper):
        r = engine.transcribe(audio, prompt="Riverside Family Practice", hotwords=["Dana", "Riverside"])
        assert {"riverside", "family", "practice"} <= _words(r.text), r.text


def test_normalize_makes_numbers_and_case_comparable():
    assert normalize_text("Call 9-1-1 now!") == normalize_text("call nine one one now")
    assert normalize_text("I'm sure you're right, Mr. Lopez") == [
        "i",
        "am",
        "sure",
        "you",
        "are",
        "right",
        "mister",
        "lopez",
    ]
    assert normalize_text("We can't") == ["we", "cannot"]


def test_word_error_rate():
    assert word_errors("thank you for calling", "thank you for calling") == (0, 4)
    assert word_errors("thank you for calling", "thank you calling today") == (2, 4)
    assert wer("a b c d", "") == 1.0
    assert wer("", "") == 0.0


def test_audio_input_is_normalised():
    stereo = np.ones((1600, 2), dtype=np.float32) * 0.5
    assert as_mono16k(stereo).shape == (1600,)
    pcm = np.full(10, 16384, dtype=np.int16)
    assert as_mono16k(pcm).dtype == np.float32 and abs(as_mono16k(pcm)[0] - 0.5) < 1e-3
    with pytest.raises(ValueError):
        as_mono16k(np.zeros((2, 2, 2)))


def test_prompt_joins_context_and_hotwords():
    assert build_prompt("Riverside", ["Dana", "lisinopril"]) == "Riverside. Dana, lisinopril"
    assert build_prompt(None, None) is None


def test_fake_recognizer_follows_its_script():
    fake = FakeRecognizer(["hello", "bye"], default="...")
    audio = np.zeros(16000, np.float32)
    assert [fake.transcribe(audio).text for _ in range(3)] == ["hello", "bye", "..."]
    assert fake.calls[0]["samples"] == 16000
    assert fake.transcribe(audio, hotwords=["x"]).duration_s == 1.0
