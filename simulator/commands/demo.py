"""``vasim demo``: a whole practice call end to end, no sound card needed (what `make demo` runs).

The patient speaks through TTS into the virtual speaker; the trainee's turns come from a
committed script, spoken by a second synthetic voice into the virtual microphone in real
time; VAD, Whisper, behavior detection, the patient's reactions and the scorer all run for
real. At the end it prints the scorecard, the latency table and where the recording is.
"""

from __future__ import annotations

import json
import sys

from simulator.paths import scenarios_dir

DEFAULT_SCENARIO = "billing-frustrated"


def register(sub) -> None:
    p = sub.add_parser("demo", help="run a scripted practice call end to end with virtual audio and print the scorecard",
                       description=__doc__.split("\n\n", 1)[1].replace("``", "`") if __doc__ else None)
    p.add_argument("--scenario", default=DEFAULT_SCENARIO, help=f"scenario id (default {DEFAULT_SCENARIO})")
    p.add_argument("--script", metavar="FILE",
                   help="trainee script (default scenarios/scripts/SCENARIO-strong.txt, else the VA lines "
                        "of the scenario's strong example call)")
    p.add_argument("--seed", type=int, default=0, help="seed for the patient's line choices")
    p.add_argument("--json", action="store_true", help="print the finished session as JSON")
    p.set_defaults(func=cmd_demo)


def default_script(scenario_id: str, kind: str = "strong"):
    return scenarios_dir() / "scripts" / f"{scenario_id}-{kind}.txt"


def resolve_script(scenario, script: str | None = None):
    """The trainee's turns for a demo of ``scenario`` and where they came from.

    ``--script FILE`` if given; else the committed ``scenarios/scripts/ID-strong.txt``; else
    the VA turns of the scenario's strong example call, which every valid scenario has, so
    `vasim demo --scenario ID` works for the whole library and a trainer's own scenarios.
    """
    from simulator import practice
    from simulator.errors import UserError

    if script:
        return practice.load_trainee_script(script), str(script)
    path = default_script(scenario.id)
    if path.is_file():
        return practice.load_trainee_script(path), str(path)
    for ex in scenario.examples:
        turns = [practice.ScriptTurn(t.text) for t in ex.turns if t.speaker == "trainee"] if ex.kind == "strong" else []
        if turns:
            return turns, f"the VA turns of its strong example call '{ex.name}' ({scenario.source or scenario.id})"
    raise UserError(f"{scenario.id}: no demo script ({path}) and no strong example call to take the VA's lines from; pass --script FILE")


def cmd_demo(args) -> int:
    from rich.console import Console

    from simulator import practice
    from simulator import scenario as sc_mod
    from simulator.commands.practice import _stderr_console, build_voice_call, render_result, run_voice_setup

    scenario = sc_mod.load(args.scenario)
    script, path = resolve_script(scenario, args.script)
    console = Console(highlight=False)
    err = _stderr_console()
    if not args.json:
        console.print(f"[bold]vasim demo[/]: {scenario.title}. The patient is synthesised speech; the trainee's "
                      f"lines come from {path}, spoken by a second voice into a virtual microphone, in real time.")
    view = practice.NullView() if args.json else practice.PrintView(console, scenario.patient.name.split()[0])
    setup = build_voice_call(scenario, options=practice.PracticeOptions(seed=args.seed), script=script, virtual=True,
                             view=view, err=err)
    result = run_voice_setup(setup)
    if args.json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    else:
        render_result(result, scenario, console)
    return 0
