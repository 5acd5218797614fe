"""Numbers in words, both ways: the one vocabulary and the parsers every stage uses.

- :func:`read_numbers` (detection's canonical text): digit runs read digit by digit
  ("nine one one" -> "911"), other runs as one cardinal ("twenty four" -> "24").
- :func:`spoken_numbers` (fact checks): tokens with number words as digits the way people say
  prices, years and dates ("a hundred and eighty-five" -> 185, "one eighty five" -> 1 85).
- :func:`number_words`, :func:`ordinal_words`, :func:`year_words`, :func:`spoken_date`: the
  other way, for what the patient says.
Voice activity's patience inside a number uses :data:`DIGITS`, :data:`TEENS` and :data:`TENS`.
"""

from __future__ import annotations

import datetime as dt
import re

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]  # fmt: skip
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

# --------------------------------------------------------------------------- words -> digits (detection)

_UNITS = {w: i for i, w in enumerate(ONES)}
_UNITS["oh"] = 0  # only inside digit runs ("five five five oh one")


def read_numbers(words: list[str]) -> list[str]:
    """Number words -> digits. Runs of single digits are read digit by digit
    ("nine one one" -> "911"); others as a cardinal ("twenty four" -> "24")."""
    out: list[str] = []
    i, n = 0, len(words)
    single = lambda w: w in _UNITS and _UNITS[w] < 10
    while i < n:
        w = words[i]
        if single(w) and w != "oh" and i + 1 < n and single(words[i + 1]):
            j = i
            while j < n and single(words[j]):
                j += 1
            out.append("".join(str(_UNITS[x]) for x in words[i:j]))
            i = j
            continue
        if (w in _UNITS and w != "oh") or w in TENS_VALUES:
            total, cur, j = 0, 0, i
            while j < n:
                t = words[j]
                if t in TENS_VALUES and cur % 100 == 0:
                    cur += TENS_VALUES[t]
                elif t in _UNITS and t != "oh":
                    if cur % 100 != 0 and (cur % 10 != 0 or _UNITS[t] >= 10):
                        break
                    cur += _UNITS[t]
                elif (
                    t == "and"
                    and cur >= 100
                    and cur % 100 == 0
                    and j + 1 < n
                    and (words[j + 1] in TENS_VALUES or words[j + 1] in _UNITS)
                ):
                    pass
                elif t == "hundred" and j > i:
                    cur = max(cur, 1) * 100
                elif t == "thousand" and j > i:
                    total += max(cur, 1) * 1000
                    cur = 0
                else:
                    break
                j += 1
            value = total + cur
            out.append(w if (value == 1 and j == i + 1) else str(value))  # "no one", "one of"
            i = j
            continue
        out.append(w)
        i += 1
    return out


# --------------------------------------------------------------------------- words -> numbers (facts: prices, years, dates)

DIGITS = {w: i for i, w in enumerate(ONES[:10])}
TEENS = {w: i for i, w in enumerate(ONES) if i >= 10}
TENS_VALUES = {w: 10 * i for i, w in enumerate(TENS) if w}
_ORD_UNITS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
}
_ORD_TEENS = {
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
}
_ORD_TENS = {"twentieth": 20, "thirtieth": 30}
_WORDNUM: dict[str, tuple[str, int]] = {}
for _d, _k in (
    (DIGITS, "unit"),
    (_ORD_UNITS, "unit"),
    (TEENS, "teen"),
    (_ORD_TEENS, "teen"),
    (TENS_VALUES, "tens"),
    (_ORD_TENS, "tens"),
):
    for _w, _v in _d.items():
        _WORDNUM[_w] = (_k, _v)
_DROP = {"and", "dollars", "dollar", "bucks", "cents", "cent", "the", "of"}


def _raw_tokens(text: str) -> list[str]:
    t = text.lower().replace("’", "'")
    t = re.sub(r"(?<=\d),(?=\d{3})", "", t)  # 1,200 -> 1200
    t = re.sub(r"(\d+)\.00\b", r"\1", t)  # $185.00 -> 185
    t = re.sub(r"(\d+)\.(\d\d)\b", r"\1 \2", t)  # 92.50 -> 92 50 (said "ninety-two fifty")
    t = re.sub(r"(\d+)(st|nd|rd|th)\b", r"\1", t)  # 18th -> 18
    return re.findall(r"[a-z]+|\d+", t)


def spoken_numbers(text: str, keep: tuple[str, ...] = ()) -> list[str]:
    """Lowercase word tokens with number words turned into digits.

    A run of number words becomes one number as long as it reads as one ("a hundred and
    eighty-five" -> 185); where a new number clearly starts it is split the way people
    say prices and years ("one eighty five" -> 1 85, "nineteen sixty-eight" -> 19 68).
    Words of ``keep`` ("dollars") stay, though they are dropped by default.
    """
    toks = _raw_tokens(text)
    out: list[str] = []
    total: int | None = None  # thousands read so far
    cur: int | None = None  # the part below a thousand
    last: str | None = None  # kind of the last number word

    def flush() -> None:
        nonlocal total, cur, last
        if total is not None or cur is not None:
            out.append(str((total or 0) + (cur or 0)))
        total, cur, last = None, None, None

    for i, w in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if w in _WORDNUM:
            kind, v = _WORDNUM[w]
            if cur is None and (total is None or last == "thousand"):
                cur = v
            elif cur is not None and last == "hundred" and v < 100:
                cur += v  # "two hundred five"
            elif cur is not None and last == "tens" and kind == "unit" and cur % 10 == 0:
                cur += v  # "eighty five"
            else:
                flush()  # a new number starts: "one | eighty five", "nineteen | sixty eight"
                cur = v
            last = kind
        elif w == "hundred":
            if cur is not None and cur < 100 and last != "hundred":
                cur *= 100
            else:
                flush()
                cur = 100
            last = "hundred"
        elif w == "thousand":
            if total is None and (cur is None or cur < 1000):
                total, cur = (cur or 1) * 1000, None
            else:
                flush()
                total = 1000
            last = "thousand"
        elif w == "a" and nxt in ("hundred", "thousand"):
            flush()
            cur, last = 1, "unit"
        elif w == "and" and last in ("hundred", "thousand") and nxt in _WORDNUM:
            pass  # "a hundred and eighty-five"
        elif w.isdigit():
            flush()
            out.append(str(int(w)) if len(w) < 6 else w)
        else:
            flush()
            if w not in _DROP or w in keep:
                out.append(w)
    flush()
    return out


# --------------------------------------------------------------------------- numbers -> words (what the patient says)

_ORDINAL_OF = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
    "twenty": "twentieth",
    "thirty": "thirtieth",
}


def number_words(n: int) -> str:
    """0..99 in words ("sixty-eight")."""
    if n < 20:
        return ONES[n]
    tens, ones = divmod(n, 10)
    return TENS[tens] + (f"-{ONES[ones]}" if ones else "")


def ordinal_words(n: int) -> str:
    """1..31 as a spoken ordinal ("twenty-first")."""
    words = number_words(n)
    head, _, last = words.rpartition("-")
    last = _ORDINAL_OF.get(last, last + "th")
    return f"{head}-{last}" if head else last


def year_words(year: int) -> str:
    """A year the way people say it ("nineteen sixty-eight", "two thousand five")."""
    hi, lo = divmod(year, 100)
    if 2000 <= year < 2010:
        return "two thousand" + (f" {ONES[lo]}" if lo else "")
    return f"{number_words(hi)} " + ("hundred" if lo == 0 else f"oh {ONES[lo]}" if lo < 10 else number_words(lo))


def spoken_date(d: dt.date) -> str:
    return f"{d.strftime('%B')} {ordinal_words(d.day)}, {year_words(d.year)}"
