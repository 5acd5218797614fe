"""Safe YAML reading that remembers where every value came from.

The scenario and catalog loaders need ``FILE:LINE:COL`` for every problem, and must
survive anything a user might point them at: an empty file, binary junk, text that is
not UTF-8, a directory, a huge file, or a "billion laughs" document whose aliases
expand exponentially. :func:`load` turns all of these into :class:`Problem` lists.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.errors import Problem

MAX_BYTES = 2 * 1024 * 1024  # a scenario is a few KB; anything this big is a mistake
MAX_NODES = 200_000  # after alias expansion; a YAML bomb blows far past this


@dataclass
class Document:
    """Plain Python data (dict/list/str/int/float/bool/None) plus source positions."""

    file: str
    data: Any
    positions: dict[tuple, tuple[int, int]] = field(default_factory=dict)  # path -> (line, col), 1-based
    # problems found while reading that did not stop it (duplicate keys with duplicates="report")
    problems: list[Problem] = field(default_factory=list)
    # items of a flow list ("[a, b]") that look like one text cut at a comma: an unquoted item
    # starting in lower case after an item with no closing punctuation ("[Sure, it's me]")
    comma_splits: list[tuple] = field(default_factory=list)

    def where(self, path: tuple) -> tuple[int, int]:
        """Position of the longest prefix of ``path`` that exists in the document."""
        p = tuple(path)
        while p:
            if p in self.positions:
                return self.positions[p]
            p = p[:-1]
        return self.positions.get((), (1, 1))

    def problem(self, path: tuple, message: str) -> Problem:
        line, col = self.where(path)
        return Problem(self.file, line, col, format_path(path), message)


def format_path(path: tuple) -> str:
    """``("states", "opening", "on", 0, "goto")`` -> ``states.opening.on[0].goto``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(file)"


class YamlProblems(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))


def _file_problem(file: str, message: str, line: int = 1, col: int = 1) -> YamlProblems:
    return YamlProblems([Problem(file, line, col, "(file)", message)])


def read_text(path: Path, display: str | None = None, max_bytes: int = MAX_BYTES) -> str:
    """Read a small UTF-8 text file, or raise :class:`YamlProblems` saying why not."""
    name = display or str(path)
    if not path.exists():
        raise _file_problem(name, "no such file")
    if path.is_dir():
        raise _file_problem(
            name,
            "is a directory, expected a file (pass the directory to `vasim scenario validate` to check all its files)",
        )
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _file_problem(
                name,
                f"file is {size / 1e6:.1f} MB; a scenario file should be a few KB (limit {max_bytes // 1024 // 1024} MB)",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise _file_problem(name, f"cannot read: {exc.strerror or exc}") from None
    return decode(raw, name)


def decode(raw: bytes, name: str) -> str:
    if b"\x00" in raw[:8192]:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise _file_problem(name, "binary data (NUL byte), not a YAML text file", line)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise _file_problem(
            name, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", line, col
        ) from None
    return text.lstrip("\ufeff")


def _yaml(allow_duplicates: bool = False):
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True  # a quoted item of "[a, b]" is known to be meant whole (comma_splits)
    y.allow_duplicate_keys = allow_duplicates  # when allowed, the first of the keys wins
    # Keep dates as text: pydantic parses them and reports a bad date with its field path,
    # instead of the YAML layer failing with no path.
    y.constructor.add_constructor("tag:yaml.org,2002:timestamp", lambda self, node: self.construct_scalar(node))
    return y


def loads(text: str, name: str, duplicates: str = "raise") -> Document:
    """Parse YAML text into a :class:`Document`, or raise :class:`YamlProblems`.

    ``duplicates="report"``: a duplicate key does not stop reading; the first one is kept and
    each repeat is a problem in ``Document.problems``, so a loader can report it together with
    everything else wrong in the file. ``"raise"`` (the default) stops at the first one.
    """
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise _file_problem(name, "file is empty; expected a YAML mapping (run `vasim scenario new` for a template)")
    try:
        root = _yaml(allow_duplicates=duplicates == "report").load(io.StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        msg = " ".join(str(x) for x in (exc.context, exc.problem) if x) or "invalid YAML"
        dup = re.search(r'found duplicate key "([^"]*)"', str(exc))
        if dup:
            first = exc.context_mark.line + 1 if exc.context_mark else None
            key = dup.group(1)
            msg = (
                f"duplicate key '{key}'"
                + (f" (the mapping starting on line {first} already has it)" if first else "")
                + "; keep one"
            )
            raise YamlProblems([Problem(name, line, col, key, msg)]) from None
        raise _file_problem(name, f"YAML syntax: {msg}", line, col) from None
    except YAMLError as exc:
        raise _file_problem(name, f"YAML syntax: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise _file_problem(name, "YAML nesting is too deep") from None
    except Exception as exc:  # the parser can raise plain ValueError/TypeError on odd input
        raise _file_problem(name, f"YAML could not be read: {exc}") from None
    doc = Document(name, None)
    budget = [MAX_NODES]
    try:
        doc.data = _plain(root, (), doc.positions, budget, set(), name, doc.comma_splits)
        if duplicates == "report":
            doc.problems = _duplicate_keys(text, name)
    except RecursionError:
        raise _file_problem(name, "YAML nesting is too deep") from None
    return doc


def _duplicate_keys(text: str, name: str) -> list[Problem]:
    """Every repeated key of every mapping, located at the repeat (aliases are not followed)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    out: list[Problem] = []
    seen: set[int] = set()
    todo: list[tuple[Any, tuple]] = [(YAML(typ="rt").compose(io.StringIO(text)), ())]
    while todo:
        node, path = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            first: dict[str, int] = {}
            for k, v in node.value:
                key = k.value if isinstance(k, ScalarNode) else None
                if key is None or key == "<<":
                    continue
                if key in first:
                    out.append(
                        Problem(
                            name,
                            k.start_mark.line + 1,
                            k.start_mark.column + 1,
                            format_path(path + (key,)),
                            f"duplicate key '{key}' (already on line {first[key]}); keep one",
                        )
                    )
                    continue
                first[key] = k.start_mark.line + 1
                todo.append((v, path + (key,)))
        elif isinstance(node, SequenceNode):
            todo += [(v, path + (i,)) for i, v in enumerate(node.value)]
    return out


def load(path: Path, display: str | None = None, duplicates: str = "raise") -> Document:
    return loads(read_text(path, display), display or str(path), duplicates)


def _plain(
    node: Any,
    path: tuple,
    positions: dict[tuple, tuple[int, int]],
    budget: list[int],
    active: set[int],
    name: str,
    splits: list[tuple] | None = None,
) -> Any:
    """Convert ruamel's round-trip nodes to plain data, recording positions.

    Aliases are expanded with a budget on the total node count, so a YAML bomb is
    reported instead of eating all memory; a recursive alias is reported too.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    budget[0] -= 1
    if budget[0] < 0:
        line, col = positions.get(path, (1, 1))
        raise YamlProblems(
            [
                Problem(
                    name,
                    line,
                    col,
                    "(file)",
                    "document expands to too many values (YAML aliases/anchors nested too deeply); write it out plainly",
                )
            ]
        )
    if isinstance(node, (CommentedMap, dict)):
        if id(node) in active:
            raise YamlProblems([Problem(name, *positions.get(path, (1, 1)), format_path(path), "recursive YAML alias")])
        active.add(id(node))
        out: dict[str, Any] = {}
        for key in node:
            k = key if isinstance(key, str) else str(key)
            sub = path + (k,)
            if isinstance(node, CommentedMap):
                try:
                    ln, cl = node.lc.key(key)
                    positions.setdefault(sub, (ln + 1, cl + 1))
                except Exception:
                    pass
            out[k] = _plain(node[key], sub, positions, budget, active, name, splits)
        active.discard(id(node))
        return out
    if isinstance(node, (CommentedSeq, list)):
        if id(node) in active:
            raise YamlProblems([Problem(name, *positions.get(path, (1, 1)), format_path(path), "recursive YAML alias")])
        active.add(id(node))
        items = []
        for i, item in enumerate(node):
            sub = path + (i,)
            if isinstance(node, CommentedSeq):
                try:
                    ln, cl = node.lc.item(i)
                    positions.setdefault(sub, (ln + 1, cl + 1))
                except Exception:
                    pass
            items.append(_plain(item, sub, positions, budget, active, name, splits))
        active.discard(id(node))
        if splits is not None and isinstance(node, CommentedSeq) and node.fa.flow_style():
            for i in range(1, len(node)):
                prev, item = node[i - 1], node[i]
                if (
                    type(item) is str
                    and item[:1].islower()
                    and isinstance(prev, str)
                    and not prev.rstrip().endswith((".", "!", "?", '"', "'", ")"))
                ):
                    splits.append(path + (i,))
        return items
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return str(node)
