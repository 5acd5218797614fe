"""Speech-recognition text, made comparable: one canonical form for what a trainee said.

Whisper writes "nine one one" as often as "911", drops punctuation on short turns and
keeps fillers ("um", "uh"); typed practice answers have apostrophes and commas. Rules
match the canonical form, so they are written once: lowercase, no punctuation,
contractions spelled out ("can't" -> "cannot", "I'll" -> "i will"), number words as
digits ("twenty four" -> "24", "nine one one" -> "911"), "date a birth" -> "date of
birth", fillers dropped. :func:`clauses` cuts a turn where a new thought begins ("...,
but the nurse can"), so a negation only governs its own clause.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

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

_UNITS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_UNITS["oh"] = 0  # only inside digit runs ("five five five oh one")
_TENS = {
    w: 10 * i
    for i, w in enumerate(["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])
    if w != "_"
}


def _numbers(words: list[str]) -> list[str]:
    """Number words -> digits. Runs of single digits are read digit by digit
    ("nine one one" -> "911"); others as a cardinal ("twenty four" -> "24")."""
    out: list[str] = []
    i, n = 0, len(words)
    single = lambda w: w in _UNITS and _UNITS[w] < 10
    while i < n:
        w = words[i]
        if single(w) and w != "oh" and i + 1 < n and single(words[i + 1]):
            j = i
            while j < n and single(words[j]):
                j += 1
            out.append("".join(str(_UNITS[x]) for x in words[i:j]))
            i = j
            continue
        if (w in _UNITS and w != "oh") or w in _TENS:
            total, cur, j = 0, 0, i
            while j < n:
                t = words[j]
                if t in _TENS and cur % 100 == 0:
                    cur += _TENS[t]
                elif t in _UNITS and t != "oh":
                    if cur % 100 != 0 and (cur % 10 != 0 or _UNITS[t] >= 10):
                        break
                    cur += _UNITS[t]
                elif (
                    t == "and"
                    and cur >= 100
                    and cur % 100 == 0
                    and j + 1 < n
                    and (words[j + 1] in _TENS or words[j + 1] in _UNITS)
                ):
                    pass
                elif t == "hundred" and j > i:
                    cur = max(cur, 1) * 100
                elif t == "thousand" and j > i:
                    total += max(cur, 1) * 1000
                    cur = 0
                else:
                    break
                j += 1
            value = total + cur
            out.append(w if (value == 1 and j == i + 1) else str(value))  # "no one", "one of"
            i = j
            continue
        out.append(w)
        i += 1
    return out


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
    words = _numbers(t.split())
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


@dataclass(frozen=True)
class Clause:
    """A piece of a turn: the words as said (for quotes) and their canonical form."""

    raw: str
    norm: str


_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\s+-{1,2}\s+|\n+")
# A new thought starts at a contrast, or at "and"/"so" followed by a new subject.
_BREAK = re.compile(
    r",?\s+(?=(?:but|however|although|though|except|whereas)\b)"
    r"|,\s*(?=(?:and|so|then|also|meanwhile)\s+(?:i|we|you|let|the|our|she|he|they|in|if|please)\b)"
    r"|,\s+(?=(?:i|we|let|please|you|if|and|so|in the meantime)\b)",
    re.I,
)


def clauses(text: str) -> list[Clause]:
    """Split a turn into clauses; each keeps its raw words for the scorecard's quote."""
    out: list[Clause] = []
    text = re.sub(r"\b(mr|mrs|ms|dr|st|jr)\.", r"\1", text, flags=re.I)  # not sentence ends
    for sent in _SENTENCE.split(text.strip()):
        for part in _BREAK.split(sent):
            raw = part.strip(" ,")
            norm = normalize(raw)
            if norm:
                out.append(Clause(raw, norm))
    if not out and text.strip():
        out.append(Clause(text.strip(), normalize(text)))
    # ASR text without punctuation: cut the canonical form at contrasts as well.
    final: list[Clause] = []
    for c in out:
        pieces = re.split(r" (?=(?:but|however|although|though)\b)", c.norm)
        if len(pieces) == 1:
            final.append(c)
            continue
        raws = re.split(r"\s+(?=(?:but|however|although|though)\b)", c.raw, flags=re.I)
        if len(raws) != len(pieces):
            raws = [c.raw] * len(pieces)
        final.extend(Clause(r.strip(" ,"), p) for r, p in zip(raws, pieces) if p)
    return final
