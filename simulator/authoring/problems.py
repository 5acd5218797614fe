"""Validation errors as problems: pydantic's errors mapped onto the YAML document they came
from (``FILE:LINE:COL: field.path: message``), and salvage (keep what validates of a broken
file, so one run can report every problem). Shared by scenarios, the catalog and assessments."""

from __future__ import annotations

import difflib
import types
from typing import Any, Union, cast

from pydantic import BaseModel, ValidationError

from simulator.authoring import yamlio
from simulator.errors import Problem


def _data_path(data: Any, loc: tuple) -> tuple:
    """Map a pydantic error location onto the real document path.

    pydantic inserts names of union members, validators and our synthetic keys ("any")
    into ``loc``; keep only the parts that walk through the actual data.
    """
    path: list = []
    cur = data
    for part in loc:
        if (isinstance(cur, dict) and isinstance(part, str) and part in cur) or (
            isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)
        ):
            path.append(part)
            cur = cast(Any, cur)[part]  # a str key of a dict or an int index of a list: mypy can't pair them
        elif isinstance(cur, dict) and isinstance(part, str) and not path_is_synthetic(part):
            path.append(part)  # a missing or unknown key
            cur = None
        # else: a synthetic part (union tag, shorthand key) — skip it
    return tuple(path)


def path_is_synthetic(part: str) -> bool:
    return part in {"any", "function-after", "function-before", "function-plain"} or "[" in part


def _known_fields(model: type[BaseModel] | None, data: Any, path: tuple) -> list[str]:
    """The field names allowed at ``path`` (for "did you mean" hints), best effort."""
    import typing

    cur: Any = model
    container = False  # the next path part is a dict key or list index to step over
    for part in path:
        if container:
            container = False
            continue
        fields = getattr(cur, "model_fields", None)
        if not fields or not isinstance(part, str) or part not in fields:
            return []
        ann = fields[part].annotation
        inner = _inner_model(ann)
        if inner is None:
            return []
        origin = typing.get_origin(ann)
        container = origin in (dict, list) or (
            origin is not None and any(typing.get_origin(a) in (dict, list) for a in typing.get_args(ann))
        )
        cur = inner
    fields = getattr(cur, "model_fields", None)
    return [k for k in fields if not fields[k].exclude] if fields else []


def _inner_model(ann: Any) -> Any:
    import typing

    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in typing.get_args(ann):
        m = _inner_model(arg)
        if m is not None:
            return m
    return None


def pydantic_problems(
    doc: yamlio.Document, exc: ValidationError, model: type[BaseModel] | None = None
) -> list[Problem]:
    problems = []
    seen = set()
    for err in exc.errors(include_url=False):
        path = _data_path(doc.data, tuple(err["loc"]))
        kind = err["type"]
        msg = err["msg"]
        if kind == "extra_forbidden":
            key = path[-1] if path else "?"
            known = _known_fields(model, doc.data, path[:-1]) if model else []
            close = difflib.get_close_matches(str(key), known, n=1)
            msg = (
                f"unknown key '{key}'"
                + (f"; did you mean '{close[0]}'?" if close else "")
                + (f" (allowed: {', '.join(known)})" if known and not close else "")
            )
        elif kind == "missing":
            field = path[-1] if path else "?"
            msg = f"missing required field '{field}'"
            path = path[:-1] + (field,)
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            msg = f"'{err.get('input')}' is not allowed; use one of {expected}"
        elif kind.startswith("date") or kind == "date_from_datetime_parsing":
            msg = f"'{err.get('input')}' is not a valid date; use YYYY-MM-DD (e.g. 1968-04-12)"
        elif kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than"):
            ctx = err.get("ctx", {})
            bound = {
                "less_than_equal": f"at most {ctx.get('le')}",
                "greater_than_equal": f"at least {ctx.get('ge')}",
                "less_than": f"below {ctx.get('lt')}",
                "greater_than": f"above {ctx.get('gt')}",
            }[kind]
            msg = f"{err.get('input')} is out of range; it must be {bound}"
        elif kind in ("float_parsing", "int_parsing", "float_type", "int_type", "int_from_float"):
            msg = f"expected a number, got {err.get('input')!r}"
        elif kind in ("bool_parsing", "bool_type"):
            msg = f"expected true or false, got {err.get('input')!r}"
        elif kind == "too_short":
            msg = "must not be empty"
        elif kind == "value_error":
            msg = msg.removeprefix("Value error, ")
        elif kind == "string_pattern_mismatch" and path and path[-1] == "id":
            msg = "id must be lowercase words joined by hyphens, e.g. billing-frustrated"
        elif kind in ("model_type", "dict_type"):
            msg = f"expected a mapping (key: value), got {type(err.get('input')).__name__}"
        elif kind == "list_type":
            msg = f"expected a list, got {type(err.get('input')).__name__}"
        elif kind == "string_type":
            msg = f"expected text, got {_yaml_type(err.get('input'))}"
        key = (path, msg)
        if key in seen:
            continue
        seen.add(key)
        if kind == "missing":  # point at the mapping that lacks the field
            problems.append(Problem(doc.file, *doc.where(path[:-1]), yamlio.format_path(path), msg))
        else:
            problems.append(doc.problem(path, msg))
    return problems


def _yaml_type(v: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        bool: "true/false",
        int: "a number",
        float: "a number",
        type(None): "nothing",
    }.get(type(v), type(v).__name__)


# Models whose own "before" validator reshapes the input (shorthands) say so with a class
# attribute ``salvage_whole = True``: they are salvaged whole or not at all.


def salvage(model: type[BaseModel], raw: Any) -> Any:
    """``model`` built from ``raw`` as far as it validates, or None.

    When the whole fails, each field is validated on its own (with its own validators,
    through pydantic's assignment validation) and the ones that fail are left unset, so
    they are missing from ``model_fields_set``; containers of models are salvaged item by
    item, with None for an item that cannot be read. This lets the cross-reference checks
    run on everything that *is* well-formed while pydantic reports the rest, so one run
    reports every problem of a file.
    """
    try:
        return model.model_validate(raw)
    except ValidationError:
        pass
    if not isinstance(raw, dict) or getattr(model, "salvage_whole", False):
        return None
    inst = model.model_construct()
    got: set[str] = set()
    for name, value in raw.items():
        info = model.model_fields.get(name) if isinstance(name, str) else None
        if info is None or info.exclude:
            continue
        try:
            model.__pydantic_validator__.validate_assignment(inst, name, value)
        except ValidationError:
            items = _salvage_items(info.annotation, value)
            if items is None:
                continue
            inst.__dict__[name] = items
        got.add(name)
    object.__setattr__(inst, "__pydantic_fields_set__", got)
    return inst


def _salvage_items(ann: Any, value: Any) -> Any:
    """Salvage a field typed as a model, ``dict[str, Model]`` or ``list[Model]``; None if it is not one."""
    import typing

    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return salvage(ann, value)
    if origin is dict and len(args) == 2 and _inner_model(args[1]) is args[1] and isinstance(value, dict):
        return {k: salvage(args[1], v) for k, v in value.items()}
    if origin is list and args and _inner_model(args[0]) is args[0] and isinstance(value, list):
        return [salvage(args[0], v) for v in value]
    if origin is Union or origin is types.UnionType:
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if len(models) == 1:
            return salvage(models[0], value)
    return None


def _lost(obj: Any, raw: Any, name: str) -> bool:
    """The file gives ``name`` here but it failed validation (pydantic reports it)."""
    return isinstance(raw, dict) and name in raw and name not in obj.model_fields_set
