"""The labelled corpus of trainee turns that the detector learns from and is measured on.

One JSON object per line, in batch files (``scenarios/corpus/turns/*.jsonl``); a batch is one
sitting of one writer, or one run of real speech recognition, and every line names its batch.
Evaluation is grouped by batch: a test batch is never seen in training (see
``docs/behaviors.md`` for what each label means).

    {"text": "...", "labels": ["empathy", ...], "near_miss": ["medical_advice"],
     "acts": ["inform"], "practice": "Riverside Family Practice", "patient": "Denise Carter",
     "mode": "call", "style": "terse", "scenario": "billing-frustrated", "batch": "b01-veteran"}

``text``, ``labels`` and ``batch`` are required; ``near_miss`` (behaviors the line resembles but
does not show), ``acts``, ``practice``, ``patient``, ``mode`` (default ``call``), ``style`` and
``scenario`` are optional. ``python -m simulator.understanding.corpus check FILE...`` checks files
and prints counts; a problem is one ``FILE:LINE: field: message`` line, exit 2.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from simulator.errors import Problem, ProblemsError

# Dialogue acts (docs/behaviors.md, "Dialogue acts")
ACTS: tuple[str, ...] = (
    "greeting",
    "identity_request",
    "spelling_request",
    "callback_request",
    "question",
    "hold",
    "repeat_request",
    "small_talk",
    "transfer",
    "escalation",
    "inform",
    "offer",
    "acknowledge",
    "closing",
)
STYLES: tuple[str, ...] = (
    "terse",
    "chatty",
    "formal",
    "casual",
    "non-native",
    "hedged",
    "third-person",
    "question",
    "negation",
    "asr",
    "asr-real",
    "typed",
)
MODES = ("call", "voicemail")
_FIELDS = {"text", "labels", "near_miss", "acts", "practice", "patient", "mode", "style", "scenario", "batch", "source"}


@dataclass(frozen=True)
class Turn:
    text: str
    labels: frozenset[str]
    batch: str
    near_miss: frozenset[str] = frozenset()
    acts: frozenset[str] = frozenset()
    practice: str | None = None
    patient: str | None = None
    mode: str = "call"
    style: str | None = None
    scenario: str | None = None
    source: str | None = None  # for recognised lines: the text that was spoken
    known: frozenset[str] | None = None  # the labels this line is judged for (None: all of them)


@dataclass
class Corpus:
    turns: list[Turn] = field(default_factory=list)

    @property
    def batches(self) -> list[str]:
        return sorted({t.batch for t in self.turns})

    def where(self, batches: Iterable[str]) -> Corpus:
        keep = set(batches)
        return Corpus([t for t in self.turns if t.batch in keep])

    def without(self, batches: Iterable[str]) -> Corpus:
        drop = set(batches)
        return Corpus([t for t in self.turns if t.batch not in drop])

    def __len__(self) -> int:
        return len(self.turns)

    def __iter__(self) -> Iterator[Turn]:
        return iter(self.turns)


def behavior_ids() -> tuple[str, ...]:
    """The per-turn behavior ids of the catalog (sequence behaviors are not turn labels)."""
    from simulator.authoring.catalog import load_catalog

    return tuple(b.id for b in load_catalog() if b.detect == "text")


def _str_list(
    obj: dict, key: str, allowed: Sequence[str], where: tuple[str, int], problems: list[Problem]
) -> frozenset[str]:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(*where, 1, key, "must be a list of strings"))
        return frozenset()
    bad = [v for v in value if v not in allowed]
    if bad:
        problems.append(
            Problem(*where, 1, key, f"unknown {', '.join(map(repr, bad))}; use one of {', '.join(allowed)}")
        )
    return frozenset(v for v in value if v in allowed)


def parse_line(raw: str, where: tuple[str, int], ids: Sequence[str], problems: list[Problem]) -> Turn | None:
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        problems.append(Problem(*where, 1, "(line)", f"not JSON ({exc.msg} at column {exc.colno})"))
        return None
    if not isinstance(obj, dict):
        problems.append(Problem(*where, 1, "(line)", "must be a JSON object"))
        return None
    n = len(problems)
    unknown = sorted(set(obj) - _FIELDS)
    if unknown:
        problems.append(Problem(*where, 1, unknown[0], f"unknown field; fields are {', '.join(sorted(_FIELDS))}"))
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append(Problem(*where, 1, "text", "must be a non-empty string"))
    batch = obj.get("batch")
    if not isinstance(batch, str) or not batch.strip():
        problems.append(Problem(*where, 1, "batch", "must name the batch the line was written in"))
    if "labels" not in obj:
        problems.append(Problem(*where, 1, "labels", "required (an empty list when the turn shows no behavior)"))
    labels = _str_list(obj, "labels", ids, where, problems)
    near = _str_list(obj, "near_miss", ids, where, problems)
    acts = _str_list(obj, "acts", ACTS, where, problems)
    if labels & near:
        problems.append(Problem(*where, 1, "near_miss", f"{', '.join(sorted(labels & near))} is also a label"))
    mode = obj.get("mode", "call")
    if mode not in MODES:
        problems.append(Problem(*where, 1, "mode", f"must be one of {', '.join(MODES)}"))
    if "voicemail_phi" in labels and mode != "voicemail":
        problems.append(Problem(*where, 1, "labels", "voicemail_phi needs mode voicemail"))
    style = obj.get("style")
    if style is not None and style not in STYLES:
        problems.append(Problem(*where, 1, "style", f"unknown {style!r}; use one of {', '.join(STYLES)}"))
    for key in ("practice", "patient", "scenario", "source"):
        if key in obj and not isinstance(obj[key], str):
            problems.append(Problem(*where, 1, key, "must be a string"))
    if len(problems) > n or not isinstance(text, str) or not isinstance(batch, str):
        return None
    return Turn(
        text=text.strip(),
        labels=labels,
        batch=batch.strip(),
        near_miss=near,
        acts=acts,
        practice=obj.get("practice"),
        patient=obj.get("patient"),
        mode=mode,
        style=style,
        scenario=obj.get("scenario"),
        source=obj.get("source"),
    )


def load(paths: Iterable[Path], ids: Sequence[str] | None = None) -> Corpus:
    """Every turn of the files (folders: their ``*.jsonl``); all problems at once as a ProblemsError."""
    ids = tuple(ids) if ids is not None else behavior_ids()
    problems: list[Problem] = []
    turns: list[Turn] = []
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        files += sorted(p.glob("*.jsonl")) if p.is_dir() else [p]
    for f in files:
        try:
            lines = f.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            problems.append(Problem(str(f), 1, 1, "(file)", f"cannot read ({exc.strerror})"))
            continue
        for i, raw in enumerate(lines, 1):
            if not raw.strip():
                continue
            t = parse_line(raw, (str(f), i), ids, problems)
            if t is not None:
                turns.append(t)
    if problems:
        raise ProblemsError(problems)
    return Corpus(turns)


CATALOG_BATCH = "b00-catalog"


def catalog_turns(catalog, practice: str = "Riverside Family Practice", patient: str = "Denise Carter") -> list[Turn]:
    """The catalog's own example phrases and near misses (``scenarios/behaviors.yaml``) as corpus
    lines. Each is judged for its behavior only: an example of ``greet_practice`` that also gives
    a name says nothing about ``self_identify``."""
    out = []
    for b in catalog:
        if b.detect != "text":
            continue
        mode = "voicemail" if b.id == "voicemail_phi" else "call"
        for text in b.examples:
            out.append(
                Turn(
                    text,
                    frozenset({b.id}),
                    CATALOG_BATCH,
                    practice=practice,
                    patient=patient,
                    mode=mode,
                    known=frozenset({b.id}),
                )
            )
        for text in b.near_misses:
            out.append(
                Turn(
                    text,
                    frozenset(),
                    CATALOG_BATCH,
                    near_miss=frozenset({b.id}),
                    practice=practice,
                    patient=patient,
                    mode=mode,
                    known=frozenset({b.id}),
                )
            )
    return out


def default_paths() -> list[Path]:
    from simulator.paths import scenarios_dir

    return [scenarios_dir() / "corpus" / "turns"]


def counts(corpus: Corpus, ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Per behavior: (positives, written near misses)."""
    pos: Counter[str] = Counter()
    near: Counter[str] = Counter()
    for t in corpus:
        pos.update(t.labels)
        near.update(t.near_miss)
    return {b: (pos[b], near[b]) for b in ids}


def summary(corpus: Corpus, ids: Sequence[str]) -> str:
    styles = Counter(t.style or "-" for t in corpus)
    acts: Counter[str] = Counter()
    for t in corpus:
        acts.update(t.acts)
    out = [f"{len(corpus)} turns in {len(corpus.batches)} batch(es): {', '.join(corpus.batches)}"]
    out.append("styles: " + ", ".join(f"{s} {n}" for s, n in styles.most_common()))
    out.append(f"{'behavior':<20} {'pos':>5} {'near':>5}")
    for b, (p, n) in counts(corpus, ids).items():
        out.append(f"{b:<20} {p:>5} {n:>5}")
    out.append("acts: " + ", ".join(f"{a} {acts[a]}" for a in ACTS))
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] != "check":
        print("usage: python -m simulator.understanding.corpus check FILE_OR_DIR...", file=sys.stderr)
        return 2
    ids = behavior_ids()
    try:
        corpus = load([Path(a) for a in args[1:]], ids)
    except ProblemsError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return 2
    print(summary(corpus, ids))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
