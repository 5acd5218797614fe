"""Fakes for every device and model interface, for fast tests (and for plugin authors).

The real implementations are built by ``simulator.factory``; these stand-ins are small,
deterministic and need no model files or sound card.
"""

from __future__ import annotations


# ---------------------------------------------------------------------------------------------
# behavior detection (simulator.detect.Detector): substring rules, for scorer tests

from dataclasses import dataclass as _dataclass


@_dataclass(frozen=True)
class FakeDetection:
    """Same fields as ``simulator.detect.Detection``."""

    id: str
    confidence: float
    quote: str = ""


class FakeDetector:
    """Detects a behavior when its text contains one of a few lowercase substrings.

    Deterministic and instant, so scorer tests say exactly which behaviors a turn shows.
    Pass ``phrases`` (id -> substrings) to replace the defaults, which fit billing-frustrated.
    """

    DEFAULT: dict[str, tuple[str, ...]] = {
        "greet_practice": ("riverside",),
        "self_identify": ("this is sam", "my name is"),
        "verify_identity": ("date of birth", "date a birth"),
        "restate_issue": ("so you were", "so i understand", "if i'm hearing"),
        "empathy": ("i'm sorry", "i understand"),
        "use_name": ("ms. carter", "denise"),
        "take_ownership": ("let me look", "i can set up", "i'll send"),
        "advise_911": ("call 911", "nine one one"),
        "stay_on_line": ("stay on the line",),
        "transfer_clinical": ("transfer you to the nurse", "connect you with the nurse"),
        "crisis_line_988": ("988",),
        "flag_clinical": ("message for the nurse", "flag this for the clinical"),
        "route_records": ("records department",),
        "escalate_manager": ("practice manager",),
        "flag_billing": ("billing team", "billing specialist"),
        "offer_more_help": ("anything else",),
        "next_steps": ("business days", "within"),
        "warm_close": ("have a good day", "thank you for calling"),
        "medical_advice": ("you should take", "sounds like a"),
        "promise_outcome": ("definitely",),
        "override_clinical": ("i'll approve",),
        "argue": ("that's wrong",),
        "dismissive": ("calm down",),
        "jargon": ("adjudicated", "837p"),
        "voicemail_phi": ("your balance", "test results"),
    }

    def __init__(self, phrases: dict[str, tuple[str, ...]] | None = None):
        self.phrases = dict(self.DEFAULT if phrases is None else phrases)
        self.calls = 0  # how many texts were looked at (tests check batching)

    def detect(self, text: str, context=None) -> list[FakeDetection]:
        self.calls += 1
        low = text.lower()
        mode = getattr(context, "mode", "call")
        out = []
        for bid, subs in self.phrases.items():
            if bid == "voicemail_phi" and mode != "voicemail":
                continue
            hit = next((s for s in subs if s in low), None)
            if hit:
                out.append(FakeDetection(bid, 0.9, hit))
        return out

    def detect_batch(self, items) -> list[list[FakeDetection]]:
        return [self.detect(text, ctx) for text, ctx in items]
