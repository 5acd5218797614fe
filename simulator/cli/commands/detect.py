"""``vasim detect``: which catalog behaviors a trainee's words show.

``--json TEXT`` prints one result; ``--jsonl`` reads ``{"text", "practice"?, "patient"?,
"mode"?}`` lines from stdin and writes one result line per input line, loading the
models once (the way other tools batch through it).
"""

from __future__ import annotations

import json
import sys

from simulator.errors import UserError

MODES = ("call", "voicemail")
MAX_TEXT = 20_000  # characters in one turn; more is not a spoken turn


def register(sub) -> None:
    p = sub.add_parser(
        "detect",
        help="detect catalog behaviors in a trainee's words",
        description="Detect catalog behaviors (scenarios/behaviors.yaml) in what a trainee said.",
    )
    p.add_argument("text", nargs="?", metavar="TEXT", help="what the trainee said")
    p.add_argument("--json", action="store_true", help='print {"text", "behaviors": [{"id", "confidence"}]}')
    p.add_argument(
        "--jsonl",
        action="store_true",
        help='read {"text", "practice"?, "patient"?, "mode"?} lines from stdin, write one result per line',
    )
    p.add_argument("--practice", help="the practice's name (for greet_practice)")
    p.add_argument("--patient", help="the caller's full name (for use_name)")
    p.add_argument("--mode", choices=MODES, default="call", help="voicemail_phi is only detected in voicemail mode")
    p.add_argument(
        "--words-only",
        "--rules-only",
        dest="words_only",
        action="store_true",
        help="the words-only model: no sentence embeddings to load",
    )
    p.add_argument("--quote", action="store_true", help="also print the quote that shows each behavior")
    p.add_argument(
        "--understand",
        action="store_true",
        help='also print the dialogue acts and the facts stated ("acts", "facts" in JSON)',
    )
    p.set_defaults(func=run)


def _context(practice, patient, mode, where: str):
    from simulator.understanding.detect import Context

    if mode not in MODES:
        raise UserError(f"{where}mode must be 'call' or 'voicemail', not {mode!r}")
    for name, value in (("practice", practice), ("patient", patient)):
        if value is not None and not isinstance(value, str):
            raise UserError(f"{where}{name} must be a string")
    return Context(practice=practice or None, patient=patient or None, mode=mode)


def _parse_line(line: str, number: int):
    where = f"stdin:{number}: "
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{where}not valid JSON ({exc.msg} at column {exc.colno}); "
            'each line must be an object like {"text": "..."}'
        ) from None
    if not isinstance(obj, dict):
        raise UserError(f'{where}expected a JSON object like {{"text": "..."}}')
    text = obj.get("text")
    if not isinstance(text, str):
        raise UserError(f'{where}text: missing or not a string; each line needs {{"text": "..."}}')
    if len(text) > MAX_TEXT:
        raise UserError(f"{where}text: longer than {MAX_TEXT} characters; send one turn per line")
    return text, _context(obj.get("practice"), obj.get("patient"), obj.get("mode", "call"), where)


def _result(u, quote: bool, understand: bool = False) -> dict:
    """The JSON of one understood turn: DESIGN's ``{"text", "behaviors"}``, plus what was asked for."""
    from simulator.understanding.detect import result_json

    out = result_json(u.text, u.behaviors)
    if quote:
        for item, d in zip(out["behaviors"], u.behaviors):
            item["quote"] = d.quote
    if understand:
        out["acts"] = [{"id": a.id, "confidence": a.confidence} for a in u.acts]
        out["facts"] = [{"kind": f.kind, "value": f.render(), "said": f.said} for f in u.facts]
    return out


def run(args) -> int:
    from simulator.speech import factory

    if args.jsonl:
        if args.text is not None:
            raise UserError("--jsonl reads stdin; don't also give TEXT")
        detector = factory.make_detector(embeddings=not args.words_only)
        # One line in, one line out, flushed: a caller may be waiting on each answer.
        for i, line in enumerate(sys.stdin, 1):
            if not line.strip():  # blank lines separate nothing; skip them
                continue
            text, ctx = _parse_line(line, i)
            sys.stdout.write(json.dumps(_result(detector.understand(text, ctx), args.quote, args.understand)) + "\n")
            sys.stdout.flush()
        return 0
    if args.text is None:
        raise UserError("give the TEXT to analyse, or --jsonl to read lines from stdin")
    if len(args.text) > MAX_TEXT:
        raise UserError(f"TEXT is longer than {MAX_TEXT} characters; give one turn")
    ctx = _context(args.practice, args.patient, args.mode, "")
    detector = factory.make_detector(embeddings=not args.words_only)
    u = detector.understand(args.text, ctx)
    if args.json:
        print(json.dumps(_result(u, args.quote, args.understand)))
        return 0
    if not u.behaviors:
        print("no behaviors detected")
    for d in u.behaviors:
        print(f"{d.id:20s} {d.confidence:.2f}  \"{d.quote}\"")
    if args.understand:
        print("acts: " + (", ".join(f"{a.id} {a.confidence:.2f}" for a in u.acts) or "none"))
        print("facts: " + (", ".join(f"{f.kind} {f.render()}" for f in u.facts) or "none"))
    return 0
