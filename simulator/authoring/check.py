"""Checking a scenario file that is not on disk yet (pasted or uploaded in the browser app):
the same loader and the same ``FILE:LINE:COL: field: message`` problems as
``vasim scenario validate``, reported under the name the trainer gave the file."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from simulator.authoring import yamlio
from simulator.authoring.model import Scenario
from simulator.errors import Problem, ProblemsError

MAX_BYTES = yamlio.MAX_BYTES


@dataclass(frozen=True)
class CheckResult:
    name: str  # the file name problems are reported under
    scenario: Scenario | None  # None when any problem was found
    problems: list[Problem]
    lines: list[str]  # the text, line by line (to show each problem's line)

    @property
    def ok(self) -> bool:
        return not self.problems


def safe_name(name: str) -> str:
    """The file name part of what the trainer gave, as a ``.yaml`` file name (no folders)."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    base = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".") or "scenario.yaml"
    return base if base.endswith((".yaml", ".yml")) else base + ".yaml"


def check_text(data: bytes | str, name: str = "scenario.yaml") -> CheckResult:
    """Validate a scenario given as text or bytes, as if it were a file called ``name`` in the
    scenario library (practices and the behavior catalog come from the library)."""
    fname = safe_name(name)
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        text = yamlio.decode(raw, fname)
    except yamlio.YamlProblems as exc:
        return CheckResult(fname, None, sorted(exc.problems), [])
    lines = text.splitlines()
    if len(raw) > MAX_BYTES:
        msg = f"file is {len(raw) / 1e6:.1f} MB; a scenario file should be a few KB (limit {MAX_BYTES // 2**20} MB)"
        return CheckResult(fname, None, [Problem(fname, 1, 1, "(file)", msg)], [])
    from simulator.authoring.scenario import load_file

    with tempfile.TemporaryDirectory(prefix="vasim-check-") as tmp:
        path = Path(tmp) / fname
        path.write_bytes(raw)
        path.chmod(0o600)
        try:
            sc = load_file(path, fname)
        except ProblemsError as exc:
            return CheckResult(fname, None, list(exc.problems), lines)
    return CheckResult(fname, sc, [], lines)
