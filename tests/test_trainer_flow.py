"""The README's trainer flow: `vasim scenario new ID` writes into the library, and the
library's own checks keep passing while the new scenario is work in progress."""

from __future__ import annotations

import json
import shutil

import pytest

from simulator.authoring import scenario as sc_mod
from simulator.cli import main


@pytest.fixture
def library(tmp_path, monkeypatch, repo):
    """A private copy of the whole scenario library; the committed audio_examples/ is only read."""
    root = tmp_path / "scenarios"
    shutil.copytree(repo / "scenarios", root)
    monkeypatch.setenv("VASIM_SCENARIOS", str(root))
    monkeypatch.delenv("VASIM_AUDIO_EXAMPLES", raising=False)
    sc_mod._load_by_id.cache_clear()
    yield root
    sc_mod._load_by_id.cache_clear()


def test_new_writes_into_the_library_and_says_what_next(library, capsys):
    assert main(["scenario", "new", "copay-question"]) == 0
    out = capsys.readouterr().out
    path = library / "copay-question.yaml"
    assert path.is_file()
    assert out.splitlines()[0].startswith(f"wrote {path}")
    assert "vasim scenario validate" in out and "vasim examples render copay-question" in out
    assert main(["scenario", "validate"]) == 0
    assert capsys.readouterr().out.strip() == "16 scenarios valid"
    assert main(["scenario", "list", "--json"]) == 0
    ids = {r["id"] for r in json.loads(capsys.readouterr().out)}
    assert ids == sc_mod.LIBRARY_IDS | {"copay-question"}


def test_examples_check_notes_a_new_scenario_without_failing(library, capsys):
    assert main(["scenario", "new", "copay-question"]) == 0
    capsys.readouterr()
    assert main(["examples", "check"]) == 0
    cap = capsys.readouterr()
    assert (
        "note: copay-question has no rendered examples yet; `vasim examples render copay-question` makes them"
        in cap.err
    )
    assert "copay-question" not in cap.out


def test_examples_check_still_fails_for_a_missing_library_example(library, tmp_path, monkeypatch, capsys):
    """The tolerance is only for a trainer's new ids: an unrendered library scenario still fails."""
    monkeypatch.setenv("VASIM_AUDIO_EXAMPLES", str(tmp_path / "empty"))
    assert main(["scenario", "new", "copay-question"]) == 0
    capsys.readouterr()
    assert main(["examples", "check"]) == 1
    cap = capsys.readouterr()
    assert "billing-frustrated.strong: missing" in cap.out and "copay-question" not in cap.out
    assert "note: copay-question" in cap.err


def test_new_outside_the_library_does_not_mention_rendering(tmp_path, capsys):
    out = tmp_path / "draft.yaml"
    assert main(["scenario", "new", "draft", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"vasim scenario test {out}" in text and "examples render" not in text
