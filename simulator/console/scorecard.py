"""The terminal scorecard: what a VA reads in ten seconds after a call.

Top to bottom in order of importance: PASS/FAIL, the five QA scores, blockers (the
reasons a call fails whatever the scores), the escalation verdict, then the coaching
tips, heaviest first. ``vasim score --json`` has the full evidence.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from simulator.authoring.catalog import DIMENSIONS
from simulator.scoring.score import Scorecard

MAX_TIPS = 5
_COLOR = {1: "red", 2: "red", 3: "yellow", 4: "green", 5: "green"}


def build(card: Scorecard, title: str = "", max_tips: int = MAX_TIPS) -> Panel:
    verdict = Text("PASS", style="bold white on green") if card.passed else Text("FAIL", style="bold white on red")
    head = Text.assemble(
        verdict,
        "  ",
        (title or card.scenario, "bold"),
        (f"   average {card.average:.1f} (pass mark {card.pass_mark:g})", "dim"),
    )

    scores = Table.grid(padding=(0, 2))
    for _ in range(3):
        scores.add_column()
    for dim in DIMENSIONS:
        d = card.dimensions[dim]
        bar = Text("■" * d.score, style=_COLOR[d.score]) + Text("□" * (5 - d.score), style="dim")
        missed = ", ".join(m.replace("_", " ") for m in d.missed)
        scores.add_row(
            Text(dim.capitalize(), style="bold"),
            Text.assemble(bar, f" {d.score}"),
            Text(f"missed: {missed}" if missed else "", style="dim"),
        )
    parts: list = [head, Text(""), scores]

    if card.blockers:
        parts.append(Text(""))
        parts.append(Text("Blockers (the call fails whatever the scores)", style="bold red"))
        for b in card.blockers:
            where = f"turn {b.turn}: \"{b.quote}\"" if b.turn is not None else "never done"
            parts.append(Text.assemble(("  ✗ ", "red"), (b.id, "bold red"), f" - {b.reason}. ", (where, "dim")))

    if card.review:
        parts.append(Text(""))
        parts.append(Text("Check against the recording (heard uncertainly)", style="bold yellow"))
        for note in card.review:
            parts.append(Text.assemble(("  ? ", "yellow"), note))

    esc = card.escalation
    verdict_esc = ("right", "green") if esc.correct else ("wrong", "red")
    observed = ", ".join(o.replace("_", " ") for o in esc.observed) or "none"
    expected = "no escalation needed" if esc.expected == "none" else f"expected {esc.expected.replace('_', ' ')}"
    line = Text.assemble(("Escalation ", "bold"), (verdict_esc[0], verdict_esc[1]), f": {expected}; you did {observed}")
    if esc.missing:
        line.append(f"; missing {', '.join(esc.missing)}", style="red")
    if esc.needless:
        line.append(f"; not needed: {', '.join(esc.needless)}", style="red")
    parts += [Text(""), line]

    t = card.timing
    bits = []
    if t.response_latency_s:
        bits.append(f"reply after {t.response_latency_s.median:.1f} s (slowest {t.response_latency_s.max:.1f} s)")
    if t.talk_ratio is not None:
        bits.append(f"you talked {t.talk_ratio:.0%} of the time")
    if t.speaking_rate_wpm:
        bits.append(f"{t.speaking_rate_wpm:.0f} words/min")
    if t.long_silences:
        bits.append(f"{len(t.long_silences)} silence(s) > 3 s")
    if t.filler_words:
        bits.append(f"{t.filler_words} filler words")
    if bits:
        parts.append(Text("Delivery: " + " · ".join(bits), style="dim"))

    if card.tips:
        parts += [Text(""), Text("What to work on", style="bold")]
        for n, tip in enumerate(card.tips[:max_tips], 1):
            style = "red" if tip.kind == "blocker" else "yellow" if tip.kind in ("violation", "missed") else "cyan"
            stage, _, rest = tip.text.partition(": ")
            parts.append(Text.assemble(f"  {n}. ", (stage, f"bold {style}"), ": ", rest))
        if len(card.tips) > max_tips:
            parts.append(
                Text(f"  ... and {len(card.tips) - max_tips} more (vasim score --json shows all)", style="dim")
            )
    elif card.passed:
        parts += [Text(""), Text("Nothing to fix on this call. Well done.", style="green")]
    return Panel(Group(*parts), border_style="green" if card.passed else "red", expand=False)


def render(card: Scorecard, title: str = "", console: Console | None = None, max_tips: int = MAX_TIPS) -> None:
    (console or Console()).print(build(card, title, max_tips))
