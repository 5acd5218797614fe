"""The browser app with fakes only (no model, no browser): Starlette's TestClient drives the
handlers, the guard (token, CSRF, CSP, size), errors, typed and spoken calls, review and reports."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from types import SimpleNamespace

import numpy as np
import pytest
from starlette.testclient import TestClient

from simulator.call import session
from simulator.call.stepwise import AssessmentSession, TextSession
from simulator.speech.audio import PushMicrophone, StreamSpeaker
from simulator.testing import EnergyVad, FakeDetector, FakeRecognizer, FakeSynthesizer, ManualClock, ToneSpeech
from simulator.web.app import create_app
from simulator.web.security import CSP, csrf_for
from simulator.web.state import Settings

TOKEN = "test-token"
STRONG = [
    "Thank you for calling Riverside Family Practice, this is Sam. How can I help you today?",
    "I'm sorry, I understand how frustrating that is. Let me look into that. May I have your full name and date of birth?",
    "Thank you, Ms. Carter. So you were expecting the physical to be covered.",
    "I understand, Ms. Carter. I can set up a payment plan and I'll send a note to our billing team.",
    "Billing will get back to you within five business days. Is there anything else I can help you with?",
    "Thank you for calling, Ms. Carter, have a good day.",
]
WEAK = [
    "Billing.",
    "Yeah, the balance is a hundred eighty five, it was adjudicated as a problem visit on the 837P.",
    "No, that's wrong, you should have asked at check-in.",
    "Okay.",
]


@pytest.fixture
def client(tmp_path, fake_parts):
    app = create_app(Settings(token=TOKEN, db=str(tmp_path / "results.db"), max_body=64 * 1024))
    with TestClient(app) as c:
        yield c


@pytest.fixture
def auth(client):
    client.cookies.set("vasim_token", TOKEN)
    client.headers["X-CSRF-Token"] = csrf_for(TOKEN)
    return client


# ----------------------------------------------------------------------------------- the guard


def test_healthz_needs_no_token(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"ok": True, "version": "0.1.0"}


@pytest.mark.parametrize("path", ["/", "/api/scenarios", "/sessions", "/static/app.css", "/api/review/cohorts"])
def test_everything_else_is_401_without_the_token(client, path):
    r = client.get(path)
    assert r.status_code == 401 and "token" in r.json()["error"]
    client.cookies.set("vasim_token", "wrong")
    assert client.get(path).status_code == 401


def test_the_token_in_the_address_becomes_an_httponly_cookie(client):
    r = client.get("/?token=" + TOKEN, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and f"vasim_token={TOKEN}" in cookie
    assert client.get("/").status_code == 200  # the cookie is now sent
    assert client.get("/api/scenarios", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_state_changes_need_the_csrf_token(client):
    client.cookies.set("vasim_token", TOKEN)
    body = {"scenario": "billing-frustrated"}
    assert client.post("/api/calls", json=body).status_code == 403
    assert client.post("/api/calls", json=body, headers={"X-CSRF-Token": "nope"}).status_code == 403
    cross = {"X-CSRF-Token": csrf_for(TOKEN), "Origin": "http://evil.example"}
    assert client.post("/api/calls", json=body, headers=cross).status_code == 403
    ok = client.post("/api/calls", json=body, headers={"X-CSRF-Token": csrf_for(TOKEN)})
    assert ok.status_code == 200


def test_every_answer_has_the_strict_policy(auth):
    for path in ("/", "/api/scenarios", "/nope", "/static/js/practice.js"):
        r = auth.get(path)
        csp = r.headers["content-security-policy"]
        assert csp == CSP and "default-src 'self'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
    assert "http" not in CSP  # no other host


def test_pages_ship_everything_and_run_no_inline_script(auth):
    for path in (
        "/",
        "/practice/billing-frustrated",
        "/check",
        "/review",
        "/examples",
        "/assess",
        "/reports",
        "/history",
    ):
        html = auth.get(path, headers={"accept": "text/html"}).text
        assert "<script>" not in html and "<script type=\"module\">" not in html
        assert not re.search(r"<[^>]+\son[a-z]+=", html), path  # no inline handlers
        assert not re.search(r"(src|href)=\"(https?:)?//", html), path  # nothing from another host
        for ref in re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", html):
            assert auth.get(ref).status_code == 200, ref


def test_errors_are_json_with_a_status_never_a_traceback(auth):
    r = auth.get("/api/sessions/does-not-exist")
    assert r.status_code == 404 and r.json()["error"].startswith("no session")
    r = auth.post("/api/calls", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json() == {"error": "the request body must be JSON", "status": 400}
    r = auth.post("/api/calls", json={"scenario": "../../etc/passwd"})
    assert r.status_code == 404
    r = auth.post("/api/calls/nope/say", json={"text": "hi"})
    assert r.status_code == 404 and "no such call" in r.json()["error"]
    r = auth.get("/nope", headers={"accept": "text/html"})
    assert r.status_code == 404 and "Traceback" not in r.text


def test_a_crash_is_a_500_with_one_line(tmp_path, fake_parts, monkeypatch):
    from simulator.authoring import summary

    monkeypatch.setattr(summary, "library", lambda: 1 / 0)
    app = create_app(Settings(token=TOKEN, db=str(tmp_path / "r.db")))
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/scenarios", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 500 and "Traceback" not in r.text and "ZeroDivision" not in r.text
    assert r.json()["error"].startswith("internal error")


def test_bodies_over_the_limit_are_refused(auth):
    big = b"x" * (65 * 1024)
    r = auth.post("/api/check", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "too large" in r.json()["error"]


# ----------------------------------------------------------------------------------- scenarios


def test_scenarios_are_what_the_cli_lists(auth, capsys):
    from simulator.cli.main import main

    assert main(["scenario", "list", "--json"]) == 0
    assert auth.get("/api/scenarios").json() == json.loads(capsys.readouterr().out)


def test_the_library_page_and_a_brief(auth):
    html = auth.get("/").text
    assert html.count('class="card scenario"') == 15 and "billing-frustrated" in html
    o = auth.get("/api/scenarios/billing-frustrated").json()
    assert o["va_speaks_first"] is True and o["states"][0]["lines"]
    assert auth.get("/api/scenarios/no-such").status_code == 404


# ----------------------------------------------------------------------------------- typed calls


def _typed(auth, lines, **who):
    r = auth.post("/api/calls", json={"scenario": "billing-frustrated", **who})
    assert r.status_code == 200, r.text
    cid, out = r.json()["call_id"], r.json()
    for line in lines:
        out = auth.post(f"/api/calls/{cid}/say", json={"text": line}).json()
        if out["ended"]:
            break
    if not out["ended"]:
        out = auth.post(f"/api/calls/{cid}/hangup").json()
    return out


def test_a_typed_call_in_the_page_is_the_cli_call_journalled_and_stored(auth):
    first = auth.post("/api/calls", json={"scenario": "billing-frustrated"}).json()
    assert first["events"] == [] and not first["ended"]  # the phone rings: the VA speaks first
    step = auth.post(f"/api/calls/{first['call_id']}/say", json={"text": STRONG[0]}).json()
    assert [e["speaker"] for e in step["events"]] == ["trainee", "patient"]
    out = _typed(auth, STRONG, trainee="Jamie Lee", cohort="2026-12")
    assert out["ended"] and out["passed"] is True and out["stored"] is True
    s = session.load(out["session_id"])
    assert s.complete and [t.text for t in s.turns if t.speaker == "trainee"] == STRONG
    hist = auth.get("/api/history", params={"trainee": "Jamie Lee"}).json()
    assert [h["session_id"] for h in hist] == [out["session_id"]] and hist[0]["source"] == "practice"
    page = auth.get(out["url"]).text
    assert 'data-passed="true"' in page and "PASS" in page


def test_a_weak_typed_call_fails_with_its_blocker_first(auth):
    out = _typed(auth, WEAK)
    assert out["passed"] is False and out["stored"] is False
    page = auth.get(out["url"]).text
    assert 'data-passed="false"' in page
    assert page.index('id="blockers"') < page.index('class="dims"')
    assert 'data-id="disclose_before_verify"' in page


def test_hanging_up_at_once_keeps_nothing_for_reports(auth):
    r = auth.post("/api/calls", json={"scenario": "billing-frustrated", "trainee": "Sam"}).json()
    out = auth.post(f"/api/calls/{r['call_id']}/hangup").json()
    assert out["said_nothing"] and not out["stored"]
    assert auth.get("/api/history", params={"trainee": "Sam"}).status_code == 400  # no such trainee stored


def test_bad_names_are_one_clear_message(auth):
    r = auth.post("/api/calls", json={"scenario": "billing-frustrated", "trainee": "a\nb"})
    assert r.status_code == 400 and "trainee name" in r.json()["error"]
    r = auth.post("/api/calls", json={"scenario": "billing-frustrated", "cohort": "c"})
    assert r.status_code == 400


def test_shutdown_journals_a_call_in_progress(tmp_path, fake_parts):
    app = create_app(Settings(token=TOKEN, db=str(tmp_path / "r.db")))
    with TestClient(app) as c:
        c.cookies.set("vasim_token", TOKEN)
        c.headers["X-CSRF-Token"] = csrf_for(TOKEN)
        cid = c.post("/api/calls", json={"scenario": "billing-frustrated", "trainee": "Jamie"}).json()["call_id"]
        c.post(f"/api/calls/{cid}/say", json={"text": STRONG[0]})
    # leaving the block ran the app's shutdown (what Ctrl-C does): the call is ended and kept
    (s,) = session.list_sessions()
    assert s.complete and s.end["reason"] == "trainee_hangup" and s.turns[0].text == STRONG[0]


# ----------------------------------------------------------------------------------- the library side


def test_text_session_steps_through_run_text_call():
    from simulator.authoring import scenario as sc_mod

    sc = sc_mod.load("billing-frustrated")
    ts = TextSession(sc, FakeDetector())
    assert ts.start() == []
    events = ts.say(STRONG[0])
    assert events[0].speaker == "trainee" and events[1].speaker == "patient"
    for line in STRONG[1:]:
        ts.say(line)
    assert ts.ended and ts.result.scorecard["passed"] is True
    with pytest.raises(Exception, match="ended"):
        ts.say("hello?")


def test_assessment_session_resumes_where_it_stopped(tmp_path):
    from simulator.call import assessment
    from simulator.records.store import open_store

    a = assessment.load("onboarding-week1")
    with open_store(tmp_path / "r.db") as store:
        s = AssessmentSession(a, trainee="Jamie", cohort="c1", store=store, detector=FakeDetector())
        events = s.start()
        assert events[0].note == "start" and events[1].note == "call"
        first = a.scenarios[0].scenario
        sc_lines = next(e for e in assessment_scenario(first).examples if e.kind == "strong")
        saved = []
        for t in sc_lines.turns:
            if t.speaker == "trainee" and not saved:
                saved = [e for e in s.say(t.text) if e.note == "saved"]
        assert saved, "the first call ended and was saved"
        s.abandon()  # the page closed during the second call
        assert len(store.sessions(trainee="Jamie")) == 1
        again = AssessmentSession(a, trainee="Jamie", cohort="c1", store=store, detector=FakeDetector())
        ev = again.start()
        assert "1 of" in ev[0].text and "Call 2 of" in ev[1].text  # resumed at the second call
        again.abandon()


def assessment_scenario(sid):
    from simulator.authoring import scenario as sc_mod

    return sc_mod.load(sid)


def test_push_microphone_and_stream_speaker():
    mic = PushMicrophone(stall_s=0.2)
    mic.push(np.ones(160, np.float32) * 0.5)
    mic.push((np.ones(160) * 16384).astype(np.int16))
    got = []
    for chunk in mic:
        got.append(chunk)
    assert (
        len(got) == 2 and mic.stalled and abs(mic.received_s - 0.02) < 1e-9 and mic.peak == pytest.approx(0.5, abs=1e-3)
    )
    mic2 = PushMicrophone()
    mic2.close()
    assert list(mic2) == []

    clock = ManualClock()
    sent, stops = [], []
    sink = StreamSpeaker(lambda a, r: sent.append((len(a), r)), lambda: stops.append(1), clock=clock)
    sink.play(np.zeros(22050, np.float32), 22050)
    assert sent == [(22050, 22050)] and sink.playing
    clock.advance(0.5)
    sink.stop()
    assert stops == [1] and not sink.playing and len(sink.played[0][1]) == 11025
    sink.stop()
    assert stops == [1]  # nothing playing: nothing to tell the page


# ----------------------------------------------------------------------------------- spoken calls


@pytest.fixture
def voice_fakes():
    from simulator.speech import factory
    from simulator.testing import fake_parts

    speech = ToneSpeech(STRONG[:3], seconds=0.8)
    with fake_parts(
        recognizer=lambda *a, **k: FakeRecognizer(speech.recognize),
        synthesizer=lambda *a, **k: FakeSynthesizer(sample_rate=22050),
        vad=lambda **k: SimpleNamespace(vad=EnergyVad()),
    ):
        assert factory.make_vad().vad is not None
        yield speech


def _pcm(audio):
    return (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()


def test_a_spoken_call_over_the_websocket(tmp_path, voice_fakes):
    speech = voice_fakes
    app = create_app(Settings(token=TOKEN, db=str(tmp_path / "r.db")))
    silence = np.zeros(int(1.2 * 16000), np.float32)
    with TestClient(app) as c:
        c.cookies.set("vasim_token", TOKEN)
        from starlette.websockets import WebSocketDisconnect

        with pytest.raises(WebSocketDisconnect) as refused, c.websocket_connect("/ws/voice") as ws:
            ws.receive_json()  # no CSRF token: refused before it is accepted
        assert refused.value.code == 4403
        with c.websocket_connect(f"/ws/voice?csrf={csrf_for(TOKEN)}") as ws:
            ws.send_json({"type": "start", "scenario": "billing-frustrated", "barge_in": True, "trainee": "Jamie"})
            msgs, audio = [], []

            def until(pred, limit=400):
                for _ in range(limit):
                    m = ws.receive()
                    if m.get("bytes") is not None:
                        audio.append(m["bytes"])
                        continue
                    msg = json.loads(m["text"])
                    msgs.append(msg)
                    if pred(msg):
                        return msg
                raise AssertionError(msgs)

            ready = until(lambda m: m["type"] == "ready")
            assert ready["va_speaks_first"]
            for i, text in enumerate(STRONG[:3]):
                clip = np.concatenate([speech.clip(text), silence])
                for k in range(0, len(clip), 320):
                    ws.send_bytes(_pcm(clip[k : k + 320]))
                until(lambda m, i=i: m["type"] == "turn" and m["speaker"] == "patient" and i >= 0)
            ws.send_json({"type": "hangup"})
            end = until(lambda m: m["type"] in ("ended", "error"))
    assert end["type"] == "ended", msgs
    said = [m["text"] for m in msgs if m["type"] == "turn" and m["speaker"] == "trainee"]
    assert said == STRONG[:3]
    assert audio and int.from_bytes(audio[0][:4], "little") == 22050  # the caller's voice came back
    s = session.load(end["session_id"])
    assert s.complete and any(t.audio for t in s.turns)
    assert end["stored"] is True


def test_a_dropped_connection_still_saves_the_call(tmp_path, voice_fakes):
    speech = voice_fakes
    app = create_app(Settings(token=TOKEN, db=str(tmp_path / "r.db")))
    with TestClient(app) as c:
        c.cookies.set("vasim_token", TOKEN)
        with c.websocket_connect(f"/ws/voice?csrf={csrf_for(TOKEN)}") as ws:
            ws.send_json({"type": "start", "scenario": "billing-frustrated"})
            while json.loads(ws.receive_text())["type"] != "ready":
                pass
            clip = np.concatenate([speech.clip(STRONG[0]), np.zeros(16000, np.float32)])
            for k in range(0, len(clip), 320):
                ws.send_bytes(_pcm(clip[k : k + 320]))
            while True:
                m = ws.receive()
                if m.get("text") and json.loads(m["text"]).get("speaker") == "patient":
                    break
        # the page went away mid-call
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (session.list_sessions() and session.list_sessions()[0].complete):
            time.sleep(0.1)
    (s,) = session.list_sessions()
    assert s.complete and s.turns[0].text == STRONG[0]


def test_a_bad_start_message_is_one_clear_error(tmp_path, voice_fakes):
    app = create_app(Settings(token=TOKEN, db=str(tmp_path / "r.db")))
    with TestClient(app) as c, c.websocket_connect(f"/ws/voice?csrf={csrf_for(TOKEN)}&token={TOKEN}") as ws:
        ws.send_json({"type": "start", "scenario": "nope"})
        msg = ws.receive_json()
        assert msg["type"] == "error" and "nope" in msg["message"]


def test_an_assessment_by_voice_saves_each_call_and_resumes(tmp_path, fake_parts):
    from simulator.speech import factory
    from simulator.testing import fake_parts as parts

    speech = ToneSpeech(STRONG, seconds=0.8)
    app = create_app(Settings(token=TOKEN, db=str(tmp_path / "r.db")))
    with (
        parts(
            recognizer=lambda *a, **k: FakeRecognizer(speech.recognize),
            synthesizer=lambda *a, **k: FakeSynthesizer(sample_rate=22050),
            vad=lambda **k: SimpleNamespace(vad=EnergyVad()),
        ),
        TestClient(app) as c,
        c.websocket_connect(f"/ws/assess?csrf={csrf_for(TOKEN)}&token={TOKEN}") as ws,
    ):
        assert factory.make_vad().vad is not None
        ws.send_json({"type": "start", "assessment": "onboarding-week1", "trainee": "Jamie", "cohort": "c1",
                      "barge_in": True})  # fmt: skip
        msgs = []

        def until(pred):
            while True:
                m = ws.receive()
                if m.get("text") is None:
                    continue
                msgs.append(json.loads(m["text"]))
                if pred(msgs[-1]):
                    return msgs[-1]
                assert msgs[-1]["type"] != "error", msgs[-1]

        call = until(lambda m: m["type"] == "call")
        assert call["position"] == 1 and call["total"] == 6 and "score" not in json.dumps(call)
        until(lambda m: m["type"] == "ready")
        silence = np.zeros(int(1.2 * 16000), np.float32)
        for text in STRONG:
            clip = np.concatenate([speech.clip(text), silence])
            for k in range(0, len(clip), 320):
                ws.send_bytes(_pcm(clip[k : k + 320]))
            m = until(lambda m: (m["type"] == "turn" and m["speaker"] == "patient") or m["type"] == "saved")
            if m["type"] == "saved":
                break
        else:
            until(lambda m: m["type"] == "saved")
        assert until(lambda m: m["type"] == "call")["position"] == 2
        ws.send_json({"type": "leave"})
        end = until(lambda m: m["type"] == "ended")
        assert end["finished"] is False
    from simulator.records.store import open_store

    with open_store(tmp_path / "r.db") as store:
        (kept,) = store.sessions(trainee="Jamie")
        assert kept.scenario == "billing-frustrated" and kept.source == "assessment"
        assert store.open_run("onboarding-week1", "Jamie") is not None  # resumable


# ----------------------------------------------------------------------------------- trainer pages


def _stored_calls(auth):
    for trainee in ("Ann", "Bo"):
        for lines in (STRONG, WEAK):
            r = auth.post("/api/calls", json={"scenario": "billing-frustrated", "trainee": trainee, "cohort": "c1"})
            cid = r.json()["call_id"]
            for line in lines:
                if auth.post(f"/api/calls/{cid}/say", json={"text": line}).json()["ended"]:
                    break
            else:
                auth.post(f"/api/calls/{cid}/hangup")


def test_review_score_and_override_with_a_reason(auth):
    _stored_calls(auth)
    rows = auth.get("/api/review/sessions", params={"cohort": "c1"}).json()
    assert len(rows) == 4
    sid = rows[0]["session_id"]
    page = auth.get(f"/review/{sid}").text
    assert 'id="score"' in page and "Automatic scorecard" in page
    bad = auth.post(f"/api/review/sessions/{sid}/score", json={"scores": {"greeting": 5}})
    assert bad.status_code == 400 and "missing scores" in bad.json()["error"]
    scores = dict(greeting=5, empathy=4, accuracy=3, escalation=5, closing=3)
    ok = auth.post(
        f"/api/review/sessions/{sid}/score", json={"scores": scores, "notes": {"": "good start"}, "reviewer": "T"}
    )
    assert ok.status_code == 200 and ok.json()["scores"] == scores
    no_reason = auth.post(f"/api/review/sessions/{sid}/override", json={"dimension": "accuracy", "score": 4})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]
    o = auth.post(
        f"/api/review/sessions/{sid}/override",
        json={"dimension": "accuracy", "score": 4, "reason": "gave the balance right", "by": "T"},
    ).json()
    assert o["new"] == 4 and o["who"] == "T"
    trail = auth.get("/api/review/audit", params={"cohort": "c1"}).json()
    assert [t["reason"] for t in trail] == ["gave the balance right"]
    assert auth.get("/api/review/agreement", params={"cohort": "c1"}).status_code == 200


def test_sampling_takes_assessment_calls_only(auth):
    _stored_calls(auth)  # practice calls
    r = auth.post("/api/review/samples", json={"cohort": "c1", "n": 2})
    assert r.status_code == 400 and "assessment" in r.json()["error"]


def test_reports_are_the_existing_reports_with_their_own_policy(auth):
    _stored_calls(auth)
    r = auth.get("/reports/trainee/Ann/view")
    assert r.status_code == 200 and "<svg" in r.text
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert "<script" not in r.text
    js = auth.get("/api/reports/cohort/c1", params={"only": "all"}).json()
    assert js["kind"] == "cohort" if "kind" in js else True
    assert auth.get("/reports/trainee/Nobody/view").status_code == 400
    page = auth.get("/reports", params={"kind": "trainee", "name": "Ann"}).text
    assert "<iframe" in page and "sandbox" in page


# ----------------------------------------------------------------------------------- scenario check


BROKEN = """id: copay-question
title: Copay
touchpoint: billing_question
practice: riverside
patient:
  name: Ann Lee
  dob: 1980-02-30
states:
  opening:
    say: Hi.
    on:
      - goto: nowhere
"""


def test_a_broken_upload_lists_each_problem_at_its_line(auth):
    r = auth.post("/api/check", files={"file": ("copay-question.yaml", BROKEN.encode(), "text/yaml")})
    assert r.status_code == 200
    res = r.json()
    assert not res["ok"] and res["name"] == "copay-question.yaml"
    texts = [p["text"] for p in res["problems"]]
    assert all(re.match(r"copay-question\.yaml:\d+:\d+: ", t) for t in texts), texts
    dob = next(p for p in res["problems"] if p["field"].endswith("dob"))
    assert dob["line"] == 7 and "1980-02-30" in dob["source"]
    goto = next(p for p in res["problems"] if "goto" in p["field"])
    assert goto["line"] == 12


def test_a_valid_paste_shows_the_conversation(auth, repo):
    text = (repo / "scenarios" / "billing-frustrated.yaml").read_text()
    res = auth.post("/api/check", json={"name": "billing-frustrated.yaml", "text": text}).json()
    assert res["ok"] and res["outline"]["states"][0]["lines"]


def test_uploads_are_checked_for_what_they_are(auth):
    res = auth.post("/api/check", files={"file": ("x.yaml", b"\x00\x01binary", "application/octet-stream")}).json()
    assert not res["ok"] and "binary" in res["problems"][0]["message"]
    res = auth.post("/api/check", json={"name": "../../evil.yaml", "text": "id: [unclosed"}).json()
    assert res["name"] == "evil.yaml" and res["problems"][0]["text"].startswith("evil.yaml:")


# ----------------------------------------------------------------------------------- model calls


def test_model_calls_with_their_notes(auth):
    ex = auth.get("/api/examples").json()
    assert len(ex) == 30
    one = auth.get("/api/examples/billing-frustrated/weak").json()
    assert one["turns"][0]["start"] is not None and any(n for t in one["turns"] for n in t["notes"])
    assert auth.get("/api/examples/billing-frustrated/strong/audio").headers["content-type"].startswith("audio/")
    page = auth.get("/examples/billing-frustrated/strong").text
    assert 'id="player"' in page and "data-start=" in page


# ----------------------------------------------------------------------------------- vasim serve


def test_serve_prints_the_address_first_and_stops_cleanly_on_ctrl_c(tmp_path):
    import os
    import signal
    import urllib.request

    env = {**os.environ, "VASIM_DATA": str(tmp_path / "d")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "serve", "--port", "0", "--db", str(tmp_path / "r.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first = proc.stdout.readline().strip()
        m = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]{20,})", first)
        assert m, first
        base = f"http://127.0.0.1:{m.group(1)}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    assert json.loads(r.read())["ok"] is True
                break
            except OSError:
                time.sleep(0.1)
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(base + "/api/scenarios", timeout=5)
        assert e.value.code == 401
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_serve_refuses_a_port_in_use(tmp_path, capsys):
    import socket

    from simulator.cli.main import main

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        assert main(["serve", "--port", str(s.getsockname()[1])]) == 2
        assert "pick another with --port" in capsys.readouterr().err
    finally:
        s.close()


def test_talking_over_the_callers_goodbye_ends_the_call_cleanly():
    """A barge-in on the caller's last line (a browser call on a busy machine lags its recording):
    the trainee's words are kept, nobody answers them, and the call ends scored."""
    from simulator.authoring import scenario as sc_mod
    from simulator.call.patient import Patient
    from simulator.call.practice import LineBank, PracticeOptions, VoiceCall
    from simulator.call.trainee import ScriptedVoice, parse_trainee_script
    from simulator.speech.audio import VirtualMicrophone, VirtualSpeaker

    sc = sc_mod.load("billing-frustrated")
    lines = [*STRONG, "[interrupt 0.05] Take care now, goodbye."]
    turns = parse_trainee_script("\n".join(lines))
    speech = ToneSpeech([t.text for t in turns])
    clock = ManualClock()
    mic = VirtualMicrophone(clock=clock, stop_when_idle_s=None, gap_s=0.0)
    sink = VirtualSpeaker(clock)
    bank = LineBank(FakeSynthesizer(sample_rate=22050), sc.patient.voice)
    bank.prepare(Patient(sc).all_lines())
    call = VoiceCall(
        sc,
        source=mic,
        sink=sink,
        recognizer=FakeRecognizer(speech.recognize),
        vad=EnergyVad(),
        detector=FakeDetector(),
        bank=bank,
        clock=clock,
        options=PracticeOptions(barge_in=True, barge_in_min_s=0.2),
        trainee=ScriptedVoice(mic, [speech.clip(t.text) for t in turns], turns, think_s=0.4, ring_s=0.5),
    )
    result = call.run()
    said = [t.text for t in result.turns if t.speaker == "trainee"]
    assert said[-1] == "Take care now, goodbye." and result.scorecard["passed"] is True
    assert result.turns[-1].speaker == "trainee"  # nobody answered it
    assert session.load(result.session_id).complete


def test_the_library_summary_is_kept_until_a_file_changes(tmp_path, repo):
    import os
    import shutil

    from simulator.authoring import summary

    root = tmp_path / "scenarios"
    shutil.copytree(repo / "scenarios", root)
    first = summary.library(root)
    assert summary.library(root) == first
    path = root / "billing-frustrated.yaml"
    path.write_text(path.read_text().replace("title: ", "title: Renamed - ", 1))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    titles = {s["id"]: s["title"] for s in summary.library(root)}
    assert titles["billing-frustrated"].startswith("Renamed - ")
