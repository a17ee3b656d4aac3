"""The build cache: what the last build read and made, kept beside its output.

Every input file (content, templates, the tool's own code) is known by a digest of its bytes,
never by its modification time, so a copied or touched file that did not change costs nothing
and an edit is never missed. Each piece of work (an issue's PDF, its email, its web page, the
search index) is known by a key made of the digests it depends on; the manifest records each
key with the files it produced. A build redoes a piece only when its key changed or one of its
files is gone.

Only the standard library is imported here: ``newsletter build`` decides from this module alone
whether anything changed, before it pays for importing the renderers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter import __version__

if TYPE_CHECKING:  # only for annotations: this module stays free of heavy imports
    from newsletter.errors import Problem
    from newsletter.model import Issue

log = logging.getLogger(__name__)

# Both live in the build's generation (see ``commit.py``), so they change with its files
# in one step; deleting the output folder resets the cache.
MANIFEST = "manifest.json"
ISSUES = "issues.json"
SCHEMA = 3
PACKAGE = Path(__file__).resolve().parent.parent  # the whole package, not only build/


def digest(*parts: str | bytes) -> str:
    """A short digest of the given parts, in order."""
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little"))  # so that ("ab", "c") != ("a", "bc")
        hasher.update(data)
    return hasher.hexdigest()


def _files(folder: Path) -> Iterable[tuple[str, str]]:
    """Every visible file under ``folder``: (relative POSIX path, path), sorted; raise
    ContentError for an entry that may not be read (a link out of ``folder``, a loop, a name
    that is not UTF-8), as the loader reports it."""
    from newsletter.contentfs import walk  # standard library only, as this module
    from newsletter.errors import ContentError

    listing = walk(folder)
    if listing.problems:
        raise ContentError(listing.problems)
    return list(listing.files.items())


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


@dataclass(frozen=True)
class Inputs:
    """The digest of every input file, keyed ``content/<path>`` or ``templates/<path>``."""

    files: Mapping[str, str]
    tool: str

    def group(self, *prefixes: str) -> str:
        """One digest for every file whose key starts with one of ``prefixes``."""
        chosen = sorted((k, v) for k, v in self.files.items() if k.startswith(prefixes))
        return digest(*(f"{k}={v}" for k, v in chosen))

    def get(self, key: str) -> str:
        """The digest of one file, or ``-`` when it does not exist."""
        return self.files.get(key, "-")

    @cached_property  # a frozen dataclass still has a __dict__ for this
    def issue_digests(self) -> dict[str, str]:
        """One digest per issue folder (of every file in it), by folder name."""
        grouped: dict[str, list[str]] = {}
        for key, value in sorted(self.files.items()):
            parts = key.split("/", 3)
            if len(parts) == 4 and parts[:2] == ["content", "issues"]:
                grouped.setdefault(parts[2], []).append(f"{key}={value}")
        return {name: digest(*lines) for name, lines in grouped.items()}


def tool_digest() -> str:
    """The tool's own version: its release number and the bytes of its code and data.

    Hashing the package's files means a changed renderer invalidates the cache even while the
    version number stays the same (as it does between releases, or in a development checkout).
    """
    parts = [__version__]
    for relative, path in _files(PACKAGE):
        if relative.endswith((".py", ".json", ".yaml", ".txt", ".tsv", ".csv")):
            parts.append(f"{relative}={digest(_read(path))}")
    return digest(*parts)


def scan(content_dir: Path, template_dirs: Iterable[Path]) -> Inputs:
    """Digest every content and template file; a project template hides a default one."""
    files: dict[str, str] = {}
    for relative, path in _files(content_dir):
        files[f"content/{relative}"] = digest(_read(path))
    for folder in template_dirs:
        for relative, path in _files(folder):
            if f"templates/{relative}" not in files:
                files[f"templates/{relative}"] = digest(_read(path))
    return Inputs(files, tool_digest())


@dataclass
class Unit:
    """One piece of work as the manifest remembers it: its key and the files it made."""

    key: str
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Manifest:
    """What the last successful build read and wrote."""

    fingerprint: str = ""
    tool: str = ""
    inputs: dict[str, str] = field(default_factory=dict)  # the digest of each input file
    units: dict[str, Unit] = field(default_factory=dict)
    files: dict[str, tuple[int, int]] = field(default_factory=dict)  # size, mtime_ns
    issues: list[str] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        """What the units' work had to tell the editor (e.g. a shortened email)."""
        return [note for unit in self.units.values() for note in unit.notes]

    def intact(self, root: Path, names: Iterable[str] | None = None) -> bool:
        """Whether the named output files (default: all) are as this build left them."""
        for name in self.files if names is None else names:
            recorded = self.files.get(name)
            try:
                stat = (root / name).stat()
            except OSError:
                return False
            if recorded is None or (stat.st_size, stat.st_mtime_ns) != tuple(recorded):
                return False
        return True

    def to_json(self) -> str:
        """The manifest as JSON text."""
        return json.dumps(
            {
                "schema": SCHEMA,
                "fingerprint": self.fingerprint,
                "tool": self.tool,
                "inputs": self.inputs,
                "units": {
                    k: {"key": u.key, "files": u.files, "notes": u.notes}
                    for k, u in self.units.items()
                },
                "files": self.files,
                "issues": self.issues,
                "warnings": self.warnings,
            },
            indent=0,
            sort_keys=True,
        )


def read_manifest(generation: Path | None) -> Manifest:
    """The manifest of the generation in force, or an empty one."""
    if generation is None:
        return Manifest()
    path = generation / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("schema") != SCHEMA:
            return Manifest()
        return Manifest(
            fingerprint=data["fingerprint"],
            tool=data["tool"],
            inputs=dict(data["inputs"]),
            units={
                k: Unit(v["key"], list(v["files"]), list(v["notes"]))
                for k, v in data["units"].items()
            },
            files={k: (int(v[0]), int(v[1])) for k, v in data["files"].items()},
            issues=list(data["issues"]),
            warnings=list(data["warnings"]),
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        # No manifest, or one this version cannot read: build everything.
        return Manifest()


def fingerprint(inputs: Inputs, *settings: str) -> str:
    """One digest of every input, the tool and the build's own settings."""
    return digest(
        str(SCHEMA),
        inputs.tool,
        os.getcwd(),  # messages show paths relative to the working folder
        *settings,
        *(f"{k}={v}" for k, v in sorted(inputs.files.items())),
    )


# A map's stored layout: (check digest, badges as (number, x, y, leader x, leader y, area)),
# by layout key (see ``render/layouts.py``, which checks each before use).
Layouts = dict[str, tuple[str, list[tuple[int, float, float, float | None, float | None, bool]]]]


@cache
def _issue_cache_type() -> Any:
    """The issue cache file: ``[schema, tool, {folder: [key, issue or null, problems]},
    {layout key: layout}]``."""
    # pydantic and the model are imported only by a build that loads content.
    from pydantic import TypeAdapter

    from newsletter.errors import Problem
    from newsletter.model import Issue

    return TypeAdapter(tuple[int, str, dict[str, tuple[str, Issue | None, list[Problem]]], Layouts])


def load_issue_cache(generation: Path | None, tool: str) -> tuple[dict[str, Any], Layouts]:
    """The loaded issues of the last build, by folder name, each with the key it was loaded
    under, and its maps' layouts; empty when the file is missing, unreadable, of another
    version or invalid.

    The file is data (JSON, validated into the content model), never code: whatever it holds,
    the worst it can do is be rejected, and then every issue is read again."""
    if generation is None:
        return {}, {}
    try:
        schema, made_by, entries, layouts = _issue_cache_type().validate_json(
            (generation / ISSUES).read_bytes()
        )
    except (OSError, ValueError, RecursionError):  # pydantic's ValidationError is a ValueError
        log.info("the issue cache could not be read; every issue is read again")
        return {}, {}
    if schema != SCHEMA or made_by != tool:
        return {}, {}
    return dict(entries), dict(layouts)


def dump_issue_cache(entries: Mapping[str, Any], tool: str, layouts: Layouts) -> bytes:
    """The loaded issues and map layouts as JSON bytes for the writer."""
    data: bytes = _issue_cache_type().dump_json((SCHEMA, tool, dict(entries), layouts))
    return data


class IssueCache:
    """Issues loaded by the last build, reused while their key (their files, the gazetteer,
    the tool) is the same: an edit re-reads one issue, not the archive."""

    def __init__(self, entries: dict[str, object], keys: dict[str, str]) -> None:
        self.entries = entries
        self.keys = keys
        self.changed = False

    def lookup(self, folder: Path) -> tuple[Issue | None, list[Problem]] | None:
        """The issue and problems loaded from ``folder`` before, or None if it changed."""
        entry = self.entries.get(folder.name)
        key = self.keys.get(folder.name)
        if key is None or not isinstance(entry, tuple) or len(entry) != 3 or entry[0] != key:
            return None
        return entry[1], list(entry[2])

    def store(self, folder: Path, issue: Issue | None, problems: list[Problem]) -> None:
        """Remember what was loaded from ``folder``."""
        key = self.keys.get(folder.name)
        if key is not None:
            self.entries[folder.name] = (key, issue, problems)
            self.changed = True
