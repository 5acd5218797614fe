"""Speech-recognition text, made comparable: one canonical form for what a trainee said.

Whisper writes "nine one one" as often as "911", drops punctuation on short turns and
keeps fillers ("um", "uh"); typed practice answers have apostrophes and commas. Rules
match the canonical form, so they are written once: lowercase, no punctuation,
contractions spelled out ("can't" -> "cannot", "I'll" -> "i will"), number words as
digits ("twenty four" -> "24", "nine one one" -> "911"), "date a birth" -> "date of
birth", fillers dropped.
Splitting text into sentences, clauses and words is :mod:`simulator.text.split`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from simulator.text.numbers import ONES, read_numbers

_CONTRACTIONS = [
    (r"\bcan'?t\b", "cannot"),
    (r"\bwon'?t\b", "will not"),
    (r"\bshan'?t\b", "shall not"),
    (r"\bain'?t\b", "is not"),
    (r"\blet'?s\b", "let us"),
    (r"\bi'?m\b", "i am"),
    (r"\b(it|that|what|there|here|who|he|she|everyone|everything|this)'s\b", r"\1 is"),
    (r"\b(\w+)n't\b", r"\1 not"),
    (r"\b(\w+)'ll\b", r"\1 will"),
    (r"\b(\w+)'re\b", r"\1 are"),
    (r"\b(\w+)'ve\b", r"\1 have"),
    (r"\b(i|you|we|they|he|she|it|that)'d\b", r"\1 would"),
    (r"\b(\w+)'s\b", r"\1s"),  # possessive: "patel's" -> "patels"
]
# Without apostrophes (ASR, fast typists): only forms that are not also ordinary words.
_BARE: list[tuple[str, str | Callable[[re.Match[str]], str]]] = [
    (
        r"\b(dont|doesnt|didnt|isnt|arent|wasnt|werent|havent|hasnt|couldnt|shouldnt|wouldnt)\b",
        lambda m: m.group(1)[:-2] + " not",
    ),
    (r"\bcant\b", "cannot"),
    (r"\bim\b", "i am"),
    (r"\bive\b", "i have"),
    (r"\byoure\b", "you are"),
    (r"\bthats\b", "that is"),
    (r"\bits (a|an|the|just|only|not|probably|likely|okay|ok|fine|normal|nothing)\b", r"it is \1"),
    (r"\bwhats\b", "what is"),
    (r"\blets\b", "let us"),
    (r"\btheyll\b", "they will"),
    (r"\byoull\b", "you will"),
    (r"\bshell\b(?= (call|get|review|be|reach|look|let))", "she will"),
    (
        r"\bill\b(?= (be|get|send|transfer|connect|put|stay|make|go|take|let|have|look|check|flag|pass|route|escalate|"
        r"call|do|see|ask|note|mark|forward|need|approve|just|definitely|also|personally|email|follow|keep|bring|"
        r"find|pull|write|set|submit|handle|reach|remain|refer|open|start|waive|book|schedule|stay|loop)\b)",
        "i will",
    ),
]
FILLERS = r"\b(um+|uh+|uhm+|erm+|er|ah+|hmm+|mm+|you know|i mean|kinda|sorta)\b"


def normalize(text: str) -> str:
    """The canonical form rules match (see the module docstring)."""
    t = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    if not t.isascii():  # "quinceañera" -> "quinceanera", not "quincea era" (a stray "era" reads as jargon)
        t = "".join(ch for ch in unicodedata.normalize("NFKD", t) if not unicodedata.combining(ch))
    t = re.sub(r"(?<=\d)[- ](?=\d)", "", t)  # 555-0100 -> 5550100, 9-1-1 -> 911
    t = re.sub(r"(?<=\d)[,.](?=\d{3}\b)", "", t)  # 1,200 -> 1200
    for pat, rep in _CONTRACTIONS:
        t = re.sub(pat, rep, t)
    t = t.replace("$", " dollars ").replace("%", " percent ").replace("&", " and ")
    t = re.sub(r"[^a-z0-9' ]+", " ", t)
    t = t.replace("'", "")
    for pat, repl in _BARE:
        t = re.sub(pat, repl, t)
    t = re.sub(FILLERS, " ", t)
    t = re.sub(r"\b(\d) (?=\d\b)", r"\1", t)  # "9 1 1" -> "911"
    words = read_numbers(t.split())
    t = " ".join(words)
    t = re.sub(r"\b9 11\b", "911", t)  # "nine eleven"
    t = re.sub(r"\bdate (a|of|o) birth\b|\bd o b\b|\bdob\b|\bbirth ?date\b|\bdate of berth\b", "date of birth", t)
    # tiny.en's mishearings of the crisis line and a warm transfer ("call our text 90088, the
    # suicide in crisis lifeline", "bringing our nurse onto the car"), measured on the example calls
    t = re.sub(r"\bcall (our|er|a) text\b", "call or text", t)
    t = re.sub(r"\b(call or text|text) 9\d{0,2}88\b", r"\1 988", t)
    t = re.sub(r"\bsuicide (in|an|n) crisis\b", "suicide and crisis", t)
    t = re.sub(r"\b(on|onto) the (car|cal|col)\b", r"\1 the call", t)
    t = re.sub(r"\b(ms|mrs|mr|miss|mister|missus|misses|dr)\b", lambda m: _TITLES[m.group(1)], t)
    t = re.sub(r"\b(\w+)( \1\b)+", r"\1", t)  # stutters: "i i will" -> "i will"
    return re.sub(r"\s+", " ", t).strip()


_TITLES = {
    "ms": "ms",
    "mrs": "mrs",
    "mr": "mr",
    "miss": "ms",
    "mister": "mr",
    "missus": "mrs",
    "misses": "mrs",
    "dr": "doctor",
}


# --------------------------------------------------------------------------- word error rate

_WER_NUMBERS = {**{w: str(i) for i, w in enumerate(ONES[:13])}, "oh": "0"}


def wer_words(text: str) -> list[str]:
    """Lower-case words without punctuation, for word error rate: contractions are
    expanded a little, spelled digits become digits and digit runs are split, so "911",
    "9-1-1" and "nine one one" compare equal."""
    t = text.lower().replace("’", "'")
    t = re.sub(r"\b(i|you|we|they)'re\b", r"\1 are", t)
    t = re.sub(r"\b(\w+)'ve\b", r"\1 have", t)
    t = re.sub(r"\b(\w+)'ll\b", r"\1 will", t)
    t = re.sub(r"\bi'm\b", "i am", t)
    t = re.sub(r"\bcan't\b", "cannot", t).replace("won't", "will not")
    t = re.sub(r"\b(\w+)n't\b", r"\1 not", t).replace("can not", "cannot")
    t = re.sub(r"\bmr\.?(?=\s)", "mister", t)
    t = re.sub(r"(?<=\d),(?=\d{3})", "", t)
    t = re.sub(r"[^a-z0-9' ]+", " ", t.replace("-", " "))
    words = []
    for w in t.split():
        w = w.strip("'")
        if not w:
            continue
        w = _WER_NUMBERS.get(w, w)
        words.extend(list(w) if w.isdigit() and len(w) > 1 and w not in ("10", "11", "12") else [w])
    return words
