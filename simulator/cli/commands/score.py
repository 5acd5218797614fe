"""``vasim score [--json] SCENARIO TRANSCRIPT``: score a call transcript against a scenario."""

from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("score", help="score a call transcript (JSON or VA:/PATIENT: lines) against a scenario")
    p.add_argument("scenario", help="scenario id or path to a scenario file")
    p.add_argument("transcript", help="transcript file, or - for standard input")
    p.add_argument("--json", action="store_true", help="print the scorecard as JSON (DESIGN.md, Scorecard JSON)")
    p.add_argument(
        "--words-only",
        "--rules-only",
        dest="words_only",
        action="store_true",
        help="the words-only detector (no embedding model; faster, a little less accurate)",
    )
    p.set_defaults(func=cmd_score)


def cmd_score(args) -> int:
    from simulator.authoring import scenario as sc_mod
    from simulator.authoring.catalog import load_catalog
    from simulator.scoring import transcript as tr_mod
    from simulator.scoring.score import score_call
    from simulator.speech import factory

    scenario = sc_mod.load(args.scenario)
    transcript = tr_mod.load(args.transcript, scenario)  # bad input: UserError before any model loads
    catalog = load_catalog()
    detector = factory.make_detector(embeddings=not args.words_only, catalog=catalog)
    card = score_call(scenario, transcript, detector, catalog)
    if args.json:
        sys.stdout.write(card.model_dump_json() + "\n")
    else:
        from simulator.console import scorecard

        scorecard.render(card, title=scenario.title)
    return 0
