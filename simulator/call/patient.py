"""The simulated patient: a pure, seeded state machine over a :class:`~simulator.authoring.model.Scenario`.

Each trainee turn arrives as its text plus the behavior ids detected in it; the patient
answers with one :class:`Reply`. Nothing here touches audio, models or the clock, so the
whole conversation logic is tested in microseconds and an assessment can replay it.

How a turn is decided (``Patient.respond``):

1. **Mood** (0 calm .. 10 furious) moves by every behavior shown in the turn
   (``DEFAULT_MOOD_MOVES`` merged with ``patient.mood.moves``), rises by ``mood.ignored``
   when the turn shows none of the current state's ``expects``, and by a fired
   transition's own ``mood``. At ``mood.hangup_at`` the caller hangs up.
2. **Transitions** of the current state, first match wins: ``when`` (all shown this turn),
   ``when_any``, ``unless``, ``after`` (shown at any time so far, this turn included) and the
   mood bounds (checked after this turn's behavior moves). A match moves to ``goto`` and says
   the transition's reaction line, or else the new state's line.
3. **Nothing fired**: a trainee close (``warm_close``) once a goal state was reached ends the
   call; a request for identity is answered with name and date of birth (never volunteered);
   a question is answered from ``patient.knows`` when it matches a topic (embeddings, word
   overlap without them), otherwise a ``confused`` line; anything else gets the state's
   ``again`` line.

The call ends on a transition to ``end`` (the caller hangs up at once), at ``hangup_at``, after
a long silence, on a trainee close once the goal was reached, or at a state with ``end: true``:
the caller says its last line and waits for the trainee's sign-off ("Bye now."), so a warm
close is still possible.

Inbound calls start in the implicit ``ring`` state: the VA speaks first and the caller then
says the first state's line. Line variants are chosen by mood band; which variant is a hash
of (seed, what is being said, how often it was said), so the same seed gives every trainee of
an assessment the same patient, whatever path they take, and a variant is not repeated back
to back when there is another.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, NotRequired, TypedDict

import numpy as np

from simulator.authoring.model import DEFAULT_MOOD_MOVES, END, RING, Lines, Scenario, State, Transition, mood_band
from simulator.text import split
from simulator.text.numbers import spoken_date
from simulator.text.split import words

ReplyKind = Literal[
    "opening", "line", "reaction", "again", "identity", "answer", "confused", "reprompt", "goodbye", "hangup", "clarify"
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
GOODBYE = Lines(
    calm=["Okay, thank you. Bye.", "Great, thanks so much. Bye now."],
    upset=["Okay. Thanks. Bye."],
    angry=["Fine. Bye."],
)
MOOD_HANGUP = Lines(
    upset=["I don't have time for this. Goodbye."],
    angry=["You know what, forget it. I'm hanging up.", "This is ridiculous. I'm done. Goodbye."],
)
# A line half heard: recognition was unsure of the words a strong reaction would rest on
CLARIFY = Lines(any=["Sorry, what was that?", "Sorry, I didn't catch that. What did you say?"])
IDENTITY_TEMPLATES = Lines(
    calm=["Sure, it's {name}, date of birth {dob}."],
    upset=["It's {name}. Date of birth {dob}."],
    angry=["{name}. {dob}."],
)

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
        if embedder is not None and self.topics:
            texts = self.topics + [f"{t}: {a}" for t, a in zip(self.topics, self.answers)]
            vec = np.asarray(embedder.embed(texts), dtype=np.float32)
            self._vectors = vec.reshape(2, len(self.topics), -1)

    def match(self, text: str) -> tuple[str, float] | None:
        """The best topic for the questions in ``text`` and its score, or None below threshold."""
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


def _stable_index(seed: int, key: str, n: int) -> int:
    digest = hashlib.sha256(f"{seed}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % n


def _clamp(mood: int) -> int:
    return max(0, min(10, mood))


@dataclass
class _Memory:
    """What the patient remembers of the call so far (mutable; the Patient owns it)."""

    state: str
    mood: int
    shown: set[str] = field(default_factory=set)
    said: dict[str, int] = field(default_factory=dict)  # key -> times said (for stable choices)
    last_text: str = ""
    goal_reached: bool = False
    identity_given: bool = False
    silences: int = 0  # consecutive
    asked_again: bool = False  # the last reply was a "Sorry, what?": the next turn is taken as heard
    closing: bool = False  # said an end state's line; waiting for the trainee's sign-off
    ended: bool = False
    end_reason: EndReason = ""
    path: list[str] = field(default_factory=list)  # states visited, in order


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
        self.moves = {**DEFAULT_MOOD_MOVES, **p.mood.moves}
        self.knowledge = knowledge or Knowledge(
            p.knows, embedder, threshold=options.knows_threshold, overlap_threshold=options.overlap_threshold
        )
        first = RING if scenario.va_speaks_first else self._first_spoken_state()
        self.m = _Memory(state=first, mood=p.mood.start, path=[first])

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

    def respond(self, text: str, behaviors: Iterable[str], *, unsure: Iterable[str] = ()) -> Reply:
        """Decide what the patient says after the trainee said ``text`` showing ``behaviors``.

        ``unsure``: behaviors among them whose words recognition was unsure of. One of those may
        not end the call or move the mood by more than a step: when it would, the caller asks
        what was said (a ``clarify`` reply) and nothing of the turn counts, as a person does
        with a line they half heard. A person asks once: if the turn after a ``clarify`` is again
        unsure in a way that matters, the doubtful behaviors are left out and the call goes on, so
        a trainee who repeats the same words (or a recording of them) cannot loop."""
        if self.m.ended:
            raise RuntimeError("the call has ended")
        shown = frozenset(behaviors)
        doubt = frozenset(unsure) & shown
        asked, self.m.asked_again = self.m.asked_again, False
        if self.doubt_matters(text, shown, doubt):
            if asked:  # asked once already and still unsure: give the benefit of the doubt, go on
                return self._respond(text, shown - doubt)
            m = self.m
            m.asked_again = True
            return self._reply(
                self._pick("clarify", CLARIFY.for_mood(m.mood)),
                "clarify",
                state_from=m.state,
                mood_from=m.mood,
                behaviors=tuple(sorted(shown)),
            )
        return self._respond(text, shown)

    def doubt_matters(self, text: str, behaviors: Iterable[str], unsure: Iterable[str]) -> bool:
        """Whether the behaviors recognition was unsure of would change this turn's outcome (end
        the call, or move the mood by more than a step): then the caller does not simply react."""
        shown = frozenset(behaviors)
        doubt = frozenset(unsure) & shown
        return bool(doubt) and not self.m.closing and not self.m.ended and self._hinges_on(text, shown, doubt)

    def _hinges_on(self, text: str, shown: frozenset[str], doubt: frozenset[str]) -> bool:
        """Whether the behaviors in ``doubt`` would end the call or move the mood by more than one step."""
        saved = self.m
        try:
            self.m = copy.deepcopy(saved)
            heard_all = self._respond(text, shown)
            self.m = copy.deepcopy(saved)
            heard_rest = self._respond(text, shown - doubt)
        finally:
            self.m = saved
        return (heard_all.ended and not heard_rest.ended) or abs(heard_all.mood - heard_rest.mood) > 1

    def _respond(self, text: str, shown: frozenset[str]) -> Reply:
        m = self.m
        m.shown |= shown
        m.silences = 0
        state_from, mood_from = m.state, m.mood
        if m.closing:  # the trainee signs off after the patient's last line
            text = self._pick("signoff", SIGNOFF.for_mood(m.mood)) if text.strip() else ""
            return self._end(
                text, "goodbye", "end_state", state_from=state_from, mood_from=mood_from, behaviors=tuple(sorted(shown))
            )
        st = self._state(state_from)

        mood = mood_from + sum(self.moves.get(b, 0) for b in shown)
        if st.expects and not shown & set(st.expects):
            mood += self.scenario.patient.mood.ignored
        m.mood = _clamp(mood)

        fired, tr = self._match(st, shown)
        if tr is not None:
            m.mood = _clamp(m.mood + tr.mood)
        ctx = _ReplyContext(state_from=state_from, mood_from=mood_from, fired=fired, behaviors=tuple(sorted(shown)))

        if self._hangs_up_on_mood():
            return self._end(self._pick("mood_hangup", MOOD_HANGUP.for_mood(m.mood)), "hangup", "mood_hangup", **ctx)

        if state_from == RING and (tr is None or tr.goto is None):
            # the VA answered: the caller says why they are calling (a ring reaction replaces it)
            target = self._first_spoken_state()
            if tr is not None and tr.say:
                return self._goto(target, ctx, reaction=tr.say)
            return self._goto(target, ctx)

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

        if "warm_close" in shown and m.goal_reached:
            return self._end(self._pick("goodbye", GOODBYE.for_mood(m.mood)), "goodbye", "trainee_close", **ctx)
        if "verify_identity" in shown:
            m.identity_given = True
            return self._reply(self.identity_line(), "identity", **ctx)
        if questions_in(text):
            hit = self.knowledge.match(text)
            if hit is not None:
                return self._reply(self.knowledge.answer(hit[0]), "answer", topic=hit[0], **ctx)
            return self._reply(self._pick("confused", self.scenario.patient.confused), "confused", **ctx)
        return self._reply(self._again(st, state_from), "again", **ctx)

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
        return self._reply(self._pick("reprompt", REPROMPT.for_mood(m.mood)), "reprompt", **ctx)

    def trainee_hung_up(self) -> None:
        """The trainee ended the call (script ran out, ``q`` typed, Ctrl-C)."""
        if not self.m.ended:
            self.m.ended = True
            self.m.end_reason = "end_state" if self.m.closing else "trainee_hangup"

    # ------------------------------------------------------------------ every line it may say
    def all_lines(self) -> list[str]:
        """Every line this patient can speak, for pre-synthesis at session start (no duplicates)."""
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
        out += list(sc.patient.knows.values()) + list(sc.patient.confused)
        for lines in (REPROMPT, SILENCE_HANGUP, GOODBYE, MOOD_HANGUP, SIGNOFF, CLARIFY):
            out += lines.all()
        return [t for t in dict.fromkeys(out) if t.strip()]

    def identity_line(self, mood: int | None = None) -> str:
        p = self.scenario.patient
        band = mood_band(self.m.mood if mood is None else mood)
        template = getattr(IDENTITY_TEMPLATES, band)[0]
        return template.format(name=p.name, dob=spoken_date(p.dob))

    # ------------------------------------------------------------------ internals
    def _first_spoken_state(self) -> str:
        first = self.scenario.first_state
        if first != RING:
            return first
        return next(n for n in self.scenario.states if n != RING)

    def _state(self, name: str) -> State:
        return self.scenario.states.get(name) or State()  # the implicit ring state

    def _match(self, st: State, shown: frozenset[str]) -> tuple[int | None, Transition | None]:
        m = self.m
        for i, tr in enumerate(st.on):
            if tr.when and not set(tr.when) <= shown:
                continue
            if tr.when_any and not set(tr.when_any) & shown:
                continue
            if tr.unless and set(tr.unless) & shown:
                continue
            if tr.after and not set(tr.after) <= m.shown:
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

    def _enter(self, target: str, visited: bool = True) -> None:
        m = self.m
        if visited and m.path[-1] != target:
            m.path.append(target)
        m.state = target
        if self.scenario.states[target].goal:
            m.goal_reached = True

    def _again(self, st: State, name: str) -> str:
        lines = st.again.for_mood(self.m.mood) if st.again else st.say.for_mood(self.m.mood)
        return self._pick(f"again:{name}", lines)

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
    ) -> Reply:
        if text:
            self.m.last_text = text
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
