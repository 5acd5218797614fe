"""The layering of ARCHITECTURE.md, checked on the import graph of every module (imports inside
functions included, so a lazy import cannot hide a cycle): the library never imports the
command line, and no two modules import each other, directly or round a loop."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import simulator

ROOT = Path(simulator.__file__).resolve().parent
FRONT_ENDS = ("simulator.cli", "simulator.web", "simulator.__main__")


def modules() -> dict[str, Path]:
    out = {}
    for p in ROOT.rglob("*.py"):
        parts = p.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
    return out


def import_graph() -> dict[str, set[str]]:
    mods = modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for t in targets:
                dep = resolve(t) if t.startswith("simulator") else None
                if dep and dep != name and dep != "simulator":
                    graph[name].add(dep)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_library_never_imports_the_command_line():
    graph = import_graph()
    bad = sorted(
        f"{m} imports {d}"
        for m, deps in graph.items()
        for d in deps
        if d.startswith(FRONT_ENDS) and not m.startswith(FRONT_ENDS)
    )
    assert not bad, bad


def test_the_front_ends_do_not_import_each_other():
    """The browser app and the command line are two front ends over the library: neither
    borrows the other's code (what both need lives in the library)."""
    graph = import_graph()
    bad = sorted(
        f"{m} imports {d}"
        for m, deps in graph.items()
        for d in deps
        if (m.startswith("simulator.web") and d.startswith("simulator.cli"))
        or (m.startswith("simulator.cli") and d.startswith("simulator.web") and m != "simulator.cli.commands.serve")
    )
    assert not bad, bad


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_the_checks_can_fail():
    """The cycle finder and the graph are not vacuous."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    graph = import_graph()
    assert "simulator.call.setup" in graph and "simulator.speech.factory" in graph["simulator.call.setup"]
    assert any(d.startswith("simulator.cli") for d in graph["simulator.cli.main"])


def test_the_stages_are_folders():
    stages = {
        "text",
        "authoring",
        "speech",
        "understanding",
        "call",
        "scoring",
        "records",
        "reports",
        "examples",
        "console",
        "testing",
        "benchmarks",
        "cli",
    }
    assert stages <= {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    flat = sorted(p.name for p in ROOT.glob("*.py"))
    assert flat == ["__init__.py", "__main__.py", "errors.py", "fsutil.py", "paths.py", "stats.py"], flat


def test_one_atomic_writer_and_one_percentile():
    """One copy of each rule: files are replaced only in simulator/fsutil.py, and percentiles
    and rater agreement (kappa) are computed only in simulator/stats.py."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT).as_posix()
        if rel != "fsutil.py" and ("os.replace(" in text or "os.rename(" in text):
            offenders.append(f"{rel}: renames files itself (use simulator.fsutil.atomic_open)")
        if rel != "stats.py" and ("np.percentile(" in text or "numpy.percentile(" in text or "quantiles(" in text):
            offenders.append(f"{rel}: its own percentile (use simulator.stats.percentile)")
        if rel != "stats.py" and re.search(r"def \w*kappa\w*\(", text):
            offenders.append(f"{rel}: its own kappa (use simulator.stats.quadratic_weighted_kappa)")
    assert not offenders, offenders


def test_the_one_percentile_matches_numpy():
    import numpy as np

    from simulator import stats

    rng = np.random.default_rng(1)
    for n in (1, 2, 5, 37):
        xs = rng.normal(size=n).tolist()
        for q in (0, 10, 50, 90, 95, 100):
            assert stats.percentile(xs + [None], q) == pytest.approx(float(np.percentile(xs, q)))
    assert stats.percentile([], 50) is None and stats.median([None]) is None


def test_number_words_are_spelt_out_once():
    """One number vocabulary (simulator/text/numbers.py) for detection, fact checks, word error
    rate, voice activity's patience and what the patient says."""
    spelt = [
        p.relative_to(ROOT).as_posix()
        for p in ROOT.rglob("*.py")
        if '"seventeen"' in p.read_text(encoding="utf-8") or '"eighteenth"' in p.read_text(encoding="utf-8")
    ]
    assert spelt == ["text/numbers.py"], spelt


def test_the_escalation_policy_is_the_design_table():
    """simulator/authoring/policy.py is DESIGN.md's "Escalation kinds" table as data."""
    import re

    from simulator.authoring import policy

    design = (ROOT.parent / "docs" / "DESIGN.md").read_text(encoding="utf-8")
    table = design[design.index("## Escalation kinds") :]
    rows = {}
    for line in table.splitlines()[3:]:
        if not line.startswith("| `"):
            break
        kind, required, blocker = (c.strip() for c in line.strip("|").split("|"))
        names = re.findall(r"`([a-z_0-9]+)`", required.split(";")[0])
        rows[kind.strip("`")] = (tuple(names) if kind != "`none`" else (), blocker == "yes")
    assert rows == {k: (e.requires, e.blocker) for k, e in policy.POLICY.items()}
    assert policy.ESCALATION_RECOMMENDS == {"crisis_transfer": ("crisis_line_988",)}  # "recommended" in the table
    for b in policy.ALWAYS_BLOCKERS:
        assert f"`{b}`" in table.split("\n\n")[0]


def test_one_sentence_splitter_and_one_word_tokenizer():
    """Sentences, clauses and words are cut by simulator/text/split.py alone: no other module
    defines its own sentence regex or word tokenizer."""
    own = ROOT / "text" / "split.py"
    for path in ROOT.rglob("*.py"):
        if path == own:
            continue
        src = path.read_text()
        for needle in ("(?<=[.!?])", "[.?!]+(?=", 'r"[a-z0-9]+"', "r\"[a-z0-9']+\"", "r\"[A-Za-z']+", "r\"[a-z']+\""):
            assert needle not in src, (
                f"{path.relative_to(ROOT)} splits text itself ({needle}); use simulator.text.split"
            )
