"""Assessments: the file format, the plan, pass rules, resume, hidden scores, and whole runs
through the practice loop (text, and voice through the virtual devices with fakes)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from simulator.authoring import scenario as sc_mod
from simulator.authoring.catalog import DIMENSIONS
from simulator.call import assessment as asm
from simulator.call import session
from simulator.call import trainee as trainee_mod
from simulator.call.latency import TurnLatency
from simulator.call.result import CallResult
from simulator.call.session import TurnRecord
from simulator.cli import main
from simulator.errors import ProblemsError, UserError
from simulator.records.store import open_store
from simulator.speech.audio import VirtualMicrophone, VirtualSpeaker
from simulator.testing import (
    EnergyVad,
    FakeDetector,
    FakeRecognizer,
    FakeSynthesizer,
    ManualClock,
    ToneSpeech,
    fake_scorecard,
)

LIBRARY = "onboarding-week1"
SIX = [
    "billing-frustrated",
    "symptoms-same-day",
    "suicidal-ideation",
    "appointment-scheduling",
    "records-request",
    "voicemail-reminder",
]


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "r.db")


def write(tmp_path: Path, text: str, name: str = "week.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# ------------------------------------------------------------------ the file


def test_library_assessment_is_valid_and_names_the_six_scenarios(capsys):
    a = asm.load(LIBRARY)
    assert [i.scenario for i in a.scenarios] == SIX
    assert a.pass_rules.escalation_accuracy == 0.95 and a.pass_rules.no_blockers
    assert main(["assess", LIBRARY, "--check"]) == 0
    assert "valid (6 calls)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "body,where,needle",
    [
        (
            "scenarios: [billing-frustated]",
            "week.yaml:3:",
            "scenarios[0]: no scenario 'billing-frustated' in the library; did you mean 'billing-frustrated'?",
        ),
        (
            "scenarios: [billing-frustrated]\npass: {min_per_dimension: {empathie: 3}}",
            "week.yaml:4:",
            "did you mean 'empathy'?",
        ),
        (
            "scenarios: [billing-frustrated]\npass: {escalation_accuracy: 150%}",
            "week.yaml:4:",
            "pass.escalation_accuracy",
        ),
        ("scenarios: [billing-frustrated, billing-frustrated]", "week.yaml:3:", "is already scenarios[0]"),
        ("scenarioz: [billing-frustrated]", "week.yaml:3:", "unknown key 'scenarioz'; did you mean 'scenarios'?"),
        ("scenarios: []", "week.yaml:3:", "scenarios"),
        ("scenarios: [billing-frustrated]\norder: random", "week.yaml:4:", "'random' is not allowed"),
    ],
)
def test_bad_assessment_files_are_located(tmp_path, capsys, body, where, needle):
    p = write(tmp_path, f"id: week\ntitle: Week\n{body}\n")
    with pytest.raises(ProblemsError):
        asm.load(str(p))
    assert main(["assess", str(p), "--check"]) == 2
    err = capsys.readouterr().err
    assert where in err and needle in err and "Traceback" not in err


def test_every_problem_of_an_assessment_in_one_run(tmp_path, capsys):
    """A type error elsewhere does not hide a misspelt or repeated scenario."""
    p = write(
        tmp_path,
        "id: week\ntitle: Week\nseed: lots\nscenarios: [billing-frustated, legal-threat, legal-threat]\n"
        "order: random\n",
    )
    assert main(["assess", str(p), "--check"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and [x.split(":")[1] for x in err] == ["3", "4", "4", "5"], err
    assert "seed" in err[0] and "did you mean 'billing-frustrated'?" in err[1]
    assert "is already scenarios[1]" in err[2] and "'random' is not allowed" in err[3]


def test_unknown_assessment_and_id_mismatch(tmp_path, capsys):
    assert main(["assess", "onboarding-week2", "--check"]) == 2
    assert "no such assessment; did you mean 'onboarding-week1'?" in capsys.readouterr().err
    p = write(tmp_path, "id: other\ntitle: T\nscenarios: [billing-frustrated]\n")
    assert main(["assess", str(p), "--check"]) == 2
    assert "does not match the file name" in capsys.readouterr().err


def test_plan_is_deterministic_and_shuffles_by_seed(tmp_path):
    a = asm.load(LIBRARY)
    p1, p2 = asm.plan(a), asm.plan(a)
    assert p1 == p2 and [c.scenario for c in p1] == SIX and len({c.seed for c in p1}) == 6
    shuffled = a.model_copy(update={"order": "shuffled"})
    order = [c.scenario for c in asm.plan(shuffled)]
    assert sorted(order) == sorted(SIX) and order == [c.scenario for c in asm.plan(shuffled)]
    # a call keeps its patient seed wherever the shuffle puts it
    assert {c.scenario: c.seed for c in asm.plan(shuffled)} == {c.scenario: c.seed for c in p1}
    other = shuffled.model_copy(update={"seed": a.seed + 1})
    assert [c.scenario for c in asm.plan(other)] != order or [c.seed for c in asm.plan(other)] != [c.seed for c in p1]
    pinned = asm.parse(
        asm.yamlio.loads("id: x\ntitle: X\nscenarios: [{scenario: billing-frustrated, seed: 7}]\n", "x.yaml")
    )
    assert asm.plan(pinned)[0].seed == 7


# ------------------------------------------------------------------ runs with a fake call runner


class FakeRunner:
    """Returns practice-shaped results with chosen scorecards; can stop at a call like Ctrl-C."""

    def __init__(self, cards: dict | None = None, stop_at: int | None = None):
        self.cards = cards or {}
        self.stop_at = stop_at
        self.requests: list[asm.CallRequest] = []

    def __call__(self, req):
        if req.position == self.stop_at:
            raise KeyboardInterrupt
        self.requests.append(req)
        sc = req.scenario
        card = self.cards.get(sc.id) or fake_scorecard(expected=sc.escalation, scenario=sc.id)
        return call_result(sc.id, card, [TurnRecord(0, "trainee", "Thank you for calling", 0.0, 1.0)])


def call_result(scenario: str, card, turns) -> CallResult:
    latency = TurnLatency(endpoint=700, asr=50, decide=5, tts_first_audio=90, voice_to_voice=500)
    return CallResult(uuid.uuid4().hex, scenario, list(turns), card, [latency], "", "trainee_close", ["ring"])


class RecordingView(asm.QuietView):
    def __init__(self):
        self.events = []

    def before_call(self, req):
        self.events.append(("call", req.position))

    def finished(self, a, outcome, show_scores):
        self.events.append(("finished", outcome.passed, show_scores))


def test_run_stores_every_call_and_passes(db):
    a = asm.load(LIBRARY)
    runner, view = FakeRunner(), RecordingView()
    with open_store(db) as store:
        res = asm.run(a, trainee="ana", cohort="spring", store=store, runner=runner, view=view)
        assert res.outcome.passed and not res.resumed and res.done == 6
        assert [r.seed for r in runner.requests] == [c.seed for c in asm.plan(a)]
        stored = store.sessions(run_id=res.run_id)
        assert [s.position for s in stored] == list(range(6)) and {s.source for s in stored} == {"assessment"}
        assert [s.scenario for s in stored] == SIX and {s.cohort for s in stored} == {"spring"}
        run = store.runs(trainee="ana")[0]
        assert run.status == "done" and run.result["passed"] is True
        assert store.verify().ok
    assert view.events[-1] == ("finished", True, True)


def test_pass_rules_fail_on_blockers_escalation_and_low_scores(db):
    a = asm.load(LIBRARY)
    cards = {
        "suicidal-ideation": fake_scorecard(
            expected="crisis_transfer", correct=False, passed=False, scenario="suicidal-ideation"
        ),
        "billing-frustrated": fake_scorecard(blockers=["medical_advice"], passed=False),
        "records-request": fake_scorecard((4, 1, 4, 4, 4), expected="route_records", scenario="records-request"),
    }
    with open_store(db) as store:
        res = asm.run(a, trainee="ben", cohort=None, store=store, runner=FakeRunner(cards))
    checks = {c.rule: c for c in res.outcome.checks}
    assert not res.outcome.passed
    assert not checks["no_blockers"].passed and "billing-frustrated: medical_advice" in checks["no_blockers"].detail
    assert not checks["escalation_accuracy"].passed and "suicidal-ideation" in checks["escalation_accuracy"].detail
    assert res.outcome.escalation_accuracy == pytest.approx(5 / 6)
    assert not checks["min_any_call"].passed and "records-request empathy 1" in checks["min_any_call"].detail
    assert checks["min_per_dimension.greeting"].passed


def test_interrupted_assessment_resumes_where_it_stopped(db):
    a = asm.load(LIBRARY)
    with open_store(db) as store:
        first = FakeRunner(stop_at=2)
        with pytest.raises(asm.Interrupted, match="stopped at call 3 of 6; 2 finished call"):
            asm.run(a, trainee="cy", cohort="spring", store=store, runner=first)
        run = store.open_run(a.id, "cy")
        assert run is not None and [s.position for s in store.sessions(run_id=run.id)] == [0, 1]
        second, view = FakeRunner(), RecordingView()
        res = asm.run(a, trainee="cy", cohort="spring", store=store, runner=second, view=view)
        assert res.resumed and res.run_id == run.id
        assert [r.position for r in second.requests] == [2, 3, 4, 5]  # nothing taken twice
        assert [e for e in view.events if e[0] == "call"] == [("call", p) for p in (2, 3, 4, 5)]
        assert len(store.sessions(trainee="cy")) == 6 and store.open_run(a.id, "cy") is None


def test_changed_file_needs_restart(db, tmp_path):
    text = (Path(asm.assessments_dir()) / f"{LIBRARY}.yaml").read_text()
    p = write(tmp_path, text, f"{LIBRARY}.yaml")
    with open_store(db) as store:
        with pytest.raises(asm.Interrupted):
            asm.run(asm.load(str(p)), trainee="dee", cohort=None, store=store, runner=FakeRunner(stop_at=1))
        p.write_text(text.replace("min_any_call: 2", "min_any_call: 3"))
        changed = asm.load(str(p))
        with pytest.raises(UserError, match="changed since dee's unfinished attempt.*--restart"):
            asm.run(changed, trainee="dee", cohort=None, store=store, runner=FakeRunner())
        res = asm.run(changed, trainee="dee", cohort=None, store=store, runner=FakeRunner(), restart=True)
        assert not res.resumed and res.outcome is not None
        assert [r.status for r in store.runs(trainee="dee")] == ["abandoned", "done"]


def test_hidden_scores_are_not_shown(db):
    a = asm.load(LIBRARY)
    view = RecordingView()
    with open_store(db) as store:
        res = asm.run(a, trainee="eve", cohort=None, store=store, runner=FakeRunner(), view=view, hide_scores=True)
    assert res.hide_scores and view.events[-1][2] is False


def test_a_silent_call_is_never_stored_and_the_attempt_stays_open(db):
    a = asm.parse(asm.yamlio.loads("id: x\ntitle: X\nscenarios: [symptoms-same-day, billing-frustrated]\n", "x.yaml"))

    def silent(req):
        if req.position == 0:
            return FakeRunner()(req)
        return call_result(req.scenario.id, None, [])

    with open_store(db) as store:
        with pytest.raises(asm.NoAnswer, match="call 2 of 2 .billing-frustrated. ended with no answer") as exc:
            asm.run(a, trainee="fay", cohort=None, store=store, runner=silent)
        assert exc.value.exit_code == 2 and "\n" not in str(exc.value)
        run = store.open_run("x", "fay")
        assert run is not None and run.status == "running"
        assert [s.position for s in store.sessions(trainee="fay")] == [0]
        with pytest.raises(UserError):
            store.session("quiet")
        res = asm.run(a, trainee="fay", cohort=None, store=store, runner=FakeRunner())
        assert res.resumed and res.outcome is not None and len(store.sessions(trainee="fay")) == 2


def test_typed_answers_eof_before_an_answer_is_an_interruption():
    def feed(lines):
        it = iter(lines)

        def prompt(_):
            try:
                return next(it)
            except StopIteration:
                raise EOFError from None

        return prompt

    with pytest.raises(asm.InputClosed):
        asm.TypedAnswers(feed([])).reply(None)
    with pytest.raises(asm.InputClosed):  # blank lines are silence, not an answer
        t = asm.TypedAnswers(feed(["", "  "]))
        t.reply(None), t.reply(None), t.reply(None)
    t = asm.TypedAnswers(feed(["Riverside Family Practice, this is Sam."]))
    assert t.reply(None).startswith("Riverside") and t.reply("hi") is None  # EOF after an answer hangs up
    assert asm.TypedAnswers(feed(["/quit"])).reply(None) is None


def test_cli_assess_text_with_closed_stdin_stores_nothing_and_exits_2(db, capsys, monkeypatch, fake_parts):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    argv = ["assess", LIBRARY, "--trainee", "zed", "--text", "--db", db]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "input ended before call 1 of 6 was answered" in err[0] and "Traceback" not in err[0]
    with open_store(db) as store:
        assert store.sessions(trainee="zed") == [] and store.open_run(LIBRARY, "zed") is not None
    # the first answer typed, then input ends: call 1 is answered (hung up) and stored; call 2 interrupts
    monkeypatch.setattr("sys.stdin", io.StringIO("Riverside Family Practice, this is Sam speaking.\n"))
    assert main(argv) == 2
    assert "before call 2 of 6 was answered" in capsys.readouterr().err
    with open_store(db) as store:
        stored = store.sessions(trainee="zed")
        assert [s.position for s in stored] == [0] and store.open_run(LIBRARY, "zed") is not None


# ------------------------------------------------------------------ through the practice loop


def strong_script(scenario_id: str) -> list[str]:
    sc = sc_mod.load(scenario_id)
    ex = next(e for e in sc.examples if e.kind == "strong")
    return [t.text for t in ex.turns if t.speaker == "trainee"]


def test_assessment_through_the_text_practice_loop(db):
    a = asm.load(LIBRARY)
    scripts = {sid: strong_script(sid) for sid in SIX}
    runner = asm.TextRunner(FakeDetector(), lambda req: trainee_mod.ScriptedText(scripts[req.scenario.id]))
    with open_store(db) as store:
        res = asm.run(a, trainee="gus", cohort="spring", store=store, runner=runner)
        stored = store.sessions(run_id=res.run_id, with_turns=True)
    plan = asm.plan(a)
    assert [s.scenario for s in stored] == SIX
    for s, c in zip(stored, plan):
        assert s.turns[0]["speaker"] in ("trainee", "patient") and any(t["speaker"] == "trainee" for t in s.turns)
        assert set(s.auto_scores) == set(DIMENSIONS)
        journal = session.load(s.session_id)
        assert journal.start["seed"] == c.seed  # the seeded patient of the plan
        assert Path(s.recording).is_dir()


def test_assessment_through_virtual_devices(db):
    """Voice calls: virtual microphone and speaker on a manual clock, tones for the trainee's words."""
    a = asm.parse(
        asm.yamlio.loads(
            "id: x\ntitle: X\nscenarios: [billing-frustrated, symptoms-same-day]\npass: {escalation_accuracy: 0.5}\n",
            "x.yaml",
        )
    )
    scripts = {
        sid: trainee_mod.parse_trainee_script("\n".join(strong_script(sid)))
        for sid in ("billing-frustrated", "symptoms-same-day")
    }
    speech = ToneSpeech([t.text for turns in scripts.values() for t in turns])
    mics = []

    def devices(req):
        clock = ManualClock()
        mic = VirtualMicrophone(clock=clock, stop_when_idle_s=None, gap_s=0.0)
        mics.append(mic)
        turns = scripts[req.scenario.id]
        trainee = trainee_mod.ScriptedVoice(mic, [speech.clip(t.text) for t in turns], turns, think_s=0.4, ring_s=0.5)
        return mic, VirtualSpeaker(clock), clock, trainee

    runner = asm.VoiceRunner(
        recognizer=FakeRecognizer(speech.recognize),
        vad_factory=EnergyVad,
        detector=FakeDetector(),
        synthesizer_for=lambda engine: FakeSynthesizer(sample_rate=22050),
        devices=devices,
    )
    with open_store(db) as store:
        res = asm.run(a, trainee="hal", cohort="spring", store=store, runner=runner)
        stored = store.sessions(run_id=res.run_id, with_turns=True)
    assert len(mics) == 2 and [s.scenario for s in stored] == ["billing-frustrated", "symptoms-same-day"]
    billing = stored[0]
    said = [t["text"] for t in billing.turns if t["speaker"] == "trainee" and t["text"]]
    assert said[:2] == strong_script("billing-frustrated")[:2]  # heard back through the virtual mic
    assert billing.voice_to_voice_p50_ms is not None
    assert billing.auto_scores["greeting"] >= 4
    flacs = list(Path(billing.recording).glob("*.flac"))
    assert flacs  # both sides recorded


def test_cli_assess_text_scripts_json_and_resume(tmp_path, db, capsys, monkeypatch, fake_parts):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for sid in SIX:
        (scripts / f"{sid}.txt").write_text("\n".join(strong_script(sid)) + "\n")
    argv = [
        "assess",
        LIBRARY,
        "--trainee",
        "ivy",
        "--cohort",
        "spring",
        "--text",
        "--trainee-script",
        str(scripts),
        "--db",
        db,
    ]
    assert main(argv + ["--json", "--hide-scores"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["calls"] == 6 and out["scores_hidden"] is True and "result" not in out
    assert main(argv) == 0  # a new attempt shows the scores at the end
    text = capsys.readouterr().out
    assert "Call 6 of 6" in text and ("PASSED" in text or "NOT PASSED" in text)
    assert "Thank you for calling" in text  # the conversation, but no per-turn hints
    with open_store(db) as store:
        assert len(store.runs(trainee="ivy")) == 2 and len(store.sessions(trainee="ivy")) == 12
    (scripts / "voicemail-reminder.txt").unlink()
    assert main(argv) == 2
    assert "missing trainee script for scenario 'voicemail-reminder'" in capsys.readouterr().err
    assert main(["assess", LIBRARY, "--text", "--db", db]) == 2
    assert "--trainee" in capsys.readouterr().err


def test_voice_runner_wires_virtual_devices_through_the_factory(db):
    """``setup.voice_runner(virtual=True)``: the one wiring `vasim assess --virtual-audio` uses -
    models from the factory, the scripted trainee voice into the virtual microphone, all on one
    clock - with fakes for every part (a manual clock, tones for words)."""
    from simulator.call import setup
    from simulator.speech import factory
    from simulator.testing import fake_parts

    lines = {
        "billing-frustrated": [
            "Thank you for calling Riverside Family Practice, this is Sam.",
            "I'm sorry about the bill, may I have your date of birth?",
            "Thank you for calling, have a good day.",
        ]
    }
    speech = ToneSpeech([t for ls in lines.values() for t in ls])

    class ToneVoice(FakeSynthesizer):  # says each line as its own tone, so the recognizer hears it back
        def synthesize(self, text, voice):
            return speech.clip(text)

    a = asm.parse(asm.yamlio.loads("id: v\ntitle: V\nscenarios: [billing-frustrated]\n", "v.yaml"))
    scripts = {sid: trainee_mod.parse_trainee_script("\n".join(ls)) for sid, ls in lines.items()}
    clock = ManualClock()
    with fake_parts(
        recognizer=lambda *a, **k: FakeRecognizer(speech.recognize),
        synthesizer=lambda *a, **k: FakeSynthesizer(sample_rate=16000),
        trainee_synthesizer=lambda *a, **k: ToneVoice(sample_rate=16000),
        vad=lambda *a, **k: type("T", (), {"vad": EnergyVad()})(),
        clock=lambda: clock,
    ):
        runner = setup.voice_runner(virtual=True, scripts=scripts)
        assert factory.make_clock() is clock
        with open_store(db) as store:
            res = asm.run(a, trainee="vic", cohort="c", store=store, runner=runner)
            (stored,) = store.sessions(run_id=res.run_id, with_turns=True)
    said = [t["text"] for t in stored.turns if t["speaker"] == "trainee" and t["text"]]
    assert said[:2] == lines["billing-frustrated"][:2]  # the scripted voice crossed the virtual microphone
    assert stored.voice_to_voice_p50_ms is not None
