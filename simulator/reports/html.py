"""A report as one self-contained HTML page: templates/report.html.j2 rendered with autoescape
on, the CSS beside it inline, the charts from :mod:`simulator.reports.charts`; no script and
nothing fetched (a Content-Security-Policy forbids any fetch)."""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2
from markupsafe import Markup

from simulator.authoring.catalog import DIMENSIONS
from simulator.records.store import short_id
from simulator.reports import charts
from simulator.reports.charts import DIM_LABEL
from simulator.reports.report import Report, kinds_line, latency_text, num, pct, title


@functools.cache
def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("simulator.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt field is an error, not an empty cell
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(pct=pct, num=num, short_id=short_id)
    env.globals.update(charts=charts, pct=pct, latency_text=latency_text)
    return env


def render_html(report: Report) -> str:
    """One self-contained HTML page (no scripts, no external resources)."""
    env = _templates()
    css = (Path(__file__).parent / "templates" / "report.css").read_text(encoding="utf-8")
    return env.get_template("report.html.j2").render(
        report=report,
        title=title(report),
        kinds_line=kinds_line(report),
        css=Markup(css),
        dimensions=DIMENSIONS,
        dim_label=DIM_LABEL,
        scores=range(1, 6),
        escalation_bars=[(r.trainee, r.escalation.value) for r in report.trainees],
        fcr_bars=[(r.trainee, r.fcr.value) for r in report.trainees],
        fail_bars=[(r.scenario, r.fail_rate) for r in report.scenarios],
    )
