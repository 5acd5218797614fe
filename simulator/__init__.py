"""va-simulator: an offline speech role-play trainer for healthcare virtual assistants.

The package is one module per stage of a practice call (see README and DESIGN):
``scenario`` (YAML format and loader), ``catalog`` (behavior catalog), ``asr``/``tts``/
``vad``/``audio`` (speech), ``detect``/``score`` (scoring), ``patient``/``session``
(the live call), ``store``/``report`` (results). ``factory`` is the only module that
builds real models and devices; ``testing`` holds the fakes.
"""

__version__ = "0.1.0"
