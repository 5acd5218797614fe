"""The scenario library and the trainer's scenario commands."""

from __future__ import annotations

import json
import re

import pytest

from simulator.authoring import scenario as sc_mod
from simulator.authoring.catalog import FIXED_IDS, load_catalog
from simulator.cli import main

LIBRARY_IDS = {
    "billing-frustrated",
    "billing-dispute-complex",
    "symptoms-same-day",
    "emergency-chest-pain",
    "suicidal-ideation",
    "refill-request",
    "lab-results",
    "records-request",
    "legal-threat",
    "appointment-scheduling",
    "general-inquiry",
    "new-patient-onboarding",
    "referral-status",
    "post-visit-followup",
    "voicemail-reminder",
}
ESCALATIONS = {
    "billing-frustrated": "none",
    "billing-dispute-complex": "flag_billing",
    "symptoms-same-day": "same_day_transfer",
    "emergency-chest-pain": "emergency_911",
    "suicidal-ideation": "crisis_transfer",
    "refill-request": "flag_clinical",
    "lab-results": "flag_clinical",
    "records-request": "route_records",
    "legal-threat": "escalate_manager",
    "appointment-scheduling": "none",
    "general-inquiry": "none",
    "new-patient-onboarding": "none",
    "referral-status": "none",
    "post-visit-followup": "none",
    "voicemail-reminder": "none",
}


def test_library_validates(capsys):
    assert main(["scenario", "validate"]) == 0
    assert "valid" in capsys.readouterr().out


def test_list_json_has_all_fifteen(capsys):
    assert main(["scenario", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    # a trainer's own scenarios (`vasim scenario new` writes into scenarios/) may sit beside them
    assert {r["id"] for r in rows} >= LIBRARY_IDS
    assert {r["id"]: r["escalation"] for r in rows if r["id"] in LIBRARY_IDS} == ESCALATIONS
    assert sc_mod.LIBRARY_IDS == LIBRARY_IDS


@pytest.mark.parametrize("columns", ["80", "60", "200"])
def test_list_never_cuts_an_id(columns, monkeypatch, capsys):
    """The id is what users type: every one appears whole on one line, even at 80 columns."""
    monkeypatch.setenv("COLUMNS", columns)
    assert main(["scenario", "list"]) == 0
    out = capsys.readouterr().out
    assert not re.search(r"^ *[a-z-]+…", out, re.M)  # no id cut with an ellipsis
    for sid in LIBRARY_IDS:
        assert re.search(rf"^ *{re.escape(sid)} ", out, re.M), sid
    assert max(len(ln) for ln in out.splitlines()) <= int(columns)


def test_library_is_distinct_and_complete():
    scenarios = [s for s in sc_mod.all_scenarios() if s.id in LIBRARY_IDS]
    assert len(scenarios) == len(LIBRARY_IDS)
    names = [s.patient.name for s in scenarios]
    assert len(set(names)) == len(names), "every scenario has its own caller"
    for s in scenarios:
        kinds = {e.kind for e in s.examples}
        assert {"strong", "weak"} <= kinds, s.id
        assert all(st.exemplar for n, st in s.states.items() if not st.end), f"{s.id}: every beat has an exemplar"
        assert sum(len(st.say.all()) for st in s.states.values()) >= len(s.states)
    vm = sc_mod.load("voicemail-reminder")
    assert vm.mode == "voicemail" and vm.direction == "outbound"
    assert sc_mod.load("post-visit-followup").direction == "outbound"


def test_catalog_has_fixed_ids_and_examples():
    cat = load_catalog()
    assert set(FIXED_IDS) <= set(cat.ids)
    for b in cat:
        if b.detect == "text":
            assert b.examples and b.near_misses, b.id


def test_show_json_roundtrip(capsys):
    assert main(["scenario", "show", "billing-frustrated", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == "billing-frustrated" and data["practice"]["name"] == "Riverside Family Practice"
    assert data["patient"]["dob"] == "1968-04-12"


def test_show_unknown_id(capsys):
    assert main(["scenario", "show", "biling-frustrated"]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err
        == "vasim: biling-frustrated: no such scenario; did you mean 'billing-frustrated'? (vasim scenario list shows them)"
    )


def test_new_scaffolds_a_valid_file(tmp_path, capsys):
    out = tmp_path / "copay-question.yaml"
    assert main(["scenario", "new", "copay-question", "-o", str(out)]) == 0
    assert main(["scenario", "validate", str(out)]) == 0
    assert main(["scenario", "new", "copay-question", "-o", str(out)]) == 2  # no silent overwrite
    assert "already exists" in capsys.readouterr().err
    assert main(["scenario", "new", "Bad Id", "-o", str(tmp_path / "x.yaml")]) == 2


def test_schema_is_json_schema(capsys):
    assert main(["scenario", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    for key in ("id", "states", "patient", "examples", "escalation"):
        assert key in schema["properties"]
    assert "source" not in schema["properties"]


@pytest.mark.parametrize("ref", ["billing-frustrated"])
def test_scenario_by_path_and_id_agree(ref, repo):
    assert sc_mod.load(ref) == sc_mod.load(str(repo / "scenarios" / f"{ref}.yaml"))
