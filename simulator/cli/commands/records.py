"""``vasim export|purge|verify|backup|records``: keeping training records honestly.

Records are kept six years by default (``vasim records retention``); a trainee's records
can be exported (zip of JSON and audio) or purged on request; ``vasim verify`` checks the
hash chain over stored results; ``vasim backup`` copies the database safely while in use.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from simulator.errors import UserError


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def add_db_option(p) -> None:
    p.add_argument("--db", metavar="PATH", help="results database (default: $VASIM_DB or DATA_DIR/results.db)")


def store_from(args):
    from simulator.records.store import open_store

    return open_store(getattr(args, "db", None))


def register(sub) -> None:
    e = sub.add_parser("export", help="write a zip of one trainee's records (JSON and call audio)")
    e.add_argument("--trainee", required=True, metavar="NAME")
    e.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE.zip",
        help="archive to write (default: ./vasim-records-NAME-DATE.zip)",
    )
    e.add_argument(
        "--allow-missing-audio",
        action="store_true",
        help="export even if some recordings are missing (listed in the manifest)",
    )
    add_db_option(e)
    e.set_defaults(func=cmd_export)

    p = sub.add_parser("purge", help="delete one trainee's records and audio, on request (asks to confirm)")
    p.add_argument("--trainee", required=True, metavar="NAME")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_db_option(p)
    p.set_defaults(func=cmd_purge)

    v = sub.add_parser("verify", help="check the hash chain: detects results edited, added or deleted outside vasim")
    v.add_argument("--json", action="store_true")
    add_db_option(v)
    v.set_defaults(func=cmd_verify)

    b = sub.add_parser("backup", help="copy the results database safely (SQLite backup, works while in use)")
    b.add_argument("dest", type=Path, help="file to create, or a directory")
    add_db_option(b)
    b.set_defaults(func=cmd_backup)

    r = sub.add_parser("records", help="retention of training records (default 6 years)")
    rs = r.add_subparsers(dest="records_cmd", metavar="ACTION", parser_class=type(r))
    ret = rs.add_parser("retention", help="show or set how many years records are kept")
    ret.add_argument("--years", type=int, help="set the retention period")
    add_db_option(ret)
    ret.set_defaults(func=cmd_retention)
    ex = rs.add_parser("expire", help="delete sessions older than the retention period (asks to confirm)")
    ex.add_argument("--yes", action="store_true")
    add_db_option(ex)
    ex.set_defaults(func=cmd_expire)
    r.set_defaults(func=lambda args: (r.print_help(), 2)[1])


def confirm(prompt: str, expected: str, yes: bool) -> None:
    """Ask the user to type ``expected``; refuse without a terminal unless --yes."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise UserError("this deletes records for good; run it in a terminal to confirm, or pass --yes")
    try:
        answer = input(f"{prompt} Type '{expected}' to confirm: ")
    except EOFError:
        answer = ""
    if answer.strip() != expected:
        raise UserError("not confirmed; nothing was deleted")


def cmd_export(args) -> int:
    from simulator.records.retention import export_trainee

    with store_from(args) as store:
        res = export_trainee(store, args.trainee, args.output, allow_missing_audio=args.allow_missing_audio)
    note = f"; {len(res.missing_audio)} recordings missing (listed in manifest.json)" if res.missing_audio else ""
    print(f"wrote {res.path} ({_n(res.sessions, 'session')}, {_n(res.files, 'audio/journal file')}{note})")
    return 0


def cmd_purge(args) -> int:
    from simulator.records.retention import purge_trainee

    with store_from(args) as store:
        store.require_trainee(args.trainee)
        n = len(store.sessions(trainee=args.trainee))
        confirm(
            f"Delete all records of '{args.trainee}' ({_n(n, 'session')}, their reviews and audio)?",
            args.trainee,
            args.yes,
        )
        res, removed, failed = purge_trainee(store, args.trainee)
    print(
        f"purged '{args.trainee}': {_n(len(res.session_ids), 'session')}, {_n(res.rows, 'row')}, {_n(removed, 'audio item')} deleted"
    )
    for f in failed:
        print(f"vasim: could not delete {f}", file=sys.stderr)
    return 1 if failed else 0


def cmd_verify(args) -> int:
    with store_from(args) as store:
        res = store.verify()
    if args.json:
        print(
            json.dumps(
                {
                    "ok": res.ok,
                    "chain_entries": res.checked,
                    "rows": res.rows,
                    "problems": list(res.problems),
                    "head": res.head,
                }
            )
        )
    elif res.ok:
        print(f"ok: {res.rows} stored results match the hash chain ({res.checked} entries); head {res.head[:16]}")
    else:
        for p in res.problems:
            print(f"vasim: {store.location}: {p}", file=sys.stderr)
    return 0 if res.ok else 2


def cmd_backup(args) -> int:
    with store_from(args) as store:
        dest = store.backup(args.dest)
    print(f"backed up to {dest}")
    return 0


def cmd_retention(args) -> int:
    with store_from(args) as store:
        if args.years is not None:
            if not 1 <= args.years <= 100:
                raise UserError("--years must be between 1 and 100")
            store.set_setting("retention_years", str(args.years))
        print(f"training records are kept {store.retention_years()} years")
    return 0


def cmd_expire(args) -> int:
    from simulator.records.retention import expire

    with store_from(args) as store:
        years = store.retention_years()
        confirm(f"Delete every session older than {years} years?", "expire", args.yes)
        res, removed, failed = expire(store)
    print(
        f"expired {_n(len(res.session_ids), 'session')} older than {_n(years, 'year')} ({_n(removed, 'audio item')} deleted)"
    )
    for f in failed:
        print(f"vasim: could not delete {f}", file=sys.stderr)
    return 1 if failed else 0
