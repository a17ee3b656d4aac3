"""Figures computed from the content: IED totals, the per-governorate breakdown, the caption.

Pure functions over the model, so every figure an edition prints can be unit-tested.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from newsletter.counts import Count, total
from newsletter.model import Incident, Issue, Publication


@dataclass(frozen=True)
class Totals:
    """Incidents, deaths and injuries summed over some rows."""

    incidents: int
    deaths: Count
    injuries: Count

    def phrase(self) -> str:
        """Say the totals in words: ``5 incidents, 3 killed, at least 7 injured``."""
        noun = "incident" if self.incidents == 1 else "incidents"
        return (
            f"{self.incidents} {noun}, {casualties(self.deaths, 'killed')}, "
            f"{casualties(self.injuries, 'injured')}"
        )


@dataclass(frozen=True)
class GovernorateTotals:
    """The totals of one governorate."""

    governorate: str
    totals: Totals


@dataclass(frozen=True)
class IedSummary:
    """Everything computed from an issue's IED table."""

    caption: str
    totals: Totals
    by_governorate: tuple[GovernorateTotals, ...]


def casualties(count: Count, word: str) -> str:
    """Phrase a count honestly: ``3 killed``, ``3-4 killed``, ``at least 7 injured``."""
    if count.unknown:
        return f"unknown number {word}"
    return f"{count} {word}"


def totals(incidents: list[Incident] | tuple[Incident, ...]) -> Totals:
    """Sum the rows of an IED table."""
    return Totals(
        incidents=len(incidents),
        deaths=total([i.deaths for i in incidents]),
        injuries=total([i.injuries for i in incidents]),
    )


def by_governorate(
    incidents: list[Incident] | tuple[Incident, ...],
) -> tuple[GovernorateTotals, ...]:
    """Group the rows by governorate, most incidents first, then by name."""
    groups: dict[str, list[Incident]] = {}
    for incident in incidents:
        groups.setdefault(incident.province, []).append(incident)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return tuple(GovernorateTotals(name, totals(rows)) for name, rows in ordered)


def days(issue: Issue) -> int:
    """How many days the issue covers, both ends included: 7, 8, 14 or 15 in the monitor."""
    return (issue.period.end - issue.period.start).days + 1


def format_date(day: dt.date, fmt: str) -> str:
    """Format a date with strftime, without depending on the platform's ``%-d`` support."""
    return day.strftime(fmt.replace("%-d", str(day.day)).replace("%-m", str(day.month)))


def caption(issue: Issue, publication: Publication) -> str:
    """The IED table's caption, from the issue's period."""
    fmt = publication.date_formats.long
    start = format_date(issue.period.start, fmt)
    end = format_date(issue.period.end, fmt)
    # The monitor's exports print a hyphen here; generated text uses the typographic dash the
    # headers use (the ``headers.dash`` setting, a spaced en dash by default).
    return f"Casualties Due To IEDs from {start}{publication.headers.dash}{end}"


def summarise(issue: Issue, publication: Publication) -> IedSummary:
    """Compute every figure of an issue's IED table."""
    rows = issue.ied.incidents
    return IedSummary(
        caption=caption(issue, publication),
        totals=totals(rows),
        by_governorate=by_governorate(rows),
    )
