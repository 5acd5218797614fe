"""Trainer review: the monthly QA process, and how far the automatic scores can be trusted.

The seed guide's monthly review takes ten random calls and scores each 1-5 on greeting,
empathy, accuracy, escalation handling and closing. Here a trainer draws that sample
from a cohort (seeded, and recorded in the store so the draw can be shown and repeated),
reads or listens to each call, scores the five dimensions with notes, and may override
an automatic score with a reason (kept as an audit row: who, when, old, new, why).

Every trainer review is also a measurement of the automatic scorer. :func:`agreement`
compares the scorer's *original* scores (not the overridden ones — an override made
after a review would otherwise count as agreement) with the trainers' scores per
dimension: exact agreement, agreement within one point, and quadratic-weighted Cohen's
kappa, which discounts the agreement two raters would reach by chance and weighs a
two-point miss four times as heavily as a one-point miss.
"""

from __future__ import annotations

import getpass
import os
import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from simulator.authoring.catalog import DIMENSIONS
from simulator.errors import UserError
from simulator.records.store import Review, Sample, Store, StoredSession
from simulator.stats import SCALE, quadratic_weighted_kappa


def current_user() -> str:
    """Who is at the keyboard: the default reviewer / overrider name."""
    try:
        return os.environ.get("VASIM_USER") or getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return os.environ.get("USER") or "trainer"


def draw_sample(store: Store, cohort: str, n: int, seed: int | None = None, by: str | None = None) -> Sample:
    """Pick ``n`` of the cohort's stored assessment calls at random (seeded) and record the draw.

    The candidates are listed in a fixed order (start time, then id) before drawing, so
    the same seed over the same sessions always picks the same calls.
    """
    if n < 1:
        raise UserError("--n must be at least 1")
    store.require_cohort(cohort)
    # assessment calls only: practice calls (`vasim practice --trainee`) are self-directed, often typed
    # (nothing to listen to), and would tilt the draw towards whoever practises most
    sessions = [s for s in store.sessions(cohort=cohort) if s.source != "practice"]
    if not sessions:
        raise UserError(
            f"cohort '{cohort}' has no stored assessment calls to review yet (practice calls are not sampled)"
        )
    if seed is None:
        seed = secrets.randbelow(2**31)
    ids = [s.session_id for s in sorted(sessions, key=lambda s: (s.started_at, s.session_id))]
    picked = random.Random(seed).sample(ids, min(n, len(ids)))
    return store.add_sample(cohort, n, seed, picked, by or current_user())


@dataclass(frozen=True)
class Agreement:
    """How the automatic scorer agrees with trainers on one dimension."""

    dimension: str
    n: int  # (session, trainer) pairs compared
    exact: float | None  # share of pairs with the same score
    within_one: float | None  # share of pairs at most one point apart
    kappa: float | None  # quadratic-weighted Cohen's kappa
    mean_auto: float | None
    mean_trainer: float | None

    def as_dict(self) -> dict:
        return {
            "dimension": self.dimension,
            "n": self.n,
            "exact": self.exact,
            "within_one": self.within_one,
            "kappa": self.kappa,
            "mean_auto": self.mean_auto,
            "mean_trainer": self.mean_trainer,
        }


def agreement_from_pairs(pairs: dict[str, list[tuple[int, int]]]) -> list[Agreement]:
    out = []
    for d in DIMENSIONS:
        ps = pairs.get(d, [])
        n = len(ps)
        if not n:
            out.append(Agreement(d, 0, None, None, None, None, None))
            continue
        a = [p[0] for p in ps]
        b = [p[1] for p in ps]
        out.append(
            Agreement(
                d,
                n,
                exact=sum(x == y for x, y in ps) / n,
                within_one=sum(abs(x - y) <= 1 for x, y in ps) / n,
                kappa=quadratic_weighted_kappa(a, b),
                mean_auto=sum(a) / n,
                mean_trainer=sum(b) / n,
            )
        )
    return out


def score_pairs(sessions: Iterable[StoredSession], reviews: Iterable[Review]) -> dict[str, list[tuple[int, int]]]:
    """(automatic, trainer) score pairs per dimension; one pair per review that scored it."""
    by_id = {s.session_id: s for s in sessions}
    pairs: dict[str, list[tuple[int, int]]] = {d: [] for d in DIMENSIONS}
    for r in reviews:
        s = by_id.get(r.session_id)
        if s is None:
            continue
        for d, score in r.scores.items():
            if d in s.auto_scores:
                pairs[d].append((s.auto_scores[d], score))
    return pairs


def agreement(
    store: Store, cohort: str | None = None, trainee: str | None = None, scenario: str | None = None
) -> list[Agreement]:
    """Agreement of the automatic scorer with trainers over the reviewed sessions in scope."""
    sessions = store.sessions(cohort=cohort, trainee=trainee, scenario=scenario)
    reviews = store.reviews([s.session_id for s in sessions])
    return agreement_from_pairs(score_pairs(sessions, reviews))


def verdict_agreement(store: Store, cohort: str | None = None, trainee: str | None = None) -> tuple[int, int]:
    """(agreed, reviewed): calls where the scorer's pass/fail matches the trainer's, the
    trainer's verdict read from their five scores by the pass policy (a 1 fails; otherwise the
    mean against the pass mark). The first review of each session counts."""
    from simulator.authoring.policy import PASS_MARK

    sessions = {s.session_id: s for s in store.sessions(cohort=cohort, trainee=trainee)}
    seen: set[str] = set()
    agreed = n = 0
    for r in store.reviews(list(sessions)):
        s = sessions.get(r.session_id)
        if s is None or r.session_id in seen or len(r.scores) < len(DIMENSIONS):
            continue
        seen.add(r.session_id)
        scores = list(r.scores.values())
        trainer_passed = min(scores) > 1 and sum(scores) / len(scores) >= PASS_MARK
        n += 1
        agreed += trainer_passed == s.passed
    return agreed, n


def parse_score(dim: str, text: str) -> int:
    """A trainer's typed score, or a clear error."""
    try:
        v = int(str(text).strip())
    except ValueError:
        raise UserError(f"{dim}: '{text}' is not a score; type a whole number 1-5") from None
    if v not in SCALE:
        raise UserError(f"{dim}: {v} is outside the 1-5 scale")
    return v
