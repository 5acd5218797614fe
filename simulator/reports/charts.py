"""The report's charts: inline SVG, drawn from a report's figures, no script and no fonts.

Each function returns :class:`markupsafe.Markup` (every label in it escaped here), so the
autoescaping report template embeds it as it is. Elements carry ``data-*`` attributes with the
numbers they draw, so tests and a reader's tools can check a chart against the figures.
"""

from __future__ import annotations

from markupsafe import Markup
from markupsafe import escape as E

DIM_LABEL = {
    "greeting": "Greeting",
    "empathy": "Empathy",
    "accuracy": "Accuracy",
    "escalation": "Escalation handling",
    "closing": "Closing",
}
SCORE_COLORS = {1: "#c0392b", 2: "#e67e22", 3: "#f1c40f", 4: "#7dbb42", 5: "#27865a"}
SERIES = ["#1f5fa8", "#c2410c", "#15803d", "#7c3aed", "#be123c", "#0e7490", "#a16207", "#4d7c0f", "#9d174d", "#334155"]


def bar_chart(
    items: list[tuple[str, float | None]],
    target: float | None,
    vmax: float,
    fmt,
    metric: str,
    width: int = 720,
    label_w: int = 170,
) -> str:
    """Horizontal bars, one per item, with an optional dashed target line."""
    bar_h, gap, top = 22, 8, 10
    h = top + len(items) * (bar_h + gap) + 24
    plot = width - label_w - 70
    out = [
        f'<svg role="img" data-chart="{E(metric)}" width="{width}" height="{h}" viewBox="0 0 {width} {h}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, v) in enumerate(items):
        y = top + i * (bar_h + gap)
        out.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{E(label)}</text>')
        out.append(f'<rect x="{label_w}" y="{y}" width="{plot}" height="{bar_h}" fill="#f1f5f9"/>')
        if v is not None:
            w = max(1.0, plot * min(v, vmax) / vmax)
            ok = target is None or v >= target
            out.append(
                f'<rect class="bar" x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{"#2f855a" if ok else "#c53030"}"/>'
            )
        out.append(f'<text x="{label_w + plot + 6}" y="{y + 15}">{E(fmt(v))}</text>')
    if target is not None:
        x = label_w + plot * target / vmax
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{h - 18}" stroke="#0f172a" stroke-width="2" stroke-dasharray="5 4"/>'
        )
        out.append(f'<text x="{x:.1f}" y="{h - 4}" text-anchor="middle">target {E(fmt(target))}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def distribution_chart(dist: dict[str, dict[int, int]], width: int = 720) -> str:
    """One stacked bar per dimension: how many calls scored 1, 2, 3, 4, 5."""
    label_w, bar_h, gap, top = 150, 24, 10, 10
    plot = width - label_w - 20
    h = top + len(dist) * (bar_h + gap) + 10
    out = [
        f'<svg role="img" data-chart="distributions" width="{width}" height="{h}" viewBox="0 0 {width} {h}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (d, counts) in enumerate(dist.items()):
        y = top + i * (bar_h + gap)
        total = sum(counts.values())
        out.append(f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end">{E(DIM_LABEL.get(d, d))}</text>')
        x = float(label_w)
        for k in range(1, 6):
            c = counts.get(k, 0)
            if not total or not c:
                continue
            w = plot * c / total
            out.append(
                f'<rect class="seg" data-dimension="{d}" data-score="{k}" data-count="{c}" x="{x:.1f}" y="{y}" '
                f'width="{w:.1f}" height="{bar_h}" fill="{SCORE_COLORS[k]}"><title>{E(DIM_LABEL.get(d, d))}: {c} × score {k}</title></rect>'
            )
            if w > 18:
                out.append(f'<text x="{x + w / 2:.1f}" y="{y + 16}" text-anchor="middle" style="fill:#fff">{c}</text>')
            x += w
    out.append("</svg>")
    legend = "".join(f'<span><i style="background:{SCORE_COLORS[k]}"></i>{k}</span>' for k in range(1, 6))
    return Markup("".join(out) + f'<div class="legend">score: {legend}</div>')


def histogram(values: list[float], width: int = 720, height: int = 200, bins: int = 10) -> str:
    if not values:
        return Markup("<p><small>No response latencies recorded.</small></p>")
    lo, hi = 0.0, max(values) or 1.0
    step = (hi - lo) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / step))] += 1
    left, bottom, top = 40, 30, 20
    plot_w, plot_h = width - left - 10, height - bottom - top
    cmax = max(counts) or 1
    bw = plot_w / bins
    out = [
        f'<svg role="img" data-chart="latency" width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#94a3b8"/>',
    ]
    for i, c in enumerate(counts):
        hgt = plot_h * c / cmax
        x = left + i * bw
        if c:
            out.append(
                f'<rect class="bar" x="{x + 1:.1f}" y="{top + plot_h - hgt:.1f}" width="{bw - 2:.1f}" height="{hgt:.1f}" fill="#1f5fa8">'
                f'<title>{lo + i * step:.2f}–{lo + (i + 1) * step:.2f} s: {c}</title></rect>'
            )
            out.append(f'<text x="{x + bw / 2:.1f}" y="{top + plot_h - hgt - 3:.1f}" text-anchor="middle">{c}</text>')
        if i % 2 == 0:
            out.append(f'<text x="{x:.1f}" y="{height - 12}" text-anchor="middle">{lo + i * step:.1f}</text>')
    out.append(f'<text x="{left + plot_w}" y="{height - 12}" text-anchor="end">{hi:.1f} s</text></svg>')
    return Markup("".join(out))


def progress_chart(progress: dict[str, list[dict]], width: int = 720, height: int = 260) -> str:
    if not progress:
        return Markup("<p><small>No attempts yet.</small></p>")
    left, right, top, bottom = 40, 10, 10, 30
    pw, ph = width - left - right, height - top - bottom
    n = max(len(v) for v in progress.values())

    def xy(i: int, m: float) -> tuple[float, float]:
        x = left + (pw * (i / (n - 1)) if n > 1 else pw / 2)
        return x, top + ph * (5 - m) / 4

    out = [
        f'<svg role="img" data-chart="progress" width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for s in range(1, 6):
        _, y = xy(0, s)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#e2e8f0"/><text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{s}</text>'
        )
    for i in range(n):
        x, _ = xy(i, 1)
        out.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">{i + 1}</text>')
    legend = []
    for k, (trainee, attempts) in enumerate(progress.items()):
        color = SERIES[k % len(SERIES)]
        pts = [xy(a["attempt"] - 1, a["mean"]) for a in attempts]
        if len(pts) > 1:
            out.append(
                f'<polyline class="line" fill="none" stroke="{color}" stroke-width="2" points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}"/>'
            )
        for (x, y), a in zip(pts, attempts):
            src = a.get("source", "assessment")
            kind = "practice" if src == "practice" else "assessment"
            shape = (
                f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8"'
                if kind == "practice"
                else f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4"'
            )
            out.append(
                f'{shape} data-source="{kind}" fill="{color if a["passed"] else "#fff"}" stroke="{color}" stroke-width="2">'
                f'<title>{E(trainee)} attempt {a["attempt"]} ({kind}{", typed" if a.get("typed") else ""}): '
                f'{E(a["scenario"])}, mean {a["mean"]:.2f}{"" if a["passed"] else " (failed)"}</title>'
                f'{"</rect>" if kind == "practice" else "</circle>"}'
            )
        legend.append(f'<span><i style="background:{color}"></i>{E(trainee)}</span>')
    out.append("</svg>")
    return Markup(
        "".join(out)
        + '<div class="legend">'
        + "".join(legend)
        + " <small>filled: passed, hollow: failed; circle: assessment call, square: practice call; y: mean of the five scores; x: attempt</small></div>"
    )
