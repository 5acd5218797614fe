"""What a scenario looks like from outside: its one-line summary (``vasim scenario list --json``,
the browser app's library) and its conversation as a readable outline (``vasim scenario show``,
the scenario check's preview)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.authoring.model import Scenario


def summary(s: Scenario) -> dict[str, Any]:
    """One scenario as ``vasim scenario list --json`` lists it."""
    return {
        "id": s.id,
        "title": s.title,
        "touchpoint": s.touchpoint,
        "difficulty": s.difficulty,
        "mode": s.mode,
        "direction": s.direction,
        "escalation": s.escalation,
        "patient": s.patient.name,
        "examples": len(s.examples),
        "path": s.source,
    }


_CACHE: dict[str, tuple[tuple, list[dict[str, Any]]]] = {}


def _stamp(root: Path) -> tuple:
    """What the library's summaries depend on: every scenario, catalog and practice file's size and time."""
    files = [*root.glob("*.yaml"), *root.glob("behaviors.d/*.yaml"), *root.glob("practices/*.yaml")]
    return tuple(sorted((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.is_file()))


def library(root: Path | None = None) -> list[dict[str, Any]]:
    """Every scenario of the library, summarised (raises ``ProblemsError`` on a broken file).

    Validating 15 files takes a moment; the result is kept until a file of the library changes
    (a long-lived front end such as the browser app asks for it on every page)."""
    from simulator.authoring.scenario import all_scenarios
    from simulator.paths import scenarios_dir

    root = root or scenarios_dir()
    stamp = _stamp(root)
    hit = _CACHE.get(str(root))
    if hit is None or hit[0] != stamp:
        hit = (stamp, [summary(s) for s in all_scenarios(root)])
        _CACHE[str(root)] = hit
    return [dict(d) for d in hit[1]]


def condition(tr) -> str:
    """A transition's condition in words ("when empathy+use_name", "otherwise")."""
    parts = [
        f"when {'+'.join(tr.when)}" if tr.when else "",
        f"any of {'/'.join(tr.when_any)}" if tr.when_any else "",
        f"after {'+'.join(tr.after)}" if tr.after else "",
        f"unless {'/'.join(tr.unless)}" if tr.unless else "",
    ]
    return " ".join(p for p in parts if p) or "otherwise"


def outline(s: Scenario) -> dict[str, Any]:
    """The conversation as data: the brief, the caller, and each beat with the caller's lines, the
    ideal reply and where each trainee move leads."""
    return {
        **summary(s),
        "summary": s.summary.strip(),
        "caller": {
            "name": s.patient.name,
            "dob": s.patient.dob.isoformat() if s.patient.dob else None,
            "mood": s.patient.mood.start,
            "speech": s.patient.speech,
        },
        "va_speaks_first": s.va_speaks_first,
        "greeting_exemplar": s.greeting_exemplar,
        "states": [
            {
                "name": name,
                "goal": st.goal,
                "end": st.end,
                "lines": st.say.all(),
                "exemplar": st.exemplar,
                "next": [{"when": condition(tr), "goto": tr.goto or "(stay)", "mood": tr.mood} for tr in st.on],
            }
            for name, st in s.states.items()
        ],
    }
