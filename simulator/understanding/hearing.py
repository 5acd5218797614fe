"""How sure recognition was of what a behavior rests on.

A spoken turn reaches detection as text, but Whisper is not equally sure of every word: a
render of "How can I help you today?" came back once as "I can't help you today", and
that one word read as ``dismissive`` made a frustrated caller hang up in the first turn.
So each recognised word keeps its probability, and a detection's evidence (its quote) gets
the lowest probability among the words it rests on. Below :data:`SURE_P` the evidence is
*uncertain*:

* the patient does not let an uncertain violation end the call or move its mood by more
  than a step: it asks "Sorry, what was that?" instead (``Patient.respond(unsure=...)``);
* the scorer lists it, marked uncertain, for the trainer to check against the recording,
  and does not fail the call on it alone.

Typed turns and transcripts without word probabilities are always sure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from simulator.text import split

SURE_P = 0.6  # lowest word probability of a sure piece of evidence

HeardWord = tuple[str, float]  # (word as recognised, probability 0..1)


def heard_words(words: Iterable) -> tuple[HeardWord, ...]:
    """``asr.Word`` objects (or (word, p) pairs) as plain (word, probability) pairs."""
    out = []
    for w in words:
        if isinstance(w, (tuple, list)):
            word, p = w[0], w[1]
        else:
            word, p = w.word, w.probability
        out.append((str(word), round(float(p), 3)))
    return tuple(out)


def evidence_p(quote: str, words: Sequence[HeardWord]) -> float | None:
    """The lowest probability among the recognised words that ``quote`` spans.

    The quote is found in the word sequence by its tokens (the window that matches most of
    them); an empty quote rests on the whole turn. ``None`` when there are no word
    probabilities (typed text) or the quote is not found among the words (then nothing is
    known about it, and it is not called uncertain)."""
    if not words:
        return None
    owner: list[int] = []  # token -> index of the word it came from
    flat: list[str] = []
    for i, (w, _) in enumerate(words):
        for t in split.words(w):
            flat.append(t)
            owner.append(i)
    want = split.words(quote)
    if not flat:
        return None
    if not want:
        return min(p for _, p in words)
    if len(want) > len(flat):
        want = want[: len(flat)]
    best, best_at = -1, 0
    for start in range(len(flat) - len(want) + 1):
        hits = sum(a == b for a, b in zip(flat[start : start + len(want)], want))
        if hits > best:
            best, best_at = hits, start
    if best * 2 < len(want):
        return None
    spanned = {owner[j] for j in range(best_at, best_at + len(want))}
    return min(words[i][1] for i in spanned)


def is_sure(p: float | None) -> bool:
    return p is None or p >= SURE_P
