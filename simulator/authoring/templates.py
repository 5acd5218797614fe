"""The template ``vasim scenario new`` writes: a small, valid scenario to edit."""

from __future__ import annotations

NEW_SCENARIO = """\
# A new scenario. Run `vasim scenario validate {path}` after each edit and
# `vasim scenario test {id}` to score its example calls. Field reference: docs/scenario-format.md
id: {id}
title: {title}
touchpoint: {touchpoint}          # billing, symptoms, refill, scheduling, general_inquiry, ...
difficulty: easy                  # easy | medium | hard
summary: What the trainee reads before the call.
practice: riverside               # scenarios/practices/riverside.yaml, or an inline mapping
escalation: none                  # none, emergency_911, crisis_transfer, same_day_transfer, flag_clinical, ...
patient:
  name: Alex Morgan
  dob: 1980-01-31
  phone: 555-0199
  voice: {{engine: piper, rate: 1.0, pitch: 1.0}}
  mood: {{start: 3}}              # 0 calm .. 10 furious
  knows:
    best callback number: It's 555-0199.
facts:                            # what the VA can look up (said only after verifying identity)
  next appointment: Tuesday, March 3 at 10 am
greeting_exemplar: Thank you for calling Riverside Family Practice, this is Sam. How can I help you?
states:
  opening:
    say:
      - Hi, I have a question about my appointment.
    exemplar: I'd be happy to help. May I have your full name and date of birth?
    on:
      - after: verify_identity
        goto: answer
    again: ["Sorry, can you help me with my appointment?"]
  answer:
    say: ["It's Alex Morgan, January thirty-first, nineteen eighty."]
    exemplar: Thank you, Alex. Your next appointment is Tuesday, March third at 10 am. Is there anything else I can help you with?
    on:
      - when_any: [offer_more_help, warm_close]
        goto: closing
  closing:
    say: ["No, that's all, thanks!"]
    exemplar: You're welcome, Alex. Thank you for calling Riverside Family Practice, have a great day.
    end: true
examples:
  - name: strong
    kind: strong
    expect: {{passed: true}}
    turns:
      - va: Thank you for calling Riverside Family Practice, this is Sam. How can I help you?
      - patient: Hi, I have a question about my appointment.
      - va: I'd be happy to help. May I have your full name and date of birth?
      - patient: It's Alex Morgan, January thirty-first, nineteen eighty.
      - va: Thank you, Alex. Your next appointment is Tuesday, March third at 10 am. Is there anything else I can help you with?
      - patient: No, that's all, thanks!
      - va: You're welcome, Alex. Thank you for calling Riverside Family Practice, have a great day.
  - name: weak
    kind: weak
    expect: {{passed: false, blockers: [disclose_before_verify]}}
    turns:
      - va: Hello.
      - patient: Hi, I have a question about my appointment.
      - va: Your next appointment is Tuesday, March third at 10 am.
      - patient: Oh. Okay.
      - va: Bye.
"""
