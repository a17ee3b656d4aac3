"""Loading the content on both cores: a forked worker reads the newer issues the issue cache
does not hold while this process reads the rest, in order, and takes the worker's when it
reaches them. What the worker sends back is what ``load_issue`` made of each folder (the issue
and its problems), exactly as this process would have made it.
"""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

from newsletter.build.cache import IssueCache
from newsletter.build.workers import Workers
from newsletter.contentfs import walk
from newsletter.errors import Problem
from newsletter.loader import issue_folders, load_issue
from newsletter.model import Issue

MIN_SPLIT = 32  # fewer issues to read than this: forking costs more than it saves
Loaded = dict[str, tuple[Issue | None, list[Problem]]]


def _load(content_dir: Path, names: list[str]) -> Loaded:
    """In the worker: load the named issue folders as ``load_project`` does."""
    from newsletter.places import check_issue_places, load_gazetteer

    files = walk(content_dir)
    gazetteer, _ = ({}, []) if "gazetteer.yaml" in files.refused else load_gazetteer(content_dir)
    loaded: Loaded = {}
    for name in names:
        problems: list[Problem] = []
        folder = content_dir / "issues" / name
        issue = load_issue(
            folder,
            files,
            problems,
            lambda issue, doc: check_issue_places(doc, issue, gazetteer, content_dir),
        )
        loaded[name] = (issue, problems)
    return loaded


class SharedLoad:
    """The issue cache, with the newer half of its misses read by a worker meanwhile (an
    ``IssueMemo`` for ``load_project``; what is read is stored in ``memo`` as usual)."""

    def __init__(self, memo: IssueCache, content_dir: Path, worker: Workers) -> None:
        self.memo = memo
        self.worker = worker
        self.theirs: set[str] = set()
        self.future: Future[Loaded] | None = None
        misses = [f.name for f in issue_folders(content_dir) if memo.lookup(f) is None]
        if len(misses) >= MIN_SPLIT:
            theirs = misses[len(misses) // 2 :]
            worker.start(1, warm=False)
            self.future = worker.call(_load, content_dir, theirs)
            self.theirs = set(theirs)

    def lookup(self, folder: Path) -> tuple[Issue | None, list[Problem]] | None:
        """The cached issue, or the worker's (waiting for it), or None: read it here."""
        if folder.name in self.theirs and self.future is not None:
            future, self.future = self.future, None
            for name, (issue, problems) in self.worker.result(future).items():
                self.memo.store(folder.parent / name, issue, problems)
            self.worker.close()
        return self.memo.lookup(folder)

    def store(self, folder: Path, issue: Issue | None, problems: list[Problem]) -> None:
        """Remember what this process read."""
        self.memo.store(folder, issue, problems)
