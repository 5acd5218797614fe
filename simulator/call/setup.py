"""Building a call: the one place that wires the real parts into a voice call.

``build_voice_call`` loads the models (side by side), pre-synthesises every line the patient
can say and connects microphone, speaker, VAD, recognizer, detector and patient into a
:class:`~simulator.call.practice.VoiceCall`. ``vasim practice``, ``vasim demo``, ``vasim
bench turn``, assessments, the tests and the browser app all use it; front-ends only choose
the options and render what happens. ``voice_runner`` does the same for the calls of an
assessment (models load once for all of them).

Progress is reported through a :class:`Reporter` (the CLI draws spinners and bars with it);
the default says nothing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from simulator.errors import UserError
from simulator.paths import scenarios_dir

Counter = Callable[[int, int, str], None]  # (done, total, what) while a batch is made


class Reporter(Protocol):
    def status(self, label: str) -> AbstractContextManager[Any]:
        """A step without a count (model loading)."""
        ...

    def counter(self, label: str) -> tuple[Counter, Callable[[], None]]:
        """A counted step: the callback and the function that ends it."""
        ...


class QuietReporter:
    def status(self, label: str) -> AbstractContextManager[Any]:
        return contextlib.nullcontext()

    def counter(self, label: str) -> tuple[Counter, Callable[[], None]]:
        return (lambda done, total, what: None), (lambda: None)


@dataclass
class VoiceSetup:
    """A voice call ready to run, with what it took to get there (for `vasim bench turn`)."""

    call: Any  # practice.VoiceCall
    sink: Any
    load_s: float  # models loaded
    prepare_s: float  # every patient line synthesised (the session start after loading)
    lines: int  # patient lines prepared
    trainee_s: float = 0.0  # scripted trainee turns synthesised (not part of a real session start)
    extra_close: list = field(default_factory=list)  # other devices to close after the call

    def run(self):
        """Run the call to its end and close the devices; returns the ``CallResult``."""
        try:
            return self.call.run()
        finally:
            for dev in (self.sink, *self.extra_close):
                try:
                    dev.close()
                except Exception:
                    pass


def audio_devices(virtual: bool, input_device=None, output_device=None):
    """``(source, sink, clock)``: the sound devices, or the virtual microphone and speaker on one
    real-time clock (``clock`` is None for devices)."""
    from simulator.speech import factory

    if not virtual:
        return factory.make_audio_source(input_device), factory.make_audio_sink(output_device), None
    clock = factory.make_clock()
    source = factory.make_audio_source(virtual=True, clock=clock)
    source.gap_s = 0.0  # ScriptedVoice times each turn itself
    return source, factory.make_audio_sink(virtual=True, clock=clock), clock


def scripted_voice(turns, scenario, synth, mouth, *, progress=None, **timing):
    """A :class:`~simulator.call.trainee.ScriptedVoice` saying ``turns`` into ``mouth`` in the
    steady trainee voice (a second voice of the patient's engine ``synth``)."""
    from simulator.call import trainee as trainee_mod
    from simulator.speech import factory

    clips = trainee_mod.synthesize_trainee_clips(
        turns,
        factory.make_trainee_synthesizer(like=synth),
        trainee_mod.trainee_voice_for(scenario.patient.voice),
        progress,
    )
    return trainee_mod.ScriptedVoice(mouth, clips, turns, **timing)


def build_voice_call(
    scenario,
    *,
    options,
    script=None,
    trainee_audio=None,
    virtual: bool = True,
    asr_model: str = "tiny.en",
    input_device=None,
    output_device=None,
    view=None,
    reporter: Reporter | None = None,
) -> VoiceSetup:
    """Load the models, pre-synthesise every patient line and wire a :class:`VoiceCall`.

    ``script`` (trainee turns, spoken by a second voice) or ``trainee_audio`` (a folder with one
    recording per turn) make the trainee's side scripted; ``virtual`` runs the call through the
    in-process virtual microphone and speaker in real time (no sound card needed)."""
    from concurrent.futures import ThreadPoolExecutor

    from simulator.call import practice
    from simulator.call import trainee as trainee_mod
    from simulator.speech import factory

    rep = reporter or QuietReporter()
    if virtual:
        options = replace(options, barge_in=True)  # the virtual mic cannot hear the speaker
    t0 = time.perf_counter()
    with rep.status("Loading speech models..."):
        # independent loads, side by side: most of the time is spent in native code
        with ThreadPoolExecutor(max_workers=3, thread_name_prefix="vasim-load") as pool:
            f_asr = pool.submit(factory.make_recognizer, "faster-whisper", asr_model)
            f_tts = pool.submit(factory.make_synthesizer, scenario.patient.voice.engine)
            f_det = pool.submit(factory.make_detector)
            turn_detector = factory.make_vad()
            recognizer, synth, detector = f_asr.result(), f_tts.result(), f_det.result()
        # the detector's sentence embedder also matches off-script questions
        embedder = getattr(detector, "embedder", None) or factory.make_embedder_or_none()
    load_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    patient = practice.Patient(scenario, practice.PatientOptions(seed=options.seed), embedder=embedder)
    bank = practice.LineBank(synth, scenario.patient.voice)
    cb, close = rep.counter("Preparing the patient's voice")
    try:
        bank.prepare(patient.all_lines(), cb)
    finally:
        close()
    prepare_s = time.perf_counter() - t1

    t2 = time.perf_counter()
    source, sink, clock = audio_devices(virtual, input_device, output_device)
    trainee = None
    if script is not None or trainee_audio:
        # virtual: the clips go straight into the virtual microphone; devices: a second output
        # stream says them, and the microphone hears them like a person in the room
        mouth = source if virtual else trainee_mod.SpeakerMouth(factory.make_audio_sink(output_device))
        timing = {"think_s": options.think_s, "ring_s": options.ring_s}
        if trainee_audio:
            turns, clips = trainee_mod.load_trainee_audio(trainee_audio)
            trainee = trainee_mod.ScriptedVoice(mouth, clips, turns, **timing)
        else:
            cb, close = rep.counter("Preparing the trainee's voice")
            try:
                trainee = scripted_voice(script, scenario, synth, mouth, progress=cb, **timing)
            finally:
                close()
    trainee_s = time.perf_counter() - t2

    call = practice.VoiceCall(
        scenario,
        source=source,
        sink=sink,
        recognizer=recognizer,
        vad=turn_detector.vad,
        detector=detector,
        bank=bank,
        clock=clock,
        options=options,
        trainee=trainee,
        view=view or practice.NullView(),
        patient=patient,
        mode="virtual" if virtual else "voice",
    )
    setup = VoiceSetup(call, sink, load_s, prepare_s, len(bank), trainee_s)
    if trainee is not None and trainee.mic is not source:
        setup.extra_close.append(trainee.mic)
    return setup


# --------------------------------------------------------------------------- scripted trainees


def default_script(scenario_id: str, kind: str = "strong") -> Path:
    """The committed trainee script of a scenario (``scenarios/scripts/ID-KIND.txt``)."""
    return scenarios_dir() / "scripts" / f"{scenario_id}-{kind}.txt"


def demo_script(scenario, script: str | Path | None = None):
    """The trainee's turns for a demo of ``scenario`` and where they came from.

    ``script`` if given; else the committed ``scenarios/scripts/ID-strong.txt``; else the VA
    turns of the scenario's strong example call, which every valid scenario has, so a demo works
    for the whole library and a trainer's own scenarios."""
    from simulator.call import trainee as trainee_mod

    if script:
        return trainee_mod.load_trainee_script(script), str(script)
    path = default_script(scenario.id)
    if path.is_file():
        return trainee_mod.load_trainee_script(path), str(path)
    for ex in scenario.examples:
        turns = (
            [trainee_mod.ScriptTurn(t.text) for t in ex.turns if t.speaker == "trainee"] if ex.kind == "strong" else []
        )
        if turns:
            return turns, f"the VA turns of its strong example call '{ex.name}' ({scenario.source or scenario.id})"
    raise UserError(
        f"{scenario.id}: no demo script ({path}) and no strong example call to take the VA's lines from; pass --script FILE"
    )


# --------------------------------------------------------------------------- assessments


def voice_runner(
    *,
    asr_model: str = "tiny.en",
    virtual: bool = False,
    scripts: dict[str, Sequence] | None = None,
    view_for=None,
    reporter: Reporter | None = None,
):
    """An ``assessment.VoiceRunner`` with the real models, loaded once for every call.

    ``virtual``: the virtual microphone and speaker, the trainee's turns from ``scripts``
    (scenario id -> turns); otherwise the sound devices."""
    from simulator.call import assessment
    from simulator.speech import factory

    if virtual and scripts is None:
        raise UserError("--virtual-audio needs --trainee-script DIR (or use --text to type your replies)")
    if not virtual and not factory.has_sound_devices():
        raise UserError("no microphone or speaker found; use --text to type your replies")
    rep = reporter or QuietReporter()
    with rep.status("Loading speech models..."):
        recognizer = factory.make_recognizer("faster-whisper", asr_model)
        detector, embedder = factory.make_detector(), factory.make_embedder_or_none()
        synths: dict = {}

        def synth_for(engine: str):
            if engine not in synths:
                synths[engine] = factory.make_synthesizer(engine)
            return synths[engine]

        synth_for("piper")

    def devices(req):
        source, sink, clock = audio_devices(virtual)
        if not virtual:
            return source, sink, None, None
        assert scripts is not None  # virtual audio without scripts was refused above
        trainee = scripted_voice(scripts[req.scenario.id], req.scenario, synth_for("piper"), source)
        return source, sink, clock, trainee

    return assessment.VoiceRunner(
        recognizer=recognizer,
        vad_factory=lambda: factory.make_vad().vad,
        detector=detector,
        synthesizer_for=synth_for,
        devices=devices,
        view_for=view_for,
        embedder=embedder,
        barge_in=virtual,
    )


# --------------------------------------------------------------------------- text calls


def text_call(scenario, trainee, *, detector=None, options=None, view=None, embedder=None):
    """A typed practice call: ``trainee`` is a list of lines (a scripted trainee) or any object with
    ``reply(patient_line) -> str | None`` (``trainee_mod.TypedTrainee`` reads the keyboard). The real
    detector is built when none is given. Returns the ``CallResult`` (scorecard included)."""
    from simulator.call import practice
    from simulator.call import trainee as trainee_mod
    from simulator.speech import factory

    if isinstance(trainee, (list, tuple)):
        trainee = trainee_mod.ScriptedText(list(trainee))
    detector = detector if detector is not None else factory.make_detector()
    if embedder is None:
        embedder = getattr(detector, "embedder", None)
    return practice.run_text_call(
        scenario, trainee, detector, options=options or practice.PracticeOptions(), view=view, embedder=embedder
    )


def text_runner(scripts: dict[str, Sequence] | None = None, *, detector=None, view_for=None):
    """An ``assessment.TextRunner``: each call's trainee turns from ``scripts`` (scenario id ->
    lines), or typed at the keyboard when there are none."""
    from simulator.call import assessment
    from simulator.call import trainee as trainee_mod
    from simulator.speech import factory

    detector = detector if detector is not None else factory.make_detector()

    def trainee_for(req):
        if scripts is not None:
            return trainee_mod.ScriptedText(list(scripts[req.scenario.id]))
        return assessment.TypedAnswers()

    return assessment.TextRunner(detector, trainee_for, view_for, embedder=getattr(detector, "embedder", None))


# --------------------------------------------------------------------------- long-lived front-ends


@dataclass
class SpeechModels:
    """The models a voice call needs, loaded once and shared by every call of a long-lived
    front-end (the browser app); each call gets its own patient, line bank and VAD state."""

    recognizer: Any
    detector: Any
    embedder: Any
    vad_factory: Callable[[], Any]
    synthesizers: dict = field(default_factory=dict)

    def synthesizer(self, engine: str):
        from simulator.speech import factory

        if engine not in self.synthesizers:
            self.synthesizers[engine] = factory.make_synthesizer(engine)
        return self.synthesizers[engine]


def load_speech_models(asr_model: str = "tiny.en", reporter: Reporter | None = None) -> SpeechModels:
    """Load the recognizer, detector, embedder and piper side by side (as ``build_voice_call``)."""
    from concurrent.futures import ThreadPoolExecutor

    from simulator.speech import factory

    rep = reporter or QuietReporter()
    with rep.status("Loading speech models..."):
        with ThreadPoolExecutor(max_workers=3, thread_name_prefix="vasim-load") as pool:
            f_asr = pool.submit(factory.make_recognizer, "faster-whisper", asr_model)
            f_tts = pool.submit(factory.make_synthesizer, "piper")
            f_det = pool.submit(factory.make_detector)
            factory.make_vad()  # Silero loads once here, so the first call does not pay for it
            recognizer, piper, detector = f_asr.result(), f_tts.result(), f_det.result()
        embedder = getattr(detector, "embedder", None) or factory.make_embedder_or_none()
    return SpeechModels(recognizer, detector, embedder, lambda: factory.make_vad().vad, {"piper": piper})


def connect_voice_call(
    scenario,
    models: SpeechModels,
    *,
    source,
    sink,
    options,
    clock=None,
    view=None,
    mode: str = "voice",
    progress: Counter | None = None,
):
    """A :class:`~simulator.call.practice.VoiceCall` on the given microphone and speaker (any
    ``AudioSource``/``AudioSink``: the browser app's streamed devices), with every patient line
    synthesised first, exactly as ``build_voice_call`` wires one."""
    from simulator.call import practice

    patient = practice.Patient(scenario, practice.PatientOptions(seed=options.seed), embedder=models.embedder)
    bank = practice.LineBank(models.synthesizer(scenario.patient.voice.engine), scenario.patient.voice)
    bank.prepare(patient.all_lines(), progress)
    return practice.VoiceCall(
        scenario,
        source=source,
        sink=sink,
        recognizer=models.recognizer,
        vad=models.vad_factory(),
        detector=models.detector,
        bank=bank,
        clock=clock,
        options=options,
        view=view or practice.NullView(),
        patient=patient,
        mode=mode,
    )
