"""The takeaway check: the casualty figures a takeaway reports, read as the monitor writes them,
against the IED table's rows that its sentence is about.

A sentence that mentions IEDs and says "killed three", "wounded 5,500", "kills at least 18",
"injured roughly 5,500" or "up to six" makes a claim: an interval, like a table count. The rows
it is about are those on the dates it names ("On November 7", "Between November 6 – 8") and in
the places it names (a governorate in any spelling, or a row's location); a sentence naming
neither is about the whole table. The claim agrees when the rows' total lies inside it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from text_to_num import text2num

from newsletter.compute import totals
from newsletter.counts import NUMERAL, Count, total
from newsletter.governorates import GOVERNORATES
from newsletter.headers import MONTH_NAMES
from newsletter.model import Incident, Issue

APPROXIMATE = 0.1  # "roughly 5,500" agrees with a total within a tenth of 5,500 either way
MAX_WORDS = 6  # "one hundred and twenty-five" is four; a longer run is no number

MONTHS = MONTH_NAMES
_MONTH = "|".join(MONTHS)
_DATES = re.compile(
    rf"\b({_MONTH})\s+(\d{{1,2}})\b(?:\s*(?:-|–|—|to|and)\s*(?:({_MONTH})\s+)?(\d{{1,2}})\b)?"
)
_IED = re.compile(r"\b(?:VB)?IEDs?\b")
_SENTENCES = re.compile(r"(?<=[.!?])\s+")
_VERB = {
    "killed": re.compile(r"\bkill(?:s|ed|ing)?\s+", re.IGNORECASE),
    "injured": re.compile(r"\b(?:wound(?:s|ed|ing)?|injur(?:e|es|ed|ing))\s+", re.IGNORECASE),
}
# What may stand between the verb and the number, and what it makes of the number.
_QUALIFIER = re.compile(
    r"(?P<least>at\s+least\s+)|(?P<most>(?:up\s+to|as\s+many\s+as|at\s+most)\s+)"
    r"|(?P<about>(?:roughly|about|around|approximately|nearly|some)\s+)|(?:another\s+)",
    re.IGNORECASE,
)
_DIGITS = re.compile(rf"({NUMERAL})(?:\s*[-–]\s*({NUMERAL}))?\b")
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


@dataclass(frozen=True)
class Claim:
    """One figure a sentence reports: ``kind`` is "killed" or "injured"; ``span`` its place."""

    kind: str
    count: Count
    span: tuple[int, int]

    def admits(self, table: Count) -> bool:
        """Whether the table's count lies within what the claim says."""
        low, high = self.count.low, self.count.high
        if self.count.approximate and high is not None:
            low, high = math.floor(low * (1 - APPROXIMATE)), math.ceil(high * (1 + APPROXIMATE))
        if table.low < low:
            return False
        return high is None or (table.high is not None and table.high <= high)


def _spelled(text: str) -> tuple[int, int] | None:
    """The number spelled at the start of ``text`` and the length it takes, or None."""
    words = list(_WORD.finditer(text[:80]))
    found = None
    for size in range(1, min(MAX_WORDS, len(words)) + 1):
        last = words[size - 1]
        if size > 1 and not text[words[size - 2].end() : last.start()].isspace():
            break  # a comma or a full stop ends the number
        if words[0].start() != 0:
            break
        try:
            found = (text2num(text[: last.end()], "en"), last.end())
        except ValueError:
            continue
    return found


def claims(sentence: str) -> list[Claim]:
    """The casualty figures a sentence reports, in order."""
    found = []
    for kind, verb in _VERB.items():
        for match in verb.finditer(sentence):
            at = match.end()
            qualifier = _QUALIFIER.match(sentence, at)
            if qualifier:
                at = qualifier.end()
            rest = sentence[at:]
            if digits := _DIGITS.match(rest):
                low = int(digits[1].replace(",", ""))
                high = int(digits[2].replace(",", "")) if digits[2] else low
                length = digits.end()
            elif spelled := _spelled(rest):
                (low, length), high = spelled, spelled[0]
            else:
                continue
            count = Count(low, high)
            if qualifier and qualifier["least"]:
                count = Count(low, None)
            elif qualifier and qualifier["most"]:
                count = Count(0, high)
            elif qualifier and qualifier["about"]:
                count = Count(low, high, approximate=True)
            found.append(Claim(kind, count, (match.start(), at + length)))
    return sorted(found, key=lambda c: c.span)


def _nearest(month: str, day: int, end: dt.date) -> dt.date | None:
    """The date of "November 7" nearest the period's end: the year is not written."""
    number = MONTHS.index(month) + 1
    candidates = []
    for year in (end.year - 1, end.year, end.year + 1):
        try:
            candidates.append(dt.date(year, number, day))
        except ValueError:
            continue
    return min(candidates, key=lambda d: abs((d - end).days)) if candidates else None


def _about(sentence: str, issue: Issue) -> tuple[list[Incident], list[str]]:
    """The rows a sentence is about, and how it names them (its dates and places)."""
    rows = list(issue.ied.incidents)
    named: list[str] = []
    spans = []
    for match in _DATES.finditer(sentence):
        start = _nearest(match[1], int(match[2]), issue.period.end)
        end = _nearest(match[3] or match[1], int(match[4]), start) if match[4] and start else start
        if start and end:
            spans.append((start, end))
            named.append(f"on {match[0]}")
    if spans:
        rows = [r for r in rows if any(a <= r.date <= b for a, b in spans)]
    places: list[tuple[int, str, set[str]]] = []  # where named, as written, what it names
    names = [(n, house) for house, others in GOVERNORATES.items() for n in (house, *others)]
    names += [(row.location, row.location) for row in issue.ied.incidents if row.location]
    for name, place in names:
        if found := re.search(rf"\b{re.escape(name)}\b", sentence, re.IGNORECASE):
            places.append((found.start(), found[0], {place}))
    if places:
        wanted = set().union(*(p[2] for p in places))
        rows = [r for r in rows if r.province in wanted or r.location in wanted]
        written = list(dict.fromkeys(p[1] for p in sorted(places)))
        named.append("in " + _join(written))
    return rows, named


def _join(words: Iterable[str]) -> str:
    items = list(words)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def mismatches(issue: Issue, summary: str) -> list[str]:
    """Say, for each IED sentence of a takeaway whose figures its rows do not bear out, why."""
    found = []
    for sentence in _SENTENCES.split(summary):
        if not _IED.search(sentence):
            continue
        said = claims(sentence)
        if not said:
            continue
        rows, named = _about(sentence, issue)
        table = totals(rows)
        counts = {"killed": table.deaths, "injured": table.injuries}
        sums = {
            kind: Claim(kind, total([c.count for c in said if c.kind == kind]), (0, 0))
            for kind in counts
            if any(c.kind == kind for c in said)
        }
        if all(claim.admits(counts[kind]) for kind, claim in sums.items()):
            continue
        quote = sentence[said[0].span[0] : max(c.span[1] for c in said)]
        figures = f"{table.deaths} killed and {table.injuries} injured"
        if len(rows) == len(issue.ied.incidents):
            where = f"the IED table totals {figures}"
        elif rows:
            where = (
                f"the IED table's {len(rows)} row{'' if len(rows) == 1 else 's'} "
                f"{' '.join(named)} total {figures}"
            )
        else:
            where = f"the IED table has no row {' '.join(named)}"
        found.append(
            f'the takeaway says "{quote}", but {where}; confirm the takeaway counts more '
            "than the table (a grenade, say) or correct it"
        )
    return found
