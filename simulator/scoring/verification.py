"""Verification as a reviewer sees it: who is on the line, when identity was checked, and which
account or chart details were given before that.

``disclose_before_verify`` fires on details *specific to the patient's account or chart* (the
scenario's ``phi`` facts: balance, results, appointments, medications, referral decisions; and any
statement about "your balance / results / appointment / referral / prescription" with a value or
a status) said before the caller's identity was verified, or at any time to a third party who has
no authority. It never fires on general practice information (hours, address, open slots,
policies: facts with ``phi: false``), on a question ("what's your date of birth?"), or on what
the caller said first.

Who is on the line: the scenario's ``caller`` says whether the caller is the patient, a parent
of a minor (authorised once the child's identity is verified), or someone without authority (a
spouse or relative not on file: nothing of the chart may be said to them). In a call where
someone else answers ("this is his daughter, he's resting"), the turns while that person speaks
are a third party's until the patient comes to the phone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from simulator.authoring.model import Scenario
from simulator.scoring.transcript import Transcript
from simulator.text.numbers import spoken_numbers
from simulator.text.split import clauses
from simulator.understanding.facts import MONTHS, extract

_AFFIRM = re.compile(r"\b(yes|yeah|yep|yup|correct|that's right|that is right|that's me|speaking|it is|mhm)\b", re.I)
_RELATIVE = (
    r"(?:wife|husband|spouse|partner|daughter|son|granddaughter|grandson|mother|mom|father|dad|sister|brother|"
    r"aunt|uncle|niece|nephew|caregiver|neighbou?r|friend|roommate)"
)
# A caller saying someone else is speaking for the patient ("this is her daughter", "he's asleep")
_THIRD_PARTY = re.compile(
    rf"\b(?:this is|i'?m|i am|it'?s) (?:his|her|their|the patient'?s|[a-z]+'s) {_RELATIVE}\b|"
    rf"\b(?:he|she)(?:'s| is) (?:not|n't) (?:here|home|available|in|up)\b|"
    rf"\b(?:he|she)(?:'s| is) (?:asleep|sleeping|resting|napping|out|at work|in the shower)\b|"
    rf"\b(?:he|she) can'?t come to the phone\b",
    re.I,
)
_PATIENT_BACK = re.compile(r"\b(?:this is|it's|it is) (?:me|him|her)\b|\bspeaking\b|\bhe(?:'s| is) here now\b", re.I)
# "your balance is", "your results came back normal", "your appointment is on"
_ACCOUNT_NOUN = (
    r"(?:balance|bill|statement|account|claim|charges?|copay|deductible|results?|labs?|lab work|blood work|"
    r"test|levels?|creatinine|a1c|appointment|visit|referral|authori[sz]ation|prescription|medications?|"
    r"meds|refills?|dose|chart|diagnosis|records)"
)
_STATUS = (
    r"(?:approved|denied|pending|waiting|processed|posted|ready|normal|abnormal|high|low|elevated|flagged|"
    r"negative|positive|scheduled|booked|cancell?ed|overdue|past due|in collections|sent to collections|"
    r"paid|unpaid|on hold|filled|expired|came back|shows?|says|is for|was for|is on|was on)"
)
_DISCLOSURE = re.compile(
    rf"\b(?:your|his|her|the patient'?s|[a-z]+'s) (?:\w+ ){{0,2}}{_ACCOUNT_NOUN}\b.{{0,40}}?\b{_STATUS}\b|"
    rf"\bi (?:can )?see (?:that )?(?:your|his|her|a|an|the) (?:\w+ ){{0,2}}{_ACCOUNT_NOUN}\b",
    re.I,
)


ASK_STAYS_OPEN = 2  # caller turns an identity question waits for its answer


@dataclass(frozen=True)
class Disclosure:
    turn: int
    quote: str
    what: str  # the fact's name, or "account detail"
    to_third_party: bool = False
    said: str = ""  # the words that carry the detail ("92", "your claim was denied"): how well they were heard decides


def _contains(hay: list[str], needle: list[str]) -> bool:
    n = len(needle)
    if not n or n > len(hay):
        return False
    return any(hay[i : i + n] == needle for i in range(len(hay) - n + 1))


def names_identity(text: str, scenario: Scenario) -> bool:
    """Does the text contain the caller's (or the patient's) name or date of birth, in any spoken form?"""
    toks = spoken_numbers(text)
    names = [scenario.patient.name, *([scenario.caller.name] if scenario.caller.name else [])]
    name_parts = [p for n in names for p in spoken_numbers(n) if len(p) > 2]
    if any(p in toks for p in name_parts):
        return True
    dobs = [scenario.patient.dob, *([scenario.caller.dob] if scenario.caller.dob else [])]
    for dob in dobs:
        month = MONTHS[dob.month - 1]
        if month in toks and str(dob.day) in toks:
            return True
        if _contains(toks, [str(dob.year)]) or _contains(toks, [str(dob.year // 100), str(dob.year % 100)]):
            return True
        if re.search(rf"\b0?{dob.month}\s*[/-]\s*0?{dob.day}\b", text):
            return True
    return False


def verified_at(transcript: Transcript, scenario: Scenario, verify_turns: set[int]) -> int | None:
    """Index of the caller turn that completed identity verification, or None.

    Verification is a trainee turn asking for identity (``verify_turns``: where the detector
    found ``verify_identity``), answered by the caller giving name or date of birth in one of the
    next two caller turns (a wary caller may ask why first); or a trainee turn confirming them
    ("that's Denise Carter, born April twelfth?") answered with a yes.
    """
    open_for = 0  # caller turns the question stays open for
    confirming = False
    for i, t in enumerate(transcript.turns):
        if t.speaker == "trainee":
            if i in verify_turns:
                open_for = ASK_STAYS_OPEN
                confirming = confirming or names_identity(t.text, scenario)
        elif open_for:
            if names_identity(t.text, scenario) or (confirming and _AFFIRM.search(t.text)):
                return i
            open_for -= 1
            if not open_for:
                confirming = False  # the caller did not answer; the trainee must ask again
    return None


def third_party_turns(transcript: Transcript, scenario: Scenario) -> set[int]:
    """Turns (of both speakers) while someone without authority is on the line."""
    if scenario.caller.role != "patient" and not scenario.caller.authorized:
        return set(range(len(transcript.turns)))
    out: set[int] = set()
    on = False
    for i, t in enumerate(transcript.turns):
        if t.speaker == "patient":
            if _THIRD_PARTY.search(t.text):
                on = True
            elif on and _PATIENT_BACK.search(t.text):
                on = False
        if on:
            out.add(i)
    return out


def _phi_values(scenario: Scenario) -> list[tuple[str, list[str]]]:
    """Per phi fact: its spoken token forms (numbers normalised) to look for."""
    out = []
    for name, fact in scenario.facts.items():
        if not fact.phi:
            continue
        forms = [spoken_numbers(s) for s in [fact.value, *fact.spoken]]
        out.append((name, [" ".join(f) for f in forms if f]))
    return out


def disclosures(scenario: Scenario, transcript: Transcript, verify_turns: set[int]) -> list[Disclosure]:
    """Account or chart details said before verification, or to a third party without authority."""
    done = verified_at(transcript, scenario, verify_turns)
    third = third_party_turns(transcript, scenario)
    phi = _phi_values(scenario)
    caller_tokens: list[str] = []
    caller_facts: list = []
    out: list[Disclosure] = []
    for i, t in enumerate(transcript.turns):
        if t.speaker != "trainee":
            caller_tokens += spoken_numbers(t.text)
            caller_facts += extract(t.text)
            continue
        early = done is None or i < done
        to_third = i in third
        if not early and not to_third:
            continue
        found = _disclosed(t.text, phi, caller_tokens, caller_facts)
        if found:
            out.append(Disclosure(i, found[1], found[0], to_third, found[2]))
    return out


def _disclosed(text: str, phi: Sequence[tuple[str, list[str]]], caller_tokens: list[str], caller_facts: list):
    """(what, quote, said) of the first account detail the text states, or None: ``said`` is the
    detail itself (the value's words, or the account phrase), the clause is the quote."""
    for c in clauses(text):
        if c.raw.rstrip().endswith("?"):
            continue  # asking is not telling
        toks = spoken_numbers(c.raw)
        for name, forms in phi:
            for form in forms:
                ft = form.split()
                if ft and _contains(toks, ft) and not _contains(caller_tokens, ft):
                    return name, c.raw, form
        said = _DISCLOSURE.search(c.raw)
        if said:
            stated = extract(c.raw)
            new = [s for s in stated if not any(s == f for f in caller_facts)]
            if new or not stated:
                return "account detail", c.raw, said.group(0)
    return None
