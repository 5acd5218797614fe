"""``vasim bench asr``: both Whisper engines side by side on the committed clips.

Each engine/model runs in its own subprocess, so load time includes the imports and
peak RSS is that engine's alone. Per engine: load time, real-time factor (RTF: seconds
of compute per second of audio) on the short ~3-5 s trainee utterances and on the long
file, WER over all clips, peak RSS; the median of ``--runs`` runs, after one warm-up.
A last subprocess loads ASR + TTS (+ VAD) together for the combined peak RSS.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from simulator.paths import REPO_DIR

CLIPS = REPO_DIR / "tests" / "data" / "clips"
TARGETS = {"rtf_short": 0.1, "load_s": 1.0, "wer": 0.05, "rss_asr_tts_mb": 600}


def add_arguments(parser) -> None:
    parser.add_argument("--runs", type=int, default=3, help="timed runs per clip (median), after one warm-up")
    parser.add_argument("--model", action="append", dest="models", help="tiny.en (default); repeat for base too")
    parser.add_argument("--engine", action="append", dest="engines", choices=["faster-whisper", "openai-whisper"],
                        help="default: both, side by side")  # fmt: skip
    parser.add_argument("--clips", default=str(CLIPS), help="directory with clips.json and the audio")


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(engine: str, model: str, clips_dir: str, runs: int) -> dict:
    """Runs in a fresh process: load, warm up, time every clip ``runs`` times."""
    t0 = time.perf_counter()
    if engine == "faster-whisper":
        import faster_whisper  # noqa: F401 - imports timed apart from the model load
    else:
        import whisper  # noqa: F401
    from simulator.speech import factory

    t1 = time.perf_counter()
    recognizer = factory.make_recognizer(engine, model)
    load_s = time.perf_counter() - t1
    import_s = t1 - t0
    from simulator.speech.asr import word_errors
    from simulator.speech.audio import read_audio

    refs = json.loads((Path(clips_dir) / "clips.json").read_text())
    clips = {name: read_audio(Path(clips_dir) / name)[0] for name in refs}
    recognizer.transcribe(clips[next(iter(clips))])  # warm-up
    times: dict[str, list[float]] = {name: [] for name in clips}
    texts: dict[str, str] = {}
    for _ in range(runs):
        for name, audio in clips.items():
            t = time.perf_counter()
            texts[name] = recognizer.transcribe(audio).text
            times[name].append(time.perf_counter() - t)
    out: dict = {
        "engine": engine,
        "model": model,
        "import_s": round(import_s, 3),
        "load_s": round(load_s, 3),
        "runs": runs,
    }
    for kind in ("short", "long"):
        names = [n for n in clips if refs[n].get("kind") == kind]
        dur = sum(len(clips[n]) / 16000 for n in names)
        per_run = [sum(times[n][i] for n in names) for i in range(runs)]
        out[f"rtf_{kind}"] = round(statistics.median(per_run) / dur, 4) if dur else None
        out[f"audio_{kind}_s"] = round(dur, 1)
    errors = [word_errors(refs[n]["text"], texts[n]) for n in clips]
    out["wer"] = round(sum(e for e, _ in errors) / sum(n for _, n in errors), 4)
    out["errors"] = {n: texts[n] for n, (e, _) in zip(clips, errors) if e}
    out["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    return out


def combined_worker(clips_dir: str) -> dict:
    """ASR + TTS + VAD loaded together, one turn each: the peak RSS of the speech stack."""
    from simulator.speech import factory
    from simulator.speech.audio import read_audio
    from simulator.speech.voice import VoiceProfile

    recognizer = factory.make_recognizer("faster-whisper", "tiny.en")
    tts = factory.make_synthesizer("piper", cache=False)
    vad = factory.make_vad()
    audio = read_audio(Path(clips_dir) / "greeting.flac")[0]
    vad.push(audio)
    recognizer.transcribe(audio)
    tts.synthesize("Hi, I got a bill and I don't understand it. Can you help me?", VoiceProfile())
    return {"engine": "faster-whisper+piper+silero", "model": "tiny.en", "peak_rss_mb": round(_peak_rss_mb(), 1)}


def _spawn(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "simulator.benchmarks.asr", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        from simulator.errors import RuntimeFailure

        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeFailure(f"benchmark worker {' '.join(args[:3])} failed: {tail}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(args) -> dict:
    models = args.models or ["tiny.en"]
    engines = args.engines or ["faster-whisper", "openai-whisper"]
    if "openai-whisper" in engines:
        from simulator.speech import models as model_files

        for m in models:
            model_files.convert(m)  # outside the timing: a one-off
    rows = [_spawn("--worker", e, m, args.clips, str(args.runs)) for m in models for e in engines]
    combined = _spawn("--combined", args.clips)
    ratios = {}
    for m in models:
        fw = next((r for r in rows if r["model"] == m and r["engine"] == "faster-whisper"), None)
        oa = next((r for r in rows if r["model"] == m and r["engine"] == "openai-whisper"), None)
        if fw and oa:
            ratios[m] = {
                k: round(oa[k] / fw[k], 2) for k in ("rtf_short", "rtf_long", "import_s", "load_s") if fw[k] and oa[k]
            }
    return {
        "benchmark": "asr",
        "command": "vasim bench asr " + " ".join(sys.argv[3:]).strip(),
        "cpu_threads": 2,
        "results": rows,
        "openai_over_faster": ratios,
        "asr_tts_peak_rss_mb": combined["peak_rss_mb"],
        "targets": TARGETS,
    }


def render(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="ASR benchmark (median of runs; RTF = compute s / audio s)")
    for col in ("engine", "model", "import s", "load s", "RTF short", "RTF long", "WER", "peak RSS MB"):
        table.add_column(col, justify="left" if col in ("engine", "model") else "right")
    t = result["targets"]
    for r in result["results"]:
        table.add_row(
            r["engine"], r["model"], f"{r['import_s']:.2f}", f"{r['load_s']:.2f}", f"{r['rtf_short']:.3f}", f"{r['rtf_long']:.3f}",
            f"{100 * r['wer']:.1f}%", f"{r['peak_rss_mb']:.0f}",
        )  # fmt: skip
    table.add_row(
        "target (tiny.en int8)",
        "",
        "",
        f"<= {t['load_s']}",
        f"<= {t['rtf_short']}",
        "",
        f"<= {100 * t['wer']:.0f}%",
        "",
    )
    console = Console(width=max(110, Console().width))
    console.print(table)
    for m, ratio in result["openai_over_faster"].items():
        console.print(f"{m}: openai-whisper / faster-whisper = " + ", ".join(f"{k} x{v}" for k, v in ratio.items()))
    console.print(
        f"peak RSS with ASR + TTS + VAD loaded: {result['asr_tts_peak_rss_mb']:.0f} MB (target <= {t['rss_asr_tts_mb']} MB)"
    )


if __name__ == "__main__":
    if sys.argv[1] == "--worker":
        _, _, engine, model, clips_dir, runs = sys.argv
        print(json.dumps(worker(engine, model, clips_dir, int(runs))))
    elif sys.argv[1] == "--combined":
        print(json.dumps(combined_worker(sys.argv[2])))
