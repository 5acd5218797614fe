"""Checks of a scenario that pydantic cannot do: behavior ids, transition targets,
reachability, voices and the example calls.

A check runs on a scenario that may be :func:`~simulator.authoring.problems.salvage`d: parts
that failed validation are missing, and a check that depends on one is skipped rather than
guessed, so nothing is reported twice or wrongly.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, cast

from simulator.authoring import yamlio
from simulator.authoring.catalog import DIMENSIONS, Catalog
from simulator.authoring.model import END, RING, Scenario, State
from simulator.authoring.problems import _lost
from simulator.errors import Problem
from simulator.speech.tts import voice_problem
from simulator.understanding.corpus import ACTS
from simulator.understanding.facts import WEEKDAYS, extract


def check_refs(sc: Scenario, doc: yamlio.Document, catalog: Catalog) -> list[Problem]:
    """Checks pydantic cannot do: behavior ids, transition targets, reachability, examples.

    ``sc`` may be a :func:`salvage`d scenario: parts that failed validation are missing
    (unset fields, None items). A check that depends on a missing part is skipped rather
    than guessed, so nothing is reported twice or wrongly.
    """
    problems: list[Problem] = []
    data = doc.data if isinstance(doc.data, dict) else {}

    def raw(*path: Any) -> Any:
        cur: Any = data
        for part in path:
            if isinstance(cur, dict) and isinstance(part, str):
                cur = cur.get(part)
            elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
                cur = cur[part]
            else:
                return None
        return cur

    def behavior(path: tuple, bid: Any) -> None:
        if isinstance(bid, str) and bid not in catalog:
            close = difflib.get_close_matches(bid, catalog.ids, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else " (see scenarios/behaviors.yaml)"
            problems.append(doc.problem(path, f"unknown behavior '{bid}'{hint}"))

    def behaviors(path: tuple, ids: list[str]) -> None:
        listed = isinstance(raw(*path), list)
        for j, bid in enumerate(ids):
            behavior(path + (j,) if listed else path, bid)

    def has(obj: Any, name: str, raw_obj: Any) -> bool:
        return obj is not None and not _lost(obj, raw_obj, name)

    states_known = "states" in sc.model_fields_set and isinstance(sc.__dict__.get("states"), dict)
    states: Mapping[str, State | None] = sc.states if states_known else {}
    complete = states_known  # every state and transition was read, so reachability can be judged
    names = set(states)
    if RING in names and not _lost(sc, data, "direction") and not _lost(sc, data, "mode") and not sc.va_speaks_first:
        problems.append(
            doc.problem(("states", RING), f"state '{RING}' is only for inbound calls, where the VA answers first")
        )
    if END in names:
        problems.append(
            doc.problem(("states", END), f"'{END}' is reserved (a transition to it ends the call); rename this state")
        )
    start = sc.start if has(sc, "start", data) else ""
    if start and states_known and start not in names:
        close = difflib.get_close_matches(start, list(names), n=1)
        problems.append(
            doc.problem(("start",), f"no state named '{start}'" + (f"; did you mean '{close[0]}'?" if close else ""))
        )
    dangling = False
    for name, st in states.items():
        base = ("states", name)
        rs = raw(*base)
        if st is None:
            complete = False
            continue
        if name != RING and has(st, "say", rs) and not st.say:
            problems.append(
                doc.problem(
                    base + ("say",) if isinstance(rs, dict) and "say" in rs else base,
                    "the patient needs at least one line here (say: ...)",
                )
            )
        if has(st, "expects", rs):
            behaviors(base + ("expects",), st.expects)
        if _lost(st, rs, "on") or _lost(st, rs, "end"):
            complete = False
        for t_i, tr in enumerate(st.on):
            tp = base + ("on", t_i)
            rt = raw(*tp)
            if tr is None:
                complete = False
                continue
            for fld in ("when", "when_any", "unless", "after"):
                if has(tr, fld, rt):
                    behaviors(tp + (fld,), getattr(tr, fld))
            if has(tr, "acts", rt):
                listed = isinstance(raw(*tp, "acts"), list)
                for j, act in enumerate(tr.acts):
                    if act not in ACTS:
                        close = difflib.get_close_matches(act, ACTS, n=1)
                        hint = f"; did you mean '{close[0]}'?" if close else f" (acts: {', '.join(ACTS)})"
                        problems.append(
                            doc.problem(tp + ("acts", j) if listed else tp + ("acts",), f"unknown act '{act}'{hint}")
                        )
            if _lost(tr, rt, "goto"):
                complete = False
            elif tr.goto is not None and tr.goto != END and tr.goto not in names:
                dangling = True
                close = difflib.get_close_matches(tr.goto, list(names) + [END], n=1)
                problems.append(
                    doc.problem(
                        tp + ("goto",),
                        f"no state named '{tr.goto}'"
                        + (f"; did you mean '{close[0]}'?" if close else f" (states: {', '.join(names)}, or '{END}')"),
                    )
                )
            if tr.mood_at_least is not None and tr.mood_below is not None and tr.mood_below <= tr.mood_at_least:
                problems.append(
                    doc.problem(
                        tp + ("mood_below",), "mood_below must be above mood_at_least, or the transition can never fire"
                    )
                )
        if st.end and st.on and has(st, "end", rs):
            problems.append(
                doc.problem(base + ("on",), "an end state hangs up, so its transitions never run; remove `on` or `end`")
            )

    # reachability from the first state (and from `ring` on inbound calls); skipped when a
    # transition points nowhere, since every later complaint would just repeat that one, and
    # when part of the graph could not be read
    first = (start or next(iter(states), "")) if complete and not dangling and not _lost(sc, data, "start") else ""
    if first in names:
        graph = cast("Mapping[str, State]", states)  # complete: no state was lost (None)
        reach = {first} | ({RING} if RING in names else set())
        todo = list(reach)
        while todo:
            for tr in graph[todo.pop()].on:
                if tr.goto and tr.goto in names and tr.goto not in reach:
                    reach.add(tr.goto)
                    todo.append(tr.goto)
        for name in states:
            if name not in reach and name != END:
                problems.append(
                    doc.problem(
                        ("states", name), f"state '{name}' is unreachable: no transition leads to it from '{first}'"
                    )
                )
        if not any(st.end or any(tr.goto == END for tr in st.on) for n, st in graph.items() if n in reach):
            problems.append(
                doc.problem(
                    ("states",), "the call can never end: add a state with `end: true` or a transition with `goto: end`"
                )
            )

    scoring, rsc = (sc.scoring, raw("scoring")) if has(sc, "scoring", data) else (None, None)
    if scoring is not None:
        for sub in ("required", "forbidden"):
            if has(scoring, sub, rsc):
                weights = getattr(scoring, sub)
                keyed = isinstance(raw("scoring", sub), dict)
                for bid in weights:
                    behavior(("scoring", sub, bid) if keyed else ("scoring", sub), bid)
        if has(scoring, "not_required", rsc):
            for bid in scoring.not_required:
                behavior(("scoring", "not_required"), bid)
    patient = sc.__dict__.get("patient") if has(sc, "patient", data) else None
    mood = patient.__dict__.get("mood") if has(patient, "mood", raw("patient")) else None
    if mood is not None and has(mood, "moves", raw("patient", "mood")):
        for bid in mood.moves:
            behavior(("patient", "mood", "moves", bid), bid)
    problems += _caller_checks(patient, raw("patient"), doc) if patient is not None else []
    voice = patient.__dict__.get("voice") if has(patient, "voice", raw("patient")) else None
    if voice is not None and isinstance(raw("patient", "voice"), dict) and "voice" in raw("patient", "voice"):
        why = voice_problem(voice)
        if why:
            problems.append(doc.problem(("patient", "voice", "voice"), why))

    if _lost(sc, data, "examples"):
        return problems
    examples = sc.examples
    kinds = {getattr(e, "kind", None) for e in examples}
    if None not in kinds:  # every example's kind was read
        for kind in ("strong", "weak"):
            if kind not in kinds:
                problems.append(
                    doc.problem(
                        ("examples",) if "examples" in data else (),
                        f"missing a {kind} example call (examples: - name: ..., kind: {kind}, expect: ..., turns: ...)",
                    )
                )
    seen: dict[str, int] = {}
    for i, ex in enumerate(examples):
        if ex is None:
            continue
        ep = ("examples", i)
        ex_name = ex.__dict__.get("name")
        if isinstance(ex_name, str):
            if ex_name in seen:
                problems.append(
                    doc.problem(ep + ("name",), f"duplicate example name '{ex_name}' (also examples[{seen[ex_name]}])")
                )
            seen.setdefault(ex_name, i)
        expect = ex.__dict__.get("expect")
        if expect is not None:
            rexp = raw(*ep, "expect")
            for fld in ("blockers", "detects", "not_detects"):
                if has(expect, fld, rexp):
                    for bid in getattr(expect, fld):
                        behavior(ep + ("expect", fld), bid)
            if has(expect, "worse", rexp):
                for dim in expect.worse:
                    if dim not in DIMENSIONS:
                        problems.append(
                            doc.problem(
                                ep + ("expect", "worse"),
                                f"unknown dimension '{dim}'; use one of {', '.join(DIMENSIONS)}",
                            )
                        )
            passed = expect.__dict__.get("passed")
            if ex.__dict__.get("kind") == "strong" and passed is False:
                problems.append(
                    doc.problem(ep + ("expect", "passed"), "a strong example must pass (expect: {passed: true})")
                )
            if passed is True and has(expect, "blockers", rexp) and expect.blockers:
                problems.append(
                    doc.problem(ep + ("expect", "blockers"), "an example that passes cannot expect blockers")
                )
        turns = ex.__dict__.get("turns")
        if isinstance(turns, list) and turns and None not in turns and not any(t.speaker == "trainee" for t in turns):
            problems.append(doc.problem(ep + ("turns",), "an example call needs at least one VA turn"))
    return problems


def _caller_checks(patient: Any, rp: Any, doc: yamlio.Document) -> list[Problem]:
    """The caller's wants: times that read as times, days that are weekdays, a `by` that is a
    weekday or a date (so a slot can be checked against them)."""
    out: list[Problem] = []
    wants = patient.__dict__.get("wants") if not _lost(patient, rp, "wants") else None
    if wants is None:
        return out
    rw = rp.get("wants") if isinstance(rp, dict) else None
    for i, win in enumerate(wants.__dict__.get("slots") or []):
        if win is None:
            continue
        base = ("patient", "wants", "slots", i)
        for fld in ("after", "before"):
            v = getattr(win, fld)
            if v and not any(f.kind == "time" for f in extract(v)):
                out.append(doc.problem(base + (fld,), f"'{v}' is not a time; write e.g. 3:30 pm"))
        for day in win.days:
            if day.lower() not in WEEKDAYS:
                out.append(doc.problem(base + ("days",), f"'{day}' is not a weekday (monday ... sunday)"))
    by = wants.__dict__.get("by")
    if isinstance(by, str) and by and not any(f.kind in ("weekday", "date") for f in extract(by)):
        out.append(
            doc.problem(("patient", "wants", "by"), f"'{by}' is not a weekday or a date; write e.g. friday or June 15")
        )
    del rw
    return out
