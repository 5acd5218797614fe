"""A typed call taken one turn at a time, for front-ends that are not a loop (the browser app).

:func:`~simulator.call.practice.run_text_call` asks its trainee for each reply and waits; a web
page instead posts a turn and wants the patient's answer back. :class:`TextSession` runs the
very same ``run_text_call`` (same patient, detector, journal and scorer as ``vasim practice
--text``) in a worker thread whose trainee is a :class:`QueuedTrainee`: :meth:`TextSession.say`
hands it one line and returns what happened up to the next time the trainee is asked (the
patient's reply, or the end of the call). Nothing of the call's logic is copied here.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Any

from simulator.errors import RuntimeFailure, UserError

HANG_UP = None  # what QueuedTrainee.put takes to hang up
ABANDON = "\x00abandon"  # ... and to leave a call unfinished (raises Abandoned in the call's thread)


class Abandoned(Exception):
    """The trainee left in the middle of a call (the browser app's page closed or timed out)."""


@dataclass(frozen=True)
class TurnEvent:
    """One line of the call as the trainee sees it."""

    speaker: str  # "trainee" | "patient"
    text: str
    note: str = ""  # e.g. "hangs up"

    def to_json(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "text": self.text, "note": self.note}


class QueuedTrainee:
    """A ``TextTrainee`` whose replies are handed in from another thread with :meth:`put`."""

    def __init__(self) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._cond = threading.Condition()
        self.asked = 0  # how many times the call has asked for a reply

    def reply(self, patient_line: str | None) -> str | None:
        with self._cond:
            self.asked += 1
            self._cond.notify_all()
        text = self._lines.get()
        if text == ABANDON:
            raise Abandoned()
        return text

    def put(self, text: str | None) -> None:
        self._lines.put(text)

    def wait_asked(self, more_than: int, done: threading.Event, timeout: float) -> bool:
        """Block until the call asks for a reply again (True) or ``done`` is set (False)."""
        with self._cond:
            ok = self._cond.wait_for(lambda: self.asked > more_than or done.is_set(), timeout)
        if not ok:
            raise RuntimeFailure("the call did not answer in time")
        return self.asked > more_than and not done.is_set()


@dataclass
class _Collect:
    """A ``CallView`` that keeps every line shown, for the next :meth:`TextSession.say`."""

    events: list[TurnEvent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def status(self, text: str) -> None:
        pass

    def turn(self, speaker: str, text: str, note: str = "") -> None:
        with self.lock:
            self.events.append(TurnEvent(speaker, text, note))

    def close(self) -> None:
        pass

    def take(self) -> list[TurnEvent]:
        with self.lock:
            out, self.events = self.events, []
        return out


class TextSession:
    """A typed practice call driven turn by turn; see the module doc.

    ``start()`` returns the patient's first line (none when the trainee answers the phone);
    ``say(text)`` the lines that follow the trainee's turn ("" is a silence); ``hang_up()``
    ends the call. ``result`` is the ``CallResult`` once ``ended`` (scored and journalled).
    """

    def __init__(self, scenario, detector, *, options=None, embedder=None, catalog=None, timeout_s: float = 60.0):
        from simulator.call import practice

        opts = options or practice.PracticeOptions()

        def target(trainee, view):
            return practice.run_text_call(
                scenario, trainee, detector, options=opts, view=view, embedder=embedder, catalog=catalog
            )

        self.scenario = scenario
        self._setup(target, timeout_s)

    def _setup(self, target, timeout_s: float) -> None:
        self._target = target
        self.timeout_s = timeout_s
        self.trainee = QueuedTrainee()
        self.view = _Collect()
        self.done = threading.Event()
        self.result: Any = None  # the CallResult (an assessment: its RunResult) once ended
        self.error: BaseException | None = None
        self._lock = threading.Lock()  # one turn at a time
        self._thread: threading.Thread | None = None

    # -- the worker
    def _run(self) -> None:
        try:
            self.result = self._target(self.trainee, self.view)
        except Abandoned:
            pass  # left on purpose: what was finished is kept, the rest is taken again later
        except BaseException as exc:  # reported to the caller of say()/hang_up()
            self.error = exc
        finally:
            self.done.set()
            with self.trainee._cond:
                self.trainee._cond.notify_all()

    @property
    def ended(self) -> bool:
        return self.done.is_set()

    @property
    def session_id(self) -> str | None:
        return self.result.session_id if self.result is not None else None

    def _check(self) -> None:
        if isinstance(self.error, UserError):
            raise UserError(str(self.error))
        if self.error is not None:
            raise RuntimeFailure(f"the call failed: {self.error}")

    def start(self) -> list[TurnEvent]:
        if self._thread is not None:
            raise UserError("the call has already started")
        self._thread = threading.Thread(target=self._run, name="vasim-text-call", daemon=True)
        self._thread.start()
        self.trainee.wait_asked(0, self.done, self.timeout_s)
        self._check()
        return self.view.take()

    def say(self, text: str) -> list[TurnEvent]:
        """The trainee's turn; returns the lines shown since (the trainee's own line first)."""
        with self._lock:
            if self._thread is None:
                raise UserError("start the call first")
            if self.ended:
                raise UserError("the call has ended")
            n = self.trainee.asked
            self.trainee.put(text.strip())
            self.trainee.wait_asked(n, self.done, self.timeout_s)
            self._check()
            return self.view.take()

    def abandon(self, timeout: float = 10.0) -> None:
        """Leave without finishing: the call in progress is journalled but not kept as a result
        (an assessment resumes at that call)."""
        if self._thread is not None and not self.ended:
            self.trainee.put(ABANDON)
            self._thread.join(timeout)

    def hang_up(self, timeout: float | None = None):
        """End the call (if it is still going); returns the ``CallResult``, scored and journalled."""
        with self._lock:
            if self._thread is None:
                raise UserError("the call never started")
            if not self.ended:
                self.trainee.put(HANG_UP)
            self._thread.join(timeout if timeout is not None else self.timeout_s)
            self._check()
            return self.result


class _AssessmentView:
    """What the trainee sees between the calls of an assessment: the call's number and brief."""

    def __init__(self, view: _Collect):
        self.view = view
        self.outcome = None
        self.show_scores = False

    def starting(self, a, done, total):
        self.view.turn("system", f"{a.title}: {done} of {total} calls already saved" if done else a.title, "start")

    def before_call(self, req):
        sc = req.scenario
        self.view.turn("system", f"Call {req.position + 1} of {req.total}: {sc.title}. {sc.summary.strip()}", "call")

    def after_call(self, req):
        self.view.turn("system", f"Call {req.position + 1} saved.", "saved")

    def finished(self, a, outcome, show_scores):
        self.outcome, self.show_scores = outcome, show_scores
        self.view.turn("system", "All calls are saved.", "finished")


class AssessmentSession(TextSession):
    """An assessment taken in typed calls, turn by turn: ``assessment.run`` (same store, same
    resume rules, no hints) in the worker thread. ``say("")`` is silence and ``hang_up_call()``
    ends the current call; ``abandon()`` leaves, and the next session resumes where it stopped."""

    def __init__(self, assessment, *, trainee: str, cohort: str | None, store, detector, embedder=None,
                 restart: bool = False, timeout_s: float = 60.0):  # fmt: skip
        from simulator.call import assessment as assess_mod

        self.progress = _AssessmentView(_Collect())

        def target(queued, view):
            runner = assess_mod.TextRunner(detector, lambda req: queued, lambda req: view, embedder=embedder)
            return assess_mod.run(
                assessment,
                trainee=trainee,
                cohort=cohort,
                store=store,
                runner=runner,
                view=self.progress,
                restart=restart,
            )

        self.scenario = None
        self._setup(target, timeout_s)
        self.view = self.progress.view

    def hang_up_call(self) -> list[TurnEvent]:
        """End the current call (it is saved if the trainee said anything) and go on to the next."""
        with self._lock:
            if self._thread is None or self.ended:
                raise UserError("no call in progress")
            n = self.trainee.asked
            self.trainee.put(HANG_UP)
            self.trainee.wait_asked(n, self.done, self.timeout_s)
            self._check()
            return self.view.take()
