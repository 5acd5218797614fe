"""Audio in and out: microphones, speakers, files, memory and virtual devices.

An :class:`AudioSource` is an iterator of float32 mono frames at ``sample_rate``; an
:class:`AudioSink` plays float32 audio without blocking, can be stopped (barge-in) and
waited for. Implementations:

* :class:`DeviceSource` / :class:`DeviceSink`: real devices through sounddevice
  (PortAudio), chosen by index or name substring, with sample-rate conversion.
* :class:`ArraySource`, :class:`FileSource`, :class:`MemorySink`, :class:`FileSink`.
* :class:`VirtualMicrophone` feeds queued clips in real-time ticks (20 ms) with silence
  between turns, and :class:`VirtualSpeaker` consumes audio in real time and records what
  was played (cut short by ``stop()``). Both run on an injectable :class:`Clock`, so tests
  can use ``simulator.testing.ManualClock`` and run instantly.
"""

from __future__ import annotations

import collections
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from simulator.errors import RuntimeFailure, UserError

NO_DEVICE_HINT = "use --text mode (or --virtual-audio for a scripted trainee)"


# ---------------------------------------------------------------- interfaces


class Clock(Protocol):
    def now(self) -> float:
        """Seconds, monotonic."""
        ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class AudioSource(Protocol):
    sample_rate: int

    def __iter__(self) -> Iterator[np.ndarray]:
        """float32 mono frames (the last one may be shorter)."""
        ...

    def close(self) -> None: ...


class AudioSink(Protocol):
    def play(self, audio: np.ndarray, sample_rate: int) -> None:
        """Start playing (replacing anything playing) and return at once."""
        ...

    def stop(self) -> None:
        """Stop now (barge-in)."""
        ...

    def wait(self, timeout: float | None = None) -> bool:
        """Block until playback ends; False on timeout."""
        ...

    @property
    def playing(self) -> bool: ...

    def close(self) -> None: ...


# ---------------------------------------------------------------- helpers


def to_mono_float32(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio)
    if audio.dtype.kind in "iu":
        audio = audio.astype(np.float32) / float(np.iinfo(audio.dtype).max)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    return np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)


def resample(audio: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    from simulator.speech.tts import resample as _resample

    return _resample(audio, src_rate, dst_rate)


def read_audio(path: str | Path, sample_rate: int | None = 16000) -> tuple[np.ndarray, int]:
    """Read any libsndfile format as float32 mono, resampled to ``sample_rate`` (None: keep)."""
    import soundfile as sf

    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path}: is a directory, expected an audio file")
    try:
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise UserError(f"{path}: not a readable audio file (WAV, FLAC or OGG): {str(exc).splitlines()[0]}") from None
    audio = to_mono_float32(audio)
    if sample_rate and rate != sample_rate:
        audio, rate = resample(audio, rate, sample_rate), sample_rate
    return audio, rate


def write_audio(path: str | Path, audio: np.ndarray, sample_rate: int) -> Path:
    import soundfile as sf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.clip(to_mono_float32(audio), -1, 1), sample_rate, subtype="PCM_16")
    return path


def frames(audio: np.ndarray, frame_samples: int) -> Iterator[np.ndarray]:
    for i in range(0, len(audio), frame_samples):
        yield audio[i : i + frame_samples]


# ---------------------------------------------------------------- memory and files


class ArraySource:
    """Frames of an in-memory array, as fast as they are read."""

    def __init__(self, audio: np.ndarray, sample_rate: int = 16000, frame_s: float = 0.02):
        self.audio = to_mono_float32(audio)
        self.sample_rate = sample_rate
        self.frame_samples = max(1, int(round(frame_s * sample_rate)))
        self.closed = False

    def __iter__(self) -> Iterator[np.ndarray]:
        for f in frames(self.audio, self.frame_samples):
            if self.closed:
                return
            yield f

    def close(self) -> None:
        self.closed = True


class FileSource(ArraySource):
    """Frames of an audio file, resampled to ``sample_rate``."""

    def __init__(self, path: str | Path, sample_rate: int = 16000, frame_s: float = 0.02):
        audio, _ = read_audio(path, sample_rate)
        super().__init__(audio, sample_rate, frame_s)


class MemorySink:
    """Plays instantly into memory: ``played`` holds (audio, sample_rate) per call."""

    def __init__(self):
        self.played: list[tuple[np.ndarray, int]] = []
        self.stops = 0

    def play(self, audio: np.ndarray, sample_rate: int) -> None:
        self.played.append((to_mono_float32(audio), sample_rate))

    def stop(self) -> None:
        self.stops += 1

    def wait(self, timeout: float | None = None) -> bool:
        return True

    @property
    def playing(self) -> bool:
        return False

    def close(self) -> None:
        pass


class FileSink(MemorySink):
    """Like :class:`MemorySink`; on close writes everything played, in order, to ``path``."""

    def __init__(self, path: str | Path, sample_rate: int = 22050):
        super().__init__()
        self.path = Path(path)
        self.sample_rate = sample_rate

    def close(self) -> None:
        parts = [resample(a, r, self.sample_rate) for a, r in self.played]
        write_audio(self.path, np.concatenate(parts) if parts else np.zeros(0, np.float32), self.sample_rate)


# ---------------------------------------------------------------- virtual devices (real time)


class VirtualMicrophone:
    """A microphone that "speaks" queued clips in real-time ticks, silence in between.

    Each clip is preceded by ``gap_s`` of silence. While nothing is queued it yields
    silence; once the queue is empty and ``stop_when_idle_s`` of silence has passed it
    stops (``None``: never, until :meth:`close`). Frames are paced by ``clock``.
    """

    def __init__(self, clips: Iterable[np.ndarray] = (), *, sample_rate: int = 16000, tick_s: float = 0.02,
                 gap_s: float = 0.5, clock: Clock | None = None, stop_when_idle_s: float | None = 1.0):  # fmt: skip
        self.sample_rate = sample_rate
        self.tick_samples = max(1, int(round(tick_s * sample_rate)))
        self.tick_s = self.tick_samples / sample_rate
        self.gap_s = gap_s
        self.clock = clock or RealClock()
        self.stop_when_idle_s = stop_when_idle_s
        self._queue: collections.deque[np.ndarray] = collections.deque()
        self._lock = threading.Lock()
        self.closed = False
        self.spoken: list[tuple[float, float]] = []  # (start, end) clock times of each clip
        for c in clips:
            self.say(c)

    def say(self, audio: np.ndarray) -> None:
        """Queue a clip (float32 mono at ``sample_rate``), after ``gap_s`` of silence."""
        gap = np.zeros(int(self.gap_s * self.sample_rate), dtype=np.float32)
        with self._lock:
            self._queue.append(gap)
            self._queue.append(to_mono_float32(audio))

    @property
    def idle(self) -> bool:
        with self._lock:
            return not self._queue

    def __iter__(self) -> Iterator[np.ndarray]:
        t0 = self.clock.now()
        n = 0
        idle_s = 0.0
        current = np.zeros(0, dtype=np.float32)
        pos = 0
        clip_index = 0  # odd entries of the queue are clips
        started: float | None = None
        while not self.closed:
            frame = np.zeros(self.tick_samples, dtype=np.float32)
            filled = 0
            while filled < self.tick_samples:
                if pos >= len(current):
                    if started is not None:
                        self.spoken.append((started, t0 + (n * self.tick_samples + filled) / self.sample_rate))
                        started = None
                    with self._lock:
                        if not self._queue:
                            break
                        current, pos = self._queue.popleft(), 0
                    clip_index += 1
                    if clip_index % 2 == 0:
                        started = t0 + (n * self.tick_samples + filled) / self.sample_rate
                    continue
                take = min(self.tick_samples - filled, len(current) - pos)
                frame[filled : filled + take] = current[pos : pos + take]
                filled, pos = filled + take, pos + take
            busy = filled > 0 or pos < len(current)
            idle_s = 0.0 if busy else idle_s + self.tick_s
            n += 1
            self.clock.sleep(t0 + n * self.tick_s - self.clock.now())  # real-time pacing
            yield frame
            if self.stop_when_idle_s is not None and idle_s >= self.stop_when_idle_s and self.idle:
                return

    def close(self) -> None:
        self.closed = True


class VirtualSpeaker:
    """A speaker that plays in (clock) real time and records what was actually heard.

    ``played`` lists (start time, audio heard, sample_rate): a clip cut by :meth:`stop`
    keeps only what had been played by then.
    """

    def __init__(self, clock: Clock | None = None):
        self.clock = clock or RealClock()
        self.played: list[tuple[float, np.ndarray, int]] = []
        self._current: tuple[float, np.ndarray, int] | None = None
        self._lock = threading.Lock()

    def play(self, audio: np.ndarray, sample_rate: int) -> None:
        with self._lock:
            self._finish(self.clock.now())
            self._current = (self.clock.now(), to_mono_float32(audio), sample_rate)

    def _finish(self, t: float) -> None:
        """Record what was heard by clock time ``t``: the whole clip once ``t`` reaches its end.

        The end is compared in samples, rounded: ``(start + n / rate - start) * rate`` is not
        always ``n`` in floating point, and flooring it lost a reply's last sample."""
        if self._current is None:
            return
        start, audio, rate = self._current
        heard = int(round(max(0.0, t - start) * rate))
        self.played.append((start, audio[: min(len(audio), heard)], rate))
        self._current = None

    def _end_time(self) -> float | None:
        if self._current is None:
            return None
        start, audio, rate = self._current
        return start + len(audio) / rate

    @property
    def playing(self) -> bool:
        with self._lock:
            end = self._end_time()
            if end is not None and self.clock.now() >= end:
                self._finish(end)
                return False
            return end is not None

    def stop(self) -> None:
        with self._lock:
            end = self._end_time()
            if end is not None:
                self._finish(min(self.clock.now(), end))

    def wait(self, timeout: float | None = None) -> bool:
        with self._lock:
            end = self._end_time()
        if end is None:
            return True
        remaining = end - self.clock.now()
        if timeout is not None and remaining > timeout:
            self.clock.sleep(timeout)
            return False
        self.clock.sleep(remaining)
        with self._lock:
            if self._current is not None and self._end_time() == end:
                self._finish(end)
        return True

    def close(self) -> None:
        self.stop()

    def recording(self, sample_rate: int) -> np.ndarray:
        """Everything heard so far, at ``sample_rate``, laid out on the clock (silence between)."""
        if not self.played:
            return np.zeros(0, dtype=np.float32)
        t0 = self.played[0][0]
        parts = [(int((s - t0) * sample_rate), resample(a, r, sample_rate)) for s, a, r in self.played]
        out = np.zeros(max(o + len(a) for o, a in parts), dtype=np.float32)
        for o, a in parts:
            out[o : o + len(a)] += a
        return out


# ---------------------------------------------------------------- real devices (sounddevice)


def has_sound_devices() -> bool:
    """True when PortAudio finds both an input and an output device."""
    try:
        devices = list_devices()
    except Exception:
        return False
    return any(d.inputs > 0 for d in devices) and any(d.outputs > 0 for d in devices)


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    hostapi: str
    inputs: int  # max input channels
    outputs: int  # max output channels
    default_samplerate: float
    default_input: bool
    default_output: bool


def _sd():
    try:
        import sounddevice as sd
    except OSError as exc:  # PortAudio library missing
        raise UserError(f"no audio system available ({exc}); {NO_DEVICE_HINT}") from None
    return sd


def refresh_devices() -> None:
    """Re-scan devices (PortAudio lists them once, when first initialised)."""
    sd = _sd()
    sd._terminate()
    sd._initialize()


def list_devices() -> list[DeviceInfo]:
    sd = _sd()
    devices = sd.query_devices()
    apis = sd.query_hostapis()
    d_in, d_out = sd.default.device
    return [
        DeviceInfo(
            i,
            d["name"],
            apis[d["hostapi"]]["name"],
            d["max_input_channels"],
            d["max_output_channels"],
            float(d["default_samplerate"]),
            i == d_in,
            i == d_out,
        )
        for i, d in enumerate(devices)
    ]


def find_device(spec: int | str | None, kind: str) -> int:
    """Index of the input or output device named by ``spec`` (index, or name substring)."""
    want = "inputs" if kind == "input" else "outputs"
    devices = [d for d in list_devices() if getattr(d, want) > 0]
    if not devices:
        raise UserError(f"no audio {kind} device found; {NO_DEVICE_HINT}")
    if spec is None or spec == "":
        default = [d for d in devices if (d.default_input if kind == "input" else d.default_output)]
        return (default or devices)[0].index
    if isinstance(spec, int) or str(spec).isdigit():
        idx = int(spec)
        if not any(d.index == idx for d in devices):
            raise UserError(f"no audio {kind} device with index {idx}: see `vasim devices`")
        return idx
    s = str(spec).lower()
    exact = [d for d in devices if d.name.lower() == s]
    matches = exact or [d for d in devices if s in d.name.lower()]
    if not matches:
        raise UserError(f"no audio {kind} device matches {spec!r}: see `vasim devices`")
    return matches[0].index


def _supported_rate(sd, device: int, kind: str, rate: int) -> int:
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    try:
        check(device=device, samplerate=rate, channels=1, dtype="float32")
        return rate
    except Exception:
        return int(sd.query_devices(device)["default_samplerate"])


class DeviceSource:
    """A microphone stream: float32 mono frames at ``sample_rate`` (resampled if needed)."""

    def __init__(self, device: int | str | None = None, *, sample_rate: int = 16000, frame_s: float = 0.02):
        sd = _sd()
        self.device = find_device(device, "input")
        self.sample_rate = sample_rate
        self.device_rate = _supported_rate(sd, self.device, "input", sample_rate)
        self.frame_samples = max(1, int(round(frame_s * self.device_rate)))
        self._queue: queue.Queue[np.ndarray] = queue.Queue()
        self.overflows = 0
        try:
            self._stream = sd.InputStream(
                device=self.device, channels=1, samplerate=self.device_rate, dtype="float32",
                blocksize=self.frame_samples, callback=self._callback,
            )  # fmt: skip
            self._stream.start()
        except sd.PortAudioError as exc:
            raise RuntimeFailure(f"cannot open audio input {self.device}: {exc}") from None
        self.closed = False

    def _callback(self, indata, frames_, time_info, status) -> None:
        if status.input_overflow:
            self.overflows += 1
        self._queue.put(indata[:, 0].copy())

    def __iter__(self) -> Iterator[np.ndarray]:
        while not self.closed:
            try:
                block = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            yield resample(block, self.device_rate, self.sample_rate)

    def read(self, seconds: float) -> np.ndarray:
        """Record ``seconds`` of audio (blocking)."""
        need = int(seconds * self.sample_rate)
        got: list[np.ndarray] = []
        n = 0
        for f in self:
            got.append(f)
            n += len(f)
            if n >= need:
                break
        return np.concatenate(got)[:need] if got else np.zeros(0, np.float32)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._stream.stop()
            self._stream.close()


class DeviceSink:
    """A speaker: non-blocking playback through a PortAudio output stream."""

    def __init__(self, device: int | str | None = None, *, latency: float = 0.08):
        self._sd = _sd()
        self.latency = latency  # seconds PortAudio buffers: lower means underruns on a busy CPU
        self.device = find_device(device, "output")
        self._stream: Any | None = None  # a sounddevice.OutputStream (untyped)
        self._rate = 0
        self._buf: np.ndarray | None = None
        self._pos = 0
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._done.set()

    def _open(self, rate: int) -> None:
        if self._stream is not None and self._rate == rate:
            return
        if self._stream is not None:
            self._stream.close()
        try:
            self._stream = self._sd.OutputStream(
                device=self.device,
                channels=1,
                samplerate=rate,
                dtype="float32",
                callback=self._callback,
                latency=self.latency,
            )
            self._stream.start()
        except self._sd.PortAudioError as exc:
            raise RuntimeFailure(f"cannot open audio output {self.device}: {exc}") from None
        self._rate = rate

    def _callback(self, outdata, frames_, time_info, status) -> None:
        with self._lock:
            if self._buf is None:
                outdata.fill(0)
                return
            chunk = self._buf[self._pos : self._pos + frames_]
            outdata[: len(chunk), 0] = chunk
            outdata[len(chunk) :] = 0
            self._pos += len(chunk)
            if self._pos >= len(self._buf):
                self._buf = None
                self._done.set()

    def play(self, audio: np.ndarray, sample_rate: int) -> None:
        rate = _supported_rate(self._sd, self.device, "output", sample_rate)
        audio = resample(to_mono_float32(audio), sample_rate, rate)
        self.stop()
        self._open(rate)
        with self._lock:
            self._buf, self._pos = audio, 0
            self._done.clear()

    def stop(self) -> None:
        with self._lock:
            self._buf = None
            self._done.set()

    @property
    def playing(self) -> bool:
        return not self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        if not self._done.wait(timeout):
            return False
        if self._stream is not None:  # what PortAudio still holds
            time.sleep(float(self._stream.latency))
        return True

    def close(self) -> None:
        self.stop()
        if self._stream is not None:
            self._stream.close()
            self._stream = None


# ---------------------------------------------------------------- streamed devices (a browser, a socket)


class PushMicrophone:
    """A microphone whose audio is pushed in from elsewhere (the browser app's WebSocket).

    :meth:`push` takes float32 (or int16) mono chunks at ``sample_rate`` from any thread; iterating
    yields them in order, as a real microphone would, in real time because the sender records in
    real time. The stream ends on :meth:`close` (hang-up, the connection dropped) or when nothing
    arrives for ``stall_s`` (a page that stopped sending): the call then ends as when a headset
    is pulled, with every finished turn journalled.
    """

    def __init__(self, sample_rate: int = 16000, *, stall_s: float | None = 10.0):
        self.sample_rate = sample_rate
        self.stall_s = stall_s
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue()
        self.closed = False
        self.stalled = False
        self.received_s = 0.0  # seconds of audio pushed so far
        self.peak = 0.0  # loudest sample so far (the page warns about a silent microphone)

    def push(self, chunk: np.ndarray) -> None:
        if self.closed:
            return
        audio = to_mono_float32(chunk)
        if len(audio):
            self.received_s += len(audio) / self.sample_rate
            self.peak = max(self.peak, float(np.max(np.abs(audio))))
            self._queue.put(audio)

    def __iter__(self) -> Iterator[np.ndarray]:
        while not self.closed:
            try:
                chunk = self._queue.get(timeout=self.stall_s)
            except queue.Empty:
                self.stalled = True
                return
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._queue.put(None)


class StreamSpeaker(VirtualSpeaker):
    """A speaker that hands each line to ``send(audio, sample_rate)`` (the browser plays it) and
    ``stop()`` to ``on_stop()`` (barge-in: the page drops what it has not played yet).

    Playback is timed on the clock as the listener hears it, like :class:`VirtualSpeaker`, so
    ``playing`` and ``wait`` say when the line is over at the other end, and ``played`` keeps
    what was heard (cut short by a barge-in)."""

    def __init__(self, send, on_stop=None, clock: Clock | None = None):
        super().__init__(clock)
        self._send = send
        self._on_stop = on_stop

    def play(self, audio: np.ndarray, sample_rate: int) -> None:
        super().play(audio, sample_rate)
        self._send(to_mono_float32(audio), sample_rate)

    def stop(self) -> None:
        was = self.playing
        super().stop()
        if was and self._on_stop is not None:
            self._on_stop()
