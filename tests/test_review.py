"""Trainer review: seeded samples, reviews, overrides with an audit trail, agreement figures."""

from __future__ import annotations

import json

import pytest

from simulator.authoring.catalog import DIMENSIONS
from simulator.cli import main
from simulator.errors import UserError
from simulator.records.review import (
    Agreement,
    agreement,
    agreement_from_pairs,
    draw_sample,
    parse_score,
)
from simulator.records.store import SessionRecord, open_store
from simulator.stats import quadratic_weighted_kappa
from simulator.testing import fake_scorecard as card


def test_kappa_hand_computed_example():
    # auto [1,2,3,4] vs trainer [1,2,4,4]; weights (i-j)^2/16.
    # observed weighted disagreement: one pair (3,4) -> 1/16.
    # expected: hist_a = 1 each of 1..4, hist_b = {1:1, 2:1, 4:2}; for each a_i,
    # sum_j hb_j (i-j)^2 = 19, 9, 7, 13 -> 48; divided by n=4 and 16 -> 0.75.
    # kappa = 1 - (1/16) / 0.75 = 1 - 1/12 = 0.91666...
    assert quadratic_weighted_kappa([1, 2, 3, 4], [1, 2, 4, 4]) == pytest.approx(11 / 12)


def test_kappa_extremes_and_undefined():
    assert quadratic_weighted_kappa([1, 3, 5, 2], [1, 3, 5, 2]) == pytest.approx(1.0)
    # complete reversal of two ratings: observed = 2 (w=1 each), expected = 1 -> kappa = -1
    assert quadratic_weighted_kappa([1, 5], [5, 1]) == pytest.approx(-1.0)
    assert quadratic_weighted_kappa([3, 3, 3], [3, 3, 3]) is None  # no chance disagreement possible
    assert quadratic_weighted_kappa([], []) is None
    a, b = [1, 2, 2, 3, 5, 4], [2, 2, 3, 3, 4, 4]
    assert quadratic_weighted_kappa(a, b) == pytest.approx(quadratic_weighted_kappa(b, a))
    with pytest.raises(ValueError):
        quadratic_weighted_kappa([0], [1])


def test_agreement_exact_and_within_one():
    rows = {a.dimension: a for a in agreement_from_pairs({"greeting": [(4, 4), (3, 5), (2, 3), (5, 5)]})}
    g = rows["greeting"]
    assert g.n == 4 and g.exact == 0.5 and g.within_one == 0.75
    assert g.mean_auto == 3.5 and g.mean_trainer == 4.25
    assert rows["empathy"] == Agreement("empathy", 0, None, None, None, None, None)


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "r.db")
    for t in ("ana", "ben", "cy"):
        for i in range(4):
            s.add_session(
                SessionRecord(
                    trainee=t,
                    scenario="billing-frustrated",
                    scorecard=card((i + 1, 3, 4, 4, 5)),
                    cohort="spring",
                    started_at=f"2025-03-0{i + 1}T09:00:00+00:00",
                )
            )
    s.add_session(SessionRecord(trainee="zed", scenario="billing-frustrated", scorecard=card(), cohort="autumn"))
    yield s
    s.close()


def test_sample_is_seeded_recorded_and_from_the_cohort(store):
    a = draw_sample(store, "spring", 5, seed=42, by="tess")
    b = draw_sample(store, "spring", 5, seed=42, by="tess")
    assert a.session_ids == b.session_ids and len(set(a.session_ids)) == 5
    cohort_ids = {s.session_id for s in store.sessions(cohort="spring")}
    assert set(a.session_ids) <= cohort_ids
    assert [x.seed for x in store.samples("spring")] == [42, 42]
    assert store.samples("spring")[0].session_ids == a.session_ids
    everything = draw_sample(store, "spring", 50, seed=1)
    assert sorted(everything.session_ids) == sorted(cohort_ids)
    assert draw_sample(store, "spring", 12, seed=7).session_ids != draw_sample(store, "spring", 12, seed=8).session_ids
    with pytest.raises(UserError, match="unknown cohort"):
        draw_sample(store, "winter", 3)


def test_override_keeps_an_audit_trail_and_agreement_uses_original_scores(store):
    sid = store.sessions(trainee="ana")[0].session_id  # greeting auto = 1
    o1 = store.add_override(sid, "greeting", 3, "named the practice, detector missed the accent", "tess")
    o2 = store.add_override(sid, "greeting", 4, "second listen: clear greeting", "lee")
    assert (o1.old, o1.new, o1.who) == (1, 3, "tess") and (o2.old, o2.new, o2.who) == (3, 4, "lee")
    s = store.session(sid)
    assert s.auto_scores["greeting"] == 1 and s.scores["greeting"] == 4
    assert [o.reason for o in s.overrides] == [
        "named the practice, detector missed the accent",
        "second listen: clear greeting",
    ]
    with pytest.raises(UserError, match="needs a reason"):
        store.add_override(sid, "greeting", 2, "   ", "tess")
    with pytest.raises(UserError, match="1-5"):
        store.add_override(sid, "greeting", 6, "x", "tess")
    store.add_review(sid, "tess", {"greeting": 4, "empathy": 3}, {"greeting": "fine"})
    g = {a.dimension: a for a in agreement(store, cohort="spring")}
    assert g["greeting"].n == 1 and g["greeting"].exact == 0.0 and g["greeting"].within_one == 0.0  # auto 1 vs 4
    assert g["empathy"].exact == 1.0 and g["accuracy"].n == 0


def test_review_validation(store):
    sid = store.sessions()[0].session_id
    with pytest.raises(UserError, match="1-5"):
        store.add_review(sid, "tess", {"greeting": 0}, {})
    with pytest.raises(UserError, match="unknown dimension"):
        store.add_review(sid, "tess", {"tone": 3}, {})
    with pytest.raises(UserError, match="no stored session"):
        store.add_review("nope", "tess", {"greeting": 3}, {})
    assert parse_score("empathy", " 4 ") == 4
    with pytest.raises(UserError, match="not a score"):
        parse_score("empathy", "four")


def test_cli_review_flow(store, capsys):
    db = store.location
    assert main(["review", "sample", "--cohort", "spring", "--n", "3", "--seed", "5", "--json", "--db", db]) == 0
    sample = json.loads(capsys.readouterr().out)
    assert sample["seed"] == 5 and len(sample["sessions"]) == 3
    sid = sample["sessions"][0]["session_id"]

    # without a terminal, every dimension must be given
    assert main(["review", "score", sid, "--greeting", "4", "--db", db]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing scores for empathy" in err[0]

    args = [
        "review",
        "score",
        sid[:8],
        "--reviewer",
        "tess",
        "--sample",
        str(sample["sample"]),
        "--notes",
        "warm, but no next steps",
        "--closing-note",
        "no next steps",
    ] + [x for d in DIMENSIONS for x in (f"--{d}", "3")]
    assert main(args + ["--db", db]) == 0
    capsys.readouterr()
    assert (
        main(
            [
                "review",
                "override",
                sid[:8],
                "closing",
                "2",
                "--reason",
                "no next steps given",
                "--by",
                "tess",
                "--db",
                db,
            ]
        )
        == 0
    )
    assert main(["review", "audit", "--cohort", "spring", "--json", "--db", db]) == 0
    out = capsys.readouterr().out.strip().splitlines()[-1]
    audit = json.loads(out)
    assert (
        len(audit) == 1
        and audit[0]["who"] == "tess"
        and audit[0]["new"] == 2
        and audit[0]["reason"] == "no next steps given"
    )

    assert main(["review", "agreement", "--cohort", "spring", "--json", "--db", db]) == 0
    rows = {r["dimension"]: r for r in json.loads(capsys.readouterr().out)}
    auto = store.session(sid).auto_scores
    assert rows["closing"]["n"] == 1 and rows["closing"]["exact"] == (1.0 if auto["closing"] == 3 else 0.0)
    assert main(["review", "samples", "--cohort", "spring", "--json", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)[0]["reviewed"] == 1
    assert main(["review", "show", sid, "--json", "--db", db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["reviews"][0]["notes"] == {"closing": "no next steps", "": "warm, but no next steps"}

    assert main(["review", "override", "zzzzzzzz", "closing", "2", "--reason", "x", "--db", db]) == 2
    assert "no stored session" in capsys.readouterr().err
    assert main(["review", "sample", "--cohort", "nope", "--db", db]) == 2


def test_verdict_agreement_reads_the_trainers_verdict_from_their_scores(store):
    from simulator.records.review import verdict_agreement

    sessions = store.sessions(trainee="ben")  # all stored as passed
    store.add_review(sessions[0].session_id, "tess", dict.fromkeys(DIMENSIONS, 4), {})  # a pass: agrees
    store.add_review(sessions[1].session_id, "tess", {**dict.fromkeys(DIMENSIONS, 4), "accuracy": 1}, {})  # a 1 fails
    store.add_review(sessions[2].session_id, "tess", {"greeting": 2}, {})  # not all five: not a verdict
    assert verdict_agreement(store, trainee="ben") == (1, 2)
