"""``vasim review sample|show|score|override|audit|agreement``: the trainer's monthly QA review."""

from __future__ import annotations

import json
import sys

from simulator.authoring.catalog import DIMENSIONS
from simulator.cli.commands.records import add_db_option, store_from
from simulator.errors import UserError
from simulator.records.store import short_id


def register(sub) -> None:
    p = sub.add_parser("review", help="trainer review: sample calls, score them, override, agreement")
    rs = p.add_subparsers(dest="review_cmd", metavar="ACTION", parser_class=type(p))

    s = rs.add_parser(
        "sample",
        help="pick N random assessment calls of a cohort to review (seeded; the draw is recorded; "
        "practice calls are not sampled)",
    )
    s.add_argument("--cohort", required=True)
    s.add_argument("--n", type=int, default=10, help="how many calls (default 10, as in the monthly QA review)")
    s.add_argument("--seed", type=int, help="random seed (default: a new one, printed and recorded)")
    s.add_argument("--by", help="who draws the sample (default: your user name)")
    s.add_argument("--json", action="store_true")
    add_db_option(s)
    s.set_defaults(func=cmd_sample)

    ls = rs.add_parser("samples", help="list recorded samples and how many of their calls are reviewed")
    ls.add_argument("--cohort")
    ls.add_argument("--json", action="store_true")
    add_db_option(ls)
    ls.set_defaults(func=cmd_samples)

    sh = rs.add_parser("show", help="a session's transcript, automatic scores, overrides, reviews and audio")
    sh.add_argument("session", help="session id (or its first characters)")
    sh.add_argument("--json", action="store_true")
    add_db_option(sh)
    sh.set_defaults(func=cmd_show)

    sc = rs.add_parser("score", help="record your 1-5 scores for a session (prompts for missing ones in a terminal)")
    sc.add_argument("session")
    for d in DIMENSIONS:
        sc.add_argument(f"--{d}", type=int, metavar="1-5")
        sc.add_argument(f"--{d}-note", metavar="TEXT", default="", help=f"note on {d}")
    sc.add_argument("--notes", default="", help="overall note (one strength, one thing to improve)")
    sc.add_argument("--reviewer", help="your name (default: your user name)")
    sc.add_argument("--sample", type=int, help="the sample this review belongs to")
    add_db_option(sc)
    sc.set_defaults(func=cmd_score)

    o = rs.add_parser("override", help="replace an automatic score, with a reason (kept in the audit trail)")
    o.add_argument("session")
    o.add_argument("dimension", choices=DIMENSIONS)
    o.add_argument("score", type=int, help="new score 1-5")
    o.add_argument("--reason", required=True)
    o.add_argument("--by", help="who overrides (default: your user name)")
    add_db_option(o)
    o.set_defaults(func=cmd_override)

    a = rs.add_parser("audit", help="the override audit trail (who, when, old, new, reason)")
    a.add_argument("--cohort")
    a.add_argument("--trainee")
    a.add_argument("--json", action="store_true")
    add_db_option(a)
    a.set_defaults(func=cmd_audit)

    g = rs.add_parser("agreement", help="how far the automatic scores agree with trainers, per dimension")
    g.add_argument("--cohort")
    g.add_argument("--trainee")
    g.add_argument("--json", action="store_true")
    add_db_option(g)
    g.set_defaults(func=cmd_agreement)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def cmd_sample(args) -> int:
    from simulator.records.review import draw_sample

    with store_from(args) as store:
        sample = draw_sample(store, args.cohort, args.n, seed=args.seed, by=args.by)
        sessions = {s.session_id: s for s in store.sessions(ids=list(sample.session_ids))}
    if args.json:
        print(
            json.dumps(
                {
                    "sample": sample.id,
                    "cohort": sample.cohort,
                    "seed": sample.seed,
                    "n": sample.n,
                    "sessions": [
                        {"session_id": sid, "trainee": sessions[sid].trainee, "scenario": sessions[sid].scenario}
                        for sid in sample.session_ids
                    ],
                }
            )
        )
        return 0
    print(f"sample {sample.id} of cohort '{sample.cohort}': {len(sample.session_ids)} calls (seed {sample.seed})")
    for sid in sample.session_ids:
        s = sessions[sid]
        print(f"  {short_id(sid)}  {s.trainee:<20} {s.scenario:<26} {s.started_at[:10]}")
    print(f"review each with `vasim review show ID` then `vasim review score ID --sample {sample.id}`")
    return 0


def cmd_samples(args) -> int:
    with store_from(args) as store:
        samples = store.samples(args.cohort)
        reviewed = {r.session_id for r in store.reviews()}
    rows = [
        {
            "sample": s.id,
            "cohort": s.cohort,
            "seed": s.seed,
            "n": len(s.session_ids),
            "created_at": s.created_at,
            "created_by": s.created_by,
            "reviewed": sum(1 for x in s.session_ids if x in reviewed),
            "sessions": list(s.session_ids),
        }
        for s in samples
    ]
    if args.json:
        print(json.dumps(rows))
        return 0
    if not rows:
        print("no samples yet (`vasim review sample --cohort C --n 10`)")
    for r in rows:
        print(
            f"sample {r['sample']}: cohort '{r['cohort']}', {r['reviewed']}/{r['n']} reviewed, seed {r['seed']}, "
            f"by {r['created_by']} on {r['created_at'][:10]}"
        )
    return 0


def cmd_show(args) -> int:
    from pathlib import Path

    with store_from(args) as store:
        s = store.session(args.session)
        reviews = store.reviews([s.session_id])
    audio = s.recording if s.recording and Path(s.recording).is_file() else None
    if args.json:
        print(
            json.dumps(
                {
                    "session_id": s.session_id,
                    "trainee": s.trainee,
                    "scenario": s.scenario,
                    "started_at": s.started_at,
                    "passed": s.passed,
                    "scores": s.scores,
                    "automatic_scores": s.auto_scores,
                    "overrides": [o.__dict__ for o in s.overrides],
                    "reviews": [r.__dict__ for r in reviews],
                    "turns": list(s.turns),
                    "recording": s.recording,
                    "recording_present": audio is not None,
                    "scorecard": s.scorecard,
                }
            )
        )
        return 0
    print(f"session {s.session_id}  trainee {s.trainee}  scenario {s.scenario}  {s.started_at}")
    for t in s.turns:
        who = "VA     " if t["speaker"] == "trainee" else "CALLER "
        print(f"  {who}{t['text']}")
    print(
        "scores (automatic -> effective):  "
        + "  ".join(
            f"{d} {s.auto_scores.get(d, '-')}" + (f"->{s.scores[d]}" if s.scores.get(d) != s.auto_scores.get(d) else "")
            for d in DIMENSIONS
        )
    )
    if s.blockers:
        print("blockers: " + ", ".join(s.blockers))
    for o in s.overrides:
        print(f"override {o.dimension} {o.old}->{o.new} by {o.who} at {o.at}: {o.reason}")
    for r in reviews:
        print(
            f"review by {r.reviewer} at {r.created_at}: "
            + " ".join(f"{d} {v}" for d, v in r.scores.items())
            + (f" — {r.notes.get('')}" if r.notes.get("") else "")
        )
    if s.recording:
        print(f"audio: {s.recording}" if audio else f"audio: {s.recording} (missing)")
    return 0


def cmd_score(args) -> int:
    from simulator.records.review import current_user, parse_score

    scores = {d: getattr(args, d) for d in DIMENSIONS if getattr(args, d) is not None}
    for d, v in scores.items():
        parse_score(d, str(v))
    missing = [d for d in DIMENSIONS if d not in scores]
    notes = {d: getattr(args, f"{d}_note") for d in DIMENSIONS if getattr(args, f"{d}_note")}
    if args.notes:
        notes[""] = args.notes
    with store_from(args) as store:
        s = store.session(args.session, with_turns=False)
        if missing:
            if not sys.stdin.isatty():
                raise UserError(
                    f"missing scores for {', '.join(missing)}; pass --{missing[0]} N (1-5) for each dimension"
                )
            print(
                f"scoring session {short_id(s.session_id)} ({s.trainee}, {s.scenario}); type 1-5, then an optional note"
            )
            for d in missing:
                while True:
                    try:
                        scores[d] = parse_score(d, input(f"  {d} (1-5): "))
                        break
                    except UserError as exc:
                        print(f"  {exc}")
                    except EOFError:
                        raise UserError("input ended before all five scores were given; nothing was saved") from None
                note = input(f"  {d} note (Enter to skip): ").strip()
                if note:
                    notes[d] = note
            if not args.notes:
                overall = input("  overall note (Enter to skip): ").strip()
                if overall:
                    notes[""] = overall
        review = store.add_review(s.session_id, args.reviewer or current_user(), scores, notes, args.sample)
    print(
        f"saved review of {short_id(s.session_id)} by {review.reviewer}: "
        + " ".join(f"{d} {v}" for d, v in scores.items())
    )
    return 0


def cmd_override(args) -> int:
    from simulator.records.review import current_user

    with store_from(args) as store:
        s = store.session(args.session, with_turns=False)
        o = store.add_override(s.session_id, args.dimension, args.score, args.reason, args.by or current_user())
    print(f"{short_id(s.session_id)} {o.dimension}: {o.old} -> {o.new} by {o.who} ({o.reason})")
    return 0


def cmd_audit(args) -> int:
    with store_from(args) as store:
        sessions = store.sessions(cohort=args.cohort, trainee=args.trainee)
    rows = [
        {"session_id": s.session_id, "trainee": s.trainee, "scenario": s.scenario, **o.__dict__}
        for s in sessions
        for o in s.overrides
    ]
    rows.sort(key=lambda r: r["at"])
    if args.json:
        print(json.dumps(rows))
        return 0
    if not rows:
        print("no overrides")
    for r in rows:
        print(
            f"{r['at']}  {r['who']}  {short_id(r['session_id'])} {r['trainee']} {r['scenario']}  {r['dimension']} {r['old']} -> {r['new']}: {r['reason']}"
        )
    return 0


def cmd_agreement(args) -> int:
    from simulator.records.review import agreement, verdict_agreement
    from simulator.reports.report import num, pct

    with store_from(args) as store:
        if args.cohort:
            store.require_cohort(args.cohort)
        rows = agreement(store, cohort=args.cohort, trainee=args.trainee)
        agreed, reviewed = verdict_agreement(store, cohort=args.cohort, trainee=args.trainee)
    if args.json:
        print(json.dumps([a.as_dict() for a in rows]))
        return 0
    from rich.console import Console
    from rich.table import Table

    t = Table(title="Automatic scorer vs trainers (automatic scores before overrides)")
    for col in ("dimension", "pairs", "exact", "within one", "weighted kappa"):
        t.add_column(col)
    for a in rows:
        t.add_row(a.dimension, str(a.n), pct(a.exact), pct(a.within_one), num(a.kappa))
    Console().print(t)
    if reviewed:
        print(
            f"pass/fail: the scorer and the trainer agree on {agreed} of {reviewed} reviewed calls "
            f"({pct(agreed / reviewed)}; the trainer's verdict read from their five scores)"
        )
    if not any(a.n for a in rows):
        print("no reviewed sessions yet (`vasim review sample`, then `vasim review score`)")
    return 0
