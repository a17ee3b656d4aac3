"""Worker processes for the issues' PDFs and emails.

Each task is a ``Job``: one issue with its neighbours and the publication, so a worker needs
nothing from the build process but what the task carries. A worker imports WeasyPrint and
loads its fonts as soon as it starts; its warnings travel back with its result.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from newsletter.loader import Project
from newsletter.model import Issue, Publication
from newsletter.render.issue import RenderedIssue, render_issue
from newsletter.render.pdf import warm_up
from newsletter.theme import Theme, make_theme

Logged = list[tuple[str, int, str]]  # (logger, level, message) of a worker's warnings


@dataclass(frozen=True)
class Job:
    """One issue's PDF and email work, as sent to a worker: the issue with its neighbours
    (for the previous/next links), the publication and where its files and templates are."""

    content_dir: Path
    templates: Path
    publication: Publication
    issues: tuple[Issue, ...]
    index: int
    kinds: tuple[str, ...]
    pdf_path: str | None

    @property
    def issue(self) -> Issue:
        """The issue to render."""
        return self.issues[self.index]


_THEMES: dict[Path, Theme] = {}


def _warm() -> None:
    """A worker's first act: import the engines and load the fonts while the build process
    is still loading the content."""
    import cairosvg  # noqa: F401  (imported for its import time only)

    warm_up()


def render(job: Job) -> RenderedIssue:
    """Render one issue's PDF and email work, in whichever process calls it."""
    theme = _THEMES.get(job.templates)
    if theme is None:
        theme = _THEMES[job.templates] = make_theme(job.templates)
    project = Project(job.content_dir, job.publication, job.issues)
    pdf = Path(job.pdf_path).read_bytes() if job.pdf_path else None
    return render_issue(theme, project, job.issue, job.kinds, pdf)


class _Keep(logging.Handler):
    """Collects a worker's warnings, which the build process logs again as its own."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: Logged = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


def _render_in_worker(job: Job) -> tuple[RenderedIssue, Logged]:
    keep = _Keep()
    root = logging.getLogger("newsletter")
    root.addHandler(keep)
    root.propagate = False  # said once, by the build process, not twice
    try:
        return render(job), keep.records
    finally:
        root.removeHandler(keep)
        root.propagate = True


class Workers:
    """Worker processes for PDFs and emails, started as early as the build can tell it will
    need them, so that importing WeasyPrint overlaps loading the content."""

    def __init__(self) -> None:
        self.pool: ProcessPoolExecutor | None = None
        self.count = 0

    def start(self, count: int) -> None:
        """Start ``count`` workers (once)."""
        if self.pool is not None or count < 1:
            return
        # Forked: a worker starts at once with what this process has imported, and imports
        # WeasyPrint while this process loads the content. (A fork server that preloads
        # WeasyPrint costs 0.7 s more to start, which an edit of one issue pays in full.
        # Python 3.11's ``max_tasks_per_child`` hangs once a worker retires, so ``restart``
        # replaces the whole pool between batches instead.)
        self.count = count
        self.pool = ProcessPoolExecutor(
            count, mp_context=multiprocessing.get_context("fork"), initializer=_warm
        )
        self.pool.submit(int)  # the pool forks its workers on the first task

    def restart(self) -> None:
        """Replace the workers with fresh ones: WeasyPrint's caches grow with every document
        (from 110 to 200 MB over 260 PDFs), a new worker starts small."""
        count = self.count
        self.close()
        self.start(count)

    def submit(self, job: Job) -> Future[tuple[RenderedIssue, Logged]]:
        """Queue one issue's work; its result comes with the warnings logged doing it."""
        assert self.pool is not None
        return self.pool.submit(_render_in_worker, job)

    def close(self) -> None:
        """Stop the workers (after their tasks, or at once if the build failed)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
