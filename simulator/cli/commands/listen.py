"""``vasim listen ID [--weak] [--text]``: hear a model call, transcript in step, with the scorer's notes.

The rendered example (``audio_examples/ID.strong.ogg`` or ``.weak``) plays while a live
view shows each turn as it is spoken; after each VA turn come the scorer's notes on it
(✓ behaviors to copy, ✗ violations and blockers). ``--text`` prints the same without audio.
"""

from __future__ import annotations

import sys
import time

from simulator.errors import RuntimeFailure, UserError
from simulator.examples import library as ex
from simulator.speech import factory


def register(sub) -> None:
    p = sub.add_parser("listen", help="play a model call with its transcript and what the VA did well or badly")
    p.add_argument("id", metavar="ID", help="scenario id (see `vasim examples list`)")
    p.add_argument("--weak", action="store_true", help="the weak call instead of the strong one")
    p.add_argument("--text", action="store_true", help="print the transcript and notes; no audio")
    p.add_argument(
        "--words-only",
        "--rules-only",
        dest="words_only",
        action="store_true",
        help="annotate with the words-only detector (no embedding model)",
    )
    p.set_defaults(func=cmd_listen)


def load_example(ref: str, kind: str):
    """(scenario, index entry, transcript with times) of a rendered example, or a one-line UserError."""
    scenario, entry, transcript, stale = ex.load_example(ref, kind)
    if stale:
        print(
            f"vasim: note: {ex.example_key(scenario.id, kind)} is older than its scenario; "
            "`vasim examples render --changed` updates it",
            file=sys.stderr,
        )
    return scenario, entry, transcript


def cmd_listen(args) -> int:
    from rich.console import Console

    from simulator.authoring.catalog import load_catalog
    from simulator.scoring.score import score_call

    kind = "weak" if args.weak else "strong"
    scenario, entry, transcript = load_example(args.id, kind)
    sink = None
    if not args.text:  # fail fast, before any model loads
        try:
            sink = factory.make_audio_sink()
        except (UserError, RuntimeFailure, OSError) as exc:
            raise UserError(
                f"no sound device to play on ({str(exc).split(';')[0]}); "
                f"use `vasim listen {args.id}{' --weak' if args.weak else ''} --text` to read it instead"
            ) from None
    catalog = load_catalog()
    card = score_call(
        scenario, transcript, factory.make_detector(embeddings=not args.words_only, catalog=catalog), catalog
    )
    notes = ex.annotate(card, catalog)
    console = Console()
    console.print(f"[bold]{scenario.title}[/] — {kind} example ({ex.mmss(entry.duration_s)})")
    if entry.about:
        console.print(f"[dim]{entry.about}[/]")
    console.print()
    try:
        if sink is None:
            for i, turn in enumerate(transcript.turns):
                console.print(turn_view(i, turn, notes.get(i, []), current=False))
        else:
            play(sink, entry, transcript, notes, console)
    finally:
        if sink is not None:
            sink.close()
    console.print()
    _summary(card, scenario, console)
    return 0


def turn_view(i: int, turn, notes: list[ex.Note], current: bool):
    """One turn as rich text: time, speaker, words; then its notes."""
    from rich.text import Text

    who = ex.speaker_label(turn.speaker)
    style = "bold cyan" if turn.speaker == "trainee" else "bold magenta"
    t = Text()
    if turn.start is not None:
        t.append(f"[{ex.mmss(turn.start)}] ", style="dim")
    t.append(f"{who}: ", style=style)
    t.append(turn.text, style="bold" if current else "")
    for n in notes:
        t.append("\n    ")
        t.append("✓ " if n.good else "✗ ", style="green" if n.good else "bold red")
        t.append(f"{n.id.replace('_', ' ')}", style="green" if n.good else "red")
        t.append(f" — {n.text}", style="dim")
    return t


def play(sink, entry: ex.IndexEntry, transcript, notes: dict[int, list[ex.Note]], console) -> None:
    """Play the audio; the live view shows the turns spoken so far, the current one in bold.

    A turn's notes appear once the turn has been heard. Ctrl-C stops playback.
    """
    import soundfile as sf
    from rich.console import Group
    from rich.live import Live

    audio, rate = sf.read(str(ex.examples_dir() / entry.audio), dtype="float32")
    turns = transcript.turns

    def view(now: float):
        shown = []
        for i, t in enumerate(turns):
            if t.start is not None and t.start > now:
                break
            done = t.end is not None and t.end <= now
            shown.append(turn_view(i, t, notes.get(i, []) if done else [], current=not done))
        return Group(*shown[-12:])

    sink.play(audio, rate)
    start = time.monotonic()
    with Live(view(0.0), console=console, refresh_per_second=8, transient=True) as live:
        try:
            while sink.playing:
                live.update(view(time.monotonic() - start))
                time.sleep(0.1)
        except KeyboardInterrupt:
            sink.stop()
            raise
    for i, t in enumerate(turns):  # the whole call stays on screen afterwards
        console.print(turn_view(i, t, notes.get(i, []), current=False))


def _summary(card, scenario, console) -> None:
    try:
        from simulator.console import scorecard
    except ImportError:
        for line in ex.verdict(card):
            console.print(line)
        return
    console.print(scorecard.build(card, title=scenario.title))
