"""``newsletter check``: load and validate the content without rendering anything."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from newsletter.editions import templates_for
from newsletter.errors import ContentError, Problem
from newsletter.loader import Project, load_project


def template_problems(folder: Path) -> list[Problem]:
    """What the build would stop on in the project's templates folder (if there is one)."""
    if not folder.is_dir():
        return []
    from newsletter.theme import make_theme  # Jinja and the renderers' filters

    return make_theme(folder).problems(folder)


def check(content_dir: Path, only: Sequence[str] = ()) -> Project:
    """Validate the content folder and the project's templates; raise ContentError listing
    every problem the build would stop on."""
    found = template_problems(templates_for(content_dir))
    try:
        project = load_project(content_dir, only)
    except ContentError as exc:
        raise ContentError([*exc.problems, *found], exc.warnings) from None
    if found:
        raise ContentError(found, project.warnings)
    return project
