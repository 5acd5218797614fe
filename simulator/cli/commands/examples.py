"""``vasim examples render|check|list``: the library of rendered model calls (``audio_examples/``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TypedDict

from simulator.examples import library as ex
from simulator.speech import factory


class _Progress(TypedDict):
    plan: ex.Plan | None  # the example being rendered
    left: int  # its turns still to render


class _Row(TypedDict):
    key: str
    state: str
    scenario: str
    kind: str
    duration_s: float | None
    bytes: int | None
    audio: str | None
    about: str


def register(sub) -> None:
    p = sub.add_parser(
        "examples",
        help="render and check the model calls in audio_examples/",
        description="Render each scenario's strong and weak example call as audio with a timed transcript.",
    )
    esub = p.add_subparsers(dest="examples_cmd", metavar="ACTION", parser_class=type(p))

    r = esub.add_parser("render", help="render example calls to audio (all, the IDs given, or --changed)")
    r.add_argument("ids", nargs="*", metavar="ID", help="scenario ids (default: every scenario)")
    r.add_argument("--changed", action="store_true", help="only examples that are missing or stale (content hash)")
    r.add_argument("--out", type=Path, default=None, help="folder (default: the repository's audio_examples/)")
    r.set_defaults(func=cmd_render)

    c = esub.add_parser("check", help="exit 1 if any example is missing or stale, one line each")
    c.add_argument("--out", type=Path, default=None, help="folder (default: the repository's audio_examples/)")
    c.set_defaults(func=cmd_check)

    ls = esub.add_parser("list", help="the rendered examples, what each shows and whether it is current")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.add_argument("--out", type=Path, default=None, help="folder (default: the repository's audio_examples/)")
    ls.set_defaults(func=cmd_list)

    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _scenarios(ids: list[str]):
    from simulator.authoring import scenario

    if ids:
        return [scenario.load(i) for i in dict.fromkeys(ids)]
    return scenario.all_scenarios()


def cmd_render(args) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    directory = args.out or ex.examples_dir()
    options = ex.default_options()
    scenarios = _scenarios(args.ids)
    plans = ex.plans(scenarios, options)
    prune: list[str] = []
    if args.changed:
        states = {s.key: s for s in ex.status(plans, directory)}
        plans = [p for p in plans if states[p.key].state != "ok"]
        if not args.ids:  # examples whose scenario or example is gone
            prune = [k for k, s in states.items() if s.state == "orphan"]
    err = Console(stderr=True)
    if not plans and not prune:
        err.print("All examples are up to date; nothing to render.")
        return 0
    for key in prune:
        err.print(f"removing {key} (its scenario or example is gone)")
    synth = factory.make_example_synthesizer() if plans else None
    total = sum(len(p.turns) for p in plans)
    with Progress(
        TextColumn("[bold]{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("turns"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as bar:
        task = bar.add_task("rendering", total=total)

        def on_done(entry: ex.IndexEntry) -> None:
            bar.console.print(
                f"[green]rendered[/] {entry.key:<36} {ex.mmss(entry.duration_s):>5}  {entry.bytes / 1024:6.0f} KB"
            )

        current = iter(plans)
        state: _Progress = {"plan": next(current, None), "left": 0}
        if state["plan"]:
            state["left"] = len(state["plan"].turns)
            bar.update(task, description=state["plan"].key)

        def on_turn(_turn) -> None:
            bar.advance(task)
            state["left"] -= 1
            if state["left"] == 0:
                state["plan"] = next(current, None)
                if state["plan"]:
                    state["left"] = len(state["plan"].turns)
                    bar.update(task, description=state["plan"].key)

        failed: list[str] = []

        def on_error(plan: ex.Plan, exc: Exception) -> None:
            msg = " ".join(str(exc).split()) or type(exc).__name__
            failed.append(f"{plan.key}: failed: {msg}")
            bar.console.print(f"[red]failed[/]   {plan.key}: {msg}")
            # skip the rest of this example's turns on the bar
            while state["plan"] is plan:
                on_turn(None)

        index = ex.render_to(plans, synth, directory, prune=prune, on_turn=on_turn, on_done=on_done, on_error=on_error)
    total_bytes = sum(e.bytes for e in index.values())
    err.print(f"{len(plans) - len(failed)} rendered, {len(index)} in {directory} ({total_bytes / 1e6:.1f} MB)")
    if failed:
        for line in failed:
            print(line)
        print(f"{len(failed)} failed; `vasim examples render --changed` retries them", file=sys.stderr)
        return 1
    return 0


def cmd_check(args) -> int:
    from simulator.authoring.scenario import LIBRARY_IDS

    directory = args.out or ex.examples_dir()
    index = ex.load_index(directory)
    statuses = ex.status(ex.plans(_scenarios([]), ex.default_options()), directory, index)
    # A trainer's own new scenario (not one of DESIGN's library ids) with nothing rendered
    # yet is work in progress, not a broken library: a note, not a failure.
    rendered = {k.rsplit(".", 1)[0] for k in index}
    new = sorted({s.key.rsplit(".", 1)[0] for s in statuses if s.state == "missing"} - rendered - LIBRARY_IDS)
    for sid in new:
        print(f"note: {sid} has no rendered examples yet; `vasim examples render {sid}` makes them", file=sys.stderr)
    statuses = [s for s in statuses if s.key.rsplit(".", 1)[0] not in new]
    bad = [s for s in statuses if s.state != "ok"]
    for s in bad:
        print(s.line())
    if bad:
        print(f"{len(bad)} of {len(statuses)} examples need `vasim examples render --changed`", file=sys.stderr)
        return 1
    print(f"all {len(statuses)} examples are up to date")
    return 0


def cmd_list(args) -> int:
    directory = args.out or ex.examples_dir()
    index = ex.load_index(directory)
    statuses = ex.status(ex.plans(_scenarios([]), ex.default_options()), directory, index)
    rows: list[_Row] = []
    for s in statuses:
        e = index.get(s.key)
        rows.append(
            {
                "key": s.key,
                "state": s.state,
                "scenario": e.scenario if e else s.key.rsplit(".", 1)[0],
                "kind": e.kind if e else s.key.rsplit(".", 1)[-1],
                "duration_s": e.duration_s if e else None,
                "bytes": e.bytes if e else None,
                "audio": str(directory / e.audio) if e else None,
                "about": e.about if e else "",
            }
        )
    if args.json:
        print(json.dumps({"directory": str(directory), "examples": rows}, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"audio examples in {directory}")
    for col in ("example", "length", "size", "state", "what it shows"):
        table.add_column(col, overflow="fold")
    colors = {"ok": "green", "stale": "yellow", "missing": "red", "orphan": "magenta"}
    for r in rows:
        table.add_row(
            r["key"],
            ex.mmss(r["duration_s"]) if r["duration_s"] is not None else "-",
            f"{r['bytes'] / 1024:.0f} KB" if r["bytes"] else "-",
            f"[{colors[r['state']]}]{r['state']}[/]",
            r["about"],
        )
    Console().print(table)
    return 0
