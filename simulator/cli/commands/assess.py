"""``vasim assess FILE --trainee NAME [--cohort NAME]``: take an assessment, no hints, scores at the end.

By voice (microphone and speaker) by default, ``--text`` to type; ``--trainee-script DIR``
plays one script per scenario (``DIR/<scenario-id>.txt``) for demos and dry runs, through the
virtual microphone and speaker unless ``--text``. Ctrl-C stops; the same command resumes at
the first call not yet saved. ``--hide-scores``: the trainee never sees scores.
A call that ends with nothing said by the trainee (typed input ended, e.g. stdin is not a
terminal, or silence throughout) is not stored: the command stops with exit 2 and the same
command takes that call again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from simulator.cli.commands.records import add_db_option, store_from
from simulator.cli.common import RichReporter
from simulator.console import call_view
from simulator.errors import UserError


def register(sub) -> None:
    p = sub.add_parser(
        "assess",
        help="take an assessment: a fixed set of calls, no hints, results stored",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    p.add_argument("assessment", help="assessment id (scenarios/assessments/ID.yaml) or path to its file")
    p.add_argument("--trainee", help="who takes it (required unless --check)")
    p.add_argument("--cohort", help="the trainee's cohort (created if new)")
    p.add_argument("--text", action="store_true", help="type your replies instead of speaking")
    p.add_argument(
        "--trainee-script",
        metavar="DIR",
        type=Path,
        help="folder with one trainee script per scenario (SCENARIO-ID.txt), for dry runs",
    )
    p.add_argument(
        "--virtual-audio",
        action="store_true",
        help="in-process virtual microphone and speaker (needs --trainee-script)",
    )
    p.add_argument(
        "--hide-scores", action="store_true", help="never show the trainee scores (the trainer reads them in reports)"
    )
    p.add_argument("--restart", action="store_true", help="abandon an unfinished attempt and start again")
    p.add_argument("--check", action="store_true", help="only validate the assessment file")
    p.add_argument("--json", action="store_true", help="print the result as JSON (no scores when they are hidden)")
    p.add_argument("--asr-model", default="tiny.en", help="Whisper model for recognition (default tiny.en)")
    add_db_option(p)
    p.set_defaults(func=cmd_assess)


class ConsoleView:
    """What the trainee sees: the call number and brief, never a hint or a score until the end."""

    def __init__(self, console, quiet: bool = False):
        self.console, self.quiet = console, quiet

    def starting(self, a, done, total):
        if self.quiet:
            return
        self.console.rule(f"[bold]{a.title}[/]")
        if a.description:
            self.console.print(a.description.strip())
        if done:
            self.console.print(f"[yellow]Resuming: {done} of {total} calls are already saved.[/]")

    def before_call(self, req):
        if self.quiet:
            return
        sc = req.scenario
        self.console.print(f"\n[bold]Call {req.position + 1} of {req.total}[/]: {sc.title}")
        if sc.summary:
            self.console.print(f"[dim]{sc.summary.strip()}[/]")

    def after_call(self, req):
        if not self.quiet:
            self.console.print(f"[green]Call {req.position + 1} saved.[/]")

    def finished(self, a, outcome, show_scores):
        if self.quiet:
            return
        if not show_scores:
            self.console.print("\nAll calls are saved. Your trainer will go through the results with you.")
            return
        from rich.table import Table

        from simulator.authoring.catalog import DIMENSIONS

        t = Table(title=f"{a.title}: {'PASSED' if outcome.passed else 'NOT PASSED'}")
        t.add_column("call")
        for d in DIMENSIONS:
            t.add_column(d[:5], justify="right")
        t.add_column("passed")
        for c in outcome.calls:
            t.add_row(
                c["scenario"],
                *(str(c["scores"].get(d, "-")) for d in DIMENSIONS),
                "yes" if c["passed"] else "[red]no[/]",
            )
        self.console.print(t)
        for c in outcome.checks:
            self.console.print(("[green]✓[/] " if c.passed else "[red]✗[/] ") + f"{c.rule}: {c.detail}")


def _scripts(directory: Path, calls) -> dict:
    from simulator.call import trainee as trainee_mod

    if not directory.is_dir():
        raise UserError(f"{directory}: no such folder (expected one script per scenario, e.g. billing-frustrated.txt)")
    out = {}
    for c in calls:
        f = directory / f"{c.scenario}.txt"
        if not f.is_file():
            raise UserError(f"{f}: missing trainee script for scenario '{c.scenario}'")
        out[c.scenario] = trainee_mod.load_trainee_script(f)
    return out


def build_runner(args, a, console):
    """The call runner for the chosen mode; models load once for the whole assessment."""
    from simulator.call import assessment, practice
    from simulator.call import trainee as trainee_mod
    from simulator.call.assessment import plan
    from simulator.speech import factory

    scripts = _scripts(args.trainee_script, plan(a)) if args.trainee_script else None
    quiet = args.json

    # typing at a terminal: the line stays on screen after "You: ", so the view does not repeat it
    at_terminal = bool(args.text) and scripts is None and sys.stdin.isatty()

    def view_for(req):
        if quiet:
            return practice.NullView()
        return call_view.PrintView(
            console=console, patient_name=req.scenario.patient.name.split()[0], echo_trainee=not at_terminal
        )

    if args.text:
        detector, embedder = factory.make_detector(), factory.make_embedder_or_none()

        def trainee_for(req):
            if scripts:
                return trainee_mod.ScriptedText(scripts[req.scenario.id])
            return assessment.TypedAnswers(label="You: " if at_terminal else "")

        return assessment.TextRunner(detector, trainee_for, view_for, embedder=embedder)

    from simulator.call.setup import voice_runner

    return voice_runner(
        asr_model=args.asr_model,
        virtual=args.virtual_audio or (scripts is not None),
        scripts=scripts,
        view_for=view_for,
        reporter=RichReporter(console),
    )


def cmd_assess(args) -> int:
    from rich.console import Console

    from simulator.call import assessment

    a = assessment.load(args.assessment)
    if args.check:
        print(f"{a.source}: valid ({len(a.scenarios)} calls)")
        return 0
    if not args.trainee:
        raise UserError("--trainee NAME is required (who takes the assessment)")
    if args.text and args.virtual_audio:
        raise UserError("--text and --virtual-audio do not go together")
    console = Console(stderr=args.json, highlight=False)
    with store_from(args) as store:
        runner = build_runner(args, a, console)
        res = assessment.run(
            a,
            trainee=args.trainee,
            cohort=args.cohort,
            store=store,
            runner=runner,
            view=ConsoleView(console, quiet=args.json),
            hide_scores=True if args.hide_scores else None,
            restart=args.restart,
        )
    if args.json:
        out = {
            "run_id": res.run_id,
            "assessment": a.id,
            "trainee": res.trainee,
            "calls": res.total,
            "resumed": res.resumed,
            "scores_hidden": res.hide_scores,
            "session_ids": list(res.session_ids),
        }
        if not res.hide_scores and res.outcome is not None:
            out["result"] = res.outcome.as_dict()
        sys.stdout.write(json.dumps(out) + "\n")
    return 0
