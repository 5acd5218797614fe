"""Facts stated in a turn: amounts, times, days, dates, durations, phone numbers, counts, doses.

Read by rules, never learned (docs/behaviors.md, "Facts stated"): a fact is exact or it is
nothing. The same reader parses what the trainee says, what the caller says and the values in a
scenario file, so comparing them is comparing values, whatever the words: "$185.00", "a hundred
and eighty-five dollars" and "one eighty-five dollars" are all 18500 cents; "4:30", "four thirty"
and "half past four" are all 4:30.

The scorer compares the trainee's facts with the scenario's (a wrong amount is an accuracy
error with evidence); the caller contests a wrong one and checks an offered slot against its
own constraints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from simulator.text.numbers import spoken_numbers

Kind = Literal["money", "time", "weekday", "date", "duration", "phone", "count", "dose"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_UNITS = {"minute": 1, "minutes": 1, "hour": 60, "hours": 60, "day": 1440, "days": 1440, "week": 10080, "weeks": 10080}
_COUNTED = {
    "refill": "refill",
    "refills": "refill",
    "tablet": "tablet",
    "tablets": "tablet",
    "pill": "pill",
    "pills": "pill",
    "payment": "payment",
    "payments": "payment",
    "dose": "dose",
    "doses": "dose",
    "visit": "visit",
    "visits": "visit",
    "page": "page",
    "pages": "page",
}


_AT = ("at", "by", "around", "before", "after", "about")
_WITHIN = ("in", "within", "for", "about", "around", "over", "takes", "take", "than", "next", "up")
_MINUTES = (0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55)
_NOT_TIME = ("dollars", "dollar", "bucks", "percent", "refill", "refills", "pills", "tablets", "mg", "days", "weeks")


@dataclass(frozen=True)
class Fact:
    kind: Kind
    value: object  # cents (money), minutes after midnight or None-hour (time), weekday name, (month, day),
    # (minutes low, minutes high) (duration), digits (phone), (n, noun) (count), (amount, unit) (dose)
    said: str  # the words it was read from

    def render(self) -> str:
        """The value in a plain written form, for evidence ("$185.00", "4:30", "Tuesday")."""
        v = self.value
        if self.kind == "money" and isinstance(v, int):
            return f"${v // 100:,}.{v % 100:02d}"
        if self.kind == "time" and isinstance(v, tuple):
            h, m = v
            return f"{h}:{m:02d}"
        if self.kind == "weekday" and isinstance(v, str):
            return v.capitalize()
        if self.kind == "date" and isinstance(v, tuple):
            return f"{MONTHS[v[0] - 1].capitalize()} {v[1]}"
        if self.kind == "phone" and isinstance(v, str):
            return f"{v[:3]}-{v[3:]}" if len(v) == 7 else v
        return self.said


def _tokens(text: str) -> list[str]:
    t = text.lower().replace("’", "'")
    t = re.sub(r"\$\s*(\d[\d,]*)\.00\b", r"\1 dollars", t)  # $185.00 -> 185 dollars
    t = re.sub(r"\$\s*(\d[\d,]*)\.(\d\d)\b", r"\1 dollars and \2 cents", t)  # $92.50
    t = re.sub(r"\$\s*(\d[\d,]*)", r"\1 dollars", t)
    t = t.replace("o'clock", " oclock")
    t = re.sub(r"\b(\d{1,2}):(\d\d)\b", r"\1 colon \2", t)  # 4:30 -> 4 colon 30 (not a price)
    t = re.sub(r"\b(\d{3})[-. ](\d{4})\b", r"phone \1\2", t)  # 555-0142 -> phone 5550142
    t = re.sub(r"\b(\d{3})[-. ](\d{3})[-. ](\d{4})\b", r"phone \1\2\3", t)
    t = re.sub(r"\b([ap])\.?\s?m\.?(?=\s|$|[,.;!?])", r"\1m", t)  # a.m. -> am
    t = re.sub(r"\bmg\b|\bmilligrams?\b", " mg ", t)
    return spoken_numbers(t, keep=("dollars", "dollar", "bucks", "cents", "and"))


def _digit_run(toks: list[str], i: int) -> tuple[str, int]:
    """Single digits said one by one ("five five five oh one four two") from ``i``."""
    run = ""
    j = i
    while j < len(toks) and ((toks[j].isdigit() and len(toks[j]) == 1) or toks[j] == "oh"):
        run += "0" if toks[j] == "oh" else toks[j]
        j += 1
    return run, j


def extract(text: str) -> list[Fact]:
    """Every fact the text states, in order."""
    toks = _tokens(text)
    out: list[Fact] = []
    n = len(toks)
    i = 0

    def num(k: int) -> int | None:
        return int(toks[k]) if 0 <= k < n and toks[k].isdigit() else None

    while i < n:
        w = toks[i]
        nxt = toks[i + 1] if i + 1 < n else ""
        # phone numbers: marked runs, or seven or more digits said one by one
        if w == "phone" and i + 1 < n and toks[i + 1].isdigit():
            out.append(Fact("phone", toks[i + 1], toks[i + 1]))
            i += 2
            continue
        if w.isdigit() and len(w) == 1:
            run, j = _digit_run(toks, i)
            if len(run) >= 7:
                out.append(Fact("phone", run[-10:] if len(run) >= 10 else run[-7:], " ".join(toks[i:j])))
                i = j
                continue
        if w.isdigit() and len(w) in (7, 10):
            out.append(Fact("phone", w, w))
            i += 1
            continue
        # money: N dollars [and] [M cents | M]
        if w.isdigit() and nxt in ("dollars", "dollar", "bucks"):
            cents = int(w) * 100
            start = i
            prev = num(i - 1)
            if prev is not None and 1 <= prev <= 9 and 10 <= int(w) <= 99:  # "one eighty-five dollars"
                cents += prev * 10000
                start = i - 1
            j = i + 2
            if j + 1 < n and toks[j] == "and" and num(j + 1) is not None and int(toks[j + 1]) < 100:
                cents += int(toks[j + 1])
                j += 2 if j + 2 >= n or toks[j + 2] != "cents" else 3
            elif num(j) is not None and int(toks[j]) < 100 and (j + 1 >= n or toks[j + 1] == "cents"):
                cents += int(toks[j])
                j += 2 if j + 1 < n and toks[j + 1] == "cents" else 1
            out.append(Fact("money", cents, " ".join(toks[start:j])))
            i = j
            continue
        # times: H colon MM [am|pm], H MM am|pm, H am|pm, half past H, quarter to H, noon
        if w.isdigit() and nxt == "colon" and num(i + 2) is not None:
            h, m = int(w), int(toks[i + 2])
            j = i + 3
            if j < n and toks[j] in ("am", "pm"):
                h, j = _hour(h, toks[j]), j + 1
            out.append(Fact("time", (h, m), " ".join(toks[i:j]).replace(" colon ", ":")))
            i = j
            continue
        if w.isdigit() and 1 <= int(w) <= 12 and nxt in ("am", "pm"):
            out.append(Fact("time", (_hour(int(w), nxt), 0), f"{w} {nxt}"))
            i += 2
            continue
        prev_w = toks[i - 1] if i else ""
        timely = prev_w in _AT or prev_w in WEEKDAYS or (i + 2 < n and toks[i + 2] in ("am", "pm"))
        if w.isdigit() and 1 <= int(w) <= 12 and num(i + 1) is not None and int(nxt) in _MINUTES and timely:
            h = int(w)
            j = i + 2
            if j < n and toks[j] in ("am", "pm"):
                h, j = _hour(h, toks[j]), j + 1
            out.append(Fact("time", (h, int(nxt)), " ".join(toks[i:j])))
            i = j
            continue
        if w in ("half", "quarter") and nxt in ("past", "after", "to") and num(i + 2) is not None:
            h = int(toks[i + 2])
            m = 30 if w == "half" else (15 if nxt != "to" else 45)
            out.append(Fact("time", (h - 1 if nxt == "to" else h, m), " ".join(toks[i : i + 3])))
            i += 3
            continue
        if w == "noon":
            out.append(Fact("time", (12, 0), w))
            i += 1
            continue
        if w.isdigit() and 1 <= int(w) <= 12 and nxt == "in" and i + 2 < n:
            part = toks[i + 2]
            if part in ("morning", "afternoon", "evening"):
                out.append(
                    Fact("time", (_hour(int(w), "am" if part == "morning" else "pm"), 0), " ".join(toks[i : i + 3]))
                )
                i += 3
                continue
        if w.isdigit() and 1 <= int(w) <= 12 and nxt == "oclock":
            out.append(Fact("time", (int(w), 0), f"{w} o'clock"))
            i += 2
            continue
        if w.isdigit() and 1 <= int(w) <= 12 and prev_w in _AT and nxt not in _NOT_TIME:
            out.append(Fact("time", (int(w), 0), f"{prev_w} {w}"))
            i += 1
            continue
        # weekdays and dates
        if w in WEEKDAYS:
            out.append(Fact("weekday", w, w))
            i += 1
            continue
        if w in MONTHS:
            d = num(i + 1)
            if d is not None and 1 <= d <= 31:
                out.append(Fact("date", (MONTHS.index(w) + 1, d), f"{w} {d}"))
                i += 2
                continue
        if w.isdigit() and 1 <= int(w) <= 31 and nxt in MONTHS:
            out.append(Fact("date", (MONTHS.index(nxt) + 1, int(w)), f"{w} {nxt}"))
            i += 2
            continue
        # durations: N [to M] [business|working] minutes|hours|days|weeks
        if w.isdigit() or (w in ("a", "an") and prev_w in _WITHIN):
            lo = int(w) if w.isdigit() else 1
            j = i + 1
            hi = lo
            if j + 1 < n and toks[j] in ("to", "or") and toks[j + 1].isdigit():
                hi = int(toks[j + 1])
                j += 2
            if j < n and toks[j] in ("business", "working"):
                j += 1
            if j < n and toks[j] in _UNITS:
                unit = _UNITS[toks[j]]
                out.append(Fact("duration", (lo * unit, hi * unit), " ".join(toks[i : j + 1])))
                i = j + 1
                continue
        # counts and doses
        if w.isdigit() and nxt in _COUNTED:
            out.append(Fact("count", (int(w), _COUNTED[nxt]), f"{w} {nxt}"))
            i += 2
            continue
        if w.isdigit() and nxt == "mg":
            out.append(Fact("dose", (int(w), "mg"), f"{w} mg"))
            i += 2
            continue
        i += 1
    return out


def _hour(h: int, ampm: str) -> int:
    if ampm == "pm" and h < 12:
        return h + 12
    if ampm == "am" and h == 12:
        return 0
    return h


def same_time(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """4:30 said without am/pm is the same time as 16:30."""
    if a == b:
        return True
    (ha, ma), (hb, mb) = a, b
    return ma == mb and (ha % 12 == hb % 12)


def matches(a: Fact, b: Fact) -> bool:
    """Do two facts of the same kind state the same value?"""
    if a.kind != b.kind:
        return False
    if a.kind == "time" and isinstance(a.value, tuple) and isinstance(b.value, tuple):
        return same_time(a.value, b.value)
    if a.kind == "phone":
        va, vb = str(a.value), str(b.value)
        return va[-7:] == vb[-7:]
    if a.kind == "duration" and isinstance(a.value, tuple) and isinstance(b.value, tuple):
        (alo, ahi), (blo, bhi) = a.value, b.value
        return (blo <= alo <= bhi and blo <= ahi <= bhi) or (alo <= blo <= ahi and alo <= bhi <= ahi)
    return a.value == b.value
