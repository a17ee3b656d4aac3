"""What every importer produces: the source as blocks, then an issue's parts, with findings.

A source (a text export, a saved page, a WordPress item) is first cut into ``Block``s, the
shape both plain text and HTML share: headings, paragraphs, list items and table rows, each
with the line it came from. ``assemble.py`` reads the blocks into a ``ParsedIssue``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from newsletter.counts import Count
from newsletter.errors import Problem

BlockKind = Literal["heading", "para", "item", "row"]
Period = tuple[dt.date, dt.date]


@dataclass(frozen=True)
class Block:
    """One piece of a source: its kind, its text (Markdown) or cells, and where it starts."""

    kind: BlockKind
    text: str
    line: int
    column: int = 1
    cells: tuple[str, ...] = ()
    anchor: str | None = None  # a heading's id, or the section a "more…" link points to


@dataclass
class Source:
    """A source cut into blocks; ``title`` is the page or post title, when there is one."""

    path: str  # as shown in messages
    name: str  # the file name, for the comment at the top of the written files
    blocks: list[Block]
    title: str | None = None
    title_line: int = 1


@dataclass
class ParsedSection:
    """A section as read: its slug (when the source names it), title, takeaway and stories."""

    title: str
    line: int
    slug: str | None = None
    headline: str | None = None
    summary: str | None = None
    stories: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedRow:
    """One row of the IED table, read."""

    line: int
    date: dt.date
    location: str | None
    province: str
    deaths: Count
    injuries: Count
    type: str = "IED"


@dataclass
class ParsedIssue:
    """An issue as read from one source, ready to be written as content files."""

    source: Source
    number: int
    start: dt.date
    end: dt.date
    sections: list[ParsedSection]
    rows: list[ParsedRow]
    note: str
    map_note: str | None = None
    table_title: str | None = None

    @property
    def id(self) -> str:
        """The issue's folder name: the period's last day."""
        return self.end.isoformat()


@dataclass
class Findings:
    """Errors and warnings about sources, each located at a source line."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, source: Source, line: int, part: str, message: str, column: int = 1) -> None:
        """Record a part that could not be read: the issue is not imported."""
        self.errors.append(Problem(source.path, line, part, message, "error", column))

    def warn(self, source: Source, line: int, part: str, message: str, column: int = 1) -> None:
        """Record a part read with a guess, saying what was done instead."""
        self.warnings.append(Problem(source.path, line, part, message, "warning", column))
