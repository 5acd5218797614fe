"""What the learned detector reads of a turn: its words, made comparable across callers and practices.

Three exact steps come before any learning, because a model cannot learn them from a few
thousand lines and a rule gets them right every time:

* **Names from the context.** The practice's distinctive name words ("Riverside" of
  "Riverside Family Practice", also misheard as "river side" or "reverside") become ``PRACTICE``,
  and the caller's first or last name becomes ``CALLER``. A model trained on Riverside calls
  then greets "Maple Grove Pediatrics" just as well, and ``use_name`` is decided from the
  context alone (:func:`names_caller`).
* **Negation scope.** Words after a negation ("not", "never", "cannot", "no", "without"...)
  in the same clause carry a ``NEG_`` mark: "I cannot tell you it's benign" and "it's benign"
  share no evidence word.
* **The canonical form** (:func:`simulator.text.normalize.normalize`): lower case, numbers as
  digits, contractions spelled out, fillers dropped, "nine one one" -> 911.

:func:`featurize` turns the result into sparse features (word 1-3-grams, negated words, a few
exact cues) for the lexical part of the model; :func:`model_text` is the same text for a
sentence encoder.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from simulator.text.normalize import normalize
from simulator.text.split import clauses

PRACTICE = "PRACTICE"
CALLER = "CALLER"

_NEGATIONS = frozenset(
    [
        "not",
        "never",
        "cannot",
        "no",
        "nobody",
        "none",
        "nothing",
        "without",
        "unable",
        "neither",
        "nor",
        "dont",
        "cant",
        "wont",
    ]
)
# Words in a practice's name that do not identify it ("Riverside Family Practice" -> "riverside").
_GENERIC = frozenset(
    [
        "the",
        "of",
        "and",
        "at",
        "family",
        "practice",
        "practices",
        "medical",
        "medicine",
        "clinic",
        "clinics",
        "center",
        "centre",
        "health",
        "healthcare",
        "group",
        "associates",
        "physicians",
        "care",
        "pediatrics",
        "pediatric",
        "primary",
        "internal",
        "office",
        "doctors",
        "partners",
        "services",
        "llc",
        "inc",
        "pc",
        "womens",
        "women",
        "dermatology",
        "orthopedics",
        "orthopedic",
        "specialists",
    ]
)
_TITLES = frozenset({"mr", "mrs", "ms", "doctor", "miss", "dr"})


def _edit1(a: str, b: str) -> bool:
    """Equal but for one inserted, deleted or changed letter."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :] or (len(a) == len(b) and a[i + 1 :] == b[i + 1 :])


def _same_name(word: str, name: str) -> bool:
    """A recognised word that is this name, allowing one slip in longer names."""
    return word == name or (len(name) >= 5 and len(word) >= 4 and _edit1(word, name))


@lru_cache(maxsize=256)
def practice_words(practice: str | None) -> tuple[str, ...]:
    if not practice:
        return ()
    words = [w for w in normalize(practice).split() if len(w) >= 3]
    return tuple(w for w in words if w not in _GENERIC) or tuple(words)


@lru_cache(maxsize=256)
def caller_words(patient: str | None) -> tuple[str, ...]:
    if not patient:
        return ()
    return tuple(w for w in normalize(patient).split() if w not in _TITLES and len(w) >= 3)


def _mark_names(words: list[str], practice: Sequence[str], caller: Sequence[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        pair = w + words[i + 1] if i + 1 < len(words) else ""
        if pair and any(pair == p for p in practice):  # "river side" -> riverside
            out.append(PRACTICE)
            i += 2
            continue
        if any(_same_name(w, p) for p in practice):
            out.append(PRACTICE)
        elif any(_same_name(w, c) for c in caller):
            out.append(CALLER)
        else:
            out.append(w)
        i += 1
    return out


@dataclass(frozen=True)
class Prepared:
    """One piece of text (a turn or a clause) as the detector reads it."""

    raw: str  # as said, for quotes
    clauses: tuple[tuple[str, ...], ...]  # canonical words per clause, names marked, negation marked


def prepare(text: str, practice: str | None = None, patient: str | None = None) -> Prepared:
    pw, cw = practice_words(practice), caller_words(patient)
    out = []
    for c in clauses(text):
        words = _mark_names(c.norm.split(), pw, cw)
        neg = False
        marked = []
        for w in words:
            if w in _NEGATIONS or w in (PRACTICE, CALLER):
                neg = neg or w in _NEGATIONS
                marked.append(w)
            else:
                marked.append("NEG_" + w if neg else w)
        out.append(tuple(marked))
    return Prepared(text, tuple(out))


def _plain(word: str) -> str:
    return word[4:] if word.startswith("NEG_") else word


def names_caller(prepared: Prepared) -> bool:
    """The turn addresses or names the caller (``use_name``: exact, from the context)."""
    return any(CALLER in c for c in prepared.clauses)


def names_practice(prepared: Prepared) -> bool:
    return any(PRACTICE in c for c in prepared.clauses)


_A_PRACTICE = re.compile(
    r"\b(?:family practice|medical (?:center|group|clinic|office|associates)|clinic|pediatrics|health center|"
    r"healthcare|associates|medical practice|internal medicine|family medicine|dermatology|orthopedics)\b"
)


_NAME_SLOT = re.compile(
    r"\b(?:this is|my names?(?: is)?|name is|i am|it is|its|you are speaking with|you are talking (?:with|to)|"
    r"speaking with|here is|you have got|you got|you have reached|you reached|i will be|call me) \w+|"
    r"\b\w+ (?:speaking|here|again)\b|\b\w+ (?:from|at|with|of) (?:the )?PRACTICE\b|\bfrom \w+\b"
)


def offers_a_name(prepared: Prepared) -> bool:
    """Somewhere a name could be given ("this is ...", "my name is ...", "... speaking"): the
    precondition of ``self_identify``, which a model cannot learn apart from the greeting it
    usually comes with."""
    return any(_NAME_SLOT.search(" ".join(_plain(w) for w in c)) for c in prepared.clauses)


# Who an escalation goes to: a transfer to billing is never a clinical transfer (docs/behaviors.md).
# A label is ruled out when the turn names another department and not its own; when it names no
# department at all ("let me get Carla on the line"), the model decides.
DEPARTMENTS: dict[str, re.Pattern[str]] = {
    "clinical": re.compile(
        r"\b(?:nurses?|triage|doctors?|doctor|providers?|physicians?|clinicians?|clinical|pa|np|practitioners?|on call|"
        r"counsell?ors?|therapists?|crisis|care team|medical team|medical staff|behavioral|rn|md|psychiatr\w*|"
        r"mental health|nurse line)\b"
    ),
    "billing": re.compile(
        r"\b(?:billings?|bills?|accounts?|charges?|statements?|claims?|disputes?|balances?|payments?|refunds?|"
        r"coding|coders?|financial|business office)\b"
    ),
    "management": re.compile(
        r"\b(?:managers?|supervisors?|complaints?|grievances?|director|administrator|management|boss|higher up|"
        r"patient advocate|service recovery)\b"
    ),
    "records": re.compile(r"\b(?:records?|release of information|health information)\b"),
    "scheduling": re.compile(r"\b(?:scheduling|schedulers?|front desk|reception|receptionist|appointments desk)\b"),
    "pharmacy": re.compile(r"\b(?:pharmacy|pharmacist)\b"),
}
TARGETS: dict[str, str] = {"transfer_clinical": "clinical", "flag_billing": "billing", "escalate_manager": "management"}


def departments(prepared: Prepared) -> set[str]:
    text = " ".join(_plain(w) for c in prepared.clauses for w in c)
    return {name for name, rx in DEPARTMENTS.items() if rx.search(text)}


def names_target(prepared: Prepared, label: str) -> bool:
    """False when the turn sends the escalation ``label`` somewhere else: it names another
    department and not the label's own (always true for other labels)."""
    own = TARGETS.get(label)
    if own is None:
        return True
    named = departments(prepared)
    return own in named or not named


def names_a_practice(prepared: Prepared) -> bool:
    """A practice's name said, when which practice is not known ("... Family Practice")."""
    return any(_A_PRACTICE.search(" ".join(_plain(w) for w in c)) for c in prepared.clauses)


_TIME = re.compile(
    r"\b(?:\d{1,2} (?:am|pm)|\d{3,4} (?:am|pm)?|noon|midnight|today|tomorrow|tonight|this (?:morning|afternoon|evening|week)|"
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|(?:\d+|a|an|one|two|few|couple of) "
    r"(?:business |working )?(?:minutes?|hours?|days?|weeks?))\b"
)


def cues(prepared: Prepared, mode: str = "call") -> set[str]:
    """Exact signals worth a feature of their own."""
    text = " ".join(_plain(w) for c in prepared.clauses for w in c)
    out = set()
    if names_practice(prepared):
        out.add("cue:practice")
    if names_caller(prepared):
        out.add("cue:caller")
    if mode == "voicemail":
        out.add("cue:voicemail")
    if re.search(r"\b911\b", text):
        out.add("cue:911")
    if re.search(r"\b988\b", text):
        out.add("cue:988")
    if _TIME.search(text):
        out.add("cue:time")
    if prepared.raw.rstrip().endswith("?"):
        out.add("cue:question")
    if len(text.split()) <= 3:
        out.add("cue:short")
    return out


def featurize(prepared: Prepared, mode: str = "call") -> set[str]:
    """Sparse features of a turn: words (negated words marked), word 2- and 3-grams over the
    unmarked words with sentence edges, and the exact cues."""
    feats = cues(prepared, mode)
    for clause in prepared.clauses:
        feats.update("u:" + w for w in clause)
        plain = ["<s>", *(_plain(w) for w in clause), "</s>"]
        feats.update(f"b:{a}_{b}" for a, b in itertools.pairwise(plain))
        feats.update(f"t:{a}_{b}_{c}" for a, b, c in zip(plain, plain[1:], plain[2:]))
    return feats


def model_text(prepared: Prepared, mode: str = "call") -> str:
    """The text a sentence encoder reads: canonical clauses, names as plain placeholders."""
    body = " . ".join(
        " ".join(_plain(w).replace(PRACTICE, "practice").replace(CALLER, "caller") for w in c) for c in prepared.clauses
    )
    return f"voicemail: {body}" if mode == "voicemail" else body


def vocabulary(feature_sets: Iterable[set[str]], min_count: int = 2) -> dict[str, int]:
    """Feature -> column, for features seen in at least ``min_count`` turns (sorted: reproducible)."""
    counts: dict[str, int] = {}
    for fs in feature_sets:
        for f in fs:
            counts[f] = counts.get(f, 0) + 1
    return {f: j for j, f in enumerate(sorted(f for f, n in counts.items() if n >= min_count))}
