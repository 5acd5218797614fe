"""The one percentile (and median) every figure uses (call latencies, reports, benchmarks), and
the one agreement statistic between two raters (trainers and the scorer, reviewers and the scorer)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

SCALE = (1, 2, 3, 4, 5)  # the QA review's scores


def percentile(values: Iterable[float | None], q: float) -> float | None:
    """The ``q``-th percentile (0-100) of the values that are not None, interpolated linearly
    between the two nearest ranks (numpy's default); None when there are none."""
    xs = sorted(float(v) for v in values if v is not None)
    if not xs:
        return None
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be 0-100, got {q}")
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def median(values: Iterable[float | None]) -> float | None:
    return percentile(values, 50)


def quadratic_weighted_kappa(a: Sequence[int], b: Sequence[int], categories: Sequence[int] = SCALE) -> float | None:
    """Cohen's kappa with quadratic weights, w_ij = (i - j)^2 / (k - 1)^2.

    kappa = 1 - sum(w * observed) / sum(w * expected), where expected is the outer product
    of the two raters' marginal counts divided by n. None when it is undefined: no pairs,
    or both raters used a single identical category (no disagreement is possible by chance).
    """
    if len(a) != len(b):
        raise ValueError("both raters must rate the same items")
    if not a:
        return None
    cats = list(categories)
    idx = {c: i for i, c in enumerate(cats)}
    k = len(cats)
    for x in list(a) + list(b):
        if x not in idx:
            raise ValueError(f"rating {x!r} is not one of {cats}")
    n = len(a)
    observed = [[0.0] * k for _ in range(k)]
    for x, y in zip(a, b):
        observed[idx[x]][idx[y]] += 1
    ha = Counter(idx[x] for x in a)
    hb = Counter(idx[y] for y in b)
    num = den = 0.0
    for i in range(k):
        for j in range(k):
            w = (i - j) ** 2 / (k - 1) ** 2
            num += w * observed[i][j]
            den += w * ha[i] * hb[j] / n
    if den == 0:
        return None
    return 1.0 - num / den
