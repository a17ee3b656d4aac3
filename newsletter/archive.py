"""Figures computed across the archive: weekly series, change from the previous issue, and
each governorate's incidents over time. Pure functions over the loaded project."""

from __future__ import annotations

from dataclasses import dataclass

from newsletter.compute import Totals, totals
from newsletter.counts import Count
from newsletter.governorates import slug
from newsletter.incidents import ledger
from newsletter.loader import Project, position
from newsletter.model import Incident, Issue


@dataclass(frozen=True)
class IssueFigures:
    """One issue's IED totals, a point of the weekly series."""

    issue: Issue
    totals: Totals


@dataclass(frozen=True)
class Change:
    """How an issue's totals differ from the previous issue's."""

    previous: Issue
    incidents: int
    deaths: str
    injuries: str


@dataclass(frozen=True)
class GovernorateHistory:
    """Every incident recorded in one governorate, by issue, oldest first."""

    name: str
    slug: str
    rows: tuple[tuple[Issue, Incident], ...]
    series: tuple[IssueFigures, ...]

    @property
    def totals(self) -> Totals:
        """The governorate's totals over the whole archive."""
        return totals([incident for _, incident in self.rows])


def series(project: Project) -> tuple[IssueFigures, ...]:
    """The IED totals of every issue, oldest first; a repeated incident counts once, in the
    issue first reporting it (``incidents.py``)."""
    book = ledger(project.issues)
    return tuple(IssueFigures(i, totals(book.counted_in(i))) for i in project.issues)


def _difference(now: Count, before: Count) -> str:
    """Say how a count changed, honestly when either side is a range or open-ended."""
    if now.exact and before.exact:
        delta = now.low - before.low
        return f"{delta:+d}" if delta else "no change"
    return f"{now} (was {before})"


def change_from_previous(project: Project, issue: Issue) -> Change | None:
    """The change in IED totals from the previous issue, or None for the first issue."""
    index = position(project, issue)
    if index == 0:
        return None
    previous = project.issues[index - 1]
    now, before = totals(issue.ied.incidents), totals(previous.ied.incidents)
    return Change(
        previous=previous,
        incidents=now.incidents - before.incidents,
        deaths=_difference(now.deaths, before.deaths),
        injuries=_difference(now.injuries, before.injuries),
    )


def governorate_histories(project: Project) -> tuple[GovernorateHistory, ...]:
    """Each governorate that has incidents, with its rows and weekly series, by name; each
    incident once (``incidents.py``)."""
    book = ledger(project.issues)
    rows: dict[str, list[tuple[Issue, Incident]]] = {}
    for row in book.counted:
        rows.setdefault(row.incident.province, []).append((row.issue, row.incident))
    histories = []
    for name in sorted(rows):
        weekly = tuple(
            IssueFigures(i, totals([x for x in book.counted_in(i) if x.province == name]))
            for i in project.issues
        )
        histories.append(GovernorateHistory(name, slug(name), tuple(rows[name]), weekly))
    return tuple(histories)
