"""Write imported issues into the content folder: all of them or none, never overwriting
an issue unless asked to, and leaving an issue that is already as imported untouched.

Each issue is written into a private folder beside its target (``issues/.import-*``, which
the loader skips), then moved into place with one rename; a replaced issue is moved aside
first and deleted only when every issue is in place, so a failure puts everything back.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.errors import OutputError, display_path

log = logging.getLogger(__name__)


@dataclass
class Plan:
    """What an import will do to each issue folder."""

    create: dict[Path, dict[str, str]] = field(default_factory=dict)
    replace: dict[Path, dict[str, str]] = field(default_factory=dict)
    unchanged: list[Path] = field(default_factory=list)
    refused: list[Path] = field(default_factory=list)  # exists, differs, no --replace


def _existing(folder: Path) -> dict[str, str] | None:
    try:
        return {
            path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
            for path in folder.rglob("*")
            if path.is_file()
        }
    except (OSError, UnicodeDecodeError):
        return None


def plan(issues: dict[Path, dict[str, str]], replace: bool) -> Plan:
    """Sort each folder into created, replaced, unchanged or refused."""
    result = Plan()
    for folder, files in issues.items():
        if not folder.exists():
            result.create[folder] = files
        elif _existing(folder) == files:
            result.unchanged.append(folder)
        elif replace:
            result.replace[folder] = files
        else:
            result.refused.append(folder)
    return result


def _stage(folder: Path, files: dict[str, str]) -> Path:
    staged = folder.parent / f".import-{folder.name}-{os.getpid()}"
    shutil.rmtree(staged, ignore_errors=True)
    for relative, text in files.items():
        path = staged / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return staged


def write(the_plan: Plan) -> list[Path]:
    """Carry out the plan; on any failure undo what was done and raise OutputError."""
    todo = {**the_plan.create, **the_plan.replace}
    staged: dict[Path, Path] = {}
    moved_aside: dict[Path, Path] = {}
    placed: list[Path] = []
    try:
        for folder, files in todo.items():
            staged[folder] = _stage(folder, files)
        for folder, stage in staged.items():
            if folder in the_plan.replace:
                aside = folder.parent / f".replaced-{folder.name}-{os.getpid()}"
                os.replace(folder, aside)
                moved_aside[folder] = aside
            os.rename(stage, folder)
            placed.append(folder)
    except OSError as exc:
        for folder in placed:
            shutil.rmtree(folder, ignore_errors=True)
        for folder, aside in moved_aside.items():
            os.replace(aside, folder)
        for stage in staged.values():
            shutil.rmtree(stage, ignore_errors=True)
        where = display_path(Path(exc.filename)) if exc.filename else "the content folder"
        raise OutputError(f"cannot write {where}: {exc.strerror}; nothing was written") from exc
    for aside in moved_aside.values():
        shutil.rmtree(aside, ignore_errors=True)
    log.info("wrote %d issue folder(s)", len(placed))
    return placed
