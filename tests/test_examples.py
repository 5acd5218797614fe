"""Rendered audio examples: plan, timings, transcripts, staleness, CLI, and the round trip.

The fast tests render with ``testing.FakeSynthesizer`` (tones). The round trip reads the
committed ``audio_examples/``, transcribes every turn with the real Whisper tiny.en, scores
the call with the real detector and checks the example's expected outcome.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from simulator import cli
from simulator.authoring import scenario as sc_mod
from simulator.examples import library as ex
from simulator.speech import factory
from simulator.speech.voice import VoiceProfile
from simulator.testing import FakeDetector, FakeSynthesizer

REPO = Path(__file__).resolve().parent.parent
COMMITTED = REPO / "audio_examples"
FLAC = ex.RenderOptions(sample_rate=16000, format="flac")


def fake_router(rate: int = 16000) -> ex.EngineRouter:
    fake = FakeSynthesizer(rate)
    return ex.EngineRouter({"piper": fake, "pyttsx3": fake})


@pytest.fixture
def billing():
    return sc_mod.load("billing-frustrated")


@pytest.fixture
def library(tmp_path, monkeypatch):
    """A private copy of the scenario library (billing-frustrated only) and an empty examples folder."""
    root = tmp_path / "scenarios"
    root.mkdir()
    shutil.copy(REPO / "scenarios" / "behaviors.yaml", root)
    shutil.copytree(REPO / "scenarios" / "practices", root / "practices")
    shutil.copy(REPO / "scenarios" / "billing-frustrated.yaml", root)
    out = tmp_path / "audio_examples"
    monkeypatch.setenv("VASIM_SCENARIOS", str(root))
    monkeypatch.setenv("VASIM_AUDIO_EXAMPLES", str(out))
    sc_mod._load_by_id.cache_clear()
    synth = fake_router()
    # FLAC encodes far faster than Opus; the Opus path is covered by test_json_transcript_is_scoreable
    monkeypatch.setattr(ex, "default_options", lambda: FLAC)
    with factory.override(example_synthesizer=lambda: synth):
        yield root, out, synth
    sc_mod._load_by_id.cache_clear()


# ---------------------------------------------------------------------------------------------
# the plan: voices, mood, pauses


def test_plan_is_pure_and_hash_is_stable(billing):
    strong = ex.selected_examples(billing)[0]
    a, b = ex.plan(billing, strong), ex.plan(billing, strong)
    assert a == b and a.content_hash() == b.content_hash()
    assert a.key == "billing-frustrated.strong"
    assert [t.text for t in a.turns] == [t.text for t in strong.turns]


def test_selected_examples_are_first_strong_then_first_weak(billing):
    sel = ex.selected_examples(billing)
    assert [e.kind for e in sel] == ["strong", "weak"]
    assert sel[1].name == next(e.name for e in billing.examples if e.kind == "weak")


def test_va_is_fixed_and_patient_is_distinct(billing):
    p = ex.plan(billing, billing.examples[0])
    va = {t.voice for t in p.turns if t.speaker == "trainee"}
    assert va == {ex.VA_VOICE}
    for t in p.turns:
        if t.speaker == "patient":
            same_voice = (t.voice.engine, t.voice.voice) == (ex.VA_VOICE.engine, ex.VA_VOICE.voice)
            assert not same_voice or abs(t.voice.pitch / ex.VA_VOICE.pitch - 1) >= ex.MIN_PITCH_GAP


def test_distinct_from_moves_a_patient_that_sounds_like_the_va():
    va = VoiceProfile(engine="piper", voice="joe", rate=1.0, pitch=1.0)
    same = ex.distinct_from(VoiceProfile(engine="piper", voice="joe", pitch=1.02), va)
    assert abs(same.pitch - 1.0) >= ex.MIN_PITCH_GAP
    other = VoiceProfile(engine="pyttsx3", voice="en-us+f3", pitch=1.0)
    assert ex.distinct_from(other, va) == other


def test_frustrated_caller_is_faster_and_higher_and_calms_down_in_a_strong_call(billing):
    p = ex.plan(billing, billing.examples[0])
    patient = [t for t in p.turns if t.speaker == "patient"]
    base = billing.patient.voice
    assert patient[0].mood == billing.patient.mood.start >= 7
    assert patient[0].voice.rate > base.rate and patient[0].voice.pitch > base.pitch
    assert patient[-1].mood < patient[0].mood
    assert patient[-1].voice.rate < patient[0].voice.rate


def test_distressed_caller_is_slower_and_lower():
    base = VoiceProfile(rate=1.0, pitch=1.0)
    upset = ex.delivery(base, 8, "crisis")
    assert upset.rate < 1.0 and upset.pitch < 1.0
    angry = ex.delivery(base, 8, "billing")
    assert angry.rate > 1.0 and angry.pitch > 1.0
    assert ex.delivery(base, 2, "billing") == base  # calm keeps the scenario's voice


def test_emergency_numbers_are_spoken_digit_by_digit_but_written_as_digits(billing):
    assert (
        ex.spoken_form("Please call 911 now, or 988, not 9110.")
        == "Please call nine one one now, or nine eight eight, not 9110."
    )
    ex_ = billing.examples[0]
    turns = list(ex_.turns)
    turns[2] = turns[2].model_copy(update={"text": "Please hang up and call 911."})
    p = ex.plan(billing, ex_.model_copy(update={"turns": turns}))
    assert (
        p.turns[2].text == "Please hang up and call 911." and p.turns[2].say == "Please hang up and call nine one one."
    )
    assert p.turns[0].spoken == ""  # unchanged lines keep their hash
    assert ex.plan(billing, ex_).content_hash() == ex.plan(billing, ex_).content_hash()


def test_weak_call_winds_the_caller_up():
    assert ex.mood_trajectory(5, 3, "weak") == [5, 6, 7]
    assert ex.mood_trajectory(7, 4, "strong")[-1] == 2
    assert ex.mood_trajectory(9, 1, "strong") == [9]


def test_pauses_are_seeded_natural_and_longer_before_hard_answers(billing):
    p = ex.plan(billing, billing.examples[0])
    pauses = [t.pause_before_s for t in p.turns[1:]]
    assert all(0.25 <= s <= 1.6 for s in pauses)
    assert len(set(pauses)) > 3  # not one fixed gap
    hard = billing.model_copy(update={"touchpoint": "crisis"})
    for i, t in enumerate(billing.examples[0].turns):
        if i and t.speaker == "trainee":
            assert ex.pause_before(hard, billing.examples[0], i, None) > ex.pause_before(
                billing, billing.examples[0], i, None
            )


# ---------------------------------------------------------------------------------------------
# rendering and transcripts


def test_render_timings_are_deterministic_and_from_sample_counts(billing):
    p = ex.plan(billing, billing.examples[0], ex.RenderOptions(sample_rate=16000))
    r1 = ex.render(p, fake_router())
    r2 = ex.render(p, fake_router())
    assert r1.turns == r2.turns
    assert np.array_equal(r1.audio, r2.audio)
    prev_end = 0.0
    for t, pt in zip(r1.turns, p.turns):
        assert t.start == pytest.approx(prev_end + pt.pause_before_s, abs=1e-3)
        assert t.end > t.start
        assert round((t.end - t.start) / ex.GRID_S, 6) == int(round((t.end - t.start) / ex.GRID_S))
        prev_end = t.end
    assert r1.duration_s == pytest.approx(r1.turns[-1].end + p.options.tail_s, abs=1e-3)
    assert len(r1.audio) == int(round(r1.duration_s * 16000))
    assert np.max(np.abs(r1.audio)) <= ex.PEAK + 1e-6


def test_each_voice_is_heard_in_its_own_turn(billing):
    """The fake's tone follows the voice's pitch, so the VA and the caller differ audibly."""
    p = ex.plan(billing, billing.examples[0], ex.RenderOptions(sample_rate=16000))
    r = ex.render(p, fake_router())

    def tone(t):
        seg = r.audio[int(t.start * 16000) : int(t.end * 16000)]
        spec = np.abs(np.fft.rfft(seg))
        return np.argmax(spec) * 16000 / len(seg)

    va = tone(r.turns[0])
    caller = tone(r.turns[1])
    assert abs(caller / va - 1) > 0.05


def test_vtt_shape(billing):
    p = ex.plan(billing, billing.examples[1], ex.RenderOptions(sample_rate=16000))
    r = ex.render(p, fake_router())
    vtt = ex.to_vtt(r)
    assert vtt.startswith("WEBVTT\n")
    cues = re.findall(r"^(\d+)\n(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n<v (VA|Caller)>(.+)$", vtt, re.M)
    assert len(cues) == len(p.turns)
    for (_n, a, b, who, _text), t in zip(cues, r.turns):
        assert ex.vtt_time(t.start) == a and ex.vtt_time(t.end) == b
        assert who == ("VA" if t.speaker == "trainee" else "Caller")
    assert ex.vtt_time(3725.5) == "01:02:05.500"


def test_json_transcript_is_scoreable(billing, tmp_path):
    from simulator.scoring import transcript as tr_mod

    p = ex.plan(billing, billing.examples[0], ex.RenderOptions(sample_rate=16000))
    entry = ex.write(ex.render(p, fake_router()), tmp_path)
    data = json.loads((tmp_path / entry.transcript).read_text())
    assert data["scenario"] == "billing-frustrated" and data["kind"] == "strong"
    assert all({"speaker", "text", "start", "end"} <= set(t) for t in data["turns"])
    tr = tr_mod.load(tmp_path / entry.transcript, billing)
    assert tr.timed and [t.text for t in tr.turns] == [t.text for t in billing.examples[0].turns]
    import soundfile as sf

    info = sf.info(str(tmp_path / entry.audio))
    assert info.duration == pytest.approx(entry.duration_s, abs=0.05)


# ---------------------------------------------------------------------------------------------
# staleness


def test_status_ok_stale_missing_orphan(billing, tmp_path):
    plans = ex.plans([billing], FLAC)
    index = ex.render_to(plans, fake_router(), tmp_path)
    assert [s.state for s in ex.status(plans, tmp_path)] == ["ok", "ok"]

    weak = billing.examples[1]
    edited_turns = list(weak.turns)
    edited_turns[0] = edited_turns[0].model_copy(update={"text": "Billing, what."})
    edited = billing.model_copy(
        update={"examples": [billing.examples[0], weak.model_copy(update={"turns": edited_turns})]}
    )
    states = {s.key: s.state for s in ex.status(ex.plans([edited], FLAC), tmp_path)}
    assert states == {"billing-frustrated.strong": "ok", "billing-frustrated.weak": "stale"}

    louder = billing.model_copy(
        update={
            "patient": billing.patient.model_copy(
                update={"voice": billing.patient.voice.model_copy(update={"rate": 1.3})}
            )
        }
    )
    states = {s.key: s.state for s in ex.status(ex.plans([louder], FLAC), tmp_path)}
    assert states["billing-frustrated.strong"] == "stale"  # a voice change is a content change

    (tmp_path / index["billing-frustrated.strong"].vtt).unlink()
    index["gone-scenario.weak"] = index["billing-frustrated.weak"]
    out = {s.key: s.state for s in ex.status(plans, tmp_path, index)}
    assert out == {
        "billing-frustrated.strong": "missing",
        "billing-frustrated.weak": "ok",
        "gone-scenario.weak": "orphan",
    }


def test_renderer_version_is_part_of_the_hash(billing, monkeypatch):
    p = ex.plan(billing, billing.examples[0])
    before = p.content_hash()
    monkeypatch.setattr(ex, "RENDERER_VERSION", ex.RENDERER_VERSION + 1)
    assert p.content_hash() != before


def test_engine_router_routes_by_voice_and_resamples():
    a, b = FakeSynthesizer(16000), FakeSynthesizer(8000)
    router = ex.EngineRouter({"piper": a}, build=lambda engine: b)
    x = router.synthesize("Hello there.", VoiceProfile(engine="piper"))
    y = router.synthesize("Hello there.", VoiceProfile(engine="pyttsx3"))
    assert router.sample_rate == 16000 and a.calls == 1 and b.calls == 1
    assert len(y) == pytest.approx(len(x), rel=0.02)  # 8 kHz tone brought to 16 kHz


# ---------------------------------------------------------------------------------------------
# the CLI


def test_cli_render_check_changed(library, capsys):
    root, out, synth = library
    assert cli.main(["examples", "check"]) == 1
    assert "billing-frustrated.strong: missing" in capsys.readouterr().out

    assert cli.main(["examples", "render"]) == 0
    index = json.loads((out / "index.json").read_text())
    assert sorted(index["examples"]) == ["billing-frustrated.strong", "billing-frustrated.weak"]
    assert (out / "README.md").read_text().count("| billing-frustrated |") == 2
    assert cli.main(["examples", "check"]) == 0
    capsys.readouterr()

    # a trainer edits the weak call: only it goes stale, and --changed renders only it
    yaml = root / "billing-frustrated.yaml"
    yaml.write_text(yaml.read_text().replace("      - va: Okay, bye.", "      - va: Okay. Bye."))
    sc_mod._load_by_id.cache_clear()
    assert cli.main(["examples", "check"]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("billing-frustrated.weak: stale")
    strong_audio = (out / "billing-frustrated.strong.flac").read_bytes()
    calls = synth.get("piper").calls
    assert cli.main(["examples", "render", "--changed"]) == 0
    from simulator.speech.tts import split_sentences

    weak = ex.selected_examples(sc_mod.load("billing-frustrated"))[1]
    weak_sentences = sum(len(split_sentences(t.text)) for t in weak.turns)
    assert synth.get("piper").calls - calls == weak_sentences  # the weak call's sentences, none of the strong's
    assert (out / "billing-frustrated.strong.flac").read_bytes() == strong_audio
    assert cli.main(["examples", "check"]) == 0
    assert cli.main(["examples", "render", "--changed"]) == 0  # nothing to do
    assert synth.get("piper").calls - calls == weak_sentences


def test_cli_render_changed_removes_orphans(library, capsys):
    root, out, _ = library
    assert cli.main(["examples", "render"]) == 0
    text = (root / "billing-frustrated.yaml").read_text()
    (root / "billing-frustrated.yaml").unlink()
    shutil.copy(REPO / "scenarios" / "general-inquiry.yaml", root)
    assert cli.main(["examples", "render", "--changed"]) == 0
    keys = sorted(json.loads((out / "index.json").read_text())["examples"])
    assert keys == ["general-inquiry.strong", "general-inquiry.weak"]
    assert not (out / "billing-frustrated.strong.flac").exists()
    assert text  # (kept for clarity of what was removed)


def test_cli_render_reports_a_failing_engine_and_keeps_the_rest(library, monkeypatch, capsys, request):
    root, _out, synth = library

    class Broken:
        sample_rate = 16000
        calls = 0

        def synthesize(self, text, voice):
            raise ValueError("SetVoiceByName failed: EE_INTERNAL_ERROR")

    bad = ex.EngineRouter({"piper": synth.get("piper"), "pyttsx3": Broken()})
    stack = contextlib.ExitStack()
    stack.enter_context(factory.override(example_synthesizer=lambda: bad))
    request.addfinalizer(stack.close)
    yaml = root / "billing-frustrated.yaml"
    yaml.write_text(
        yaml.read_text().replace(
            "engine: piper, voice: joe, rate: 1.15", "engine: pyttsx3, voice: en-us+f3, rate: 1.15"
        )
    )
    sc_mod._load_by_id.cache_clear()
    assert cli.main(["examples", "render"]) == 1
    cap = capsys.readouterr()
    lines = cap.out.strip().splitlines()
    assert lines == [
        "billing-frustrated.strong: failed: SetVoiceByName failed: EE_INTERNAL_ERROR",
        "billing-frustrated.weak: failed: SetVoiceByName failed: EE_INTERNAL_ERROR",
    ]
    assert "Traceback" not in cap.err
    assert cli.main(["examples", "check"]) == 1


def test_cli_list_json(library, capsys):
    assert cli.main(["examples", "render", "billing-frustrated"]) == 0
    capsys.readouterr()
    assert cli.main(["examples", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["examples"]
    assert {r["key"]: r["state"] for r in rows} == {"billing-frustrated.strong": "ok", "billing-frustrated.weak": "ok"}
    assert all(r["duration_s"] > 5 and r["about"] for r in rows)


def test_cli_unknown_scenario_is_one_line(library, capsys):
    assert cli.main(["examples", "render", "no-such-thing"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no-such-thing" in err[0]


def test_listen_text_annotates_turns(library, monkeypatch, capsys, request):
    assert cli.main(["examples", "render"]) == 0
    stack = contextlib.ExitStack()
    stack.enter_context(factory.override(detector=lambda **k: FakeDetector()))
    request.addfinalizer(stack.close)
    capsys.readouterr()
    assert cli.main(["listen", "billing-frustrated", "--weak", "--text"]) == 0
    out = capsys.readouterr().out
    assert "VA: Billing." in out
    assert "✗ disclose before verify" in out and "✗ argue" in out
    assert "FAIL" in out
    assert cli.main(["listen", "billing-frustrated", "--text"]) == 0
    out = capsys.readouterr().out
    assert "✓ empathy" in out and "PASS" in out


def test_listen_without_sound_device_suggests_text(library, monkeypatch, capsys, request):
    from simulator.errors import UserError

    assert cli.main(["examples", "render"]) == 0

    def no_device():
        raise UserError("no audio output device found; use --text mode")

    stack = contextlib.ExitStack()
    stack.enter_context(factory.override(audio_sink=lambda *a, **k: no_device()))
    request.addfinalizer(stack.close)
    capsys.readouterr()
    assert cli.main(["listen", "billing-frustrated"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--text" in err[0] and "sound device" in err[0]


def test_listen_plays_on_a_sink(library, monkeypatch, capsys, request):
    from simulator.speech.audio import MemorySink

    assert cli.main(["examples", "render"]) == 0
    sink = MemorySink()
    stack = contextlib.ExitStack()
    stack.enter_context(factory.override(audio_sink=lambda *a, **k: sink, detector=lambda **k: FakeDetector()))
    request.addfinalizer(stack.close)
    assert cli.main(["listen", "billing-frustrated", "--weak"]) == 0
    assert "Okay, bye." in capsys.readouterr().out


def test_listen_not_rendered_is_one_line(library, capsys):
    assert cli.main(["listen", "billing-frustrated", "--text"]) == 2
    err = capsys.readouterr().err
    assert "vasim examples render billing-frustrated" in err


# ---------------------------------------------------------------------------------------------
# the committed library


def committed_index() -> dict:
    path = COMMITTED / "index.json"
    return json.loads(path.read_text())["examples"] if path.is_file() else {}


def test_committed_examples_are_current(capsys, monkeypatch):
    monkeypatch.delenv("VASIM_AUDIO_EXAMPLES", raising=False)
    monkeypatch.delenv("VASIM_SCENARIOS", raising=False)
    assert cli.main(["examples", "check"]) == 0, capsys.readouterr().out
    index = committed_index()
    assert {e["scenario"] for e in index.values()} >= set(sc_mod.LIBRARY_IDS)
    assert len([e for e in index.values() if e["scenario"] in sc_mod.LIBRARY_IDS]) == 2 * len(sc_mod.LIBRARY_IDS) == 30
    total = sum(f.stat().st_size for f in COMMITTED.iterdir() if f.is_file())
    assert total < 20 * 1024 * 1024
    for e in index.values():
        if e["kind"] == "strong" and sc_mod.load(e["scenario"]).mode == "call":  # a voicemail is short
            assert 60 <= e["duration_s"] <= 200, (e["key"], e["duration_s"])  # aim 1-2 min; some scripts run to 3
    readme = (COMMITTED / "README.md").read_text()
    assert all(e["about"].split(".")[0][:40] in readme for e in index.values())


# ---------------------------------------------------------------------------------------------
# the round trip: committed audio -> real ASR -> real scorer -> the example's expected outcome


@pytest.fixture(scope="session")
def recognizer():
    from simulator.speech import factory

    return factory.make_recognizer("faster-whisper", "tiny.en")


@pytest.fixture(scope="session")
def detector():
    from simulator.speech import factory

    return factory.make_detector()


ROUND_TRIP: dict[str, tuple[float, float, float]] = {}  # key -> (VA, caller, all) WER


@pytest.fixture(scope="module")
def round_trip_report(request):
    """Per-example WER of the round trip, printed in the run's summary (see conftest.py)."""
    yield
    if ROUND_TRIP:
        figures = getattr(request.config, "vasim_figures", {})
        lines = [f"{'example':<36} {'VA':>6} {'caller':>7} {'all':>6}"]
        lines += [
            f"{key:<36} {va:6.1%} {caller:7.1%} {both:6.1%}" for key, (va, caller, both) in sorted(ROUND_TRIP.items())
        ]
        n = len(ROUND_TRIP)
        means = [sum(v[i] for v in ROUND_TRIP.values()) / n for i in range(3)]
        lines.append(f"{'mean':<36} {means[0]:6.1%} {means[1]:7.1%} {means[2]:6.1%}")
        figures["audio examples round trip: WER of Whisper tiny.en against the written turns"] = lines
        if n == len(_round_trip_params()):  # the whole set ran: the mean holds it to what one example may not
            assert means[0] < 0.08, f"mean VA WER of the round trip {means[0]:.1%} (was 5.5% on 2026-12-04)"


def transcribe_turns(recognizer, scenario, data: dict, audio_path: Path) -> list[str]:
    """Each turn's audio through Whisper, with the scenario's names as hotwords.

    A turn is cut at its transcript times and trimmed to its speech with 50 ms before and
    100 ms after, as the practice endpointer hands an utterance over; on a longer tail of
    silence Whisper tiny.en tends to add words ("Thank you.") or loop.
    """
    import soundfile as sf

    from simulator.speech.tts import resample

    audio, rate = sf.read(str(audio_path), dtype="float32")
    audio16 = resample(audio, rate, 16000)
    texts = []
    for t in data["turns"]:
        speech = ex.trim_silence(audio16[int(t["start"] * 16000) : int(t["end"] * 16000)], 16000, 0.02)
        clip = np.concatenate([np.zeros(800, np.float32), speech, np.zeros(1600, np.float32)])
        texts.append(recognizer.transcribe(clip, hotwords=scenario.asr_hotwords()).text)
    return texts


def _round_trip_params():
    return sorted(committed_index()) or ["(none rendered)"]


@pytest.mark.real
@pytest.mark.parametrize("key", _round_trip_params())
def test_round_trip(key, recognizer, detector, round_trip_report):
    from simulator.authoring.catalog import load_catalog
    from simulator.scoring import transcript as tr_mod
    from simulator.scoring.score import score_call
    from simulator.speech.asr import word_errors

    index = committed_index()
    assert key in index, "no committed examples: run `vasim examples render`"
    entry = index[key]
    scenario = sc_mod.load(entry["scenario"])
    example = {e.kind: e for e in ex.selected_examples(scenario)}[entry["kind"]]
    data = json.loads((COMMITTED / entry["transcript"]).read_text())
    heard = transcribe_turns(recognizer, scenario, data, COMMITTED / entry["audio"])

    counts = {"trainee": [0, 0], "patient": [0, 0]}
    for t, h in zip(data["turns"], heard):
        e, n = word_errors(t["text"], h)
        counts[t["speaker"]][0] += e
        counts[t["speaker"]][1] += n
    va_wer = counts["trainee"][0] / max(counts["trainee"][1], 1)
    caller_wer = counts["patient"][0] / max(counts["patient"][1], 1)
    all_wer = (counts["trainee"][0] + counts["patient"][0]) / max(counts["trainee"][1] + counts["patient"][1], 1)
    ROUND_TRIP[key] = (va_wer, caller_wer, all_wer)

    catalog = load_catalog()
    turns = [
        {"speaker": t["speaker"], "text": h, "start": t["start"], "end": t["end"]} for t, h in zip(data["turns"], heard)
    ]
    card = score_call(scenario, tr_mod.from_turns(scenario, turns), detector, catalog)
    fired = {b.id for b in card.blockers}
    written = score_call(scenario, tr_mod.from_example(scenario, example), detector, catalog)
    written_ok = written.passed == example.expect.passed and set(example.expect.blockers) <= {
        b.id for b in written.blockers
    }
    why = (
        ""
        if written_ok
        else f" (the written turns miss it too: passed={written.passed}, blockers={sorted(b.id for b in written.blockers)};"
        " the scenario's example or the detector needs fixing, not the speech path)"
    )
    said = "\n".join(f"  {t['speaker']}: {t['text']}" for t in turns)
    assert card.passed == example.expect.passed, f"{key}: passed={card.passed}, blockers={sorted(fired)}{why}\n{said}"
    missing = set(example.expect.blockers) - fired
    assert not missing, f"{key}: expected blockers {sorted(missing)} did not fire (got {sorted(fired)}){why}\n{said}"
    if example.expect.escalation_correct is not None:
        assert card.escalation.correct == example.expect.escalation_correct, f"{key}: escalation {card.escalation}{why}"
    # a quarter of the VA's words: what the verdict above must survive. tiny.en reads the weak
    # referral call's jargon ('the ortho referral's pending PA with the payer' -> 'the Oracle
    # referrals pinning PA with a pair') as 8 wrong words of 38 (21.1%), deterministically, on
    # the old decoding and the new alike; the mean over all examples is 5.5% (conftest figures)
    errors, words = counts["trainee"]
    assert errors <= 0.25 * words, f"{key}: VA WER {va_wer:.1%} ({errors} of {words} words)\n{said}"
