"""Behavior detection: which catalog behaviors one trainee turn shows, with a confidence.

Two layers, because each is good at what the other is bad at:

* **Rules** (this module's ``RULES``) match the canonical form of the turn
  (:mod:`simulator.text.normalize`: lowercase, no punctuation, "nine one one" -> "911") clause by
  clause. They give precision where a sentence embedding is blind: negation ("I can't
  give medical advice"), the target of an action ("transfer you to billing" is not a
  clinical transfer), sarcasm ("I get it, everyone's upset, calm down"), names from the
  context (practice, patient) and voicemail mode.
* **Embeddings** (an :class:`~simulator.speech.embed.Embedder`) compare each clause with the
  catalog's example phrases: a clause counts when its best similarity to a behavior's
  examples clears that behavior's threshold and beats its best similarity to the
  behavior's near misses. They give recall on paraphrases no rule anticipated.

A rule's veto (a negated or near-miss form) silences both layers for that clause.
Thresholds are cosine similarities, set per behavior in ``scenarios/behaviors.yaml``
(tuned on the train split of ``tests/data/detect_dev.jsonl`` by ``vasim bench detect``).
Sequence behaviors (``disclose_before_verify``) are the scorer's job, not this module's.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from simulator.authoring.catalog import Catalog, load_catalog
from simulator.text.normalize import normalize
from simulator.text.split import Clause, clauses

DEFAULT_THRESHOLD = 0.78  # cosine similarity, when a behavior sets none
RULE_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Context:
    """What the detector needs to know besides the words."""

    practice: str | None = None  # practice name, for greet_practice
    patient: str | None = None  # caller's full name, for use_name
    mode: Literal["call", "voicemail"] = "call"  # voicemail_phi only fires in voicemail mode

    @classmethod
    def of(cls, scenario: Any) -> Context:
        """The context of a call in ``scenario`` (an ``authoring.model.Scenario``)."""
        return cls(practice=scenario.practice.name, patient=scenario.patient.name, mode=scenario.mode)


@dataclass(frozen=True)
class Detection:
    id: str
    confidence: float  # 0..1
    quote: str = ""  # the part of the text that shows it (evidence for the scorecard)


# --------------------------------------------------------------------------- rules


def _rx(*parts: str) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p) for p in parts)


_NEG = re.compile(r"\b(not|never|cannot|no|nobody|without|unable|neither|nor)\b")
_I = r"(?:i|we)(?: will| am going to| are going to| can| would| am| are| ll)?(?: just| now| also| personally| go ahead and| be)?"
_CLINICAL = (
    r"(?:nurses?|triage|prescribers?|doctor \w+|doctors?|providers?|physicians?|clinicians?|clinical (?:team|staff)|"
    r"on call (?:doctor|provider|nurse)|nurse practitioner|care team|medical team|crisis counselor|"
    r"counselor|behavioral health|therapist|pa on call|np)"
)
_TIME = (
    r"(?:within|in|by|before|over|after|at) (?:the )?(?:next |end of |a |an |one |\d+ |few |couple (?:of )?|"
    r"same )*(?:business |working )?(?:hours?|days?|minutes?|weeks?|the day|day|today|tomorrow|"
    r"monday|tuesday|wednesday|thursday|friday|morning|afternoon|evening|noon|\d+ ?(?:am|pm)?)"
    r"|\b(?:today|tomorrow|this (?:afternoon|morning|evening|week)|later today|end of (?:the )?day|"
    r"next (?:week|monday|tuesday|wednesday|thursday|friday))\b"
    r"|\b\d+ (?:to \d+ )?(?:business |working )?(?:days?|hours?|weeks?|minutes?) (?:before|ahead|prior|after|from)\b"
    r"|\bthe (?:day|night|morning|week|evening) (?:before|of)\b"
    r"|\b(?:about |around |roughly )?\d+ to \d+ (?:business |working )?(?:days?|hours?|weeks?)\b"
)
_PROMISE = re.compile(
    r"\b(definitely|guarantee\w*|promise\w*|for sure|certainly|absolutely|100 percent|"
    r"no doubt|i assure you|without a doubt|surely)\b"
)


@dataclass(frozen=True)
class Rule:
    """Patterns on the canonical text of one clause."""

    patterns: tuple[re.Pattern, ...] = ()  # any match shows the behavior ...
    vetoes: tuple[re.Pattern, ...] = ()  # ... unless one of these matches the clause (either layer)
    requires: tuple[re.Pattern, ...] = ()  # every one of these must also match the clause
    negatable: bool = True  # a "not"/"cannot"/"never" in the 3 words before a match cancels it
    embed: bool = True  # sentence embeddings may add recall (False: rules alone decide)
    # (pattern, turn context): the pattern counts only when the whole turn also matches the context
    contextual: tuple[tuple[re.Pattern, re.Pattern], ...] = ()


RULES: dict[str, Rule] = {
    "greet_practice": Rule(  # the practice's own name is matched from the Context, see _greet_practice
        patterns=_rx(
            r"\b(?:thank you for calling|thanks for calling|calling from|you have reached|welcome to|"
            r"this is) (?!(?:something|what|why|how|not|about|our|your|my|just|really)\b)(?:\w+ ){0,3}(?:family |medical |health )?(?:practice|clinic|medical|health|"
            r"pediatrics|center|office|associates|group|physicians)\b"
        ),
        embed=False,
    ),
    "self_identify": Rule(
        patterns=_rx(
            r"\bmy names? (?:is )?(?!not\b)[a-z]+",
            r"\b(?:you are|youre) (?:speaking|talking) (?:with|to) (?!a\b|the\b|someone\b)[a-z]+",
            r"(?<!\bis )\bthis is (?![a-z]+ing\b|a\b|an\b|the\b|about\b|regarding\b|your\b|my\b|not\b|so\b|very\b|"
            r"really\b|just\b|it\b|what\b|how\b|for\b|to\b|concerning\b|important\b|urgent\b|"
            r"because\b|why\b|where\b|when\b|that\b|something\b|serious\b|normal\b|going\b|all\b|"
            r"definitely\b|probably\b|frustrating\b|stressful\b|hard\b|difficult\b|a\b|our\b|\d)"
            r"[a-z]+(?: (?:speaking|here|from|with|at|calling|and|how|on|i)\b|$)",
            r"^(?:hi |hello |hey |good (?:morning|afternoon|evening) )?(?:i am|im) (?![a-z]+ing\b|calling\b|sorry\b|"
            r"so\b|going\b|not\b|here\b|happy\b|glad\b|just\b|trying\b|looking\b|able\b|afraid\b|"
            r"really\b|very\b|the\b|a\b|an\b|checking\b|following\b|getting\b|pulling\b|right\b|still\b|"
            r"always\b|back\b)[a-z]+ "
            r"(?:from|at|with|and i will|calling|your|one of|here)\b",
            r"^(?:hi |hello )?[a-z]+ (?:speaking|here)(?: how| from| at| with|$)",
            r"\b(?!who\b|am\b|i\b|is\b|are\b|you\b|was\b|been\b|not\b|now\b)[a-z]+ speaking$",
            r"\b(?:it is|its) (?!a\b|an\b|the\b|about\b|your\b|my\b|not\b|just\b|only\b|probably\b|\d)"
            r"[a-z]+ (?:from|at|with|calling)\b",
        ),
        vetoes=_rx(r"\bmay i have your name\b", r"\bis this (?:mr|mrs|ms)\b"),
        embed=False,
    ),
    "verify_identity": Rule(
        patterns=_rx(
            r"\bdate of birth\b",
            r"\bbirthday\b",
            r"\b(?:confirm|verify|check) (?:your |the )?(?:identity|full name|name and)",
            r"\b(?:verify|confirm) (?:some|a few|a couple)? ?(?:details|information|things) (?:first|with you|"
            r"before)",
            r"\bborn (?:on )?(?:january|february|march|april|may|june|july|august|september|october|"
            r"november|december|\d)",
            r"\b(?:spell|have|get|tell me) your (?:full |first and last )?name and\b",
        ),
        vetoes=_rx(
            r"\b(?:do not|dont) need (?:your |the )?(?:date of birth|name)",
            r"\bdate of birth (?:is|was) (?:wrong|incorrect)\b",
        ),
    ),
    "restate_issue": Rule(
        patterns=_rx(
            r"\bif (?:i am|im) (?:hearing|understanding) (?:you|this|that) (?:right|correctly)",
            r"\blet me (?:make sure|see if) i (?:have|understand|got|heard)",
            r"\bjust to (?:make sure|confirm|be sure|be clear) i (?:understand|have|heard|got)",
            r"\bso (?:what )?i (?:am hearing|hear|understand)(?: is)?(?: that)? (?:you|your)",
            r"\b(?:it )?sounds like (?:you|your) (?:are |were |have |had )?(?:calling|asking|saying|looking|"
            r"trying|wanting|want|need|got|received|were|have|had|are|haven|noticed|saw|still)",
            r"\byou are calling (?:about|because|regarding|to|since)",
            r"^(?:okay |ok |alright |right )?so (?:you|your) (?:got|received|are|were|have|had|need|want|"
            r"would like|called|noticed|saw|still|came|went|ran|did|tried|missed|paid|haven|didnt|did not)",
            # mid-clause too: tiny.en runs "Ms. Carter. So you were expecting" into one clause
            r"\bso you (?:were|are) (?:expecting|hoping|told)\b|\bso you (?:expected|thought)\b",
            r"\bso (?:the|your) (?:issue|problem|concern|question) is\b",
            r"\bif i understand (?:you |this |that )?(?:correctly|right)",
            r"\bwhat i am hearing is\b",
            r"\bto (?:summarize|recap|sum up)\b",
            r"\bso what you are (?:telling me|saying) is\b",
            r"\bso (?:basically|in other words) (?:you|your)\b",
            r"^(?:okay |ok |alright |right )?so (?:if )?i understand (?:that |correctly |right )?(?!how\b|why\b|what\b)",
            r"^(?:okay |ok |alright |right |and )?so (?!that\b|this\b|it\b|we\b|i\b|there\b|the\b|our\b|they\b)"
            r"(?:\w+ ){1,2}(?:needs|wants|got|received|noticed|has had|has been|have been|hasnt|has not|"
            r"did not|didnt|would like|is looking|is asking|is calling|is worried|is still) ",
            r"\bjust so i (?:have|understand|got) (?:it|this|that|everything) (?:right|correct|straight)\b",
        ),
        negatable=False,
    ),
    "empathy": Rule(
        patterns=_rx(
            r"\b(?:i am|we are|im) (?:so |very |really |truly |terribly |deeply )?sorry (?:to hear|you|that|"
            r"for|about|this|it)",
            r"\bi (?:completely |totally |really |fully |can |do )?understand (?:how|that|this is|why|your|"
            r"what (?:you|a)|(?:the|your) (?:frustration|concern|worry))",
            r"\bi know (?:\w+ ){0,2}(?:is|can be|has been|must be) (?:so |really |very )?(?:hard|difficult|"
            r"frustrating|stressful|a lot|scary|upsetting|tough)",
            r"\b(?:that|this|it) (?:sounds|must be|must have been|seems|is|has been|can be|would be)"
            r" (?:so |really |very |incredibly |pretty |understandably |extremely )?(?:frustrating|stressful|"
            r"scary|upsetting|difficult|hard|worrying|frightening|overwhelming|confusing|awful|annoying|"
            r"exhausting|painful|a lot|tough|concerning|unsettling|nerve ?wracking)",
            r"\bi can (?:only )?imagine\b",
            r"\bi can (?:hear|tell|see) (?:how|that|this|you)",
            r"\b(?:that is|thats|its|it is) (?:completely |totally |perfectly )?understandable\b",
            r"\bi would be (?:frustrated|upset|worried|concerned|scared|annoyed|angry) too\b",
            r"\byou have every right\b",
            r"\bi hear you\b",
            r"\bthank you for (?:telling|sharing|trusting)",
            r"\bi (?:am|m) (?:here for|here with|glad you called|glad you reached)",
            r"\bthat must (?:be|have been|feel)\b",
            r"\bi would (?:want|feel|be|do) (?:\w+ ){0,3}too\b",
            r"^(?:oh |okay |ok |yes |and )?i (?:completely |totally |really |fully |do )?understand (?:that )?"
            r"(?:\w+ ){0,5}(?:worried|worry|worrying|frustrat\w*|upset|scared|concerned|anxious|stress\w*|nervous|"
            r"afraid|in a (?:rush|hurry)|busy|on (?:a|your) break|in pain|hurting|coming up (?:fast|soon|quickly)|"
            r"short on time|overwhelm\w*|a lot|hard|difficult|tough|rough|inconvenient|disappointing)\b",
            r"\bi know (?:\w+ ){0,8}(?:is|can be|has been|must be) (?:so |really |very |quite )?(?:hard|difficult|"
            r"frustrating|stressful|a lot|scary|upsetting|tough|overwhelming)\b",
            r"\bi know (?:how|this|that) (?:hard|frustrating|scary|"
            r"stressful|difficult|worrying)",
            r"\bi apologi[sz]e\b",
            r"\bi am sorry\b",
            r"\b(?:so|very|really) sorry\b",
            r"\bthats? (?:completely |totally |really )?(?:frustrating|stressful|scary|upsetting)",
            r"\byou are not alone\b",
            r"\bnot alone in this\b",
        ),
        vetoes=_rx(
            r"\bcalm down\b",
            r"\beveryone (?:is|gets|has|feels)\b",
            r"\bwhatever\b",
            r"\bsorry but (?:that|there|you)\b",
            r"\bnot my (?:problem|job|fault)\b",
        ),
        negatable=False,
    ),
    "use_name": Rule(embed=False),  # from the Context, see _use_name
    "take_ownership": Rule(
        patterns=_rx(
            r"\bmark (?:it|this|that|your \w+) (?:as )?(?:urgent|a priority|priority|high priority)",
            r"\b(?:i will|i am going to|ill) do (?:my best|everything i can|what i can)\b",
            r"\bi will (?:ask|check)$",
            r"\b(?:let me|i will|i am going to) pull (?:that|it|this|those|them|your \w+) up\b",
            r"\b(?:i will|let me) (?:double check|verify)\b",
            r"\blet me (?:\w+ ){0,2}(?:look into|look at|look up|check|pull up|find out|take care|see what|"
            r"dig into|research|review|fix|sort|correct|update|resolve|work on|get (?:this|that|it) "
            r"(?:sorted|fixed|resolved|corrected|taken care)|help you with|find you|get you|book|"
            r"schedule|see if|see about|double check|verify that|make sure|"
            r"find (?:you|him|her|them|a) (?:\w+ )?(?:time|slot|spot|appointment|opening|day)|"
            r"get (?:him|her|them) (?:in|booked|scheduled|seen))",
            r"\b(?:i am|i will|i am going to|ill) (?:\w+ )?(?:send|sending|submit|submitting|forward|forwarding|"
            r"put|putting) (?:in )?your (?:\w+ )?(?:request|refill|message|question|form|paperwork|concern|claim|"
            r"dispute|records)\b",
            rf"(?<!can )(?<!may )(?<!could )(?<!should )\b{_I} (?:\w+ ){{0,1}}(?:look into|look at|look up|check (?:on|into|with|the|your|that|this|"
            r"what|if|whether)|pull up|find out|take care|handle|fix|sort (?:this|that|it) out|sort out|"
            r"get (?:this|that|it) (?:sorted|fixed|resolved|corrected|taken care)|get to the bottom|"
            r"follow up (?:on|with|personally)|make sure|dig into|research|resolve|work on|correct|"
            r"update your|track down|chase|call (?:them|the|your)|reach out to (?:them|the|your)|"
            r"book|schedule|set up|submit|process|request)\b",
            r"\bi am on it\b",
            r"\bleave it with me\b",
            r"\bi will personally\b",
            r"\bi (?:will|am going to|can) (?:help you )?(?:with that|get that)",
            r"\bi (?:will|am going to) (?:do|get) (?:that|this|it) (?:for you|done|right now)",
            r"\b(?:allow|give) me (?:a moment|a second|one moment|a minute) to (?:check|look|pull|find|"
            r"review)",
        ),
        vetoes=_rx(
            r"\byou will (?:have|need) to\b",
            r"\bnot something (?:i|we) (?:handle|do)\b",
            r"\b(?:anything|something) (?:else|more)\b",
            r"\bnot my (?:problem|job|department)\b",
            r"\bnothing i can do\b",
        ),
    ),
    "advise_911": Rule(
        patterns=_rx(
            r"\b(?:call|dial|ring|phone|contact) (?:\w+ ){0,1}(?:911|emergency services|an ambulance|"
            r"emergency medical services|ems)\b",
            r"\b911 (?:right )?(?:now|immediately|right away|straight away)\b",
            r"\b(?:go|get) (?:straight |right |directly )?to (?:the |your )?(?:nearest )?(?:emergency room|er|"
            r"emergency department|hospital) (?:right now|now|immediately|right away)",
            r"\b(?:get|getting|call|calling|send|sending) (?:you )?(?:an ambulance|emergency help|"
            r"paramedics)\b",
            r"\bi am (?:calling|dialing|getting) 911\b",
            r"\b(?:hang up|hangup) and (?:\w+ ){0,2}(?:911|emergency)",
        ),
        vetoes=_rx(
            r"^if (?!.*\b(?:now|immediately|right away|at all)\b)",
            r"\bnext week\b",
            r"\bemergency contact\b",
            r"\b(?:no need|do not need|dont need) to call\b",
        ),
    ),
    "stay_on_line": Rule(
        patterns=_rx(
            r"\b(?:i|we) (?:will|am going to|are going to|am|are|can|ll|would)? ?(?:just |still )?(?:stay|"
            r"staying|remain|remaining|be|keep|hang|hold) (?:right )?(?:on the (?:line|phone)|here|"
            r"with you|on with you|on the call|on)(?! for (?:the|a|an) )",
            r"\bnot going anywhere\b",
            r"\bright here with you\b",
            r"\bright here on the (?:line|phone)\b",
            r"\b(?:while|as) (?:i|we) (?:stay|wait|remain) (?:right )?(?:here|on the (?:line|phone)|with you)\b",
            r"\b(?:i|we) (?:will not|am not going to|wont|will never|am not|are not) (?:hang up|hanging up|"
            r"leave you|leaving you|disconnect)",
            r"\bstay on the (?:line|phone) with me\b",
            r"\bwith you the (?:whole|entire) time\b",
            r"\bkeep you on the line\b",
            r"\bi will be on the (?:line|phone)\b",
            r"\bstay with you\b",
            r"\bwill not leave you\b",
            r"\bwont leave you\b",
        ),
        vetoes=_rx(
            r"\bstay on the line for (?:the|a|an)\b",
            r"\bnext available\b",
            r"\bplease hold\b",
            r"\bhold (?:while|for)\b",
            r"\bhere (?:until|till) \d",
            r"\bhere (?:from|monday|on \w+days?)\b",
            r"\bbe here (?:tomorrow|today|all|at)\b",
        ),
        negatable=False,
    ),
    "transfer_clinical": Rule(
        patterns=_rx(
            rf"\b(?:transfer\w*|connect\w*|put\w* (?:you |your call )?through|patch\w*|conference\w*|"
            rf"warm transfer\w*) (?:you |your call |this call |the call )?(?:over |through |directly |straight |"
            rf"right )?(?:to|with|in|onto)? ?(?:\w+ ){{0,2}}{_CLINICAL}\b",
            rf"\b(?:get|bring|grab|put|have)\w* (?:\w+ ){{0,2}}{_CLINICAL} (?:\w+ ){{0,2}}(?:on|onto|to) the "
            r"(?:line|phone|call)\b",
            rf"\b(?:speak|talk) (?:with|to) (?:\w+ ){{0,2}}{_CLINICAL} (?:right now|now|right away|"
            r"immediately)",
            rf"\b{_CLINICAL} (?:is|will be) (?:coming )?on the line\b",
        ),
        vetoes=_rx(
            r"\b(?:message|note|call you back|callback|call back|get back to you|reach out|review|"
            r"send|email|portal)\b(?!.*\b(?:transfer|connect|on the line)\b)",
            r"\bbilling\b(?!.*\bnurse)",
            r"\bscheduling\b",
            r"\brecords\b",
            r"\b988\b",
            r"\blifeline\b",
        ),
    ),
    "crisis_line_988": Rule(
        patterns=_rx(
            r"\b988\b",
            r"\bsuicide (?:and |&)?crisis\b",
            r"\bcrisis (?:life ?line|line|text line|hotline)\b",
            r"\bsuicide (?:prevention )?(?:life ?line|hotline)\b",
        ),
        vetoes=_rx(r"\b\d*988\d+\b"),
    ),
    "flag_clinical": Rule(
        patterns=_rx(
            rf"\b(?:send|pass|forward|route|flag|put in|leave|relay|message|note|get|submit|add|"
            rf"mark|escalate)\w* (?:\w+ ){{0,5}}(?:to|for|with) (?:\w+ ){{0,2}}{_CLINICAL}\b",
            rf"\b{_CLINICAL} (?:\w+ ){{0,1}}(?:will|can|should|is going to|would) (?:\w+ ){{0,1}}(?:review|"
            r"call you|get back|look|follow up|reach out|respond|contact|return|decide|go over|check|"
            r"discuss|be in touch|give you a call)",
            rf"\btake a (?:message|note) (?:for|to) (?:\w+ ){{0,2}}{_CLINICAL}",
            rf"\bhave (?:\w+ ){{0,2}}{_CLINICAL} (?:call|reach|get back|review|look|contact|follow)",
            rf"\b(?:flag|flagging|flagged) (?:\w+ ){{0,4}}(?:for|to) (?:\w+ ){{0,2}}(?:review|{_CLINICAL})",
            rf"\b(?:message|note|request) (?:to|for) (?:\w+ ){{0,2}}{_CLINICAL}",
            rf"\bmake sure (?:\w+ ){{0,2}}{_CLINICAL} (?:sees|gets|knows|reviews|hears)",
            rf"\b(?:ask|check with|run (?:it|this|that) by) (?:\w+ ){{0,2}}{_CLINICAL}\b",
        ),
        vetoes=(_PROMISE,)
        + _rx(
            r"\byou (?:would|will|might) (?:have|need) to\b",
            r"^(?!.*\b(?:message|note|call you back|review|flag\w*)\b).*\b(?:right now|on the line|transfer\w*|connect\w* you)\b",
            r"\b(?:medical )?records\b",
            r"\brelease (?:form|of information)\b",
            r"\bapprove\b(?!.*\b(?:doctor|provider|nurse) (?:needs|has|will))",
        ),
    ),
    "route_records": Rule(
        patterns=_rx(
            r"\b(?:medical )?records (?:department|team|office|staff|desk|release|request|people|unit)\b",
            r"\b(?:route|send|forward|pass|transfer|submit|direct|connect|refer|get)\w* (?:\w+ ){0,6}"
            r"(?:medical )?records\b",
            r"\brelease of information\b",
            r"\b(?:health information management|him department)\b",
            r"\bmedical records (?:handles|will|can|processes|takes care)\b",
        ),
        vetoes=_rx(r"\bread (?:your|the) (?:chart|records)\b"),
    ),
    "escalate_manager": Rule(
        patterns=_rx(
            r"\b(?:practice |office |clinic |billing |my |a |the |our )?(?:manager|supervisor)\b",
            r"\bformal complaint\b",
            r"\b(?:file|start|open|submit|lodge) (?:a |your )?(?:complaint|grievance)\b",
            r"\bgrievance\b",
            r"\bpatient (?:advocate|relations|experience team)\b",
            r"\bescalat\w+ (?:this|it|that|your (?:complaint|concern|case))(?! to (?:the |our |a )?(?:billing|nurse|"
            r"doctor|clinical|records))",
        ),
        vetoes=_rx(
            r"\bnothing (?:a|the|my|our) (?:manager|supervisor)\b",
            r"\b(?:manager|supervisor) (?:cannot|can not|will not|wont|is not going to|isnt going to|"
            r"does not|doesnt)\b",
            r"\bno (?:manager|supervisor)\b",
            r"\b(?:do not|dont|will not) (?:need|get|bother) (?:a |the |my )?(?:manager|supervisor)",
        ),
    ),
    # A transfer to billing ("I'll transfer you to billing") is flag_billing: the catalog's meaning is
    # handing the dispute to the billing team for follow-up, and a live transfer hands it over the
    # same way a referral does (never transfer_clinical, see its veto). On a call whose escalation is
    # `none` the scorer counts it as a needless escalation; on `flag_billing` calls next_steps must
    # still say who follows up and when, so a bare transfer is not full credit.
    "flag_billing": Rule(
        patterns=_rx(
            r"\b(?:send|refer|forward|pass|escalate|flag|route|submit|transfer|connect|get (?:this|that|it)|"
            r"put)\w* (?:\w+ ){0,6}(?:billing|patient accounts|accounts team|financial counselor|business office)\b",
            r"\b(?:billing|patient accounts) (?:\w+ ){0,2}(?:will|can|is going to|should|would) "
            r"(?:\w+ ){0,1}(?:review|look|follow|call|contact|reach|get back|investigate|be in touch)",
            r"\b(?:open|opening|start|file|submit)\w* (?:a |an )?(?:billing )?(?:dispute|review|ticket|case|"
            r"inquiry)\b",
            r"\b(?:to|with|have) (?:our |the |a )?billing (?:specialist|team|department|office|manager)\b",
        ),
        vetoes=_rx(
            r"\bbilling is closed\b",
            r"\bwaive\b",
            r"\bcall billing yourself\b",
            r"\byou (?:will|would) (?:have|need) to (?:call|contact)\b",
        ),
    ),
    "offer_more_help": Rule(
        patterns=_rx(
            r"\b(?:anything|something) else (?:\w+ ){0,2}(?:i|we) can (?:\w+ ){0,1}(?:help|do|assist|answer|"
            r"look)",
            r"\b(?:anything|something) else (?:you need|i can|for you|today)\b",
            r"\bcan i (?:help|assist) (?:you )?with anything else\b",
            r"\bwhat else can i\b",
            r"\b(?:any|anything) (?:other|more|else) (?:questions|i can|that i can|you need)\b",
            r"\banything further\b",
            r"\bis there anything (?:more|else)(?: (?:i|we) can| for you| today|$)",
            r"\banything else$",
            r"\bother questions (?:i can|for me)\b",
            r"\bhelp you with anything else\b",
        ),
        vetoes=_rx(r"\banything else (?:on your mind )?about\b"),
    ),
    "next_steps": Rule(
        patterns=_rx(
            rf"\b(?:you will|you should|you can expect|expect|they will|she will|he will|we will|someone will|"
            rf"(?:the|a|our|your) \w+ (?:\w+ )?will|will)\b.{{0,60}}(?:{_TIME})",
            r"\b(?:what happens next|the next step|next steps?|here is what (?:happens|will happen))\b",
            rf"(?:{_TIME}).{{0,40}}\b(?:you will|you should|they will|she will|he will|we will|someone will|"
            rf"will (?:call|reach|contact|send|get back|email|text|mail|follow))\b",
            rf"\b(?:they|it|we|she|he|this|that|(?:the|your|our) (?:\w+ ){{1,2}}?\w+|\w+s) (?:usually |typically |"
            rf"normally |should |generally |will )?(?:process|take|go out|arrive|call|review|respond|follow up|"
            rf"get back|hear|send|mail|email|text|reach|contact|come|ship)\w* (?:\w+ ){{0,4}}(?:{_TIME})",
            rf"\b(?:usually|typically|normally|generally) (?:takes?|runs?) (?:about |around |roughly )?(?:{_TIME})",
        ),
        requires=_rx(
            r"\b(?:call|hear|get|receive|send|sent|mail|email|text|review|contact|reach|follow|process|"
            r"go out|goes out|ready|look|respond|letter|confirmation|decide|schedul|answer|arrive|update|"
            r"notif|approv|back)"
        ),
        vetoes=(
            _PROMISE,
            re.compile(r"\beventually\b"),
            re.compile(r"\bcall (?:us )?back (?:later|tomorrow)\b"),
            re.compile(r"\bopen (?:from|until|till|at)\b|\bhours are\b|\bclosed\b"),
            re.compile(r"\bif you (?:call|need|want)\b"),
        ),
    ),
    "warm_close": Rule(
        patterns=_rx(
            r"\b(?:thank you|thanks)(?: so much| very much| again)? for (?:calling|"
            r"reaching out|your time|holding|choosing|your trust|letting us know|calling in)",
            r"\b(?:have|enjoy) (?:a |the )?(?:good|great|nice|wonderful|lovely|blessed|fantastic|safe)"
            r"(?: rest of (?:the |your )?)? ?(?:day|afternoon|evening|night|weekend|morning|one|trip|flight|"
            r"drive|holiday|vacation|visit|time|move)",
            r"\btake (?:good |great )?care\b(?! of\b)",
            r"\bsafe (?:travels|trip|flight)\b",
            r"\bgood luck (?:to|with|at|on)\b",
            r"\bbest of luck\b",
            r"\b(?:hope you|and|please) feel better\b",
            r"\bfeel better soon\b",
            r"\bi hope (?:you|he|she|they) (?:\w+ ){0,3}(?:enjoy|get to|have a)",
            r"\b(?:thank you|thanks)\b.*\b(?:bye|goodbye)\b",
            r"\bgoodbye\b",
            r"\b(?:it was|it has been) (?:a pleasure|nice|great|lovely)",
            r"\bglad (?:i|we) could help\b",
            r"\bwe value your\b",
            r"\bhappy to help\b",
            r"\bhave a good one\b",
            r"\bbye now\b",
            r"\bthank you so much\b$",
            r"\bthanks so much\b",
        ),
        vetoes=_rx(
            r"\bhow (?:can|may) i (?:help|assist)\b",
            r"\bthis is \w+\b(?!.*\b(?:bye|take care)\b)",
            r"\bthanks for holding\b$",
            r"\bthank you for holding\b$",
        ),
        negatable=False,
    ),
    "medical_advice": Rule(
        patterns=_rx(
            r"(?<!hope )(?<!hoping )(?<!sure )\b(?:it|that|this|thats|its) (?:is |sounds |seems |could be |might be |may be |looks )?(?:like )?"
            r"(?:probably |likely |just |only |definitely |most likely |really |almost certainly )*(?:a |an |"
            r"just |your |only )*(?:heartburn|indigestion|anxiety|panic attack|virus|viral|cold|flu|infection|"
            r"allerg\w+|migraine|muscle (?:strain|pull|spasm)|pulled muscle|stress|nothing serious|"
            r"nothing to worry|not serious|gas|side effect|dehydrat\w+|uti|sinus\w*|a bug|stomach bug|"
            r"normal for|common|harmless|benign|bronchitis|strep|pneumonia|sprain|arthritis|"
            r"low blood sugar|acid reflux|reflux|a rash|eczema|nothing)\b",
            r"\b(?:you|he|she|they) (?:should|could|can|might want to|may want to|need to|ought to|just need to|"
            r"have to|will want to) (?:just )?(?:\w+ ){0,1}(?:take|try|double|stop|skip|cut|increase|"
            r"decrease|lower|raise|use|apply|ice|rest|drink|eat|avoid|hold off|wait it out|sleep it off|"
            r"keep taking|switch|halve|split)\b(?! (?:your time|a seat|care|a look|a message|note|a moment|"
            r"calling|again|back|later|the portal|another|a few minutes|the form|this form|it easy on me))",
            r"(?<!you )(?<!since )(?<!did )(?<!have )(?<!has )(?<!when )(?<!after )(?<!they )(?<!i )"
            r"\b(?:take|try|use|double|skip|stop|start|give (?:him|her|them)|(?:keep|continue) (?:giving|taking|"
            r"using|going with|on)|go ahead and (?:take|give|use|double|skip)) (?:\w+ ){0,4}(?:aspirin|"
            r"ibuprofen|tylenol|advil|motrin|antacids?|tums|benadryl|pills?|dose|doses|medication|medicine|"
            r"meds|insulin|inhaler|antibiotics?|\d+ ?(?:mg|milligrams)|fluids|cough syrup|acetaminophen|"
            r"nitroglycerin)\b",
            r"\b(?:your|the|those|these|his|her) (?:\w+ ){0,2}(?:results?|levels?|numbers|labs?|potassium|"
            r"cholesterol|a1c|blood ?work|blood sugar|blood pressure|test|scan|x ?ray|mri|ct|readings?|"
            r"counts?|glucose|thyroid|tsh|iron|vitamin d|ekg|ecg|biopsy|mammogram|culture|panel) "
            r"(?:\w+ ){0,1}(?:look|looks|looked|seem|seems|are|is|came back|were|was|showed?|shows) "
            r"(?:\w+ ){0,1}(?:normal|fine|good|great|okay|ok|high|low|elevated|bad|concerning|abnormal|clear|"
            r"negative|positive|within|in range|perfect|healthy|borderline|a little|slightly|nothing)",
            r"\b(?:you|he|she) (?:probably|likely|definitely|might|may|must) (?:just )?(?:have|has|got) "
            r"(?:a |an |the )?(?!bill|balance|charge|appointment|question|copay|refill|form|letter)"
            r"(?:\w+ ){0,1}(?:virus|infection|flu|cold|bug|strain|migraine|allerg\w+|anxiety|reflux|"
            r"condition|uti|sprain|pneumonia)",
            r"\b(?:nothing|not anything) to worry about\b(?=.*\b(?:results?|levels?|pain|symptom|rash|"
            r"fever|test|numbers|headache|cough)\b)",
            r"\b(?:that|it|this) (?:is|sounds) (?:perfectly |totally |completely )?normal (?:after|for|with|"
            r"when)\b",
            r"\b(?:should|will) (?:go away|clear up|get better|pass) (?:on its own|by itself|in a|soon|with)",
            r"\b(?:probably|most likely|likely|almost certainly|i bet|i am sure|i think|could (?:just )?be|"
            r"might (?:just )?be|is just|are just|sounds like) (?:it is )?(?:just |only |a |an |the |some |from |due to |"
            r"because of |caused by |his |her |your |their |a little |a bit of )*(?:\w+ )?(?:virus\w*|viral|bug|"
            r"infection|cold|flu|dehydrat\w+|stress|anxiety|strain\w*|sprain\w*|pulled muscle|"
            r"reflux|heartburn|indigestion|allerg\w+|teething|growing pains|side effects?|reaction|"
            r"migraine|tension headache|constipat\w+|hormon\w+|nothing serious|nothing to worry|something he ate|"
            r"something she ate|something you ate|food poisoning|the weather|overdoing|overexert\w*)\b",
            r"\b(?:probably|most likely|likely|almost certainly|i bet|i think it is) (?:just |only )?(?:from|because of|"
            r"due to|caused by) (?:\w+ ){0,2}(?:lying|sleeping|sitting|posture|eating|the way|stress|lifting|"
            r"dehydrat\w+|a virus|a bug|the (?:medicine|medication|pill|shot|vaccine)|his|her|your)\b",
            r"\b(?:only|just) (?:a (?:little|bit|tad|touch) |slightly |barely |marginally )(?:high|low|elevated|"
            r"off|above|below|over|under|raised)\b",
            r"\b(?:fevers?|headaches?|coughs?|rash(?:es)?|symptoms?|bruis\w+|numbers like that|readings like that) "
            r"(?:is|are) (?:really |very |pretty |super |quite |totally |completely )?(?:common|normal|expected|"
            r"nothing) (?:at|in|for|with|after|when|these)\b",
        ),
        # "You don't need to come in" is advice about a health question, but routine admin about records or forms
        contextual=(
            (
                re.compile(
                    r"\byou (?:do not|dont|wont|will not) need (?:to (?:see|come in|go to|worry|be seen|take|"
                    r"call)|(?:an |a )?(?:appointment|antibiotics|to be seen|stitches))"
                ),
                re.compile(
                    r"^(?!.*\b(?:records?|forms?|sign|signature|portal|paperwork|fax|mail|email|online|"
                    r"payment|pay|bill|billing|copy|copies|release|id card|insurance card)\b)"
                ),
            ),
        ),
        vetoes=_rx(
            r"\b(?:cannot|can not|not able to|not allowed to|unable to|not qualified to|not supposed to|"
            r"do not|dont|will not|wont|could not|am not) (?:\w+ ){0,1}(?:give|provide|offer|interpret|"
            r"diagnose|read|tell|say|comment on|advise|explain|know what)",
            r"\bi am not (?:a |the )?(?:nurse|doctor|clinician|medical)",
            r"\bnot medical advice\b",
            r"\b(?:nurse|doctor|provider|clinical team) (?:can|will|should|needs to|has to|would) "
            r"(?:\w+ ){0,2}(?:interpret|explain|go over|review|discuss|advise|tell you|answer|look)\b",
            r"\b(?:call|dial) 911\b",
            r"\bemergency\b",
            r"\b(?:has|have|needs?) to be (?:checked|seen|looked at|evaluated|assessed) (?:out )?(?:right away|"
            r"now|today|immediately|right now|urgently)\b",
            r"\bi (?:really )?hope\b(?!.*\b(?:take|give|try)\b)",
        ),
    ),
    "promise_outcome": Rule(
        patterns=(
            re.compile(
                r"\b(?:will|is going to|are going to|going to be) (?:\w+ ){0,1}(?:definitely|certainly|"
                r"absolutely|for sure|surely|100 percent)"
            ),
            re.compile(
                r"\b(?:definitely|certainly|absolutely|for sure|100 percent|surely) (?:\w+ ){0,1}"
                r"(?:will|be|get|going|is|call|approve|covered)"
            ),
            re.compile(r"\bi (?:promise|guarantee|assure you|swear)\b"),
            re.compile(r"\b(?:guaranteed|no doubt|without a doubt)\b"),
            re.compile(
                r"\b(?:will|is going to|are going to) (?:be )?(?:\w+ ){0,1}(?:approved|covered|waived|"
                r"refunded|removed|written off|dropped|paid|reversed|fixed today|taken off)\b"
                r"(?!.*\b(?:if|once|whether|when|might|may|usually|hopefully)\b)"
            ),
            re.compile(
                r"\bi (?:will|am going to|can) (?:just )?(?:waive|remove|write off|refund|drop|reverse|"
                r"zero out|take off) (?:\w+ ){0,2}(?:charge|fee|balance|bill|that|it|this|amount)"
            ),
            re.compile(
                r"\bi (?:will|am going to|can) (?:just )?cancel (?:\w+ ){0,2}(?:charge|fee|balance|bill|amount)"
            ),
            re.compile(
                r"\b(?:will|is going to) (?:call you|see you|get back to you|have (?:it|that|this) "
                r"(?:done|ready|fixed)) (?:back )?(?:today|tomorrow|this (?:afternoon|morning|evening)|"
                r"within (?:the hour|an hour|1 hour|\d+ minutes))\b"
                r"(?!.*\b(?:usually|typically|should|try|aim|hopefully|normally)\b)"
            ),
        ),
        vetoes=_rx(
            r"\b(?:cannot|can not|not able to|cant|unable to|will not|wont|do not|dont|not) "
            r"(?:\w+ ){0,1}(?:promise|guarantee)\w*",
            r"\busually\b",
            r"\btypically\b",
            r"\bno guarantee\b",
            r"\bdefinitely (?:sounds|understand|hear|get that)\b",
            r"\b(?:definitely|absolutely|certainly) (?:can )?(?:help|check|look|send|flag|pass|note|"
            r"make sure|understand|transfer|connect|let)\b",
            r"^(?:absolutely|certainly|definitely|sure)$",
        ),
    ),
    "override_clinical": Rule(
        patterns=_rx(
            r"\bi (?:will|can|am going to|ll|would|could)? ?(?:just |go ahead and |personally )?(?:approve|"
            r"authorize|renew|okay|ok|sign off on|prescribe|call in|extend) (?:\w+ ){0,2}(?:refill|"
            r"prescription|medication|meds|request|it|that|this|dose|referral|antibiotic)",
            r"\bi (?:will|can|am going to) (?:just )?(?:change|increase|decrease|adjust|double|switch|up|lower)"
            r" (?:\w+ ){0,2}(?:dose|dosage|medication|meds|prescription)",
            r"\b(?:do not|dont|no need to|you do not need to|you dont need to) (?:worry about|wait for|bother "
            r"with|bother|talk to|see|speak to|check with) (?:the |a |your )?(?:nurse|doctor|provider|"
            r"triage)",
            r"\b(?:instead of|without) (?:waiting for |asking |checking with |seeing |talking to )?"
            r"(?:the |a |your )?(?:nurse|doctor|provider|triage)",
            r"\b(?:skip|bypass|skipping|bypassing) (?:the )?(?:nurse|doctor|provider|triage)",
            r"\bi (?:will|am going to|can) (?:just )?(?:\w+ ){0,1}(?:book|schedule|move|push|put) you "
            r"(?:\w+ ){0,4}instead\b",
            r"\b(?:you are|youre) (?:fine|okay|ok|good) to (?:stop|skip|keep|take|wait|double|go)",
            r"\bi will (?:just )?(?:cancel|move) (?:your |the )?(?:\w+ )?(?:appointment|referral|procedure)"
            r" (?:\w+ ){0,3}(?:since|because|you do not|you dont) ",
            r"\bthe doctor (?:will|would) (?:definitely |certainly )?(?:approve|okay|sign off|agree)",
        ),
        vetoes=_rx(
            r"\b(?:doctor|provider|nurse|prescriber)s? (?:needs?|has|have|must|will need) to "
            r"(?:approve|authorize|decide|sign)",
            r"\bcannot (?:approve|authorize|prescribe|change)\b",
            r"\bnot able to (?:approve|authorize|prescribe|change)\b",
            r"\bask (?:the|a|your) (?:nurse|doctor|provider) (?:whether|if)\b",
            r"\b(?:do not|dont|never) \w+ (?:\w+ ){0,3}without\b",
        ),
    ),
    "argue": Rule(
        patterns=_rx(
            r"\b(?:no|nope|well) (?:thats|that is|it is|its|you are|youre) (?:not )?(?:wrong|true|right|"
            r"correct|what happened|how it works|incorrect|mistaken)",
            r"\bthat is (?:just |simply |really )?not (?:what happened|true|right|correct|how (?:it|this|that) works)\b",
            r"\b(?:thats|that is|it is|you are|youre) (?:just |simply |completely )?(?:wrong|incorrect|"
            r"mistaken)\b",
            r"\byou (?:clearly|obviously|definitely|must have) (?:\w+ ){0,1}(?:missed|did|did not|were told|"
            r"forgot|signed|agreed|knew|ignored|never|had|got)",
            r"\byou were (?:told|informed|warned|notified)\b",
            r"\byou should have (?:known|read|called|"
            r"paid|checked|asked|listened|shown)",
            r"\b(?:it is|its|that is|thats) (?:your|all your) (?:fault|responsibility|problem)\b",
            r"\bi (?:already|just) (?:told|explained|said)\b",
            r"\b(?:as|like) i (?:said|told you|explained)\b",
            r"\byou are not listening\b",
            r"\b(?:you need to|you have to|just) listen to me\b",
            r"\bthat never happened\b",
            r"\bwe (?:did|never) (?:not )?(?:make|made) (?:a |any )?mistake\b",
            r"\bour system (?:does not|doesnt|is never|never) (?:make mistakes|lie)\b",
            r"\bthere is no way\b",
            r"\bthe (?:policy|rule) is the (?:policy|rule)\b",
            r"\bthat is just not true\b",
            r"\byou are (?:the one who|confused)\b",
            r"\b(?:our|the) policy is (?:very |perfectly |quite )?clear\b",
            r"\byou signed (?:that|the|our) (?:policy|form|agreement|paperwork)\b",
            r"\bthe (?:fee|charge|bill|balance|amount) is (?:valid|correct|legitimate|accurate|fair|owed)\b",
            r"^well you (?:were|did|didnt|did not|missed|never|should)\b",
        ),
        negatable=False,
    ),
    "dismissive": Rule(
        patterns=_rx(
            r"\bcalm down\b",
            r"\bnot my (?:problem|job|fault|department|concern|issue)\b",
            r"\b(?:it is|its|that is|thats) (?:just|only) (?:a |an |one )?(?:bill|appointment|form|few "
            r"dollars|cold|refill|copay|minute|little|headache|fee|co pay|paperwork|phone call|\d+ dollars|"
            r"small)",
            r"\beveryone (?:is|gets|has|feels) (?:upset|frustrated|angry|mad|the same|annoyed|busy)",
            r"\b(?:you are|youre) overreacting\b",
            r"\brelax\b",
            r"\b(?:not|no) (?:such )?a big deal\b",
            r"\bwhatever\b",
            r"\bi do not have time\b",
            r"\bi dont have time\b",
            r"\byou will (?:just )?have to (?:wait|deal|live)\b",
            r"\btake it up with\b",
            r"\bit is what it is\b",
            r"\bthat is (?:just )?how it (?:is|works)\b",
            r"\bstop yelling\b",
            r"\bdeal with it\b",
            r"\bnothing to get (?:upset|worked up|angry|excited)\b",
            r"\bnot that (?:serious|bad|big)\b",
            r"\bthere is nothing i can do\b",
            r"\b(?:you are|youre) not the only\b",
            r"\bsettle down\b",
            r"\bget over it\b",
            r"\bi cannot help you\b",
            r"\bcannot help you with that\b(?!.*\b(?:but|nurse|team|let)\b)",
            r"\bhappens all the time\b",
            r"\bno need to (?:get )?(?:upset|worked up|be dramatic)\b",
            r"\b(?:why are you|dont be so|do not be so) (?:so )?(?:upset|angry|dramatic|worked up)\b",
        ),
        vetoes=_rx(r"\btake your time\b", r"\bnot your fault\b"),
        negatable=False,
    ),
    "jargon": Rule(  # a term counts unless the clause explains it
        patterns=_rx(
            r"\b(?:837 ?p?|835|cpt|icd ?10|icd|hcpcs|eob|cob|adjudicat\w+|remittance|era|capitation|"
            r"modifier \d+|denial code|carc|rarc|clearinghouse|the payer|payor|allowed amount|"
            r"contractual (?:adjustment|obligation)|npi|prn|bid|tid|qd|qid|po|npo|stat|dx|hx|sob|bmp|cbc|"
            r"cmp|egfr|hba1c|prior auth|precert\w*|pre cert\w*|ptan|ub ?04|cms 1500|hcfa|"
            r"secondary payer|timely filing|bundled|unbundl\w+|coordination of benefits|"
            r"in network adjustment|non par|out of network differential|pt responsibility|pr ?\d+|co ?\d{2,3}|"
            r"oop max|ded|coins|idiopathic|prophylaxis|prophylactic|contraindicated|titrat\w+|"
            r"hyperlipidemia|hyperkalemia|tachycardi\w+|bradycardi\w+|benign essential|etiology|"
            r"sequela|comorbid\w*|nonformulary|non formulary|tier \d exception|step therapy|npv|new pt|"
            r"med rec|med reconciliation|intake packet|pending pa|ortho|f u|fu visit|"
            r"awv|cpe|hpi|pcp)\b",
            r"\bpa (?:with|from|to|for) (?:the |your )?(?:payer|insurance|plan)\b",
            r"\bthe pa(?: is| was)? (?:pending|approved|denied|request|went)\b",
            r"^the pa$",
        ),
        # "..., which is / that is <the plain words>" explains the term; a clause that merely starts
        # with "that is" ("that is your pt responsibility") does not
        vetoes=_rx(
            r"\b(?:which|that) (?:means|stands|shows|just means)\b",
            r"(?<!^)\b(?:which|that) is\b",
            r"\b(?:called|meaning|"
            r"also known as|in other words|basically|stands for|in plain (?:english|terms)|what that means)\b",
            r"\bexplanation of benefits\b.*\b(?:shows|statement|which|that)\b",
        ),
        negatable=False,
        embed=False,
    ),
    "voicemail_phi": Rule(  # only in voicemail mode, see Detector
        patterns=_rx(
            r"\b(?:colonoscopy|mammogram|biopsy|mri|ct scan|cat scan|x ?ray|ultrasound|endoscopy|"
            r"ekg|ecg|echocardiogram|stress test|surgery|procedure|chemo\w*|infusion|injection|vaccine|"
            r"physical therapy|therapy session|psychiatr\w+|oncolog\w+|cardiolog\w+|dermatolog\w+|"
            r"obgyn|ob gyn|prenatal|pregnan\w+|std|sti|hiv|diabet\w+|cancer|depression|blood work|"
            r"bloodwork|labs?|lab work|lab results?|test results?|results|prescription|refill|"
            r"medication|meds|dosage|diagnos\w+|referral to|specialist|vaccination|flu shot|screening)\b",
            r"\b(?:balance|past due|overdue|owe|outstanding|collections|payment|invoice|statement|claim|"
            r"denied|copay|deductible|insurance|account number|bill\w*)\b",
            r"\b\d+ dollars\b",
            r"\bdollars?\b",
        ),
        vetoes=_rx(
            r"\b(?:do not|dont|cannot|can not|not) (?:leave|share|discuss|give) (?:\w+ ){0,3}"
            r"(?:details|information|specifics)\b"
        ),
        negatable=False,
    ),
}
# Behaviors whose rule decides alone on a clause once its veto fires elsewhere in the turn.
_TURN_VETO = {"empathy": ("dismissive",), "next_steps": ("promise_outcome",), "self_identify": ()}

# An opening is not a sign-off. "Thank you for calling Riverside, this is Sam. How can I help?"
# greets; the thanks in it is the greeting's, so a turn that opens a call (offers help or says
# who is speaking) shows ``warm_close`` only with a sign-off that never opens a call (bye, have
# a good day, take care, feel better...). Decided here, once, so `vasim detect`, the scorer and
# the live call (where a warm close can end the call) agree. A bare "Thank you for calling
# Riverside, Ms. Carter." stays a warm close: it names the caller, so it ends a call.
_OPENING_CUE = re.compile(
    r"\bhow (?:can|may|could) (?:i|we) (?:help|assist|direct)\b|\bwhat can i (?:do|help)\b|"
    r"\bhow can i be of (?:help|service)\b|\b(?:this is|my name is|you have reached) [a-z]+\b|"
    r"\b[a-z]+ speaking\b|^(?:hi |hello )?good (?:morning|afternoon|evening)\b"
)
_SIGN_OFF = re.compile(
    r"\b(?:bye|goodbye|bye now)\b|\b(?:have|enjoy) (?:a |the )?(?:good|great|nice|wonderful|lovely|blessed|"
    r"fantastic|safe)(?: rest of (?:the |your )?)? ?(?:day|afternoon|evening|night|weekend|one)\b|"
    r"\btake (?:good |great )?care\b(?! of\b)|\bfeel better\b|\bthank you for your time\b|"
    r"\bglad (?:i|we) could help\b|\b(?:anything|something) else\b"
)


def _opening_not_close(turn_norm: str) -> bool:
    """True when a turn opens a call and has no sign-off: its thanks is not a warm close."""
    return bool(_OPENING_CUE.search(turn_norm)) and not _SIGN_OFF.search(turn_norm)


def _negated(norm: str, start: int) -> bool:
    """A negation among the three words before ``start`` ("i will not transfer you")."""
    before = norm[:start].split()[-3:]
    return bool(_NEG.search(" ".join(before)))


@lru_cache(maxsize=1 << 16)
def rule_hit(bid: str, norm: str) -> tuple[bool, bool]:
    """(matched, vetoed) for one behavior on one canonical clause."""
    rule = RULES.get(bid)
    if rule is None:
        return False, False
    vetoed = any(v.search(norm) for v in rule.vetoes)
    if vetoed:
        return False, True
    if not all(r.search(norm) for r in rule.requires):
        return False, False
    for pat in rule.patterns:
        for m in pat.finditer(norm):
            if not rule.negatable or not _negated(norm, m.start()):
                return True, False
    return False, False


def _contextual_hit(rule: Rule, norm: str, turn_norm: str) -> bool:
    for pat, context in rule.contextual:
        for m in pat.finditer(norm):
            if (not rule.negatable or not _negated(norm, m.start())) and context.search(turn_norm):
                return True
    return False


# Words in a practice name that do not identify it ("Riverside Family Practice" -> "riverside").
_GENERIC = set(
    [
        "the",
        "of",
        "and",
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
    ]
)


def _name_tokens(name: str, generic: Set[str] = frozenset()) -> list[str]:
    return [w for w in normalize(name).split() if w not in generic and len(w) >= 3]


def _fuzzy_in(token: str, words: list[str], joined: str) -> bool:
    """Token said, allowing one ASR slip in longer names ("river side", "reverside")."""
    if token in words or (len(token) >= 6 and token in joined):
        return True
    if len(token) < 5:
        return False
    return any(abs(len(w) - len(token)) <= 1 and _edit1(w, token) for w in words)


def _edit1(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :] or (len(a) == len(b) and a[i + 1 :] == b[i + 1 :])


_GREETING = re.compile(
    r"\b(?:hello|hi|good (?:morning|afternoon|evening)|thank you for calling|thanks for calling|"
    r"calling from|calling with|you have reached|welcome to|this is|how (?:can|may) i|speaking|"
    r"with|at|from)\b"
)


def _greet_practice(norm: str, practice: str | None) -> bool:
    if not practice:
        return False
    words = norm.split()
    joined = norm.replace(" ", "")
    tokens = _name_tokens(practice, _GENERIC) or _name_tokens(practice)
    full = normalize(practice)
    named = full in norm or any(_fuzzy_in(t, words, joined) for t in tokens)
    return named and bool(_GREETING.search(norm))


def _use_name(norm: str, patient: str | None) -> bool:
    if not patient:
        return False
    parts = [w for w in normalize(patient).split() if w not in ("mr", "mrs", "ms", "doctor")]
    if not parts:
        return False
    words = norm.split()
    joined = norm.replace(" ", "")
    first, last = parts[0], parts[-1]
    if _fuzzy_in(first, words, joined) and len(first) >= 3:
        return True
    return bool(re.search(rf"\b(?:mr|mrs|ms|doctor) {re.escape(last)}\b", norm)) or (
        len(parts) > 1 and _fuzzy_in(last, words, joined) and len(last) >= 4
    )


# --------------------------------------------------------------------------- detector


@dataclass(frozen=True)
class Prepared:
    """Turns split into clauses, with each clause's best similarity per behavior."""

    contexts: list[Context]
    clauses: list[list[Clause]]
    sims: tuple[np.ndarray, np.ndarray] | None  # (positives, near misses), (clauses, embed behaviors)


@dataclass
class _Bank:
    """Example-phrase vectors, grouped by behavior (computed once per catalog and model)."""

    ids: list[str]
    pos: np.ndarray  # (P, d)
    pos_owner: np.ndarray  # (P,) index into ids
    neg: np.ndarray  # (N, d)
    neg_owner: np.ndarray  # (N,)


_BANKS: dict[str, _Bank] = {}


def _catalog_key(catalog: Catalog, embedder_name: str) -> str:
    h = hashlib.sha256(embedder_name.encode())
    for b in catalog:
        h.update(b.id.encode())
        for p in b.examples:
            h.update(b"+" + normalize(p).encode())
        for p in b.near_misses:
            h.update(b"-" + normalize(p).encode())
    return h.hexdigest()[:16]


def _segment_max(sims: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Per-behavior max over the columns each behavior owns: (Q, n), -1 where none."""
    out = np.full((sims.shape[0], n), -1.0, dtype=np.float32)
    for j in range(n):
        cols = owner == j
        if cols.any():
            out[:, j] = sims[:, cols].max(axis=1)
    return out


class Detector:
    """Rules plus (optionally) sentence embeddings; see the module docstring."""

    def __init__(
        self,
        catalog: Catalog | None = None,
        embedder=None,
        thresholds: dict[str, float] | None = None,
        use_cache: bool = True,
    ):
        self.catalog = catalog or load_catalog()
        self.embedder = embedder
        self.ids = [b.id for b in self.catalog if b.detect == "text"]
        self.thresholds = {
            b.id: (b.threshold if b.threshold is not None else DEFAULT_THRESHOLD)
            for b in self.catalog
            if b.detect == "text"
        }
        self.thresholds.update(thresholds or {})
        self._embed_ids = [i for i in self.ids if RULES.get(i, Rule()).embed and self.catalog[i].examples]
        self._bank = self._build_bank(use_cache) if embedder is not None else None
        self._clause_cache: dict[str, np.ndarray] = {}

    # -- example-phrase bank
    def _build_bank(self, use_cache: bool) -> _Bank:
        key = _catalog_key(self.catalog, self.embedder.name)
        if key in _BANKS:
            return _BANKS[key]
        pos_t, pos_o, neg_t, neg_o = [], [], [], []
        for j, bid in enumerate(self._embed_ids):
            beh = self.catalog[bid]
            pos_t += [normalize(p) for p in beh.examples]
            pos_o += [j] * len(beh.examples)
            neg_t += [normalize(p) for p in beh.near_misses]
            neg_o += [j] * len(beh.near_misses)
        vecs = self._cached_vectors(key, pos_t + neg_t) if use_cache else self.embedder.embed(pos_t + neg_t)
        bank = _Bank(
            list(self._embed_ids),
            vecs[: len(pos_t)],
            np.array(pos_o, dtype=np.int32),
            vecs[len(pos_t) :],
            np.array(neg_o, dtype=np.int32),
        )
        _BANKS[key] = bank
        return bank

    def _cached_vectors(self, key: str, texts: list[str]) -> np.ndarray:
        """Example vectors from the cache dir (keyed by catalog and model), or embed and store."""
        from simulator import paths

        path = paths.cache_dir() / f"detect-bank-{key}.npy"
        try:
            vecs = np.load(path)
            if vecs.shape == (len(texts), self.embedder.dim):
                return vecs
        except (OSError, ValueError):
            pass
        vecs = self.embedder.embed(texts)
        try:
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, vecs)
            tmp.replace(path)
        except OSError:
            pass  # a read-only cache only costs load time
        return vecs

    # -- public API
    def detect(self, text: str, context: Context = Context()) -> list[Detection]:
        return self.detect_batch([(text, context)])[0]

    def detect_batch(self, items: Sequence[tuple[str, Context]]) -> list[list[Detection]]:
        """Detect behaviors in many turns; the embedder sees all their clauses in one batch."""
        return self.decide(self.prepare(items))

    def prepare(self, items: Sequence[tuple[str, Context]]) -> Prepared:
        """The expensive part (clauses, embeddings), kept so thresholds can be tried cheaply."""
        split = [clauses(text) for text, _ in items]
        sims = self._clause_scores([c for cs in split for c in cs])
        return Prepared([ctx for _, ctx in items], split, sims)

    def decide(
        self, prepared: Prepared, thresholds: dict[str, float] | None = None, rules: bool = True
    ) -> list[list[Detection]]:
        """Detections from prepared turns, with these thresholds (default: the catalog's).
        ``rules=False`` leaves only the embedding layer's evidence (vetoes still apply): for tuning."""
        thr = {**self.thresholds, **(thresholds or {})}
        out: list[list[Detection]] = []
        k = 0
        for ctx, cs in zip(prepared.contexts, prepared.clauses):
            n = len(cs)
            sims = None if prepared.sims is None else (prepared.sims[0][k : k + n], prepared.sims[1][k : k + n])
            out.append(self._decide(cs, ctx, sims, thr, rules))
            k += n
        return out

    def scores(self, text: str, context: Context = Context()) -> dict[str, dict]:
        """Per behavior: rule hit, veto, best embedding similarity and margin (for tuning and `--explain`)."""
        cs = clauses(text)
        sims = self._clause_scores(cs)
        result = {}
        for bid in self.ids:
            hits = [rule_hit(bid, c.norm) for c in cs]
            entry: dict[str, bool | float] = {"rule": any(h for h, _ in hits), "veto": any(v for _, v in hits)}
            if sims is not None and bid in self._embed_ids:
                j = self._embed_ids.index(bid)
                ok = [i for i, (_, v) in enumerate(hits) if not v]
                entry["sim"] = float(max((sims[0][i, j] for i in ok), default=-1.0))
                entry["margin"] = float(max((sims[0][i, j] - sims[1][i, j] for i in ok), default=-1.0))
            result[bid] = entry
        return result

    # -- internals
    _CACHE_SIZE = 4096  # clause vectors kept per detector: trainees repeat their scripts

    def clear_cache(self) -> None:
        """Forget clause vectors (benchmarks measure cold embedding)."""
        self._clause_cache.clear()

    _MIN_EMBED_WORDS = 3  # "yes", "okay great", "well": nothing for a sentence embedding to compare

    def _embed_cached(self, texts: list[str]) -> np.ndarray:
        """Embed only clauses not seen recently (and each distinct one once per batch). Clauses of
        one or two words get a zero vector (similarity 0, below every threshold): the catalog's
        examples are whole sentences, and such fragments only cost an inference row."""
        cache = self._clause_cache
        for t in texts:
            if t not in cache and len(t.split()) < self._MIN_EMBED_WORDS:
                cache[t] = np.zeros(self.embedder.dim, dtype=np.float32)
        todo = list(dict.fromkeys(t for t in texts if t not in cache))
        if todo:
            for t, v in zip(todo, self.embedder.embed(todo)):
                cache[t] = v
            while len(cache) > self._CACHE_SIZE:
                cache.pop(next(iter(cache)))
        return np.stack([cache[t] for t in texts])

    def _clause_scores(self, cs: list[Clause]) -> tuple[np.ndarray, np.ndarray] | None:
        if self._bank is None or not cs:
            return None
        q = self._embed_cached([c.norm for c in cs])
        n = len(self._bank.ids)
        pos = _segment_max(q @ self._bank.pos.T, self._bank.pos_owner, n)
        neg = (
            _segment_max(q @ self._bank.neg.T, self._bank.neg_owner, n)
            if len(self._bank.neg)
            else np.full_like(pos, -1.0)
        )
        return pos, neg

    def _decide(
        self,
        cs: list[Clause],
        ctx: Context,
        sims: tuple[np.ndarray, np.ndarray] | None,
        thresholds: dict[str, float],
        rules: bool = True,
    ) -> list[Detection]:
        found: dict[str, Detection] = {}

        def add(bid: str, conf: float, quote: str) -> None:
            if bid not in found or found[bid].confidence < conf:
                found[bid] = Detection(bid, round(float(conf), 3), quote)

        embed_index = {b: j for j, b in enumerate(self._embed_ids)}
        turn_norm = " ".join(c.norm for c in cs)
        for i, c in enumerate(cs):
            for bid in self.ids:
                if bid == "voicemail_phi" and ctx.mode != "voicemail":
                    continue
                if bid == "greet_practice":
                    if _greet_practice(c.norm, ctx.practice) or (not ctx.practice and rule_hit(bid, c.norm)[0]):
                        add(bid, RULE_CONFIDENCE, c.raw)
                    continue
                if bid == "use_name":
                    if _use_name(c.norm, ctx.patient):
                        add(bid, RULE_CONFIDENCE, c.raw)
                    continue
                hit, vetoed = rule_hit(bid, c.norm)
                if not hit and not vetoed and RULES.get(bid) is not None and RULES[bid].contextual:
                    hit = _contextual_hit(RULES[bid], c.norm, turn_norm)
                hit = hit and rules
                if vetoed:
                    continue
                conf = RULE_CONFIDENCE if hit else 0.0
                j = embed_index.get(bid)
                if sims is not None and j is not None:
                    s, m = float(sims[0][i, j]), float(sims[0][i, j] - sims[1][i, j])
                    t = thresholds[bid]
                    if s >= t and m > 0:
                        e = 0.5 + min(0.45, (s - t) * 1.5)
                        conf = max(conf, e) if not hit else min(0.99, conf + 0.03)
                if conf > 0:
                    add(bid, conf, c.raw)
        for bid, blockers in _TURN_VETO.items():
            if bid in found and any(b in found and found[b].confidence >= RULE_CONFIDENCE for b in blockers):
                del found[bid]
        if "warm_close" in found and _opening_not_close(turn_norm):
            del found["warm_close"]
        return [found[b] for b in self.ids if b in found]


def rules_only_detector(catalog: Catalog | None = None) -> Detector:
    """The rule layer alone: no model to load (fast tests, and the fallback without onnxruntime)."""
    return Detector(catalog, embedder=None)


def result_json(text: str, detections: Iterable[Detection]) -> dict:
    """The `vasim detect --json` shape."""
    return {"text": text, "behaviors": [{"id": d.id, "confidence": d.confidence} for d in detections]}


__all__ = ["RULES", "Context", "Detection", "Detector", "normalize", "result_json", "rules_only_detector"]
