"""Real recognition-style corpus lines: speak written lines with the project's voices and let
tiny.en hear them, so the mishearings are the ones a live call produces.

    .venv/bin/python scripts/asr_corpus.py [--per-batch 150] [BATCH.jsonl ...]

For each written batch (default: every ``scenarios/corpus/turns/*.jsonl`` that is not itself a
recognised batch), a fixed choice of lines (by a hash of the text, so reruns pick the same lines; lines already
recognised in an earlier run are kept) is synthesised in turn by piper's voice and by espeak-ng voices at a few rates, recognised by
faster-whisper tiny.en (the live call's recognizer), and written to ``BATCH.asr.jsonl`` with the
original labels (a line whose recognition lost more than 30% of its words is dropped),
``style: asr-real``, ``source`` (what was said) and ``batch: BATCH.asr``. The
labels stay those of the written line: docs/behaviors.md labels what the speaker plainly said.
Grouped evaluation keeps ``b01-x`` and ``b01-x.asr`` on the same side of a split.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.speech import factory  # noqa: E402
from simulator.speech.tts import resample  # noqa: E402
from simulator.speech.voice import VoiceProfile  # noqa: E402

VOICES = [
    VoiceProfile(engine="piper", voice="joe", rate=1.0),
    VoiceProfile(engine="pyttsx3", voice="en-us", rate=1.0),
    VoiceProfile(engine="piper", voice="joe", rate=1.15),
    VoiceProfile(engine="pyttsx3", voice="en-us+f3", rate=0.95),
    VoiceProfile(engine="pyttsx3", voice="en+m3", rate=1.1),
]


def _key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("batches", nargs="*", type=Path)
    ap.add_argument("--per-batch", type=int, default=150)
    args = ap.parse_args(argv)
    turns_dir = ROOT / "scenarios" / "corpus" / "turns"
    files = args.batches or sorted(p for p in turns_dir.glob("*.jsonl") if not p.name.endswith(".asr.jsonl"))
    recognizer = factory.make_recognizer()
    synth = factory.MultiSynthesizer(cache=False)
    for f in files:
        rows = [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
        written = [r for r in rows if r.get("style") not in ("asr", "asr-real", "typed")]
        chosen = sorted(written, key=lambda r: _key(r["text"]))[: args.per_batch]
        target = f.with_name(f.stem + ".asr.jsonl")
        # lines recognised before are kept as they are (recognition of a noisy voice varies by run)
        out = [json.loads(line) for line in target.read_text().splitlines() if line.strip()] if target.exists() else []
        done = {o["source"] for o in out}
        for i, r in enumerate(chosen):
            if r["text"] in done:
                continue
            voice = VOICES[i % len(VOICES)]
            audio = synth.synthesize(r["text"], voice)
            audio16 = resample(np.asarray(audio, dtype=np.float32), synth.get(voice.engine).sample_rate, 16000)
            heard = recognizer.transcribe(audio16).text.strip()
            if len(heard.split()) < 0.7 * len(r["text"].split()):
                continue  # recognition lost a third of the line: its labels may no longer hold
            row = {k: v for k, v in r.items() if k not in ("text", "style", "batch")}
            out.append({"text": heard, **row, "style": "asr-real", "source": r["text"], "batch": f"{r['batch']}.asr"})
            print(f"{f.stem} {i + 1}/{len(chosen)}: {heard[:70]}", file=sys.stderr, flush=True)
        target.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in out))
        print(f"wrote {len(out)} lines to {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
