"""The results store: migrations, concurrency, damage, locks, a full disk, the hash chain."""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import sqlite3
import stat
import subprocess
import sys

import pytest

from simulator.authoring.catalog import DIMENSIONS
from simulator.cli import main
from simulator.errors import UserError
from simulator.records import store as st
from simulator.records.store import SessionRecord, SqliteStore, open_store
from simulator.testing import fake_scorecard

card = fake_scorecard


def rec(trainee="ana", **kw):
    c = kw.pop("scorecard", None) or card()
    return SessionRecord(
        trainee=trainee,
        scenario=c["scenario"],
        scorecard=c,
        turns=(
            {"speaker": "trainee", "text": "Thank you for calling Riverside", "start": 0.0, "end": 2.0},
            {"speaker": "patient", "text": "Hi, about my bill"},
        ),
        **kw,
    )


@pytest.fixture
def db(tmp_path):
    return tmp_path / "results.db"


def test_new_store_is_private_wal_and_fully_migrated(db):
    with open_store(db) as s:
        assert s.schema_version() == st.SCHEMA_VERSION
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert s.conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
        names = [r[0] for r in s.conn.execute("SELECT name FROM schema_version ORDER BY version")]
        assert names == [m[1] for m in st.MIGRATIONS]
        s.add_session(rec())
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


def test_default_location_is_the_private_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("VASIM_DB", raising=False)
    with open_store() as s:
        path = s.path
    assert path.name == "results.db" and path.parent == st.paths.data_dir()
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def test_round_trip_scores_turns_and_derived_columns(db):
    with open_store(db) as s:
        sid = s.add_session(
            rec(
                cohort="spring",
                scorecard=card(
                    (5, 4, 3, 2, 1),
                    passed=False,
                    expected="crisis_transfer",
                    correct=False,
                    blockers=["medical_advice"],
                    latency=1.5,
                ),
            )
        )
        got = s.session(sid[:6])
    assert got.trainee == "ana" and got.cohort == "spring"
    assert got.auto_scores == dict(zip(DIMENSIONS, (5, 4, 3, 2, 1))) == got.scores
    assert got.escalation_expected == "crisis_transfer" and got.escalation_correct is False
    assert got.resolved is False and got.blockers == ["medical_advice"] and got.latency_median_s == 1.5
    assert [t["speaker"] for t in got.turns] == ["trainee", "patient"]


def test_migrates_an_older_schema_and_keeps_its_data(db):
    # a results file written by the first version: only the initial tables
    with SqliteStore(db, migrations=st.MIGRATIONS[:1]) as old:
        assert old.schema_version() == 1
        c = old.conn
        c.execute("INSERT INTO trainees (name, created_at) VALUES ('ana', '2024-01-01T00:00:00+00:00')")
        c.execute(
            "INSERT INTO sessions (id, trainee_id, scenario, started_at, passed, resolved, scorecard) "
            "VALUES ('s-old', 1, 'billing-frustrated', '2024-01-02T00:00:00+00:00', 1, 1, ?)",
            (st.canonical(card()),),
        )
        for d in DIMENSIONS:
            c.execute("INSERT INTO scores (session_id, dimension, score) VALUES ('s-old', ?, 3)", (d,))
    with open_store(db) as s:
        assert s.schema_version() == st.SCHEMA_VERSION
        old = s.session("s-old")
        assert old.scores == {d: 3 for d in DIMENSIONS} and old.run_id is None
        assert s.verify().ok  # the backfilled chain covers the old row
        s.add_session(rec())  # and the new columns work
        assert len(s.sessions()) == 2
        s.conn.execute("UPDATE scores SET score = 5 WHERE session_id = 's-old' AND dimension = 'closing'")
        assert not s.verify().ok  # old rows are protected from now on


def test_schema_5_moves_typed_or_spoken_into_a_column_and_keeps_the_chain_whole(db):
    """Before schema 5 a typed call was marked inside the latency JSON (or, older still, only to be
    recognised by its timings); the migration moves that into the ``input`` column."""
    typed_mark = {"voice_to_voice_ms": {"p50": None}, "parts_ms": {"decide": 2.0}, "input": "typed"}
    typed_old = {"voice_to_voice_ms": {"p50": None}, "parts_ms": {"decide": 2.0, "asr": None}}
    spoken = {"voice_to_voice_ms": {"p50": 500.0}, "parts_ms": {"decide": 2.0, "asr": 9.0}}
    with SqliteStore(db, migrations=st.MIGRATIONS[:4]) as old:
        c = old.conn
        c.execute("INSERT INTO trainees (name, created_at) VALUES ('ana', '2024-01-01T00:00:00+00:00')")
        for sid, lat in (("s-mark", typed_mark), ("s-old", typed_old), ("s-voice", spoken), ("s-tamper", spoken)):
            c.execute(
                "INSERT INTO sessions (id, trainee_id, scenario, started_at, passed, resolved, scorecard, latency) "
                "VALUES (?, 1, 'billing-frustrated', '2024-01-02T00:00:00+00:00', 1, 1, ?, ?)",
                (sid, st.canonical(card()), st.canonical(lat)),
            )
            st._chain_append(c, "session", sid, st._session_content(c, sid))
        c.execute("UPDATE sessions SET passed = 0 WHERE id = 's-tamper'")  # edited outside vasim
    with open_store(db) as s:
        got = {x.session_id: x for x in s.sessions()}
        assert {k: v.input for k, v in got.items()} == {
            "s-mark": "typed",
            "s-old": "typed",
            "s-voice": "voice",
            "s-tamper": "voice",
        }
        assert "input" not in got["s-mark"].latency and got["s-old"].latency == typed_old
        problems = s.verify().problems
        assert len(problems) == 1, problems  # only the row edited before the migration: the migration is in the chain
        with pytest.raises(sqlite3.IntegrityError):
            s.conn.execute("UPDATE sessions SET input = 'fax' WHERE id = 's-voice'")


def test_failed_migration_leaves_the_file_as_it_was(db):
    with open_store(db) as s:
        s.add_session(rec())
    broken = st.MIGRATIONS + [
        (99, "broken", "CREATE TABLE half_done (a INTEGER); INSERT INTO no_such_table VALUES (1)")
    ]
    with pytest.raises(UserError, match=f"version 99 .*left at version {st.SCHEMA_VERSION}"):
        SqliteStore(db, migrations=broken)
    with open_store(db) as s:
        assert s.schema_version() == st.SCHEMA_VERSION
        assert not s.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'half_done'").fetchone()
        assert len(s.sessions()) == 1


def test_refuses_a_file_from_a_newer_version(db):
    open_store(db).close()
    with pytest.raises(UserError, match="newer than this va-simulator"):
        SqliteStore(db, migrations=st.MIGRATIONS[:2])


def _writer(path: str, who: str, n: int) -> None:
    with open_store(path) as s:
        for i in range(n):
            s.add_session(rec(trainee=who, cohort="spring", scorecard=card(((i % 5) + 1,) * 5)))


def test_concurrent_writers_lose_nothing(db):
    open_store(db).close()
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(db), f"trainee{k}", 15)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    with open_store(db) as s:
        sessions = s.sessions()
        assert len(sessions) == 60
        assert {t: sum(1 for x in sessions if x.trainee == t) for t in s.trainees("spring")} == {
            f"trainee{k}": 15 for k in range(4)
        }
        res = s.verify()
        assert res.ok, res.problems
        assert res.checked == 60  # one linear chain, no forks


def _one_line_exit_2(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1 and "Traceback" not in err[0]
    return err[0]


def test_garbage_file_is_refused_and_untouched(db, capsys):
    db.write_bytes(b"this is not a database, just some text that someone saved here\n" * 50)
    before = db.read_bytes()
    with pytest.raises(UserError, match="damaged"):
        open_store(db)
    line = _one_line_exit_2(capsys, ["report", "cohort", "spring", "--db", str(db)])
    assert "damaged" in line and str(db) in line
    assert db.read_bytes() == before


def test_truncated_database_file_gives_one_line_and_is_kept(db, tmp_path, capsys):
    with open_store(db) as s:
        for i in range(40):
            s.add_session(rec(trainee=f"t{i % 4}", cohort="spring"))
        s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = db.stat().st_size
    good = tmp_path / "good.db"
    shutil.copy(db, good)
    with open(db, "r+b") as f:  # cut the file mid-write
        f.truncate(size // 2 + 123)
    before = db.read_bytes()
    line = _one_line_exit_2(capsys, ["report", "cohort", "spring", "--db", str(db)])
    assert "damaged" in line or "malformed" in line
    assert db.read_bytes() == before  # never "repaired" by overwriting
    with open_store(good) as s:  # the backup copy still has everything
        assert len(s.sessions()) == 40


def _crash_mid_write(path: str) -> None:
    s = open_store(path)
    s.add_session(rec(trainee="before-crash"))

    def half(c):
        c.execute("INSERT INTO trainees (name, created_at) VALUES ('ghost', 'x')")
        os._exit(3)  # the process dies inside the transaction

    s._write(half)


def test_writer_killed_mid_transaction_loses_nothing_stored(db):
    with open_store(db) as s:
        s.add_session(rec(trainee="early"))
    p = mp.get_context("spawn").Process(target=_crash_mid_write, args=(str(db),))
    p.start()
    p.join(60)
    assert p.exitcode == 3
    with open_store(db) as s:
        assert s.trainees() == ["before-crash", "early"]
        assert s.verify().ok


def _wal_writer(path: str) -> None:
    s = open_store(path)
    for _i in range(5):
        s.add_session(rec(trainee="ana"))
    s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    s.conn.execute("PRAGMA wal_autocheckpoint = 0")
    for _i in range(3):
        s.add_session(rec(trainee="ben"))
    os._exit(0)  # leave the WAL behind, as after a power cut


def test_torn_wal_tail_loses_only_the_unfinished_transaction(db):
    subprocess.run(
        [sys.executable, "-c", f"import tests.test_store as t; t._wal_writer({str(db)!r})"],
        check=True,
        cwd=os.path.dirname(os.path.dirname(__file__)),
    )
    wal = db.with_name(db.name + "-wal")
    assert wal.stat().st_size > 0
    with open(wal, "r+b") as f:  # the last write was cut off mid-frame
        f.truncate(wal.stat().st_size - 100)
    with open_store(db) as s:
        names = [x.trainee for x in s.sessions()]
        assert names.count("ana") == 5 and names.count("ben") == 2
        assert s.verify().ok


def test_locked_database_gives_a_clear_error_and_keeps_data(db):
    with open_store(db) as s:
        s.add_session(rec())
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with (
            SqliteStore(db, lock_timeout=0.3, busy_ms=50) as s,
            pytest.raises(UserError, match="busy .*locked by another program"),
        ):
            s.add_session(rec(trainee="late"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    with open_store(db) as s:
        assert [x.trainee for x in s.sessions()] == ["ana"]
        s.add_session(rec(trainee="late"))  # works once the lock is gone
        assert len(s.sessions()) == 2


def test_full_disk_gives_a_clear_error_and_keeps_data(db):
    with open_store(db) as s:
        s.add_session(rec())
        pages = s.conn.execute("PRAGMA page_count").fetchone()[0]
        s.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full from here on
        big = rec(trainee="ben")
        big = SessionRecord(
            **{**big.__dict__, "turns": tuple({"speaker": "trainee", "text": "x" * 4000} for _ in range(50))}
        )
        with pytest.raises(UserError, match="disk full"):
            s.add_session(big)
        assert [x.trainee for x in s.sessions()] == ["ana"]
        assert s.verify().ok
    with open_store(db) as s:  # after freeing space, saving works again
        s.add_session(big)
        assert len(s.sessions()) == 2


def test_unknown_names_are_one_clear_line(db, capsys):
    with open_store(db) as s:
        s.add_session(rec(trainee="Maria Lopez", cohort="spring-2025"))
        with pytest.raises(UserError, match="unknown trainee 'Maria Lopes'; did you mean 'Maria Lopez'"):
            s.sessions(trainee="Maria Lopes")
        with pytest.raises(UserError, match="unknown cohort 'spring'"):
            s.require_cohort("spring")
        with pytest.raises(UserError, match="no stored session"):
            s.session("ffffffff")
    line = _one_line_exit_2(capsys, ["report", "trainee", "nobody", "--db", str(db)])
    assert "unknown trainee 'nobody'" in line


def test_bad_scores_are_refused(db):
    with open_store(db) as s:
        with pytest.raises(UserError, match=r"dimensions.empathy.score must be an integer 1-5"):
            s.add_session(rec(scorecard=card((4, 7, 4, 4, 4))))
        assert s.sessions() == []


def test_verify_detects_edits_made_outside_the_tool(db):
    with open_store(db) as s:
        a = s.add_session(rec(trainee="ana"))
        b = s.add_session(rec(trainee="ben"))
        s.add_override(a, "empathy", 2, "did not acknowledge the bill worry", "tess")
        assert s.verify().ok
        c = s.conn
        c.execute("UPDATE scores SET score = 5 WHERE session_id = ? AND dimension = 'greeting'", (a,))
        c.execute("PRAGMA foreign_keys = OFF")
        c.execute("DELETE FROM sessions WHERE id = ?", (b,))
        c.execute("UPDATE overrides SET new = 5")
        c.execute(
            "INSERT INTO sessions (id, trainee_id, scenario, started_at, passed, resolved, scorecard) "
            "VALUES ('forged', 1, 'x', '2025-01-01', 1, 1, '{}')"
        )
        problems = " | ".join(s.verify().problems)
    assert f"session {a[:8]}: changed outside vasim" in problems
    assert f"session {b[:8]}: deleted outside vasim" in problems
    assert "override" in problems and "forged"[:8] in problems and "added outside vasim" in problems


def test_verify_detects_a_rewritten_chain(db):
    with open_store(db) as s:
        for _ in range(3):
            s.add_session(rec())
        s.conn.execute("UPDATE chain SET content = ? WHERE seq = 2", ("0" * 64,))
        problems = s.verify().problems
    assert any("entry 2" in p and "altered" in p for p in problems)


def test_backup_is_a_complete_copy(db, tmp_path):
    with open_store(db) as s:
        s.add_session(rec())
        dest = s.backup(tmp_path / "copy.db")
        with pytest.raises(UserError, match="already exists"):
            s.backup(dest)
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    with open_store(dest) as b:
        assert len(b.sessions()) == 1 and b.verify().ok


def test_postgres_is_behind_the_same_interface_but_not_built(db):
    with pytest.raises(UserError, match="PostgreSQL .* not available"):
        open_store("postgresql://user:pw@db.example/va")
    assert issubclass(SqliteStore, st.Store)


# ---------------------------------------------------------------------------------------------
# practice calls and typed calls


def test_practice_and_typed_calls_are_marked(tmp_path):
    typed = {
        "session_id": "20250101-090000-abcd",
        "scenario": "billing-frustrated",
        "input": "typed",
        "turns": [{"speaker": "trainee", "text": "hello", "start": None, "end": None}],
        "scorecard": fake_scorecard(),
        "recording": "",
        "latency": {"voice_to_voice_ms": {"p50": None, "p95": None, "max": None}, "parts_ms": {"decide": 2.0}},
    }
    voice = {
        **typed,
        "session_id": "20250101-091000-abcd",
        "input": "voice",
        "latency": {
            "voice_to_voice_ms": {"p50": 500.0, "p95": 600.0, "max": 700.0},
            "parts_ms": {"asr": 5.0, "decide": 2.0},
        },
    }
    with open_store(tmp_path / "r.db") as s:
        s.add_session(SessionRecord.from_practice(typed, "ana", source="practice"))
        s.add_session(SessionRecord.from_practice(voice, "ana", source="practice"))
        s.add_session(rec())  # a record that does not say: assessed work
        t, v, a = s.sessions(trainee="ana")
        assert (t.source, v.source, a.source) == ("practice", "practice", "assessment")
        assert t.typed and t.input == "typed" and "input" not in t.latency and t.response_latency_s is None
        assert not v.typed and v.response_latency_s == v.latency_median_s == 1.0
        assert s.verify().ok


def test_review_sample_draws_assessment_calls_only(tmp_path):
    from simulator.records.review import draw_sample

    with open_store(tmp_path / "r.db") as s:
        for _i in range(3):
            s.add_session(rec("ana", cohort="spring", source="practice"))
        with pytest.raises(UserError, match="no stored assessment calls.*practice calls are not sampled"):
            draw_sample(s, "spring", 5, seed=1)
        graded = [s.add_session(rec("ana", cohort="spring", source="assessment")) for _ in range(2)]
        sample = draw_sample(s, "spring", 5, seed=1, by="tess")
        assert sorted(sample.session_ids) == sorted(graded)


def test_check_name_is_public_and_one_line():
    st.check_name("trainee", "Ana Lopez")
    with pytest.raises(UserError, match="invalid trainee name"):
        st.check_name("trainee", "a\nb")
