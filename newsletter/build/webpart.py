"""The web edition's part of a build: the issue pages, the archive pages and the search index.

- Issue pages are rendered in two processes when the cores are otherwise idle (no PDF or
  email work in this build): a worker forked after loading renders the older three quarters,
  in one task per year so that its pages arrive as it goes; this process renders the newest
  pages (the feed's, whose maps it then has at hand) and then the archive pages, without
  waiting for the worker's.
- The search index is one Pagefind run per year (two at a time), each started as soon as that
  year's pages are written, not after the last page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter import paths
from newsletter.build.cache import digest
from newsletter.build.workers import Workers
from newsletter.build.writer import Output
from newsletter.loader import Project
from newsletter.model import Issue
from newsletter.render import layouts
from newsletter.render.search import BUNDLE, SearchJob, search_year
from newsletter.render.web import issue_files, prepare, render_archive
from newsletter.theme import Theme

if TYPE_CHECKING:
    from newsletter.build.plan import Build

SEARCH_RUNS = 2  # Pagefind processes at once
MIN_SPLIT = 16  # fewer pages to render than this: forking a worker costs more than it saves
# The worker's share of the pages: this process also renders the archive pages, which cost
# about half as much as the pages (104 issues: pages 1.25 s of CPU, archive pages 0.6 s).
WORKER_SHARE = 0.75

Pages = list[tuple[int, dict[str, str | bytes]]]  # (index of the issue, its page files)
_STATE: list[tuple[Theme, Project]] = []  # what a forked page worker renders from


def _render_pages(indices: list[int]) -> tuple[Pages, dict[str, layouts.Stored]]:
    """In a page worker: render the issues' pages; return them with the maps' layouts."""
    theme, project = _STATE[-1]
    pages = [(i, issue_files(theme, project, project.issues[i])) for i in indices]
    return pages, layouts.take()


@contextmanager
def _page_worker(theme: Theme, project: Project, wanted: bool) -> Iterator[Workers]:
    """One forked worker for pages (none unless ``wanted``), stopped at the end either way."""
    worker = Workers("web pages")
    if wanted:
        prepare()  # imported once here, not again in the worker: both processes draw
        _STATE.append((theme, project))  # seen by the worker forked now, as it is
        try:
            worker.start(1, warm=False)
        finally:
            _STATE.pop()
    try:
        yield worker
    except BaseException:
        worker.close(abort=True)
        raise
    worker.close()


def build_web(
    build: Build, project: Project, theme: Theme, base: str, out: Output, split: bool
) -> None:
    """Render (or carry over) the web edition; ``split``: the cores are free for a page
    worker."""
    issues = project.issues
    keys = [build.page_key(base, issues, i) for i in range(len(issues))]
    written: dict[int, tuple[str, Path]] = {}  # each page on disk: (site path, file)
    todo = []
    for index, issue in enumerate(issues):
        page = paths.issue_dir(issue) + "index.html"
        if build.clean(f"page:{issue.id}", keys[index]):
            build.keep(out, f"page:{issue.id}")
            written[index] = (page, out.root / paths.site_file(page))
        else:
            todo.append(index)
    search = _Search(build, project, base, keys, out)

    def add(index: int, files: dict[str, str | bytes]) -> None:
        issue = issues[index]
        page = paths.issue_dir(issue) + "index.html"
        site = {paths.site_file(p): d for p, d in files.items()}
        where = build.add(out, f"page:{issue.id}", keys[index], site)
        # Pagefind reads the written file: 520 pages' HTML is not held in memory.
        written[index] = (page, where[paths.site_file(page)])

    share = int(len(todo) * WORKER_SHARE) if split and len(todo) >= MIN_SPLIT else 0
    theirs, mine = todo[:share], todo[share:][::-1]  # this process: the newest first
    try:
        with _page_worker(theme, project, bool(theirs)) as worker:
            futures = [worker.call(_render_pages, chunk) for chunk in _by_year(issues, theirs)]

            def receive(block: bool) -> None:
                while futures and (block or futures[0].done()):
                    pages, laid_out = worker.result(futures.pop(0))
                    layouts.remember(laid_out)  # the feed and the issue cache want them
                    for index, files in pages:
                        add(index, files)
                    search.poll(written)  # a year complete: its index starts at once

            search.start(written)
            for index in mine:
                add(index, issue_files(theme, project, issues[index]))
                receive(block=False)
                search.poll(written)
            # The archive pages next, while the worker may still be rendering: they need none
            # of its pages (the feed's maps are this process's own, the newest issues').
            # After the worker's last page, they would run with the other core idle.
            receive(block=False)
            _archive(build, project, theme, base, out)
            receive(block=True)
        search.finish(written)
    finally:
        search.cancel()


def _archive(build: Build, project: Project, theme: Theme, base: str, out: Output) -> None:
    """Render (or carry over) the archive pages: index, governorates, data, feed, sitemap."""
    issues = project.issues
    archive_key = digest(base, *(build.issue_key(i.id) for i in issues))
    if build.clean("archive", archive_key):
        build.keep(out, "archive")
        return
    made = render_archive(theme, project, [paths.issue_dir(i) + "index.html" for i in issues])
    build.add(out, "archive", archive_key, {paths.site_file(p): d for p, d in made.items()})


def _by_year(issues: tuple[Issue, ...], indices: list[int]) -> list[list[int]]:
    """The indices in runs of one year each (the worker's tasks), in order."""
    chunks: list[list[int]] = []
    last = None
    for index in indices:
        year = search_year(issues[index])
        if year != last:
            chunks.append([])
            last = year
        chunks[-1].append(index)
    return chunks


class _Search:
    """The search index: one Pagefind bundle per year, which the search page merges, so an
    edit re-indexes its year (52 pages), not the archive. Each year starts once its pages are
    all written, two runs at a time."""

    def __init__(
        self, build: Build, project: Project, base: str, keys: list[str], out: Output
    ) -> None:
        self.build, self.out = build, out
        self.language = project.publication.language.split("-")[0]
        years: dict[str, list[int]] = {}
        for index, issue in enumerate(project.issues):
            years.setdefault(search_year(issue), []).append(index)
        self.waiting: dict[str, tuple[str, str, list[int]]] = {}
        for year, members in sorted(years.items(), reverse=True):
            name = f"search:{year}"
            key = digest(base, *(keys[i] for i in members))
            if build.clean(name, key):
                build.keep(out, name)
            else:
                self.waiting[year] = (name, key, members)
        self.running: list[tuple[str, str, SearchJob]] = []

    def start(self, written: dict[int, tuple[str, Path]]) -> None:
        """Start the years whose pages are all written, while fewer than two run."""
        for year in list(self.waiting):  # newest first
            if len(self.running) >= SEARCH_RUNS:
                return
            name, key, members = self.waiting[year]
            if all(i in written for i in members):
                del self.waiting[year]
                chosen = [written[i] for i in members]
                job = SearchJob(chosen, self.language, f"{BUNDLE}{year}/")
                self.running.append((name, key, job))

    def _collect(self, ready: Callable[[SearchJob], bool]) -> bool:
        for entry in self.running:
            name, key, job = entry
            if ready(job):
                self.running.remove(entry)
                bundle = job.result()
                files = {paths.site_file(p): d for p, d in bundle.items()}
                self.build.add(self.out, name, key, files)
                return True
        return False

    def poll(self, written: dict[int, tuple[str, Path]]) -> None:
        """Take the bundles of finished runs; start the years now ready."""
        while self._collect(SearchJob.done):
            pass
        self.start(written)

    def finish(self, written: dict[int, tuple[str, Path]]) -> None:
        """Wait for every year's bundle (all pages are written by now)."""
        self.start(written)
        while self.running:
            self.poll(written)
            if self.running:
                self._collect(lambda job: True)  # the oldest run: wait for it
                self.start(written)

    def cancel(self) -> None:
        """Stop the runs still going (the build failed elsewhere)."""
        for _, _, job in self.running:
            job.cancel()
        self.running = []
