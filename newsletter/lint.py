"""Warnings: content that is valid but probably not what the editor meant.

They never stop a build; ``newsletter check --strict`` makes them fail.
"""

from __future__ import annotations

import datetime as dt
import itertools
import posixpath
import re
from collections.abc import Container, Iterable, Sequence
from pathlib import Path

from newsletter import markup, takeaways
from newsletter.errors import Problem, display_path
from newsletter.headers import MONTH_NAMES
from newsletter.model import Issue, Publication
from newsletter.yamlsource import Document, Loc, read_yaml

MONTHS = {name: number for number, name in enumerate(MONTH_NAMES, start=1)}
_OPENING = re.compile(r"^\s*On (" + "|".join(MONTHS) + r") (\d{1,2})\b")
PLACEHOLDER = "TODO"
# How a warning says that text `newsletter new` wrote is still there (see placeholders()).
STILL_PLACEHOLDER = "is still a placeholder"


def placeholders(problems: Iterable[Problem]) -> list[Problem]:
    """The findings that say a placeholder of ``newsletter new`` is still in the text."""
    return [p for p in problems if p.message.endswith(STILL_PLACEHOLDER)]


def _opening_date(story: str, period_end: dt.date) -> tuple[str, dt.date] | None:
    match = _OPENING.match(story)
    if not match:
        return None
    month, day = MONTHS[match[1]], int(match[2])
    # The year is not written: take the one that puts the date nearest the period.
    candidates = []
    for year in (period_end.year - 1, period_end.year, period_end.year + 1):
        try:
            candidates.append(dt.date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        return None
    return f"{match[1]} {day}", min(candidates, key=lambda d: abs((d - period_end).days))


def _markup(
    doc: Document, loc: Loc, text: str, issue: Issue, files: Container[str]
) -> list[Problem]:
    """What would stop the editions rendering one Markdown value, located at the value."""
    found: list[Problem] = []
    for severity, message in markup.findings(text):
        if severity == "image":
            # The PDF reads a local image from the issue's folder (through the fetcher).
            relative = posixpath.normpath(f"issues/{issue.id}/{message.lstrip('/')}")
            if message.startswith("/") or relative not in files:
                found.append(
                    doc.problem(loc, f'the image "{message}" is not a file in the issue folder')
                )
            continue
        found.append(doc.problem(loc, message, severity))
    return found


def lint_issue(
    issue: Issue,
    meta: Document,
    ied: Document,
    sections: dict[str, Document],
    files: Container[str] = (),
) -> list[Problem]:
    """Return the warnings for one valid issue, and the errors its Markdown would meet in the
    renderers; ``files`` are the content folder's files (relative paths), for images."""
    found: list[Problem] = []
    start, end = issue.period.start, issue.period.end
    for entry in issue.sections:
        doc = sections[entry.slug]
        section = entry.section
        if not section.stories:
            found.append(doc.problem(("stories",), "the section has no stories yet", "warning"))
        if PLACEHOLDER in section.title:
            found.append(doc.problem(("title",), f"the title {STILL_PLACEHOLDER}", "warning"))
        for index, story in enumerate(section.stories):
            found += _markup(doc, ("stories", index), story, issue, files)
            opening = _opening_date(story, end)
            if opening and not start <= opening[1] <= end:
                found.append(
                    doc.problem(
                        ("stories", index),
                        f'the story opens with "On {opening[0]}", outside the period '
                        f"({start} to {end})",
                        "warning",
                    )
                )
        if section.takeaway:
            if PLACEHOLDER in section.takeaway.summary:
                found.append(
                    doc.problem(
                        ("takeaway", "summary"), f"the takeaway {STILL_PLACEHOLDER}", "warning"
                    )
                )
            found += [
                doc.problem(("takeaway", "summary"), message, "warning")
                for message in takeaways.mismatches(issue, section.takeaway.summary)
            ]
            found += _markup(doc, ("takeaway", "summary"), section.takeaway.summary, issue, files)
    raw_rows = ied.data.get("incidents") if isinstance(ied.data, dict) else None
    seen: dict[str, int] = {}
    for index, incident in enumerate(issue.ied.incidents):
        raw = raw_rows[index] if isinstance(raw_rows, list) else {}
        written = raw.get("province") if isinstance(raw, dict) else None
        if isinstance(written, str) and written != incident.province:
            found.append(
                ied.problem(
                    ("incidents", index, "province"),
                    f'"{written}" is written "{incident.province}" in this publication',
                    "warning",
                )
            )
        key = repr(
            (
                incident.date,
                incident.location,
                incident.province,
                str(incident.deaths),
                str(incident.injuries),
                incident.type,
                incident.lat,
                incident.lon,
            )
        )
        if key in seen:
            found.append(
                ied.problem(
                    ("incidents", index),
                    f"this row repeats incidents[{seen[key]}] exactly; is it the same incident?",
                    "warning",
                )
            )
        seen.setdefault(key, index)
    return found


def lint_periods(
    content_dir: Path, publication: Publication, issues: Sequence[Issue]
) -> list[Problem]:
    """Warn where an issue's period overlaps the previous one by more than the cadence allows,
    or leaves days between them uncovered; ``issues`` are oldest first."""
    from newsletter.periods import cadence, step_warning

    rule = cadence(publication, issues)
    found: list[Problem] = []
    for previous, issue in itertools.pairwise(issues):
        message = step_warning(previous, issue, rule)
        if message is None:
            continue
        # Only a warned issue's file is read again, for the line of its period.
        doc, _ = read_yaml(content_dir / "issues" / issue.id / "issue.yaml")
        if doc is None:
            shown = display_path(content_dir / "issues" / issue.id / "issue.yaml")
            found.append(Problem(shown, 1, "period.start", message, "warning"))
        else:
            found.append(doc.problem(("period", "start"), message, "warning"))
    return found
