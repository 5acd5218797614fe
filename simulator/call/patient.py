"""The simulated patient: a pure, seeded state machine over a :class:`~simulator.authoring.model.Scenario`.

Each trainee turn arrives as its :class:`~simulator.understanding.detect.Understanding` (the
behaviors shown, the dialogue acts done, the facts stated, with confidences); the patient answers
with one :class:`Reply`. Nothing here touches audio, models or the clock, so the whole
conversation logic is tested in microseconds and an assessment can replay it.
``respond(text, behaviors)`` is the thin path with behaviors alone (no acts or facts): the caller
then follows its states as it always did.

How a turn is decided (``Patient.respond``; docs/scenario-format.md tells trainers the same):

0. **Heard?** Words that make no sentence, or a behavior that would upset the caller heard
   unsure (recognition, or detected below ``LOW_CONFIDENCE``), get "Sorry, what was that?" once.
1. **Mood** (0 calm .. 10 furious) moves by every behavior shown in the turn
   (``DEFAULT_MOOD_MOVES`` merged with ``patient.mood.moves``), rises by ``mood.ignored``
   when the turn shows none of the current state's ``expects`` (not for a hold, repeat,
   spelling or callback request), and by a fired transition's own ``mood``. At
   ``mood.hangup_at`` the caller hangs up.
2. **Asides** (say that again, hold, spell, a callback number, small talk) are answered at once
   and the beat waits; a fact the caller knows (``patient.facts``) stated wrongly is contested;
   a day or time offered is checked against ``patient.wants``.
3. **Transitions** of the current state, first match wins: ``when`` (all shown this turn),
   ``when_any``, ``unless``, ``after`` (shown at any time so far, this turn included), ``acts``
   and the mood bounds. A transition waits when the turn demands something it does not name
   (an escalation, jargon, a brush-off, an early close, a question the caller can answer). A
   match moves to ``goto`` (past beats whose question the VA already answered: ``asks_about``)
   and says the transition's reaction line, or else the new state's line.
4. **Nothing fired**: a close once a goal state was reached ends the call; otherwise jargon, an
   announced escalation (911, 988, a transfer, a message), an early close, a brush-off get the
   caller's reaction (``simulator.call.temperament``, overridable per scenario); a request
   for identity is answered with name and date of birth (never volunteered); a question is
   answered from ``patient.knows`` when it matches a topic (embeddings, word overlap without
   them), otherwise a ``confused`` line; an explanation is acknowledged; anything else gets the
   state's ``again`` line, escalating when it keeps being needed.

The call ends on a transition to ``end`` (the caller hangs up at once), at ``hangup_at``, after
a long silence, on a trainee close once the goal was reached, or at a state with ``end: true``:
the caller says its last line and waits for the trainee's sign-off ("Bye now."), so a warm
close is still possible.

Inbound calls start in the implicit ``ring`` state: the VA speaks first and the caller then
says the first state's line. Line variants are chosen by mood band; which variant is a hash
of (seed, what is being said, how often it was said), so the same seed gives every trainee of
an assessment the same patient, whatever path they take, and the same line is never said twice
in a row.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, NotRequired, TypedDict

import numpy as np

from simulator.authoring.model import (
    DEFAULT_MOOD_MOVES,
    END,
    REACTION_NAMES,
    RING,
    Lines,
    Scenario,
    State,
    Transition,
    Wants,
)
from simulator.call import temperament
from simulator.call.temperament import AGAIN_SHARPER
from simulator.text import split
from simulator.text.numbers import spoken_date, spoken_numbers
from simulator.text.split import words
from simulator.understanding.detect import Understanding
from simulator.understanding.facts import MONTHS, WEEKDAYS, Fact, extract, matches

ReplyKind = Literal[
    "opening",
    "line",
    "reaction",
    "again",
    "identity",
    "answer",
    "confused",
    "reprompt",
    "goodbye",
    "hangup",
    "clarify",
    # reactions to what the VA did besides the scenario's beats (docs/scenario-format.md, "Reactions")
    "repeat",
    "hold",
    "spell",
    "callback",
    "small_talk",
    "contest",
    "accept",
    "decline",
    "acknowledge",
    "transfer",
    "escalation",
    "emergency_911",
    "crisis_line",
    "stay_on_line",
    "early_close",
    "jargon",
    "brush_off",
]
EndReason = Literal["", "end_state", "goto_end", "trainee_close", "mood_hangup", "silence_hangup", "trainee_hangup"]


class _ReplyContext(TypedDict):
    """What a reply records of the turn it answers (keyword arguments of ``Patient._reply``)."""

    state_from: str
    mood_from: int
    behaviors: tuple[str, ...]
    fired: NotRequired[int | None]  # the transition that fired (trainee turns only)


# Lines every patient has; the scenario's own lines come first wherever it has them.
REPROMPT = Lines(any=["Hello? Are you still there?", "Hello? Can you hear me?"])
SILENCE_HANGUP = Lines(any=["I guess nobody's there. I'll call back later.", "Hello? ... Okay, I'll try again later."])
SIGNOFF = Lines(any=["Bye now.", "Bye.", "Okay, bye."])  # after the trainee's sign-off at an end state
GOODBYE = temperament.BASE["goodbye"]
MOOD_HANGUP = temperament.BASE["hangup"]
# A line half heard: recognition was unsure of the words a strong reaction would rest on
CLARIFY = temperament.BASE["mishear"]
IDENTITY_TEMPLATES = temperament.BASE["identity"]
LIKE_I_SAID = Lines(any=["Like I said, {line}", "As I said, {line}"])  # never the same line twice in a row

_INTERROGATIVES = {
    "what",
    "which",
    "when",
    "where",
    "who",
    "whom",
    "whose",
    "why",
    "how",
    "do",
    "does",
    "did",
    "is",
    "are",
    "was",
    "were",
    "can",
    "could",
    "would",
    "will",
    "may",
    "have",
    "has",
    "should",
    "shall",
}
_STOPWORDS = {
    "a",
    "an",
    "the",
    "is",
    "are",
    "was",
    "were",
    "do",
    "does",
    "did",
    "you",
    "your",
    "yours",
    "i",
    "me",
    "my",
    "we",
    "our",
    "it",
    "its",
    "of",
    "to",
    "for",
    "on",
    "in",
    "at",
    "and",
    "or",
    "what",
    "which",
    "when",
    "where",
    "who",
    "why",
    "how",
    "can",
    "could",
    "would",
    "will",
    "may",
    "have",
    "has",
    "that",
    "this",
    "there",
    "be",
    "please",
    "just",
    "so",
    "okay",
    "ok",
    "tell",
    "know",
    "give",
    "get",
    "with",
    "about",
    "from",
    "any",
    "some",
}


@dataclass(frozen=True)
class PatientOptions:
    """Knobs of the patient that are not part of the scenario."""

    seed: int = 0  # same seed -> same line choices for every trainee
    knows_threshold: float = 0.45  # lowest cosine similarity that counts as a topic match (embeddings)
    overlap_threshold: float = 0.5  # lowest share of a topic's words in the question (no embeddings)
    max_reprompts: int = 1  # "Are you still there?" this many times, then hang up


@dataclass(frozen=True)
class Reply:
    """What the patient does after a trainee turn (or a silence)."""

    text: str  # what the patient says now; "" when it hangs up without a word
    kind: ReplyKind
    state: str  # the state after this turn
    mood: int  # the mood after this turn
    ended: bool = False  # the call is over after ``text``
    closing: bool = False  # an end state's last line: the trainee may sign off, then the patient hangs up
    end_reason: EndReason = ""
    state_from: str = ""  # the state the turn was decided in
    mood_from: int = 0
    fired: int | None = None  # index of the transition that fired in ``state_from.on``
    behaviors: tuple[str, ...] = ()  # behaviors of the trainee turn, sorted
    topic: str = ""  # the ``knows`` topic answered (kind "answer")


# --------------------------------------------------------------------------- off-script questions


def _content(text: str) -> set[str]:
    out = set()
    for w in words(text):
        if w in _STOPWORDS or len(w) < 2:
            continue
        out.add(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    return out


def questions_in(text: str) -> list[str]:
    """The sentences of a turn that ask something ("Which pharmacy do you use?")."""
    out = []
    for s in split.sentences(text):
        first = words(s)[:1]
        if s.endswith("?") or (first and first[0] in _INTERROGATIVES):
            out.append(s)
    return out


class Knowledge:
    """The persona's off-script facts (``patient.knows``), matched to a trainee's question.

    With an embedder the question is compared with each topic, and with "topic: answer", by
    cosine similarity; without one, by the share of the topic's content words in the question.
    """

    def __init__(
        self, knows: dict[str, str], embedder=None, *, threshold: float = 0.45, overlap_threshold: float = 0.5
    ):
        self.topics = list(knows)
        self.answers = [knows[t] for t in self.topics]
        self.embedder = embedder
        self.threshold = threshold
        self.overlap_threshold = overlap_threshold
        self._vectors = None
        self._memo: dict[str, tuple[str, float] | None] = {}
        if embedder is not None and self.topics:
            texts = self.topics + [f"{t}: {a}" for t, a in zip(self.topics, self.answers)]
            vec = np.asarray(embedder.embed(texts), dtype=np.float32)
            self._vectors = vec.reshape(2, len(self.topics), -1)

    def match(self, text: str) -> tuple[str, float] | None:
        """The best topic for the questions in ``text`` and its score, or None below threshold."""
        if text not in self._memo:
            if len(self._memo) > 256:
                self._memo.clear()
            self._memo[text] = self._match(text)
        return self._memo[text]

    def _match(self, text: str) -> tuple[str, float] | None:
        qs = questions_in(text)
        if not qs or not self.topics:
            return None
        if self._vectors is not None:
            q = np.asarray(self.embedder.embed(qs), dtype=np.float32)  # (nq, dim)
            sims = np.einsum("qd,ktd->qkt", q, self._vectors).max(axis=(0, 1))  # per topic
            best = int(np.argmax(sims))
            score = float(sims[best])
            return (self.topics[best], score) if score >= self.threshold else None
        qwords = set().union(*(_content(q) for q in qs))
        best_t, best_s = None, 0.0
        for t in self.topics:
            tw = _content(t)
            s = len(tw & qwords) / len(tw) if tw else 0.0
            if s > best_s:
                best_t, best_s = t, s
        return (best_t, best_s) if best_t is not None and best_s >= self.overlap_threshold else None

    def answer(self, topic: str) -> str:
        return self.answers[self.topics.index(topic)]


# --------------------------------------------------------------------------- the patient


# How close a chatty question must come to one of the caller's topics to be answered rather than
# chatted back to: "When are you moving?" is the topic itself (0.96); "How's your week going?"
# only resembles "how are you feeling" (0.53).
SMALL_TALK_ANSWERED = 0.7


def _stable_index(seed: int, key: str, n: int) -> int:
    digest = hashlib.sha256(f"{seed}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % n


def _clamp(mood: int) -> int:
    return max(0, min(10, mood))


# --------------------------------------------------------------------------- what a turn did


@dataclass(frozen=True)
class Heard:
    """A trainee turn as the patient takes it: behaviors, dialogue acts and facts."""

    text: str
    shown: frozenset[str] = frozenset()  # catalog behaviors
    acts: frozenset[str] = frozenset()  # dialogue acts (docs/behaviors.md); empty: not known
    facts: tuple[Fact, ...] = ()
    understood: bool = False  # from an Understanding (the thin path gives behaviors alone)

    @classmethod
    def of(cls, u: Understanding) -> Heard:
        acts = u.act_ids | cue_acts(u.text)
        if "?" in u.text:
            acts -= {"closing"}  # "let me take care of that; would you like another day?" goes on
        return cls(u.text, u.ids, acts, tuple(u.facts), True)


ESCALATING = {
    "advise_911": "emergency_911",
    "crisis_line_988": "crisis_line",
    "transfer_clinical": "transfer",
    "escalate_manager": "escalation",
    "flag_billing": "escalation",
    "flag_clinical": "escalation",
    "route_records": "escalation",
}
BRUSH_OFF = ("dismissive", "argue", "medical_advice")
# escalations the caller answers before the script's next beat: a live hand-off, 911, the crisis line
LIVE_ESCALATIONS = frozenset({"advise_911", "crisis_line_988", "transfer_clinical", "escalate_manager"})
MESSAGES = frozenset({"flag_billing", "flag_clinical", "route_records"})  # someone will follow up
LOW_CONFIDENCE = 0.5  # a behavior detected below this is heard unsure (it may not move the mood by itself)
_FILLERS = {"um", "uh", "mm", "er", "erm", "hmm", "mhm"}
_FRAGMENT = re.compile(r"\w(?:—|–|--|\.\.\.|…)")
_WH = ("what", "which", "when", "where", "who", "whom", "whose", "why", "how")
_CLAIMS = (
    " so ",
    "right?",
    "correct",
    "is that",
    " i see",
    "you said",
    "you mentioned",
    "you're",
    "youre",
    "that's",
    " i have",
    " i show",
    "i'm showing",
    " we have",
    "our records",
    "records show",
    " it says",
    "on file",
    " i'll send",
    " we'll send",
    " is still",
    " are still",
    " was ",
    " were ",
)
_AUX = ("is", "are", "was", "were", "do", "does", "did", "have", "has", "can", "could", "would", "will", "may")
_SLOT_WORDS = (
    "i have",
    "we have",
    "i've got",
    "i could",
    "we could",
    "i can get",
    "i can do",
    "we can get",
    "we can do",
    "how about",
    "there's a",
    "there is a",
    "opening",
    "available",
    "ready",
    "fit you in",
    "get you in",
    "book you",
    "does that work",
    "would that work",
    "work for you",
    " work?",
    "see you",
    "first open",
)


# Plain words that do one of the caller-facing acts, whatever the detector made of the turn
# (a backstop: the caller hears "one moment" as a hold even when the model missed it). "brush_off"
# is the caller's own reading (a VA who waves the problem away), not a catalog behavior.
_CUES: dict[str, tuple[str, ...]] = {
    "hold": (
        "one moment",
        "just a moment",
        "a moment while",
        "one sec",
        "just a sec",
        "bear with me",
        "be right back",
        "hold on a",
        "hold for",
        "hold a ",
        "please hold",
        "while i pull",
        "while i look",
        "while i check",
        "while i find",
    ),
    "repeat_request": (
        "say that again",
        "say it again",
        "repeat that",
        "could you repeat",
        "can you repeat",
        "please repeat",
        "didn't catch",
        "didn't quite catch",
        "missed that",
        "missed the",
        "missed part",
        "come again",
        "one more time?",
        "once more?",
        "you cut out",
        "cut out for",
        "crackl",
        "a little faint",
    ),
    "spelling_request": ("spell",),
    "identity_request": (
        "have your name",
        "get your name",
        "what's your name",
        "what is your name",
        "your full name",
        "date of birth",
        "birthdate",
        "who am i speaking",
        "who am i talking",
        "who's calling",
        "who is calling",
        "may i ask who",
    ),
    "callback_request": (
        "best number",
        "number to reach",
        "number to call",
        "call you back",
        "callback number",
        "good number",
    ),
    "small_talk": (
        "weather",
        "how's your week",
        "how is your week",
        "how's your day",
        "having a decent week",
        "hope your week",
        "how are you liking",
        "how are you finding",
        "welcome to the neighborhood",
        "such a fun age",
        "what position",
        "are you excited",
    ),
    "closing": (
        "thanks for calling!",
        "thanks for calling, ",
        "have a good day",
        "have a nice day",
        "have a great day",
        "take care",
        "goodbye",
        "bye now",
        "bye!",
        ", bye.",
    ),
    "brush_off": (
        "nothing i can do",
        "not much i can do",
        "take that up with",
        "it is what it is",
        "what it is.",
        "you should have called",
        "not my department",
        "not my problem",
        "all on the website",
        "on our website",
        "just read",
        "pretty booked",
        "try urgent care",
        "just have to wait",
        "just take time",
        "you'll need to pay it",
        "you'll just have to",
        "everyone feels",
        "i'm sure he'll be fine",
        "i'm sure things will",
        "usually just",
    ),
}


_ACRONYM = re.compile(r"\b[A-Z][A-Z/-]*[A-Z]\b|\b[a-z]/[a-z]\b")
_PLAIN_CAPS = {"ID", "OK", "AM", "PM", "US", "USA", "ER", "TV", "DOB", "CVS"}


def cue_acts(text: str) -> frozenset[str]:
    low = text.lower().replace("\u2019", "'").replace("take care of", "look after")
    out = {a for a, cues in _CUES.items() if any(c in low for c in cues)}
    if "closing" in out and "?" in text:
        out.discard("closing")  # "thanks for calling! could I get your name?" goes on
    if len({m for m in _ACRONYM.findall(text) if m not in _PLAIN_CAPS}) >= 2:
        out.add("jargon")  # "a warm handoff to BH triage for a C-SSRS": letters the caller cannot decode
    return frozenset(out)


def garbled(text: str) -> bool:
    """Words that do not make a sentence: broken off again and again, with fillers ("so the— uh, the—")."""
    breaks = len(_FRAGMENT.findall(text)) + text.count(" — ") + text.count(" -- ")
    fillers = sum(w in _FILLERS for w in words(text))
    return breaks >= 2 and breaks + fillers >= 3


def _has_word(low_words: Sequence[str], low_text: str, w: str) -> bool:
    w = w.lower()
    if " " in w or not w.isalnum():
        return w in low_text
    return any(t == w or (len(w) >= 4 and t.startswith(w)) for t in low_words)


@dataclass(frozen=True)
class Slot:
    """A day and/or time the VA offered."""

    weekday: str = ""
    date: tuple[int, int] | None = None
    time: tuple[int, int] | None = None
    next_week: bool = False
    said: str = ""

    def spoken(self) -> str:
        parts = [self.weekday.capitalize()] if self.weekday else []
        if self.date and not self.weekday:
            parts.append(Fact("date", self.date, "").render())
        if self.time:
            h, mi = self.time
            h12 = h % 12 or 12
            parts.append(f"at {h12}:{mi:02d}" if mi else f"at {h12}")
        return " ".join(parts) or self.said


def slots_in(text: str, facts: Sequence[Fact]) -> list[Slot]:
    """The slots a turn offers: a weekday or date, with the time said after it."""
    out: list[Slot] = []
    low = text.lower()
    cur: dict = {}

    def flush() -> None:
        if cur:
            out.append(Slot(**cur))
            cur.clear()

    for f in facts:
        if f.kind == "weekday" and isinstance(f.value, str):
            if cur.get("weekday") or cur.get("time"):
                flush()
            cur["weekday"] = f.value
            cur["next_week"] = f"next {f.value}" in low
            cur["said"] = f.said
        elif f.kind == "date" and isinstance(f.value, tuple):
            if cur.get("date") or cur.get("time"):
                flush()
            cur["date"] = f.value
            cur.setdefault("said", f.said)
        elif f.kind == "time" and isinstance(f.value, tuple):
            if cur.get("time"):
                flush()
            h, mi = f.value
            cur["time"] = (h + 12 if 1 <= h < 7 else h, mi)  # an office hour without am/pm is in the day
            cur.setdefault("said", f.said)
    flush()
    return out


def _time_of(text: str) -> tuple[int, int] | None:
    for f in extract(text):
        if f.kind == "time" and isinstance(f.value, tuple):
            h, mi = f.value
            return (h + 12 if 1 <= h < 7 and "am" not in text.lower() else h, mi)
    return None


# --------------------------------------------------------------------------- the patient


@dataclass
class _Memory:
    """What the patient remembers of the call so far (mutable; the Patient owns it)."""

    state: str
    mood: int
    shown: set[str] = field(default_factory=set)
    said: dict[str, int] = field(default_factory=dict)  # key -> times said (for stable choices)
    last_text: str = ""
    last_content: str = ""  # the last line that said something (what "say that again" repeats)
    goal_reached: bool = False
    identity_given: bool = False
    given: set[str] = field(default_factory=set)  # what the caller gave: identity, spelling, callback, topics
    va_facts: list[Fact] = field(default_factory=list)  # facts the VA stated
    va_said: list[str] = field(default_factory=list)  # the VA's turns, lower-case
    agains: dict[str, int] = field(default_factory=dict)  # state -> `again` lines said there in a row
    silences: int = 0  # consecutive
    asked_again: bool = False  # the last reply was a "Sorry, what?": the next turn is taken as heard
    closing: bool = False  # said an end state's line; waiting for the trainee's sign-off
    ended: bool = False
    end_reason: EndReason = ""
    path: list[str] = field(default_factory=list)  # states visited, in order


_CONTENT_KINDS = {
    "opening",
    "line",
    "reaction",
    "answer",
    "identity",
    "spell",
    "callback",
    "contest",
    "accept",
    "decline",
}


class Patient:
    """One simulated caller for one call. Feed it trainee turns; it answers with a :class:`Reply`."""

    def __init__(
        self,
        scenario: Scenario,
        options: PatientOptions = PatientOptions(),
        *,
        embedder=None,
        knowledge: Knowledge | None = None,
    ):
        self.scenario = scenario
        self.options = options
        p = scenario.patient
        self.temperament = temperament.of(p)
        self.moves = {**DEFAULT_MOOD_MOVES, **p.mood.moves}
        self.knowledge = knowledge or Knowledge(
            p.knows, embedder, threshold=options.knows_threshold, overlap_threshold=options.overlap_threshold
        )
        self._names = _names_of(scenario)
        first = RING if scenario.va_speaks_first else self._first_spoken_state()
        self.m = _Memory(state=first, mood=p.mood.start, path=[first])
        self._before: frozenset[str] = frozenset()
        self._known_names = _known_names(scenario) | {n.lower() for n in self._names}

    # ------------------------------------------------------------------ read-only views
    @property
    def state(self) -> str:
        return self.m.state

    @property
    def mood(self) -> int:
        return self.m.mood

    @property
    def ended(self) -> bool:
        return self.m.ended

    @property
    def closing(self) -> bool:
        """The patient has said its last line; one trainee sign-off is allowed, then it hangs up."""
        return self.m.closing

    @property
    def end_reason(self) -> str:
        return self.m.end_reason

    @property
    def shown(self) -> frozenset[str]:
        return frozenset(self.m.shown)

    @property
    def path(self) -> list[str]:
        """The states visited, in order (``ring`` first on inbound calls)."""
        return list(self.m.path)

    @property
    def goal_reached(self) -> bool:
        return self.m.goal_reached

    @property
    def last_line(self) -> str:
        return self.m.last_text

    # ------------------------------------------------------------------ the call
    def start(self) -> Reply | None:
        """The patient's first words: None on inbound calls (the VA answers first)."""
        if self.m.state == RING:
            return None
        st = self.scenario.states[self.m.state]
        text = self._pick(f"say:{self.m.state}", st.say.for_mood(self.m.mood))
        self._enter(self.m.state, visited=False)
        self.m.closing = st.end
        return self._reply(text, "opening", state_from=self.m.state, mood_from=self.m.mood)

    def respond(
        self, turn: Understanding | str, behaviors: Iterable[str] | None = None, *, unsure: Iterable[str] = ()
    ) -> Reply:
        """Decide what the patient says after the trainee's turn.

        ``turn``: the turn's :class:`~simulator.understanding.detect.Understanding` (behaviors,
        dialogue acts and facts, with confidences). The thin path ``respond(text, behaviors)``
        gives behaviors alone (no acts or facts: the caller then follows its states as before).

        ``unsure``: behaviors whose words recognition was unsure of; a behavior that would upset
        the caller, detected with a confidence below ``LOW_CONFIDENCE``, is unsure too. One of those may not end the call or
        move the mood by more than a step: when it would, the caller asks what was said (a
        ``clarify`` reply) and nothing of the turn counts, as a person does with a line they half
        heard; so do words that make no sentence (broken off again and again). A person asks once:
        if the turn after a ``clarify`` is again unsure in a way that matters, the doubtful
        behaviors are left out and the call goes on, so a trainee who repeats the same words (or a
        recording of them) cannot loop."""
        if self.m.ended:
            raise RuntimeError("the call has ended")
        if isinstance(turn, str):
            h = Heard(turn, frozenset(behaviors or ()))
            low: frozenset[str] = frozenset()
        else:
            h = Heard.of(turn)
            low = frozenset(
                d.id for d in turn.behaviors if d.confidence < LOW_CONFIDENCE and self.moves.get(d.id, 0) > 0
            )
        doubt = (frozenset(unsure) | low) & h.shown
        asked, self.m.asked_again = self.m.asked_again, False
        mumbled = (
            not isinstance(turn, str) and not self.m.closing and self.scenario.mode != "voicemail" and garbled(h.text)
        )
        if self._doubt_matters(h, doubt) or mumbled:
            if asked:  # asked once already and still unsure: give the benefit of the doubt, go on
                return self._respond(replace(h, shown=h.shown - doubt))
            m = self.m
            m.asked_again = True
            return self._reply(
                self._pick("clarify", self._lines("mishear")),
                "clarify",
                state_from=m.state,
                mood_from=m.mood,
                behaviors=tuple(sorted(h.shown)),
            )
        return self._respond(h)

    def doubt_matters(self, text: str, behaviors: Iterable[str], unsure: Iterable[str]) -> bool:
        """Whether the behaviors recognition was unsure of would change this turn's outcome (end
        the call, or move the mood by more than a step): then the caller does not simply react."""
        h = Heard(text, frozenset(behaviors))
        return self._doubt_matters(h, frozenset(unsure) & h.shown)

    def _doubt_matters(self, h: Heard, doubt: frozenset[str]) -> bool:
        return bool(doubt) and not self.m.closing and not self.m.ended and self._hinges_on(h, doubt)

    def _hinges_on(self, h: Heard, doubt: frozenset[str]) -> bool:
        """Whether the behaviors in ``doubt`` would end the call or move the mood by more than one step."""
        saved = self.m
        try:
            self.m = copy.deepcopy(saved)
            heard_all = self._respond(h)
            self.m = copy.deepcopy(saved)
            heard_rest = self._respond(replace(h, shown=h.shown - doubt))
        finally:
            self.m = saved
        return (heard_all.ended and not heard_rest.ended) or abs(heard_all.mood - heard_rest.mood) > 1

    def _respond(self, h: Heard) -> Reply:
        m = self.m
        shown = h.shown
        self._before = frozenset(m.shown)  # shown before this turn: what is new in it
        m.shown |= shown
        m.silences = 0
        m.va_facts += h.facts
        m.va_said.append(h.text.lower())
        state_from, mood_from = m.state, m.mood
        if m.closing:  # the trainee signs off after the patient's last line
            text = self._pick("signoff", SIGNOFF.for_mood(m.mood)) if h.text.strip() else ""
            return self._end(
                text, "goodbye", "end_state", state_from=state_from, mood_from=mood_from, behaviors=tuple(sorted(shown))
            )
        st = self._state(state_from)
        # a recording (voicemail) only runs its beats; a person answers hold, repeat, spell... at once
        listens = state_from != RING and self.scenario.mode != "voicemail"
        aside = self._aside(h) if listens else None  # hold, repeat, spell...: answered, the beat waits
        news = (shown - self._before) & (set(ESCALATING) | set(BRUSH_OFF))
        if aside in ("callback", "spell", "repeat") and news:
            _, t = self._match(st, h)  # a beat written for what the VA just did comes before the number
            if t is not None and (set(t.when) | set(t.when_any)) & news:
                aside = None

        mood = mood_from + sum(self.moves.get(b, 0) for b in shown)
        if st.expects and not shown & set(st.expects) and aside in (None, "small_talk"):
            mood += self.scenario.patient.mood.ignored
        m.mood = _clamp(mood)

        urgent = bool(shown & (set(ESCALATING) | set(BRUSH_OFF) | {"stay_on_line"}))  # before any correction
        contest = self._contest(h) if listens and aside is None and not urgent else None
        slot = self._slot(h) if listens and aside is None and contest is None else None
        held = aside is not None or contest is not None or (slot is not None and slot[0] != "accept")
        fired, tr = (None, None) if held else self._match(st, h)
        if tr is not None and listens and not self._answers(tr, h):
            fired, tr = None, None  # the beat waits: the turn asked something else of the caller
        if tr is not None:
            m.mood = _clamp(m.mood + tr.mood)
        ctx = _ReplyContext(state_from=state_from, mood_from=mood_from, fired=fired, behaviors=tuple(sorted(shown)))

        if self._hangs_up_on_mood():
            return self._end(self._pick("mood_hangup", self._lines("hangup")), "hangup", "mood_hangup", **ctx)

        if state_from == RING and (tr is None or tr.goto is None):
            # the VA answered: the caller says why they are calling (a ring reaction replaces it)
            target = self._first_spoken_state()
            if tr is not None and tr.say:
                return self._goto(target, ctx, reaction=tr.say)
            return self._goto(target, ctx)

        if contest is not None:
            return self._reply(contest, "contest", **ctx)
        if aside is not None:
            return self._aside_reply(aside, h, ctx)
        if slot is not None and slot[0] != "accept":
            return self._reply(slot[1], "decline", **ctx)
        if slot is not None:  # accepted: the beat moves on as it would, and the caller says yes to the slot
            if tr is not None and tr.goto not in (None, END):
                self._enter(tr.goto)
                if self.scenario.states[tr.goto].end:
                    m.closing = True
                    return self._reply(slot[1], "accept", closing=True, **ctx)
            return self._reply(slot[1], "accept", **ctx)

        if tr is not None:
            if tr.goto == END:
                text = self._pick(f"react:{state_from}:{fired}", tr.say.for_mood(m.mood)) if tr.say else ""
                return self._end(text, "hangup", "goto_end", **ctx)
            if tr.goto is not None:
                return self._goto(tr.goto, ctx, reaction=tr.say)
            if tr.say:
                text = self._pick(f"react:{state_from}:{fired}", tr.say.for_mood(m.mood))
                return self._reply(text, "reaction", **ctx)
            # a transition that only moves the mood: fall through to the rest

        closing = _closes(h) if h.understood else "warm_close" in shown
        if closing and m.goal_reached:
            return self._end(self._pick("goodbye", self._lines("goodbye")), "goodbye", "trainee_close", **ctx)
        if "jargon" in shown or "jargon" in h.acts:
            return self._react("jargon", ctx)
        # what the VA is doing about it: 911 first, then the crisis line, a live transfer, a message
        if "advise_911" in shown:
            return self._react("emergency_911", ctx)
        if "crisis_line_988" in shown:
            return self._react("crisis_line", ctx)
        if "transfer_clinical" in shown or "transfer" in h.acts:
            m.given.add("transfer")
            return self._react("transfer", ctx)
        fresh = shown - self._before
        if fresh & set(ESCALATING) or (
            "escalation" in h.acts
            and not (shown | self._before) & set(ESCALATING)
            and not h.acts & {"question", "identity_request", "callback_request"}
        ):
            return self._react("escalation", ctx)  # a message or referral announced (once: a repeat is no news)
        if closing and h.acts:
            return self._react("early_close", ctx)
        if "jargon" in shown or "jargon" in h.acts:
            return self._react("jargon", ctx)
        if shown & set(BRUSH_OFF) or "brush_off" in h.acts:
            return self._react("brush_off", ctx)
        if "verify_identity" in shown or "identity_request" in h.acts:
            m.identity_given = True
            m.given.add("identity")
            return self._reply(self.identity_line(), "identity", **ctx)
        if "stay_on_line" in shown:
            return self._react("stay_on_line", ctx)
        if _asks(h):
            hit = self.knowledge.match(h.text)
            if hit is not None:
                m.given.add(hit[0])
                return self._reply(self.knowledge.answer(hit[0]), "answer", topic=hit[0], **ctx)
            if questions_in(h.text) and "offer_more_help" not in shown:
                return self._reply(self._pick("confused", self._lines("confused")), "confused", **ctx)
            # "anything else?" before the caller has what they called for: they say what is still open
        if "small_talk" in h.acts:
            return self._react("small_talk", ctx)
        if h.acts & {"inform", "offer"} and not h.acts & {"acknowledge", "greeting"}:
            return self._react("acknowledge", ctx)
        return self._reply(self._again(st, state_from), "again", **ctx)

    # ------------------------------------------------------------------ what the turn asks besides the beat
    def _demands(self, h: Heard) -> set[str]:
        """What in the turn needs its own answer rather than the script's next beat: an escalation,
        jargon, a brush-off, an early close, a question the caller can answer (behavior and act ids)."""
        if not h.understood:
            return set()
        new = h.shown - self._before
        out = set(new & set(ESCALATING)) | set(h.shown & (set(BRUSH_OFF) | {"jargon"}))
        out |= h.acts & {"small_talk", "brush_off", "jargon"}
        if "transfer" in h.acts and not h.shown & LIVE_ESCALATIONS and "transfer" not in self.m.given:
            out.add("transfer")  # a transfer no live-escalation behavior covers ("to billing", "to our front desk")
        if not self.m.goal_reached and _closes(h):
            out.add("closing")
        asks_identity = "verify_identity" in h.shown or h.acts & {
            "identity_request",
            "spelling_request",
            "callback_request",
        }
        if not asks_identity and _asks(h) and self.knowledge.match(h.text):
            out.add("question")
        return out

    def _answers(self, tr: Transition, h: Heard) -> bool:
        """Whether a matching transition answers what the turn demands (it names one of those
        behaviors or acts), or the turn demands nothing else; a transition on something incidental
        ("take_ownership" in "let me transfer you") waits."""
        if tr.goto == END:
            return True  # the caller leaves, whatever else was said
        demands = self._demands(h)
        if not demands:
            return True
        names = set(tr.when) | set(tr.when_any) | set(tr.acts)
        if demands & {"jargon"} and not names & {"jargon"}:
            return False  # words the caller did not understand come before anything else they said
        demands = demands - MESSAGES  # a message or referral does not hold up the beat (a live hand-off does)
        if not _unconditional(tr):
            demands = demands - {"question"}  # a beat written for this turn answers its question itself
        if not demands:
            return True
        named = set(tr.when) | set(tr.when_any) | set(tr.acts) | (set(tr.after) & h.shown)
        if names & {"warm_close", "closing"}:
            named.add("closing")
        return bool(demands & named)

    def _aside(self, h: Heard) -> str | None:
        """A request the caller answers at once, leaving the beat where it is: say that again, hold,
        spell, a callback number, chit-chat. None when the turn does more than that (an escalation,
        a violation, identity)."""
        acts = h.acts
        if not acts or h.shown & {"verify_identity", "jargon"}:
            return None
        if "repeat_request" in acts and self.m.last_content and not h.shown & set(BRUSH_OFF):
            return "repeat"
        if "spelling_request" in acts:
            return "spell"
        if "callback_request" in acts and self.scenario.patient.phone:
            return "callback"
        if h.shown & (set(ESCALATING) | set(BRUSH_OFF)):
            return None
        if "hold" in acts and not acts & {"transfer", "identity_request"}:
            return "hold"
        if "small_talk" in acts and not acts & {"identity_request", "offer", "transfer", "escalation", "closing"}:
            hit = self.knowledge.match(h.text) if _asks(h) else None
            if hit is not None and hit[1] >= SMALL_TALK_ANSWERED:
                return None  # chatty, but plainly a question the caller can answer ("When are you moving?")
            return "small_talk"
        return None

    def _aside_reply(self, aside: str, h: Heard, ctx: _ReplyContext) -> Reply:
        p = self.scenario.patient
        m = self.m
        if aside == "repeat":
            text = self._pick("repeat", self._lines("repeat")).format(line=_unquote(m.last_content))
            return self._reply(text, "repeat", content=False, **ctx)
        if aside == "spell":
            word = self._spell_target(h.text)
            m.given.add("spelling")
            text = self._pick("spell", self._lines("spell")).format(word=word, spelled=spelled(word))
            return self._reply(text, "spell", **ctx)
        if aside == "callback":
            m.given.add("callback")
            text = self._pick("callback", self._lines("callback")).format(phone=p.phone)
            return self._reply(text, "callback", **ctx)
        return self._react(aside, ctx)

    def _react(self, name: str, ctx: _ReplyContext) -> Reply:
        return self._reply(self._pick(name, self._lines(name)), name, content=False, **ctx)  # type: ignore[arg-type]

    def _spell_target(self, text: str) -> str:
        said = set(words(text))
        for name in self._names:
            if name.lower() in said or f"{name.lower()}s" in said:
                return name
        caller = (self.scenario.caller.name or self.scenario.patient.name).split()
        return caller[0] if "first" in said and caller else caller[-1]

    def _contest(self, h: Heard) -> str | None:
        """The correction of a fact the VA just stated wrongly, from what the caller knows."""
        known = self.scenario.patient.facts
        if not known:
            return None
        for piece in split.sentences(h.text):
            for clause in re.split(r"[;:]\s+|,\s+(?:and|but|so)\s+|\s+but\s+", piece):
                cw = words(clause)
                if (
                    not cw
                    or cw[0] in _WH
                    or (cw[0] in _AUX and (cw[1:2] == ["you"] or {"any", "anything", "ever"} & set(cw)))
                ):
                    continue  # a question asking for it ("which pharmacy?", "any allergies?") states nothing
                low = clause.lower()
                stated = extract(clause)
                for name, cf in known.items():
                    if not any(_has_word(cw, low, a) for a in cf.about):
                        continue
                    truth = extract(cf.value)
                    kinds = {f.kind for f in truth}
                    said = [f for f in stated if f.kind in kinds]
                    years, told = _years(cf.value), _years(clause)
                    if said or (truth and not cf.same):  # compared as values
                        wrong = bool(said) and not any(matches(s, t) for s in said for t in truth)
                        wrong = wrong or bool(years and told and not years & told)
                    else:  # compared by words, when the sentence claims a value ("so you're moving to Dallas?")
                        same = cf.same or sorted(_content(cf.value))
                        sent = f" {piece.lower()}"
                        claims = any(c in sent for c in _CLAIMS) or cw[0] in ("so", "and")
                        wrong = (
                            claims
                            and bool(same)
                            and not any(_has_word(cw, low, w) for w in same)
                            and self._states_a_value(clause, cw, low, cf)
                        )
                    if wrong:
                        lines = cf.say.for_mood(self.m.mood) if cf.say else self._lines("contest")
                        return self._pick(f"contest:{name}", lines).format(value=cf.value)
        return None

    def _states_a_value(self, clause: str, cw: list[str], low: str, cf) -> bool:
        """Whether a sentence about a fact names some value for it: one of the fact's known wrong
        values, a number, or a name the caller does not already know to be right."""
        if any(_has_word(cw, low, w) for w in cf.wrong):
            return True
        if any(ch.isdigit() for ch in clause) or set(cw) & _NUMBER_WORDS:
            return True
        names = re.findall(r"(?<=[\s,])([A-Z][A-Za-z]+)", clause)
        return any(n.lower() not in self._known_names for n in names)

    def _slot(self, h: Heard) -> tuple[str, str] | None:
        """("accept" | "decline", the line) when the turn offers a day or time and the caller has wants."""
        wants = self.scenario.patient.wants
        if wants is None or h.shown & {"verify_identity"} or h.acts & {"identity_request", "spelling_request"}:
            return None
        low = h.text.lower()
        if "born" in low or "birth" in low:
            return None
        found = [
            s
            for s in slots_in(h.text, h.facts or tuple(extract(h.text)))
            if (s.weekday or s.time or s.date) and not re.search(rf"\b(since|last)\s+{re.escape(s.said)}", low)
        ]
        if not found and wants.by:  # "late August": a month is enough to miss a deadline
            month = next((i + 1 for i, name in enumerate(MONTHS) if re.search(rf"\b{name}\b", low)), None)
            if month is not None:
                day = 25 if "late" in low or "end of" in low else 5 if "early" in low else 15
                found = [Slot(date=(month, day), said=MONTHS[month - 1].capitalize())]
        if not found:
            return None
        if not ("offer" in h.acts or any(w in low for w in _SLOT_WORDS)):
            return None
        verdicts = [(s, self._fits(s, wants)) for s in found]
        ok = next((s for s, v in verdicts if v == "ok"), None)
        if ok is not None:
            return "accept", self._pick("accept", self._lines("accept")).format(slot=ok.spoken())
        s, v = verdicts[0]
        if v == "late" and wants.late:
            return "decline", self._pick("late", wants.late.for_mood(self.m.mood)).format(slot=s.spoken())
        return "decline", self._pick("decline", self._lines("decline")).format(slot=s.spoken())

    @staticmethod
    def _fits(s: Slot, wants: Wants) -> str:
        if wants.by:
            by = extract(wants.by)
            by_day = next((f.value for f in by if f.kind == "weekday"), None)
            by_date = next((f.value for f in by if f.kind == "date"), None)
            if by_date is not None and s.date is not None and s.date >= by_date:  # type: ignore[operator]
                return "late"
            if by_day is not None and s.weekday and s.date is None:
                day = WEEKDAYS.index(s.weekday) + (7 if s.next_week else 0)
                if day >= WEEKDAYS.index(str(by_day)):
                    return "late"
        if not wants.slots:
            return "window"
        for win in wants.slots:
            days = [d.lower() for d in win.days]
            if days and s.weekday and s.weekday not in days:
                continue
            if s.time is not None:
                after, before = _time_of(win.after), _time_of(win.before)
                if after is not None and s.time < after:
                    continue
                if before is not None and s.time >= before:
                    continue
            return "ok"
        return "window"

    def silence(self) -> Reply:
        """The trainee has said nothing for a while: re-prompt, and hang up after too long."""
        if self.m.ended:
            raise RuntimeError("the call has ended")
        m = self.m
        m.silences += 1
        ctx = _ReplyContext(state_from=m.state, mood_from=m.mood, behaviors=())
        if m.closing:  # nobody signed off: the patient just hangs up
            return self._end("", "hangup", "end_state", **ctx)
        if m.silences > self.options.max_reprompts:
            return self._end(
                self._pick("silence_hangup", SILENCE_HANGUP.for_mood(m.mood)), "hangup", "silence_hangup", **ctx
            )
        return self._reply(self._pick("reprompt", REPROMPT.for_mood(m.mood)), "reprompt", content=False, **ctx)

    def trainee_hung_up(self) -> None:
        """The trainee ended the call (script ran out, ``q`` typed, Ctrl-C)."""
        if not self.m.ended:
            self.m.ended = True
            self.m.end_reason = "end_state" if self.m.closing else "trainee_hangup"

    # ------------------------------------------------------------------ every line it may say
    def all_lines(self) -> list[str]:
        """Every line this patient can speak, for pre-synthesis at session start (no duplicates).

        Lines made from the call itself (a repeated line, a spelled name, an offered slot, a
        contested value) are not here: they are synthesised when first said."""
        sc = self.scenario
        out: list[str] = []
        for _name, st in sc.states.items():
            out += st.say.all()
            if st.again:
                out += st.again.all()
            for tr in st.on:
                if tr.say:
                    out += tr.say.all()
        for mood in (0, 5, 10):
            out.append(self.identity_line(mood))
        p = sc.patient
        out += list(p.knows.values())
        for name in REACTION_NAMES:
            out += [t for t in self._lines_all(name) if "{" not in t]
        if p.phone:
            out += [t.format(phone=p.phone) for t in self._lines_all("callback")]
        for cf in p.facts.values():
            out += [t.format(value=cf.value) for t in (cf.say.all() if cf.say else self._lines_all("contest"))]
        for lines in (REPROMPT, SILENCE_HANGUP, SIGNOFF, AGAIN_SHARPER):
            out += lines.all()
        return [t for t in dict.fromkeys(out) if t.strip()]

    def identity_line(self, mood: int | None = None) -> str:
        p = self.scenario.patient
        lines = self._lines("identity", self.m.mood if mood is None else mood)
        return lines[0].format(name=p.name, dob=spoken_date(p.dob))

    def out_of_temperament(self, text: str) -> bool:
        """Whether ``text`` is a line this caller's temperament would not say: words it never says,
        or another temperament's default line that is not this caller's own."""
        low = text.lower()
        if any(w in low for w in self.temperament.never):
            return True
        mine = set(self.all_lines())
        others = temperament.all_default_lines()
        return text not in mine and any(
            text in lines for name, lines in others.items() if name not in (self.temperament.name, "neutral")
        )

    # ------------------------------------------------------------------ internals
    def _lines(self, name: str, mood: int | None = None) -> list[str]:
        return temperament.reaction(self.scenario.patient, name).for_mood(self.m.mood if mood is None else mood)

    def _lines_all(self, name: str) -> list[str]:
        return temperament.reaction(self.scenario.patient, name).all()

    def _first_spoken_state(self) -> str:
        first = self.scenario.first_state
        if first != RING:
            return first
        return next(n for n in self.scenario.states if n != RING)

    def _state(self, name: str) -> State:
        return self.scenario.states.get(name) or State()  # the implicit ring state

    def _match(self, st: State, h: Heard) -> tuple[int | None, Transition | None]:
        m = self.m
        shown = h.shown
        for i, tr in enumerate(st.on):
            if tr.when and not set(tr.when) <= shown:
                continue
            if tr.when_any and not set(tr.when_any) & shown:
                continue
            if tr.unless and set(tr.unless) & shown:
                continue
            if tr.after and not set(tr.after) <= m.shown:
                continue
            if tr.acts and not set(tr.acts) & h.acts:
                continue
            if tr.mood_at_least is not None and m.mood < tr.mood_at_least:
                continue
            if tr.mood_below is not None and m.mood >= tr.mood_below:
                continue
            return i, tr
        return None, None

    def _hangs_up_on_mood(self) -> bool:
        at = self.scenario.patient.mood.hangup_at
        return at is not None and self.m.mood >= at

    def _goto(self, target: str, ctx: _ReplyContext, reaction: Lines | None = None) -> Reply:
        m = self.m
        target = self._skip_answered(target)
        st = self.scenario.states[target]
        if reaction:
            text = self._pick(f"react:{ctx['state_from']}:{ctx['fired']}", reaction.for_mood(m.mood))
            kind: ReplyKind = "reaction"
        else:
            text = self._pick(f"say:{target}", st.say.for_mood(m.mood))
            kind = "line"
        self._enter(target)
        if st.end:
            self.m.closing = True
            return self._reply(text, kind, closing=True, **ctx)
        return self._reply(text, kind, **ctx)

    def _skip_answered(self, target: str) -> str:
        """The caller does not ask what the VA already said: a beat whose ``asks_about`` words the VA
        used earlier in the call is passed by its unconditional transition (a few at most)."""
        said = " ".join(self.m.va_said)
        for _ in range(4):
            st = self.scenario.states.get(target)
            if st is None or not st.asks_about or st.end or st.goal:
                return target
            if not any(_has_word(words(said), said, w) for w in st.asks_about):
                return target
            nxt = next((tr.goto for tr in st.on if _unconditional(tr) and tr.goto not in (None, END)), None)
            if nxt is None:
                return target
            target = nxt
        return target

    def _enter(self, target: str, visited: bool = True) -> None:
        m = self.m
        if visited and m.path[-1] != target:
            m.path.append(target)
        m.state = target
        if self.scenario.states[target].goal:
            m.goal_reached = True

    def _again(self, st: State, name: str) -> str:
        """The state's ``again`` line, escalating when it keeps being needed: a rephrase (another
        variant), then a sharper line (the angrier band, or a nudge), then a mood step each time."""
        m = self.m
        n = m.agains.get(name, 0)
        m.agains[name] = n + 1
        base = st.again or st.say
        if n >= 2:
            m.mood = _clamp(m.mood + 1)
        lines = base.for_mood(m.mood) if n == 0 else base.for_mood(min(10, m.mood + 4 * min(n, 2)))
        fresh = [t for t in lines if t != m.last_text]
        if n > 0 and not fresh:
            fresh = [t for t in AGAIN_SHARPER.for_mood(m.mood) if t != m.last_text]
        return self._pick(f"again:{name}", fresh or lines)

    def _pick(self, key: str, lines: Sequence[str]) -> str:
        """A variant chosen by (seed, key, times said), never the line just said when there is another."""
        if not lines:
            return ""
        n = self.m.said.get(key, 0)
        self.m.said[key] = n + 1
        choices = [t for t in lines if t != self.m.last_text] or list(lines)
        return choices[_stable_index(self.options.seed, f"{key}\x00{n}", len(choices))]

    def _reply(
        self,
        text: str,
        kind: ReplyKind,
        *,
        state_from: str,
        mood_from: int,
        fired: int | None = None,
        behaviors: tuple[str, ...] = (),
        topic: str = "",
        ended: bool = False,
        reason: EndReason = "",
        closing: bool = False,
        content: bool | None = None,
    ) -> Reply:
        if text and text == self.m.last_text and kind not in ("goodbye", "hangup"):
            text = self._pick("like_i_said", LIKE_I_SAID.for_mood(self.m.mood)).format(line=_unquote(text))
        if text:
            self.m.last_text = text
            if content if content is not None else kind in _CONTENT_KINDS:
                self.m.last_content = text
        if kind != "again":
            self.m.agains.pop(self.m.state, None)
        if ended:
            self.m.ended = True
            self.m.end_reason = reason
        return Reply(
            text=text,
            kind=kind,
            state=self.m.state,
            mood=self.m.mood,
            ended=ended,
            end_reason=reason,
            closing=closing,
            state_from=state_from,
            mood_from=mood_from,
            fired=fired,
            behaviors=behaviors,
            topic=topic,
        )

    def _end(self, text: str, kind: ReplyKind, reason: EndReason, **ctx) -> Reply:
        return self._reply(text, kind, ended=True, reason=reason, **ctx)


_NUMBER_WORDS = {
    "once",
    "twice",
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
    "hundred",
    "thousand",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "tenth",
    "twentieth",
    "thirtieth",
    "point",
}


def _known_names(scenario: Scenario) -> set[str]:
    """Capitalised words that name nothing wrong: the caller's and practice's own names, what the
    caller knows to be right, titles, days and months."""
    p = scenario.patient
    out = {w.lower() for w in re.findall(r"[A-Za-z]+", f"{p.name} {scenario.caller.name} {scenario.practice.name}")}
    for cf in p.facts.values():
        out |= {w.lower() for w in cf.same} | {w.lower() for w in re.findall(r"[A-Za-z]+", cf.value)}
    return out | {"i", "dr", "mr", "mrs", "ms", "miss", "okay", "ok", "thanks", "thank", *WEEKDAYS, *MONTHS}


def _closes(h: Heard) -> bool:
    """The VA ends the call: the closing act, or a warm close with no question after it."""
    return "closing" in h.acts or ("warm_close" in h.shown and "?" not in h.text)


def _asks(h: Heard) -> bool:
    """A question in the turn: a sentence that asks, or the question act on unpunctuated (recognised) words."""
    return bool(questions_in(h.text)) or ("question" in h.acts and not any(c in h.text for c in ".?!"))


def _years(text: str) -> set[int]:
    return {int(t) for t in spoken_numbers(text.lower()) if t.isdigit() and 1900 <= int(t) <= 2099}


def _unconditional(tr: Transition) -> bool:
    return not (
        tr.when
        or tr.when_any
        or tr.unless
        or tr.after
        or tr.acts
        or tr.mood_at_least is not None
        or tr.mood_below is not None
    )


def spelled(word: str) -> str:
    """ "Carter" -> "C-A-R-T-E-R"."""
    return "-".join(c.upper() for c in word if c.isalpha())


def _unquote(line: str) -> str:
    return line[0].lower() + line[1:] if line[:2].istitle() and not line.startswith("I ") else line


_NOT_NAMES = {"the", "and", "but", "dr", "mr", "mrs", "ms", "miss", "okay", "yes", "no", "sure", "thanks", "thank"}


def _names_of(scenario: Scenario) -> list[str]:
    """Names the caller may be asked to spell: the patient's and caller's, then capitalised words
    inside the caller's lines (a child's name, a street), longest first."""
    p = scenario.patient
    out = [w for w in (p.name + " " + scenario.caller.name).split() if w.isalpha()]
    texts = list(p.knows.values()) + [t for st in scenario.states.values() for t in st.say.all()]
    for t in texts:
        for sent in split.sentences(t):
            for w in re.findall(r"(?<=\s)([A-Z][a-z]{2,})\b", sent):
                if w.lower() not in _NOT_NAMES and w.lower() not in WEEKDAYS and w.lower() not in MONTHS:
                    out.append(w)
    return list(dict.fromkeys(out))
