"""The loader's error lines: every problem as FILE:LINE:COL: field: message, exit 2, no traceback.

Each case is a malformed scenario and the exact lines `vasim scenario validate` must print.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import main

BASE = """\
id: NAME
title: A test
touchpoint: general_inquiry
practice: riverside
patient:
  name: Alex Morgan
  dob: 1980-01-31
states:
  opening:
    say: Hi, when are you open?
    on:
      - after: verify_identity
        goto: closing
  closing:
    say: Thanks!
    end: true
examples:
  - name: strong
    kind: strong
    expect: {passed: true}
    turns:
      - va: Thank you for calling Riverside Family Practice.
  - name: weak
    kind: weak
    expect: {passed: false}
    turns:
      - va: Hello.
"""


def edit(old: str, new: str):
    def apply(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return apply


def text_case(content: str):
    return lambda text: content


# name -> (how to make the file from BASE, expected lines with NAME for the file name)
CASES = {
    "empty": (
        text_case(""),
        ["F:1:1: (file): file is empty; expected a YAML mapping (run `vasim scenario new` for a template)"],
    ),
    "only-comments": (
        text_case("# nothing yet\n\n"),
        ["F:1:1: (file): file is empty; expected a YAML mapping (run `vasim scenario new` for a template)"],
    ),
    "a-list": (
        text_case("- one\n- two\n"),
        ["F:1:1: (file): a scenario must be a YAML mapping (key: value), got a list"],
    ),
    "a-scalar": (text_case("just words\n"), ["F:1:1: (file): a scenario must be a YAML mapping (key: value), got str"]),
    "unclosed-flow": (
        edit("title: A test", "title: [A test"),
        ["F:3:11: (file): YAML syntax: while parsing a flow sequence expected ',' or ']', but got ':'"],
    ),
    "tab-indent": (
        edit("  name: Alex Morgan", "\tname: Alex Morgan"),
        [
            "F:6:1: (file): YAML syntax: while scanning for the next token found character '\\t' that cannot start any token"
        ],
    ),
    "duplicate-key": (
        edit("title: A test\n", "title: A test\ntitle: Again\n"),
        ["F:3:1: title: duplicate key 'title' (already on line 2); keep one"],
    ),
    "duplicate-state": (
        edit("  closing:\n    say: Thanks!", "  opening:\n    say: Again\n  closing:\n    say: Thanks!"),
        ["F:14:3: states.opening: duplicate key 'opening' (already on line 9); keep one"],
    ),
    # a duplicate key does not stop the reading: the first one is kept and the rest is checked too
    "duplicate-key-and-reference-errors": (
        lambda t: edit("goto: closing", "goto: closng")(edit("title: A test\n", "title: A test\ntitle: Again\n")(t)),
        [
            "F:3:1: title: duplicate key 'title' (already on line 2); keep one",
            "F:14:9: states.opening.on[0].goto: no state named 'closng'; did you mean 'closing'?",
        ],
    ),
    "duplicate-nested-keys": (
        edit("    end: true", "    end: true\n    end: false\n    say: Bye"),
        [
            "F:17:5: states.closing.end: duplicate key 'end' (already on line 16); keep one",
            "F:18:5: states.closing.say: duplicate key 'say' (already on line 15); keep one",
        ],
    ),
    "missing-title": (edit("title: A test\n", ""), ["F:1:1: title: missing required field 'title'"]),
    "missing-patient-name": (edit("  name: Alex Morgan\n", ""), ["F:5:1: patient.name: missing required field 'name'"]),
    "unknown-top-key": (
        edit("title: A test\n", "title: A test\ntitel: typo\n"),
        ["F:3:1: titel: unknown key 'titel'; did you mean 'title'?"],
    ),
    "unknown-state-key": (
        edit("    end: true", "    end: true\n    goodbye: true"),
        [
            "F:17:5: states.closing.goodbye: unknown key 'goodbye' (allowed: say, exemplar, expects, again, on, end, goal, asks_about)"
        ],
    ),
    "bad-touchpoint": (edit("touchpoint: general_inquiry", "touchpoint: gossip"), None),
    "bad-difficulty": (
        edit("title: A test\n", "title: A test\ndifficulty: 7\n"),
        ["F:3:1: difficulty: '7' is not allowed; use one of 'easy', 'medium' or 'hard'"],
    ),
    "bad-escalation": (edit("title: A test\n", "title: A test\nescalation: call_the_police\n"), None),
    "bad-date": (
        edit("dob: 1980-01-31", "dob: 1980-02-30"),
        ["F:7:3: patient.dob: '1980-02-30' is not a valid date; use YYYY-MM-DD (e.g. 1968-04-12)"],
    ),
    "date-words": (
        edit("dob: 1980-01-31", "dob: last tuesday"),
        ["F:7:3: patient.dob: 'last tuesday' is not a valid date; use YYYY-MM-DD (e.g. 1968-04-12)"],
    ),
    "future-dob": (edit("dob: 1980-01-31", "dob: 2199-01-01"), ["F:7:3: patient.dob: date of birth is in the future"]),
    "ancient-dob": (
        edit("dob: 1980-01-31", "dob: 1850-01-01"),
        ["F:7:3: patient.dob: date of birth before 1900; use YYYY-MM-DD"],
    ),
    "bad-id": (
        edit("id: NAME", "id: Bad_Id"),
        ["F:1:1: id: id must be lowercase words joined by hyphens, e.g. billing-frustrated"],
    ),
    "id-not-filename": (
        edit("id: NAME", "id: something-else"),
        ["F:1:1: id: id 'something-else' does not match the file name 'NAME.yaml'; rename one of them"],
    ),
    "unknown-practice": (edit("practice: riverside", "practice: lakeside"), None),
    "states-not-mapping": (
        edit("states:\n  opening:", "states: [opening]\nxstates:\n  opening:"),
        [
            "F:8:1: states: expected a mapping (key: value), got list",
            "F:9:1: xstates: unknown key 'xstates'; did you mean 'states'?",
        ],
    ),
    "say-wrong-type": (
        edit("say: Hi, when are you open?", "say: {sunny: Hi}"),
        ["F:10:11: states.opening.say.sunny: unknown key 'sunny' (allowed: any, calm, upset, angry)"],
    ),
    "unknown-behavior": (
        edit("after: verify_identity", "after: verify_identy"),
        ["F:12:9: states.opening.on[0].after: unknown behavior 'verify_identy'; did you mean 'verify_identity'?"],
    ),
    "unknown-behavior-list": (
        edit("after: verify_identity", "when: [empathy, sarcasm]"),
        ["F:12:25: states.opening.on[0].when[1]: unknown behavior 'sarcasm' (see scenarios/behaviors.yaml)"],
    ),
    "dangling-goto": (
        edit("goto: closing", "goto: closng"),
        ["F:13:9: states.opening.on[0].goto: no state named 'closng'; did you mean 'closing'?"],
    ),
    "unreachable-state": (
        edit("  closing:\n", "  lost:\n    say: Where am I?\n    end: true\n  closing:\n"),
        ["F:14:3: states.lost: state 'lost' is unreachable: no transition leads to it from 'opening'"],
    ),
    "never-ends": (
        edit("    end: true\n", "    on:\n      - goto: opening\n"),
        ["F:8:1: states: the call can never end: add a state with `end: true` or a transition with `goto: end`"],
    ),
    "bad-start": (edit("states:\n", "start: begin\nstates:\n"), ["F:8:1: start: no state named 'begin'"]),
    "reserved-end-state": (
        edit(
            "  closing:\n    say: Thanks!\n    end: true\n",
            "  closing:\n    say: Thanks!\n    end: true\n  end:\n    say: Bye\n    end: true\n",
        ),
        ["F:17:3: states.end: 'end' is reserved (a transition to it ends the call); rename this state"],
    ),
    "empty-say": (
        edit("say: Thanks!", "say: []"),
        ["F:15:5: states.closing.say: the patient needs at least one line here (say: ...)"],
    ),
    "end-with-transitions": (
        edit("    end: true\n", "    end: true\n    on:\n      - goto: opening\n"),
        ["F:17:5: states.closing.on: an end state hangs up, so its transitions never run; remove `on` or `end`"],
    ),
    "missing-weak-example": (
        edit("  - name: weak\n    kind: weak\n    expect: {passed: false}\n    turns:\n      - va: Hello.\n", ""),
        ["F:17:1: examples: missing a weak example call (examples: - name: ..., kind: weak, expect: ..., turns: ...)"],
    ),
    "no-examples": (
        lambda t: t.split("examples:")[0],
        [
            "F:1:1: (file): missing a strong example call (examples: - name: ..., kind: strong, expect: ..., turns: ...)",
            "F:1:1: (file): missing a weak example call (examples: - name: ..., kind: weak, expect: ..., turns: ...)",
        ],
    ),
    "duplicate-example-name": (
        edit("  - name: weak", "  - name: strong"),
        ["F:23:5: examples[1].name: duplicate example name 'strong' (also examples[0])"],
    ),
    "strong-expects-fail": (
        edit("expect: {passed: true}", "expect: {passed: false}"),
        ["F:20:14: examples[0].expect.passed: a strong example must pass (expect: {passed: true})"],
    ),
    "bad-turn-speaker": (
        edit("      - va: Hello.", "      - doctor: Hello."),
        ["F:27:9: examples[1].turns[0]: a turn is `- va: ...` or `- patient: ...` (or trainee/caller); got 'doctor'"],
    ),
    "bad-expect-dimension": (
        edit("expect: {passed: false}", "expect: {passed: false, worse: [kindness]}"),
        [
            "F:25:29: examples[1].expect.worse: unknown dimension 'kindness'; use one of greeting, empathy, accuracy, escalation, closing"
        ],
    ),
    "bad-score-range": (
        edit("expect: {passed: true}", "expect: {passed: true, min_scores: {empathy: 9}}"),
        ["F:20:28: examples[0].expect.min_scores: score for empathy must be 1-5"],
    ),
    "mood-out-of-range": (
        edit("  dob: 1980-01-31\n", "  dob: 1980-01-31\n  mood: {start: 42}\n"),
        ["F:8:10: patient.mood.start: 42 is out of range; it must be at most 10"],
    ),
    "voice-rate-type": (
        edit("  dob: 1980-01-31\n", "  dob: 1980-01-31\n  voice: {rate: fast}\n"),
        ["F:8:11: patient.voice.rate: expected a number, got 'fast'"],
    ),
    "bad-forbidden-behavior": (
        edit("examples:", "scoring:\n  forbidden: [yelling]\nexamples:"),
        ["F:18:3: scoring.forbidden: unknown behavior 'yelling' (see scenarios/behaviors.yaml)"],
    ),
    "several-problems": (
        lambda t: edit("goto: closing", "goto: nowhere")(edit("title: A test\n", "title: A test\ncolour: blue\n")(t)),
        None,
    ),
    # type errors do not hide cross-reference errors: one run reports every problem, sorted by line
    "type-and-reference-errors": (
        lambda t: edit("goto: closing", "goto: closng")(
            edit("after: verify_identity", "after: verify_identty")(
                edit("title: A test\n", "title: A test\ndifficulty: 7\n")(t)
            )
        ),
        [
            "F:3:1: difficulty: '7' is not allowed; use one of 'easy', 'medium' or 'hard'",
            "F:13:9: states.opening.on[0].after: unknown behavior 'verify_identty'; did you mean 'verify_identity'?",
            "F:14:9: states.opening.on[0].goto: no state named 'closng'; did you mean 'closing'?",
        ],
    ),
    "type-error-in-same-state": (
        (
            lambda t: edit("after: verify_identity", "when: [empathy, sarcasm]\n        mood: lots")(
                edit(
                    "    say: Hi, when are you open?\n",
                    "    say: Hi, when are you open?\n    expects: 5\n    goodbye: 1\n",
                )(t)
            )
        ),
        [
            "F:11:5: states.opening.expects: expected a list, got int",
            "F:12:5: states.opening.goodbye: unknown key 'goodbye' (allowed: say, exemplar, expects, again, on, end, goal, asks_about)",
            "F:14:25: states.opening.on[0].when[1]: unknown behavior 'sarcasm' (see scenarios/behaviors.yaml)",
            "F:15:9: states.opening.on[0].mood: expected a number, got 'lots'",
        ],
    ),
    "type-error-and-unreachable": (
        lambda t: edit("  closing:\n", "  lost:\n    say: Where am I?\n    end: true\n  closing:\n")(
            edit("title: A test\n", "title: [1]\n")(t)
        ),
        [
            "F:2:1: title: expected text, got a list",
            "F:14:3: states.lost: state 'lost' is unreachable: no transition leads to it from 'opening'",
        ],
    ),
    "type-error-and-missing-example": (
        lambda t: edit(
            "  - name: weak\n    kind: weak\n    expect: {passed: false}\n    turns:\n      - va: Hello.\n", ""
        )(edit("  dob: 1980-01-31\n", "  dob: 1980-01-31\n  mood: {start: 42, moves: {argu: 2}}\n")(t)),
        [
            "F:8:10: patient.mood.start: 42 is out of range; it must be at most 10",
            "F:8:29: patient.mood.moves.argu: unknown behavior 'argu'; did you mean 'argue'?",
            "F:18:1: examples: missing a weak example call (examples: - name: ..., kind: weak, expect: ..., turns: ...)",
        ],
    ),
    "bad-turn-and-duplicate-example": (
        lambda t: edit("      - va: Hello.", "      - doctor: Hello.")(edit("  - name: weak", "  - name: strong")(t)),
        [
            "F:23:5: examples[1].name: duplicate example name 'strong' (also examples[0])",
            "F:27:9: examples[1].turns[0]: a turn is `- va: ...` or `- patient: ...` (or trainee/caller); got 'doctor'",
        ],
    ),
    # a part that failed validation is skipped, not guessed about: a bad kind hides "missing a weak example"
    "bad-example-kind": (
        edit("    kind: weak", "    kind: feeble"),
        ["F:24:5: examples[1].kind: 'feeble' is not allowed; use one of 'strong' or 'weak'"],
    ),
    # a transition that cannot be read makes reachability unknowable: no false "unreachable"
    "unreadable-transition": (
        edit(
            "      - after: verify_identity\n        goto: closing",
            "      - after: verify_identity\n        goto: [closing]",
        ),
        ["F:13:9: states.opening.on[0].goto: expected text, got a list"],
    ),
    "id-mismatch-and-type-error": (
        lambda t: edit("id: NAME", "id: something-else")(edit("title: A test\n", "title: A test\ndifficulty: 7\n")(t)),
        [
            "F:1:1: id: id 'something-else' does not match the file name 'NAME.yaml'; rename one of them",
            "F:3:1: difficulty: '7' is not allowed; use one of 'easy', 'medium' or 'hard'",
        ],
    ),
    # YAML cuts "[Sure, it's me, Alex Morgan.]" at its commas: three variants, two of them fragments
    "line-cut-at-commas": (
        edit("    say: Hi, when are you open?", "    say: [Sure, it's me, Alex Morgan.]"),
        [
            "F:10:17: states.opening.say[1]: 'it's me' looks like part of a line cut at a comma: in [a, b] every comma "
            "starts a new line variant; put each line in quotes ([\"Sure, it's me.\"]) or write one '- ' item per line"
        ],
    ),
    # voices are checked against what the engines have, so a typo is not a failure at call start
    "unknown-espeak-variant": (
        edit("  dob: 1980-01-31\n", "  dob: 1980-01-31\n  voice: {engine: pyttsx3, voice: en-us+f9}\n"),
        [
            "F:8:28: patient.voice.voice: espeak-ng has no variant '+f9' (`espeak-ng --voices=variant` lists them, e.g. +f3, +m3)"
        ],
    ),
    "unknown-espeak-voice": (
        edit("  dob: 1980-01-31\n", "  dob: 1980-01-31\n  voice: {engine: pyttsx3, voice: en-uss+f3}\n"),
        [
            "F:8:28: patient.voice.voice: espeak-ng has no voice 'en-uss'; did you mean 'en-us'? (`espeak-ng --voices=en` lists them)"
        ],
    ),
    "unknown-piper-voice": (
        edit("  dob: 1980-01-31\n", "  dob: 1980-01-31\n  voice: {engine: piper, voice: jo}\n"),
        ["F:8:26: patient.voice.voice: no piper voice 'jo'; did you mean 'joe'?"],
    ),
    # the caller's temperament, reactions, facts, wants, transitions on acts, probes (issue 14)
    "unknown-temperament": (
        edit("  dob: 1980-01-31\n", "  dob: 1980-01-31\n  temperament: grumpy\n"),
        [
            "F:8:3: patient.temperament: 'grumpy' is not allowed; use one of 'neutral', 'frustrated', "
            "'withdrawn_crisis', 'anxious_parent', 'chatty_older', 'non_native', 'formal' or 'busy'"
        ],
    ),
    "unknown-reaction": (
        edit("  dob: 1980-01-31\n", "  dob: 1980-01-31\n  reactions: {holdd: Fine.}\n"),
        ["F:8:15: patient.reactions.holdd: unknown key 'holdd'; did you mean 'hold'?"],
    ),
    "unknown-act": (
        edit("        goto: closing\n", "        goto: closing\n        acts: [questoin]\n"),
        ["F:14:16: states.opening.on[0].acts[0]: unknown act 'questoin'; did you mean 'question'?"],
    ),
    "bad-wants": (
        edit(
            "  dob: 1980-01-31\n", "  dob: 1980-01-31\n  wants: {slots: [{after: soon, days: [funday]}], by: someday}\n"
        ),
        [
            "F:8:20: patient.wants.slots[0].after: 'soon' is not a time; write e.g. 3:30 pm",
            "F:8:33: patient.wants.slots[0].days: 'funday' is not a weekday (monday ... sunday)",
            "F:8:51: patient.wants.by: 'someday' is not a weekday or a date; write e.g. friday or June 15",
        ],
    ),
    "probe-without-trainee": (
        edit("examples:\n", "probes:\n  - {must_any: [hello]}\nexamples:\n"),
        ["F:18:5: probes[0].trainee: missing required field 'trainee'"],
    ),
}


def _write(tmp_path: Path, name: str, make) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(make(BASE).replace("id: NAME", f"id: {name}"), encoding="utf-8")
    return path


def _validate(path: Path, capsys) -> tuple[int, list[str]]:
    code = main(["scenario", "validate", str(path)])
    err = capsys.readouterr().err
    return code, [ln for ln in err.splitlines() if ln]


def test_base_is_valid(tmp_path, capsys):
    assert main(["scenario", "validate", str(_write(tmp_path, "base", lambda t: t))]) == 0


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed(name, tmp_path, capsys):
    make, expected = CASES[name]
    path = _write(tmp_path, name, make)
    code, lines = _validate(path, capsys)
    assert code == 2
    assert lines, "no problem reported"
    for ln in lines:
        assert ln.startswith(f"{path}:"), ln
        _file, line, col, rest = ln.split(":", 3)
        assert int(line) >= 1 and int(col) >= 1
        assert ": " in rest.strip() and "Traceback" not in ln
    if expected is not None:
        assert lines == [e.replace("F:", f"{path}:").replace("NAME", name) for e in expected]


def test_several_problems_reported_at_once(tmp_path, capsys):
    code, lines = _validate(_write(tmp_path, "several-problems", CASES["several-problems"][0]), capsys)
    assert code == 2
    fields = [ln.split(": ")[1] for ln in lines]
    assert fields == ["colour", "states.opening.on[0].goto"]  # the type error does not hide the dangling goto


@pytest.mark.parametrize("name", sorted(CASES))
def test_problems_sorted_by_line_without_duplicates(name, tmp_path, capsys):
    _, lines = _validate(_write(tmp_path, name, CASES[name][0]), capsys)
    positions = [tuple(int(x) for x in ln.rsplit(".yaml:", 1)[1].split(":")[:2]) for ln in lines if ".yaml:" in ln]
    assert positions == sorted(positions)
    assert len(set(lines)) == len(lines)


def test_reference_errors_all_reported(tmp_path, capsys):
    text = edit("goto: closing", "goto: nowhere")(
        edit("after: verify_identity", "after: nonsense")(BASE.replace("NAME", "many"))
    )
    path = tmp_path / "many.yaml"
    path.write_text(text)
    code, lines = _validate(path, capsys)
    assert code == 2 and len(lines) == 2
    assert "unknown behavior 'nonsense'" in lines[0] and "no state named 'nowhere'" in lines[1]


def test_binary_junk(tmp_path, capsys):
    p = tmp_path / "junk.yaml"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert _validate(p, capsys) == (2, [f"{p}:3:1: (file): binary data (NUL byte), not a YAML text file"])


def test_not_utf8(tmp_path, capsys):
    p = tmp_path / "latin.yaml"
    p.write_bytes(b"id: latin\ntitle: caf\xe9\n")
    assert _validate(p, capsys) == (2, [f"{p}:2:11: (file): not valid UTF-8 (byte 0xe9); save the file as UTF-8"])


def test_directory_where_file_expected(tmp_path, capsys):
    d = tmp_path / "folder.yaml"
    d.mkdir()
    code = main(["scenario", "show", str(d)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith(f"{d}:1:1: (file): is a directory")


def test_empty_directory(tmp_path, capsys):
    code, lines = _validate(tmp_path, capsys)
    assert code == 2 and lines == [f"{tmp_path}:1:1: (file): no scenario files (*.yaml) in this directory"]


def test_missing_file(tmp_path, capsys):
    assert _validate(tmp_path / "nope.yaml", capsys) == (2, [f"{tmp_path / 'nope.yaml'}:1:1: (file): no such file"])


def test_huge_file(tmp_path, capsys):
    p = tmp_path / "huge.yaml"
    with p.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse 50 MB
    code, lines = _validate(p, capsys)
    assert code == 2 and lines == [f"{p}:1:1: (file): file is 52.4 MB; a scenario file should be a few KB (limit 2 MB)"]


def test_yaml_bomb(tmp_path, capsys):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    p = tmp_path / "bomb.yaml"
    p.write_text("\n".join(lines) + "\n")
    code, out = _validate(p, capsys)
    assert code == 2 and len(out) == 1
    assert "too many values (YAML aliases" in out[0]


def test_duplicate_ids_across_files(tmp_path, capsys):
    (tmp_path / "one.yaml").write_text(BASE.replace("NAME", "one"))
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "one.yaml").write_text(BASE.replace("NAME", "one"))
    code = main(["scenario", "validate", str(tmp_path), str(sub)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err == [
        f"{sub / 'one.yaml'}:1:1: id: duplicate scenario id 'one' (also in {tmp_path / 'one.yaml'})"
    ]


def test_no_traceback_in_subprocess(tmp_path):
    """The real console script: exit 2, one line per problem, nothing on stdout, no traceback."""
    p = tmp_path / "broken.yaml"
    p.write_text("id: broken\ntitle: [\n")
    proc = subprocess.run(
        [sys.executable, "-m", "simulator", "scenario", "validate", str(p)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith(f"{p}:")


def test_whole_lines_in_a_flow_list_are_fine(tmp_path):
    """Only an unquoted lower-case item after one with no closing punctuation looks cut."""
    from simulator.authoring import scenario as sc_mod

    p = tmp_path / "flow-lines.yaml"
    p.write_text(
        BASE.replace("NAME", "flow-lines").replace(
            "    say: Hi, when are you open?", '    say: [Hi., "hello, when are you open?", Hey there!]'
        )
    )
    sc = sc_mod.load(str(p))
    assert sc.states["opening"].say.all() == ["Hi.", "hello, when are you open?", "Hey there!"]
