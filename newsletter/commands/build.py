"""``newsletter build``: load, validate, compute, render every edition, then write."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.errors import Problem
from newsletter.loader import load_project, select
from newsletter.render.issue import EDITIONS, render_issue
from newsletter.render.web import render_site
from newsletter.theme import make_theme
from newsletter.writer import Output

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    """What a build did: the issues built, every output's size, the files that changed."""

    issues: list[str]
    sizes: dict[str, int]
    written: list[Path]
    warnings: tuple[Problem, ...] = ()
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def templates_for(content_dir: Path) -> Path:
    """The project's templates folder: ``templates/`` beside the content folder."""
    return content_dir.resolve().parent / "templates"


def build(
    content_dir: Path,
    output_dir: Path,
    only: Sequence[str] = (),
    templates_dir: Path | None = None,
    editions: tuple[str, ...] = EDITIONS,
) -> BuildResult:
    """Build the named issues (default: all) and the index; write nothing unless all succeed."""
    started = time.perf_counter()
    project = load_project(content_dir, only)
    theme = make_theme(templates_dir or templates_for(content_dir))
    out = Output(output_dir)
    chosen = select(project, only)
    notes: list[str] = []
    for issue in chosen:
        log.info("rendering %s %s", project.publication.short_name, issue.number)
        rendered = render_issue(theme, project, issue, editions)
        for path, data in rendered.files.items():
            out.add(path, data)
        notes += rendered.notes
    if "web" in editions:
        for path, data in render_site(theme, project).items():
            out.add(path, data)
    written = out.commit()
    return BuildResult(
        issues=[i.id for i in chosen],
        sizes={name: len(data) for name, data in out.files.items()},
        written=written,
        warnings=project.warnings,
        seconds=time.perf_counter() - started,
        notes=notes,
    )
