"""Dates as the monitor writes them: ``11/06/21``, "November 6", "Nov. 6", and periods in
headers and titles ("ISHM 207: May 30 – June 6, 2019", "December 28 – January 4, 2018")."""

from __future__ import annotations

import datetime as dt
import re

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<{0}>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DASH = r"\s*(?:[-–—]|to)\s*"
# "May 30 – June 6, 2019", "December 7 – December 13, 2018", "November 4, 2021 - November 11,
# 2021", "November 4 - 11, 2021", "December 28, 2017 – January 4, 2018".
_PERIOD = re.compile(
    _MONTH.format("m1")
    + r"\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?(?:,?\s*(?P<y1>\d{4}))?"
    + _DASH
    + r"(?:"
    + _MONTH.format("m2")
    + r"\s+)?(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s*(?P<y2>\d{4})",
    re.IGNORECASE,
)
_NUMERIC = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_WORDS = re.compile(
    r"^" + _MONTH.format("m") + r"\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s*(\d{4}))?$", re.IGNORECASE
)

DATE_HELP = "expected a date like 11/06/21, November 6 or Nov. 6"


def read_period(text: str) -> tuple[dt.date, dt.date] | None:
    """Find a period in a header or title; None when there is none or it is no real date."""
    match = _PERIOD.search(text)
    if not match:
        return None
    m1 = _MONTHS[match["m1"].lower()]
    m2 = _MONTHS[match["m2"].lower()] if match["m2"] else m1
    y2 = int(match["y2"])
    # A period across the new year gives its year once, at the end: "December 28 – January 4".
    y1 = int(match["y1"]) if match["y1"] else (y2 - 1 if m1 > m2 else y2)
    try:
        return dt.date(y1, m1, int(match["d1"])), dt.date(y2, m2, int(match["d2"]))
    except ValueError:
        return None


def read_number(text: str, short_name: str = "ISHM") -> int | None:
    """Find the issue number in a header or title ("ISHM 207: ...", "Issue 207"), or None."""
    names = "|".join(re.escape(n) for n in {short_name, "ISHM", "issue", "no."})
    match = re.search(rf"(?<!\w)(?:{names})\s*#?\s*(\d{{1,4}})\b", text, re.IGNORECASE)
    return int(match[1]) if match else None


def read_date(text: str, start: dt.date, end: dt.date) -> dt.date | None:
    """Read a table date; a date written without its year takes the period's."""
    text = text.strip()
    try:
        if match := _NUMERIC.match(text):
            year = int(match[3])
            return dt.date(year + 2000 if year < 100 else year, int(match[1]), int(match[2]))
        if match := _WORDS.match(text):
            month, day = _MONTHS[match["m"].lower()], int(match[2])
            if match[3]:
                return dt.date(int(match[3]), month, day)
            # The year that puts the day nearest the period (a period may span the new year).
            candidates = [dt.date(year, month, day) for year in {start.year, end.year}]
            return min(candidates, key=lambda d: abs((d - start).days) + abs((d - end).days))
    except ValueError:
        return None
    return None
