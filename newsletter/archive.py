"""Figures computed across the archive: weekly series, change from the previous issue, and
each governorate's incidents over time. Pure functions over the loaded project."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from newsletter.compute import Totals, days, totals
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

    @property
    def days(self) -> int:
        """How many days the issue covers."""
        return days(self.issue)


@dataclass(frozen=True)
class Change:
    """How an issue's totals differ from the previous issue's; per day when the two issues
    cover different numbers of days (a 15-day holiday issue, then an 8-day one)."""

    previous: Issue
    days: int
    previous_days: int
    incidents: str
    deaths: str
    injuries: str

    @property
    def per_day(self) -> bool:
        """Whether the figures are daily rates, the periods' lengths differing."""
        return self.days != self.previous_days

    def phrase(self, name: str) -> str:
        """Say the change from the previous issue, given as ``name`` (``ISHM 333``, or its
        period when it has no number): ``Change from ISHM 333: incidents -4, ...``."""
        basis = (
            f" per day ({name} covered {self.previous_days} days, this issue {self.days})"
            if self.per_day
            else ""
        )
        # A rate reads "0.8 a day, up from 0.7": its own comma, so the parts take semicolons.
        parts = (f"incidents {self.incidents}", f"killed {self.deaths}", f"injured {self.injuries}")
        return f"Change from {name}{basis}: {('; ' if self.per_day else ', ').join(parts)}."


@dataclass(frozen=True)
class Figure:
    """One figure of the key-figures box: its value as the table writes it, and what it counts."""

    value: str
    label: str


@dataclass(frozen=True)
class KeyFigures:
    """What a reader sees first, as situation reports show it: the issue's IED incidents,
    killed, injured and governorates affected, and the change from the previous issue."""

    totals: Totals
    governorates: int
    change: Change | None

    @property
    def figures(self) -> tuple[Figure, ...]:
        """The figures in reading order; counts phrased honestly (``3-4``, ``at least 7``)."""
        incidents = self.totals.incidents
        return (
            Figure(f"{incidents:,}", "IED incident" if incidents == 1 else "IED incidents"),
            Figure(str(self.totals.deaths), "killed"),
            Figure(str(self.totals.injuries), "injured"),
            Figure(
                f"{self.governorates:,}",
                "governorate affected" if self.governorates == 1 else "governorates affected",
            ),
        )


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
        return f"{delta:+,d}" if delta else "no change"
    return f"{now} (was {before})"


def _rate(count: Count, length: int, digits: int) -> str:
    """A count per day, as the count is written: ``0.4``, ``0.1-0.3``, ``at least 0.5``."""

    def fmt(value: int) -> str:
        return f"{value / length:,.{digits}f}"

    if count.unknown:
        return "unknown"
    if count.high is None:
        return f"at least {fmt(count.low)}"
    if count.high == count.low:
        return ("roughly " if count.approximate else "") + fmt(count.low)
    return f"{fmt(count.low)}-{fmt(count.high)}"


def _rate_difference(now: Count, length: int, before: Count, before_length: int) -> str:
    """Say how a daily rate changed: ``0.8 a day, up from 0.7``."""
    for digits in (1, 2):  # a second decimal only when the first cannot tell them apart
        shown, was = _rate(now, length, digits), _rate(before, before_length, digits)
        if shown != was:
            break
    if not (now.exact and before.exact):
        return f"{shown} a day (was {was})"
    here, there = Fraction(now.low, length), Fraction(before.low, before_length)
    if here == there:
        return f"{shown} a day, as before"
    return f"{shown} a day, {'up' if here > there else 'down'} from {was}"


def change_from_previous(project: Project, issue: Issue) -> Change | None:
    """The change in IED totals from the previous issue, or None for the first issue."""
    index = position(project, issue)
    if index == 0:
        return None
    previous = project.issues[index - 1]
    now, before = totals(issue.ied.incidents), totals(previous.ied.incidents)
    length, before_length = days(issue), days(previous)
    pairs = [
        (Count(now.incidents, now.incidents), Count(before.incidents, before.incidents)),
        (now.deaths, before.deaths),
        (now.injuries, before.injuries),
    ]
    if length == before_length:
        said = [_difference(a, b) for a, b in pairs]
    else:
        said = [_rate_difference(a, length, b, before_length) for a, b in pairs]
    return Change(previous, length, before_length, *said)


def key_figures(project: Project, issue: Issue) -> KeyFigures:
    """The issue's key figures: the totals of its own table (as the table and the change from
    the previous issue count them), the governorates with incidents, the change."""
    rows = issue.ied.incidents
    return KeyFigures(
        totals=totals(rows),
        governorates=len({row.province for row in rows}),
        change=change_from_previous(project, issue),
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
