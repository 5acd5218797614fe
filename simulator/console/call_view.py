"""What the trainee sees during a call in the terminal: a printed log (:class:`PrintView`) or a
live panel (:class:`LiveView`). Both implement ``simulator.call.practice.CallView``."""

from __future__ import annotations

import time
from collections.abc import Callable


class PrintView:
    """One line per turn (not a terminal, or ``--text``)."""

    def __init__(self, console=None, patient_name: str = "Patient", *, echo_trainee: bool = True):
        from rich.console import Console

        self.console = console or Console(highlight=False)
        self.patient_name = patient_name
        # False when the trainee types at a terminal: the line is already on screen after "You: "
        self.echo_trainee = echo_trainee

    def status(self, text: str) -> None:
        pass

    def turn(self, speaker: str, text: str, note: str = "") -> None:
        if speaker == "trainee" and text and not self.echo_trainee:
            return
        who = "[bold cyan]You[/]" if speaker == "trainee" else f"[bold magenta]{self.patient_name}[/]"
        from rich.markup import escape

        self.console.print(
            f"{who}: {escape(text) if text else '[dim](silence)[/]'}" + (f" [dim]({note})[/]" if note else "")
        )

    def close(self) -> None:
        pass


class LiveView:
    """A live panel on a terminal: who is speaking, the transcript so far, elapsed time."""

    def __init__(self, title: str, patient_name: str, console=None, clock: Callable[[], float] = time.monotonic):
        from rich.console import Console
        from rich.live import Live

        self.console = console or Console()
        self.title = title
        self.patient_name = patient_name
        self.clock = clock
        self.t0 = clock()
        self.lines: list[tuple[str, str, str]] = []
        self._status = "Connecting..."
        self._live: Live | None = None  # started with the call, so model loading and progress bars come first
        self._Live = Live

    def _render(self):
        from rich.markup import escape
        from rich.panel import Panel
        from rich.text import Text

        body = Text()
        for speaker, text, note in self.lines[-12:]:
            who = "You" if speaker == "trainee" else self.patient_name
            body.append(f"{who}: ", style="bold cyan" if speaker == "trainee" else "bold magenta")
            body.append(text or "(silence)")
            if note:
                body.append(f"  ({note})", style="dim")
            body.append("\n")
        elapsed = int(self.clock() - self.t0)
        body.append(f"\n{escape(self._status)}", style="yellow")
        return Panel(body, title=self.title, subtitle=f"{elapsed // 60}:{elapsed % 60:02d}  Ctrl-C ends the call")

    def _update(self) -> None:
        if self._live is None:
            self.t0 = self.clock()
            self._live = self._Live(
                self._render(), console=self.console, refresh_per_second=4, get_renderable=self._render
            )
            self._live.__enter__()
        self._live.update(self._render())

    def status(self, text: str) -> None:
        self._status = text
        self._update()

    def turn(self, speaker: str, text: str, note: str = "") -> None:
        self.lines.append((speaker, text, note))
        self._update()

    def close(self) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self._live = None
