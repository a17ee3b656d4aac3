"""Errors the core raises; the CLI turns them into messages and exit codes."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One finding about the content, located at a file and line."""

    path: str
    line: int
    field: str
    message: str
    severity: str = "error"
    column: int = 0

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        prefix = f"{where}: {self.field}: " if self.field else f"{where}: "
        return prefix + self.message

    def located(self) -> str:
        """``path:line:column: field: message``, the column when known (as check shows it)."""
        where = f"{self.path}:{self.line}" if self.line else self.path
        where += f":{self.column}" if self.line and self.column else ""
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class NewsletterError(Exception):
    """Base class of every error the core reports to the user."""


class ContentError(NewsletterError):
    """The content has one or more problems; all of them are listed."""

    def __init__(self, problems: Iterable[Problem], warnings: Iterable[Problem] = ()) -> None:
        self.problems = sorted(problems)
        self.warnings = sorted(warnings)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[ContentError], tuple[list[Problem], list[Problem]]]:
        # Rebuilt from its problems when it crosses from a worker process.
        return (ContentError, (self.problems, self.warnings))


class RenderError(NewsletterError):
    """An edition could not be rendered (a template or engine failed)."""


class OutputError(NewsletterError):
    """The output folder could not be written as asked."""


@lru_cache(maxsize=8)
def _resolved(folder: str) -> Path:
    return Path(folder).resolve()


def display_path(path: Path) -> str:
    """Return ``path`` relative to the working directory when it lies below it.

    Bytes of a file name that are not UTF-8 are shown escaped (``\\xff``): a message must
    always be printable."""
    return _printable(_relative(path))


def _printable(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


def _relative(path: Path) -> str:
    cwd = os.getcwd()
    # The plain absolute path first: resolving symlinks costs a system call per part, and
    # messages are built for thousands of files in a large archive.
    for candidate, base in ((Path(os.path.abspath(path)), Path(cwd)), (None, _resolved(cwd))):
        try:
            return str((candidate or path.resolve()).relative_to(base))
        except ValueError:
            continue
    return str(path)
