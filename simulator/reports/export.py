"""A report written out: CSV (one row per session), JSON (every figure with its counts), and
the private file writer both use (reports hold trainees' results: mode 0600)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from simulator.authoring.catalog import DIMENSIONS
from simulator.errors import UserError
from simulator.fsutil import atomic_write
from simulator.reports.report import Report, session_row


def write_csv(report: Report, path: Path | None) -> str:
    """One row per session; returns the text (also written to ``path`` when given)."""
    buf = io.StringIO()
    rows = [session_row(s) for s in report.sessions]
    fields = (
        list(rows[0])
        if rows
        else ["session_id", "trainee", "cohort", "scenario", "started_at", "source", "passed", *DIMENSIONS]
    )  # a header even when there is nothing yet
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    text = buf.getvalue()
    if path is not None:
        write_private(path, text)
    return text


def to_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, default=str)


def write_private(path: Path, text: str) -> None:
    """Reports hold trainees' results: write them readable by the owner only."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a directory; give a file name")
    if not path.parent.exists():
        raise UserError(f"{path.parent}: no such directory")
    try:
        atomic_write(path, text)
    except OSError as exc:
        raise UserError(f"{path}: cannot write ({exc.strerror or exc})") from None
