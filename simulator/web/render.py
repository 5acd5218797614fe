"""Pages from the Jinja2 templates in ``templates/`` (autoescaped), with the CSRF token in each."""

from __future__ import annotations

import functools
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from simulator import __version__
from simulator.web.security import csrf_for


@functools.cache
def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("simulator.web", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["label"] = lambda s: str(s).replace("_", " ")
    env.filters["mmss"] = lambda s: "" if s is None else f"{int(s) // 60}:{int(s) % 60:02d}"
    return env


def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    state = request.app.state.web
    html = (
        templates()
        .get_template(name)
        .render(
            csrf=csrf_for(state.settings.token),
            version=__version__,
            path=request.url.path,
            **ctx,
        )
    )
    return HTMLResponse(html, status_code=status)
