"""Incidents across the archive: stable ids, rows repeated in a later issue, and the list of
incidents the archive counts (each once). Pure functions over loaded issues.

An incident's id is the row's own ``id:`` when the editors give one; otherwise
``<issue number>-<yyyymmdd>-<place>``, the place being the row's location (or its governorate
when it has none) folded to lowercase ASCII, with ``-2``, ``-3``... for the second and third
row of the same day and place in the issue. Inserting a row above another never changes the
other's id (unless both are of the same day and place: write new ones below, or pin ``id:``).

Consecutive 8-day periods share a day, so an incident can be reported by two issues. A row of
a later issue with the same date, place, governorate, deaths and injuries as a row of an
earlier one is a repeat: the archive counts it once, in the earlier issue (where it was first
reported); the later issue's own editions still show its table as written. A row with its own
``id:`` is told apart by it and is never taken for a repeat.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from newsletter.errors import Problem, display_path
from newsletter.governorates import slug as governorate_slug
from newsletter.model import Incident, Issue


@dataclass(frozen=True)
class Row:
    """One IED row of one issue, with its id and its index in the issue's table."""

    issue: Issue
    index: int
    id: str
    incident: Incident


@dataclass(frozen=True)
class Repeat:
    """A row of a later issue that reports again an incident of an earlier issue."""

    row: Row
    first: Row


@lru_cache(maxsize=8192)  # an archive names a few hundred places, over and over
def _fold(text: str) -> str:
    text = text.casefold()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def _place(incident: Incident) -> str:
    return _fold(incident.location or "") or governorate_slug(incident.province)


def incident_ids(issue: Issue) -> tuple[str, ...]:
    """The id of every IED row of an issue, in table order (see the module's docstring)."""
    taken = {row.id for row in issue.ied.incidents if row.id is not None}
    ids: list[str] = []
    for row in issue.ied.incidents:
        if row.id is not None:
            ids.append(row.id)
            continue
        base = f"{issue.ref}-{row.date:%Y%m%d}-{_place(row)}"
        candidate, suffix = base, 1
        while candidate in taken:
            suffix += 1
            candidate = f"{base}-{suffix}"
        taken.add(candidate)
        ids.append(candidate)
    return tuple(ids)


def issue_rows(issue: Issue) -> tuple[Row, ...]:
    """An issue's IED rows with their ids, in table order."""
    ids = incident_ids(issue)
    return tuple(Row(issue, i, ids[i], row) for i, row in enumerate(issue.ied.incidents))


def _same_incident(incident: Incident) -> tuple[object, ...]:
    return (
        incident.date,
        _fold(incident.location or ""),
        incident.province,
        str(incident.deaths),
        str(incident.injuries),
    )


@dataclass(frozen=True)
class Ledger:
    """Every row of the archive (oldest issue first) and the repeats among them."""

    rows: tuple[Row, ...]
    repeats: tuple[Repeat, ...]

    @cached_property
    def _skipped(self) -> frozenset[tuple[str, int]]:
        return frozenset((r.row.issue.id, r.row.index) for r in self.repeats)

    @cached_property
    def counted(self) -> tuple[Row, ...]:
        """The rows the archive counts: every incident once, in the issue first reporting it."""
        return tuple(r for r in self.rows if (r.issue.id, r.index) not in self._skipped)

    @cached_property
    def _by_issue(self) -> dict[str, tuple[Incident, ...]]:
        grouped: dict[str, list[Incident]] = {}
        for row in self.counted:
            grouped.setdefault(row.issue.id, []).append(row.incident)
        return {key: tuple(value) for key, value in grouped.items()}

    def counted_in(self, issue: Issue) -> tuple[Incident, ...]:
        """The incidents of ``issue`` the archive counts (its table less its repeats)."""
        return self._by_issue.get(issue.id, ())

    def repeats_in(self, issue: Issue) -> tuple[Repeat, ...]:
        """The rows of ``issue`` that repeat an earlier issue's."""
        return tuple(r for r in self.repeats if r.row.issue.id == issue.id)


def ledger(issues: Sequence[Issue]) -> Ledger:
    """Find the repeats among ``issues`` (oldest first) and the rows the archive counts."""
    rows: list[Row] = []
    repeats: list[Repeat] = []
    first: dict[tuple[object, ...], Row] = {}
    for issue in issues:
        own: dict[tuple[object, ...], Row] = {}
        for row in issue_rows(issue):
            rows.append(row)
            if row.incident.id is not None:
                continue
            key = _same_incident(row.incident)
            earlier = first.get(key)
            if earlier is not None:
                repeats.append(Repeat(row, earlier))
            else:
                own.setdefault(key, row)  # a repeat inside one issue is lint's to warn about
        for key, row in own.items():
            first.setdefault(key, row)
    return Ledger(tuple(rows), tuple(repeats))


def _ied_file(content_dir: Path, issue: Issue) -> str:
    return display_path(content_dir / "issues" / issue.id / "ied.yaml")


def _at(content_dir: Path, row: Row) -> tuple[str, int, int]:
    line, column = row.issue.rows_at[row.index] if row.index < len(row.issue.rows_at) else (1, 1)
    return _ied_file(content_dir, row.issue), line, column


def archive_problems(content_dir: Path, issues: Iterable[Issue]) -> list[Problem]:
    """Ids used twice (errors) and rows repeating an earlier issue's (warnings), each located
    at the later row and naming the earlier one as ``path:line:column``."""
    ordered = sorted(issues, key=lambda i: i.period.end)
    book = ledger(ordered)
    problems: list[Problem] = []
    owners: dict[str, Row] = {}
    for row in book.rows:
        if row.id in owners:
            path, line, column = _at(content_dir, row)
            there = "{}:{}:{}".format(*_at(content_dir, owners[row.id]))
            message = f'the id "{row.id}" is also used by the row at {there}; ids must be unique'
            problems.append(
                Problem(path, line, f"incidents[{row.index}]", message, "error", column)
            )
        owners.setdefault(row.id, row)
    for repeat in book.repeats:
        path, line, column = _at(content_dir, repeat.row)
        earlier = repeat.first
        there = "{}:{}:{}".format(*_at(content_dir, earlier))
        message = (
            f"this row repeats the row at {there} (issue {earlier.issue.ref}, "
            f"incidents[{earlier.index}]): same date, place, governorate, deaths and injuries. "
            f"The archive counts it once, in issue {earlier.issue.ref}; remove it here if it "
            "is the same incident, or give it an id: if it is another"
        )
        field = f"incidents[{repeat.row.index}]"
        problems.append(Problem(path, line, field, message, "warning", column))
    return problems
