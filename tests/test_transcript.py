"""Transcript parsing: both formats, context from the scenario, and one clear line for bad input."""

from __future__ import annotations

import io
import json

import pytest

from simulator.authoring import scenario as sc_mod
from simulator.errors import UserError
from simulator.scoring import transcript as tr


@pytest.fixture(scope="module")
def billing():
    return sc_mod.load("billing-frustrated")


def test_json_turns_with_times(billing):
    text = json.dumps(
        {
            "scenario": "billing-frustrated",
            "turns": [
                {"speaker": "trainee", "text": "Thank you for calling.", "start": 0.0, "end": 1.5},
                {"speaker": "patient", "text": "Hi.", "start": 2.0, "end": 2.4},
            ],
        }
    )
    t = tr.for_scenario(tr.parse(text), billing)
    assert [x.speaker for x in t.turns] == ["trainee", "patient"]
    assert t.turns[0].end == 1.5 and t.timed
    assert t.practice == "Riverside Family Practice" and t.patient == "Denise Carter" and t.mode == "call"


def test_json_overrides_context_and_ignores_unknown_keys(billing):
    text = json.dumps(
        {
            "practice": "Lakeside Clinic",
            "patient": "Ann Lee",
            "mode": "voicemail",
            "recorded_by": "x",
            "turns": [{"speaker": "va", "text": "Hello"}, {"speaker": "caller", "text": "Hi"}],
        }
    )
    t = tr.for_scenario(tr.parse(text), billing)
    assert (t.practice, t.patient, t.mode) == ("Lakeside Clinic", "Ann Lee", "voicemail")
    assert [x.speaker for x in t.turns] == ["trainee", "patient"]
    assert not t.timed


def test_plain_text_all_prefixes(billing):
    text = "# a comment\nVA: Riverside, this is Sam.\n\nCALLER: Hi there\nTRAINEE: How can I help?\npatient: My bill.\n"
    t = tr.for_scenario(tr.parse(text), billing)
    assert [x.speaker for x in t.turns] == ["trainee", "patient", "trainee", "patient"]
    assert t.turns[0].text == "Riverside, this is Sam."


def test_from_example_uses_scenario_context(billing):
    ex = billing.examples[0]
    t = tr.from_example(billing, ex)
    assert t.scenario == "billing-frustrated" and len(t.turns) == len(ex.turns)
    assert t.patient == billing.patient.name


@pytest.mark.parametrize(
    "text, needle",
    [
        ('{"turns": [', "<t>:1:12: invalid JSON"),
        (
            '{"turns": [\n {"speaker": "va", "text": "hi"},\n {"speaker": "nurse", "text": "x"}\n]}',
            "<t>:3: turns[1].speaker: unknown speaker 'nurse'",
        ),
        ("VA: hello\nDOCTOR: hi", "<t>:2: unknown speaker 'DOCTOR'"),
        ("hello there", "<t>:1: no speaker"),
        ("", "<t>: empty transcript"),
        ("   \n\n", "<t>: empty transcript"),
        ('{"turns": []}', "turns: empty"),
        ('{"text": "x"}', 'missing "turns"'),
        ('{"turns": [{"speaker": "va", "text": "hi", "start": -1}]}', "turns[0].start"),
        ('{"turns": [{"speaker": "va", "text": "hi", "start": 3, "end": 1}]}', "ends (1.0) before it starts"),
        ('{"turns": [{"speaker": "va"}]}', "turns[0].text"),
        ('{"mode": "sms", "turns": [{"speaker": "va", "text": "x"}]}', "mode: 'sms'"),
        ('[1]', "turns[0]: expected an object"),
    ],
)
def test_malformed_is_one_clear_line(text, needle):
    with pytest.raises(UserError) as exc:
        tr.parse(text, "<t>")
    msg = str(exc.value)
    assert needle in msg and "\n" not in msg


def test_wrong_scenario_id_is_refused(billing):
    t = tr.parse('{"scenario": "refill-request", "turns": [{"speaker": "va", "text": "hi"}]}', "call.json")
    with pytest.raises(
        UserError, match="call.json: transcript is for scenario 'refill-request', not 'billing-frustrated'"
    ):
        tr.for_scenario(t, billing, "call.json")


def test_no_trainee_turns_is_refused(billing):
    with pytest.raises(UserError, match="no trainee"):
        tr.for_scenario(tr.parse("PATIENT: hello?"), billing)


def test_too_big_file(tmp_path, billing):
    big = tmp_path / "big.txt"
    big.write_text("VA: " + "x" * (tr.MAX_BYTES + 10))
    with pytest.raises(UserError, match="over the 5 MB limit"):
        tr.load(big, billing)


def test_too_big_stdin(billing):
    stream = io.TextIOWrapper(io.BytesIO(b"VA: " + b"y" * (tr.MAX_BYTES + 10)))
    with pytest.raises(UserError, match="over the 5 MB limit"):
        tr.load("-", billing, stdin=stream)


def test_stdin_and_missing_file(tmp_path, billing):
    stream = io.TextIOWrapper(io.BytesIO(b"VA: Riverside Family Practice\nPATIENT: hi\n"))
    assert len(tr.load("-", billing, stdin=stream).turns) == 2
    with pytest.raises(UserError, match="no such transcript file"):
        tr.load(tmp_path / "nope.json", billing)
    with pytest.raises(UserError, match="is a directory"):
        tr.load(tmp_path, billing)


def test_not_utf8(tmp_path, billing):
    p = tmp_path / "latin1.txt"
    p.write_bytes(b"VA: hello\nPATIENT: caf\xe9\n")
    with pytest.raises(UserError, match=r"latin1.txt:2: not UTF-8"):
        tr.load(p, billing)
