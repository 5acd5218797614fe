"""Cutting text into sentences, clauses and words: one rule for every consumer.

* :func:`sentences`: at sentence-final punctuation, but not after a title or abbreviation
  ("Dr. Webb", "10 a.m. today"); TTS speaks sentence by sentence, coaching quotes them.
* :func:`clauses`: a sentence cut where a new thought begins ("..., but the nurse can"), so a
  negation only governs its own clause; each clause keeps its raw words (the scorecard quotes
  them) and its canonical form (:func:`simulator.text.normalize.normalize`, what rules match).
* :func:`words`: lower-case word tokens without punctuation or apostrophes ("can't" -> "cant").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.text.normalize import normalize

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
# a full stop that ends a title or abbreviation, not a sentence: "Dr. Webb", "10 a.m. today"
_ABBREVIATION = re.compile(r"\b(?:Mr|Ms|Mrs|Dr|St|Mt|Jr|Sr|Prof|vs|etc|a\.m|p\.m)\.$", re.I)
_WORD = re.compile(r"[a-z0-9]+")


def sentences(text: str) -> list[str]:
    """The sentences of ``text``; a piece with nothing to say ("..." in "Hello? ... Okay") is
    dropped. After "a.m." or "p.m." a capital letter starts a new sentence."""
    parts: list[str] = []
    for piece in _SENTENCE_END.split(text.strip()):
        if parts and _ABBREVIATION.search(parts[-1]) and not (piece[:1].isupper() and parts[-1].endswith(".m.")):
            parts[-1] = f"{parts[-1]} {piece.strip()}"  # "Dr. | Webb" is one sentence
        elif any(c.isalnum() for c in piece):
            parts.append(piece.strip())
    return parts


def words(text: str) -> list[str]:
    """Lower-case word tokens: letters and digits, apostrophes dropped ("Ms. O'Neil's" -> ms, oneils)."""
    return _WORD.findall(text.lower().replace("\u2019", "").replace("'", ""))


@dataclass(frozen=True)
class Clause:
    """A piece of a turn: the words as said (for quotes) and their canonical form."""

    raw: str
    norm: str


# inside a sentence, a semicolon, a dash between spaces or a line break ends a clause too
_PAUSE = re.compile(r"(?<=;)\s+|\s+-{1,2}\s+|\n+")
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
    pieces = [p for sent in sentences(text) for p in _PAUSE.split(sent)]
    for piece in pieces:
        for part in _BREAK.split(piece):
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
