"""The practice call: the simulated patient and the trainee talking, turn by turn.

One turn (DESIGN.md, "Data flow of one practice turn"): the patient's line, synthesised at
session start, plays through the sink; microphone frames go through the VAD endpointer; the
trainee's utterance goes to ASR (no hotwords by default, see below); behaviors are detected; the
:class:`~simulator.call.patient.Patient` decides; its next line plays. Every turn is appended to
the session journal (:mod:`simulator.call.session`) before the call goes on.

Two loops share the bookkeeping in :class:`Call`:

* :func:`run_text_call` — typed turns (``--text``) or a script, no audio at all;
* :class:`VoiceCall` — audio in real time: a microphone (a device, or the virtual one fed by a
  trainee script or recorded files) and a speaker (a device or the virtual one).

Latency is measured per patient turn in named parts — ``endpoint`` (silence waited before the
turn is declared over), ``asr`` (recognition still to do after that), ``decide`` (detection + the
patient's choice), ``tts_first_audio`` (line lookup/synthesis until the sink has it) — and the total
``voice_to_voice`` from the trainee's last speech frame to the patient's first audio. Recognition
runs while the trainee speaks: at every short pause (``early_asr_s``) the stretch since the last
pause is recognised in the background, so at the end of the turn at most the last stretch is left,
and none when the pause that closed it turns out to be the end of the turn.

Whisper gets no prompt or hotwords here by default: measured on the scripted calls, any prompt
made tiny.en decode 2-6x slower on some turns (up to ~5 s) and mis-heard words as hotwords
("So Mateo" -> "Tylenol Mateo") without improving detection (``asr_hotwords=True`` turns them on).

Barge-in: with ``barge_in`` on (headphones, or virtual audio where the microphone cannot hear
the speaker) the trainee talking over the patient for ``barge_in_min_s`` stops playback and the
patient's turn is marked interrupted; short back-channels ("mm-hm") do not count. Off (the
default with real devices) the call is half-duplex: what the microphone hears while the patient
speaks is ignored, so the patient's own voice from loudspeakers is never transcribed.

The trainee's side when no person talks (scripts, typed answers, a scripted voice) is in
:mod:`simulator.call.trainee`; latency in :mod:`simulator.call.latency`; the result in
:mod:`simulator.call.result`.
"""

from __future__ import annotations

import concurrent.futures
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from simulator.authoring.model import Scenario
from simulator.call.latency import TurnLatency, latency_summary
from simulator.call.patient import Patient, PatientOptions, Reply
from simulator.call.result import CallResult, score_turns
from simulator.call.session import SessionWriter, TurnRecord
from simulator.call.trainee import (
    ScriptedVoice,
    TextTrainee,
)
from simulator.errors import RuntimeFailure
from simulator.speech.asr import SAMPLE_RATE as ASR_RATE
from simulator.speech.voice import VoiceProfile
from simulator.understanding import hearing
from simulator.understanding.detect import Context, Understanding
from simulator.understanding.hearing import HeardWord

VAD_FRAME = 512  # Silero's window at 16 kHz
# a spoken trainee turn waiting to be journaled: text, behaviors, start, end, audio, words
_TraineeTurn = tuple[str, Sequence[str], float | None, float | None, np.ndarray | None, Sequence[HeardWord]]


@dataclass(frozen=True)
class PracticeOptions:
    """How a practice call runs (the scenario says *what* happens; this says how)."""

    seed: int = 0  # the patient's line choices (assessments fix it)
    barge_in: bool = False  # listen while the patient speaks (headphones or virtual audio)
    barge_in_min_s: float = 0.6  # talking over the patient shorter than this does not interrupt
    endpoint_silence_s: float = 0.5  # silence that ends a trainee turn
    number_patience_s: float = 0.8  # extra silence allowed while a number is being said
    min_speech_s: float = 0.25  # shorter sounds are not a turn
    early_asr_s: float = 0.1  # recognise the turn so far at every pause this long...
    min_segment_s: float = 1.5  # ...once it has this much new audio (Whisper mishears short snippets)
    asr_hotwords: bool = False  # pass the scenario's names to Whisper (slower; see the module doc)
    reprompt_after_s: float = 8.0  # "Hello? Are you still there?" after this much silence
    signoff_wait_s: float = 3.0  # after the patient's last line, how long it waits for a goodbye
    think_s: float = 0.5  # a scripted trainee's pause before answering
    ring_s: float = 0.8  # inbound: the phone rings this long before the scripted VA answers
    max_call_s: float = 900.0  # a safety net: the call ends after this long
    preroll_s: float = 0.25  # audio kept before the detected start of speech
    echo_guard_s: float = 0.3  # half-duplex: the microphone stays deaf this long after the patient stops

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


# --------------------------------------------------------------------------- trainee scripts


# --------------------------------------------------------------------------- latency


# --------------------------------------------------------------------------- the patient's voice


class LineBank:
    """The patient's voice: every line it may say, synthesised once at session start.

    Lines come from the (cached) synthesizer, so a warm cache makes session start quick; a
    line that was somehow not prepared is synthesised on demand.
    """

    def __init__(self, synthesizer, voice: VoiceProfile):
        self.synth = synthesizer
        self.voice = voice
        self.sample_rate = int(synthesizer.sample_rate)
        self._audio: dict[str, np.ndarray] = {}

    def prepare(self, lines: Iterable[str], progress: Callable[[int, int, str], None] | None = None) -> None:
        todo = [t for t in dict.fromkeys(lines) if t not in self._audio]
        for i, text in enumerate(todo):
            if progress:
                progress(i, len(todo), text)
            self._audio[text] = np.asarray(self.synth.synthesize(text, self.voice), dtype=np.float32)
        if progress:
            progress(len(todo), len(todo), "")

    def get(self, text: str) -> np.ndarray:
        if text not in self._audio:
            self._audio[text] = np.asarray(self.synth.synthesize(text, self.voice), dtype=np.float32)
        return self._audio[text]

    def __len__(self) -> int:
        return len(self._audio)


# --------------------------------------------------------------------------- what the trainee sees


class CallView(Protocol):
    """What the trainee sees while the call runs."""

    def status(self, text: str) -> None: ...
    def turn(self, speaker: str, text: str, note: str = "") -> None: ...
    def close(self) -> None: ...


class NullView:
    def status(self, text: str) -> None:
        pass

    def turn(self, speaker: str, text: str, note: str = "") -> None:
        pass

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- the call record


class Call:
    """The bookkeeping every call shares: patient, detector, journal, view, latencies."""

    def __init__(
        self,
        scenario: Scenario,
        detector,
        *,
        options: PracticeOptions = PracticeOptions(),
        writer: SessionWriter | None = None,
        view: CallView | None = None,
        embedder=None,
        patient: Patient | None = None,
        mode: str = "text",
    ):
        self.scenario = scenario
        self.detector = detector
        self.options = options
        self.patient = patient or Patient(scenario, PatientOptions(seed=options.seed), embedder=embedder)
        self.ctx = Context.of(scenario)
        self.writer = writer or SessionWriter.create(
            scenario.id, seed=options.seed, mode=mode, options=options.to_json()
        )
        self.view = view or NullView()
        self.turns: list[TurnRecord] = []
        self.latencies: list[TurnLatency] = []
        self.interruptions = 0

    def detect(self, text: str) -> tuple[str, ...]:
        return tuple(sorted(self.understand(text)[0].ids))

    def understand(self, text: str, words: Sequence[HeardWord] = ()) -> tuple[Understanding, frozenset[str]]:
        """The trainee turn understood (behaviors, dialogue acts, facts), and the behaviors whose
        evidence recognition was unsure of (``words``: the recognised words with their
        probabilities; none when typed)."""
        if not text.strip():
            return Understanding(text), frozenset()
        if hasattr(self.detector, "understand"):
            u = self.detector.understand(text, self.ctx)
        else:  # a detector of behaviors alone
            u = Understanding(text, tuple(self.detector.detect(text, self.ctx)))
        unsure = frozenset(d.id for d in u.behaviors if not hearing.is_sure(hearing.evidence_p(d.quote, words)))
        return u, unsure

    def add_trainee(
        self,
        text: str,
        behaviors: Sequence[str],
        start: float | None,
        end: float | None,
        kind: str,
        audio: np.ndarray | None = None,
        sample_rate: int | None = None,
        words: Sequence[HeardWord] = (),
    ) -> TurnRecord:
        rec = TurnRecord(
            index=len(self.turns),
            speaker="trainee",
            text=text,
            start=_r(start),
            end=_r(end),
            kind=kind,
            behaviors=tuple(behaviors),
            words=tuple((w[0], w[1]) for w in words),
        )
        rec = self.writer.add_turn(rec, audio, sample_rate)
        self.turns.append(rec)
        self.view.turn("trainee", text)
        return rec

    def add_patient(
        self,
        reply: Reply,
        start: float | None,
        end: float | None,
        *,
        interrupted: bool = False,
        latency: TurnLatency | None = None,
        audio: np.ndarray | None = None,
        sample_rate: int | None = None,
    ) -> TurnRecord:
        if latency is not None:
            self.latencies.append(latency)
        rec = TurnRecord(
            index=len(self.turns),
            speaker="patient",
            text=reply.text,
            start=_r(start),
            end=_r(end),
            kind=reply.kind,
            state=reply.state,
            mood=reply.mood,
            interrupted=interrupted,
            latency_ms=latency.to_json() if latency else {},
        )
        rec = self.writer.add_turn(rec, audio, sample_rate)
        self.turns.append(rec)
        if interrupted:
            self.interruptions += 1
        return rec

    def finish(self, catalog=None) -> CallResult:
        reason = self.patient.end_reason or "trainee_hangup"
        card_obj = None
        card = None
        try:
            card_obj = score_turns(self.scenario, self.turns, self.detector, catalog)
            card = card_obj.model_dump(mode="json") if card_obj is not None else None
        finally:
            self.writer.finish(
                reason, scorecard=card, latency=latency_summary(self.latencies), patient_path=self.patient.path
            )
            self.writer.close()
        return CallResult(
            session_id=self.writer.id,
            scenario=self.scenario.id,
            turns=list(self.turns),
            scorecard=card,
            latencies=list(self.latencies),
            recording=str(self.writer.dir),
            end_reason=reason,
            patient_path=self.patient.path,
            interruptions=self.interruptions,
            scorecard_obj=card_obj,
        )


def _r(t: float | None) -> float | None:
    return None if t is None else round(float(t), 3)


# --------------------------------------------------------------------------- text mode


def run_text_call(
    scenario: Scenario,
    trainee: TextTrainee,
    detector,
    *,
    options: PracticeOptions = PracticeOptions(),
    view: CallView | None = None,
    embedder=None,
    writer: SessionWriter | None = None,
    catalog=None,
) -> CallResult:
    """A call with typed (or scripted) turns: the same patient and journal, no audio.

    Typed turns carry no times (``start``/``end`` are None): how fast someone types says nothing
    about how fast they would answer or speak on a call, so the scorecard has no response latency,
    talk ratio or speaking rate for them and gives no pace coaching. The result says
    ``input: "typed"`` so reports leave such calls out of latency figures.
    """
    call = Call(scenario, detector, options=options, writer=writer, view=view, embedder=embedder, mode="text")
    p = call.patient
    t = 0.0
    last_line: str | None = None
    try:
        first = p.start()
        if first is not None:
            t = _say_text(call, first, t)
            last_line = first.text
        while not p.ended:
            text = trainee.reply(last_line)
            if text is None:
                p.trainee_hung_up()
                break
            if not text:
                reply = p.silence()
                call.add_trainee("", (), None, None, "silence")
                t += options.reprompt_after_s
            else:
                t0 = time.perf_counter()
                heard, _ = call.understand(text)
                call.add_trainee(text, tuple(sorted(heard.ids)), None, None, "typed")
                reply = p.respond(heard)
                decide = (time.perf_counter() - t0) * 1000
                call.latencies.append(TurnLatency(None, None, decide, None, None))
            t = _say_text(call, reply, t)
            last_line = reply.text
    except KeyboardInterrupt:
        p.trainee_hung_up()
    finally:
        result = call.finish(catalog)
        result.input = "typed"
        call.view.close()
    return result


def _say_text(call: Call, reply: Reply, t: float) -> float:
    if not reply.text:
        return t
    call.add_patient(reply, None, None)  # typed calls carry no times (see run_text_call)
    end = t
    call.view.turn("patient", reply.text, "hangs up" if reply.ended else "")
    return end


# --------------------------------------------------------------------------- voice mode


def heard_text(tr) -> str:
    """The transcription without Whisper's made-up tails (see :func:`heard`)."""
    return heard(tr)[0]


def heard(tr) -> tuple[str, tuple[HeardWord, ...]]:
    """The transcription without Whisper's made-up tails, and the words kept, with their probabilities.

    On the silence after speech (and more so with a prompt or hotwords) Whisper adds short
    segments such as "Thank you." whose first word it is almost sure is not there (word
    probability ~0.01); a false "thank you" would read as a warm close. Such segments (under
    0.4 s, a word below ``0.1`` probability) are dropped.
    """
    segments = list(getattr(tr, "segments", ()) or ())
    words = list(getattr(tr, "words", ()) or ())
    if not segments or not words:
        return tr.text, hearing.heard_words(words)
    kept, kept_words = [], []
    left = words
    for seg in segments:
        inside = [w for w in left if w.start <= seg.end + 1e-3]  # each word belongs to one segment
        left = left[len(inside) :]
        if seg.end - seg.start < 0.4 and inside and min(w.probability for w in inside) < 0.1:
            continue
        kept.append(seg.text.strip())
        kept_words += inside
    return re.sub(r"\s+", " ", " ".join(kept)).strip(), hearing.heard_words(kept_words)


def _clean_asr(text: str) -> str:
    """Whisper sometimes trails off into ". . . ." on a silent tail; that is not speech."""
    return re.sub(r"(?:\s*\.){4,}", ".", text).strip()


@dataclass
class _Segment:
    """A stretch of the turn between pauses (``buf[start:end]``), recognised in the background."""

    start: int
    end: int
    future: concurrent.futures.Future  # -> (text, words, asr_ms)


class VoiceCall:
    """A call in real time: frames from ``source`` through the VAD into ASR, lines to ``sink``."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        source,
        sink,
        recognizer,
        vad,
        detector,
        bank: LineBank,
        clock=None,
        options: PracticeOptions = PracticeOptions(),
        trainee: ScriptedVoice | None = None,
        view: CallView | None = None,
        embedder=None,
        writer: SessionWriter | None = None,
        patient: Patient | None = None,
        mode: str = "voice",
    ):
        from simulator.speech import vad as vadmod
        from simulator.speech.audio import RealClock

        self.scenario = scenario
        self.source = source
        self.sink = sink
        self.recognizer = recognizer
        self.vad = vad
        self.bank = bank
        self.clock = clock or RealClock()
        self.options = options
        self.trainee = trainee
        self.call = Call(
            scenario, detector, options=options, writer=writer, view=view, embedder=embedder, patient=patient, mode=mode
        )
        o = options
        self._listen_cfg = vadmod.EndpointConfig(
            silence_s=o.endpoint_silence_s, number_patience_s=o.number_patience_s, min_speech_s=o.min_speech_s
        )
        self._barge_cfg = vadmod.EndpointConfig(silence_s=o.endpoint_silence_s, min_speech_s=o.barge_in_min_s)
        self.ep = vadmod.Endpointer(self._listen_cfg)
        self.barge = vadmod.Endpointer(self._barge_cfg)
        self.hotwords = scenario.asr_hotwords() if options.asr_hotwords else []
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="vasim-asr")
        # stream state
        self.stream_t = 0.0  # seconds of microphone audio consumed: the call's timeline for trainee speech
        self.t0 = 0.0  # clock time the call started
        self.speaking: Reply | None = None
        self.play_audio: np.ndarray | None = None
        self.play_start_t = 0.0
        self.play_start_clock = 0.0
        self.buf: list[np.ndarray] = []  # VAD frames since listening (or playback) began
        self.probs: list[float] = []
        self.buf_start_t = 0.0
        self.listen_since = 0.0  # clock time the trainee's turn began (for silence re-prompts)
        self.last_speech_clock = 0.0
        self._last_speech_t = -1.0
        self.segments: list[_Segment] = []  # the turn so far, recognised pause by pause
        self._paused = False  # this pause already closed a segment
        self.ep_offset_frames = 0  # frames dropped from the front of ``buf`` since the endpointer's reset
        self._pending = np.zeros(0, dtype=np.float32)
        self._latency_pending: TurnLatency | None = None
        self.deaf_until = 0.0

    # ------------------------------------------------------------------ frames
    def _frames(self) -> Iterator[np.ndarray]:
        """The source re-cut into 512-sample VAD frames."""
        for chunk in self.source:
            buf = np.concatenate([self._pending, np.asarray(chunk, dtype=np.float32).reshape(-1)])
            n = len(buf) // VAD_FRAME
            for i in range(n):
                yield buf[i * VAD_FRAME : (i + 1) * VAD_FRAME]
            self._pending = buf[n * VAD_FRAME :]

    def _prob(self, frame: np.ndarray) -> float:
        return float(self.vad.process(frame))

    # ------------------------------------------------------------------ the loop
    def run(self) -> CallResult:
        p = self.call.patient
        view = self.call.view
        o = self.options
        t_start = self.t0 = self.clock.now()
        self._listen(self.clock.now())
        try:
            first = p.start()
            if first is not None:
                self._say(first, None)
            elif self.trainee is not None:
                self.trainee.call_answered()
            view.status("Ringing... answer the call" if first is None else f"{self.scenario.patient.name} is speaking")
            for frame in self._frames():
                self.stream_t += len(frame) / ASR_RATE
                now = self.clock.now()
                if self.speaking is not None:
                    if not self.sink.playing:
                        self._patient_done(interrupted=False)
                        if p.ended:
                            break
                        continue
                    if o.barge_in:
                        self._barge_frame(frame, now)
                    continue
                if p.ended and not self.ep.in_turn and now - self.listen_since >= o.endpoint_silence_s:
                    break  # the caller hung up while the trainee talked over their last words
                if now < self.deaf_until:
                    continue
                if self._listen_frame(frame, now):
                    if p.ended and self.speaking is None:
                        break
                    continue
                if not self.ep.in_turn:
                    if self.trainee is not None and self.trainee.hung_up:
                        p.trainee_hung_up()
                        break
                    wait = o.signoff_wait_s if p.closing else o.reprompt_after_s
                    if now - self.listen_since >= wait and (self.trainee is None or not self.trainee.busy):
                        if not p.closing:
                            self.call.add_trainee(
                                "", (), self.stream_t - (now - self.listen_since), self.stream_t, "silence"
                            )
                        self._say(p.silence(), None)
                if now - t_start > o.max_call_s:
                    p.trainee_hung_up()
                    break
            else:
                p.trainee_hung_up()  # the microphone stopped
            if self.speaking is not None:  # the patient's last words (a goodbye) play out
                self.sink.wait(timeout=30)
                self._patient_done(interrupted=False)
        except KeyboardInterrupt:
            p.trainee_hung_up()
            if self.speaking is not None:
                self.sink.stop()
                self._patient_done(interrupted=True)
        finally:
            self._pool.shutdown(wait=False, cancel_futures=True)
            try:
                self.source.close()
            except Exception:
                pass
        view.status("Call ended, scoring...")
        result = self.call.finish()
        view.close()
        return result

    # ------------------------------------------------------------------ listening
    def _listen(self, now: float) -> None:
        self.ep.reset()
        self.vad.reset()
        self.buf, self.probs = [], []
        self.buf_start_t = self.stream_t
        self.ep_offset_frames = 0
        self.listen_since = now
        self.segments, self._paused = [], False
        self._last_speech_t = -1.0

    def _listen_frame(self, frame: np.ndarray, now: float) -> bool:
        """Feed one frame; True when a turn was completed (and answered)."""
        prob = self._prob(frame)
        self.buf.append(frame)
        self.probs.append(prob)
        ev = self.ep.update(prob)
        return self._after_update(ev, now)

    def _after_update(self, ev, now: float) -> bool:
        if self.ep.in_turn and self.ep.last_speech_t != self._last_speech_t:
            self._last_speech_t = self.ep.last_speech_t
            self.last_speech_clock = now
        if ev is not None and ev.kind == "speech_start":
            self.call.view.status("You are speaking...")
            self.listen_since = now
            return False
        if ev is not None and ev.kind == "end_of_turn":
            return self._end_of_turn(now)
        if not self.ep.in_turn:
            if len(self.buf) > int(30 / (VAD_FRAME / ASR_RATE)):  # keep a bounded pre-roll while nobody speaks
                keep = int(2 / (VAD_FRAME / ASR_RATE))
                drop = len(self.buf) - keep
                self.buf, self.probs = self.buf[drop:], self.probs[drop:]
                self.buf_start_t += drop * VAD_FRAME / ASR_RATE
                self.ep_offset_frames += drop
            return False
        # a pause inside the turn: recognise what was said up to here, in the background, so at the
        # end of the turn only the last stretch is left to do
        if self.ep.silence_s == 0.0:
            self._paused = False
        elif self.ep.silence_s >= self.options.early_asr_s and not self._paused:
            self._paused = True
            self._close_segment(len(self.buf), min_s=self.options.min_segment_s)
        # Mid-number patience is decided on the text of every stretch closed so far, in the frame
        # before the turn would end without it; the partial passes are waited for there (the end of
        # the turn would wait for them anyway). So where a turn ends depends on the audio alone, not
        # on how fast the recognizer ran on this machine today.
        if self.segments and not self.ep.patient and self._ends_next_frame():
            try:
                self.ep.set_partial(self._segments_text())
            except Exception:
                pass
        return False

    def _ends_next_frame(self) -> bool:
        return self.ep.silence_s + self.ep.frame_s >= self._listen_cfg.silence_s - 1e-9

    def _close_segment(self, end: int, min_s: float = 0.0) -> None:
        start = (
            self.segments[-1].end
            if self.segments
            else max(0, self._frame_index(self.ep.turn_start - self.options.preroll_s))
        )
        if end > start and (end - start) * VAD_FRAME / ASR_RATE >= min_s:
            audio = np.concatenate(self.buf[start:end])
            self.segments.append(_Segment(start, end, self._pool.submit(self._recognize, audio)))

    def _segments_text(self, wait: bool = True) -> str:
        texts = [seg.future.result()[0] for seg in self.segments if wait or seg.future.done()]
        return " ".join(t for t in texts if t)

    def _segments_words(self) -> tuple[HeardWord, ...]:
        return tuple(w for seg in self.segments for w in seg.future.result()[1])

    def _frame_index(self, t_ep: float) -> int:
        """Index into ``buf`` of endpointer time ``t_ep`` (seconds since its reset)."""
        return int(round(t_ep / (VAD_FRAME / ASR_RATE))) - self.ep_offset_frames

    def _turn_audio(self, upto: int) -> np.ndarray:
        start = max(0, self._frame_index(self.ep.turn_start - self.options.preroll_s))
        return np.concatenate(self.buf[start:upto]) if upto > start else np.zeros(0, np.float32)

    def _recognize(self, audio: np.ndarray) -> tuple[str, tuple[HeardWord, ...], float]:
        t0 = time.perf_counter()
        tr = self.recognizer.transcribe(audio, hotwords=self.hotwords or None)
        text, words = heard(tr)
        return _clean_asr(text), words, (time.perf_counter() - t0) * 1000

    def _end_of_turn(self, now: float) -> bool:
        endpoint_ms = max(0.0, (now - self.last_speech_clock) * 1000)
        speech_end_idx = self._frame_index(self.ep.last_speech_t) + 2  # keep ~64 ms of the tail
        upto = min(len(self.buf), max(speech_end_idx, 1))
        early = bool(self.segments) and self.segments[-1].end >= upto  # nothing new since the last pause
        if not early:
            self._close_segment(upto)
        t0 = time.perf_counter()
        try:
            text = _clean_asr(self._segments_text())
        except Exception as exc:
            raise RuntimeFailure(f"speech recognition failed: {exc}") from exc
        asr_wait_ms = (time.perf_counter() - t0) * 1000
        asr_compute_ms = sum(seg.future.result()[2] for seg in self.segments)
        words = self._segments_words()
        t1 = time.perf_counter()
        heard, unsure = self.call.understand(text, words)
        if len(self.segments) > 1 and self.call.patient.doubt_matters(text, heard.ids, unsure):
            # Unsure words decide whether the caller asks "Sorry, what?". Near the seams between
            # stretches recognised pause by pause, word probabilities depend on where the pauses
            # were cut, and a busy machine cuts a few frames differently; one pass over the whole
            # turn does not. Only such turns pay for the extra pass.
            text, words, compute_ms = self._recognize(self._turn_audio(upto))
            asr_compute_ms += compute_ms
            heard, unsure = self.call.understand(text, words)
        behaviors = tuple(sorted(heard.ids))
        detect_ms = (time.perf_counter() - t1) * 1000
        audio = self._turn_audio(upto)
        start_t = self.buf_start_t + max(0, self._frame_index(self.ep.turn_start)) * VAD_FRAME / ASR_RATE
        end_t = self.buf_start_t + upto * VAD_FRAME / ASR_RATE
        if not text:  # a cough, a noise: not a turn
            self._listen(now)
            return False
        p = self.call.patient
        if p.ended:  # said over the caller's last words (barge-in): kept, and nobody answers
            self.call.add_trainee(text, behaviors, start_t, end_t, "speech", audio, ASR_RATE, words=words)
            return True
        t2 = time.perf_counter()
        reply = p.respond(heard, unsure=unsure)
        decide_ms = detect_ms + (time.perf_counter() - t2) * 1000
        self._say(
            reply,
            dict(
                endpoint=endpoint_ms,
                asr=asr_wait_ms,
                decide=decide_ms,
                early_asr=early,
                asr_compute=asr_compute_ms,
                segments=len(self.segments),
            ),
            trainee=(text, behaviors, start_t, end_t, audio, words),
        )
        return True

    # ------------------------------------------------------------------ speaking
    def _say(self, reply: Reply, parts: dict | None, trainee: _TraineeTurn | None = None) -> None:
        """Start the patient's line; the trainee's turn is journaled right after the first audio is out."""
        view = self.call.view
        if not reply.text:  # hangs up without a word
            if trainee is not None:
                self.call.add_trainee(*trainee[:4], "speech", trainee[4], ASR_RATE, words=trainee[5])
            at = self._call_t()
            self.call.add_patient(reply, at, at, latency=self._latency(parts, 0.0))
            view.turn("patient", "", "hangs up")
            return
        t0 = time.perf_counter()
        audio = self.bank.get(reply.text)
        self.sink.play(audio, self.bank.sample_rate)
        tts_ms = (time.perf_counter() - t0) * 1000
        now = self.clock.now()
        self.speaking = reply
        self.play_audio = audio
        self.play_start_t = self._call_t(now)
        self.play_start_clock = now
        self._latency_pending = self._latency(parts, tts_ms, now)
        if trainee is not None:  # durable before the next turn, but after the patient started speaking
            self.call.add_trainee(*trainee[:4], "speech", trainee[4], ASR_RATE, words=trainee[5])
        view.turn("patient", reply.text, "hangs up" if reply.ended else "")
        view.status(f"{self.scenario.patient.name} is speaking...")
        # barge-in listening starts with the line
        self.barge.reset()
        self.vad.reset()
        self.buf, self.probs = [], []
        self.buf_start_t = self.stream_t
        self.ep_offset_frames = 0
        self.segments, self._paused = [], False
        if self.trainee is not None:
            self.trainee.patient_started()

    def _call_t(self, now: float | None = None) -> float:
        """Seconds since the call started. The microphone's position lags the clock while a turn is
        being recognised (its frames queue up), so events that happen *now* use the clock."""
        now = self.clock.now() if now is None else now
        return max(self.stream_t, now - self.t0)

    def _latency(self, parts: dict | None, tts_ms: float, now: float | None = None) -> TurnLatency | None:
        if parts is None:
            return None
        now = self.clock.now() if now is None else now
        v2v = max(0.0, (now - self.last_speech_clock) * 1000)
        return TurnLatency(
            parts["endpoint"],
            parts["asr"],
            parts["decide"],
            tts_ms,
            v2v,
            parts.get("early_asr", False),
            parts.get("asr_compute"),
            parts.get("segments", 0),
        )

    def _barge_frame(self, frame: np.ndarray, now: float) -> None:
        prob = self._prob(frame)
        self.buf.append(frame)
        self.probs.append(prob)
        ev = self.barge.update(prob)
        if ev is None or ev.kind != "speech_start":
            return
        self.sink.stop()
        self.call.writer.event("barge_in", at=round(self.stream_t, 3))
        self._patient_done(interrupted=True)
        # the talk-over becomes the trainee's turn: replay its frames into the listening endpointer
        # (``buf`` was started with the line, so endpointer time and buffer index stay aligned)
        self.ep.reset()
        self.ep_offset_frames = 0
        self.segments, self._paused = [], False
        for pr in self.probs:
            self.ep.update(pr)
        self._last_speech_t = self.ep.last_speech_t
        self.last_speech_clock = now
        self.listen_since = now
        self.call.view.status("You are speaking...")

    def _patient_done(self, interrupted: bool) -> None:
        reply = self.speaking
        if reply is None:
            return
        now = self.clock.now()
        audio = self.play_audio if self.play_audio is not None else np.zeros(0, np.float32)
        rate = self.bank.sample_rate
        played = audio if not interrupted else audio[: int(max(0.0, now - self.play_start_clock) * rate)]
        end_t = self.play_start_t + len(played) / rate
        self.call.add_patient(
            reply,
            self.play_start_t,
            end_t,
            interrupted=interrupted,
            latency=self._latency_pending,
            audio=played,
            sample_rate=rate,
        )
        self.speaking = None
        self.play_audio = None
        if interrupted:
            return  # the barge-in carries on listening from the frames it has
        if self.call.patient.ended:
            return
        self._listen(now)
        if not self.options.barge_in:  # what is still in the speaker's buffer must not become a turn
            self.deaf_until = now + self.options.echo_guard_s
        if self.trainee is not None:
            self.trainee.patient_finished(interrupted, asked_again=reply.kind == "clarify")
        if not interrupted:
            self.call.view.status("Your turn: speak now")
