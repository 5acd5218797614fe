"""The public API: `simulator.__all__` and every example of docs/api.md, run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```python (run|real)\n(.*?)```", re.S)


def blocks(kind: str) -> list[str]:
    return [code for k, code in BLOCK.findall((REPO / "docs" / "api.md").read_text()) if k == kind]


def test_the_api_is_listed_and_cheap_to_import():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, simulator; print(simulator.__all__); "
            "print(sorted(m for m in sys.modules if m.startswith('simulator.')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    names = eval(out[0])
    assert {
        "load_scenario",
        "text_call",
        "build_voice_call",
        "score_transcript",
        "take_assessment",
        "build_report",
    } <= set(names)
    assert eval(out[1]) == []
    import simulator

    for name in names:
        assert getattr(simulator, name) is not None, name


def test_docs_have_examples():
    assert len(blocks("run")) >= 3 and len(blocks("real")) >= 1


@pytest.mark.real  # the real detector (MiniLM) scores the calls
@pytest.mark.parametrize("i", range(len(blocks("run"))))
def test_docs_api_example_runs(i, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    exec(compile(blocks("run")[i], f"docs/api.md example {i + 1}", "exec"), {})
    assert capsys.readouterr().out.strip()  # every example prints what it shows


@pytest.mark.real
@pytest.mark.parametrize("i", range(len(blocks("real"))))
def test_docs_api_real_example_runs(i, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    exec(compile(blocks("real")[i], f"docs/api.md real example {i + 1}", "exec"), {})
    assert capsys.readouterr().out.strip()
