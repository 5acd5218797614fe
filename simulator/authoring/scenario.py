"""Reading scenarios: one YAML file per role-play, validated, and the library of them.

Loading never raises anything but :class:`ProblemsError`: every problem of a file is
collected and reported as ``FILE:LINE:COL: field.path: message``. The models are in
:mod:`simulator.authoring.model`, the cross-reference checks in :mod:`simulator.authoring.checks`.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulator.authoring import yamlio
from simulator.authoring.catalog import Catalog, load_catalog
from simulator.authoring.checks import check_refs
from simulator.authoring.model import ID_PATTERN, Practice, Scenario
from simulator.authoring.problems import _yaml_type, pydantic_problems, salvage
from simulator.errors import Problem, ProblemsError
from simulator.paths import scenarios_dir

# DESIGN.md, "Scenario library": the fixed ids every install ships. A trainer's own scenarios
# (`vasim scenario new`) live beside them; tools that hold the library to a higher bar
# (rendered examples, the test suite) ask this set rather than "every file in scenarios/".
LIBRARY_IDS: frozenset[str] = frozenset(
    {
        "billing-frustrated",
        "billing-dispute-complex",
        "symptoms-same-day",
        "emergency-chest-pain",
        "suicidal-ideation",
        "refill-request",
        "lab-results",
        "records-request",
        "legal-threat",
        "appointment-scheduling",
        "general-inquiry",
        "new-patient-onboarding",
        "referral-status",
        "post-visit-followup",
        "voicemail-reminder",
    }
)


def _practice_ref(data: Any, doc: yamlio.Document, root: Path, problems: list[Problem]) -> Any:
    """Replace ``practice: riverside`` with the mapping from ``practices/riverside.yaml``."""
    if not isinstance(data, dict) or not isinstance(data.get("practice"), str):
        return data
    name = data["practice"]
    path = root / "practices" / f"{name}.yaml"
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name) or not path.is_file():
        known = sorted(p.stem for p in (root / "practices").glob("*.yaml"))
        hint = f"; known practices: {', '.join(known)}" if known else ""
        problems.append(doc.problem(("practice",), f"no practice named '{name}' in {root / 'practices'}{hint}"))
        return {**data, "practice": {"name": name}}
    try:
        pdoc = yamlio.load(path)
    except yamlio.YamlProblems as exc:
        problems.extend(exc.problems)
        return {**data, "practice": {"name": name}}
    try:
        Practice.model_validate(pdoc.data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(pdoc, exc))
        return {**data, "practice": {"name": name}}
    return {**data, "practice": pdoc.data}


def parse(doc: yamlio.Document, root: Path | None = None, catalog: Catalog | None = None) -> Scenario:
    """Validate a loaded document as a scenario, or raise :class:`ProblemsError` with all problems.

    Type errors and cross-reference errors are reported together: when pydantic rejects
    part of the file, the reference checks still run on the parts that did validate.
    """
    root = root or scenarios_dir()
    problems: list[Problem] = list(doc.problems)  # e.g. duplicate keys, read past so the rest is checked too
    if not isinstance(doc.data, dict):
        raise ProblemsError(
            problems + [doc.problem((), f"a scenario must be a YAML mapping (key: value), got {_yaml_type(doc.data)}")]
        )
    data = _practice_ref(doc.data, doc, root, problems)
    try:
        sc = Scenario.model_validate({**data, "source": doc.file})
        valid = True
    except ValidationError as exc:
        problems += pydantic_problems(doc, exc, Scenario)
        sc = salvage(Scenario, data)
        valid = False
    if catalog is None:
        catalog = load_catalog(root if (root / "behaviors.yaml").exists() else None)
    if sc is not None:
        problems += check_refs(sc, doc, catalog)
    for path in doc.comma_splits:
        # only what the caller says: lists of ids ([empathy, use_name]) are meant item by item
        if path[:1] in (("states",), ("patient",)) and len(path) >= 2 and path[-2] in _LINE_KEYS:
            problems.append(
                doc.problem(
                    path,
                    f"'{_raw_at(doc.data, path)}' looks like part of a line cut at a comma: "
                    "in [a, b] every comma starts a new line variant; put each line in quotes "
                    "([\"Sure, it's me.\"]) or write one '- ' item per line",
                )
            )
    if problems or not valid:
        raise ProblemsError(list(dict.fromkeys(problems)))
    return sc


_LINE_KEYS = ("say", "again", "calm", "upset", "angry", "any", "confused")


def _raw_at(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def load_file(path: Path, display: str | None = None, root: Path | None = None) -> Scenario:
    try:
        doc = yamlio.load(path, display, duplicates="report")
    except yamlio.YamlProblems as exc:
        raise ProblemsError(exc.problems) from None
    raw_id = doc.data.get("id") if isinstance(doc.data, dict) else None
    mismatch = (
        [doc.problem(("id",), f"id '{raw_id}' does not match the file name '{path.name}'; rename one of them")]
        if isinstance(raw_id, str) and re.fullmatch(ID_PATTERN, raw_id) and raw_id != path.stem
        else []
    )
    try:
        sc = parse(doc, root=root or _root_for(path))
    except ProblemsError as exc:
        raise ProblemsError(exc.problems + mismatch) from None
    if mismatch:
        raise ProblemsError(mismatch)
    return sc


def _root_for(path: Path) -> Path:
    """The library root for a file: the nearest parent with a behaviors.yaml, else the default."""
    for parent in path.resolve().parents:
        if (parent / "behaviors.yaml").is_file():
            return parent
    return scenarios_dir()


def scenario_files(root: Path | None = None) -> list[Path]:
    root = root or scenarios_dir()
    return sorted(p for p in root.glob("*.yaml") if p.name != "behaviors.yaml")


def validate_paths(paths: list[Path]) -> tuple[list[Scenario], list[Problem]]:
    """Validate files and directories; every problem of every file, plus duplicate ids."""
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    files: list[tuple[Path, str]] = []
    for p in paths:
        if p.is_dir():
            found = scenario_files(p)
            if not found:
                problems.append(Problem(str(p), 1, 1, "(file)", "no scenario files (*.yaml) in this directory"))
            files += [(f, str(f)) for f in found]
        else:
            files.append((p, str(p)))
    ids: dict[str, str] = {}
    for f, display in files:
        try:
            sc = load_file(f, display)
        except ProblemsError as exc:
            problems += exc.problems
            continue
        if sc.id in ids:
            problems.append(Problem(display, 1, 1, "id", f"duplicate scenario id '{sc.id}' (also in {ids[sc.id]})"))
            continue
        ids[sc.id] = display
        scenarios.append(sc)
    return scenarios, problems


@lru_cache(maxsize=64)
def _load_by_id(sid: str, root: str) -> Scenario:
    path = Path(root) / f"{sid}.yaml"
    return load_file(path, str(path))


def load(ref: str) -> Scenario:
    """A scenario by id (from the library) or by path."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or "/" in ref or p.exists():
        return load_file(p, ref)
    root = scenarios_dir()
    if not (root / f"{ref}.yaml").is_file():
        from simulator.errors import UserError

        known = [f.stem for f in scenario_files(root)]
        close = difflib.get_close_matches(ref, known, n=1)
        raise UserError(
            f"{ref}: no such scenario"
            + (f"; did you mean '{close[0]}'?" if close else "")
            + " (vasim scenario list shows them)"
        )
    return _load_by_id(ref, str(root))


def all_scenarios(root: Path | None = None) -> list[Scenario]:
    scs, problems = validate_paths([root or scenarios_dir()])
    if problems:
        raise ProblemsError(problems)
    return scs


def json_schema() -> dict:
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "va-simulator scenario"
    # `practice` may also be the name of a file in scenarios/practices/
    props = schema.get("properties", {})
    if "practice" in props:
        props["practice"] = {
            "anyOf": [{"type": "string", "description": "name of scenarios/practices/NAME.yaml"}, props["practice"]]
        }
    props.pop("source", None)
    return schema
