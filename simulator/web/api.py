"""The JSON API the pages call. Each handler parses, calls the library, and answers JSON; the
same functions the CLI commands call (named beside each handler)."""

from __future__ import annotations

import io
import json
import re
import secrets
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from simulator.errors import UserError
from simulator.web.state import AppState, Live

ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _state(request: Request) -> AppState:
    return request.app.state.web


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise UserError("the request body must be JSON") from None
    if not isinstance(data, dict):
        raise UserError("the request body must be a JSON object")
    return data


def _text(data: dict, key: str, *, required: bool = False, limit: int = 2000) -> str | None:
    v = data.get(key)
    if v is None or (isinstance(v, str) and not v.strip() and not required):
        if required:
            raise UserError(f"'{key}' is required")
        return None
    if not isinstance(v, str):
        raise UserError(f"'{key}' must be text")
    if len(v) > limit:
        raise UserError(f"'{key}' is too long (at most {limit} characters)")
    return v.strip()


def _int(data: dict, key: str, default: int | None = None, lo: int | None = None, hi: int | None = None) -> int | None:
    v = data.get(key, default)
    if v is None or v == "":
        return default
    try:
        n = int(v)
    except (TypeError, ValueError):
        raise UserError(f"'{key}' must be a whole number") from None
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        raise UserError(f"'{key}' must be between {lo} and {hi}")
    return n


def library_scenario(sid: str):
    """A scenario of the library by id (never a path: ids only)."""
    from simulator.authoring import scenario as sc_mod

    if not ID.fullmatch(sid or ""):
        raise HTTPException(404, f"no scenario '{sid}'")
    try:
        return sc_mod.load(sid)
    except UserError as exc:
        raise HTTPException(404, str(exc)) from None


def names(data: dict) -> tuple[str | None, str | None]:
    """``trainee`` and ``cohort`` from a request, checked as the store checks them."""
    from simulator.records.store import check_name

    trainee, cohort = _text(data, "trainee", limit=200), _text(data, "cohort", limit=200)
    if cohort and not trainee:
        raise UserError("a cohort needs a trainee name (whose call is stored)")
    if trainee:
        check_name("trainee", trainee)
    if cohort:
        check_name("cohort", cohort)
    return trainee, cohort


def wav_response(audio, rate: int, name: str) -> Response:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, audio, rate, format="WAV", subtype="PCM_16")
    return Response(
        buf.getvalue(), media_type="audio/wav", headers={"content-disposition": f'inline; filename="{name}"'}
    )


# ------------------------------------------------------------------------------- scenarios


def scenarios(request: Request) -> JSONResponse:
    """= ``vasim scenario list --json``."""
    from simulator.authoring.summary import library

    return JSONResponse(library())


def scenario(request: Request) -> JSONResponse:
    """The brief and the conversation's outline (``vasim scenario show``)."""
    from simulator.authoring.summary import outline

    return JSONResponse(outline(library_scenario(request.path_params["sid"])))


# ------------------------------------------------------------------------------- typed calls


def _finish_text(state: AppState, live: Live) -> dict[str, Any]:
    """Hang up (if needed), store the result for the trainee as ``vasim practice --trainee`` does."""
    if "final" in live.info:
        return live.info["final"]
    from simulator.records.store import save_practice

    result = live.session.hang_up()
    stored = None
    if live.trainee and result is not None:
        with state.open_store() as store:
            stored = save_practice(store, result, live.trainee, live.cohort)
    final = {
        "ended": True,
        "session_id": result.session_id if result else None,
        "url": f"/sessions/{result.session_id}" if result else None,
        "passed": (result.scorecard or {}).get("passed") if result else None,
        "stored": stored is not None,
        "said_nothing": bool(result) and result.scorecard is None,
    }
    live.info["final"] = final
    state.drop(live.id)
    return final


async def start_call(request: Request) -> JSONResponse:
    import anyio

    data = await _body(request)
    return JSONResponse(await anyio.to_thread.run_sync(_start_call, _state(request), data))


def _start_call(state: AppState, data: dict) -> dict[str, Any]:
    from simulator.call.practice import PracticeOptions
    from simulator.call.stepwise import TextSession

    sc = library_scenario(_text(data, "scenario", required=True) or "")
    trainee, cohort = names(data)
    if trainee:
        with state.open_store():  # a damaged or locked database must not cost a call
            pass
    state.reap()
    detector, embedder = state.detector()
    session = TextSession(sc, detector, options=PracticeOptions(seed=_int(data, "seed", 0, 0, 2**31) or 0),
                          embedder=embedder)  # fmt: skip
    live = Live(secrets.token_urlsafe(12), "text", sc.id, trainee, cohort, session=session)
    live.stop = lambda: _finish_text(state, live)
    state.add(live)
    events = session.start()
    out: dict[str, Any] = {"call_id": live.id, "events": [e.to_json() for e in events], "ended": session.ended}
    if session.ended:
        out.update(_finish_text(state, live))
    return out


async def say(request: Request) -> JSONResponse:
    import anyio

    data = await _body(request)
    state = _state(request)
    live = state.get(request.path_params["cid"], "text")
    text = _text(data, "text", limit=2000) or ""

    def run():
        events = live.session.say(text)
        out: dict[str, Any] = {"events": [e.to_json() for e in events], "ended": live.session.ended}
        if live.session.ended:
            out.update(_finish_text(state, live))
        return out

    return JSONResponse(await anyio.to_thread.run_sync(run))


async def hang_up(request: Request) -> JSONResponse:
    import anyio

    state = _state(request)
    live = state.get(request.path_params["cid"], "text")
    return JSONResponse(await anyio.to_thread.run_sync(_finish_text, state, live))


# ------------------------------------------------------------------------------- sessions (journal)


def session_summary(s) -> dict[str, Any]:
    card = s.scorecard
    return {
        "id": s.id,
        "scenario": s.scenario,
        "started_at": s.started_at,
        "mode": s.start.get("mode", ""),
        "complete": s.complete,
        "turns": len([t for t in s.turns if t.text.strip()]),
        "end_reason": (s.end or {}).get("reason"),
        "passed": card.get("passed") if card else None,
    }


def load_session(ref: str):
    from simulator.call import session

    if not re.fullmatch(r"[0-9A-Za-z-]{1,64}", ref or ""):
        raise HTTPException(404, f"no session '{ref}'")
    try:
        return session.load(ref)
    except UserError as exc:
        raise HTTPException(404, str(exc)) from None


def sessions(request: Request) -> JSONResponse:
    """= ``vasim sessions list --json``, newest first."""
    from simulator.call import session

    return JSONResponse([session_summary(s) for s in reversed(session.list_sessions())])


def session_json(request: Request) -> JSONResponse:
    """= ``vasim sessions show --json``."""
    s = load_session(request.path_params["sid"])
    return JSONResponse(
        {**session_summary(s), "turns": [t.to_json() for t in s.turns], "end": s.end, "scorecard": s.scorecard}
    )


def session_audio(request: Request) -> Response:
    """Both sides of the call on one timeline (``vasim sessions replay -o``)."""
    from simulator.call import session

    s = load_session(request.path_params["sid"])
    rate = 22050
    audio = session.call_audio(s, rate)
    if not len(audio):
        raise HTTPException(404, f"session {s.id} has no audio (a typed call)")
    return wav_response(audio, rate, f"{s.id}.wav")


def history(request: Request) -> JSONResponse:
    """A trainee's stored calls (``vasim report trainee NAME``'s rows), oldest first."""
    from simulator.authoring.catalog import DIMENSIONS

    trainee = (request.query_params.get("trainee") or "").strip()
    if not trainee:
        raise UserError("give a trainee name")
    state = _state(request)
    with state.open_store() as store:
        store.require_trainee(trainee)
        rows = store.sessions(trainee=trainee)
    rows.sort(key=lambda s: s.started_at)
    return JSONResponse(
        [
            {
                "session_id": s.session_id,
                "scenario": s.scenario,
                "started_at": s.started_at,
                "source": s.source,
                "input": s.input,
                "passed": s.passed,
                "scores": {d: s.scores.get(d) for d in DIMENSIONS},
                "mean": round(s.mean_score(), 2),
                "blockers": s.blockers,
            }
            for s in rows
        ]
    )


# ------------------------------------------------------------------------------- model calls


def examples(request: Request) -> JSONResponse:
    """The rendered model calls (``vasim examples list``)."""
    from simulator.examples import library as ex

    entries = ex.load_index(ex.examples_dir())
    return JSONResponse(
        [
            {"key": k, "scenario": e.scenario, "kind": e.kind, "about": e.about, "duration_s": e.duration_s}
            for k, e in sorted(entries.items())
        ]
    )


def example_call(state: AppState, sid: str, kind: str) -> dict[str, Any]:
    """One model call with its transcript (times) and the scorer's notes per turn (``vasim listen --text``)."""
    from simulator.authoring.catalog import load_catalog
    from simulator.examples import library as ex
    from simulator.scoring.score import score_call

    library_scenario(sid)
    if kind not in ("strong", "weak"):
        raise HTTPException(404, "an example is 'strong' or 'weak'")
    scenario, entry, transcript, stale = ex.load_example(sid, kind)
    catalog = load_catalog()
    detector, _ = state.detector()
    card = score_call(scenario, transcript, detector, catalog)
    notes = ex.annotate(card, catalog)
    return {
        "scenario": scenario.id,
        "title": scenario.title,
        "kind": kind,
        "about": entry.about,
        "duration_s": entry.duration_s,
        "stale": stale,
        "audio": f"/api/examples/{scenario.id}/{kind}/audio",
        "turns": [
            {
                "speaker": t.speaker,
                "label": ex.speaker_label(t.speaker),
                "text": t.text,
                "start": t.start,
                "end": t.end,
                "notes": [{"good": n.good, "id": n.id, "text": n.text} for n in notes.get(i, [])],
            }
            for i, t in enumerate(transcript.turns)
        ],
        "verdict": ex.verdict(card),
        "passed": card.passed,
    }


async def example(request: Request) -> JSONResponse:
    import anyio

    p = request.path_params
    return JSONResponse(await anyio.to_thread.run_sync(example_call, _state(request), p["sid"], p["kind"]))


def example_audio(request: Request) -> Response:
    from simulator.examples import library as ex

    p = request.path_params
    library_scenario(p["sid"])
    if p["kind"] not in ("strong", "weak"):
        raise HTTPException(404, "an example is 'strong' or 'weak'")
    _, entry, _, _ = ex.load_example(p["sid"], p["kind"])
    path = ex.examples_dir() / Path(entry.audio).name
    if not path.is_file():
        raise HTTPException(404, f"{entry.audio}: missing; run `vasim examples render {p['sid']}`")
    media = "audio/ogg" if path.suffix == ".ogg" else "audio/flac"
    return FileResponse(path, media_type=media)


# ------------------------------------------------------------------------------- assessments


def assessment_list() -> list[dict[str, Any]]:
    from simulator.call import assessment

    out = []
    for f in sorted(assessment.assessments_dir().glob("*.yaml")):
        try:
            a = assessment.load(f.stem)
        except UserError:
            continue
        out.append({"id": a.id, "title": a.title, "calls": len(a.scenarios), "description": a.description})
    return out


def assessments(request: Request) -> JSONResponse:
    return JSONResponse(assessment_list())


def _finish_assessment(state: AppState, live: Live, leave: bool = False) -> dict[str, Any]:
    if "final" in live.info:
        return live.info["final"]
    sess = live.session
    if leave:
        sess.abandon()
    else:
        sess.hang_up()
    res = sess.result
    out: dict[str, Any] = {"ended": True, "finished": res is not None}
    if res is not None:
        out.update(done=res.done, total=res.total, scores_hidden=res.hide_scores)
        if not res.hide_scores and res.outcome is not None:
            out["result"] = res.outcome.as_dict()
    live.info["final"] = out
    with_store = live.info.pop("store", None)
    if with_store is not None:
        with_store.close()
    state.drop(live.id)
    return out


async def start_assessment(request: Request) -> JSONResponse:
    import anyio

    data = await _body(request)
    aid = request.path_params["aid"]
    return JSONResponse(await anyio.to_thread.run_sync(_start_assessment, _state(request), aid, data))


def _start_assessment(state: AppState, aid: str, data: dict) -> dict[str, Any]:
    from simulator.call import assessment
    from simulator.call.stepwise import AssessmentSession

    if not ID.fullmatch(aid):
        raise HTTPException(404, f"no assessment '{aid}'")
    a = assessment.load(aid)
    trainee, cohort = names(data)
    if not trainee:
        raise UserError("who takes the assessment? give the trainee's name")
    for other in list(state.calls.values()):
        if other.kind == "assessment" and other.trainee == trainee and other.scenario == a.id:
            _finish_assessment(state, other, leave=True)  # the same trainee opened it again: resume here
    detector, embedder = state.detector()
    store = state.open_store()
    sess = AssessmentSession(a, trainee=trainee, cohort=cohort, store=store, detector=detector, embedder=embedder,
                             restart=bool(data.get("restart")))  # fmt: skip
    live = Live(secrets.token_urlsafe(12), "assessment", a.id, trainee, cohort, session=sess, info={"store": store})
    live.stop = lambda: _finish_assessment(state, live, leave=True)
    state.add(live)
    try:
        events = sess.start()
    except BaseException:
        _finish_assessment(state, live, leave=True)
        raise
    out: dict[str, Any] = {"call_id": live.id, "events": [e.to_json() for e in events], "ended": sess.ended}
    if sess.ended:
        out.update(_finish_assessment(state, live))
    return out


async def assessment_step(request: Request) -> JSONResponse:
    import anyio

    data = await _body(request)
    state = _state(request)
    live = state.get(request.path_params["cid"], "assessment")
    action = request.path_params["action"]
    if action not in ("say", "hangup", "leave"):
        raise HTTPException(404, "no such action")
    text = _text(data, "text", limit=2000) or ""

    def run():
        if action == "leave":
            return _finish_assessment(state, live, leave=True)
        try:
            events = live.session.say(text) if action == "say" else live.session.hang_up_call()
        except UserError:
            if live.session.ended:
                _finish_assessment(state, live, leave=True)
            raise
        out: dict[str, Any] = {"events": [e.to_json() for e in events], "ended": live.session.ended}
        if live.session.ended:
            out.update(_finish_assessment(state, live))
        return out

    return JSONResponse(await anyio.to_thread.run_sync(run))


# ------------------------------------------------------------------------------- review


def cohorts(request: Request) -> JSONResponse:
    with _state(request).open_store() as store:
        return JSONResponse({"cohorts": store.cohorts(), "trainees": store.trainees()})


def _sample_json(s, reviewed: set[str]) -> dict[str, Any]:
    return {
        "sample": s.id,
        "cohort": s.cohort,
        "seed": s.seed,
        "n": len(s.session_ids),
        "created_at": s.created_at,
        "created_by": s.created_by,
        "reviewed": sum(1 for x in s.session_ids if x in reviewed),
        "sessions": list(s.session_ids),
    }


def samples(request: Request) -> JSONResponse:
    """= ``vasim review samples --json``."""
    cohort = request.query_params.get("cohort") or None
    with _state(request).open_store() as store:
        rows = store.samples(cohort)
        reviewed = {r.session_id for r in store.reviews()}
    return JSONResponse([_sample_json(s, reviewed) for s in rows])


async def draw(request: Request) -> JSONResponse:
    """= ``vasim review sample --cohort C --n N``."""
    from simulator.records.review import draw_sample

    data = await _body(request)
    cohort = _text(data, "cohort", required=True, limit=200) or ""
    n = _int(data, "n", 10, 1, 1000) or 10
    seed = _int(data, "seed", None, 0, 2**31)
    with _state(request).open_store() as store:
        s = draw_sample(store, cohort, n, seed=seed, by=_text(data, "by", limit=200))
        reviewed = {r.session_id for r in store.reviews()}
    return JSONResponse(_sample_json(s, reviewed))


def stored_sessions(request: Request) -> JSONResponse:
    q = request.query_params
    with _state(request).open_store() as store:
        rows = store.sessions(cohort=q.get("cohort") or None, trainee=q.get("trainee") or None)
    return JSONResponse(
        [
            {
                "session_id": s.session_id,
                "trainee": s.trainee,
                "cohort": s.cohort,
                "scenario": s.scenario,
                "started_at": s.started_at,
                "passed": s.passed,
                "source": s.source,
                "scores": s.scores,
            }
            for s in rows
        ]
    )


def review_detail(state: AppState, ref: str) -> dict[str, Any]:
    """= ``vasim review show --json``, with each turn's times for the audio player."""
    with state.open_store() as store:
        s = store.session(ref)
        reviews = store.reviews([s.session_id])
    rec_dir = Path(s.recording) if s.recording else None
    return {
        "session_id": s.session_id,
        "trainee": s.trainee,
        "cohort": s.cohort,
        "scenario": s.scenario,
        "started_at": s.started_at,
        "source": s.source,
        "input": s.input,
        "passed": s.passed,
        "scores": s.scores,
        "automatic_scores": s.auto_scores,
        "overrides": [o.__dict__ for o in s.overrides],
        "reviews": [r.__dict__ for r in reviews],
        "turns": list(s.turns),
        "recording": s.recording,
        "recording_present": bool(rec_dir and rec_dir.is_dir() and any(rec_dir.glob("*.flac"))),
        "scorecard": s.scorecard,
    }


def review_json(request: Request) -> JSONResponse:
    return JSONResponse(review_detail(_state(request), request.path_params["sid"]))


def review_audio(request: Request) -> Response:
    from simulator.call import session

    with _state(request).open_store() as store:
        s = store.session(request.path_params["sid"], with_turns=False)
    rec = Path(s.recording) if s.recording else None
    if rec is None or not rec.is_dir() or not (rec / session.JOURNAL).is_file():
        raise HTTPException(404, "no recording for this call (typed, or its audio was deleted)")
    audio = session.call_audio(session.load_dir(rec), 22050)
    if not len(audio):
        raise HTTPException(404, "no recording for this call (a typed call)")
    return wav_response(audio, 22050, f"{s.session_id}.wav")


async def review_score(request: Request) -> JSONResponse:
    """= ``vasim review score SESSION --greeting N ... --notes TEXT``."""
    from simulator.authoring.catalog import DIMENSIONS
    from simulator.records.review import current_user, parse_score

    data = await _body(request)
    raw = data.get("scores")
    if not isinstance(raw, dict):
        raise UserError("give the five scores")
    missing = [d for d in DIMENSIONS if raw.get(d) in (None, "")]
    if missing:
        raise UserError(f"missing scores for {', '.join(missing)} (1-5 each)")
    scores = {d: parse_score(d, str(raw[d])) for d in DIMENSIONS}
    notes_in = data.get("notes") or {}
    if not isinstance(notes_in, dict):
        raise UserError("'notes' must be an object (dimension -> note)")
    notes = {k: str(v).strip()[:2000] for k, v in notes_in.items() if k in (*DIMENSIONS, "") and str(v).strip()}
    sample = _int(data, "sample", None, 1, 2**31)
    with _state(request).open_store() as store:
        s = store.session(request.path_params["sid"], with_turns=False)
        r = store.add_review(s.session_id, _text(data, "reviewer", limit=200) or current_user(), scores, notes, sample)
    return JSONResponse(r.__dict__)


async def review_override(request: Request) -> JSONResponse:
    """= ``vasim review override SESSION DIMENSION SCORE --reason TEXT``."""
    from simulator.authoring.catalog import DIMENSIONS
    from simulator.records.review import current_user, parse_score

    data = await _body(request)
    dim = _text(data, "dimension", required=True) or ""
    if dim not in DIMENSIONS:
        raise UserError(f"dimension must be one of {', '.join(DIMENSIONS)}")
    score = parse_score(dim, str(data.get("score", "")))
    reason = _text(data, "reason", limit=2000)
    if not reason:
        raise UserError("an override needs a reason (it is kept in the audit trail)")
    with _state(request).open_store() as store:
        s = store.session(request.path_params["sid"], with_turns=False)
        o = store.add_override(s.session_id, dim, score, reason, _text(data, "by", limit=200) or current_user())
    return JSONResponse(o.__dict__)


def audit(request: Request) -> JSONResponse:
    """= ``vasim review audit --json``."""
    q = request.query_params
    with _state(request).open_store() as store:
        rows = store.sessions(cohort=q.get("cohort") or None, trainee=q.get("trainee") or None)
    out = [
        {"session_id": s.session_id, "trainee": s.trainee, "scenario": s.scenario, **o.__dict__}
        for s in rows
        for o in s.overrides
    ]
    out.sort(key=lambda r: r["at"])
    return JSONResponse(out)


def agreement(request: Request) -> JSONResponse:
    """= ``vasim review agreement --json``."""
    from simulator.records.review import agreement as agree

    q = request.query_params
    with _state(request).open_store() as store:
        if q.get("cohort"):
            store.require_cohort(q["cohort"])
        rows = agree(store, cohort=q.get("cohort") or None, trainee=q.get("trainee") or None)
    return JSONResponse([a.as_dict() for a in rows])


# ------------------------------------------------------------------------------- reports


def build_report(request: Request):
    """= ``vasim report KIND NAME [--only ...] [--target-score N] [--cohort C]``."""
    from simulator.reports import report as rp

    kind, name = request.path_params["kind"], request.path_params["name"]
    if kind not in ("trainee", "cohort", "scenario"):
        raise HTTPException(404, "a report is of a trainee, a cohort or a scenario")
    q = request.query_params
    try:
        target = float(q.get("target") or 4.0)
    except ValueError:
        raise UserError("the target score must be a number") from None
    if not 1 <= target <= 5:
        raise UserError("the target score must be between 1 and 5")
    only = q.get("only") or ("assessment" if kind == "cohort" else "all")
    if only not in ("assessment", "practice", "all"):
        raise UserError("'only' is assessment, practice or all")
    with _state(request).open_store() as store:
        return rp.build(
            store,
            kind,
            name,
            rp.Targets(dimension_mean=target),
            cohort=q.get("cohort") or None,
            only=None if only == "all" else only,
        )


def report_json(request: Request) -> Response:
    from simulator.reports import export

    return Response(export.to_json(build_report(request)), media_type="application/json")


REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"


def report_html(request: Request) -> Response:
    """The report page exactly as ``vasim report ... --html`` writes it (its own CSP: no script)."""
    from simulator.reports import html

    return Response(
        html.render_html(build_report(request)),
        media_type="text/html",
        headers={"content-security-policy": REPORT_CSP},
    )


# ------------------------------------------------------------------------------- scenario check


async def check(request: Request) -> JSONResponse:
    """= ``vasim scenario validate FILE`` for a pasted or uploaded file, with each problem's line."""
    from simulator.authoring.check import check_text
    from simulator.authoring.summary import outline

    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=5)
        up = form.get("file")
        if up is None or isinstance(up, str):
            raise UserError("choose a YAML file to upload")
        name, raw = up.filename or "scenario.yaml", await up.read()
    else:
        data = await _body(request)
        name = _text(data, "name", limit=200) or "scenario.yaml"
        text = data.get("text")
        if not isinstance(text, str):
            raise UserError("paste the scenario's YAML")
        raw = text.encode("utf-8")
    res = check_text(raw, name)
    return JSONResponse(
        {
            "ok": res.ok,
            "name": res.name,
            "problems": [
                {
                    "line": p.line,
                    "col": p.col,
                    "field": p.field,
                    "message": p.message,
                    "text": str(p),
                    "source": res.lines[p.line - 1] if 0 < p.line <= len(res.lines) else "",
                }
                for p in res.problems
            ],
            "lines": res.lines,
            "outline": outline(res.scenario) if res.scenario is not None else None,
        }
    )


def routes() -> list[Route]:
    return [
        Route("/api/scenarios", scenarios),
        Route("/api/scenarios/{sid}", scenario),
        Route("/api/calls", start_call, methods=["POST"]),
        Route("/api/calls/{cid}/say", say, methods=["POST"]),
        Route("/api/calls/{cid}/hangup", hang_up, methods=["POST"]),
        Route("/api/sessions", sessions),
        Route("/api/sessions/{sid}", session_json),
        Route("/api/sessions/{sid}/audio.wav", session_audio),
        Route("/api/history", history),
        Route("/api/examples", examples),
        Route("/api/examples/{sid}/{kind}", example),
        Route("/api/examples/{sid}/{kind}/audio", example_audio),
        Route("/api/assessments", assessments),
        Route("/api/assessments/{aid}/start", start_assessment, methods=["POST"]),
        Route("/api/assessment-calls/{cid}/{action}", assessment_step, methods=["POST"]),
        Route("/api/review/cohorts", cohorts),
        Route("/api/review/samples", samples),
        Route("/api/review/samples", draw, methods=["POST"]),
        Route("/api/review/sessions", stored_sessions),
        Route("/api/review/sessions/{sid}", review_json),
        Route("/api/review/sessions/{sid}/audio.wav", review_audio),
        Route("/api/review/sessions/{sid}/score", review_score, methods=["POST"]),
        Route("/api/review/sessions/{sid}/override", review_override, methods=["POST"]),
        Route("/api/review/audit", audit),
        Route("/api/review/agreement", agreement),
        Route("/api/reports/{kind}/{name}", report_json),
        Route("/reports/{kind}/{name}/view", report_html),
        Route("/api/check", check, methods=["POST"]),
    ]
