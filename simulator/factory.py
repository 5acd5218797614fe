"""The one place that builds real models and devices.

Everything else receives objects through the small interfaces of each stage
(``asr.Recognizer``, ``tts.Synthesizer``, ``vad.Endpointer``, ``audio.AudioSource`` /
``AudioSink``, ``detect.Embedder`` / ``Detector``); tests pass the fakes in
``simulator.testing`` instead. Heavy imports happen inside these functions.
"""

from __future__ import annotations
