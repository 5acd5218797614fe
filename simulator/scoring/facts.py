"""Accuracy checks facts: what the trainee stated, compared with what the scenario and practice say.

A reviewer's accuracy score is about whether what the VA said is *correct*. So every value the
trainee states (amounts, dates, days, times, durations, phone numbers, counts, doses: read by
:mod:`simulator.understanding.facts`) is compared with the **references** it is about:

* the scenario's ``facts`` (the balance, the visit date, the open slots, refills remaining...),
  each with the values its text holds;
* the practice file: its phone number, hours, and every policy sentence that states a value
  ("Refill requests are reviewed ... usually within 2 business hours").

A statement is *about* a reference when the clause shares one of the reference's topic words
(the fact's name and key words, a few synonyms, an author's ``about`` list). A value of the
same kind that matches none of the reference's values is a **wrong fact**, with evidence ("you
said $240; the balance is $185.00"). A value the caller said first, or a simple share of a
reference amount (a payment plan's halves), is not wrong. Wrong account facts (amounts, dates,
times, counts, phone numbers of the scenario) mislead the caller: ``critical``, a 1 in accuracy.
So is any wrong phone number (the practice's, a callback number): the caller cannot call back. Practice timings and policies
stated wrongly are a minor slip (a point) unless the fact is marked ``critical``. Closed/open days are checked against the practice's hours.

Scenario facts marked ``expected`` are things the VA should tell the caller; one never said is a
miss in accuracy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from simulator.authoring.model import Scenario
from simulator.scoring.transcript import Transcript
from simulator.text.split import clauses, words
from simulator.understanding.facts import WEEKDAYS, Fact, extract, matches

# Words that say a statement is about a fact, by a word in the fact's name.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "balance": ("balance", "owe", "owed", "due", "total", "bill", "billed", "charge", "statement", "amount", "pay"),
    "paid": ("paid", "covered", "payment", "insurance", "pay"),
    "copay": ("copay", "co", "pay"),
    "appointment": ("appointment", "booked", "scheduled", "see", "visit", "slot", "come", "coming"),
    "slots": ("slot", "slots", "opening", "openings", "available", "appointment", "have", "book", "schedule"),
    "visit": ("visit", "seen", "appointment", "came", "saw"),
    "date": ("date", "on", "dated"),
    "refills": ("refill", "refills", "left", "remaining"),
    "filled": ("filled", "fill", "picked"),
    "medication": ("medication", "medicine", "dose", "mg", "taking", "take"),
    "medications": ("medication", "medicine", "dose", "mg", "taking", "take"),
    "number": ("number", "call", "reach", "phone"),
    "phone": ("number", "call", "reach", "phone"),
    "contact": ("number", "call", "reach", "phone", "contact"),
    "hours": ("open", "close", "closes", "closed", "hours"),
    "status": ("status", "approved", "pending", "waiting", "submitted", "sent"),
    "referral": ("referral", "referred", "sent"),
    "results": ("results", "posted", "drawn", "labs", "lab"),
    "statement": ("statement", "due", "mailed"),
    "fee": ("fee", "charge"),
    "account": ("account", "fee", "collections", "balance"),
    "turnaround": ("within", "takes", "processed", "sent", "days"),
    "timeline": ("within", "takes", "usually", "days", "approval"),
    "reminders": ("reminder", "text", "before"),
    "arrival": ("arrive", "early", "minutes", "check"),
}
_STOP = frozenset(
    """a an the of on in at to for and or with by is are was be your you our we i it this that from as his her their
    my me can will would should may if so up out about into over than then there here not no yes""".split()
)
_ACCOUNT_KINDS = {"money", "date", "time", "weekday", "count", "phone", "dose"}
_SHARES = (2, 3, 4, 6, 12)


@dataclass(frozen=True)
class Reference:
    name: str  # "balance", or "practice: <policy ...>"
    facts: tuple[Fact, ...]  # the values it holds
    topic: frozenset[str]  # words that say a statement is about it
    text: str  # how it reads, for evidence
    critical: bool  # stating it wrongly misleads the caller
    source: str  # "scenario" | "practice"


@dataclass(frozen=True)
class WrongFact:
    turn: int
    said: Fact
    reference: Reference
    quote: str
    critical: bool

    def evidence(self) -> str:
        want = ", ".join(dict.fromkeys(f.render() for f in self.reference.facts if f.kind == self.said.kind))
        name = self.reference.name if self.reference.source == "scenario" else self.reference.text
        return f"you said {self.said.render()}; {name} is {want}" if want else f"you said {self.said.render()}"


@dataclass(frozen=True)
class FactCheck:
    wrong: tuple[WrongFact, ...] = ()
    given: dict[str, int] | None = None  # expected fact name -> first trainee turn that stated it
    missing: tuple[str, ...] = ()  # expected facts never stated
    closed_days: tuple[tuple[int, str, str], ...] = ()  # (turn, weekday, quote): said closed/open wrongly


def _content(text: str) -> set[str]:
    return {w for w in words(text) if w not in _STOP and not w.isdigit() and len(w) > 1}


def _topic(name: str, value: str, about: Sequence[str] = ()) -> frozenset[str]:
    out = _content(name) | {w for a in about for w in _content(a)}
    for w in list(_content(name)):
        out |= set(SYNONYMS.get(w, ()))
    # distinctive words of the value itself ("lab panel", "walgreens", "dr webb")
    out |= {w for w in _content(value) if len(w) > 3 and w not in WEEKDAYS}
    return frozenset(out)


def references(scenario: Scenario) -> list[Reference]:
    out: list[Reference] = []
    for name, fact in scenario.facts.items():
        facts = tuple(f for v in (fact.value, *fact.spoken) for f in extract(v))
        if not facts:
            continue
        kinds = {f.kind for f in facts}
        default = (bool(kinds & _ACCOUNT_KINDS) and fact.phi) or "phone" in kinds  # a wrong number: no call back
        critical = fact.critical if fact.critical is not None else default
        out.append(Reference(name, facts, _topic(name, fact.value, fact.about), fact.value, critical, "scenario"))
    practice = scenario.practice
    if practice.phone:
        out.append(
            Reference(
                "the practice's number",
                tuple(extract(practice.phone)) or (),
                frozenset({"number", "call", "reach", "phone", "us", "office", "back"}),
                practice.phone,
                True,  # a wrong callback number: the caller cannot reach the practice (or calls a stranger)
                "practice",
            )
        )
    for policy in practice.policies:
        facts = tuple(extract(policy))
        if facts:
            out.append(Reference(f"practice: {policy}", facts, _topic("", policy), policy, False, "practice"))
    return [r for r in out if r.facts]


def _open_days(scenario: Scenario) -> dict[str, bool]:
    """Weekday -> open, from the practice's hours ("Monday to Friday: 8 am to 5 pm", "Sunday: closed")."""
    days: dict[str, bool] = {}
    for key, value in scenario.practice.hours.items():
        k = key.lower()
        open_ = "closed" not in value.lower()
        span = re.match(r"(\w+) (?:to|-) (\w+)", k)
        if span and span.group(1) in WEEKDAYS and span.group(2) in WEEKDAYS:
            a, b = WEEKDAYS.index(span.group(1)), WEEKDAYS.index(span.group(2))
            for d in WEEKDAYS[a : b + 1]:
                days[d] = open_
        for d in WEEKDAYS:
            if re.search(rf"\b{d}s?\b", k):
                days[d] = open_
    return days


def _is_share(said: Fact, ref_facts: Sequence[Fact]) -> bool:
    """A payment plan's part of an amount ($92.50 of $185.00)."""
    if said.kind != "money" or not isinstance(said.value, int):
        return False
    return any(
        f.kind == "money" and isinstance(f.value, int) and any(abs(f.value / n - said.value) <= 1 for n in _SHARES)
        for f in ref_facts
    )


def check(scenario: Scenario, transcript: Transcript) -> FactCheck:
    refs = references(scenario)
    caller_said: list[Fact] = list(extract(scenario.patient.phone)) if scenario.patient.phone else []
    wrong: list[WrongFact] = []
    closed: list[tuple[int, str, str]] = []
    expected = {n: f for n, f in scenario.facts.items() if f.expected}
    given: dict[str, int] = {}
    days = _open_days(scenario)
    for i, turn in enumerate(transcript.turns):
        if turn.speaker != "trainee":
            caller_said += extract(turn.text)
            continue
        for c in clauses(turn.text):
            stated = extract(c.raw)
            content = _content(c.raw)
            for name, fact in expected.items():
                want = [f for v in (fact.value, *fact.spoken) for f in extract(v)]
                if name not in given and (
                    any(matches(s, w) for s in stated for w in want)
                    or any(sp and sp.lower() in c.raw.lower() for sp in fact.spoken)
                ):
                    given[name] = i
            for s in stated:
                if any(matches(s, f) for f in caller_said):
                    continue  # the VA repeats what the caller said: not a claim of its own
                about = [r for r in refs if (r.topic & content) and any(f.kind == s.kind for f in r.facts)]
                if not about or any(any(matches(s, f) for f in r.facts) for r in about):
                    continue
                if any(_is_share(s, r.facts) for r in about):
                    continue
                best = max(about, key=lambda r: (r.source == "scenario", len(r.topic & content)))
                wrong.append(WrongFact(i, s, best, c.raw, best.critical))
            if days:
                low = c.raw.lower()
                for d in WEEKDAYS:
                    said_closed = re.search(
                        rf"\b(?:closed|not open|aren'?t open|are not open) (?:on )?{d}s?\b|"
                        rf"\b{d}s?,? (?:we(?: are|'re)? |the office is |it'?s |we'?re )?(?:closed|not open)\b",
                        low,
                    )
                    if said_closed and days.get(d):
                        closed.append((i, d, c.raw))
    missing = tuple(n for n in expected if n not in given)
    return FactCheck(tuple(wrong), given, missing, tuple(closed))
