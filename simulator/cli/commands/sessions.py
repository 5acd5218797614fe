"""``vasim sessions list|show|replay|score``: stored practice calls, complete or not.

A call cut short (Ctrl-C, a crash, a pulled headset) keeps every turn but the one in
progress; these commands work on it as on any other. ``ID`` may be a unique prefix or ``last``.
"""

from __future__ import annotations

import json
import sys

from simulator.speech import factory


def register(sub) -> None:
    p = sub.add_parser("sessions", help="list, show, replay or re-score your practice calls")
    ssub = p.add_subparsers(dest="sessions_cmd", metavar="ACTION", parser_class=type(p))

    q = ssub.add_parser("list", help="every stored session, oldest first (incomplete ones marked)")
    q.add_argument("--json", action="store_true", help="one JSON array")
    q.set_defaults(func=cmd_list)

    q = ssub.add_parser("show", help="the transcript, how the patient reacted, and the score")
    q.add_argument("id", help="session id, a unique prefix of it, or 'last'")
    q.add_argument("--json", action="store_true", help="the journal as JSON")
    q.set_defaults(func=cmd_show)

    q = ssub.add_parser("replay", help="play both sides of the call (or write them to a file)")
    q.add_argument("id", help="session id, a unique prefix of it, or 'last'")
    q.add_argument("-o", "--output", metavar="OUT.wav", help="write the call (stereo: you left, patient right)")
    q.add_argument("--device", help="speaker to play on (index or part of its name)")
    q.set_defaults(func=cmd_replay)

    q = ssub.add_parser("score", help="score the call again (also an incomplete one) and keep the result")
    q.add_argument("id", help="session id, a unique prefix of it, or 'last'")
    q.add_argument("--json", action="store_true", help="print the scorecard as JSON")
    q.set_defaults(func=cmd_score)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _summary(s) -> dict:
    card = s.scorecard
    return {
        "id": s.id,
        "scenario": s.scenario,
        "started_at": s.started_at,
        "mode": s.start.get("mode", ""),
        "complete": s.complete,
        "turns": len([t for t in s.turns if t.text.strip()]),
        "end_reason": (s.end or {}).get("reason"),
        "passed": card.get("passed") if card else None,
    }


def cmd_list(args) -> int:
    from simulator.call import session

    rows = [_summary(s) for s in session.list_sessions()]
    if args.json:
        sys.stdout.write(json.dumps(rows) + "\n")
        return 0
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not rows:
        console.print("No sessions yet: run `vasim practice SCENARIO`.")
        return 0
    t = Table(show_edge=False)
    t.add_column("id", no_wrap=True)  # the handle for show/replay/score: never cut
    t.add_column("scenario", overflow="ellipsis", no_wrap=True)
    for col in ("turns", "result"):
        t.add_column(col, no_wrap=True)
    for r in rows:
        result = (
            "[yellow]incomplete[/]"
            if not r["complete"]
            else "[green]pass[/]"
            if r["passed"]
            else "[red]fail[/]"
            if r["passed"] is False
            else "-"
        )
        t.add_row(r["id"], r["scenario"], str(r["turns"]), result)
    console.print(t)
    return 0


def cmd_show(args) -> int:
    from simulator.call import session

    s = session.load(args.id)
    if args.json:
        sys.stdout.write(
            json.dumps(
                {**_summary(s), "turns": [t.to_json() for t in s.turns], "end": s.end, "scorecard": s.scorecard},
                ensure_ascii=False,
            )
            + "\n"
        )
        return 0
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    state = "complete" if s.complete else "[yellow]incomplete[/] (the call was cut short; every finished turn is kept)"
    console.print(f"[bold]{s.id}[/]  {s.scenario}  {s.started_at.replace('T', ' ')}  {state}")
    for t in s.turns:
        when = f"[dim]{t.start:6.1f}s[/] " if t.start is not None else ""
        if t.speaker == "trainee":
            extra = f"  [dim]{', '.join(t.behaviors)}[/]" if t.behaviors else ""
            console.print(f"{when}[bold cyan]You[/]: {escape(t.text) or '[dim](silence)[/]'}{extra}")
        else:
            notes = [f"mood {t.mood}" if t.mood is not None else "", t.state, "interrupted" if t.interrupted else ""]
            lat = t.latency_ms.get("voice_to_voice")
            if lat is not None:
                notes.append(f"{lat:.0f} ms")
            console.print(
                f"{when}[bold magenta]Patient[/]: {escape(t.text) or '[dim](hangs up)[/]'}"
                f"  [dim]{' · '.join(n for n in notes if n)}[/]"
            )
    if s.end:
        console.print(f"[dim]ended: {s.end.get('reason')}[/]")
    card = s.scorecard
    if card:
        from simulator.console import scorecard
        from simulator.scoring.score import Scorecard

        scorecard.render(Scorecard.model_validate(card), title=s.scenario, console=console)
    console.print(f"[dim]files: {s.dir}[/]")
    return 0


def cmd_replay(args) -> int:
    from simulator.call import session
    from simulator.errors import UserError

    s = session.load(args.id)
    rate = 22050
    audio = session.call_audio(s, rate)
    if not len(audio):
        raise UserError(f"session {s.id} has no audio (a --text call); `vasim sessions show {s.id}` shows it")
    if args.output:
        import soundfile as sf

        sf.write(args.output, audio, rate, subtype="PCM_16")
        print(f"wrote {args.output} ({len(audio) / rate:.1f} s, you left, patient right)")
        return 0
    from simulator.speech import factory

    sink = factory.make_audio_sink(args.device)
    try:
        sink.play(audio.mean(axis=1), rate)
        sink.wait()
    except KeyboardInterrupt:
        sink.stop()
    finally:
        sink.close()
    return 0


def cmd_score(args) -> int:
    from simulator.authoring import scenario as sc_mod
    from simulator.call import session
    from simulator.call.result import score_turns
    from simulator.errors import UserError

    s = session.load(args.id)
    if not s.scenario:
        raise UserError(f"session {s.id}: the journal has no start record; it cannot be scored")
    scenario = sc_mod.load(s.scenario)
    card = score_turns(scenario, s.turns, factory.make_detector())
    if card is None:
        raise UserError(f"session {s.id}: the trainee said nothing, so there is nothing to score")
    data = card.model_dump(mode="json")
    with s.open_writer() as w:
        w.save_scorecard(data)
    if args.json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        from simulator.console import scorecard

        scorecard.render(card, title=scenario.title)
    return 0
