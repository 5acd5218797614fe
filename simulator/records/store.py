"""The results store: trainees, cohorts, assessments, sessions, scores, reviews, overrides.

Why it looks like this:

* One small :class:`Store` interface and one implementation, :class:`SqliteStore`. A
  multi-site cohort can later be served by a PostgreSQL implementation of the same
  interface; nothing outside this module writes SQL. :func:`open_store` picks the backend.
* SQLite in the user's private data directory (``paths.data_dir()/results.db``, mode 0600),
  WAL so readers never block the writer, foreign keys on, a busy timeout, and every write
  a short ``BEGIN IMMEDIATE`` transaction retried while another process holds the lock —
  several trainees' assessments can save at the same time and nothing is lost.
* Versioned, named migrations run on open, each in its own transaction, recorded in
  ``schema_version``: an older results file is upgraded in place, a failed step leaves
  it as it was, and a file made by a newer version is refused rather than damaged.
* Stored results carry a hash chain (table ``chain``): each entry hashes the content of
  one stored row plus the previous entry's hash, so ``vasim verify`` notices a row edited,
  added or deleted outside the tool. Deletions the tool makes itself (a purge on request,
  the retention limit) are recorded in the chain as such.
* Every database problem becomes one clear line (:class:`UserError`, exit 2): a damaged
  or truncated file, a lock held too long, a full disk. A failed write rolls back, so
  what was stored before is never lost, and a damaged file is never overwritten.

Scores follow DESIGN.md's Scorecard JSON (plain dicts), so the store does not depend on
the scorer's classes. An automatic score is stored once and never changed; a trainer's
override is a separate audit row (who, when, old, new, reason) and the *effective*
score is the latest override or else the automatic one.
"""

from __future__ import annotations

import abc
import datetime as dt
import json
import os
import random
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator import paths
from simulator.authoring.catalog import DIMENSIONS
from simulator.errors import RuntimeFailure, UserError
from simulator.records.chain import (  # noqa: F401 - canonical, sha256 and the chain helpers are part of the store's API
    _CONTENT,
    _ROW_KEYS,
    _TABLE,
    GENESIS,
    _chain_append,
    _chain_hash,
    _row,
    _session_content,
    canonical,
    sha256,
    utcnow,
)
from simulator.records.migrations import MIGRATIONS, SCHEMA_VERSION, _statements  # noqa: F401

if TYPE_CHECKING:
    from simulator.call.result import CallResult

DB_NAME = "results.db"
DEFAULT_RETENTION_YEARS = 6  # training records are kept six years (seed guide, HIPAA training records)


def new_id() -> str:
    return uuid.uuid4().hex


def short_id(sid: str) -> str:
    """A session id short enough to read and type: practice ids (``20250301-142501-3f9a``)
    are kept whole, long random ids cut to 8 characters (a unique prefix is accepted)."""
    return sid if len(sid) <= 24 else sid[:8]


# ---------------------------------------------------------------------------------------------
# records going in and out


@dataclass(frozen=True)
class SessionRecord:
    """One finished call, as it is saved (the practice loop's result plus who and where)."""

    trainee: str
    scenario: str
    scorecard: dict  # DESIGN.md Scorecard JSON
    session_id: str = field(default_factory=new_id)
    turns: tuple[dict, ...] = ()  # {"speaker", "text", "start"?, "end"?}
    started_at: str = field(default_factory=utcnow)  # ISO 8601, UTC
    cohort: str | None = None
    latency: dict | None = None  # the practice result's "latency" block (voice-to-voice, parts)
    recording: str | None = None  # path of the call's audio (under data_dir()/sessions/<id>/)
    run_id: str | None = None  # the assessment run this call belongs to
    position: int | None = None  # its place in the assessment
    # assessment | practice | import. Practice calls are labelled where they are made (`vasim practice
    # --trainee`); a record built without saying so counts as assessed work (it is what a trainer reviews)
    source: str = "assessment"
    resolved: bool | None = None  # first-call resolution; None: derived from the scorecard
    input: str = "voice"  # "voice" | "typed" (--text: the turns carry no timings)

    @classmethod
    def from_result(cls, result: CallResult, trainee: str, **kw: Any) -> SessionRecord:
        """From a finished call, as the practice loop returns it."""
        if not isinstance(result.scorecard, dict):
            raise UserError(f"call {result.session_id} has no scorecard; it ended before the trainee said anything")
        extra = {k: v for k, v in kw.items() if v is not None}
        return cls(
            trainee=trainee,
            scenario=result.scenario,
            scorecard=result.scorecard,
            session_id=result.session_id,
            turns=tuple(
                {"speaker": t.speaker, "text": t.text, "start": t.start, "end": t.end}
                for t in result.turns
                if t.text.strip()
            ),
            latency=result.latency,
            recording=result.recording or None,
            input=_input_kind(result.input),
            **extra,
        )

    @classmethod
    def from_practice(cls, result: dict, trainee: str, **kw: Any) -> SessionRecord:
        """From ``vasim practice --json`` output (DESIGN.md), e.g. a call imported from a file."""
        if not isinstance(result, dict) or not isinstance(result.get("scorecard"), dict):
            raise UserError("practice result has no scorecard; expected `vasim practice --json` output")
        turns = tuple(dict(t) for t in result.get("turns") or ())
        rec = result.get("recording")
        extra = {k: v for k, v in kw.items() if v is not None}
        return cls(
            trainee=trainee,
            scenario=str(result.get("scenario") or result["scorecard"].get("scenario")),
            scorecard=result["scorecard"],
            session_id=str(result.get("session_id") or new_id()),
            turns=turns,
            latency=result.get("latency"),
            recording=str(rec) if rec else None,
            resolved=result.get("resolved"),
            input=_input_kind(result.get("input")),
            **extra,
        )


INPUT_KINDS = ("voice", "typed")


def _input_kind(value: Any) -> str:
    """The practice result's ``input``: "typed", else a spoken call (older results say nothing)."""
    return "typed" if value == "typed" else "voice"


def derive_resolved(scorecard: dict) -> bool:
    """First-call resolution of a simulated call: handled in this one call, with no blocker
    and the right escalation (a correct transfer or routing counts as resolved; a call that
    would need a call-back to fix counts as not resolved)."""
    esc = scorecard.get("escalation") or {}
    return bool(scorecard.get("passed")) and esc.get("correct") is not False and not scorecard.get("blockers")


@dataclass(frozen=True)
class Override:
    id: str
    session_id: str
    dimension: str
    old: int
    new: int
    reason: str
    who: str
    at: str


@dataclass(frozen=True)
class StoredSession:
    """A session read back: the auto scores, the overrides and the effective scores."""

    session_id: str
    trainee: str
    cohort: str | None
    scenario: str
    started_at: str
    passed: bool
    escalation_expected: str | None
    escalation_correct: bool | None
    resolved: bool
    latency_median_s: float | None
    latency_max_s: float | None
    voice_to_voice_p50_ms: float | None
    recording: str | None
    run_id: str | None
    position: int | None
    source: str
    scorecard: dict
    latency: dict | None
    auto_scores: dict[str, int]
    scores: dict[str, int]  # effective: the latest override, else the automatic score
    overrides: tuple[Override, ...] = ()
    turns: tuple[dict, ...] = ()
    input: str = "voice"  # "voice" | "typed" (its own column since schema 5)

    @property
    def blockers(self) -> list[str]:
        return [b.get("id", "?") for b in self.scorecard.get("blockers") or []]

    def mean_score(self) -> float:
        vals = [self.scores[d] for d in DIMENSIONS if d in self.scores]
        return sum(vals) / len(vals) if vals else 0.0

    @property
    def typed(self) -> bool:
        """A typed call (``--text``): its timings say nothing about speaking."""
        return self.input == "typed"

    @property
    def response_latency_s(self) -> float | None:
        """The trainee's median response time, or None for typed calls (never measured)."""
        return None if self.typed else self.latency_median_s


@dataclass(frozen=True)
class Review:
    id: str
    session_id: str
    reviewer: str
    created_at: str
    scores: dict[str, int]
    notes: dict[str, str]  # dimension -> note, and "" -> the overall note
    sample_id: int | None = None


@dataclass(frozen=True)
class Sample:
    id: int
    cohort: str
    n: int
    seed: int
    created_at: str
    created_by: str
    session_ids: tuple[str, ...]


@dataclass(frozen=True)
class Run:
    id: str
    assessment: str
    digest: str
    trainee: str
    cohort: str | None
    seed: int
    status: str  # running | done | abandoned
    started_at: str
    finished_at: str | None
    hide_scores: bool
    result: dict | None


@dataclass(frozen=True)
class PurgeResult:
    session_ids: tuple[str, ...]
    recordings: tuple[str, ...]  # audio paths the caller should delete
    rows: int


@dataclass(frozen=True)
class VerifyResult:
    checked: int  # chain entries checked
    rows: int  # stored rows compared with their hashes
    problems: tuple[str, ...]
    head: str  # the last chain hash (write it down to detect a cut-off tail later)

    @property
    def ok(self) -> bool:
        return not self.problems


# ---------------------------------------------------------------------------------------------
# the interface


class Store(abc.ABC):
    """Everything the rest of va-simulator may do with stored results."""

    location: str

    # people
    @abc.abstractmethod
    def add_trainee(self, name: str, cohort: str | None = None) -> None: ...
    @abc.abstractmethod
    def require_trainee(self, name: str) -> None: ...
    @abc.abstractmethod
    def require_cohort(self, name: str) -> None: ...
    @abc.abstractmethod
    def trainees(self, cohort: str | None = None) -> list[str]: ...
    @abc.abstractmethod
    def cohorts(self) -> list[str]: ...

    # assessments
    @abc.abstractmethod
    def save_assessment(self, name: str, title: str, spec: dict, digest: str) -> None: ...
    @abc.abstractmethod
    def require_assessment(self, name: str) -> None: ...
    @abc.abstractmethod
    def open_run(self, assessment: str, trainee: str) -> Run | None: ...
    @abc.abstractmethod
    def start_run(
        self, assessment: str, digest: str, trainee: str, cohort: str | None, seed: int, hide_scores: bool
    ) -> Run: ...
    @abc.abstractmethod
    def finish_run(self, run_id: str, result: dict) -> None: ...
    @abc.abstractmethod
    def abandon_run(self, run_id: str) -> None: ...
    @abc.abstractmethod
    def runs(self, trainee: str | None = None, assessment: str | None = None) -> list[Run]: ...

    # sessions
    @abc.abstractmethod
    def add_session(self, rec: SessionRecord) -> str: ...
    @abc.abstractmethod
    def sessions(
        self,
        *,
        trainee: str | None = None,
        cohort: str | None = None,
        scenario: str | None = None,
        run_id: str | None = None,
        ids: list[str] | None = None,
        with_turns: bool = False,
    ) -> list[StoredSession]: ...
    @abc.abstractmethod
    def session(self, ref: str, with_turns: bool = True) -> StoredSession: ...

    # review
    @abc.abstractmethod
    def add_sample(self, cohort: str, n: int, seed: int, session_ids: list[str], by: str) -> Sample: ...
    @abc.abstractmethod
    def samples(self, cohort: str | None = None) -> list[Sample]: ...
    @abc.abstractmethod
    def add_review(
        self,
        session_id: str,
        reviewer: str,
        scores: dict[str, int],
        notes: dict[str, str],
        sample_id: int | None = None,
    ) -> Review: ...
    @abc.abstractmethod
    def reviews(self, session_ids: list[str] | None = None) -> list[Review]: ...
    @abc.abstractmethod
    def add_override(self, session_id: str, dimension: str, new: int, reason: str, who: str) -> Override: ...

    # records
    @abc.abstractmethod
    def purge_trainee(self, name: str) -> PurgeResult: ...
    @abc.abstractmethod
    def purge_expired(self, years: int, now: dt.datetime | None = None) -> PurgeResult: ...
    @abc.abstractmethod
    def get_setting(self, key: str, default: str | None = None) -> str | None: ...
    @abc.abstractmethod
    def set_setting(self, key: str, value: str) -> None: ...
    @abc.abstractmethod
    def verify(self) -> VerifyResult: ...
    @abc.abstractmethod
    def backup(self, dest: Path) -> Path: ...
    @abc.abstractmethod
    def close(self) -> None: ...

    def retention_years(self) -> int:
        value = self.get_setting("retention_years")
        return int(value) if value else DEFAULT_RETENTION_YEARS

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def default_path() -> Path:
    """``$VASIM_DB`` or ``data_dir()/results.db``."""
    env = os.environ.get("VASIM_DB")
    return Path(env) if env else paths.data_dir() / DB_NAME


def open_store(location: str | Path | None = None, **kw: Any) -> Store:
    """The store at ``location``: a file path (SQLite, the default) or a server URL later."""
    loc = str(location) if location else ""
    if loc.startswith(("postgres://", "postgresql://")):
        raise UserError(
            f"{loc.split('@')[-1]}: a PostgreSQL results store is not available in this version; use a SQLite file path"
        )
    return SqliteStore(Path(loc) if loc else default_path(), **kw)


# ---------------------------------------------------------------------------------------------
# migrations: (version, name, step). A step is SQL or a function of the connection.


# ---------------------------------------------------------------------------------------------
# row content for the hash chain (the same functions serve writing and verifying)


# ---------------------------------------------------------------------------------------------
# SQLite


def _db_error(exc: BaseException, path: Path) -> Exception:
    """One clear line for a database failure. Nothing was written: the transaction rolled back."""
    msg = str(exc)
    code = getattr(exc, "sqlite_errorcode", None)
    low = msg.lower()
    if code in (5, 6) or "locked" in low or "busy" in low:
        return UserError(
            f"{path}: the results database is busy (locked by another program); "
            "nothing was changed — wait for it to finish and run the command again"
        )
    if code == 13 or "full" in low:
        return UserError(
            f"{path}: disk full while saving results; nothing was changed — free some space and run the command again"
        )
    if code in (11, 26) or "malformed" in low or "not a database" in low or "corrupt" in low:
        return UserError(
            f"{path}: the results database is damaged ({msg}); it was left untouched — "
            "restore a copy made with `vasim backup`, or move the file aside to start a new one"
        )
    if code in (8, 14) or "readonly" in low or "unable to open" in low or "disk i/o" in low:
        return UserError(
            f"{path}: cannot use the results database ({msg}); check the path, its permissions and free space"
        )
    return RuntimeFailure(f"{path}: results database error: {msg}")


class SqliteStore(Store):
    """The SQLite results store (one file; WAL; safe for several processes at once)."""

    def __init__(
        self,
        path: Path,
        *,
        lock_timeout: float = 30.0,
        busy_ms: int = 2000,
        migrations: list[tuple[int, str, Any]] | None = None,
    ):
        self.path = Path(path)
        self.location = str(self.path)
        self.lock_timeout = lock_timeout
        self._migrations = migrations if migrations is not None else MIGRATIONS
        self._conn: sqlite3.Connection | None = None
        if self.path.is_dir():
            raise UserError(f"{self.path}: is a directory; give the results database file")
        if not self.path.parent.exists():
            paths.private_dir(self.path.parent)
        try:
            if not self.path.exists():  # create it private before SQLite does
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            os.chmod(self.path, 0o600)
        except OSError as exc:
            raise UserError(f"{self.path}: cannot create the results database ({exc.strerror or exc})") from None
        with self._guard():
            conn = sqlite3.connect(self.path, timeout=busy_ms / 1000, isolation_level=None, check_same_thread=False)
            self._conn = conn
            conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
            # reading the schema is where a damaged or foreign file is noticed
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise RuntimeFailure(f"{self.path}: could not switch to WAL mode (got {mode})")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate()

    # -- plumbing --------------------------------------------------------------------------

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except (UserError, RuntimeFailure):
            raise
        except sqlite3.Error as exc:
            raise _db_error(exc, self.path) from None
        except OSError as exc:
            raise _db_error(exc, self.path) from None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeFailure(f"{self.path}: the results store is closed")
        return self._conn

    def _write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``fn`` in one short ``BEGIN IMMEDIATE`` transaction, retrying while busy."""
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.01
        with self._guard():
            while True:
                conn = self.conn
                try:
                    conn.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as exc:
                    if _busy(exc) and time.monotonic() < deadline:
                        time.sleep(delay + random.random() * delay)
                        delay = min(delay * 2, 0.25)
                        continue
                    raise
                try:
                    out = fn(conn)
                    conn.execute("COMMIT")
                    return out
                except BaseException as exc:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                    if isinstance(exc, sqlite3.OperationalError) and _busy(exc) and time.monotonic() < deadline:
                        time.sleep(delay)
                        continue
                    raise

    def _read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        with self._guard():
            return fn(self.conn)

    def _migrate(self) -> None:
        conn = self.conn
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        current = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
        newest = self._migrations[-1][0] if self._migrations else 0
        if current > newest:
            raise UserError(
                f"{self.path}: results database is schema version {current}, newer than this "
                f"va-simulator understands ({newest}); upgrade va-simulator"
            )
        for version, name, step in self._migrations:
            if version <= current:
                continue

            def apply(c: sqlite3.Connection, version=version, name=name, step=step) -> None:
                again = c.execute("SELECT 1 FROM schema_version WHERE version = ?", (version,)).fetchone()
                if again:  # another process migrated while we waited for the lock
                    return
                if callable(step):
                    step(c)
                else:
                    for stmt in _statements(step):
                        c.execute(stmt)
                c.execute(
                    "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)", (version, name, utcnow())
                )

            try:
                self._write(apply)
            except UserError:
                raise
            except RuntimeFailure as exc:
                raise UserError(
                    f"{self.path}: upgrading the results database to version {version} ({name}) failed "
                    f"({str(exc).split(': ')[-1]}); the file was left at version {self.schema_version()}"
                ) from None

    def schema_version(self) -> int:
        return self._read(lambda c: c.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0])

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    # -- people ----------------------------------------------------------------------------

    @staticmethod
    def _trainee_id(c: sqlite3.Connection, name: str, create: bool = False) -> int:
        row = c.execute("SELECT id FROM trainees WHERE name = ?", (name,)).fetchone()
        if row:
            return row[0]
        if not create:
            raise UserError(_unknown("trainee", name, [r[0] for r in c.execute("SELECT name FROM trainees")]))
        new_id = c.execute("INSERT INTO trainees (name, created_at) VALUES (?, ?)", (name, utcnow())).lastrowid
        assert new_id is not None  # set by the INSERT
        return new_id

    @staticmethod
    def _cohort_id(c: sqlite3.Connection, name: str, create: bool = False) -> int:
        row = c.execute("SELECT id FROM cohorts WHERE name = ?", (name,)).fetchone()
        if row:
            return row[0]
        if not create:
            raise UserError(_unknown("cohort", name, [r[0] for r in c.execute("SELECT name FROM cohorts")]))
        new_id = c.execute("INSERT INTO cohorts (name, created_at) VALUES (?, ?)", (name, utcnow())).lastrowid
        assert new_id is not None  # set by the INSERT
        return new_id

    def add_trainee(self, name: str, cohort: str | None = None) -> None:
        _check_name("trainee", name)
        if cohort is not None:
            _check_name("cohort", cohort)

        def fn(c: sqlite3.Connection) -> None:
            tid = self._trainee_id(c, name, create=True)
            if cohort is not None:
                cid = self._cohort_id(c, cohort, create=True)
                c.execute("INSERT OR IGNORE INTO cohort_members (cohort_id, trainee_id) VALUES (?, ?)", (cid, tid))

        self._write(fn)

    def require_trainee(self, name: str) -> None:
        self._read(lambda c: self._trainee_id(c, name))

    def require_cohort(self, name: str) -> None:
        self._read(lambda c: self._cohort_id(c, name))

    def trainees(self, cohort: str | None = None) -> list[str]:
        def fn(c: sqlite3.Connection) -> list[str]:
            if cohort is None:
                return [r[0] for r in c.execute("SELECT name FROM trainees ORDER BY name")]
            cid = self._cohort_id(c, cohort)
            return [
                r[0]
                for r in c.execute(
                    "SELECT t.name FROM trainees t JOIN cohort_members m ON m.trainee_id = t.id WHERE m.cohort_id = ? ORDER BY t.name",
                    (cid,),
                )
            ]

        return self._read(fn)

    def cohorts(self) -> list[str]:
        return self._read(lambda c: [r[0] for r in c.execute("SELECT name FROM cohorts ORDER BY name")])

    # -- assessments -----------------------------------------------------------------------

    def save_assessment(self, name: str, title: str, spec: dict, digest: str) -> None:
        def fn(c: sqlite3.Connection) -> None:
            if c.execute("SELECT 1 FROM assessments WHERE name = ? AND digest = ?", (name, digest)).fetchone():
                return
            aid = c.execute(
                "INSERT INTO assessments (name, title, digest, spec, created_at) VALUES (?, ?, ?, ?, ?)",
                (name, title, digest, canonical(spec), utcnow()),
            ).lastrowid
            _chain_append(c, "assessment", str(aid), _CONTENT["assessment"](c, str(aid)))

        self._write(fn)

    def require_assessment(self, name: str) -> None:
        def fn(c: sqlite3.Connection) -> None:
            if not c.execute("SELECT 1 FROM assessments WHERE name = ?", (name,)).fetchone():
                raise UserError(
                    _unknown("assessment", name, [r[0] for r in c.execute("SELECT DISTINCT name FROM assessments")])
                )

        self._read(fn)

    _RUN_SQL = """SELECT r.id, a.name, a.digest, t.name, co.name, r.seed, r.status, r.started_at, r.finished_at,
                         r.hide_scores, r.result
                  FROM assessment_runs r JOIN assessments a ON a.id = r.assessment_id
                  JOIN trainees t ON t.id = r.trainee_id LEFT JOIN cohorts co ON co.id = r.cohort_id"""

    @staticmethod
    def _run(r: tuple) -> Run:
        return Run(
            id=r[0],
            assessment=r[1],
            digest=r[2],
            trainee=r[3],
            cohort=r[4],
            seed=r[5],
            status=r[6],
            started_at=r[7],
            finished_at=r[8],
            hide_scores=bool(r[9]),
            result=json.loads(r[10]) if r[10] else None,
        )

    def open_run(self, assessment: str, trainee: str) -> Run | None:
        def fn(c: sqlite3.Connection) -> Run | None:
            r = c.execute(
                self._RUN_SQL
                + " WHERE a.name = ? AND t.name = ? AND r.status = 'running' ORDER BY r.started_at DESC LIMIT 1",
                (assessment, trainee),
            ).fetchone()
            return self._run(r) if r else None

        return self._read(fn)

    def start_run(
        self, assessment: str, digest: str, trainee: str, cohort: str | None, seed: int, hide_scores: bool
    ) -> Run:
        _check_name("trainee", trainee)
        run_id = new_id()

        def fn(c: sqlite3.Connection) -> None:
            row = c.execute("SELECT id FROM assessments WHERE name = ? AND digest = ?", (assessment, digest)).fetchone()
            if not row:
                raise UserError(_unknown("assessment", assessment, []))
            tid = self._trainee_id(c, trainee, create=True)
            cid = None
            if cohort is not None:
                cid = self._cohort_id(c, cohort, create=True)
                c.execute("INSERT OR IGNORE INTO cohort_members (cohort_id, trainee_id) VALUES (?, ?)", (cid, tid))
            c.execute(
                "INSERT INTO assessment_runs (id, assessment_id, trainee_id, cohort_id, seed, status, started_at, hide_scores)"
                " VALUES (?, ?, ?, ?, ?, 'running', ?, ?)",
                (run_id, row[0], tid, cid, seed, utcnow(), int(hide_scores)),
            )
            _chain_append(c, "run", run_id, _CONTENT["run"](c, run_id))

        self._write(fn)
        return self._read(lambda c: self._run(c.execute(self._RUN_SQL + " WHERE r.id = ?", (run_id,)).fetchone()))

    def _set_run(self, run_id: str, status: str, result: dict | None) -> None:
        def fn(c: sqlite3.Connection) -> None:
            cur = c.execute(
                "UPDATE assessment_runs SET status = ?, finished_at = ?, result = ? WHERE id = ?",
                (status, utcnow(), canonical(result) if result is not None else None, run_id),
            )
            if cur.rowcount != 1:
                raise UserError(f"no assessment run {run_id}")
            _chain_append(c, "run", run_id, _CONTENT["run"](c, run_id))

        self._write(fn)

    def finish_run(self, run_id: str, result: dict) -> None:
        self._set_run(run_id, "done", result)

    def abandon_run(self, run_id: str) -> None:
        self._set_run(run_id, "abandoned", None)

    def runs(self, trainee: str | None = None, assessment: str | None = None) -> list[Run]:
        def fn(c: sqlite3.Connection) -> list[Run]:
            where: list[str] = []
            args: list[str] = []
            if trainee is not None:
                self._trainee_id(c, trainee)
                where.append("t.name = ?")
                args.append(trainee)
            if assessment is not None:
                where.append("a.name = ?")
                args.append(assessment)
            sql = self._RUN_SQL + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY r.started_at, r.rowid"
            return [self._run(r) for r in c.execute(sql, args)]

        return self._read(fn)

    # -- sessions --------------------------------------------------------------------------

    def add_session(self, rec: SessionRecord) -> str:
        _check_name("trainee", rec.trainee)
        card = rec.scorecard if isinstance(rec.scorecard, dict) else {}
        dims = card.get("dimensions") or {}
        scores: dict[str, int] = {}
        for d in DIMENSIONS:
            s = (dims.get(d) or {}).get("score") if isinstance(dims.get(d), dict) else None
            if s is None:
                continue
            if not isinstance(s, int) or isinstance(s, bool) or not 1 <= s <= 5:
                raise UserError(
                    f"session {rec.session_id}: scorecard dimensions.{d}.score must be an integer 1-5, got {s!r}"
                )
            scores[d] = s
        esc = card.get("escalation") or {}
        timing = (card.get("timing") or {}).get("response_latency_s") or {}
        v2v = ((rec.latency or {}).get("voice_to_voice_ms") or {}).get("p50")
        resolved = rec.resolved if rec.resolved is not None else derive_resolved(card)

        def fn(c: sqlite3.Connection) -> None:
            tid = self._trainee_id(c, rec.trainee, create=True)
            cid = None
            if rec.cohort is not None:
                cid = self._cohort_id(c, rec.cohort, create=True)
                c.execute("INSERT OR IGNORE INTO cohort_members (cohort_id, trainee_id) VALUES (?, ?)", (cid, tid))
            if c.execute("SELECT 1 FROM sessions WHERE id = ?", (rec.session_id,)).fetchone():
                raise UserError(f"session {rec.session_id} is already stored")
            c.execute(
                "INSERT INTO sessions (id, trainee_id, cohort_id, scenario, started_at, passed, escalation_expected,"
                " escalation_correct, resolved, latency_median_s, latency_max_s, recording, source, scorecard, latency,"
                " run_id, position, voice_to_voice_p50_ms, input) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rec.session_id,
                    tid,
                    cid,
                    rec.scenario,
                    rec.started_at,
                    int(bool(card.get("passed"))),
                    esc.get("expected"),
                    None if esc.get("correct") is None else int(bool(esc.get("correct"))),
                    int(bool(resolved)),
                    _num(timing.get("median")),
                    _num(timing.get("max")),
                    rec.recording,
                    rec.source,
                    canonical(card),
                    canonical(rec.latency) if rec.latency is not None else None,
                    rec.run_id,
                    rec.position,
                    _num(v2v),
                    _input_kind(rec.input),
                ),
            )
            for i, t in enumerate(rec.turns):
                c.execute(
                    'INSERT INTO turns (session_id, idx, speaker, text, start, "end") VALUES (?, ?, ?, ?, ?, ?)',
                    (
                        rec.session_id,
                        i,
                        str(t.get("speaker", "")),
                        str(t.get("text", "")),
                        _num(t.get("start")),
                        _num(t.get("end")),
                    ),
                )
            for d, s in scores.items():
                c.execute("INSERT INTO scores (session_id, dimension, score) VALUES (?, ?, ?)", (rec.session_id, d, s))
            _chain_append(c, "session", rec.session_id, _session_content(c, rec.session_id))

        self._write(fn)
        return rec.session_id

    _SESSION_SQL = """SELECT s.id, t.name, co.name, s.scenario, s.started_at, s.passed, s.escalation_expected,
                             s.escalation_correct, s.resolved, s.latency_median_s, s.latency_max_s, s.voice_to_voice_p50_ms,
                             s.recording, s.run_id, s.position, s.source, s.scorecard, s.latency, s.input
                      FROM sessions s JOIN trainees t ON t.id = s.trainee_id LEFT JOIN cohorts co ON co.id = s.cohort_id"""

    def sessions(
        self,
        *,
        trainee: str | None = None,
        cohort: str | None = None,
        scenario: str | None = None,
        run_id: str | None = None,
        ids: list[str] | None = None,
        with_turns: bool = False,
    ) -> list[StoredSession]:
        def fn(c: sqlite3.Connection) -> list[StoredSession]:
            where: list[str] = []
            args: list[int | str] = []
            if trainee is not None:
                where.append("s.trainee_id = ?")
                args.append(self._trainee_id(c, trainee))
            if cohort is not None:
                # a cohort's sessions: those taken in the cohort, and members' sessions taken outside any cohort
                cid = self._cohort_id(c, cohort)
                where.append(
                    "(s.cohort_id = ? OR (s.cohort_id IS NULL AND s.trainee_id IN "
                    "(SELECT trainee_id FROM cohort_members WHERE cohort_id = ?)))"
                )
                args += [cid, cid]
            if scenario is not None:
                where.append("s.scenario = ?")
                args.append(scenario)
            if run_id is not None:
                where.append("s.run_id = ?")
                args.append(run_id)
            if ids is not None:
                if not ids:
                    return []
                where.append(f"s.id IN ({','.join('?' * len(ids))})")
                args.extend(ids)
            sql = (
                self._SESSION_SQL
                + (" WHERE " + " AND ".join(where) if where else "")
                + " ORDER BY s.started_at, s.rowid"
            )
            rows = c.execute(sql, args).fetchall()
            return [self._session(c, r, with_turns) for r in rows]

        return self._read(fn)

    def session(self, ref: str, with_turns: bool = True) -> StoredSession:
        def fn(c: sqlite3.Connection) -> StoredSession:
            rows = c.execute(self._SESSION_SQL + " WHERE s.id = ?", (ref,)).fetchall()
            if not rows and len(ref) >= 4:
                rows = c.execute(
                    self._SESSION_SQL + " WHERE s.id LIKE ? ESCAPE '\\' LIMIT 2",
                    (ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",),
                ).fetchall()
            if not rows:
                raise UserError(f"no stored session '{ref}' (`vasim report trainee NAME` lists a trainee's sessions)")
            if len(rows) > 1:
                raise UserError(f"session '{ref}' is ambiguous; give more characters of its id")
            return self._session(c, rows[0], with_turns)

        return self._read(fn)

    @staticmethod
    def _session(c: sqlite3.Connection, r: tuple, with_turns: bool) -> StoredSession:
        sid = r[0]
        auto = dict(c.execute("SELECT dimension, score FROM scores WHERE session_id = ?", (sid,)).fetchall())
        ovs = tuple(
            Override(*o)
            for o in c.execute(
                "SELECT id, session_id, dimension, old, new, reason, who, at FROM overrides WHERE session_id = ? ORDER BY at, rowid",
                (sid,),
            )
        )
        eff = dict(auto)
        for o in ovs:
            eff[o.dimension] = o.new
        turns: tuple[dict, ...] = ()
        if with_turns:
            turns = tuple(
                {"speaker": t[0], "text": t[1], "start": t[2], "end": t[3]}
                for t in c.execute(
                    'SELECT speaker, text, start, "end" FROM turns WHERE session_id = ? ORDER BY idx', (sid,)
                )
            )
        return StoredSession(
            session_id=sid,
            trainee=r[1],
            cohort=r[2],
            scenario=r[3],
            started_at=r[4],
            passed=bool(r[5]),
            escalation_expected=r[6],
            escalation_correct=None if r[7] is None else bool(r[7]),
            resolved=bool(r[8]),
            latency_median_s=r[9],
            latency_max_s=r[10],
            voice_to_voice_p50_ms=r[11],
            recording=r[12],
            run_id=r[13],
            position=r[14],
            source=r[15],
            scorecard=json.loads(r[16]),
            latency=json.loads(r[17]) if r[17] else None,
            input=r[18],
            auto_scores=auto,
            scores=eff,
            overrides=ovs,
            turns=turns,
        )

    # -- review ----------------------------------------------------------------------------

    def add_sample(self, cohort: str, n: int, seed: int, session_ids: list[str], by: str) -> Sample:
        def fn(c: sqlite3.Connection) -> int:
            cid = self._cohort_id(c, cohort)
            sid = c.execute(
                "INSERT INTO samples (cohort_id, n, seed, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
                (cid, n, seed, utcnow(), by),
            ).lastrowid
            assert sid is not None  # set by the INSERT
            for i, s in enumerate(session_ids):
                c.execute("INSERT INTO sample_items (sample_id, session_id, position) VALUES (?, ?, ?)", (sid, s, i))
            _chain_append(c, "sample", str(sid), _CONTENT["sample"](c, str(sid)))
            return sid

        sample_id = self._write(fn)
        return next(s for s in self.samples(cohort) if s.id == sample_id)

    def samples(self, cohort: str | None = None) -> list[Sample]:
        def fn(c: sqlite3.Connection) -> list[Sample]:
            args: list = []
            sql = "SELECT s.id, co.name, s.n, s.seed, s.created_at, s.created_by FROM samples s JOIN cohorts co ON co.id = s.cohort_id"
            if cohort is not None:
                sql += " WHERE s.cohort_id = ?"
                args.append(self._cohort_id(c, cohort))
            out = []
            for r in c.execute(sql + " ORDER BY s.id", args).fetchall():
                items = tuple(
                    x[0]
                    for x in c.execute(
                        "SELECT session_id FROM sample_items WHERE sample_id = ? ORDER BY position", (r[0],)
                    )
                )
                out.append(Sample(r[0], r[1], r[2], r[3], r[4], r[5], session_ids=items))
            return out

        return self._read(fn)

    def add_review(
        self,
        session_id: str,
        reviewer: str,
        scores: dict[str, int],
        notes: dict[str, str],
        sample_id: int | None = None,
    ) -> Review:
        for d, s in scores.items():
            if d not in DIMENSIONS:
                raise UserError(f"unknown dimension '{d}'; use one of {', '.join(DIMENSIONS)}")
            if not isinstance(s, int) or isinstance(s, bool) or not 1 <= s <= 5:
                raise UserError(f"{d}: a review score must be a whole number 1-5, got {s!r}")
        if not scores:
            raise UserError("a review needs at least one dimension score (1-5)")
        if not reviewer.strip():
            raise UserError("a review needs the reviewer's name (--reviewer)")
        rid = new_id()
        at = utcnow()

        def fn(c: sqlite3.Connection) -> None:
            if not c.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone():
                raise UserError(f"no stored session '{session_id}'")
            c.execute(
                "INSERT INTO reviews (id, session_id, reviewer, created_at, sample_id, greeting, empathy, accuracy,"
                " escalation, closing, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rid, session_id, reviewer, at, sample_id, *(scores.get(d) for d in DIMENSIONS), canonical(notes)),
            )
            _chain_append(c, "review", rid, _CONTENT["review"](c, rid))

        self._write(fn)
        return Review(rid, session_id, reviewer, at, dict(scores), dict(notes), sample_id)

    def reviews(self, session_ids: list[str] | None = None) -> list[Review]:
        def fn(c: sqlite3.Connection) -> list[Review]:
            sql = f"SELECT id, session_id, reviewer, created_at, sample_id, {', '.join(DIMENSIONS)}, notes FROM reviews"
            args: list = []
            if session_ids is not None:
                if not session_ids:
                    return []
                sql += f" WHERE session_id IN ({','.join('?' * len(session_ids))})"
                args = list(session_ids)
            out = []
            for r in c.execute(sql + " ORDER BY created_at, rowid", args):
                scores = {d: v for d, v in zip(DIMENSIONS, r[5:10]) if v is not None}
                out.append(Review(r[0], r[1], r[2], r[3], scores, json.loads(r[10]), r[4]))
            return out

        return self._read(fn)

    def add_override(self, session_id: str, dimension: str, new: int, reason: str, who: str) -> Override:
        if dimension not in DIMENSIONS:
            raise UserError(f"unknown dimension '{dimension}'; use one of {', '.join(DIMENSIONS)}")
        if not isinstance(new, int) or isinstance(new, bool) or not 1 <= new <= 5:
            raise UserError(f"{dimension}: the new score must be a whole number 1-5, got {new!r}")
        if not reason or not reason.strip():
            raise UserError("an override needs a reason (--reason \"...\"); it is kept in the audit trail")
        if not who.strip():
            raise UserError("an override needs the trainer's name (--by)")
        oid, at = new_id(), utcnow()

        def fn(c: sqlite3.Connection) -> Override:
            if not c.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone():
                raise UserError(f"no stored session '{session_id}'")
            last = c.execute(
                "SELECT new FROM overrides WHERE session_id = ? AND dimension = ? ORDER BY at DESC, rowid DESC LIMIT 1",
                (session_id, dimension),
            ).fetchone()
            if last is None:
                last = c.execute(
                    "SELECT score FROM scores WHERE session_id = ? AND dimension = ?", (session_id, dimension)
                ).fetchone()
            if last is None:
                raise UserError(f"session {short_id(session_id)} has no automatic {dimension} score to override")
            c.execute(
                "INSERT INTO overrides (id, session_id, dimension, old, new, reason, who, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (oid, session_id, dimension, last[0], new, reason.strip(), who, at),
            )
            _chain_append(c, "override", oid, _CONTENT["override"](c, oid))
            return Override(oid, session_id, dimension, last[0], new, reason.strip(), who, at)

        return self._write(fn)

    # -- records ---------------------------------------------------------------------------

    def _purge_sessions(self, c: sqlite3.Connection, sids: list[str]) -> tuple[list[str], list[str], int]:
        keys: list[str] = []
        recordings: list[str] = []
        rows = 0
        for sid in sids:
            keys.append(f"session:{sid}")
            keys += [f"review:{r[0]}" for r in c.execute("SELECT id FROM reviews WHERE session_id = ?", (sid,))]
            keys += [f"override:{r[0]}" for r in c.execute("SELECT id FROM overrides WHERE session_id = ?", (sid,))]
            rec = c.execute("SELECT recording FROM sessions WHERE id = ?", (sid,)).fetchone()
            if rec and rec[0]:
                recordings.append(rec[0])
            for table in ("turns", "scores", "reviews", "overrides", "sample_items"):
                rows += c.execute(f"DELETE FROM {table} WHERE session_id = ?", (sid,)).rowcount
            rows += c.execute("DELETE FROM sessions WHERE id = ?", (sid,)).rowcount
        return keys, recordings, rows

    @staticmethod
    def _log_purge(c: sqlite3.Connection, reason: str, keys: list[str]) -> None:
        pid = new_id()
        c.execute(
            "INSERT INTO purges (id, at, reason, keys) VALUES (?, ?, ?, ?)", (pid, utcnow(), reason, canonical(keys))
        )
        _chain_append(c, "purge", pid, _CONTENT["purge"](c, pid))

    def purge_trainee(self, name: str) -> PurgeResult:
        def fn(c: sqlite3.Connection) -> PurgeResult:
            tid = self._trainee_id(c, name)
            sids = [r[0] for r in c.execute("SELECT id FROM sessions WHERE trainee_id = ? ORDER BY rowid", (tid,))]
            keys, recordings, rows = self._purge_sessions(c, sids)
            for (rid,) in c.execute("SELECT id FROM assessment_runs WHERE trainee_id = ?", (tid,)).fetchall():
                keys.append(f"run:{rid}")
            rows += c.execute("DELETE FROM assessment_runs WHERE trainee_id = ?", (tid,)).rowcount
            rows += c.execute("DELETE FROM cohort_members WHERE trainee_id = ?", (tid,)).rowcount
            rows += c.execute("DELETE FROM trainees WHERE id = ?", (tid,)).rowcount
            # the chain keeps opaque ids only, never the trainee's name
            self._log_purge(c, "on request", keys)
            return PurgeResult(tuple(sids), tuple(recordings), rows)

        return self._write(fn)

    def purge_expired(self, years: int, now: dt.datetime | None = None) -> PurgeResult:
        if years < 1:
            raise UserError("the retention period must be at least 1 year")
        now = now or dt.datetime.now(dt.UTC)
        try:
            cutoff = now.replace(year=now.year - years)
        except ValueError:  # 29 February
            cutoff = now.replace(year=now.year - years, day=28)
        cut = cutoff.isoformat(timespec="seconds")

        def fn(c: sqlite3.Connection) -> PurgeResult:
            sids = [r[0] for r in c.execute("SELECT id FROM sessions WHERE started_at < ? ORDER BY rowid", (cut,))]
            keys, recordings, rows = self._purge_sessions(c, sids)
            old_runs = [
                r[0]
                for r in c.execute(
                    "SELECT id FROM assessment_runs r WHERE started_at < ? AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.run_id = r.id)",
                    (cut,),
                )
            ]
            for rid in old_runs:
                keys.append(f"run:{rid}")
                rows += c.execute("DELETE FROM assessment_runs WHERE id = ?", (rid,)).rowcount
            if keys:
                self._log_purge(c, f"retention {years} years (started before {cut})", keys)
            return PurgeResult(tuple(sids), tuple(recordings), rows)

        return self._write(fn)

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        row = self._read(lambda c: c.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone())
        return row[0] if row else default

    def set_setting(self, key: str, value: str) -> None:
        self._write(
            lambda c: c.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
        )

    def verify(self) -> VerifyResult:
        def fn(c: sqlite3.Connection) -> VerifyResult:
            problems: list[str] = []
            prev, expect_seq = GENESIS, 1
            latest: dict[tuple[str, str], str] = {}
            purged: set[str] = set()
            entries = c.execute("SELECT seq, kind, key, content, prev, hash FROM chain ORDER BY seq").fetchall()
            for seq, kind, key, content, eprev, ehash in entries:
                if seq != expect_seq:
                    problems.append(f"chain: entries {expect_seq}..{seq - 1} are missing (deleted outside vasim)")
                if eprev != prev:
                    problems.append(f"chain: entry {seq} does not follow entry {seq - 1} (the chain was edited)")
                if _chain_hash(seq, kind, key, content, eprev) != ehash:
                    problems.append(f"chain: entry {seq} ({kind}) has been altered")
                prev, expect_seq = ehash, seq + 1
                latest[(kind, key)] = content
            for (keys,) in c.execute("SELECT keys FROM purges").fetchall():
                purged.update(json.loads(keys))
            rows = 0
            for (kind, key), content in latest.items():
                current = _CONTENT[kind](c, key)
                if current is None:
                    if f"{kind}:{key}" not in purged:
                        problems.append(f"{kind} {short_id(key)}: deleted outside vasim")
                    continue
                rows += 1
                if sha256(canonical(current)) != content:
                    problems.append(
                        f"{kind} {short_id(key)}: changed outside vasim (its content no longer matches the stored hash)"
                    )
            for kind in _TABLE:
                for key in _ROW_KEYS[kind](c):
                    if (kind, key) not in latest:
                        problems.append(f"{kind} {short_id(key)}: added outside vasim (not in the hash chain)")
            return VerifyResult(len(entries), rows, tuple(problems), prev)

        return self._read(fn)

    def backup(self, dest: Path) -> Path:
        raw = str(dest)
        dest = Path(dest)
        if not dest.exists() and (raw.endswith(("/", os.sep)) or not dest.suffix):
            # "backups/" or "backups": a folder to keep dated copies in, not a file named so
            try:
                dest.mkdir(mode=0o700, parents=True)
            except OSError as exc:
                raise UserError(f"{dest}: cannot create the backup folder ({exc.strerror or exc})") from None
        if dest.is_dir():
            dest = dest / f"results-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.db"
        if dest.exists():
            raise UserError(f"{dest}: already exists; choose a new file name")
        if not dest.parent.exists():
            raise UserError(f"{dest.parent}: no such directory")
        try:
            os.close(os.open(dest, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
        except OSError as exc:
            raise UserError(f"{dest}: cannot write the backup ({exc.strerror or exc})") from None
        try:
            with self._guard():
                target = sqlite3.connect(dest)
                try:
                    self.conn.backup(target)
                finally:
                    target.close()
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
        return dest


def _busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code in (5, 6) or "locked" in str(exc).lower() or "busy" in str(exc).lower()


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _check_name(what: str, name: str) -> None:
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or any(ch in name for ch in "\n\r\t\x00"):
        raise UserError(f"invalid {what} name {name!r}: use a short name on one line")


check_name = _check_name  # for commands that validate a name before doing long work


def _unknown(what: str, name: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, known, n=1)
    hint = (
        f"; did you mean '{close[0]}'?"
        if close
        else (f" (known: {', '.join(sorted(known)[:8])})" if known else f" (no {what}s stored yet)")
    )
    return f"unknown {what} '{name}'{hint}"


def trainee_spoke(result: CallResult) -> bool:
    """Whether the trainee said anything in the call (an empty call is never stored as a result)."""
    return any(t.speaker == "trainee" and t.text.strip() for t in result.turns)


def save_practice(store: Store, result: CallResult, trainee: str, cohort: str | None = None) -> str | None:
    """Store a finished practice call as practice, not an assessment attempt; returns its
    session id, or None when the trainee said nothing."""
    if not isinstance(result.scorecard, dict) or not trainee_spoke(result):
        return None
    return store.add_session(SessionRecord.from_result(result, trainee, cohort=cohort, source="practice"))
