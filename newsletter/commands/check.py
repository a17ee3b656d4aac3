"""``newsletter check``: load and validate the content without rendering anything."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from newsletter.loader import Project, load_project


def check(content_dir: Path, only: Sequence[str] = ()) -> Project:
    """Validate the content folder; raise ContentError listing every problem."""
    return load_project(content_dir, only)
