"""Nothing from outside: list and read the files under a folder, refusing what leaves it.

The loader (the content folder), the build's input scan (content and templates) and the
template loader read through here, so that a link to ``/etc/shadow`` is refused in one place.
A refused file is reported by its own path only: never its target, never a line of it.

Only the standard library is imported: ``newsletter build`` scans its inputs before it pays
for importing anything else.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.errors import Problem, display_path

NOT_UTF8_NAME = "the name is not UTF-8 text; rename it"
LOOP = "a link that leads back to itself (a loop); remove it"
BROKEN = "a link to a file that does not exist"
NOT_A_FILE = "neither a file nor a folder; remove it"
NOT_UTF8_TEXT = "file is not UTF-8 text; save it as UTF-8"


def outside(root: str | Path) -> str:
    """The message for a link whose target lies outside ``root``."""
    return f"a link to a place outside {display_path(Path(root))}; links must stay inside it"


class Refused(Exception):
    """A file that may not be read; its problem says why, by its path only."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


@dataclass
class Listing:
    """The visible files and folders under a root, and the entries refused, with why."""

    root: Path
    files: dict[str, str] = field(default_factory=dict)  # relative POSIX path -> path
    folders: set[str] = field(default_factory=set)  # relative POSIX paths, "" the root
    names: dict[str, list[str]] = field(default_factory=dict)  # folder -> its files' names
    refused: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)

    def refuse(self, relative: str, path: str, message: str) -> None:
        """Record a refused entry and its problem."""
        self.refused.add(relative)
        self.problems.append(Problem(display_path(Path(path)), 0, "", message))


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")  # a name with undecodable bytes holds lone surrogates
    except UnicodeEncodeError:
        return False
    return True


def _inside(target: str, real_root: str) -> bool:
    return target == real_root or target.startswith(real_root.rstrip(os.sep) + os.sep)


def _target(path: str) -> tuple[str | None, str]:
    """The real path a link leads to, or None and why it cannot be followed."""
    try:
        return os.path.realpath(path, strict=True), ""
    except OSError as exc:
        return None, LOOP if exc.errno == errno.ELOOP else BROKEN


def walk(root: Path) -> Listing:
    """Every visible entry under ``root``, following links only while they stay inside it.

    ``os.scandir`` rather than ``Path.rglob``: the build scans its inputs on every run, and
    for 3,600 files pathlib's objects cost more than reading the files."""
    listing = Listing(root)
    if not os.path.isdir(root):
        return listing
    real_root = os.path.realpath(root)
    listing.folders.add("")
    # Each folder to visit, with the real paths of the folders above it: a link to one of
    # them is a loop.
    stack: list[tuple[str, str, tuple[str, ...]]] = [(str(root), "", (real_root,))]
    while stack:
        where, prefix, above = stack.pop()
        try:
            entries = list(os.scandir(where))
        except OSError as exc:
            listing.refuse(prefix.rstrip("/"), where, f"cannot read the folder: {exc.strerror}")
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            relative = prefix + name
            if not _utf8(name):
                listing.refuse(relative, entry.path, NOT_UTF8_NAME)
                continue
            real = os.path.join(above[-1], name)
            if entry.is_symlink():
                target, why = _target(entry.path)
                if target is None:
                    listing.refuse(relative, entry.path, why)
                    continue
                if not _inside(target, real_root):
                    listing.refuse(relative, entry.path, outside(root))
                    continue
                real = target
            if entry.is_dir():
                if real in above:
                    listing.refuse(relative, entry.path, LOOP)
                    continue
                listing.folders.add(relative)
                stack.append((entry.path, relative + "/", (*above, real)))
            elif entry.is_file():
                listing.files[relative] = entry.path
                listing.names.setdefault(prefix.rstrip("/"), []).append(name)
            else:  # a FIFO named issue.yaml would block the build for ever
                listing.refuse(relative, entry.path, NOT_A_FILE)
    listing.files = dict(sorted(listing.files.items()))
    return listing


def decode(raw: bytes, path: Path) -> str:
    """``raw`` as UTF-8 text; raise Refused at the first undecodable byte's line and column."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        column = len(raw[start : exc.start].decode("utf-8", "replace")) + 1
        raise Refused(Problem(display_path(path), line, "", NOT_UTF8_TEXT, column=column)) from None


def read_text(root: Path, path: Path) -> str:
    """The text of ``path`` under ``root``; raise Refused for a link out of ``root``, a loop or
    bytes that are not UTF-8, and FileNotFoundError when there is no such file."""
    shown = display_path(path)
    if not _utf8(str(path)):
        raise Refused(Problem(shown, 0, "", NOT_UTF8_NAME))
    target, why = _target(str(path))
    if target is None:
        if why == BROKEN and not os.path.islink(path):
            raise FileNotFoundError(errno.ENOENT, "no such file", str(path))
        raise Refused(Problem(shown, 0, "", why))
    if not _inside(target, os.path.realpath(root)):
        raise Refused(Problem(shown, 0, "", outside(root)))
    with open(target, "rb") as handle:  # the target checked above, not the link again
        raw = handle.read()
    return decode(raw, path)
