"""What the server keeps between requests: its settings, the models (loaded once, on first use)
and the calls in progress. Calls run in worker threads (the library's call loops block); on
shutdown each is ended the way Ctrl-C ends a ``vasim practice`` call: journalled, at most the
turn in progress lost."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from simulator.errors import UserError

IDLE_S = 30 * 60  # a typed call or assessment left alone this long is ended


@dataclass
class Settings:
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    db: str | None = None  # the results store (None: $VASIM_DB or the data dir's results.db)
    asr_model: str = "tiny.en"
    max_body: int = 1024 * 1024  # request bodies (a scenario upload) up to 1 MB
    stall_s: float = 10.0  # a voice call whose page stops sending audio this long ends


@dataclass
class Live:
    """A call (or an assessment) in progress, as the server tracks it."""

    id: str
    kind: str  # "text" | "assessment" | "voice"
    scenario: str
    trainee: str | None
    cohort: str | None
    session: Any = None  # stepwise.TextSession / AssessmentSession
    stop: Any = None  # voice: ends the call (closes its microphone)
    thread: threading.Thread | None = None
    used: float = field(default_factory=time.monotonic)
    info: dict = field(default_factory=dict)


class AppState:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._detector: Any = None
        self._models: Any = None
        self.calls: dict[str, Live] = {}
        self.closing = False

    # ------------------------------------------------------------------ models, once
    def detector(self):
        """The behavior detector (and its embedder), as ``vasim practice --text`` builds it."""
        with self._lock:
            if self._detector is None:
                from simulator.speech import factory

                det = factory.make_detector()
                emb = getattr(det, "embedder", None) or factory.make_embedder_or_none()
                self._detector = (det, emb)
            return self._detector

    def speech_models(self):
        """Recognizer, detector, embedder and piper for voice calls (``call.setup.load_speech_models``)."""
        with self._lock:
            if self._models is None:
                from simulator.call.setup import load_speech_models

                self._models = load_speech_models(self.settings.asr_model)
            return self._models

    def open_store(self):
        from simulator.records.store import open_store

        return open_store(self.settings.db)

    # ------------------------------------------------------------------ calls in progress
    def add(self, live: Live) -> Live:
        with self._lock:
            if self.closing:
                raise UserError("the server is shutting down")
            self.calls[live.id] = live
        return live

    def get(self, call_id: str, kind: str | tuple[str, ...]) -> Live:
        kinds = (kind,) if isinstance(kind, str) else kind
        live = self.calls.get(call_id)
        if live is None or live.kind not in kinds:
            raise NoSuchCall(call_id)
        live.used = time.monotonic()
        return live

    def drop(self, call_id: str) -> None:
        with self._lock:
            self.calls.pop(call_id, None)

    def reap(self, now: float | None = None) -> int:
        """End typed calls and assessments nobody has touched for ``IDLE_S``."""
        now = time.monotonic() if now is None else now
        idle = [c for c in list(self.calls.values()) if c.kind != "voice" and now - c.used > IDLE_S]
        for c in idle:
            self._end(c)
            self.drop(c.id)
        return len(idle)

    def _end(self, live: Live) -> None:
        try:
            if live.stop is not None:
                live.stop()  # what each kind's creator says ends it (and stores it, as the CLI would)
        except Exception:
            pass

    def shutdown(self, timeout: float = 15.0) -> None:
        """End every call in progress, journalled as Ctrl-C ends a CLI call."""
        with self._lock:
            self.closing = True
            calls = list(self.calls.values())
        for c in calls:
            self._end(c)
        deadline = time.monotonic() + timeout
        for c in calls:
            if c.thread is not None:
                c.thread.join(max(0.0, deadline - time.monotonic()))


class NoSuchCall(Exception):
    """A call id the server does not know (ended, or the server restarted)."""
