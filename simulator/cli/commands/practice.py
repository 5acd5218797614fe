"""``vasim practice SCENARIO``: a practice call with the simulated patient.

Modes: by voice (microphone and speaker; the default), ``--text`` (typed replies),
``--trainee-audio DIR`` (one recorded file per trainee turn) or ``--trainee-script FILE``
(text turns spoken by a second synthetic voice). The scripted modes run through the virtual
microphone and speaker in real time with ``--virtual-audio``, which is also the default when
no sound device is found, so a whole call runs on a machine without a sound card.

Results: with ``--trainee NAME`` (and optionally ``--cohort``) the finished call is saved in the
results store as a practice call (not an assessment attempt), so ``vasim report trainee NAME``,
``vasim export`` and ``vasim purge`` include it. Without ``--trainee`` nothing goes into the
results store: the call's journal stays in your data directory (``vasim sessions list``).
A call in which you said nothing is never stored. Typed calls (``--text``) carry no timings,
so neither the scorecard nor the reports judge your pace or response time from them.
"""

from __future__ import annotations

import json
import shlex
import sys

from simulator.cli.common import RichReporter, stderr_console
from simulator.console import call_view
from simulator.errors import UserError
from simulator.records.store import save_practice
from simulator.speech import factory

ENDPOINT_SILENCE_RANGE = (0.2, 3.0)  # seconds of silence that end a spoken turn


def register(sub) -> None:
    p = sub.add_parser(
        "practice",
        help="practise a call with a simulated patient (voice, or --text)",
        description=__doc__.split("\n\n", 1)[1].replace("``", "`") if __doc__ else None,
    )
    p.add_argument("scenario", help="scenario id (see `vasim scenario list`) or path to a scenario file")
    p.add_argument("--text", action="store_true", help="type your replies instead of speaking (no audio)")
    p.add_argument("--trainee-audio", metavar="DIR", help="folder with one audio file per trainee turn, in name order")
    p.add_argument(
        "--trainee-script",
        metavar="FILE",
        help="trainee turns, one per line (or a transcript file); spoken by a second voice, or typed with --text",
    )
    p.add_argument(
        "--virtual-audio",
        action="store_true",
        help="in-process virtual microphone and speaker in real time (no sound card needed)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed for the patient's line choices (default 0)")
    p.add_argument("--json", action="store_true", help="print the finished session as JSON")
    p.add_argument(
        "--barge-in",
        action="store_true",
        help="let yourself interrupt the patient (use headphones; on by default with --virtual-audio)",
    )
    p.add_argument("--asr-model", default="tiny.en", help="Whisper model for recognition (default tiny.en)")
    p.add_argument("--input", metavar="DEVICE", help="microphone (index or part of its name)")
    p.add_argument("--output", metavar="DEVICE", help="speaker (index or part of its name)")
    p.add_argument(
        "--asr-hotwords",
        action="store_true",
        help="pass the scenario's names to Whisper (can help with names; slower, may mishear; spoken calls only)",
    )
    p.add_argument(
        "--endpoint-silence",
        type=float,
        metavar="SECONDS",
        help="silence that ends your turn, {:g}-{:g} s (default {:g}; spoken calls only)".format(
            *ENDPOINT_SILENCE_RANGE, _default_endpoint()
        ),
    )
    p.add_argument(
        "--trainee",
        metavar="NAME",
        help="save the result for NAME in the results store (reports, export, purge); "
        "without it nothing is stored for reports",
    )
    p.add_argument("--cohort", metavar="NAME", help="the trainee's cohort (with --trainee; created if new)")
    from simulator.cli.commands.records import add_db_option

    add_db_option(p)
    p.set_defaults(func=cmd_practice)


def _default_endpoint() -> float:
    from simulator.call.practice import PracticeOptions

    return PracticeOptions().endpoint_silence_s


def cmd_practice(args) -> int:
    from simulator.authoring import scenario as sc_mod

    if args.text and args.trainee_audio:
        raise UserError("--text and --trainee-audio do not go together: recorded turns need the voice loop")
    if args.trainee_audio and args.trainee_script:
        raise UserError("give either --trainee-audio or --trainee-script, not both")
    options_kw = _voice_options(args)
    if args.cohort is not None and args.trainee is None:
        raise UserError("--cohort needs --trainee NAME (whose practice call is stored)")
    scenario = sc_mod.load(args.scenario)
    from simulator.call import practice
    from simulator.call import trainee as trainee_mod

    script = trainee_mod.load_trainee_script(args.trainee_script) if args.trainee_script else None
    scripted = bool(script or args.trainee_audio)
    options = practice.PracticeOptions(seed=args.seed, **options_kw)
    err = stderr_console()
    store = _open_results(args)  # before the call: a bad name or a damaged database must not cost a call

    try:
        result = _run_call(scenario, script, scripted, options, args, err)
    except BaseException:
        if store is not None:
            store.close()
        raise

    payload = result.to_json()
    stored = None
    if store is not None:
        try:
            stored = save_practice(store, result, args.trainee, args.cohort)
        finally:
            store.close()
    if args.json:
        if args.trainee:
            payload["stored"] = {"trainee": args.trainee, "cohort": args.cohort, "saved": stored is not None}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    else:
        render_result(result, scenario)
        if args.trainee:
            from rich.console import Console

            Console(highlight=False).print(
                f"Saved as a practice call for [bold]{args.trainee}[/] (`vasim report trainee {shlex.quote(args.trainee)}`)."
                if stored
                else "[yellow]Not saved to the results: you did not say anything.[/]"
            )
    return 0


def _run_call(scenario, script, scripted, options, args, err):
    if args.text:
        result = _run_text(scenario, script, options, args, err)
    else:
        virtual = args.virtual_audio
        if not virtual and not factory.has_sound_devices():
            if not scripted:
                raise UserError(
                    "no microphone or speaker found; use --text to type your replies "
                    "(or --trainee-script FILE --virtual-audio for a scripted call)"
                )
            virtual = True
        if virtual and not scripted:
            raise UserError(
                "--virtual-audio needs a scripted trainee (--trainee-script FILE or --trainee-audio DIR); "
                "use --text to type your replies"
            )
        result = _run_voice(scenario, script, options, args, err, virtual=virtual)
    return result


def _voice_options(args) -> dict:
    """PracticeOptions from the spoken-call flags, validated (one line, exit 2)."""
    kw: dict = {}
    if args.endpoint_silence is not None:
        lo, hi = ENDPOINT_SILENCE_RANGE
        v = args.endpoint_silence
        if not (lo <= v <= hi):  # also refuses nan
            raise UserError(
                f"--endpoint-silence {v:g}: give seconds between {lo:g} and {hi:g} (default {_default_endpoint():g})"
            )
        kw["endpoint_silence_s"] = float(v)
    if args.asr_hotwords:
        kw["asr_hotwords"] = True
    if kw and args.text:
        flags = " and ".join(
            f
            for f, on in (
                ("--asr-hotwords", args.asr_hotwords),
                ("--endpoint-silence", args.endpoint_silence is not None),
            )
            if on
        )
        both = " and " in flags
        raise UserError(
            f"{flags} only appl{'y' if both else 'ies'} to spoken calls; drop {'them' if both else 'it'} with --text"
        )
    return kw


def _open_results(args):
    """The results store when the call is to be saved (``--trainee``), else None."""
    if args.trainee is None:
        return None
    from simulator.cli.commands.records import store_from
    from simulator.records.store import check_name

    check_name("trainee", args.trainee)
    if args.cohort is not None:
        check_name("cohort", args.cohort)
    return store_from(args)


def _run_text(scenario, script, options, args, err):
    from simulator.call import practice
    from simulator.call import trainee as trainee_mod

    detector = factory.make_detector()
    at_terminal = not script and sys.stdin.isatty()
    # at a terminal the typed line stays on screen after the "You: " prompt; piped input is
    # not echoed, so the view prints it instead (never both: "You: You: ...")
    trainee = (
        trainee_mod.ScriptedText(script) if script else trainee_mod.TypedTrainee(label="You: " if at_terminal else "")
    )
    view: practice.NullView | call_view.PrintView
    if args.json:
        view = practice.NullView()
    else:
        view = call_view.PrintView(patient_name=scenario.patient.name.split()[0], echo_trainee=not at_terminal)
        view.console.print(f"[bold]{scenario.title}[/]  [dim]{scenario.summary.strip()}[/]")
        if scenario.va_speaks_first:
            view.console.print("[dim]The phone rings. Answer the call (type /quit to hang up).[/]")
    return practice.run_text_call(
        scenario, trainee, detector, options=options, view=view, embedder=factory.make_embedder_or_none()
    )


def _run_voice(scenario, script, options, args, err, *, virtual: bool):
    from dataclasses import replace

    if args.barge_in:
        options = replace(options, barge_in=True)
    from simulator.call.setup import build_voice_call

    setup = build_voice_call(
        scenario,
        options=options,
        script=script,
        trainee_audio=args.trainee_audio,
        virtual=virtual,
        asr_model=args.asr_model,
        input_device=args.input,
        output_device=args.output,
        view=_voice_view(scenario, args),
        reporter=RichReporter(err),
    )
    return setup.run()


def _voice_view(scenario, args):
    from simulator.call import practice

    if args.json:
        return practice.NullView()
    first = scenario.patient.name.split()[0]
    if sys.stdout.isatty():
        return call_view.LiveView(scenario.title, first)
    return call_view.PrintView(patient_name=first)


def render_result(result, scenario, console=None) -> None:
    """The scorecard, the latency table and where the recordings are."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    if result.scorecard_obj is not None:
        from simulator.console import scorecard

        scorecard.render(result.scorecard_obj, title=scenario.title, console=console)
    elif result.scorecard is None:
        console.print("[yellow]Nothing to score: you did not say anything.[/]")
    lat = result.latency
    if lat["voice_to_voice_ms"]["p50"] is not None:
        t = Table(title="Response time of the patient (ms)", show_edge=False)
        for col in ("part", "p50", "p95", "max"):
            t.add_column(col, justify="right" if col != "part" else "left")
        from simulator.call.latency import LATENCY_PARTS, percentile

        for part in (*LATENCY_PARTS, "voice_to_voice"):
            vals = [getattr(x, part) for x in result.latencies if getattr(x, part) is not None]
            if vals:
                t.add_row(
                    part.replace("_", " "),
                    f"{percentile(vals, 50):.0f}",
                    f"{percentile(vals, 95):.0f}",
                    f"{max(vals):.0f}",
                )
        console.print(t)
    how = {
        "trainee_close": "you closed the call",
        "end_state": "the patient ended the call",
        "goto_end": "the patient hung up",
        "mood_hangup": "the patient hung up, upset",
        "silence_hangup": "the patient hung up after a long silence",
        "trainee_hangup": "you hung up",
    }.get(result.end_reason, result.end_reason)
    console.print(
        f"Call ended: {how}. {len([t for t in result.turns if t.text])} turns"
        + (f", {result.interruptions} interruption(s)" if result.interruptions else "")
        + "."
    )
    console.print(f"Session [bold]{result.session_id}[/]: recordings and journal in {result.recording}")
    console.print(
        f"[dim]Replay: vasim sessions replay {result.session_id}    Score again: vasim sessions score {result.session_id}[/]"
    )
