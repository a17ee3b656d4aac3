"""``newsletter new``: start the next issue from the latest one.

The period follows the cadence (``period:`` in newsletter.yaml, else the one the latest issues
ran at; see ``periods.py``), never the length of an irregular holiday issue. The number is one
more than the highest number used, so a renumbered archive never gets a second 331. The files
are the latest issue's own text with the values changed, so their comments stay.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from newsletter.build.writer import create_files
from newsletter.errors import ContentError, OutputError, Problem, display_path
from newsletter.lint import PLACEHOLDER
from newsletter.loader import Project, load_project
from newsletter.model import Issue
from newsletter.periods import cadence, next_period
from newsletter.yamlsource import Document, Loc, read_yaml

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewIssue:
    """The issue created: its folder, number and period."""

    folder: Path
    number: int
    start: dt.date
    end: dt.date


class _PlainDumper(yaml.SafeDumper):
    """Plain YAML: the same date twice is written twice, never as ``&id001``/``*id001``."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _dump(data: object) -> str:
    return yaml.dump(data, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100)


def parse_date(text: str) -> dt.date:
    """Read a date given as YYYY-MM-DD (a real day); raise ValueError saying what is wrong."""
    # fromisoformat alone would also take 20211118 and 2021-W46-4.
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise ValueError(f'expected a date like 2021-11-18; got "{text}"')
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f'"{text}" is not a real date: {exc}') from None


def next_number(project: Project) -> int:
    """One more than the highest number any issue has: never a number already used."""
    return max((i.number for i in project.issues if i.number is not None), default=0) + 1


def _comments(text: str) -> str:
    """The comment lines at the top of a file, to keep in its copy."""
    kept = []
    for line in text.splitlines(keepends=True):
        if not line.lstrip().startswith("#"):
            break
        kept.append(line)
    return "".join(kept)


_TOKEN = re.compile(r"[^\s#,\]}]*")


def _replace_values(doc: Document, text: str, values: dict[Loc, str]) -> str | None:
    """``text`` with the one-word scalar at each location replaced; None if one is not there."""
    lines = text.splitlines(keepends=True)
    # From the end, so an edit never moves the columns of those still to make.
    ordered = sorted(values.items(), key=lambda kv: doc.values.get(kv[0], (0, 0)), reverse=True)
    for loc, value in ordered:
        if loc not in doc.values:
            return None
        line, column = doc.values[loc]
        if line < 1 or line > len(lines):
            return None
        source = lines[line - 1]
        token = _TOKEN.match(source, column - 1)
        assert token is not None  # the pattern matches the empty string
        before = source[: column - 1]
        gap = " " if before.endswith(":") else ""
        lines[line - 1] = before + gap + value + source[token.end() :]
    return "".join(lines)


def _issue_yaml(latest: Issue, folder: Path, number: int, start: dt.date, end: dt.date) -> str:
    path = folder / "issue.yaml"
    text = path.read_text(encoding="utf-8")
    doc, _ = read_yaml(path)
    values: dict[Loc, str] = {
        ("number",): str(number),
        ("period", "start"): start.isoformat(),
        ("period", "end"): end.isoformat(),
    }
    if latest.meta.published is not None:
        values[("published",)] = end.isoformat()
    edited = _replace_values(doc, text, values) if doc is not None else None
    if edited is not None:
        # The header comment names the issue ("# ISHM 328. ..."): name the new one.
        if latest.number is not None:
            edited = re.sub(
                rf"^(#.*?)\b{latest.number}\b",
                rf"\g<1>{number}",
                edited,
                count=1,
                flags=re.MULTILINE,
            )
        return edited
    meta = {
        "number": number,
        "period": {"start": start, "end": end},
        "published": end,
        "sections": [entry.slug for entry in latest.sections],
    }
    return _comments(text) + _dump(meta)


def _ied_yaml(latest: Issue, folder: Path) -> str:
    """The latest IED file without its rows: notes and comments kept, ``incidents: []``."""
    path = folder / "ied.yaml"
    text = path.read_text(encoding="utf-8")
    doc, _ = read_yaml(path)
    lines = text.splitlines(keepends=True)
    if doc is not None and ("incidents",) in doc.marks:
        first = doc.marks[("incidents",)][0]
        later = [line for loc, (line, _) in doc.marks.items() if len(loc) == 1 and line > first]
        rest = lines[min(later) - 1 :] if later else []
        head = "".join(lines[: first - 1])
        return head + "incidents: []\n" + "".join(rest)
    if doc is not None:
        return text.rstrip("\n") + "\nincidents: []\n"
    ied: dict[str, object] = {"note": latest.ied.note}
    if latest.ied.map_note:
        ied["map_note"] = latest.ied.map_note
    ied["incidents"] = []
    return _comments(text) + _dump(ied)


def new_issue(
    content_dir: Path, start: dt.date | None = None, end: dt.date | None = None
) -> NewIssue:
    """Create the next issue's files from the latest issue; never overwrite anything."""
    project = load_project(content_dir)
    latest = project.issues[-1]
    rule = cadence(project.publication, project.issues)
    try:
        start, end = next_period(latest.period, rule, start, end)
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
    number = next_number(project)
    latest_folder = content_dir / "issues" / latest.id
    files = {folder / "issue.yaml": _issue_yaml(latest, latest_folder, number, start, end)}
    for entry in latest.sections:
        section = {
            "title": f"{PLACEHOLDER}: {entry.slug} headline",
            "takeaway": {"summary": f"{PLACEHOLDER}: summary of the {entry.slug} section."},
            "stories": [],
        }
        source = latest_folder / "sections" / f"{entry.slug}.yaml"
        files[folder / "sections" / f"{entry.slug}.yaml"] = _comments(
            source.read_text(encoding="utf-8")
        ) + _dump(section)
    ied = _ied_yaml(latest, latest_folder)
    if "# Add one entry per incident" not in ied:
        ied = "# Add one entry per incident: date, location, province, deaths, injuries.\n" + ied
    files[folder / "ied.yaml"] = ied
    create_files(files)
    log.info("created issue %d in %s", number, display_path(folder))
    return NewIssue(folder, number, start, end)
