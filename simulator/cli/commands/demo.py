"""``vasim demo``: a whole practice call end to end, no sound card needed (what `make demo` runs).

The patient speaks through TTS into the virtual speaker; the trainee's turns come from a
committed script, spoken by a second synthetic voice into the virtual microphone in real
time; VAD, Whisper, behavior detection, the patient's reactions and the scorer all run for
real. At the end it prints the scorecard, the latency table and where the recording is.
"""

from __future__ import annotations

import json
import sys

from simulator.cli.common import RichReporter
from simulator.console import call_view

DEFAULT_SCENARIO = "billing-frustrated"


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="run a scripted practice call end to end with virtual audio and print the scorecard",
        description=__doc__.split("\n\n", 1)[1].replace("``", "`") if __doc__ else None,
    )
    p.add_argument("--scenario", default=DEFAULT_SCENARIO, help=f"scenario id (default {DEFAULT_SCENARIO})")
    p.add_argument(
        "--script",
        metavar="FILE",
        help="trainee script (default scenarios/scripts/SCENARIO-strong.txt, else the VA lines "
        "of the scenario's strong example call)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed for the patient's line choices")
    p.add_argument("--json", action="store_true", help="print the finished session as JSON")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args) -> int:
    from rich.console import Console

    from simulator.authoring import scenario as sc_mod
    from simulator.call import practice
    from simulator.call.setup import build_voice_call, demo_script
    from simulator.cli.commands.practice import render_result

    scenario = sc_mod.load(args.scenario)
    script, path = demo_script(scenario, args.script)
    console = Console(highlight=False)
    if not args.json:
        console.print(
            f"[bold]vasim demo[/]: {scenario.title}. The patient is synthesised speech; the trainee's "
            f"lines come from {path}, spoken by a second voice into a virtual microphone, in real time."
        )
    view = practice.NullView() if args.json else call_view.PrintView(console, scenario.patient.name.split()[0])
    setup = build_voice_call(
        scenario,
        options=practice.PracticeOptions(seed=args.seed),
        script=script,
        virtual=True,
        view=view,
        reporter=RichReporter(),
    )
    result = setup.run()
    if args.json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    else:
        render_result(result, scenario, console)
    return 0
