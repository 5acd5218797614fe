"""``vasim train detect``: learn the detector from the labelled corpus, reproducibly.

Reads ``scenarios/corpus/turns`` (or ``--corpus``), trains the behavior and dialogue-act models
with and without sentence embeddings (fixed settings, deterministic), and writes them to
``simulator/understanding/weights/`` (or ``--out``). Prints each model's held-out figures:
every writer's batch predicted by a model trained without it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from simulator.errors import UserError


def register(sub) -> None:
    p = sub.add_parser("train", help="train the detector from the labelled corpus", description=__doc__)
    tsub = p.add_subparsers(dest="what", metavar="WHAT")
    d = tsub.add_parser("detect", help="behaviors and dialogue acts", description=__doc__)
    d.add_argument(
        "--corpus", type=Path, action="append", help="corpus file or folder (default: scenarios/corpus/turns)"
    )
    d.add_argument("--out", type=Path, help="where the weights go (default: simulator/understanding/weights)")
    d.add_argument("--json", action="store_true", help="print the held-out figures as JSON")
    d.set_defaults(func=run)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def run(args) -> int:
    from simulator.speech import factory
    from simulator.understanding import corpus as corpus_mod
    from simulator.understanding import train

    paths = args.corpus or corpus_mod.default_paths()
    for path in paths:
        if not path.exists():
            raise UserError(f"{path}: no such file or folder (the corpus is scenarios/corpus/turns)")
    ids = corpus_mod.behavior_ids()
    corpus = corpus_mod.load(paths, ids)
    if not len(corpus):
        raise UserError(f"{', '.join(map(str, paths))}: no corpus lines")
    if not args.corpus:  # the catalog's own phrases are part of the default corpus
        from simulator.authoring.catalog import load_catalog

        corpus = corpus_mod.Corpus(corpus.turns + corpus_mod.catalog_turns(load_catalog()))
    say = (lambda m: None) if args.json else (lambda m: print(f"  {m}", file=sys.stderr, flush=True))
    trained = train.train_all(corpus, ids, factory.make_embedder(), out_dir=args.out, progress=say)
    report: dict = {
        "corpus": trained.corpus,
        "rows": trained.rows,
        "batches": trained.groups,
        "models": {
            name: {
                "path": str(trained.paths[name]),
                "held_out_macro_f1": round(r.cv.macro_f1, 4),
                "per_label": {
                    lab: {"precision": round(p, 3), "recall": round(rc, 3), "f1": round(f, 3), "positives": n}
                    for lab, (p, rc, f, n) in r.cv.per_label.items()
                },
            }
            for name, r in trained.results.items()
        },
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"corpus {trained.corpus}: {trained.rows} turns in {len(trained.groups)} batches")
    for name, m in report["models"].items():
        print(f"{name:<20} held-out macro-F1 {m['held_out_macro_f1']:.3f}  -> {m['path']}")
    return 0
