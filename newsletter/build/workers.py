"""Worker processes for the issues' PDFs and emails.

Each task is a ``Job``: one issue with its neighbours and the publication, so a worker needs
nothing from the build process but what the task carries. A worker imports WeasyPrint and
loads its fonts as soon as it starts; its warnings travel back with its result.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from newsletter.build.commit import release_in_child
from newsletter.errors import RenderError
from newsletter.loader import Project
from newsletter.model import Issue, Publication
from newsletter.places import Index
from newsletter.render.issue import RenderedIssue, render_issue
from newsletter.render.layouts import Stored, remember, take
from newsletter.render.pdf import warm_up
from newsletter.theme import Theme, make_theme

T = TypeVar("T")
Logged = list[tuple[str, int, str]]  # (logger, level, message) of a worker's warnings
# What a worker sends back: the files, its warnings and the map layouts it used (as data).
Result = tuple[RenderedIssue, Logged, dict[str, Stored]]


@dataclass(frozen=True)
class Job:
    """One issue's PDF and email work, as sent to a worker: the issue with its neighbours
    (for the previous/next links), the publication, the gazetteer (for the map) and where its
    files and templates are."""

    content_dir: Path
    templates: Path
    publication: Publication
    gazetteer: Index
    issues: tuple[Issue, ...]
    index: int
    kinds: tuple[str, ...]
    pdf_path: str | None
    layouts: dict[str, Stored] = field(default_factory=dict)  # known maps' layouts
    pdf_elsewhere: bool = False  # another worker renders the PDF the message attaches

    @property
    def issue(self) -> Issue:
        """The issue to render."""
        return self.issues[self.index]


_THEMES: dict[Path, Theme] = {}


PR_SET_PDEATHSIG = 1  # prctl(2)
LIGHT_NICENESS = 10  # how far a split-off email's worker steps back (nice(2))


def _tie(parent: int) -> None:
    """A worker's first act: tie itself to its build."""
    # Ctrl-C reaches the whole process group: the build process handles it and stops its
    # workers, which would otherwise each print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A build killed outright (kill -9) takes its workers with it (Linux), and they never
    # hold the output folder's lock.
    release_in_child()
    with contextlib.suppress(OSError, AttributeError):  # not Linux: they end with their queue
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the build died before the line above
        os._exit(1)


def _warm(parent: int, heavy: bool) -> None:
    """Tie the worker to its build, then import what its work needs while the build process is
    still loading the content: WeasyPrint and its fonts (``heavy``: PDFs, and emails with
    them), or cairosvg only (split-off emails: the map's PNG). cairosvg is not imported by a
    heavy worker in advance: one that renders only a PDF would pay 0.8 s for nothing, on the
    critical path of a one-issue edit."""
    _tie(parent)
    if heavy:
        warm_up()
    else:
        # Below the PDF worker and the build process: on two cores the three would share them
        # alike, and the split-off email, which waits for its PDF anyway, would slow that PDF
        # (an edit of one issue: its PDF worker imports WeasyPrint while this one imports
        # cairosvg and the build process loads the archive).
        with contextlib.suppress(OSError):
            os.nice(LIGHT_NICENESS)
        import cairosvg  # noqa: F401  (imported for its import time only)


def render(job: Job) -> RenderedIssue:
    """Render one issue's PDF and email work, in whichever process calls it."""
    theme = _THEMES.get(job.templates)
    if theme is None:
        theme = _THEMES[job.templates] = make_theme(job.templates)
    project = Project(job.content_dir, job.publication, job.issues, job.gazetteer)
    remember(job.layouts)  # checked before use, as those read from the cache
    pdf = Path(job.pdf_path).read_bytes() if job.pdf_path else None
    return render_issue(theme, project, job.issue, job.kinds, pdf, job.pdf_elsewhere)


class _Keep(logging.Handler):
    """Collects a worker's warnings, which the build process logs again as its own."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: Logged = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


def _render_in_worker(job: Job) -> Result:
    keep = _Keep()
    root = logging.getLogger("newsletter")
    root.addHandler(keep)
    root.propagate = False  # said once, by the build process, not twice
    try:
        return render(job), keep.records, take()
    finally:
        root.removeHandler(keep)
        root.propagate = True


class Workers:
    """Worker processes for PDFs and emails, started as early as the build can tell it will
    need them, so that importing WeasyPrint overlaps loading the content.

    Emails split off from their PDF (``Job.pdf_elsewhere``) go to workers of their own, which
    import cairosvg, not WeasyPrint: a pool hands each task to whichever worker is free first,
    so only separate pools can keep the PDF on the worker that loaded WeasyPrint."""

    def __init__(self, what: str = "PDFs and emails") -> None:
        self.what = what  # for the message if one dies
        self.pools: list[ProcessPoolExecutor] = []  # the PDF workers', then the emails'
        self.count = 0
        self.processes: list[Any] = []  # multiprocessing.Process of the current pools
        self.warm, self.light = True, 0

    @property
    def pool(self) -> ProcessPoolExecutor | None:
        """The workers' pool (None before ``start`` and after ``close``)."""
        return self.pools[0] if self.pools else None

    def start(self, count: int, warm: bool = True, light: int = 0) -> None:
        """Start ``count`` workers (once); ``warm``: import the engines first. ``light`` of
        them are for split-off emails only."""
        if self.pools or count < 1:
            return
        self.warm, self.light = warm, min(light, count - 1)
        self.count = count
        # Forked: a worker starts at once with what this process has imported, and imports
        # WeasyPrint while this process loads the content. (A fork server that preloads
        # WeasyPrint costs 0.7 s more to start, which an edit of one issue pays in full.
        # Python 3.11's ``max_tasks_per_child`` hangs once a worker retires, so ``restart``
        # replaces the whole pool between batches instead.)
        context = multiprocessing.get_context("fork")
        for size, heavy in ((count - self.light, True), (self.light, False)):
            if size < 1:
                continue
            initializer: Callable[..., None] = _warm if warm else _tie
            initargs: tuple[Any, ...] = (os.getpid(), heavy) if warm else (os.getpid(),)
            pool = ProcessPoolExecutor(
                size, mp_context=context, initializer=initializer, initargs=initargs
            )
            # The pool forks its workers on the first task. Frozen first, the objects this
            # process holds (520 loaded issues, when the pool is replaced mid-build) are left
            # out of the workers' garbage collections, which would otherwise write to every
            # one of them and so copy their pages into each worker.
            gc.collect()
            gc.freeze()
            try:
                pool.submit(int)
            finally:
                gc.unfreeze()
            self.pools.append(pool)
            # Kept to stop them at once on failure and to say how one died (Python 3.11's
            # pool has no public way to either).
            self.processes += list(getattr(pool, "_processes", {}).values())

    def restart(self) -> None:
        """Replace the workers with fresh ones: WeasyPrint's caches grow with every document
        (from 110 to 200 MB over 260 PDFs), a new worker starts small."""
        count = self.count
        self.close()
        self.start(count, self.warm, self.light)

    def submit(self, job: Job) -> Future[Result]:
        """Queue one issue's work; its result comes with the warnings logged doing it."""
        assert self.pools
        pool = self.pools[-1] if job.pdf_elsewhere else self.pools[0]
        try:
            return pool.submit(_render_in_worker, job)
        except BrokenProcessPool:
            raise RenderError(self._death()) from None

    def call(self, function: Callable[..., T], *args: Any) -> Future[T]:
        """Run ``function(*args)`` in a worker (a forked worker sees this process's state as
        it was when the pool started)."""
        assert self.pool is not None
        try:
            return self.pool.submit(function, *args)
        except BrokenProcessPool:
            raise RenderError(self._death()) from None

    def result(self, future: Future[T]) -> T:
        """The result of one task; a worker that died is a one-line error."""
        try:
            return future.result()
        except BrokenProcessPool:
            raise RenderError(self._death()) from None

    def _death(self) -> str:
        for process in self.processes:  # dead, or being stopped by the broken pool
            process.join(2)
        signals = [-p.exitcode for p in self.processes if p.exitcode is not None and p.exitcode < 0]
        # The pool stops the other workers with SIGTERM: the first death is the other signal.
        signals.sort(key=lambda number: number == signal.SIGTERM)
        how = "it crashed"
        if signals:
            try:
                how = f"killed by {signal.Signals(signals[0]).name}"
            except ValueError:
                how = f"killed by signal {signals[0]}"
        return f"a worker process rendering {self.what} died ({how}); nothing was changed"

    def close(self, abort: bool = False) -> None:
        """Stop the workers: after their tasks, or at once (``abort``: the build failed)."""
        if abort:
            for pool in self.pools:
                pool.shutdown(wait=False, cancel_futures=True)
            for process in self.processes:
                if process.exitcode is None:
                    process.kill()
            for process in self.processes:
                process.join(5)
        for pool in self.pools:
            pool.shutdown(wait=True, cancel_futures=True)
        self.pools = []
        self.processes = []
