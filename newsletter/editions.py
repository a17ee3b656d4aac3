"""The editions a build makes and where their templates come from (no heavy imports here)."""

from __future__ import annotations

from pathlib import Path

EDITIONS = ("email", "pdf", "web")
PACKAGE_DIR = Path(__file__).resolve().parent


def default_templates() -> Path:
    """The templates shipped with the tool (in a wheel) or beside the package (in a checkout)."""
    bundled = PACKAGE_DIR / "templates"
    return bundled if bundled.is_dir() else PACKAGE_DIR.parent / "templates"


def templates_for(content_dir: Path) -> Path:
    """The project's templates folder: ``templates/`` beside the content folder."""
    return content_dir.resolve().parent / "templates"
