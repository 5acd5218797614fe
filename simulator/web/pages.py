"""The HTML pages: each renders its template with what the library returns; the page's script
(static/js/) does the rest through the JSON API."""

from __future__ import annotations

from typing import Any, Literal

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from simulator.authoring.catalog import DIMENSIONS
from simulator.errors import UserError
from simulator.web.render import page


def _state(request: Request):
    return request.app.state.web


def library(request: Request) -> HTMLResponse:
    from simulator.authoring.summary import library as lib

    return page(request, "library.html.j2", title="Scenario library", scenarios=lib())


def practice(request: Request) -> HTMLResponse:
    from simulator.authoring.summary import outline
    from simulator.web.api import library_scenario

    sc = library_scenario(request.path_params["sid"])
    o = outline(sc)
    return page(request, "practice.html.j2", title=sc.title, sc=o)


def _timeline(s) -> list[dict[str, Any]]:
    """The said turns (what the scorecard's turn numbers index), with times for the player."""
    out: list[dict[str, Any]] = []
    for t in s.turns:
        if not t.text.strip():
            continue
        out.append(
            {
                "n": len(out),
                "speaker": t.speaker,
                "text": t.text,
                "start": t.start,
                "end": t.end,
                "interrupted": t.interrupted,
                "latency": t.latency_ms,
                "behaviors": list(t.behaviors),
                "mood": t.mood,
            }
        )
    return out


KNOWN_CARD = {
    "scenario",
    "passed",
    "blockers",
    "dimensions",
    "behaviors",
    "escalation",
    "timing",
    "feedback",
    "average",
    "pass_mark",
    "mode",
    "tips",
    "review",
}
KNOWN_DIM = {"score", "why", "evidence", "missed", "review"}


def scorecard_context(card: dict | None, turns: list[dict]) -> dict[str, Any]:
    """What the scorecard template needs; unknown fields are passed on to be shown as they come."""
    if not card:
        return {"card": None}
    times = {t["n"]: t["start"] for t in turns}
    dims = []
    for d in [*DIMENSIONS, *[k for k in (card.get("dimensions") or {}) if k not in DIMENSIONS]]:
        v = (card.get("dimensions") or {}).get(d)
        if not isinstance(v, dict):
            continue
        dims.append(
            {
                "id": d,
                "score": v.get("score"),
                "why": v.get("why"),
                "evidence": v.get("evidence") or [],
                "missed": v.get("missed") or [],
                "review": v.get("review") or [],
                "extra": {k: x for k, x in v.items() if k not in KNOWN_DIM},
            }
        )
    return {
        "card": card,
        "dims": dims,
        "times": times,
        "extra": {k: v for k, v in card.items() if k not in KNOWN_CARD},
    }


def session_page(request: Request) -> HTMLResponse:
    from simulator.web.api import load_session

    s = load_session(request.path_params["sid"])
    turns = _timeline(s)
    has_audio = any(t.audio for t in s.turns)
    latencies = [t for t in turns if t["speaker"] == "patient" and t["latency"]]
    return page(
        request,
        "session.html.j2",
        title=f"Call {s.id}",
        s=s,
        turns=turns,
        audio=f"/api/sessions/{s.id}/audio.wav" if has_audio else None,
        latencies=latencies,
        **scorecard_context(s.scorecard, turns),
    )


def sessions_page(request: Request) -> HTMLResponse:
    from simulator.call import session
    from simulator.web.api import session_summary

    rows = [session_summary(s) for s in reversed(session.list_sessions())]
    return page(request, "sessions.html.j2", title="Your calls", rows=rows)


def history_page(request: Request) -> HTMLResponse:
    trainee = (request.query_params.get("trainee") or "").strip()
    return page(request, "history.html.j2", title="Progress", trainee=trainee)


def examples_page(request: Request) -> HTMLResponse:
    from simulator.examples import library as ex

    entries = ex.load_index(ex.examples_dir())
    by_scenario: dict[str, dict[str, Any]] = {}
    for e in entries.values():
        by_scenario.setdefault(e.scenario, {})[e.kind] = e
    return page(request, "examples.html.j2", title="Model calls", examples=sorted(by_scenario.items()))


def example_page(request: Request) -> HTMLResponse:
    from simulator.web.api import example_call

    p = request.path_params
    data = example_call(_state(request), p["sid"], p["kind"])
    return page(request, "example.html.j2", title=f"{data['title']} ({data['kind']})", ex=data)


def assess_list(request: Request) -> HTMLResponse:
    from simulator.web.api import assessment_list

    return page(request, "assess_list.html.j2", title="Assessments", assessments=assessment_list())


def assess_page(request: Request) -> HTMLResponse:
    from simulator.call import assessment

    aid = request.path_params["aid"]
    try:
        a = assessment.load(aid)
    except UserError as exc:
        raise HTTPException(404, str(exc)) from None
    return page(request, "assess.html.j2", title=a.title, a=a)


def review_page(request: Request) -> HTMLResponse:
    return page(request, "review.html.j2", title="Review", dimensions=DIMENSIONS)


def review_session(request: Request) -> HTMLResponse:
    from simulator.web.api import review_detail

    d = review_detail(_state(request), request.path_params["sid"])
    turns = [
        {"n": i, "speaker": t.get("speaker"), "text": t.get("text"), "start": t.get("start"), "end": t.get("end")}
        for i, t in enumerate(d["turns"])
    ]
    return page(
        request,
        "review_session.html.j2",
        title=f"Review: {d['trainee']}, {d['scenario']}",
        d=d,
        turns=turns,
        dimensions=DIMENSIONS,
        sample=request.query_params.get("sample") or "",
        audio=f"/api/review/sessions/{d['session_id']}/audio.wav" if d["recording_present"] else None,
        **scorecard_context(d["scorecard"], turns),
    )


def reports_page(request: Request) -> HTMLResponse:
    from simulator.authoring.summary import library as lib
    from simulator.reports import report as rp

    q = request.query_params
    error = None
    with _state(request).open_store() as store:
        cohorts, trainees = store.cohorts(), store.trainees()
        if q.get("name"):
            kinds: dict[str, Literal["trainee", "cohort", "scenario"]] = {
                "trainee": "trainee",
                "cohort": "cohort",
                "scenario": "scenario",
            }
            try:
                kind = kinds.get(q.get("kind") or "cohort")
                if kind is None:
                    raise UserError("a report is of a trainee, a cohort or a scenario")
                rp.build(store, kind, q["name"])  # a name that is not there: say so here, not in the frame
            except UserError as exc:
                error = str(exc)

    return page(
        request,
        "reports.html.j2",
        title="Reports",
        cohorts=cohorts,
        trainees=trainees,
        scenarios=[s["id"] for s in lib()],
        q=q,
        error=error,
    )


def check_page(request: Request) -> HTMLResponse:
    return page(request, "check.html.j2", title="Scenario check")


def routes() -> list[Route]:
    return [
        Route("/", library),
        Route("/practice/{sid}", practice),
        Route("/sessions", sessions_page),
        Route("/sessions/{sid}", session_page),
        Route("/history", history_page),
        Route("/examples", examples_page),
        Route("/examples/{sid}/{kind}", example_page),
        Route("/assess", assess_list),
        Route("/assess/{aid}", assess_page),
        Route("/review", review_page),
        Route("/review/{sid}", review_session),
        Route("/reports", reports_page),
        Route("/check", check_page),
    ]
