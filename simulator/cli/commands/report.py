"""``vasim report trainee|cohort|scenario NAME``: in the terminal, as one HTML file, CSV or JSON."""

from __future__ import annotations

import sys
from pathlib import Path

from simulator.cli.commands.records import add_db_option, store_from


def register(sub) -> None:
    p = sub.add_parser("report", help="results of a trainee, a cohort or a scenario (terminal, HTML, CSV, JSON)")
    rs = p.add_subparsers(dest="report_kind", metavar="KIND", parser_class=type(p))
    for kind, what in (
        ("trainee", "one trainee's sessions and assessments"),
        ("cohort", "every trainee of a cohort against the targets"),
        ("scenario", "one scenario across trainees: who fails it and why"),
    ):
        k = rs.add_parser(kind, help=what)
        k.add_argument("name", help=f"the {kind}'s name" if kind != "scenario" else "scenario id")
        if kind == "scenario":
            k.add_argument("--cohort", help="only this cohort's sessions")
        k.add_argument("--html", type=Path, metavar="FILE", help="write one self-contained HTML file with charts")
        k.add_argument("--csv", type=Path, metavar="FILE", help="write one row per session")
        k.add_argument(
            "--json", nargs="?", const="-", metavar="FILE", help="write the report as JSON (to stdout without FILE)"
        )
        k.add_argument("--target-score", type=float, default=4.0, help="target mean per dimension, 1-5 (default 4)")
        default = (
            "assessment calls only: a cohort is measured on its assessments"
            if kind == "cohort"
            else "both, each labelled"
        )
        k.add_argument(
            "--only",
            choices=("assessment", "practice", "all"),
            help=f"which calls (default: {default}; practice calls are stored with `vasim practice --trainee NAME`)",
        )
        k.add_argument("--quiet", action="store_true", help="no terminal tables (only the files)")
        add_db_option(k)
        k.set_defaults(func=cmd_report, report_kind=kind)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def cmd_report(args) -> int:
    from simulator.console import report_view
    from simulator.errors import UserError
    from simulator.reports import export
    from simulator.reports import html as html_report
    from simulator.reports import report as rp

    if not 1 <= args.target_score <= 5:
        raise UserError("--target-score must be between 1 and 5")
    targets = rp.Targets(dimension_mean=args.target_score)
    with store_from(args) as store:
        only = args.only or ("assessment" if args.report_kind == "cohort" else "all")
        rep = rp.build(
            store,
            args.report_kind,
            args.name,
            targets,
            cohort=getattr(args, "cohort", None),
            only=None if only == "all" else only,
        )
    wrote = []
    if args.html:
        export.write_private(args.html, html_report.render_html(rep))
        wrote.append(str(args.html))
    if args.csv:
        export.write_csv(rep, args.csv)
        wrote.append(str(args.csv))
    if args.json and args.json != "-":
        export.write_private(Path(args.json), export.to_json(rep))
        wrote.append(args.json)
    if args.json == "-":
        sys.stdout.write(export.to_json(rep) + "\n")
    elif not args.quiet:
        report_view.render_terminal(rep)
    for w in wrote:
        print(f"wrote {w}", file=sys.stderr if args.json == "-" else sys.stdout)
    return 0
