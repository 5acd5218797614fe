"""``vasim score [--json] SCENARIO TRANSCRIPT``: score a call transcript against a scenario."""

from __future__ import annotations

import sys

from simulator.errors import RuntimeFailure


def register(sub) -> None:
    p = sub.add_parser("score", help="score a call transcript (JSON or VA:/PATIENT: lines) against a scenario")
    p.add_argument("scenario", help="scenario id or path to a scenario file")
    p.add_argument("transcript", help="transcript file, or - for standard input")
    p.add_argument("--json", action="store_true", help="print the scorecard as JSON (DESIGN.md, Scorecard JSON)")
    p.add_argument("--rules-only", action="store_true",
                   help="detect behaviors with rules only (no embedding model; faster, a little less accurate)")
    p.set_defaults(func=cmd_score)


def make_detector(rules_only: bool = False, catalog=None):
    """The real behavior detector (or the rules-only one), with a clear message if unavailable."""
    try:
        if rules_only:
            from simulator.detect import rules_only_detector

            return rules_only_detector(catalog)
        from simulator import factory

        return factory.make_detector()
    except (ImportError, AttributeError) as exc:
        raise RuntimeFailure(f"behavior detection is not available: {exc}") from None


def cmd_score(args) -> int:
    from simulator import scenario as sc_mod
    from simulator import transcript as tr_mod
    from simulator.catalog import load_catalog
    from simulator.score import score_call

    scenario = sc_mod.load(args.scenario)
    transcript = tr_mod.load(args.transcript, scenario)  # bad input: UserError before any model loads
    catalog = load_catalog()
    detector = make_detector(args.rules_only, catalog)
    card = score_call(scenario, transcript, detector, catalog)
    if args.json:
        sys.stdout.write(card.model_dump_json() + "\n")
    else:
        from simulator import scorecard

        scorecard.render(card, title=scenario.title)
    return 0
