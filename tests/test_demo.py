"""`vasim demo --scenario ID` works for every scenario: a committed script where there is
one, else the VA turns of the scenario's strong example call. Fakes only (no models)."""

from __future__ import annotations

import json
import types

import pytest

from simulator.authoring import scenario as sc_mod
from simulator.call import practice, setup
from simulator.call import trainee as trainee_mod
from simulator.cli import main
from simulator.testing import FakeDetector

IDS = sorted(sc_mod.LIBRARY_IDS)
WITH_SCRIPT = {"billing-frustrated", "suicidal-ideation", "symptoms-same-day"}


def strong_va_lines(sc) -> list[str]:
    ex = next(e for e in sc.examples if e.kind == "strong")
    return [t.text for t in ex.turns if t.speaker == "trainee"]


@pytest.mark.parametrize("sid", IDS)
def test_script_resolves_for_every_library_id(sid):
    sc = sc_mod.load(sid)
    turns, source = setup.demo_script(sc)
    assert turns and all(t.text.strip() for t in turns)
    if sid in WITH_SCRIPT:
        assert source == str(setup.default_script(sid))
        assert [t.text for t in turns] == [t.text for t in trainee_mod.load_trainee_script(source)]
    else:
        assert "strong example call" in source
        assert [t.text for t in turns] == strong_va_lines(sc)


@pytest.mark.parametrize("sid", IDS)
def test_resolved_script_drives_a_whole_call(sid):
    """The resolved lines are said in order by the trainee of a real (text, fake-detector) call."""
    sc = sc_mod.load(sid)
    turns, _ = setup.demo_script(sc)
    result = practice.run_text_call(sc, trainee_mod.ScriptedText(turns), FakeDetector())
    said = [t.text for t in result.turns if t.speaker == "trainee" and t.text.strip()]
    assert said == [t.text for t in turns][: len(said)] and said
    assert result.scorecard is not None


@pytest.fixture
def fake_voice_call(monkeypatch):
    """Replace the model-loading voice call with a recorder; returns what demo passed it."""
    seen: dict = {}

    def build(scenario, *, options, script=None, **kw):
        seen.update(scenario=scenario.id, script=[t.text for t in script], virtual=kw.get("virtual"))
        return types.SimpleNamespace(run=lambda: result)

    result = types.SimpleNamespace(
        to_json=lambda: {"scenario": seen["scenario"], "turns": len(seen["script"])},
        scorecard_obj=None,
        scorecard=None,
        latency={"voice_to_voice_ms": {"p50": None}},
        latencies=[],
        end_reason="trainee_hangup",
        turns=[],
        interruptions=0,
        session_id="s1",
        recording="rec",
    )
    monkeypatch.setattr("simulator.call.setup.build_voice_call", build)  # the library's builder, not the CLI
    return seen


@pytest.mark.parametrize("sid", IDS)
def test_demo_cli_runs_for_every_library_id(sid, fake_voice_call, capsys):
    assert main(["demo", "--scenario", sid, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["scenario"] == sid and out["turns"] == len(fake_voice_call["script"]) > 0
    assert fake_voice_call["virtual"] is True


def test_demo_cli_takes_a_trainers_scenario_by_path(tmp_path, fake_voice_call, capsys):
    path = tmp_path / "copay-question.yaml"
    assert main(["scenario", "new", "copay-question", "-o", str(path)]) == 0
    capsys.readouterr()
    assert main(["demo", "--scenario", str(path)]) == 0
    out = capsys.readouterr().out
    assert "strong example call 'strong'" in out.replace("\n", " ")
    assert fake_voice_call["script"] == strong_va_lines(sc_mod.load(str(path)))


def test_demo_cli_explicit_script_missing(tmp_path, fake_voice_call, capsys):
    assert main(["demo", "--script", str(tmp_path / "nope.txt")]) == 2
    assert "no such trainee script" in capsys.readouterr().err
