"""What every command shares: the stderr console and rich progress for library set-up."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any


def stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def progress_callback(console, label: str):
    """A rich progress bar driven by ``(done, total, text)`` calls; returns (callback, close)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    prog = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = None

    def cb(done: int, total: int, text: str) -> None:
        nonlocal task
        if task is None:
            prog.start()
            task = prog.add_task(label, total=total)
        prog.update(task, completed=done, total=total)

    def close() -> None:
        if task is not None:
            prog.stop()

    return cb, close


class RichReporter:
    """``call.setup.Reporter`` on a rich console: a spinner per step, a bar per batch."""

    def __init__(self, console=None, progress: bool = True):
        self.console = console or stderr_console()
        self.progress = progress

    def status(self, label: str) -> AbstractContextManager[Any]:
        return self.console.status(label)

    def counter(self, label: str) -> tuple[Callable[[int, int, str], None], Callable[[], None]]:
        if not self.progress:
            return (lambda done, total, what: None), (lambda: None)
        return progress_callback(self.console, label)
