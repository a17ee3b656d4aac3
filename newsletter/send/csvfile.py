"""The one reader of the CSV lists a send uses (subscribers, suppression): strict, located.

A list that is misread mails the wrong people, so anything the reader cannot read exactly as
a header row and one record per line stops the send with the file and line of the problem:
an unreadable path, bytes that are not UTF-8, a NUL, a quoted field that runs on to other
lines (a missing closing quote swallows the next rows), more fields than the header names, a
header that names a column twice or lacks a required one, a field over 128 KB.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from newsletter.errors import ContentError, Problem, display_path

# Python's csv module refuses fields over 128 KB (131,072 characters) with a bare csv.Error.
MAX_FIELD = 131_072


@dataclass(frozen=True)
class Row:
    """One record: its line, and its values keyed by the lower-cased header names."""

    line: int
    values: dict[str, str]


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _decode(path: Path, shown: str, what: str) -> str:
    if path.is_dir():
        raise ContentError([Problem(shown, 0, "", f"the {what} is a folder, not a CSV file")])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ContentError(
            [Problem(shown, 0, "", f"cannot read the {what}: {exc.strerror or exc}")]
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ContentError(
            [Problem(shown, line, "", f"the {what} is not UTF-8 (byte 0x{data[exc.start]:02x})")]
        ) from None


def read_csv(path: Path, what: str, required: str) -> list[Row]:
    """Read a CSV file with a header row naming ``required``; raise ContentError if misread."""
    shown = display_path(path)
    text = _decode(path, shown, what)
    nul = text.find("\0")
    if nul >= 0:
        raise ContentError([Problem(shown, _line_of(text, nul), "", "contains a NUL character")])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Problem] = []
    rows: list[Row] = []
    header: list[str] | None = None
    end = 0  # the last line of the previous record
    try:
        for record in reader:
            start, end = end + 1, reader.line_num
            if not record:  # a blank line
                continue
            if end > start and any("\n" in value or "\r" in value for value in record):
                problems.append(
                    Problem(
                        shown,
                        start,
                        "",
                        f"a quoted field runs on to line {end}; is a closing quote missing?",
                    )
                )
                continue
            if header is None:
                header = [name.strip().lower() for name in record]
                problems.extend(_check_header(shown, start, header, required))
                if problems:
                    break
                continue
            if len(record) > len(header):
                problems.append(
                    Problem(
                        shown,
                        start,
                        "",
                        f"{len(record)} fields, but the header names {len(header)}; "
                        "quote a value that contains a comma",
                    )
                )
                continue
            rows.append(Row(start, {k: v.strip() for k, v in zip(header, record, strict=False)}))
    except csv.Error as exc:
        problems.append(Problem(shown, end + 1, "", _csv_message(exc, reader.line_num)))
    if header is None and not problems:
        problems.append(
            Problem(shown, 1, required, f"the first row must name an {required} column")
        )
    if problems:
        raise ContentError(problems)
    return rows


def _csv_message(exc: csv.Error, stop: int) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a field is longer than {MAX_FIELD // 1024} KB"
    if "unexpected end of data" in text:
        return (
            f"a quoted field runs on to the end of the file (line {stop}); "
            "is a closing quote missing?"
        )
    return f"not valid CSV: {text}"


def _check_header(shown: str, line: int, header: list[str], required: str) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(shown, line, name, "this column is named twice"))
        seen.add(name)
    if required not in header:
        found = ",".join(header)
        problems.append(
            Problem(
                shown,
                line,
                required,
                f'the first row must name an {required} column (comma-separated); got "{found}"',
            )
        )
    return problems
