"""`vasim score`: the JSON contract, the rich scorecard, and bad input as one line with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from simulator import cli
from simulator.authoring.catalog import DIMENSIONS
from simulator.testing import FakeDetector

STRONG = """VA: Thank you for calling Riverside Family Practice, this is Sam. May I have your full name and date of birth?
PATIENT: Denise Carter, April twelfth, nineteen sixty-eight.
VA: I'm sorry about the surprise, Ms. Carter. So you were expecting the visit to be covered. Let me look into it.
PATIENT: Thanks.
VA: Is there anything else? Thank you for calling, have a good day.
"""


@pytest.fixture
def fake():
    from simulator.speech import factory

    det = FakeDetector()
    with factory.override(detector=lambda embeddings=True, catalog=None: det):
        yield det


def vasim(*args, stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args], input=stdin, capture_output=True, text=True, timeout=60
    )


def test_json_contract(fake, tmp_path, capsys):
    p = tmp_path / "call.txt"
    p.write_text(STRONG)
    assert cli.main(["score", "--json", "billing-frustrated", str(p)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    data = json.loads(out)
    assert data["scenario"] == "billing-frustrated" and data["passed"] is True
    assert isinstance(data["blockers"], list)
    assert list(data["dimensions"]) == list(DIMENSIONS)
    for d in data["dimensions"].values():
        assert type(d["score"]) is int and 1 <= d["score"] <= 5
        for e in d["evidence"]:
            assert isinstance(e["turn"], int) and isinstance(e["quote"], str) and "time" in e
        assert all(isinstance(m, str) for m in d["missed"])
    for b in data["behaviors"]:
        assert isinstance(b["id"], str) and isinstance(b["turn"], int) and isinstance(b["quote"], str)
        assert 0.0 <= b["confidence"] <= 1.0
    assert data["escalation"] == {**data["escalation"], "expected": "none", "correct": True}
    assert isinstance(data["escalation"]["observed"], list)
    assert set(data["timing"]) >= {"response_latency_s", "talk_ratio"}
    assert isinstance(data["feedback"], list)


def test_stdin_json_transcript(fake, monkeypatch, capsys):
    import io

    doc = {
        "scenario": "billing-frustrated",
        "turns": [
            {"speaker": "trainee", "text": "Billing.", "start": 0, "end": 1},
            {"speaker": "patient", "text": "Hi, my bill?", "start": 1.5, "end": 3},
            {"speaker": "trainee", "text": "The balance is $185.", "start": 4, "end": 6},
        ],
    }
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(doc).encode())))
    assert cli.main(["score", "--json", "billing-frustrated", "-"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is False
    assert data["blockers"][0] == {**data["blockers"][0], "id": "disclose_before_verify", "turn": 2}
    assert data["timing"]["response_latency_s"] == {"median": 1.0, "max": 1.0}


def test_rich_scorecard(fake, tmp_path, capsys):
    p = tmp_path / "weak.txt"
    p.write_text("VA: Billing.\nPATIENT: My bill?\nVA: The balance is a hundred and eighty-five. Calm down.\n")
    assert cli.main(["score", "billing-frustrated", str(p)]) == 0
    out = capsys.readouterr().out
    assert "FAIL" in out and "Blockers" in out and "disclose_before_verify" in out
    for dim in DIMENSIONS:
        assert dim.capitalize() in out
    assert out.index("Blockers") < out.index("What to work on")
    # billing-frustrated needs no escalation: said plainly, not "expected none"
    assert "no escalation needed; you did" in out and "expected none" not in out


@pytest.mark.parametrize(
    "content, needle",
    [
        ('{"turns": [\n', "bad.txt:2:1: invalid JSON"),
        ("VA: hi\nNURSE: hello\n", "bad.txt:2: unknown speaker 'NURSE'"),
        ("", "bad.txt: empty transcript"),
        (
            '{"scenario": "refill-request", "turns": [{"speaker": "va", "text": "hi"}]}',
            "is for scenario 'refill-request'",
        ),
    ],
)
def test_malformed_transcript_exit_2_one_line(tmp_path, content, needle):
    p = tmp_path / "bad.txt"
    p.write_text(content)
    r = vasim("score", "--json", "billing-frustrated", str(p))
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr


def test_huge_transcript_exit_2(tmp_path):
    p = tmp_path / "huge.json"
    with open(p, "w") as f:
        f.write('{"turns": [' + ",".join(['{"speaker": "va", "text": "' + "x" * 1000 + '"}'] * 10_500) + "]}")
    r = vasim("score", "--json", "billing-frustrated", str(p))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "5 MB" in r.stderr


def test_unknown_scenario_exit_2(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("VA: hi\n")
    r = vasim("score", "--json", "billing-frustratd", str(p))
    assert r.returncode == 2 and "no such scenario" in r.stderr and "billing-frustrated" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_missing_file_and_stdin_errors():
    r = vasim("score", "--json", "billing-frustrated", "/nonexistent/call.json")
    assert r.returncode == 2 and "no such transcript file" in r.stderr
    r = vasim("score", "--json", "billing-frustrated", "-", stdin="")
    assert r.returncode == 2 and "<stdin>: empty transcript" in r.stderr
