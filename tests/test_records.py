"""Training records: export, purge on request, retention, verify, backup — through the CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from simulator import paths
from simulator.cli import main
from simulator.records.retention import expire, session_dir
from simulator.records.store import SessionRecord, open_store
from simulator.testing import fake_scorecard as card


def add_call(s, trainee, when="2025-05-01T09:00:00+00:00", audio=True, cohort="spring"):
    rec = SessionRecord(
        trainee=trainee,
        scenario="billing-frustrated",
        scorecard=card(),
        cohort=cohort,
        started_at=when,
        turns=({"speaker": "trainee", "text": "Thank you for calling"},),
    )
    d = session_dir(rec.session_id)
    if audio:
        paths.private_dir(d)
        (d / "journal.jsonl").write_text(json.dumps({"event": "turn", "speaker": "trainee"}) + "\n")
        (d / "call.flac").write_bytes(b"fLaC" + os.urandom(2000))
        rec = SessionRecord(**{**rec.__dict__, "recording": str(d / "call.flac")})
    s.add_session(rec)
    return rec.session_id


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "r.db"
    with open_store(path) as s:
        add_call(s, "ana")
        add_call(s, "ana")
        add_call(s, "ben")
        sid = s.sessions(trainee="ana")[0].session_id
        s.add_override(sid, "closing", 3, "offered more help, missed by the detector", "tess")
        s.add_review(sid, "tess", {"closing": 3}, {"": "ok"})
    return str(path)


def test_export_writes_json_and_audio(db, tmp_path, capsys):
    out = tmp_path / "ana.zip"
    assert main(["export", "--trainee", "ana", "-o", str(out), "--db", db]) == 0
    assert "2 sessions" in capsys.readouterr().out
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        records = json.loads(z.read("records.json"))
        manifest = json.loads(z.read("manifest.json"))
        flacs = [n for n in names if n.endswith(".flac")]
        assert len(flacs) == 2 and all(z.read(n).startswith(b"fLaC") for n in flacs)
        assert sum(n.endswith("journal.jsonl") for n in names) == 2
    assert records["trainee"] == "ana" and len(records["sessions"]) == 2 and records["retention_years"] == 6
    overridden = next(x for x in records["sessions"] if x["overrides"])
    assert overridden["overrides"][0]["who"] == "tess" and overridden["reviews"][0]["reviewer"] == "tess"
    assert manifest["missing_audio"] == [] and manifest["sessions"] == 2


def test_export_with_missing_audio(db, tmp_path, capsys):
    with open_store(db) as s:
        rec = s.sessions(trainee="ben")[0].recording
    os.unlink(rec)
    out = tmp_path / "ben.zip"
    assert main(["export", "--trainee", "ben", "-o", str(out), "--db", db]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and rec in err[0] and "missing" in err[0]
    assert not out.exists() and not list(tmp_path.glob(".ben.zip*"))
    assert main(["export", "--trainee", "ben", "-o", str(out), "--allow-missing-audio", "--db", db]) == 0
    with zipfile.ZipFile(out) as z:
        assert json.loads(z.read("manifest.json"))["missing_audio"] == [rec]
    assert main(["export", "--trainee", "nobody", "--db", db]) == 2
    assert "unknown trainee" in capsys.readouterr().err


def test_purge_asks_then_deletes_rows_and_audio(db, capsys, monkeypatch):
    with open_store(db) as s:
        ana_dirs = [session_dir(x.session_id) for x in s.sessions(trainee="ana")]
    assert all(d.is_dir() for d in ana_dirs)
    # no terminal and no --yes: refuse, delete nothing
    with open(os.devnull) as devnull:
        monkeypatch.setattr("sys.stdin", devnull)
        assert main(["purge", "--trainee", "ana", "--db", db]) == 2
    assert "--yes" in capsys.readouterr().err
    assert all(d.is_dir() for d in ana_dirs)
    # a wrong confirmation in a terminal deletes nothing
    monkeypatch.setattr("sys.stdin", type("TTY", (), {"isatty": lambda self: True})())
    monkeypatch.setattr("builtins.input", lambda prompt="": "ben")
    assert main(["purge", "--trainee", "ana", "--db", db]) == 2
    assert "not confirmed" in capsys.readouterr().err
    monkeypatch.setattr("builtins.input", lambda prompt="": "ana")
    assert main(["purge", "--trainee", "ana", "--db", db]) == 0
    assert "2 sessions" in capsys.readouterr().out
    assert not any(d.exists() for d in ana_dirs)
    with open_store(db) as s:
        assert s.trainees() == ["ben"] and len(s.sessions()) == 1
        assert s.reviews() == []
        assert s.conn.execute("SELECT count(*) FROM overrides").fetchone()[0] == 0
        assert "ana" not in json.dumps(s.conn.execute("SELECT * FROM purges").fetchall())  # no name left behind
    assert main(["verify", "--db", db]) == 0  # a purge made by the tool is not tampering
    assert main(["purge", "--trainee", "ana", "--yes", "--db", db]) == 2


def test_retention_default_setting_and_expiry(db, capsys):
    assert main(["records", "retention", "--db", db]) == 0
    assert "6 years" in capsys.readouterr().out
    now = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    with open_store(db) as s:
        old = add_call(s, "cy", when="2018-05-31T09:00:00+00:00")
        edge = add_call(s, "cy", when="2019-06-02T09:00:00+00:00")
        res, removed, failed = expire(s, now=now)
        assert res.session_ids == (old,) and removed >= 1 and not failed
        assert not session_dir(old).exists() and session_dir(edge).exists()
        assert s.verify().ok
    assert main(["records", "retention", "--years", "3", "--db", db]) == 0
    with open_store(db) as s:
        assert s.retention_years() == 3
        res, _, _ = expire(s, now=now)
        assert res.session_ids == (edge,)
    assert main(["records", "retention", "--years", "0", "--db", db]) == 2


def test_verify_cli_reports_tampering(db, capsys):
    assert main(["verify", "--json", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    with open_store(db) as s:
        s.conn.execute("UPDATE sessions SET passed = 0")
    assert main(["verify", "--db", db]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all("changed outside vasim" in line for line in err)


def test_backup_cli(db, tmp_path, capsys):
    assert main(["backup", str(tmp_path), "--db", db]) == 0
    copy = capsys.readouterr().out.split("backed up to ")[1].strip()
    with open_store(copy) as b:
        assert len(b.sessions()) == 3
    assert main(["backup", str(tmp_path / "nodir" / "x.db"), "--db", db]) == 2
    capsys.readouterr()
    # a new folder name (with or without the slash) is a folder for dated copies, not a file
    for name in ("backups/", "more-backups"):
        assert main(["backup", str(tmp_path / name), "--db", db]) == 0
        copy = Path(capsys.readouterr().out.split("backed up to ")[1].strip())
        folder = tmp_path / name.rstrip("/")
        assert folder.is_dir() and copy.parent == folder and copy.suffix == ".db"
        assert folder.stat().st_mode & 0o777 == 0o700


def test_practice_session_directory_with_a_missing_turn_file(tmp_path, capsys):
    """The practice loop's recording is the session directory; its journal names each turn's FLAC."""
    db = str(tmp_path / "r.db")
    with open_store(db) as s:
        sid = "20250501-090000-abcd"
        d = paths.private_dir(session_dir(sid))
        (d / "000-trainee.flac").write_bytes(b"fLaC" + os.urandom(100))
        (d / "journal.jsonl").write_text(
            "\n".join(
                json.dumps(x)
                for x in (
                    {"type": "start", "scenario": "billing-frustrated"},
                    {"type": "turn", "index": 0, "speaker": "trainee", "text": "Hi", "audio": "000-trainee.flac"},
                    {"type": "turn", "index": 1, "speaker": "patient", "text": "Hello", "audio": "001-patient.flac"},
                )
            )
            + "\n"
        )
        s.add_session(
            SessionRecord.from_practice(
                {
                    "session_id": sid,
                    "scenario": "billing-frustrated",
                    "scorecard": card(),
                    "turns": [],
                    "recording": str(d),
                },
                "kim",
            )
        )
    assert main(["export", "--trainee", "kim", "-o", str(tmp_path / "k.zip"), "--db", db]) == 2
    err = capsys.readouterr().err.strip()
    assert "001-patient.flac" in err and len(err.splitlines()) == 1
    assert main(["purge", "--trainee", "kim", "--yes", "--db", db]) == 0
    assert not d.exists()


def test_practice_calls_are_exported_and_purged_with_their_journal(tmp_path, capsys, monkeypatch, fake_parts):
    """`vasim practice --trainee` stores the call; export carries its journal; purge removes it and its directory."""
    db = str(tmp_path / "r.db")
    script = tmp_path / "s.txt"
    script.write_text(
        "Thank you for calling Riverside Family Practice, this is Sam. How can I help you today?\n"
        "May I have your full name and date of birth?\n"
    )
    assert (
        main(
            [
                "practice",
                "billing-frustrated",
                "--text",
                "--trainee-script",
                str(script),
                "--trainee",
                "cleo",
                "--db",
                db,
                "--json",
            ]
        )
        == 0
    )
    sid = json.loads(capsys.readouterr().out)["session_id"]
    d = session_dir(sid)
    assert (d / "journal.jsonl").is_file()
    out = tmp_path / "cleo.zip"
    assert main(["export", "--trainee", "cleo", "-o", str(out), "--db", db]) == 0
    capsys.readouterr()
    with zipfile.ZipFile(out) as z:
        records = json.loads(z.read("records.json"))
        assert [(s["session_id"], s["source"]) for s in records["sessions"]] == [(sid, "practice")]
        assert f"sessions/{sid}/journal.jsonl" in z.namelist()
    assert main(["purge", "--trainee", "cleo", "--yes", "--db", db]) == 0
    assert "purged 'cleo': 1 session, " in capsys.readouterr().out
    assert not d.exists()
    with open_store(db) as s:
        assert s.trainees() == [] and s.verify().ok
