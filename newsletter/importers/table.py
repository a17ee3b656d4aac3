"""The IED table as published: title, caption, note, header, rows, totals and the map note.

Rows are ``11/06/21 | Jurf al-Sakhr, Babylon province | 1 | 0 |``: a date, the place and its
governorate, deaths and injuries, counts as the table writes them ("at least 4", "2-3",
"unknown").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from newsletter.counts import COUNT_HELP, Count, parse_count, total
from newsletter.governorates import house_spelling
from newsletter.importers.dates import DATE_HELP, read_date, read_period
from newsletter.importers.parts import Block, Findings, ParsedRow, Period, Source

DEFAULT_TITLE = "IED Incidents and Resulting Casualties"
DEFAULT_NOTE = (
    "The following table includes both civilian and security forces who were either injured "
    "or killed due to improvised explosive devices (IEDs), vehicle-borne improvised explosive "
    "devices (VBIEDs), or suicide attacks."
)
_CAPTION = re.compile(r"^\W*Casualties\s+Due\s+To\s+IEDs\b(.*)$", re.IGNORECASE)
_TITLE = re.compile(r"^\W*IED\s+Incidents", re.IGNORECASE)
_HEADER = ("location", "deaths", "injuries")
_RULE = re.compile(r"^:?-{3,}:?$")
# Lines the tool computes from the rows, so they are not content: "5 incidents, 3 killed,
# 7 injured.", "Change from ISHM 327: ...", "By governorate".
_COMPUTED = re.compile(
    r"^(?:\d+ incidents?, .* killed, .* injured\.?|Change from .*|By governorate)$", re.I
)
_MAP_NOTE = re.compile(r"^\W*Please note\b", re.IGNORECASE)
_TOTAL = re.compile(r"^\W*Total\b\W*(\d+)?", re.IGNORECASE)
_TYPES = {"vbied": "VBIED", "suicide": "suicide", "ied": "IED"}
_TYPE = re.compile(r"\s*\((VBIED|suicide|IED)\)\s*$", re.IGNORECASE)
CELLS_HELP = "expected 4 cells (date | location | deaths | injuries)"


@dataclass
class Table:
    """The table's parts as found; ``rows`` reads the rows once the period is known."""

    source: Source
    findings: Findings
    title: str | None = None
    period: Period | None = None
    caption_line: int = 1
    notes: list[str] = field(default_factory=list)
    map_note: str | None = None
    row_blocks: list[Block] = field(default_factory=list)
    total_block: Block | None = None

    @property
    def note(self) -> str:
        """The note above the table (the usual one when the source has none)."""
        return " ".join(self.notes) or DEFAULT_NOTE

    def rows(self, start: dt.date, end: dt.date) -> list[ParsedRow]:
        """Read every row; an unreadable cell is an error at its line."""
        out: list[ParsedRow] = []
        for index, block in enumerate(self.row_blocks):
            row = _row(self.source, self.findings, block, index, start, end)
            if row is not None:
                out.append(row)
        if self.total_block is not None and len(out) == len(self.row_blocks):
            _check_totals(self.source, self.findings, self.total_block, out)
        return out


def read_table(
    source: Source, blocks: list[Block], findings: Findings, known_lines: tuple[str, ...]
) -> Table:
    """Find the table's parts in the blocks after the last section."""
    table = Table(source, findings)
    if not blocks:
        findings.warn(source, 1, "ied", "no IED table; an empty table with the usual note is made")
        return table
    known = {line.strip().lower() for line in known_lines}
    seen_rows = False
    for block in blocks:
        text = block.text.strip()
        if block.kind == "row":
            cells = list(block.cells)
            if all(_RULE.match(c.replace(" ", "")) for c in cells if c):
                continue
            head = [c.strip("* ").lower() for c in cells[1:4]]
            if tuple(head) == _HEADER and cells[0].strip("* ").lower().endswith("date"):
                # The note and the header run together in the export: "...attacks.Date | ..."
                before = cells[0].strip()[: -len("date")].strip()
                if before:
                    table.notes.append(before)
                continue
            if _TOTAL.match(cells[0]):
                table.total_block = block
                continue
            if table.total_block is not None:
                findings.warn(source, block.line, "ied", "a row after the totals row; not imported")
                continue
            table.row_blocks.append(block)
            seen_rows = True
        elif _TITLE.match(text) and table.title is None and not seen_rows:
            table.title = text.strip("*# ")
        elif match := _CAPTION.match(text):
            table.period = read_period(match[1])
            table.caption_line = block.line
            if table.period is None:
                findings.warn(
                    source, block.line, "ied.caption", "no period in the caption; not used"
                )
        elif _MAP_NOTE.match(text):
            table.map_note = text
        elif _COMPUTED.match(text) or text.lower() in known:
            continue  # computed from the rows, or a line of newsletter.yaml
        elif not seen_rows and table.total_block is None:
            table.notes.append(text)
        else:
            findings.warn(
                source,
                block.line,
                "ied",
                "text after the IED table that is neither the map note nor a line of "
                "newsletter.yaml; not imported",
                block.column,
            )
    if not table.notes:
        findings.warn(
            source, blocks[0].line, "ied.note", "no note above the table; the usual note is used"
        )
    return table


def _column(block: Block, cells: list[str], index: int) -> int:
    """The column where cell ``index`` of a text row starts (1 for page rows)."""
    position = 0
    for cell in cells[:index]:
        position = block.text.find(cell, position) + len(cell)
    found = block.text.find(cells[index], position)
    return block.column + (found if found >= 0 else 0)


def _row(
    source: Source, findings: Findings, block: Block, index: int, start: dt.date, end: dt.date
) -> ParsedRow | None:
    cells = list(block.cells)
    part = f"ied.incidents[{index}]"
    if len(cells) != 4:
        findings.error(source, block.line, part, f"{CELLS_HELP}; got {len(cells)}", block.column)
        return None
    date = read_date(cells[0], start, end)
    ok = True
    if date is None:
        findings.error(
            source,
            block.line,
            f"{part}.date",
            f'cannot read the date "{cells[0]}"; {DATE_HELP}',
            _column(block, cells, 0),
        )
        ok = False
    elif not start <= date <= end:
        findings.error(
            source,
            block.line,
            f"{part}.date",
            f"{date} is outside the issue's period ({start} to {end})",
            _column(block, cells, 0),
        )
        ok = False
    where, kind = cells[1], "IED"
    if match := _TYPE.search(where):
        where, kind = where[: match.start()].strip(), _TYPES[match[1].lower()]
    place, _, governorate = where.rpartition(",")
    province = house_spelling(governorate) if governorate.strip() else None
    if province is None:
        province, place = house_spelling(where), ""
    if province is None:
        findings.error(
            source,
            block.line,
            f"{part}.province",
            f'no governorate in "{cells[1]}"; expected "place, governorate province"',
            _column(block, cells, 1),
        )
        ok = False
    counts: list[Count] = []
    for offset, name in ((2, "deaths"), (3, "injuries")):
        try:
            counts.append(parse_count(cells[offset].strip("* ")))
        except ValueError as exc:
            message = str(exc) if cells[offset].strip() else f"{COUNT_HELP}; got nothing"
            findings.error(
                source, block.line, f"{part}.{name}", message, _column(block, cells, offset)
            )
            ok = False
    if not ok or date is None or province is None:
        return None
    location = place.strip() or None
    return ParsedRow(block.line, date, location, province, counts[0], counts[1], kind)


def _check_totals(source: Source, findings: Findings, block: Block, rows: list[ParsedRow]) -> None:
    """Compare the printed totals with the rows' sums; the totals are recomputed anyway."""
    cells = list(block.cells)
    summed = (len(rows), total([r.deaths for r in rows]), total([r.injuries for r in rows]))
    match = _TOTAL.match(cells[0])
    printed: list[str] = [match[1] if match and match[1] else str(len(rows))]
    printed += [c.strip("* ") for c in cells[1:] if c.strip()]
    try:
        said = (int(printed[0]), parse_count(printed[1]), parse_count(printed[2]))
    except (ValueError, IndexError):
        return
    if said != summed:
        findings.warn(
            source,
            block.line,
            "ied.totals",
            f"the printed totals ({said[0]} incidents, {said[1]} killed, {said[2]} injured) "
            f"differ from the rows' ({summed[0]}, {summed[1]}, {summed[2]}); the totals are "
            "computed from the rows",
            block.column,
        )
