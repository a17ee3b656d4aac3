"""Every CSV the tool writes goes through here, so no cell can run as a spreadsheet formula.

OWASP's rule for CSV injection: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with ``'``, which spreadsheets show as text and do not evaluate.
A number (int or float, never bool) is written as a number, even when negative: ``-3`` in a
numeric column is data. A number given as text is text, and is neutralised like any text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str | int | float:
    """The value as a safe CSV cell: numbers as they are, None empty, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV text with a header row, every cell made safe by :func:`cell`."""
    buffer = io.StringIO()
    # RFC 4180's CRLF rows: the writer then quotes a cell holding a lone CR as well, which a
    # "\n" line end would leave bare, for every reader to split the row there.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell(name) for name in columns])
    for row in rows:
        writer.writerow([cell(row.get(name)) for name in columns])
    return buffer.getvalue()
