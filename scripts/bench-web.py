#!/usr/bin/env python3
"""The browser path, measured (issue 15's targets): voice-to-voice through `vasim serve`'s
WebSocket with server-side timestamps, against `vasim bench turn` on the same machine; the first
load of the app's page on localhost in Chromium; the server's memory with one call.

The trainee side is the billing-frustrated strong script in the steady trainee voice, streamed in
real time in 20 ms blocks of 16 kHz PCM, as the page's AudioWorklet sends them, and answering
half a second after the caller's line has played, as `vasim bench turn`'s scripted trainee does.
Run: `.venv/bin/python scripts/bench-web.py [--json] [--skip-bench-turn]`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def start_server(data: Path) -> tuple[subprocess.Popen, str, str]:
    env = {**os.environ, "VASIM_DATA": str(data)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "serve", "--port", "0", "--db", str(data / "r.db")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=REPO,
    )  # fmt: skip
    first = proc.stdout.readline().strip()
    m = re.fullmatch(r"(http://127\.0\.0\.1:\d+)/\?token=(.+)", first)
    if not m:
        proc.kill()
        raise SystemExit(f"vasim serve did not print its address: {first!r}")
    base, token = m.group(1), m.group(2)
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).read()
            break
        except OSError:
            time.sleep(0.1)
    return proc, base, token


def rss_mb(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    get = lambda key: int(re.search(rf"{key}:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]
    return round(get("VmRSS"), 1), round(get("VmHWM"), 1)


def trainee_clips() -> list[np.ndarray]:
    from simulator.authoring import scenario as sc_mod
    from simulator.call import trainee as tm
    from simulator.speech import factory

    sc = sc_mod.load("billing-frustrated")
    turns = tm.load_trainee_script(REPO / "scenarios" / "scripts" / "billing-frustrated-strong.txt")
    return tm.synthesize_trainee_clips(
        turns, factory.make_trainee_synthesizer(), tm.trainee_voice_for(sc.patient.voice)
    )


def voice_call(base: str, token: str, csrf: str, clips: list[np.ndarray]) -> dict:
    from websockets.sync.client import connect

    url = base.replace("http", "ws") + f"/ws/voice?csrf={csrf}"
    ws = connect(url, additional_headers={"Cookie": f"vasim_token={token}", "Origin": base}, max_size=None)
    ws.send(json.dumps({"type": "start", "scenario": "billing-frustrated", "barge_in": True}))
    state = {"audio_n": 0, "audio_end": 0.0, "ended": None, "ready": threading.Event(), "done": threading.Event()}

    def receive():
        for msg in ws:
            if isinstance(msg, bytes):
                rate = int.from_bytes(msg[:4], "little")
                state["audio_n"] += 1
                state["audio_end"] = time.monotonic() + (len(msg) - 4) / 2 / rate
                continue
            m = json.loads(msg)
            if m["type"] == "ready":
                state["ready"].set()
            elif m["type"] == "stop":
                state["audio_end"] = time.monotonic()
            elif m["type"] in ("ended", "error"):
                state["ended"] = m
                state["done"].set()
                return

    th = threading.Thread(target=receive, daemon=True)
    th.start()
    state["ready"].wait(120)
    block = 320
    t0 = time.monotonic()
    sent = 0

    def send(audio: np.ndarray) -> None:
        nonlocal sent
        pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2")
        for k in range(0, len(pcm), block):
            ws.send(pcm[k : k + block].tobytes())
            sent += len(pcm[k : k + block])
            delay = t0 + sent / 16000 - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    silence = np.zeros(block, np.float32)
    send(np.zeros(int(0.8 * 16000), np.float32))  # the phone rings
    for clip in clips:
        if state["done"].is_set():
            break
        heard = state["audio_n"]
        send(clip)
        # silence until the caller has answered and finished, then half a second to think
        deadline = time.monotonic() + 30
        while not state["done"].is_set() and time.monotonic() < deadline:
            if state["audio_n"] > heard and time.monotonic() >= state["audio_end"] + 0.5:
                break
            send(silence)
    while not state["done"].is_set():
        send(silence)
        if time.monotonic() - t0 > 400:
            ws.send(json.dumps({"type": "hangup"}))
            break
    state["done"].wait(60)
    ws.close()
    return state["ended"] or {}


def page_load(base: str, token: str) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update", "--disable-sync"])  # fmt: skip
        page = b.new_context().new_page()
        t = time.perf_counter()
        page.goto(f"{base}/?token={token}", wait_until="load")
        first = (time.perf_counter() - t) * 1000
        nav = page.evaluate(
            "(() => { const n = performance.getEntriesByType('navigation')[0]; return {load: n.loadEventEnd, dcl: n.domContentLoadedEventEnd}; })()"
        )
        t = time.perf_counter()
        page.goto(f"{base}/practice/billing-frustrated", wait_until="load")
        practice = (time.perf_counter() - t) * 1000
        b.close()
    return {
        "first_load_ms": round(first, 1),
        "library_load_event_ms": round(nav["load"], 1),
        "practice_page_ms": round(practice, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--skip-bench-turn", action="store_true")
    args = ap.parse_args()
    from simulator import stats
    from simulator.web.security import csrf_for

    out: dict = {"cpus": len(os.sched_getaffinity(0)), "load_before": round(os.getloadavg()[0], 1)}
    with tempfile.TemporaryDirectory(prefix="vasim-bench-web-") as tmp:
        data = Path(tmp)
        clips = trainee_clips()
        proc, base, token = start_server(data)
        try:
            out["rss_idle_mb"] = rss_mb(proc.pid)[0]
            out["page"] = page_load(base, token)
            end = voice_call(base, token, csrf_for(token), clips)
            out["rss_after_call_mb"], out["rss_peak_mb"] = rss_mb(proc.pid)
            sid = end.get("session_id")
            req = urllib.request.Request(f"{base}/api/sessions/{sid}", headers={"Cookie": f"vasim_token={token}"})
            sess = json.loads(urllib.request.urlopen(req, timeout=30).read())
            lat = [t.get("latency_ms", {}) for t in sess["turns"] if t["speaker"] == "patient"]
            v2v = [x["voice_to_voice"] for x in lat if "voice_to_voice" in x]
            out["browser_path"] = {
                "turns": len(v2v),
                "voice_to_voice_ms": {"p50": stats.percentile(v2v, 50), "p95": stats.percentile(v2v, 95), "max": max(v2v, default=None)},
                "endpoint_p50": stats.percentile([x.get("endpoint") for x in lat], 50),
                "asr_p50": stats.percentile([x.get("asr") for x in lat], 50),
                "passed": end.get("passed"),
                "recognised": [t["text"] for t in sess["turns"] if t["speaker"] == "trainee"],
            }  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(30)
    if not args.skip_bench_turn:
        res = subprocess.run(
            [sys.executable, "-m", "simulator", "bench", "turn", "--json"], capture_output=True, text=True, cwd=REPO
        )
        bt = json.loads(res.stdout) if res.returncode == 0 else {"error": res.stderr[-300:]}
        out["bench_turn"] = {
            "voice_to_voice_ms": bt.get("voice_to_voice_ms"),
            "turns": bt.get("turns"),
            "peak_rss_mb": bt.get("peak_rss_mb"),
        }
    out["load_after"] = round(os.getloadavg()[0], 1)
    print(json.dumps(out, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
