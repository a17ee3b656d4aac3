"""``newsletter build``: load, validate, compute, render every edition, then write."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from newsletter import paths
from newsletter.errors import Problem
from newsletter.loader import Project, load_project, select
from newsletter.render.context import issue_context
from newsletter.render.email import render_email_html
from newsletter.render.map import MAP_FILE, render_map_png
from newsletter.render.pdf import render_pdf, render_print_html
from newsletter.render.web import render_index, render_issue_page
from newsletter.theme import Theme, make_theme
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


def render_issue(theme: Theme, project: Project, issue_id: str, out: Output) -> None:
    """Render the three editions of one issue into ``out``."""
    issue = next(i for i in project.issues if i.id == issue_id)
    context = issue_context(project, issue)
    pub = project.publication
    out.add(paths.email_file(issue, "email.html"), render_email_html(theme, context))
    if context["ied_map"] is not None:
        out.add(paths.email_file(issue, MAP_FILE), render_map_png(context["ied_map"].svg))
    print_html = render_print_html(theme, context)
    roots = [project.content_dir, *theme.search_path]
    pdf = render_pdf(
        print_html,
        base_dir=project.content_dir / "issues" / issue.id,
        roots=roots,
        metadata={"title": context["title"]},
    )
    site_dir = paths.issue_dir(issue)
    out.add(paths.site_file(site_dir + paths.pdf_name(pub, issue)), pdf)
    out.add(paths.site_file(site_dir + "index.html"), render_issue_page(theme, context))


def build(
    content_dir: Path,
    output_dir: Path,
    only: Sequence[str] = (),
    templates_dir: Path | None = None,
) -> BuildResult:
    """Build the named issues (default: all) and the index; write nothing unless all succeed."""
    started = time.perf_counter()
    project = load_project(content_dir, only)
    theme = make_theme(templates_dir or templates_for(content_dir))
    out = Output(output_dir)
    chosen = select(project, only)
    for issue in chosen:
        log.info("rendering %s %s", project.publication.short_name, issue.number)
        render_issue(theme, project, issue.id, out)
    out.add(paths.site_file("index.html"), render_index(theme, project))
    out.add(paths.site_file("style.css"), theme.read("web/style.css"))
    written = out.commit()
    return BuildResult(
        issues=[i.id for i in chosen],
        sizes={name: len(data) for name, data in out.files.items()},
        written=written,
        warnings=project.warnings,
        seconds=time.perf_counter() - started,
    )
