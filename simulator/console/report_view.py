"""A report in the terminal: rich tables that keep every number whole at 80 columns."""

from __future__ import annotations

import html
from typing import Any

from simulator.authoring.catalog import DIMENSIONS
from simulator.records.store import short_id
from simulator.reports.charts import DIM_LABEL
from simulator.reports.report import Report, kinds_line, latency_text, num, pct, title


def _table():
    """A compact table that fits 80 columns: no outer edge, two spaces between columns. Titles
    and notes are printed as lines of their own (a table title wraps to the table's width)."""
    from rich import box
    from rich.table import Table

    return Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)


def _show(con: Any, heading: str, table: Any, note: str | None = None) -> None:
    con.print(f"\n[bold]{heading}[/bold]")
    con.print(table)
    if note:
        con.print(f"[dim]{note}[/dim]")


def _num_col(t, header: str) -> None:
    t.add_column(header, justify="right", no_wrap=True, min_width=len(header))


KIND_LABEL = {"practice": "practice", "assessment": "assess"}


DIM_SHORT = {"greeting": "gre", "empathy": "emp", "accuracy": "acc", "escalation": "esc", "closing": "clo"}


def render_terminal(report: Report, console: Any = None) -> None:
    """Rich tables that keep every number whole at 80 columns (names and numbers never wrap)."""
    from rich.console import Console
    from rich.markup import escape

    con = console or Console()
    t = report.targets
    con.print(f"[bold]{escape(html.unescape(title(report)))}[/bold]")
    con.print(kinds_line(report))
    if not report.sessions:
        con.print("No stored sessions yet.")
        return
    typed, n = report.typed_sessions, len(report.sessions)
    summ = _table()
    summ.add_column("metric", no_wrap=True)
    summ.add_column("value", no_wrap=True)
    summ.add_column("target", no_wrap=True)
    summ.add_row("passed", f"{pct(report.passed.value)} ({report.passed.hits}/{report.passed.n})", "")
    summ.add_row(
        "escalation accuracy",
        f"{pct(report.escalation.value)} ({report.escalation.hits}/{report.escalation.n})",
        f"{t.escalation_accuracy:.0%}",
    )
    summ.add_row(
        "first-call resolution",
        f"{pct(report.fcr.value)} ({report.fcr.hits}/{report.fcr.n})",
        f"{t.first_call_resolution:.0%}",
    )
    lat = latency_text(report.latency_median_s, typed, n)
    if report.latency_median_s is not None and typed:
        lat += f" ({typed} typed left out)"
    summ.add_row("response latency (median)", lat, "")
    _show(con, "Summary", summ)

    dist = _table()
    dist.add_column("dimension", no_wrap=True)
    for k in range(1, 6):
        _num_col(dist, str(k))
    _num_col(dist, "mean")
    for d in DIMENSIONS:
        dist.add_row(DIM_LABEL[d], *(str(report.distributions[d][k]) for k in range(1, 6)), num(report.means[d]))
    _show(con, "Scores per dimension (after trainer overrides)", dist)

    tr = _table()
    num_cols = ("calls", "prac", *DIM_SHORT.values(), "escal", "FCR", "resp s")
    # the numbers keep their width; a very long name is cut short (…) rather than pushing them off
    fixed = sum(max(len(c), 6 if c in ("escal", "FCR", "resp s") else 3) for c in num_cols) + 2 * len(num_cols)
    tr.add_column("trainee", no_wrap=True, overflow="ellipsis", min_width=7, max_width=max(10, con.width - fixed))
    for col in num_cols:
        _num_col(tr, col)

    def mark(v: str, ok: bool | None) -> str:
        return v if ok is None else (f"[green]{v}[/green]" if ok else f"[red]{v}[/red]")

    for row in report.trainees:
        tr.add_row(
            escape(row.trainee),
            str(row.sessions),
            str(row.practice),
            *(mark(num(row.means[d], 1), row.meets[d]) for d in DIMENSIONS),
            mark(pct(row.escalation.value), row.meets["escalation"]),
            mark(pct(row.fcr.value), row.meets["fcr"]),
            latency_text(row.latency_median_s, row.typed, row.sessions, unit="").replace("n/a (typed)", "typed"),
        )
    _show(
        con,
        "Trainees vs targets",
        tr,
        f"targets: each dimension's mean ≥ {t.dimension_mean:g}, escalation ≥ {t.escalation_accuracy:.0%}, "
        f"FCR ≥ {t.first_call_resolution:.0%}. "
        + "/".join(DIM_SHORT.values())
        + ": greeting, empathy, accuracy, escalation, closing; prac: practice calls; resp s: median response "
        "time (typed calls have none).",
    )

    if report.scenarios:
        sc = _table()
        sc.add_column("scenario", no_wrap=True)
        for col in ("calls", "failed", "rate"):
            _num_col(sc, col)
        sc.add_column("why (most common)", ratio=1, min_width=16)
        for r in report.scenarios:
            sc.add_row(
                r.scenario,
                str(r.attempts),
                str(r.failures),
                pct(r.fail_rate),
                escape("; ".join(f"{why} ×{n}" for why, n in r.reasons[:3])),
            )
        _show(con, "Scenarios failed most", sc)
    if any(a["n"] for a in report.agreement):
        ag = _table()
        ag.add_column("dimension", no_wrap=True)
        for col in ("pairs", "exact", "within one", "kappa"):
            _num_col(ag, col)
        for a in report.agreement:
            ag.add_row(DIM_LABEL[a["dimension"]], str(a["n"]), pct(a["exact"]), pct(a["within_one"]), num(a["kappa"]))
        _show(con, "Automatic scorer vs trainers", ag, "kappa: quadratic-weighted Cohen's kappa")
    if report.kind == "trainee":
        ss = _table()
        ss.add_column("date", no_wrap=True)
        ss.add_column("scenario", no_wrap=True, overflow="ellipsis")
        ss.add_column("kind", no_wrap=True)
        ss.add_column("pass", no_wrap=True)
        _num_col(ss, "mean")
        ss.add_column("session", no_wrap=True)
        for s in report.sessions:
            kind = KIND_LABEL.get(s.source, s.source) + ("*" if s.typed else "")
            ss.add_row(
                s.started_at[:10],
                s.scenario,
                kind,
                "yes" if s.passed else "[red]no[/red]",
                num(s.mean_score(), 1),
                short_id(s.session_id),
            )
        _show(
            con,
            "Sessions (every attempt, in order)",
            ss,
            "kind: assess = assessment call, practice = practice call"
            + ("; * typed (--text), no timings" if typed else ""),
        )
