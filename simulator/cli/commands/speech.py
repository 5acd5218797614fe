"""``vasim transcribe``, ``vasim say``, ``vasim devices``, ``vasim models list|convert``."""

from __future__ import annotations

import json
import sys

from simulator.errors import UserError


def register(sub) -> None:
    p = sub.add_parser("transcribe", help="transcribe audio files offline with Whisper")
    p.add_argument("audio", nargs="+", metavar="AUDIO", help="audio files (WAV, FLAC, OGG)")
    p.add_argument("--json", action="store_true", help="one JSON line per file: path, text, duration_s, segments")
    p.add_argument("--engine", default="faster-whisper", choices=["faster-whisper", "openai-whisper"])
    p.add_argument("--model", default="tiny.en", help="ASR model from models/manifest.yaml: tiny.en (default) or base")
    p.add_argument("--prompt", help="context text, e.g. the practice and patient names")
    p.add_argument("--hotword", action="append", default=[], help="a word to favour (repeatable)")
    p.set_defaults(func=cmd_transcribe)

    p = sub.add_parser("say", help="speak text with a patient voice (or write it to a WAV file)")
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--voice", default="joe", help="piper voice (joe) or an espeak-ng voice such as en-us+f3")
    p.add_argument("--engine", choices=["piper", "pyttsx3"], help="default: piper for piper voices, else pyttsx3")
    p.add_argument("--rate", type=float, default=1.0, help="speaking speed, 0.5-2.0 (1.0 normal)")
    p.add_argument("--pitch", type=float, default=1.0, help="pitch, 0.5-2.0 (1.0 the voice's own)")
    p.add_argument("-o", "--output", metavar="OUT.wav", help="write a WAV file instead of playing")
    p.add_argument("--device", help="output device index or name (see `vasim devices`)")
    p.set_defaults(func=cmd_say)

    p = sub.add_parser("devices", help="list audio input and output devices")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_devices)

    p = sub.add_parser("models", help="list the offline models, convert Whisper for openai-whisper")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", parser_class=type(p))
    lp = msub.add_parser("list", help="which models are installed and where")
    lp.add_argument("--json", action="store_true")
    lp.set_defaults(func=cmd_models_list)
    cp = msub.add_parser("convert", help="write an exact openai-whisper checkpoint of a CTranslate2 model")
    cp.add_argument("name", nargs="?", default="tiny.en", help="tiny.en (default) or base")
    cp.add_argument("--force", action="store_true", help="convert again even if up to date")
    cp.add_argument("--json", action="store_true")
    cp.set_defaults(func=cmd_models_convert)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def cmd_transcribe(args) -> int:
    from simulator.speech import factory, models
    from simulator.speech.audio import read_audio

    if args.model not in models.asr_models():
        raise UserError(f"unknown model {args.model!r}: choose one of {', '.join(models.asr_models())}")
    clips = [(path, read_audio(path, 16000)[0]) for path in args.audio]  # all inputs checked before loading
    recognizer = factory.make_recognizer(args.engine, args.model)
    for path, audio in clips:
        result = recognizer.transcribe(audio, prompt=args.prompt, hotwords=args.hotword or None)
        if args.json:
            print(json.dumps(result.to_json(path=path)), flush=True)
        elif len(clips) > 1:
            print(f"{path}: {result.text}", flush=True)
        else:
            print(result.text, flush=True)
    return 0


def cmd_say(args) -> int:
    from pydantic import ValidationError

    from simulator.speech import factory, models
    from simulator.speech.voice import VoiceProfile

    engine = args.engine or ("piper" if args.voice in models.manifest()["tts"]["piper"] else "pyttsx3")
    if not args.text.strip():
        raise UserError("TEXT is empty: give the words to say")
    try:
        voice = VoiceProfile(engine=engine, voice=args.voice, rate=args.rate, pitch=args.pitch)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise UserError(f"--{err['loc'][0]}: {err['msg']}") from None
    synth = factory.make_synthesizer(engine)
    audio = synth.synthesize(args.text, voice)
    if args.output:
        from simulator.speech.audio import write_audio

        if not args.output.lower().endswith((".wav", ".flac", ".ogg")):
            raise UserError(f"{args.output}: the output must end in .wav, .flac or .ogg")
        print(write_audio(args.output, audio, synth.sample_rate))
        return 0
    sink = factory.make_audio_sink(args.device)
    sink.play(audio, synth.sample_rate)
    sink.wait()
    sink.close()
    return 0


def cmd_devices(args) -> int:
    """List the audio devices; exit 2 with one line pointing to --text when a call could not run.

    A voice call needs a microphone and a speaker: with no input or no output device the
    list (if any) is still printed, then one error line says what is missing and what to use.
    """
    from dataclasses import asdict

    from simulator.errors import UserError
    from simulator.speech.audio import NO_DEVICE_HINT, list_devices

    devices = list_devices()
    if args.json:
        json.dump([asdict(d) for d in devices], sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif devices:
        for d in devices:
            marks = ("<" if d.default_input else " ") + (">" if d.default_output else " ")
            print(
                f"{marks} {d.index:3d} {d.name}  ({d.hostapi}, {d.inputs} in, {d.outputs} out, {d.default_samplerate:.0f} Hz)"
            )
        print("< default input, > default output")
    missing = [
        what
        for what, n in (
            ("input (microphone)", sum(d.inputs for d in devices)),
            ("output (speaker)", sum(d.outputs for d in devices)),
        )
        if n == 0
    ]
    if not devices:
        raise UserError(
            "no audio devices found; practise without a sound card: `vasim practice SCENARIO --text` "
            "(or --virtual-audio for a scripted trainee)"
        )
    if missing:
        raise UserError(
            f"no audio {' or '.join(missing)} device found; {NO_DEVICE_HINT}, e.g. `vasim practice SCENARIO --text`"
        )
    return 0


def cmd_models_list(args) -> int:
    from dataclasses import asdict

    from simulator.speech.models import list_models

    infos = list_models()
    if args.json:
        json.dump([asdict(i) for i in infos], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for i in infos:
        print(f"{'ok' if i.available else '--'}  {i.kind:6s} {i.name:18s} {i.path or i.note}")
    return 0


def cmd_models_convert(args) -> int:
    from dataclasses import asdict

    from simulator.speech import models

    if args.name not in models.asr_models():
        raise UserError(f"unknown model {args.name!r}: choose one of {', '.join(models.asr_models())}")
    result = models.convert(args.name, force=args.force)
    if args.json:
        print(json.dumps(asdict(result)))
    else:
        print(
            f"{result.path}: {result.tensors} tensors, exact (re-serialised model.bin matches sha256 {result.source_sha256[:12]}...)"
        )
    return 0
