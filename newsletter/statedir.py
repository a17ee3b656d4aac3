"""Where a project's state lives (the store, the old send log): one rule, light to import."""

from __future__ import annotations

from pathlib import Path


def state_for(content_dir: Path, state_dir: Path | None) -> Path:
    """The state folder: ``state/`` beside the content folder unless given.

    Beside, not inside the output folder, so cleaning the output can never cause a second send.
    """
    return state_dir or content_dir.resolve().parent / "state"
