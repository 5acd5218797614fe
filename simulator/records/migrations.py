"""The results store's schema, as steps: (version, name, step), a step being SQL or a function
of the connection. A store applies the steps it has not yet, each in one transaction."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from simulator.records.chain import _CONTENT, _ROW_KEYS, _chain_append, _session_content, canonical, sha256


def typed_by_latency(latency: Any) -> bool:
    """Whether a latency block is a typed call's: marked ``input: typed`` by versions before the
    ``input`` column, or (older still) a decision time per turn but no recognition and no
    voice-to-voice time. Only the schema-5 migration needs this."""
    lat = latency if isinstance(latency, dict) else {}
    if "input" in lat:
        return lat["input"] == "typed"
    parts = lat.get("parts_ms") or {}
    v2v = lat.get("voice_to_voice_ms") or {}
    return bool(parts) and parts.get("decide") is not None and parts.get("asr") is None and v2v.get("p50") is None


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]


def _m4_chain_backfill(conn: sqlite3.Connection) -> None:
    """Results stored before the hash chain existed join the chain as they are now."""
    for stmt in _statements("""
        CREATE TABLE chain (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,           -- session | review | override | run | sample | assessment | purge
            key TEXT NOT NULL,            -- the row's id (opaque, never a name)
            content TEXT NOT NULL,        -- sha256 of the row's canonical content
            prev TEXT NOT NULL,           -- the previous entry's hash
            hash TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX chain_key ON chain(kind, key);
        -- deletions the tool made itself (on request or for retention): opaque keys only, no names
        CREATE TABLE purges (id TEXT PRIMARY KEY, at TEXT NOT NULL, reason TEXT NOT NULL, keys TEXT NOT NULL);
    """):
        conn.execute(stmt)
    for kind in ("assessment", "run", "session", "sample", "review", "override"):
        for key in _ROW_KEYS[kind](conn):
            _chain_append(conn, kind, key, _CONTENT[kind](conn, key))


def _m5_input_column(conn: sqlite3.Connection) -> None:
    """Typed or spoken becomes a column of its own (it was a mark inside the latency JSON, or
    only to be guessed from it). Rows whose content matched the chain are re-entered in it with
    the new column, so `vasim records verify` stays clean; a row that was already altered
    outside vasim is left showing that."""
    latest = {
        key: content
        for key, content in conn.execute("SELECT key, content FROM chain WHERE kind = 'session' ORDER BY seq")
    }
    intact = {
        key for key in _ROW_KEYS["session"](conn) if latest.get(key) == sha256(canonical(_session_content(conn, key)))
    }
    conn.execute(
        "ALTER TABLE sessions ADD COLUMN input TEXT NOT NULL DEFAULT 'voice' CHECK (input IN ('voice', 'typed'))"
    )
    for sid, lat in conn.execute("SELECT id, latency FROM sessions").fetchall():
        block = json.loads(lat) if lat else None
        if not typed_by_latency(block):
            continue
        if isinstance(block, dict):
            block.pop("input", None)
        conn.execute(
            "UPDATE sessions SET input = 'typed', latency = ? WHERE id = ?",
            (canonical(block) if block else None, sid),
        )
    for key in _ROW_KEYS["session"](conn):
        if key in intact:
            _chain_append(conn, "session", key, _session_content(conn, key))


MIGRATIONS: list[tuple[int, str, Any]] = [
    (
        1,
        "initial",
        """
        CREATE TABLE trainees (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
        CREATE TABLE cohorts (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
        CREATE TABLE cohort_members (
            cohort_id INTEGER NOT NULL REFERENCES cohorts(id) ON DELETE CASCADE,
            trainee_id INTEGER NOT NULL REFERENCES trainees(id) ON DELETE CASCADE,
            PRIMARY KEY (cohort_id, trainee_id));
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            trainee_id INTEGER NOT NULL REFERENCES trainees(id),
            cohort_id INTEGER REFERENCES cohorts(id),
            scenario TEXT NOT NULL,
            started_at TEXT NOT NULL,
            passed INTEGER NOT NULL,
            escalation_expected TEXT,
            escalation_correct INTEGER,
            resolved INTEGER NOT NULL,
            latency_median_s REAL,
            latency_max_s REAL,
            recording TEXT,
            source TEXT NOT NULL DEFAULT 'practice',
            scorecard TEXT NOT NULL,
            latency TEXT);
        CREATE INDEX sessions_trainee ON sessions(trainee_id, started_at);
        CREATE INDEX sessions_scenario ON sessions(scenario);
        CREATE TABLE turns (
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL, speaker TEXT NOT NULL, text TEXT NOT NULL, start REAL, "end" REAL,
            PRIMARY KEY (session_id, idx));
        CREATE TABLE scores (
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            dimension TEXT NOT NULL,
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            PRIMARY KEY (session_id, dimension));
    """,
    ),
    (
        2,
        "assessments",
        """
        CREATE TABLE assessments (
            id INTEGER PRIMARY KEY, name TEXT NOT NULL, title TEXT NOT NULL, digest TEXT NOT NULL,
            spec TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (name, digest));
        CREATE TABLE assessment_runs (
            id TEXT PRIMARY KEY,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            trainee_id INTEGER NOT NULL REFERENCES trainees(id),
            cohort_id INTEGER REFERENCES cohorts(id),
            seed INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('running', 'done', 'abandoned')),
            started_at TEXT NOT NULL, finished_at TEXT,
            hide_scores INTEGER NOT NULL DEFAULT 0,
            result TEXT);
        CREATE INDEX runs_trainee ON assessment_runs(trainee_id, status);
        ALTER TABLE sessions ADD COLUMN run_id TEXT REFERENCES assessment_runs(id);
        ALTER TABLE sessions ADD COLUMN position INTEGER;
        ALTER TABLE sessions ADD COLUMN voice_to_voice_p50_ms REAL;
        CREATE UNIQUE INDEX sessions_run_position ON sessions(run_id, position) WHERE run_id IS NOT NULL;
    """,
    ),
    (
        3,
        "review",
        """
        CREATE TABLE samples (
            id INTEGER PRIMARY KEY, cohort_id INTEGER NOT NULL REFERENCES cohorts(id),
            n INTEGER NOT NULL, seed INTEGER NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL);
        CREATE TABLE sample_items (
            sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            position INTEGER NOT NULL, PRIMARY KEY (sample_id, session_id));
        CREATE TABLE reviews (
            id TEXT PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            reviewer TEXT NOT NULL, created_at TEXT NOT NULL,
            sample_id INTEGER REFERENCES samples(id) ON DELETE SET NULL,
            greeting INTEGER CHECK (greeting BETWEEN 1 AND 5),
            empathy INTEGER CHECK (empathy BETWEEN 1 AND 5),
            accuracy INTEGER CHECK (accuracy BETWEEN 1 AND 5),
            escalation INTEGER CHECK (escalation BETWEEN 1 AND 5),
            closing INTEGER CHECK (closing BETWEEN 1 AND 5),
            notes TEXT NOT NULL DEFAULT '{}');
        CREATE INDEX reviews_session ON reviews(session_id);
        CREATE TABLE overrides (
            id TEXT PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            dimension TEXT NOT NULL, old INTEGER NOT NULL, new INTEGER NOT NULL CHECK (new BETWEEN 1 AND 5),
            reason TEXT NOT NULL CHECK (length(trim(reason)) > 0), who TEXT NOT NULL, at TEXT NOT NULL);
        CREATE INDEX overrides_session ON overrides(session_id);
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    ),
    (4, "hash_chain", _m4_chain_backfill),
    (5, "input_column", _m5_input_column),
]


SCHEMA_VERSION = MIGRATIONS[-1][0]
