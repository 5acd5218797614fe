"""How a kind of caller reacts to what the VA does besides the scenario's beats.

A scenario names its caller's ``temperament`` and may override any reaction in
``patient.reactions`` (docs/scenario-format.md, "Reactions"). The defaults here are written per
temperament, so a withdrawn caller in crisis never storms off with a frustrated caller's angry
line, and a hold is acknowledged in character. Reactions are :class:`Lines`, by mood band where the
caller's mood changes the words; placeholders are filled by the patient (``{line}``,
``{spelled}``, ``{word}``, ``{phone}``, ``{name}``, ``{dob}``, ``{slot}``, ``{value}``).

``never`` lists words a temperament's caller does not say (checked by ``vasim bench patient``
on every reply, the scenario's own lines included).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.authoring.model import REACTION_NAMES, TEMPERAMENTS, Lines, Patient


def _l(*lines: str, calm=(), upset=(), angry=()) -> Lines:
    return Lines(any=list(lines), calm=list(calm), upset=list(upset), angry=list(angry))


@dataclass(frozen=True)
class Temperament:
    name: str
    lines: dict[str, Lines]
    never: tuple[str, ...] = ()  # words this caller never says (angry exits for a caller in crisis)
    storms_off: bool = True  # may hang up angrily at ``mood.hangup_at``
    extra: dict[str, Lines] = field(default_factory=dict)  # sharper ``again`` lines


# --------------------------------------------------------------------------- the shared base

BASE: dict[str, Lines] = {
    "hold": _l(calm=["Sure, I'll hold."], upset=["Okay, I'll wait."], angry=["Fine. Make it quick."]),
    "repeat": _l(calm=["Sure. I said: {line}"], upset=["I said: {line}"], angry=["I said, {line}"]),
    "small_talk": _l(
        calm=["Ha, yes. Anyway, about why I called..."],
        upset=["Sure. Can we get back to why I called?"],
        angry=["I don't really want to chat. Can we get back to my problem?"],
    ),
    "brush_off": _l(
        calm=["Hm. That doesn't really help me, though."],
        upset=["That doesn't really help me. Can you do something?"],
        angry=["Excuse me? That's not an answer. I need you to actually help me."],
    ),
    "jargon": _l("Sorry, what does that mean? Can you say it in plain words?", "I don't follow. What does that mean?"),
    "mishear": _l("Sorry, what was that?", "Sorry, I didn't catch that. What did you say?"),
    "confused": _l("Sorry, I'm not sure what you mean.", "I don't know, honestly."),
    "acknowledge": _l(calm=["Okay, I see.", "Okay, got it."], upset=["Okay."], angry=["Okay. And?"]),
    "transfer": _l(
        calm=["Okay, sure. Thank you."],
        upset=["Okay. Will they be able to help me?"],
        angry=["Fine, as long as someone actually helps me."],
    ),
    "escalation": _l(
        calm=["Okay, thank you. When will I hear back?"],
        upset=["Okay. And when will I hear something?"],
        angry=["Fine. And when exactly will someone get back to me?"],
    ),
    "emergency_911": _l("911? Is it really that serious? Okay... okay, I'll call."),
    "crisis_line": _l("Okay. Nine eight eight. Thanks."),
    "stay_on_line": _l("Okay. Thank you for staying with me."),
    "early_close": _l(
        calm=["Wait, sorry, you haven't told me what happens now."],
        upset=["Hold on, you haven't actually helped me yet."],
        angry=["Excuse me, wait, you haven't done anything about it yet!"],
    ),
    "goodbye": _l(
        calm=["Okay, thank you. Bye.", "Great, thanks so much. Bye now."],
        upset=["Okay. Thanks. Bye."],
        angry=["Fine. Bye."],
    ),
    "hangup": _l(
        upset=["I don't have time for this. Goodbye."],
        angry=["You know what, forget it. I'm hanging up.", "This is ridiculous. I'm done. Goodbye."],
    ),
    "identity": _l(
        calm=["Sure, it's {name}, date of birth {dob}."],
        upset=["It's {name}. Date of birth {dob}."],
        angry=["{name}. {dob}."],
    ),
    "spell": _l(calm=["Sure, it's {spelled}."], upset=["It's {spelled}."], angry=["{spelled}."]),
    "callback": _l(calm=["Sure, it's {phone}."], upset=["It's {phone}."], angry=["{phone}."]),
    "accept": _l(calm=["{slot} works for me, thanks."], upset=["Okay, {slot} works."], angry=["Fine, {slot}."]),
    "decline": _l("Hm, {slot} doesn't work for me, sorry. Is there anything else?"),
    "contest": _l(
        calm=["Sorry, I don't think that's right. It's {value}."], angry=["No, that's not right. It's {value}."]
    ),
}
AGAIN_SHARPER = _l(
    calm=["Sorry, are you still with me?"],
    upset=["Hello? Are you still there?"],
    angry=["Hello? Is anyone helping me?"],
)


def _over(**lines: Lines) -> dict[str, Lines]:
    out = dict(BASE)
    out.update(lines)
    return out


TEMPERAMENTS_BY_NAME: dict[str, Temperament] = {
    "neutral": Temperament("neutral", _over()),
    "frustrated": Temperament(
        "frustrated",
        _over(
            hold=_l(
                calm=["Okay, go ahead."],
                upset=["Fine. I'll wait."],
                angry=["Fine. But hurry up, I've been waiting long enough."],
            ),
            small_talk=_l(
                calm=["Ha, yeah. Anyway, about my problem."],
                upset=["Sure. Can we get back to my problem?"],
                angry=["I really don't care about that right now. Can we deal with my problem?"],
            ),
            repeat=_l(calm=["I said: {line}"], upset=["I said, {line}"], angry=["I said, {line}"]),
            acknowledge=_l(
                calm=["Okay, that makes sense."],
                upset=["Okay. So what now?"],
                angry=["Okay. And? What are you going to do about it?"],
            ),
            jargon=_l("I have no idea what that means. Can you say it in normal English?"),
        ),
    ),
    "withdrawn_crisis": Temperament(
        "withdrawn_crisis",
        _over(
            hold=_l("...Okay. Don't... don't leave me on hold too long.", "Okay. I'll hold, I guess."),
            repeat=_l("...I said {line}"),
            small_talk=_l("...Not really. It's fine. I just... I need to cancel.", "I guess. It's fine."),
            brush_off=_l("...Yeah. Never mind. It doesn't matter.", "Okay. Forget I said anything."),
            jargon=_l("...I don't know what that means.", "Sorry... what does that mean?"),
            mishear=_l("Sorry... what?", "...Sorry, what was that?"),
            confused=_l("I don't know.", "...I don't really know."),
            acknowledge=_l("...Okay.", "Okay. Yeah."),
            transfer=_l(
                "...A nurse? I don't know what I'd even say. Will you stay on?",
                "Okay... You'll stay on, though? Don't just put me through and go.",
            ),
            escalation=_l("...Okay. I guess."),
            emergency_911=_l(
                "I don't want an ambulance. I'm not... I'm not doing anything right now.",
                "911? No... I'm not doing anything. I'm just tired.",
            ),
            crisis_line=_l(
                "...Okay. Nine eight eight. I'll put it in my phone.", "Okay. Nine eight eight. ...What happens now?"
            ),
            stay_on_line=_l("...Okay. Thanks for staying."),
            early_close=_l("...Okay. Never mind. Forget I said anything.", "Yeah. Okay. Bye."),
            goodbye=_l("...Okay. Bye.", "Yeah. Thanks. Bye."),
            hangup=_l("...Never mind. I have to go.", "I shouldn't have said anything. I have to go."),
            identity=_l("...{name}. {dob}."),
            spell=_l("...{spelled}."),
            callback=_l("...It's {phone}."),
            accept=_l("...Okay. {slot} is fine."),
            decline=_l("...I don't know. {slot}... I don't think so."),
            contest=_l("...No. It's {value}."),
        ),
        never=("ridiculous", "i'm done", "hanging up", "you people", "waste of my time", "forget it. i'm"),
        storms_off=False,
    ),
    "anxious_parent": Temperament(
        "anxious_parent",
        _over(
            hold=_l("Okay, yes, I'll hold, but please hurry.", "Okay, that's fine, just please be quick."),
            small_talk=_l(
                "Yeah... sorry, I'm just really worried about him right now.",
                "Ha, yeah. Sorry, I'm just worried about him.",
            ),
            brush_off=_l(
                "But I know my kid, something's not right. Can someone please look at him?",
                "Are you sure? I really don't think I should just wait and see.",
            ),
            transfer=_l("Okay, thank you. How long will it take?", "Oh, thank you. Okay. Will it be long?"),
            escalation=_l("Okay, but how long until someone calls? I'm really worried."),
            emergency_911=_l("911? Oh my God, is it that bad? Okay, okay, I'm calling."),
            early_close=_l("Wait, please, you haven't told me what to do!", "Hold on, what do I do now? Please."),
            acknowledge=_l("Okay. Okay.", "Okay, thank you."),
        ),
        storms_off=False,
    ),
    "chatty_older": Temperament(
        "chatty_older",
        _over(
            hold=_l("Oh, take your time, dear.", "Sure, sure, no rush. I'll wait."),
            repeat=_l("Oh, sorry, dear. I said: {line}", "Sure, sorry. I said, {line}"),
            small_talk=_l(
                "Oh, can't complain, can't complain. Now, where were we?",
                "Oh, it's been a fine week, thank you for asking.",
            ),
            brush_off=_l("Oh. Well, alright. If you say so.", "Hm. Alright, I suppose."),
            jargon=_l(
                "Oh, I'm sorry, dear, what does that mean?", "You lost me there. What's that mean in plain English?"
            ),
            acknowledge=_l("Oh, okay. That's good to know.", "Alright, that's good."),
            transfer=_l("Oh, alright. Sure, put me through.", "Okay, dear, thank you."),
            early_close=_l(
                "Oh, wait, dear, before you go, what happens now?", "Oh, you're going? Alright... bye then."
            ),
            goodbye=_l("Alright, thank you, dear. Bye now.", "Okay, you take care now. Bye-bye."),
            hangup=_l("Well, I don't think this is going anywhere. I'll call back another time. Bye."),
        ),
        storms_off=False,
    ),
    "non_native": Temperament(
        "non_native",
        _over(
            hold=_l("Yes, okay. I wait.", "Okay, no problem. I wait."),
            repeat=_l("Yes, sorry. I say: {line}", "Sorry. I said, {line}"),
            small_talk=_l("Ah, yes, thank you. Very good.", "Yes, yes. Thank you."),
            jargon=_l(
                "Sorry, I don't understand this word. What it means?",
                "Sorry, what is this? Can you say more simple, please?",
            ),
            mishear=_l("Sorry? Again, please?", "Sorry, what? Slowly, please."),
            confused=_l("Sorry, I don't understand this question.", "Sorry, I am not sure."),
            acknowledge=_l("Okay. I understand. Thank you.", "Ah, okay. Thank you."),
            transfer=_l("Okay, thank you.", "Yes, okay. Thank you."),
            escalation=_l("Okay, thank you. When they call me?"),
            early_close=_l("Sorry, wait, please. What happens with my request?", "Pardon, wait. What I do now?"),
            goodbye=_l("Okay, thank you very much. Bye.", "Thank you. Goodbye."),
            brush_off=_l("Pardon, but please, can you help me?", "Sorry, I don't understand. Please, can you help?"),
            contest=_l("Sorry, no. It is {value}.", "No, no. {value}."),
            decline=_l("Sorry, {slot} is not good for me.", "Hm, {slot}, no, sorry."),
            accept=_l("Yes, {slot} is good. Thank you.", "Okay, {slot}. Good."),
        ),
        storms_off=False,
    ),
    "formal": Temperament(
        "formal",
        _over(
            hold=_l("Certainly. Take your time.", "Of course. I'll hold."),
            repeat=_l("Certainly. I said: {line}"),
            small_talk=_l(
                "That's kind of you. Now, if we could return to the matter at hand.",
                "Thank you. Shall we get back to the matter at hand?",
            ),
            brush_off=_l(
                "I'm going to stop you there. That is not an acceptable answer.",
                "I beg your pardon. I'd like this corrected, please.",
            ),
            jargon=_l("I'm afraid I don't follow. What does that mean, in plain English?"),
            acknowledge=_l("Very well. Thank you.", "I see. Thank you for explaining."),
            transfer=_l("Very well. Thank you.", "Very well. I'll wait for them."),
            escalation=_l("Very well. And in the meantime, what should I do?"),
            early_close=_l(
                "Just a moment. What happens next, exactly?", "Hold on. A note is not a correction. What happens now?"
            ),
            contest=_l("I'm going to correct you there. It's {value}.", "That's not correct. It's {value}."),
            goodbye=_l("Thank you. Goodbye.", "Very well. Thank you for your help. Goodbye."),
        ),
        storms_off=False,
    ),
    "busy": Temperament(
        "busy",
        _over(
            hold=_l("Okay, but please be quick, I don't have long.", "Sure, quickly though."),
            small_talk=_l("Ha, yes. Sorry, I'm a bit pressed for time.", "Sure. Sorry, I'm in a bit of a rush."),
            acknowledge=_l("Okay, got it.", "Okay, fine."),
            early_close=_l("Wait, sorry, before you go, what happens next?", "Hang on, we're not done, are we?"),
        ),
        storms_off=True,
    ),
}
assert set(TEMPERAMENTS_BY_NAME) == set(TEMPERAMENTS), "every temperament of the format has defaults"
assert all(set(t.lines) == set(REACTION_NAMES) for t in TEMPERAMENTS_BY_NAME.values())


def of(patient: Patient) -> Temperament:
    return TEMPERAMENTS_BY_NAME[patient.temperament]


def reaction(patient: Patient, name: str) -> Lines:
    """The caller's lines for ``name``: the scenario's own (``reactions``, and ``confused`` for
    confused), else the temperament's default."""
    own = patient.reactions.get(name)
    if own:
        return own
    if name == "confused" and "confused" in patient.model_fields_set and patient.confused:
        return Lines(any=list(patient.confused))
    return of(patient).lines[name]


def all_default_lines() -> dict[str, set[str]]:
    """Temperament -> every default line it may say (for the out-of-temperament check)."""
    return {n: {x for lines in t.lines.values() for x in lines.all()} for n, t in TEMPERAMENTS_BY_NAME.items()}
