"""The app factory: routes, the guard, templates and errors as clear JSON (never a traceback)."""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from simulator import __version__
from simulator.errors import ProblemsError, RuntimeFailure, UserError
from simulator.web.render import page
from simulator.web.security import BodyTooLarge, Guard
from simulator.web.state import AppState, NoSuchCall, Settings

HERE = Path(__file__).resolve().parent
log = logging.getLogger("vasim.web")


def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True, "version": __version__})


# ------------------------------------------------------------------------------------- errors


def _wants_html(request: Request) -> bool:
    return (
        request.scope.get("type") == "http"
        and not request.url.path.startswith("/api/")
        and "text/html" in request.headers.get("accept", "")
    )


def _error(request: Request, status: int, message: str, **extra: Any) -> Response:
    if _wants_html(request):
        return page(request, "error.html.j2", status=status, status_code=status, message=message)
    return JSONResponse({"error": message, "status": status, **extra}, status_code=status)


async def on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _error(request, exc.status_code, str(exc.detail))


async def on_user_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ProblemsError):
        return _error(request, 422, str(exc.problems[0]), problems=[str(p) for p in exc.problems])
    return _error(request, 400, str(exc))


async def on_lookup(request: Request, exc: Exception) -> Response:
    return _error(request, 404, "no such call (it ended, or the server restarted)")


async def on_runtime(request: Request, exc: Exception) -> Response:
    return _error(request, 500, str(exc))


async def on_too_large(request: Request, exc: Exception) -> Response:
    state: AppState = request.app.state.web
    return _error(request, 413, f"request too large (limit {state.settings.max_body // 1024} KB)")


async def on_crash(request: Request, exc: Exception) -> Response:
    log.exception("error in %s %s", request.method, request.url.path)
    print(f"vasim serve: error in {request.method} {request.url.path}: {exc!r}", file=sys.stderr)
    return _error(request, 500, "internal error; the server's terminal has the details")


# ------------------------------------------------------------------------------------- the app


def warm() -> None:
    """Validate the scenario library and compile the pages while the user opens the address, so
    the first page comes at once (validating 15 scenario files takes a second or two)."""
    try:
        from simulator.authoring.summary import library
        from simulator.web.render import templates

        library()
        for name in ("library.html.j2", "practice.html.j2", "session.html.j2"):
            templates().get_template(name)
    except Exception:
        pass  # the page that needs it says what is wrong


def create_app(settings: Settings | None = None) -> Starlette:
    from simulator.web import api, pages, voice

    settings = settings or Settings()
    state = AppState(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        import threading

        threading.Thread(target=warm, name="vasim-web-warm", daemon=True).start()
        yield
        import anyio

        await anyio.to_thread.run_sync(state.shutdown)

    routes = [
        Route("/healthz", healthz),
        *api.routes(),
        *pages.routes(),
        WebSocketRoute("/ws/voice", voice.voice_call),
        WebSocketRoute("/ws/assess", voice.assessment_call),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard, token=settings.token, max_body=settings.max_body)],
        exception_handlers={
            HTTPException: on_http,
            UserError: on_user_error,
            NoSuchCall: on_lookup,
            RuntimeFailure: on_runtime,
            BodyTooLarge: on_too_large,
            Exception: on_crash,
        },
        lifespan=lifespan,
    )
    app.state.web = state
    return app
