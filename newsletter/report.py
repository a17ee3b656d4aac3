"""Findings as editors and tools read them: located lines with a caret, or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from newsletter.errors import Problem


@lru_cache(maxsize=64)
def _lines(path: str) -> tuple[str, ...]:
    try:
        return tuple(Path(path).read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return ()


def located(problem: Problem) -> str:
    """``path:line:column: field: message`` (column and field when known)."""
    where = problem.path
    if problem.line:
        where += f":{problem.line}"
        if problem.column:
            where += f":{problem.column}"
    label = "warning: " if problem.severity == "warning" else ""
    field = f"{problem.field}: " if problem.field else ""
    return f"{where}: {label}{field}{problem.message}"


def excerpt(problem: Problem) -> list[str]:
    """The offending source line and a caret under the column, when the file can be read."""
    lines = _lines(problem.path)
    if not problem.line or problem.line > len(lines):
        return []
    source = lines[problem.line - 1]
    column = max(problem.column, 1)
    prefix = "".join(c if c == "\t" else " " for c in source[: column - 1])
    return [f"    {source}", f"    {prefix}^"]


def as_text(problems: Iterable[Problem]) -> str:
    """Every finding with its excerpt, errors and warnings in file order."""
    out: list[str] = []
    for problem in problems:
        out.append(located(problem))
        out.extend(excerpt(problem))
    return "\n".join(out)


def as_json(problems: Iterable[Problem]) -> str:
    """The findings as a JSON array, for editors' tools and CI."""
    return json.dumps(
        [
            {
                "path": p.path,
                "line": p.line,
                "column": p.column,
                "field": p.field,
                "severity": p.severity,
                "message": p.message,
            }
            for p in problems
        ],
        ensure_ascii=False,
        indent=2,
    )
