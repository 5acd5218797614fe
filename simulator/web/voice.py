"""The voice call over a WebSocket: the page streams the microphone (16 kHz mono int16 PCM, in
binary messages) and plays what comes back; the server runs the same ``VoiceCall`` as
``vasim practice`` (``call.setup.connect_voice_call``) on a ``PushMicrophone`` and a
``StreamSpeaker``.

Messages, page -> server: ``{"type": "start", "scenario", "trainee"?, "cohort"?, "barge_in"?,
"seed"?}`` first, then binary audio, ``{"type": "hangup"}``. Server -> page: ``status``,
``ready`` (start sending audio), ``turn`` (the live transcript), binary patient audio (4 bytes of
little-endian sample rate, then int16 samples), ``stop`` (barge-in: drop the rest), ``ended``
(the session id and where its scorecard is), ``error``. A dropped connection ends the call the
way a pulled headset does: every finished turn is journalled and the call is scored and saved.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import struct
import threading
from typing import Any

import numpy as np
from starlette.websockets import WebSocket, WebSocketDisconnect

from simulator.errors import RuntimeFailure, UserError
from simulator.web.state import AppState, Live

RATE = 16000
MAX_CHUNK = RATE * 2 * 2  # a binary message holds at most 2 s of audio


class SocketView:
    """``practice.CallView`` for the page: status lines and the live transcript."""

    def __init__(self, emit):
        self.emit = emit

    def status(self, text: str) -> None:
        self.emit({"type": "status", "text": text})

    def turn(self, speaker: str, text: str, note: str = "") -> None:
        self.emit({"type": "turn", "speaker": speaker, "text": text, "note": note})

    def close(self) -> None:
        pass


def pcm_message(audio: np.ndarray, rate: int) -> bytes:
    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2")
    return struct.pack("<I", int(rate)) + pcm.tobytes()


def run_call(state: AppState, live: Live, start: dict, mic, emit) -> None:
    """The worker thread: load (once), prepare the patient's voice, run the call, save it."""
    from dataclasses import replace

    from simulator.call.practice import PracticeOptions
    from simulator.call.setup import connect_voice_call
    from simulator.records.store import save_practice
    from simulator.speech.audio import StreamSpeaker
    from simulator.web.api import library_scenario

    sink = StreamSpeaker(lambda audio, rate: emit(("audio", audio, rate)), lambda: emit({"type": "stop"}))
    try:
        scenario = library_scenario(live.scenario)
        emit({"type": "status", "text": "Loading the speech models (the first call takes a few seconds)..."})
        models = state.speech_models()
        emit({"type": "status", "text": "Preparing the caller's voice..."})
        options = PracticeOptions(seed=int(start.get("seed") or 0))
        if start.get("barge_in"):
            options = replace(options, barge_in=True)
        call = connect_voice_call(
            scenario, models, source=mic, sink=sink, options=options, view=SocketView(emit), mode="voice"
        )
        live.info["session_id"] = call.call.writer.id
        emit({"type": "ready", "session_id": call.call.writer.id, "va_speaks_first": scenario.va_speaks_first})
        result = call.run()
        stored = None
        if live.trainee:
            with state.open_store() as store:
                stored = save_practice(store, result, live.trainee, live.cohort)
        emit(
            {
                "type": "ended",
                "session_id": result.session_id,
                "url": f"/sessions/{result.session_id}",
                "passed": (result.scorecard or {}).get("passed"),
                "said_nothing": result.scorecard is None,
                "stored": stored is not None,
                "reason": "connection" if mic.stalled else result.end_reason,
            }
        )
    except (UserError, RuntimeFailure) as exc:
        emit({"type": "error", "message": str(exc)})
    except Exception as exc:  # never a traceback to the page; the terminal has it
        import traceback

        traceback.print_exc()
        emit(
            {
                "type": "error",
                "message": f"the call failed ({type(exc).__name__}); the server's terminal has the details",
            }
        )
    finally:
        try:
            sink.close()
        except Exception:
            pass
        emit(None)  # the sender stops
        state.drop(live.id)


async def voice_call(ws: WebSocket) -> None:
    from simulator.speech.audio import PushMicrophone
    from simulator.web.api import library_scenario, names

    state: AppState = ws.app.state.web
    await ws.accept()
    loop = asyncio.get_running_loop()
    out: asyncio.Queue[Any] = asyncio.Queue()

    def emit(msg: Any) -> None:
        loop.call_soon_threadsafe(out.put_nowait, msg)

    try:
        start = await asyncio.wait_for(ws.receive_json(), timeout=30)
        if not isinstance(start, dict) or start.get("type") != "start":
            raise UserError("the first message must be {type: start, scenario: ID}")
        sc = library_scenario(str(start.get("scenario") or ""))
        trainee, cohort = names(start)
    except (UserError, json.JSONDecodeError, KeyError, TimeoutError) as exc:
        await ws.send_json({"type": "error", "message": str(exc) or "no start message"})
        await ws.close(code=1008)
        return
    except Exception as exc:
        detail = getattr(exc, "detail", None)
        await ws.send_json({"type": "error", "message": str(detail or "bad start message")})
        await ws.close(code=1008)
        return

    mic = PushMicrophone(RATE, stall_s=state.settings.stall_s)
    live = Live(secrets.token_urlsafe(12), "voice", sc.id, trainee, cohort, stop=mic.close)
    try:
        state.add(live)
    except UserError as exc:
        await ws.send_json({"type": "error", "message": str(exc)})
        await ws.close()
        return
    worker = threading.Thread(target=run_call, args=(state, live, start, mic, emit), name="vasim-web-call", daemon=True)
    live.thread = worker
    worker.start()

    send_task = asyncio.create_task(_sender(ws, out))
    try:
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                break
            data = msg.get("bytes")
            if data is not None:
                if len(data) % 2 or len(data) > MAX_CHUNK:
                    continue  # not 16-bit samples, or far too much at once: dropped
                mic.push(np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0)
                continue
            try:
                ctrl = json.loads(msg.get("text") or "{}")
            except json.JSONDecodeError:
                continue
            if isinstance(ctrl, dict) and ctrl.get("type") == "hangup":
                mic.close()
    except WebSocketDisconnect:
        pass
    finally:
        mic.close()  # the call ends: journalled, scored, saved
        await send_task
        try:
            await ws.close()
        except Exception:
            pass


# ------------------------------------------------------------------------------------- assessments


class _Progress:
    """``assessment.AssessmentView`` for the page: the call's number and brief, never a score."""

    def __init__(self, emit):
        self.emit = emit
        self.outcome = None
        self.show_scores = False

    def starting(self, a, done, total):
        self.emit({"type": "status", "text": f"{a.title}: {done} of {total} calls already saved" if done else a.title})

    def before_call(self, req):
        sc = req.scenario
        self.emit({"type": "call", "position": req.position + 1, "total": req.total, "title": sc.title,
                   "summary": sc.summary.strip(), "va_speaks_first": sc.va_speaks_first})  # fmt: skip
        self.emit({"type": "status", "text": "Preparing the caller's voice..."})

    def after_call(self, req):
        self.emit({"type": "saved", "position": req.position + 1, "total": req.total})

    def finished(self, a, outcome, show_scores):
        self.outcome, self.show_scores = outcome, show_scores


def run_assessment(state: AppState, live: Live, a, start: dict, route: dict, emit) -> None:
    """The worker thread: ``assessment.run`` with ``assessment.VoiceRunner`` on the page's audio."""
    from simulator.call import assessment
    from simulator.call.stepwise import Abandoned
    from simulator.speech.audio import PushMicrophone, StreamSpeaker

    progress = _Progress(emit)
    try:
        emit({"type": "status", "text": "Loading the speech models (the first call takes a few seconds)..."})
        models = state.speech_models()

        def devices(req):
            mic = PushMicrophone(RATE, stall_s=state.settings.stall_s)
            route["mic"] = mic
            sink = StreamSpeaker(lambda audio, rate: emit(("audio", audio, rate)), lambda: emit({"type": "stop"}))
            emit({"type": "ready", "va_speaks_first": req.scenario.va_speaks_first})
            return mic, sink, None, None

        voice = assessment.VoiceRunner(
            recognizer=models.recognizer,
            vad_factory=models.vad_factory,
            detector=models.detector,
            synthesizer_for=models.synthesizer,
            devices=devices,
            view_for=lambda req: SocketView(emit),
            embedder=models.embedder,
            barge_in=bool(start.get("barge_in")),
        )

        def runner(req):
            if route["leaving"]:
                raise Abandoned()
            result = voice(req)
            if route["leaving"]:
                raise Abandoned()  # the page left mid-call: not kept; the attempt resumes at this call
            return result

        with state.open_store() as store:
            res = assessment.run(
                a,
                trainee=live.trainee or "",
                cohort=live.cohort,
                store=store,
                runner=runner,
                view=progress,
                restart=bool(start.get("restart")),
            )
        out: dict[str, Any] = {"type": "ended", "finished": True, "done": res.done, "total": res.total,
                               "scores_hidden": res.hide_scores}  # fmt: skip
        if not res.hide_scores and res.outcome is not None:
            out["result"] = res.outcome.as_dict()
        emit(out)
    except Abandoned:
        emit({"type": "ended", "finished": False})
    except (UserError, RuntimeFailure) as exc:
        emit({"type": "error", "message": str(exc)})
    except Exception as exc:
        import traceback

        traceback.print_exc()
        emit(
            {
                "type": "error",
                "message": f"the assessment stopped ({type(exc).__name__}); the server's terminal has the details",
            }
        )
    finally:
        emit(None)
        state.drop(live.id)


async def assessment_call(ws: WebSocket) -> None:
    """An assessment by voice: one WebSocket for all its calls; the page streams the microphone
    throughout and the server hands the audio to the call in progress."""
    from simulator.call import assessment
    from simulator.web.api import ID, names

    state: AppState = ws.app.state.web
    await ws.accept()
    loop = asyncio.get_running_loop()
    out: asyncio.Queue[Any] = asyncio.Queue()

    def emit(msg: Any) -> None:
        loop.call_soon_threadsafe(out.put_nowait, msg)

    try:
        start = await asyncio.wait_for(ws.receive_json(), timeout=30)
        aid = str(start.get("assessment") or "") if isinstance(start, dict) else ""
        if not ID.fullmatch(aid):
            raise UserError(f"no assessment '{aid}'")
        a = assessment.load(aid)
        trainee, cohort = names(start)
        if not trainee:
            raise UserError("who takes the assessment? give the trainee's name")
    except Exception as exc:
        await ws.send_json(
            {"type": "error", "message": str(getattr(exc, "detail", None) or exc) or "bad start message"}
        )
        await ws.close(code=1008)
        return
    route: dict[str, Any] = {"mic": None, "leaving": False}

    def leave() -> None:
        route["leaving"] = True
        if route["mic"] is not None:
            route["mic"].close()

    live = Live(secrets.token_urlsafe(12), "voice", a.id, trainee, cohort, stop=leave)
    state.add(live)
    worker = threading.Thread(target=run_assessment, args=(state, live, a, start, route, emit), daemon=True)
    live.thread = worker
    worker.start()
    send_task = asyncio.create_task(_sender(ws, out))
    try:
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                break
            data = msg.get("bytes")
            mic = route["mic"]
            if data is not None:
                if mic is not None and not len(data) % 2 and len(data) <= MAX_CHUNK:
                    mic.push(np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0)
                continue
            try:
                ctrl = json.loads(msg.get("text") or "{}")
            except json.JSONDecodeError:
                continue
            kind = ctrl.get("type") if isinstance(ctrl, dict) else None
            if kind == "hangup" and mic is not None:
                mic.close()  # this call ends (saved if the trainee spoke); the next one follows
            elif kind == "leave":
                leave()
    except WebSocketDisconnect:
        pass
    finally:
        leave()
        await send_task
        try:
            await ws.close()
        except Exception:
            pass


async def _sender(ws: WebSocket, out: asyncio.Queue) -> None:
    while True:
        msg = await out.get()
        if msg is None:
            return
        try:
            if isinstance(msg, tuple):
                await ws.send_bytes(pcm_message(msg[1], msg[2]))
            else:
                await ws.send_json(msg)
        except Exception:
            pass
