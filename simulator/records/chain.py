"""The results store's hash chain: every stored row's content, hashed into one linear chain,
so `vasim records verify` can tell a row changed or deleted outside vasim from one vasim wrote.

An entry holds the sha256 of a row's canonical content (:func:`canonical`) and the hash of
the entry before it; a row's latest entry is what its content must still hash to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Callable
from typing import Any

GENESIS = "0" * 64


def utcnow() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def canonical(obj: Any) -> str:
    """The one JSON spelling that hashes are computed over."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _row(conn: sqlite3.Connection, sql: str, args: tuple) -> dict | None:
    cur = conn.execute(sql, args)
    r = cur.fetchone()
    if r is None:
        return None
    return {d[0]: r[i] for i, d in enumerate(cur.description)}


def _session_content(conn: sqlite3.Connection, key: str) -> dict | None:
    row = _row(conn, "SELECT * FROM sessions WHERE id = ?", (key,))
    if row is None:
        return None
    row["trainee"] = conn.execute("SELECT name FROM trainees WHERE id = ?", (row.pop("trainee_id"),)).fetchone()[0]
    turns = [
        list(r)
        for r in conn.execute(
            'SELECT idx, speaker, text, start, "end" FROM turns WHERE session_id = ? ORDER BY idx', (key,)
        )
    ]
    scores = dict(
        conn.execute("SELECT dimension, score FROM scores WHERE session_id = ? ORDER BY dimension", (key,)).fetchall()
    )
    return {"row": row, "turns": turns, "scores": scores}


def _table_content(table: str, id_col: str = "id") -> Callable[[sqlite3.Connection, str], dict | None]:
    def content(conn: sqlite3.Connection, key: str) -> dict | None:
        return _row(conn, f"SELECT * FROM {table} WHERE {id_col} = ?", (key,))

    return content


def _int_key_content(table: str) -> Callable[[sqlite3.Connection, str], dict | None]:
    def content(conn: sqlite3.Connection, key: str) -> dict | None:
        return _row(conn, f"SELECT * FROM {table} WHERE id = ?", (int(key),))

    return content


_CONTENT: dict[str, Callable[[sqlite3.Connection, str], dict | None]] = {
    "session": _session_content,
    "review": _table_content("reviews"),
    "override": _table_content("overrides"),
    "run": _table_content("assessment_runs"),
    "sample": _int_key_content("samples"),
    "assessment": _int_key_content("assessments"),
    "purge": _table_content("purges"),
}


_TABLE = {
    "session": "sessions",
    "review": "reviews",
    "override": "overrides",
    "run": "assessment_runs",
    "sample": "samples",
    "assessment": "assessments",
    "purge": "purges",
}


def _row_ids(table: str) -> Callable[[sqlite3.Connection], list[str]]:
    def ids(conn: sqlite3.Connection) -> list[str]:
        return [str(r[0]) for r in conn.execute(f"SELECT id FROM {table} ORDER BY rowid")]

    return ids


_ROW_KEYS: dict[str, Callable[[sqlite3.Connection], list[str]]] = {
    kind: _row_ids(table) for kind, table in _TABLE.items()
}


def _chain_hash(seq: int, kind: str, key: str, content: str, prev: str) -> str:
    return sha256(f"{seq}|{kind}|{key}|{content}|{prev}")


def _chain_append(conn: sqlite3.Connection, kind: str, key: str, content: Any) -> None:
    """Append one entry; must run inside the writing transaction (the chain stays linear)."""
    last = conn.execute("SELECT seq, hash FROM chain ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    digest = sha256(canonical(content))
    conn.execute(
        "INSERT INTO chain (seq, kind, key, content, prev, hash, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (seq, kind, key, digest, prev, _chain_hash(seq, kind, key, digest, prev), utcnow()),
    )
