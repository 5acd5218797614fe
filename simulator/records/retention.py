"""Training records: export a trainee's records, purge them on request, expire old ones.

The seed guide keeps training documentation for six years; that is the default
retention here (``vasim records retention --years N`` changes it). A trainee may ask
for their records (:func:`export_trainee`: one zip with JSON and the call audio) or
for them to be deleted (:func:`purge_trainee`: rows and audio, recorded in the hash
chain as a deletion made by the tool).

Audio lives in the user's private data directory (``data_dir()/sessions/<id>/``: the
session journal and FLAC recording written by the practice loop). Only files inside
the data directory are ever deleted.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from simulator import paths
from simulator.errors import UserError
from simulator.fsutil import atomic_open
from simulator.records.store import PurgeResult, Store, StoredSession


def session_dir(session_id: str) -> Path:
    """Where the practice loop keeps a session's journal and audio."""
    return paths.data_dir() / "sessions" / session_id


def _session_files(s: StoredSession) -> tuple[list[tuple[Path, str]], list[str]]:
    """(file, name in the archive) for a session's journal and audio, and the audio that is missing.

    The practice loop's ``recording`` is the session directory; each journal turn names its
    FLAC file. A directory that is gone, or a turn whose FLAC is gone, counts as missing audio.
    """
    files: list[tuple[Path, str]] = []
    missing: list[str] = []
    rec = Path(s.recording) if s.recording else None
    d = rec if rec is not None and (rec.is_dir() or not rec.suffix) else session_dir(s.session_id)
    seen: set[Path] = set()
    if d.is_dir():
        for f in sorted(d.rglob("*")):
            if f.is_file():
                files.append((f, f"sessions/{s.session_id}/{f.relative_to(d)}"))
                seen.add(f.resolve())
        journal = d / "journal.jsonl"
        if journal.is_file():
            for line in journal.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a crash
                name = entry.get("audio") if isinstance(entry, dict) and entry.get("type") == "turn" else None
                if name and not (d / name).is_file():
                    missing.append(str(d / name))
    elif rec is not None and rec == d:
        missing.append(str(d))
    if rec is not None and rec != d:
        if not rec.is_file():
            missing.append(str(rec))
        elif rec.resolve() not in seen:
            files.append((rec, f"sessions/{s.session_id}/{rec.name}"))
    return files, missing


def _session_json(s: StoredSession, reviews: list) -> dict:
    return {
        "session_id": s.session_id,
        "scenario": s.scenario,
        "cohort": s.cohort,
        "started_at": s.started_at,
        "source": s.source,
        "run_id": s.run_id,
        "position": s.position,
        "passed": s.passed,
        "scores": s.scores,
        "automatic_scores": s.auto_scores,
        "overrides": [o.__dict__ for o in s.overrides],
        "reviews": [r.__dict__ for r in reviews if r.session_id == s.session_id],
        "scorecard": s.scorecard,
        "latency": s.latency,
        "turns": list(s.turns),
        "recording": s.recording,
    }


@dataclass(frozen=True)
class ExportResult:
    path: Path
    sessions: int
    files: int
    missing_audio: tuple[str, ...]


def export_trainee(
    store: Store, trainee: str, out: Path | None = None, allow_missing_audio: bool = False
) -> ExportResult:
    """Write one zip: ``manifest.json``, ``records.json`` and each session's journal and audio."""
    store.require_trainee(trainee)
    sessions = store.sessions(trainee=trainee, with_turns=True)
    reviews = store.reviews([s.session_id for s in sessions])
    runs = store.runs(trainee=trainee)
    files: list[tuple[Path, str]] = []
    missing: list[str] = []
    for s in sessions:
        s_files, s_missing = _session_files(s)
        files += s_files
        missing += s_missing
    if missing and not allow_missing_audio:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise UserError(
            f"{missing[0]}: audio file of a stored session is missing{more}; "
            "nothing was written — restore it, or pass --allow-missing-audio to export without it"
        )
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in trainee)
    out = Path(out) if out else Path.cwd() / f"vasim-records-{safe}-{stamp}.zip"
    if out.is_dir():
        out = out / f"vasim-records-{safe}-{stamp}.zip"
    if not out.parent.exists():
        raise UserError(f"{out.parent}: no such directory")
    if out.exists():
        raise UserError(f"{out}: already exists; choose another file name")
    records = {
        "trainee": trainee,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "retention_years": store.retention_years(),
        "assessments": [r.__dict__ for r in runs],
        "sessions": [_session_json(s, reviews) for s in sessions],
    }
    manifest = {
        "format": "va-simulator records export",
        "version": 1,
        "trainee": trainee,
        "sessions": len(sessions),
        "files": [name for _, name in files],
        "missing_audio": missing,
    }
    try:
        with atomic_open(out) as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("manifest.json", json.dumps(manifest, indent=2))
            z.writestr("records.json", json.dumps(records, indent=2, default=str))
            for f, name in files:
                try:
                    stored = f.suffix.lower() in (".flac", ".ogg", ".mp3")  # already compressed
                    z.write(f, name, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
                except FileNotFoundError:
                    raise UserError(f"{f}: audio file disappeared while exporting; nothing was written") from None
    except OSError as exc:
        raise UserError(f"{out}: cannot write the export ({exc.strerror or exc}); nothing was written") from None
    return ExportResult(out, len(sessions), len(files), tuple(missing))


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def delete_audio(result: PurgeResult) -> tuple[int, list[str]]:
    """Remove the purged sessions' directories and recordings (inside the data dir only)."""
    root = paths.data_dir()
    removed, failed = 0, []
    for sid in result.session_ids:
        d = session_dir(sid)
        if d.is_dir() and _inside(d, root):
            try:
                shutil.rmtree(d)
                removed += 1
            except OSError as exc:
                failed.append(f"{d}: {exc.strerror or exc}")
    for rec in result.recordings:
        p = Path(rec)
        if not _inside(p, root) or p.resolve() == root.resolve():
            continue
        try:
            if p.is_dir():
                shutil.rmtree(p)
                removed += 1
            elif p.is_file():
                p.unlink()
                removed += 1
        except OSError as exc:
            failed.append(f"{p}: {exc.strerror or exc}")
    return removed, failed


def purge_trainee(store: Store, trainee: str) -> tuple[PurgeResult, int, list[str]]:
    """Delete a trainee's records (rows first, in one transaction), then their audio."""
    result = store.purge_trainee(trainee)
    removed, failed = delete_audio(result)
    return result, removed, failed


def expire(store: Store, now: dt.datetime | None = None) -> tuple[PurgeResult, int, list[str]]:
    """Delete sessions older than the retention period, and their audio."""
    result = store.purge_expired(store.retention_years(), now=now)
    removed, failed = delete_audio(result)
    return result, removed, failed
