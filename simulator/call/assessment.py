"""Assessments: a fixed set of calls, taken without hints, scored against pass rules.

An assessment file (``scenarios/assessments/ID.yaml``) names the scenarios, their order
(as listed, or shuffled by the seed), the seed that fixes the patients' behaviour, and the
pass rules: a minimum mean per QA dimension across the set, no blockers, and an escalation
accuracy across the set (the seed guide's 95%+ target). It is validated like a scenario:
every problem as ``FILE:LINE:COL: field.path: message``.

:func:`run` takes the calls one after another through a :data:`CallRunner` (text, a
script, or voice through real or virtual devices — the runner decides; tests inject
fakes). The trainee sees no hints and no scores until the end, and the trainer can hide
scores from the trainee entirely. Each finished call is stored at once; an interrupted
assessment (Ctrl-C, a crash) resumes at the first call not yet stored when the same
command runs again. The call in progress when it stopped is taken again from the start.
A call with no answer from the trainee (typed input that ended before the first reply, or
silence throughout) is never stored as a result: the run stops (:class:`NoAnswer`, exit 2)
and that call is taken again on resume.
"""

from __future__ import annotations

import difflib
import hashlib
import random
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simulator.authoring import yamlio
from simulator.authoring.catalog import DIMENSIONS
from simulator.errors import Problem, ProblemsError, UserError
from simulator.paths import scenarios_dir
from simulator.records.store import SessionRecord, Store, StoredSession, canonical, trainee_spoke

if TYPE_CHECKING:
    from simulator.call.result import CallResult


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Item(Strict):
    """One call of the assessment. In YAML a bare id is enough: ``- billing-frustrated``."""

    scenario: str
    seed: int | None = Field(None, ge=0)  # fixes this call's patient; default: derived from the assessment's seed

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        return {"scenario": v} if isinstance(v, str) else v


def _fraction(v: Any) -> Any:
    """``0.95``, ``95%`` or ``95`` all mean 95%."""
    if isinstance(v, str) and v.strip().endswith("%"):
        try:
            return float(v.strip()[:-1]) / 100
        except ValueError:
            return v
    if isinstance(v, (int, float)) and not isinstance(v, bool) and 1 < v <= 100:
        return v / 100
    return v


class PassRules(Strict):
    """What passing means. Every rule must hold."""

    # the mean score of each dimension across the calls must reach this (1-5); missing dimensions: no minimum
    min_per_dimension: dict[str, float] = {}
    # no single call may score below this in any dimension (None: no floor)
    min_any_call: int | None = Field(None, ge=1, le=5)
    no_blockers: bool = True  # a blocker (medical advice, PHI before verification, ...) in any call fails
    # share of calls whose escalation was right (needed and made, or not needed and not made)
    escalation_accuracy: float = Field(0.95, ge=0, le=1)
    # share of calls that passed on their own (the scorecard's "passed"); 0 = not required
    calls_passed: float = Field(0.0, ge=0, le=1)

    @field_validator("escalation_accuracy", "calls_passed", mode="before")
    @classmethod
    def _fractions(cls, v: Any) -> Any:
        return _fraction(v)

    @field_validator("min_per_dimension")
    @classmethod
    def _dims(cls, v: dict[str, float]) -> dict[str, float]:
        for k, s in v.items():
            if k not in DIMENSIONS:
                close = difflib.get_close_matches(k, DIMENSIONS, n=1)
                raise ValueError(
                    f"unknown dimension '{k}'"
                    + (f"; did you mean '{close[0]}'?" if close else f"; use one of {', '.join(DIMENSIONS)}")
                )
            if not 1 <= s <= 5:
                raise ValueError(f"minimum for {k} must be on the 1-5 scale, got {s}")
        return v


class Assessment(Strict):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: str
    description: str = ""  # what the trainee reads before starting
    scenarios: list[Item] = Field(min_length=1)
    order: Literal["as_listed", "shuffled"] = "as_listed"
    seed: int = Field(0, ge=0)
    pass_rules: PassRules = Field(PassRules(), alias="pass")
    hide_scores: bool = False  # the trainee never sees scores (the trainer reads them in reports)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    source: str = Field("", exclude=True)

    def digest(self) -> str:
        """Identifies this exact version: a run resumes only with the file it started with."""
        return hashlib.sha256(canonical(self.model_dump(mode="json", by_alias=True)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PlannedCall:
    position: int  # 0-based order in which the calls are taken
    scenario: str
    seed: int


def plan(a: Assessment) -> list[PlannedCall]:
    """The calls in the order they are taken, each with its patient seed (deterministic)."""
    items = list(enumerate(a.scenarios))
    if a.order == "shuffled":
        random.Random(a.seed).shuffle(items)
    out = []
    for pos, (i, item) in enumerate(items):
        seed = item.seed if item.seed is not None else (a.seed * 1_000_003 + i * 7_919) % 2**31
        out.append(PlannedCall(pos, item.scenario, seed))
    return out


# ---------------------------------------------------------------------------------------------
# loading


def assessments_dir() -> Path:
    return scenarios_dir() / "assessments"


def parse(doc: yamlio.Document, check_scenarios: bool = True) -> Assessment:
    from simulator.authoring.problems import _yaml_type, pydantic_problems, salvage

    if not isinstance(doc.data, dict):
        raise ProblemsError(
            [doc.problem((), f"an assessment must be a YAML mapping (key: value), got {_yaml_type(doc.data)}")]
        )
    problems: list[Problem] = []
    try:
        a = Assessment.model_validate({**doc.data, "source": doc.file})
    except ValidationError as exc:
        # report the type errors and still check the scenario list as far as it reads, so one
        # run names every problem of the file
        problems += pydantic_problems(doc, exc, Assessment)
        a = salvage(Assessment, {**doc.data, "source": doc.file})
        if a is None or "scenarios" not in a.model_fields_set:
            raise ProblemsError(problems) from None
    if check_scenarios:
        problems += _check_scenarios(a, doc)
    seen: dict[str, int] = {}
    for i, item in enumerate(a.scenarios):
        if item is None:
            continue
        if item.scenario in seen:
            problems.append(
                doc.problem(
                    ("scenarios", i),
                    f"scenario '{item.scenario}' is already scenarios[{seen[item.scenario]}]; "
                    "each scenario once (its result would be counted twice)",
                )
            )
        seen.setdefault(item.scenario, i)
    if problems:
        raise ProblemsError(list(dict.fromkeys(problems)))
    return a


def _check_scenarios(a: Assessment, doc: yamlio.Document) -> list[Problem]:
    from simulator.authoring import scenario as sc_mod

    known = [p.stem for p in sc_mod.scenario_files()]
    problems = []
    for i, item in enumerate(a.scenarios):
        if item is None:  # did not validate: pydantic reports it
            continue
        path = ("scenarios", i) if isinstance(doc.data["scenarios"][i], str) else ("scenarios", i, "scenario")
        if item.scenario not in known:
            close = difflib.get_close_matches(item.scenario, known, n=1)
            problems.append(
                doc.problem(
                    path,
                    f"no scenario '{item.scenario}' in the library"
                    + (f"; did you mean '{close[0]}'?" if close else " (`vasim scenario list` shows them)"),
                )
            )
            continue
        try:
            sc_mod.load(item.scenario)
        except ProblemsError as exc:
            problems.append(
                doc.problem(
                    path,
                    f"scenario '{item.scenario}' has {len(exc.problems)} problem(s); "
                    f"run `vasim scenario validate {item.scenario}`",
                )
            )
    return problems


def load_file(path: Path, display: str | None = None, check_scenarios: bool = True) -> Assessment:
    try:
        doc = yamlio.load(path, display)
    except yamlio.YamlProblems as exc:
        raise ProblemsError(exc.problems) from None
    a = parse(doc, check_scenarios)
    if a.id != path.stem:
        raise ProblemsError(
            [doc.problem(("id",), f"id '{a.id}' does not match the file name '{path.name}'; rename one of them")]
        )
    return a


def load(ref: str) -> Assessment:
    """An assessment by id (from ``scenarios/assessments/``) or by path."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or "/" in ref or p.exists():
        return load_file(p, ref)
    path = assessments_dir() / f"{ref}.yaml"
    if not path.is_file():
        known = sorted(f.stem for f in assessments_dir().glob("*.yaml"))
        close = difflib.get_close_matches(ref, known, n=1)
        raise UserError(
            f"{ref}: no such assessment"
            + (f"; did you mean '{close[0]}'?" if close else "")
            + (f" (known: {', '.join(known)})" if known and not close else "")
        )
    return load_file(path, str(path))


# ---------------------------------------------------------------------------------------------
# pass rules


@dataclass(frozen=True)
class Check:
    rule: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Outcome:
    passed: bool
    checks: tuple[Check, ...]
    means: dict[str, float]
    escalation_accuracy: float | None
    calls: tuple[dict, ...]

    def as_dict(self) -> dict:
        return {
            "passed": self.passed,
            "checks": [c.__dict__ for c in self.checks],
            "means": self.means,
            "escalation_accuracy": self.escalation_accuracy,
            "calls": list(self.calls),
        }


def evaluate(a: Assessment, sessions: Sequence[StoredSession]) -> Outcome:
    """Apply the pass rules to the stored calls (effective scores: overrides count)."""
    rules = a.pass_rules
    n = len(sessions)
    checks: list[Check] = []
    means = {
        d: sum(s.scores[d] for s in sessions if d in s.scores) / max(1, sum(d in s.scores for s in sessions))
        for d in DIMENSIONS
    }
    for d, minimum in rules.min_per_dimension.items():
        checks.append(
            Check(f"min_per_dimension.{d}", means[d] >= minimum, f"mean {d} {means[d]:.2f} (minimum {minimum:g})")
        )
    if rules.min_any_call is not None:
        low = [
            (s.scenario, d, s.scores[d])
            for s in sessions
            for d in DIMENSIONS
            if s.scores.get(d, 5) < rules.min_any_call
        ]
        checks.append(
            Check(
                "min_any_call",
                not low,
                f"no score below {rules.min_any_call}"
                if not low
                else "; ".join(f"{sc} {d} {v}" for sc, d, v in low[:4]) + f" (below {rules.min_any_call})",
            )
        )
    if rules.no_blockers:
        blocked = [(s.scenario, b) for s in sessions for b in s.blockers]
        checks.append(
            Check(
                "no_blockers",
                not blocked,
                "no blockers" if not blocked else "; ".join(f"{sc}: {b}" for sc, b in blocked),
            )
        )
    judged = [s for s in sessions if s.escalation_correct is not None]
    acc = sum(1 for s in judged if s.escalation_correct) / len(judged) if judged else None
    wrong = [s.scenario for s in judged if not s.escalation_correct]
    checks.append(
        Check(
            "escalation_accuracy",
            acc is not None and acc >= rules.escalation_accuracy,
            f"{0 if acc is None else acc:.0%} right (target {rules.escalation_accuracy:.0%})"
            + (f"; wrong in {', '.join(wrong)}" if wrong else ""),
        )
    )
    if rules.calls_passed:
        share = sum(s.passed for s in sessions) / n if n else 0.0
        checks.append(
            Check(
                "calls_passed",
                share >= rules.calls_passed,
                f"{share:.0%} of calls passed (minimum {rules.calls_passed:.0%})",
            )
        )
    calls = tuple(
        {
            "position": s.position,
            "scenario": s.scenario,
            "session_id": s.session_id,
            "passed": s.passed,
            "scores": s.scores,
            "blockers": s.blockers,
            "escalation_correct": s.escalation_correct,
        }
        for s in sessions
    )
    return Outcome(all(c.passed for c in checks) and n > 0, tuple(checks), means, acc, calls)


# ---------------------------------------------------------------------------------------------
# running


@dataclass(frozen=True)
class CallRequest:
    """What a runner needs for one call (no hints: the runner must not show scores)."""

    scenario: Any  # simulator.authoring.model.Scenario
    seed: int
    position: int
    total: int


# A call runner takes one call and returns the practice loop's result (what `vasim practice
# --json` prints, as the typed object): session_id, scenario, turns, scorecard, latency, recording.
CallRunner = Callable[[CallRequest], "CallResult"]


class AssessmentView(Protocol):
    def starting(self, a: Assessment, done: int, total: int) -> None: ...
    def before_call(self, req: CallRequest) -> None: ...
    def after_call(self, req: CallRequest) -> None: ...
    def finished(self, a: Assessment, outcome: Outcome, show_scores: bool) -> None: ...


class QuietView:
    def starting(self, a, done, total):
        pass

    def before_call(self, req):
        pass

    def after_call(self, req):
        pass

    def finished(self, a, outcome, show_scores):
        pass


class Interrupted(UserError):
    """The assessment stopped before the end; the finished calls are stored."""

    exit_code = 130


class NoAnswer(Interrupted):
    """A call ended with nothing said by the trainee (typed input closed, or silence): it is not
    stored, and the attempt stays open so the same command takes that call again. Exit 2."""

    exit_code = 2


class InputClosed(Exception):
    """The trainee's typed input ended (EOF) before they answered the call."""


QUIT_WORDS = ("/quit", "/q", "/hangup", "/bye")


class TypedAnswers:
    """A trainee typing replies during an assessment.

    Unlike practice, where Ctrl-D hangs up, end of input *before the trainee has said anything
    in this call* (stdin is not a terminal and ran dry, or Ctrl-D at the first prompt) raises
    :class:`InputClosed`: taking the call as answered would store an empty, failed call as a
    final result. End of input after an answer hangs up, as ``/quit`` does.
    """

    def __init__(self, prompt: Callable[[str], str] = input, *, label: str = "You: "):
        self.prompt = prompt
        self.label = label  # "" when the input is not a terminal (the view prints the turn)
        self.answered = False

    def reply(self, patient_line: str | None) -> str | None:
        try:
            text = self.prompt(self.label)
        except EOFError:
            if not self.answered:
                raise InputClosed() from None
            return None
        text = text.strip()
        if text.lower() in QUIT_WORDS:
            return None
        if text:
            self.answered = True
        return text


@dataclass(frozen=True)
class RunResult:
    run_id: str
    trainee: str
    outcome: Outcome | None  # None while calls remain (interrupted)
    done: int
    total: int
    resumed: bool
    hide_scores: bool
    session_ids: tuple[str, ...] = field(default_factory=tuple)


def silent_scorecard(scenario: Any) -> dict:
    """The scorecard of a call where the trainee said nothing: every dimension 1, not passed.

    Not stored by :func:`run` (an unanswered call is retaken, never a final result); kept for
    callers that want to show what such a call would have scored."""
    return {
        "scenario": scenario.id,
        "passed": False,
        "blockers": [],
        "dimensions": {d: {"score": 1, "evidence": [], "missed": ["no answer"]} for d in DIMENSIONS},
        "behaviors": [],
        "escalation": {"expected": scenario.escalation, "observed": [], "correct": scenario.escalation == "none"},
        "timing": {"response_latency_s": {"median": None, "max": None}, "talk_ratio": 0.0},
        "feedback": ["The call was not answered."],
    }


class _SigintFlag:
    """Tell a Ctrl-C apart from a trainee hanging up: the practice loops end a call on both."""

    def __init__(self):
        self.hit = False
        self._old = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():

            def handler(signum, frame):
                self.hit = True
                raise KeyboardInterrupt

            self._old = signal.signal(signal.SIGINT, handler)
        return self

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)


def run(
    a: Assessment,
    *,
    trainee: str,
    cohort: str | None,
    store: Store,
    runner: CallRunner,
    view: AssessmentView | None = None,
    hide_scores: bool | None = None,
    restart: bool = False,
    load_scenario: Callable[[str], Any] | None = None,
) -> RunResult:
    """Take (or resume) the assessment for ``trainee``; every finished call is stored at once."""
    from simulator.authoring import scenario as sc_mod

    view = view or QuietView()
    load_scenario = load_scenario or sc_mod.load
    calls = plan(a)
    digest = a.digest()
    store.save_assessment(a.id, a.title, a.model_dump(mode="json", by_alias=True), digest)
    run_ = store.open_run(a.id, trainee)
    resumed = False
    if run_ is not None and (restart or run_.digest != digest):
        if not restart:
            raise UserError(
                f"{a.source or a.id}: the assessment changed since {trainee}'s unfinished attempt started "
                f"({run_.started_at}); pass --restart to abandon that attempt and start again"
            )
        store.abandon_run(run_.id)
        run_ = None
    if run_ is None:
        run_ = store.start_run(
            a.id, digest, trainee, cohort, a.seed, a.hide_scores if hide_scores is None else hide_scores
        )
    else:
        resumed = True
    hidden = run_.hide_scores if hide_scores is None else (hide_scores or run_.hide_scores)
    stored = {s.position: s for s in store.sessions(run_id=run_.id)}
    view.starting(a, len(stored), len(calls))
    scenarios = {c.scenario: load_scenario(c.scenario) for c in calls}  # fail early on a broken library
    for c in calls:
        if c.position in stored:
            continue
        req = CallRequest(scenarios[c.scenario], c.seed, c.position, len(calls))
        view.before_call(req)
        with _SigintFlag() as flag:
            try:
                result = runner(req)
            except KeyboardInterrupt:
                flag.hit = True
                result = None
            except InputClosed:
                raise NoAnswer(
                    f"assessment '{a.id}': input ended before call {c.position + 1} of {len(calls)} was answered; "
                    f"nothing was stored for it and {len(stored)} finished call(s) are saved — "
                    "run the same command in a terminal to resume"
                ) from None
        if flag.hit or result is None:
            raise Interrupted(
                f"assessment '{a.id}' stopped at call {c.position + 1} of {len(calls)}; "
                f"{len(stored)} finished call(s) are saved — run the same command to resume"
            )
        if not isinstance(result.scorecard, dict) or not trainee_spoke(result):
            raise NoAnswer(
                f"assessment '{a.id}': call {c.position + 1} of {len(calls)} ({c.scenario}) ended with no answer "
                f"from the trainee; it was not stored and {len(stored)} finished call(s) are saved — "
                "run the same command to take it again"
            )
        rec = SessionRecord.from_result(
            result, trainee, cohort=cohort, run_id=run_.id, position=c.position, source="assessment"
        )
        store.add_session(rec)
        stored[c.position] = store.session(rec.session_id, with_turns=False)
        view.after_call(req)
    sessions = [stored[c.position] for c in calls]
    outcome = evaluate(a, sessions)
    store.finish_run(run_.id, outcome.as_dict())
    view.finished(a, outcome, not hidden)
    return RunResult(
        run_.id, trainee, outcome, len(calls), len(calls), resumed, hidden, tuple(s.session_id for s in sessions)
    )


# ---------------------------------------------------------------------------------------------
# runners built on the practice loop


class TextRunner:
    """Calls with typed (or scripted) trainee turns, through ``practice.run_text_call``.

    ``trainee_for(req)`` gives the trainee for a call (a ``TypedTrainee`` at the keyboard,
    a ``ScriptedText`` in tests and demos); ``view_for(req)`` what the trainee sees (the
    conversation only: the practice views show no hints).
    """

    def __init__(
        self,
        detector,
        trainee_for: Callable[[CallRequest], Any],
        view_for: Callable[[CallRequest], Any] | None = None,
        embedder=None,
    ):
        self.detector, self.trainee_for, self.view_for, self.embedder = detector, trainee_for, view_for, embedder

    def __call__(self, req: CallRequest) -> CallResult:
        from simulator.call import practice

        view = self.view_for(req) if self.view_for else practice.NullView()
        return practice.run_text_call(
            req.scenario,
            self.trainee_for(req),
            self.detector,
            options=practice.PracticeOptions(seed=req.seed),
            view=view,
            embedder=self.embedder,
        )


class VoiceRunner:
    """Calls by voice through ``practice.VoiceCall``, with models loaded once for the whole set.

    ``devices(req)`` returns ``(source, sink, clock, trainee)`` for a call: a real microphone
    and speaker with ``trainee=None``, or the virtual ones with a ``ScriptedVoice`` trainee.
    """

    def __init__(
        self,
        *,
        recognizer,
        vad_factory: Callable[[], Any],
        detector,
        synthesizer_for: Callable[[str], Any],
        devices: Callable[[CallRequest], tuple],
        view_for: Callable[[CallRequest], Any] | None = None,
        embedder=None,
        barge_in: bool = True,
    ):
        self.recognizer, self.vad_factory, self.detector = recognizer, vad_factory, detector
        self.synthesizer_for = synthesizer_for  # engine name ("piper", "pyttsx3") -> synthesizer, built once each
        self.devices, self.view_for, self.embedder, self.barge_in = devices, view_for, embedder, barge_in

    def __call__(self, req: CallRequest) -> CallResult:
        from simulator.call import practice

        options = practice.PracticeOptions(seed=req.seed, barge_in=self.barge_in)
        patient = practice.Patient(req.scenario, practice.PatientOptions(seed=req.seed), embedder=self.embedder)
        bank = practice.LineBank(self.synthesizer_for(req.scenario.patient.voice.engine), req.scenario.patient.voice)
        bank.prepare(patient.all_lines())
        source, sink, clock, trainee = self.devices(req)
        view = self.view_for(req) if self.view_for else practice.NullView()
        call = practice.VoiceCall(
            req.scenario,
            source=source,
            sink=sink,
            recognizer=self.recognizer,
            vad=self.vad_factory(),
            detector=self.detector,
            bank=bank,
            clock=clock,
            options=options,
            trainee=trainee,
            view=view,
            patient=patient,
            mode="assessment",
        )
        try:
            return call.run()
        finally:
            try:
                sink.close()
            except Exception:
                pass
