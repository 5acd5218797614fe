"""The browser app in Debian's Chromium (Playwright drives the system browser; nothing is
downloaded): a spoken billing-frustrated call end to end *through the page*, the fake microphone
playing a recording of the steady trainee voice; the guard and the scenario check as a person
meets them. Real models: marked ``real``."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.real

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TOKEN = "browser-test-token"
LEAD_S, GAP_S = 1.5, 3.0  # silence before the first line and after each (the caller answers in it)


def trainee_recording(path: Path, script: Path) -> float:
    """The script's lines in the steady trainee voice, with silence between, as a 16 kHz WAV."""
    from simulator.authoring import scenario as sc_mod
    from simulator.call import trainee as trainee_mod
    from simulator.speech import factory
    from simulator.speech.audio import write_audio

    scenario = sc_mod.load("billing-frustrated")
    turns = trainee_mod.load_trainee_script(script)
    clips = trainee_mod.synthesize_trainee_clips(
        turns, factory.make_trainee_synthesizer(), trainee_mod.trainee_voice_for(scenario.patient.voice)
    )
    parts = [np.zeros(int(LEAD_S * 16000), np.float32)]
    for clip in clips:
        parts += [clip, np.zeros(int(GAP_S * 16000), np.float32)]
    audio = np.concatenate(parts)
    write_audio(path, audio, 16000)
    return len(audio) / 16000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from simulator.web.app import create_app
    from simulator.web.state import Settings

    base = tmp_path_factory.mktemp("web")
    app = create_app(Settings(token=TOKEN, db=str(base / "results.db")))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    th = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    th.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    app.state.web.speech_models()  # load once for the module (the page's first call would)
    yield f"http://127.0.0.1:{port}", app
    srv.should_exit = True
    th.join(30)
    sock.close()


def browser(p, tmp_path: Path, wav: Path | None = None):
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--autoplay-policy=no-user-gesture-required",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
    ]
    if wav is not None:
        args.append(f"--use-file-for-fake-audio-capture={wav}%noloop")
    b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
    ctx = b.new_context(viewport={"width": 1280, "height": 900})
    ctx.grant_permissions(["microphone"])
    return b, ctx


@pytest.fixture
def playwright_():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (scripts/system-deps.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def spoken_call(playwright_, server, tmp_path, script: str, shots: Path | None = None):
    base, _app = server
    wav = tmp_path / f"{script}.wav"
    length = trainee_recording(wav, Path(__file__).resolve().parent.parent / "scenarios" / "scripts" / f"{script}.txt")
    b, ctx = browser(playwright_, tmp_path, wav)
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{base}/?token={TOKEN}")
        page.goto(f"{base}/practice/billing-frustrated")
        page.check("#barge")
        page.fill("#trainee", "Jamie Lee")
        page.click("#start-voice")
        page.wait_for_selector("#call:not([hidden])")
        # the call runs in real time: the recording, then the caller's last words and the scoring
        try:
            page.wait_for_selector("#done:not([hidden])", timeout=(length + 60) * 1000)
        except Exception:
            page.click("#hangup")  # the recording is over and the caller still waits: hang up
            page.wait_for_selector("#done:not([hidden])", timeout=60_000)
        said = page.locator("#transcript li.trainee .text").all_inner_texts()
        if shots:
            page.screenshot(path=str(shots / f"practice-{script}.png"), full_page=True)
        title = page.inner_text("#done-title")
        page.click("#done-link")
        page.wait_for_selector(".verdict")
        if shots:
            page.screenshot(path=str(shots / f"scorecard-{script}.png"), full_page=True)
        verdict = page.get_attribute(".verdict", "data-passed")
        blockers = page.locator("#blockers .blocker").evaluate_all("els => els.map(e => e.dataset.id)")
        # the replay: the transcript follows the audio, evidence seeks it
        assert page.locator("#player").count() == 1
        assert not [e for e in errors if "Content Security Policy" in e], errors
        return said, title, verdict, blockers
    finally:
        b.close()


def _shots() -> Path | None:
    """Where to save screenshots of the pages, when ``$VASIM_WEB_SHOTS`` names a folder (to look at them)."""
    import os

    folder = os.environ.get("VASIM_WEB_SHOTS")
    if not folder:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder)


def test_a_strong_spoken_call_through_the_page_passes(playwright_, server, tmp_path):
    said, title, verdict, blockers = spoken_call(playwright_, server, tmp_path, "billing-frustrated-strong", _shots())
    assert len(said) >= 5, said
    assert "riverside" in said[0].lower()
    assert "PASS" in title and verdict == "true", (title, said)
    assert blockers == []


def test_a_weak_spoken_call_through_the_page_fails_with_its_blocker(playwright_, server, tmp_path):
    said, title, verdict, blockers = spoken_call(playwright_, server, tmp_path, "billing-frustrated-weak", _shots())
    assert said and "FAIL" in title and verdict == "false", (title, said)
    assert "disclose_before_verify" in blockers, blockers


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


def test_the_guard_and_the_scenario_check_in_the_browser(playwright_, server, tmp_path):
    base, _app = server
    b, ctx = browser(playwright_, tmp_path)
    try:
        page = ctx.new_page()
        r = page.goto(f"{base}/")
        assert r is not None and r.status == 401  # no token
        page.goto(f"{base}/?token={TOKEN}")
        assert page.url == f"{base}/" and page.locator(".card.scenario").count() == 15
        status = page.evaluate(
            """async () => (await fetch('/api/calls', {method: 'POST', headers: {'Content-Type': 'application/json'},
                 body: JSON.stringify({scenario: 'billing-frustrated'})})).status"""
        )
        assert status == 403  # no CSRF token
        page.goto(f"{base}/check")
        up = tmp_path / "copay-question.yaml"
        up.write_text(BROKEN)
        page.set_input_files("#file", str(up))
        page.wait_for_function("document.getElementById('yaml').value.length > 0")
        page.click("#check button")
        page.wait_for_selector("#problems li")
        lines = page.locator("#problems li").all_inner_texts()
        assert lines and all(re.match(r"copay-question\.yaml:\d+:\d+: ", t) for t in lines), lines
        assert any(t.startswith("copay-question.yaml:7:") for t in lines), lines
        assert page.locator("#source span.bad").count() >= 2
        shots = _shots()
        if shots:
            page.screenshot(path=str(shots / "check.png"), full_page=True)
            for name, path in (
                ("library", "/"),
                ("examples", "/examples/billing-frustrated/weak"),
                ("review", "/review"),
                ("reports", "/reports?kind=trainee&name=Jamie+Lee"),
                ("history", "/history?trainee=Jamie+Lee"),
                ("assess", "/assess/onboarding-week1"),
                ("sessions", "/sessions"),
            ):
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    finally:
        b.close()


@pytest.mark.parametrize(
    "case, needle",
    [("missing", "No microphone was found"), ("denied", "microphone is blocked"), ("silent", "can't hear anything")],
)
def test_clear_messages_when_the_microphone_is_missing_denied_or_silent(playwright_, server, tmp_path, case, needle):
    base, _app = server
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"]  # fmt: skip
    if case == "denied":
        args += ["--use-fake-device-for-media-stream", "--deny-permission-prompts"]
    if case == "silent":
        silence = tmp_path / "silence.wav"
        from simulator.speech.audio import write_audio

        write_audio(silence, np.zeros(16000 * 20, np.float32), 16000)
        args += ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                 f"--use-file-for-fake-audio-capture={silence}%noloop"]  # fmt: skip
    import os

    # no sound server for the browser: the suite's headless PulseAudio (started by other tests)
    # would otherwise give it a microphone
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    env["PULSE_SERVER"] = f"unix:{tmp_path}/no-sound-server"
    b = playwright_.chromium.launch(executable_path=CHROMIUM, headless=True, args=args, env=env)
    try:
        ctx = b.new_context()
        if case == "silent":
            ctx.grant_permissions(["microphone"])
        page = ctx.new_page()
        page.goto(f"{base}/?token={TOKEN}")
        page.goto(f"{base}/practice/billing-frustrated")
        page.click("#start-voice")
        page.wait_for_function(
            "needle => document.getElementById('warning').textContent.includes(needle)", arg=needle, timeout=60_000
        )
        if case == "silent":
            page.click("#hangup")
            page.wait_for_selector("#done:not([hidden])", timeout=60_000)
    finally:
        b.close()
