"""``vasim scenario validate|list|show|new|schema|test``: the trainer's tools."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from simulator.authoring import scenario as sc_mod
from simulator.authoring.summary import summary
from simulator.errors import ProblemsError, UserError
from simulator.paths import scenarios_dir


def register(sub) -> None:
    p = sub.add_parser("scenario", help="validate, list, show, create and test scenarios")
    ssub = p.add_subparsers(dest="scenario_cmd", metavar="ACTION", parser_class=type(p))

    v = ssub.add_parser("validate", help="check scenario files; one line per problem, exit 2 if any")
    v.add_argument("paths", nargs="*", type=Path, help="files or directories (default: the library)")
    v.set_defaults(func=cmd_validate)

    ls = ssub.add_parser("list", help="list the scenario library")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)

    sh = ssub.add_parser("show", help="show one scenario (id or path)")
    sh.add_argument("scenario")
    sh.add_argument("--json", action="store_true", help="the parsed scenario as JSON")
    sh.set_defaults(func=cmd_show)

    nw = ssub.add_parser("new", help="write a new scenario file from a template")
    nw.add_argument("id", help="lowercase-with-hyphens, e.g. copay-question")
    nw.add_argument("--title", default="")
    nw.add_argument("--touchpoint", default="general_inquiry")
    nw.add_argument("-o", "--output", type=Path, help="file to write (default: scenarios/ID.yaml)")
    nw.add_argument("--force", action="store_true", help="overwrite an existing file")
    nw.set_defaults(func=cmd_new)

    sc = ssub.add_parser("schema", help="print the JSON Schema of the scenario format (for editors)")
    sc.set_defaults(func=cmd_schema)

    t = ssub.add_parser("test", help="score every scenario's example calls against their expected outcomes")
    t.add_argument("ids", nargs="*", help="scenario ids or paths (default: all)")
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=cmd_test)


def cmd_validate(args) -> int:
    paths = args.paths or [scenarios_dir()]
    scenarios, problems = sc_mod.validate_paths(paths)
    if problems:
        raise ProblemsError(problems)
    print(f"{len(scenarios)} scenario{'s' if len(scenarios) != 1 else ''} valid")
    return 0


def cmd_list(args) -> int:
    scenarios = sc_mod.all_scenarios()
    if args.json:
        json.dump([summary(s) for s in scenarios], sys.stdout, indent=2)
        print()
        return 0
    from rich import box
    from rich.console import Console
    from rich.table import Table

    # The id is what users type (`vasim practice ID`): never wrapped or cut, whatever the
    # terminal width. The title takes what is left and wraps; touchpoint and patient only
    # fit beside it on a wide terminal (`--json` always has every field).
    console = Console()
    wide = console.width >= 120
    table = Table(title=f"{len(scenarios)} scenarios", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("id", no_wrap=True, min_width=max((len(s.id) for s in scenarios), default=2), style="bold")
    cols = ("touchpoint", "difficulty", "escalation", "patient") if wide else ("difficulty", "escalation")
    for col in cols:
        table.add_column(col, overflow="fold")
    table.add_column("title", ratio=1, overflow="fold")
    for s in scenarios:
        cells = {
            "touchpoint": s.touchpoint,
            "difficulty": s.difficulty,
            "escalation": s.escalation,
            "patient": s.patient.name,
        }
        table.add_row(s.id, *(cells[c] for c in cols), s.title)
    console.print(table)
    return 0


def cmd_show(args) -> int:
    s = sc_mod.load(args.scenario)
    if args.json:
        print(s.model_dump_json(indent=2))
        return 0
    from rich.console import Console
    from rich.panel import Panel

    con = Console()
    con.print(
        Panel(
            f"[bold]{s.title}[/]  ({s.id})\n{s.summary}".strip(),
            subtitle=f"{s.touchpoint} · {s.difficulty} · escalation: {s.escalation}",
        )
    )
    con.print(
        f"Caller: [bold]{s.patient.name}[/], born {s.patient.dob:%B %-d, %Y}, mood {s.patient.mood.start}/10. {s.patient.speech}"
    )
    if s.greeting_exemplar:
        con.print(f"\n[dim]VA (ideal):[/] {s.greeting_exemplar}")
    for name, st in s.states.items():
        lines = st.say.all()
        tags = (" \\[goal]" if st.goal else "") + (" \\[end]" if st.end else "")
        con.print(f"\n[bold cyan]{name}[/]{tags}")
        for line in lines:
            con.print(f"  [magenta]Caller:[/] {line}")
        if st.exemplar:
            con.print(f"  [green]VA (ideal):[/] {st.exemplar}")
        for tr in st.on:
            cond = (
                " ".join(
                    filter(
                        None,
                        [
                            f"when {'+'.join(tr.when)}" if tr.when else "",
                            f"any of {'/'.join(tr.when_any)}" if tr.when_any else "",
                            f"after {'+'.join(tr.after)}" if tr.after else "",
                            f"unless {'/'.join(tr.unless)}" if tr.unless else "",
                        ],
                    )
                )
                or "otherwise"
            )
            con.print(f"  [dim]{cond} -> {tr.goto or '(stay)'}{f' mood {tr.mood:+d}' if tr.mood else ''}[/]")
    return 0


def cmd_new(args) -> int:
    from simulator.authoring.templates import NEW_SCENARIO

    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", args.id):
        raise UserError(f"{args.id}: id must be lowercase words joined by hyphens, e.g. copay-question")
    out = args.output or scenarios_dir() / f"{args.id}.yaml"
    if out.exists() and not args.force:
        raise UserError(f"{out}: already exists; pick another id or pass --force")
    title = args.title or args.id.replace("-", " ").capitalize()
    out.write_text(NEW_SCENARIO.format(id=args.id, title=title, touchpoint=args.touchpoint, path=out), encoding="utf-8")
    in_library = out.resolve().parent == scenarios_dir().resolve()
    ref = args.id if in_library else str(out)
    print(f"wrote {out}" + (" (in the scenario library, beside the built-in scenarios)" if in_library else ""))
    print("next: edit it, then")
    print(f"  vasim scenario validate {out}    # every problem, FILE:LINE:COL")
    print(f"  vasim scenario test {ref}    # score its example calls")
    if in_library:
        print(
            f"  vasim examples render {args.id}    # render its example calls to audio_examples/ (until then `vasim examples check` notes it)"
        )
    print(f"  vasim practice {ref} --text    # try the call yourself")
    return 0


def cmd_schema(args) -> int:
    json.dump(sc_mod.json_schema(), sys.stdout, indent=2)
    print()
    return 0


def cmd_test(args) -> int:
    from simulator.authoring import selftest

    scenarios = [sc_mod.load(i) for i in args.ids] if args.ids else sc_mod.all_scenarios()
    from simulator.speech import factory

    detector = factory.make_detector()
    results = selftest.run(scenarios, detector=detector)
    probes = selftest.run_probes(scenarios, detector=detector)
    if args.json:
        json.dump([r.as_dict() for r in results] + [p.as_dict() for p in probes], sys.stdout, indent=2)
        print()
    else:
        selftest.render(results, probes)
    return 0 if all(r.ok for r in results) and all(p.ok for p in probes) else 1
