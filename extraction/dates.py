"""Date mentions in packet text, in every common format, tolerant of OCR confusions.

Returns character ranges and parsed dates; which date is whose (birth, treatment, request)
is decided by extraction.fields from the label in front of the date.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {name: number for number, names in enumerate([
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
    ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
    ("oct", "october"), ("nov", "november"), ("dec", "december")], start=1) for name in names}
# OCR reads 0 as O/o/D and 1 as l/I/|; inside a numeric date these are always digits.
_DIGIT = r"[0-9OoDlI|]"
_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1"})
_SEP = r"\s?[/\-.]\s?"
# A month's abbreviation as faxes misread it (F/P, e/c, b/h, n/u, t/l, O/0): each is one letter off
# one month only, and only read between a day and a year.
_MONTH_MISREADS = {"peb": 2, "fcb": 2, "feh": 2, "jau": 1, "ocl": 10, "0ct": 10, "dcc": 12, "scp": 9,
                   "aog": 8, "n0v": 11}
_MONTH_NAME = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_MONTH_OR_MISREAD = r"(?P<mon>" + "|".join(sorted([*MONTHS, *_MONTH_MISREADS], key=len, reverse=True)) + r")\.?"

# A numeric date may be glued to the label OCR ran into it ("Service3/29/26"), but then it must
# start with a true digit, or "DOB" would lend its letters to the date.
_NUMERIC_START = r"(?:(?<![\w/])|(?<=[A-Za-z])(?=[0-9]))"

_PATTERNS = [
    re.compile(rf"{_NUMERIC_START}(?P<y>{_DIGIT}{{4}}){_SEP}(?P<m>{_DIGIT}{{1,2}}){_SEP}(?P<d>{_DIGIT}{{1,2}})(?![\w/])"),
    re.compile(rf"{_NUMERIC_START}(?P<m>{_DIGIT}{{1,2}}){_SEP}(?P<d>{_DIGIT}{{1,2}}){_SEP}(?P<y>{_DIGIT}{{4}}|{_DIGIT}{{2}})(?![\w/])"),
    # Specks around the comma ("Dec 3,.2026", "Oct 2,-1984", "June 4;.2026", "Dec' 4, 2008") are fax noise.
    re.compile(rf"(?<!\w){_MONTH_NAME}[:'’]?\s?[.\-]?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:[,;]?\s?[\"'.\-]?\s?)(?P<y>\d{{4}})(?!\w)",
               re.IGNORECASE),
    # "14-Feb-1972", and as faxed: "14-Peb-1972", "14-Feb:1972".
    re.compile(rf"(?<!\w)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s\-]?{_MONTH_OR_MISREAD}[\s\-,=:.]?\s?(?P<y>\d{{4}}|\d{{2}})(?!\w)",
               re.IGNORECASE),
]


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    value: dt.date
    repaired: bool  # OCR confusions were corrected to read it
    two_digit_year: bool


_DAY_FIRST_EVIDENCE = 2  # dates that only read day first before the text's numeric dates are read so
_DAY_MONTH = _PATTERNS[1]  # "14/09/1971": which of the two numbers is the month depends on the writer


def find_dates(text: str, pivot_year: int | None = None) -> list[DateMention]:
    """Every parseable date, leftmost-longest, no overlaps.

    Two-digit years resolve to the most recent year not after `pivot_year` (default: this
    year), which suits birth dates and past events. Numeric dates are month first, as US forms
    write them, unless the text writes them day first: two dates only read as day/month
    ("26/05/1979") and none only as month/day.
    """
    pivot = pivot_year or dt.date.today().year
    day_first = _writes_day_first(text)
    found: list[DateMention] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if any(m.start < match.end() and match.start() < m.end for m in found):
                continue
            mention = _parse(match, pivot, day_first and pattern is _DAY_MONTH)
            if mention is not None:
                found.append(mention)
    return sorted(found, key=lambda m: m.start)


def _writes_day_first(text: str) -> bool:
    day_first = month_first = 0
    for match in _DAY_MONTH.finditer(text):
        first, second = (int(match.group(g).translate(_OCR_DIGITS)) for g in ("m", "d"))
        day_first += first > 12 >= second
        month_first += second > 12 >= first
    # Two dates, not one: a single "22/07/1983" is as likely a handwritten 11 the fax misread.
    return day_first >= _DAY_FIRST_EVIDENCE and month_first == 0


def _parse(match: re.Match, pivot: int, day_first: bool = False) -> DateMention | None:
    raw = match.group(0)
    groups = match.groupdict()
    year_text = groups["y"].translate(_OCR_DIGITS)
    day_text = groups["d"].translate(_OCR_DIGITS)
    if groups.get("mon"):
        month = MONTHS.get(groups["mon"].lower()) or _MONTH_MISREADS[groups["mon"].lower()]
    else:
        month = int(groups["m"].translate(_OCR_DIGITS))
        if day_first:
            month, day_text = int(day_text), str(month)
    repaired = ((raw.translate(_OCR_DIGITS) != raw and not groups.get("mon"))
                or (groups.get("mon") or "").lower() in _MONTH_MISREADS)
    year = int(year_text)
    two_digit = len(year_text) == 2
    if two_digit:
        year += 2000 if 2000 + year <= pivot else 1900
    try:
        value = dt.date(year, month, int(day_text))
    except ValueError:
        return None
    if not 1900 <= year <= pivot + 5:
        return None
    return DateMention(match.start(), match.end(), value, repaired, two_digit)
