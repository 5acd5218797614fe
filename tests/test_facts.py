"""Facts stated in a turn: the same value whatever the words (understanding/facts.py)."""

from __future__ import annotations

import pytest

from simulator.understanding.facts import Fact, extract, matches


def values(text: str) -> list[tuple[str, object]]:
    return [(f.kind, f.value) for f in extract(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Your balance is $185.00.",
        "you owe a hundred and eighty-five dollars",
        "it's one eighty five dollars",
        "a hundred eighty five dollars",
        "185 dollars",
    ],
)
def test_an_amount_is_the_same_in_digits_and_in_words(text):
    assert ("money", 18500) in values(text)


def test_cents_and_thousands():
    assert values("two payments of $92.50") == [("count", (2, "payment")), ("money", 9250)]
    assert values("ninety two dollars and fifty cents") == [("money", 9250)]
    assert values("$1,240 is the allowed amount") == [("money", 124000)]


@pytest.mark.parametrize(
    ("text", "hm"),
    [
        ("Tuesday at 4:30 pm", (16, 30)),
        ("how about four thirty on tuesday", (4, 30)),
        ("Thursday at four-thirty works", (4, 30)),
        ("half past four", (4, 30)),
        ("10 a.m.", (10, 0)),
        ("Monday at nine in the morning", (9, 0)),
        ("we close at 5 pm", (17, 0)),
        ("twelve noon", (12, 0)),
    ],
)
def test_times(text, hm):
    assert ("time", hm) in values(text)


def test_a_time_without_am_or_pm_matches_either():
    said, known = extract("four thirty")[0] if extract("four thirty") else None, extract("4:30 pm")[0]
    assert said is None or matches(said, known)
    assert matches(extract("at 4:30")[0], known)
    assert not matches(extract("at 3:30")[0], known)


def test_days_dates_durations_phones_counts_doses():
    assert values("Monday") == [("weekday", "monday")]
    assert ("date", (9, 18)) in values("the visit on September 18th")
    assert ("date", (9, 18)) in values("the eighteenth of september")
    assert values("within two business hours") == [("duration", (120, 120))]
    assert values("five to seven business days") == [("duration", (7200, 10080))]
    assert values("call us at 555-0142") == [("phone", "5550142")]
    assert values("five five five oh one four two") == [("phone", "5550142")]
    assert values("you have two refills left") == [("count", (2, "refill"))]
    assert values("twenty milligrams") == [("dose", (20, "mg"))]


def test_no_fact_where_none_is_stated():
    assert extract("I'm so sorry, that sounds frustrating.") == []
    assert values("take it twice a day") == []  # "a day" is no stated duration
    assert values("we open at 8 and close at 5 pm") == [("time", (8, 0)), ("time", (17, 0))]


def test_render_is_plain():
    assert Fact("money", 18500, "").render() == "$185.00"
    assert Fact("time", (16, 30), "").render() == "16:30"
    assert Fact("weekday", "tuesday", "").render() == "Tuesday"
    assert Fact("phone", "5550142", "").render() == "555-0142"


def test_a_duration_inside_a_range_is_the_same_fact():
    usual = extract("approvals usually take five to ten business days")[0]
    assert matches(extract("if you haven't heard in ten business days")[0], usual)
    assert matches(extract("it takes 5 to 10 business days")[0], usual)
    assert not matches(extract("within two business days")[0], usual)
