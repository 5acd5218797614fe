"""Errors a user can act on.

Every problem with user input is reported as one line, ``FILE:LINE:COL: field.path: message``,
and the CLI exits with status 2. Nothing here ever prints a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, located as precisely as we can."""

    file: str  # path as the user gave it
    line: int  # 1-based
    col: int  # 1-based
    field: str  # dotted path into the document, e.g. ``states.opening.on[0].goto``; "(file)" for the whole file
    message: str  # what is wrong and what to do

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.field}: {self.message}"


class UserError(Exception):
    """Bad input or usage: the CLI prints the message (one line) and exits 2."""

    exit_code = 2


class ProblemsError(UserError):
    """One or more located problems in input files (all of them, not just the first)."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class RuntimeFailure(Exception):
    """Something failed that is not the user's input (a device, a model): exit 1."""

    exit_code = 1
