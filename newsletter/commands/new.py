"""``newsletter new``: start next week's issue from the latest one."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from newsletter.errors import ContentError, OutputError, Problem, display_path
from newsletter.lint import PLACEHOLDER
from newsletter.loader import load_project
from newsletter.writer import create_files

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewIssue:
    """The issue created: its folder, number and period."""

    folder: Path
    number: int
    start: dt.date
    end: dt.date


def _dump(data: object) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def next_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period after ``start``-``end``: it starts on the day the last one ended (ISHM runs
    Thursday to Thursday, 8 days inclusive) and lasts as long."""
    return end, end + (end - start)


def parse_date(text: str) -> dt.date:
    """Read a date given as YYYY-MM-DD (a real day); raise ValueError saying what is wrong."""
    # fromisoformat alone would also take 20211118 and 2021-W46-4.
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise ValueError(f'expected a date like 2021-11-18; got "{text}"')
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f'"{text}" is not a real date: {exc}') from None


def new_issue(
    content_dir: Path, start: dt.date | None = None, end: dt.date | None = None
) -> NewIssue:
    """Create the next issue's files from the latest issue; never overwrite anything."""
    project = load_project(content_dir)
    latest = project.issues[-1]
    length = latest.period.end - latest.period.start
    try:
        if start is None:
            start = end - length if end else next_period(latest.period.start, latest.period.end)[0]
        end = end or start + length
    except OverflowError:
        raise OutputError("the period would fall outside the years 1 to 9999") from None
    folder = content_dir / "issues" / end.isoformat()
    if folder.exists():
        raise OutputError(f"{display_path(folder)} already exists; nothing was created")
    if end < start:
        raise ContentError(
            [
                Problem(
                    display_path(folder),
                    0,
                    "period",
                    f"the period ends ({end}) before it starts ({start})",
                )
            ]
        )
    number = latest.number + 1
    meta = {
        "number": number,
        "period": {"start": start, "end": end},
        "published": end,
        "sections": [entry.slug for entry in latest.sections],
    }
    files = {folder / "issue.yaml": _dump(meta)}
    for entry in latest.sections:
        section = {
            "title": f"{PLACEHOLDER}: {entry.slug} headline",
            "takeaway": {"summary": f"{PLACEHOLDER}: summary of the {entry.slug} section."},
            "stories": [],
        }
        files[folder / "sections" / f"{entry.slug}.yaml"] = _dump(section)
    ied: dict[str, object] = {"note": latest.ied.note}
    if latest.ied.map_note:
        ied["map_note"] = latest.ied.map_note
    ied["incidents"] = []
    files[folder / "ied.yaml"] = (
        "# Add one entry per incident: date, location, province, deaths, injuries.\n" + _dump(ied)
    )
    create_files(files)
    log.info("created issue %d in %s", number, display_path(folder))
    return NewIssue(folder, number, start, end)
