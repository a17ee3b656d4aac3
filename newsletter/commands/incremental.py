"""The work of a build that has something to do: redo each piece whose key changed.

Pieces ("units") and what their keys are made of:

- ``pdf:<id>``: the issue's files, the gazetteer, the print templates, the settings the PDF
  reads, the tool;
- ``email:<id>``: the same with the email templates, and the PDF's key when it is attached;
- ``page:<id>``: the issue's files, the web templates and settings, and what the page shows of
  its neighbours: the previous issue's table (for "change from previous") and both
  neighbours' numbers and periods (for the previous/next links);
- ``search``: the keys of every page;
- the archive's own pages (index, governorates, data, feed, sitemap) are rendered on every
  build that has anything to do (a few tenths of a second for 520 issues); the writer leaves
  a file alone when its bytes did not change.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from newsletter import cache, paths
from newsletter.cache import Inputs, Manifest, Unit, digest
from newsletter.errors import Problem
from newsletter.loader import Project, load_project, select
from newsletter.model import Issue
from newsletter.render.issue import RenderedIssue, render_issue
from newsletter.render.search import search_bundle
from newsletter.render.web import issue_files, render_archive
from newsletter.theme import Theme, make_theme
from newsletter.writer import Output, atomic_write

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (done, total) of the issues' PDF and email work

TEMPLATES = {
    "pdf": ("templates/print/", "templates/partials/"),
    "email": ("templates/email/", "templates/partials/"),
    "web": ("templates/web/", "templates/partials/"),
}
# The settings each kind of work does not read: editing them leaves that work alone.
UNUSED_SETTINGS = {"pdf": {"email", "smtp"}, "email": {"smtp"}, "web": {"email", "smtp", "pdf"}}


@dataclass
class Outcome:
    """What the build made: the new manifest, the files that changed, the units redone."""

    manifest: Manifest
    written: list[Path]
    warnings: tuple[Problem, ...]
    rendered: list[str] = field(default_factory=list)


class _Memo:
    """Issues loaded by the last build, reused while their files and the gazetteer are the same."""

    def __init__(self, entries: dict[str, object], keys: dict[str, str]) -> None:
        self.entries = entries
        self.keys = keys
        self.changed = False

    def lookup(self, folder: Path) -> tuple[Issue | None, list[Problem]] | None:
        entry = self.entries.get(folder.name)
        key = self.keys.get(folder.name)
        if key is None or not isinstance(entry, tuple) or len(entry) != 3 or entry[0] != key:
            return None
        return entry[1], list(entry[2])

    def store(self, folder: Path, issue: Issue | None, problems: list[Problem]) -> None:
        key = self.keys.get(folder.name)
        if key is not None:
            self.entries[folder.name] = (key, issue, problems)
            self.changed = True


# The worker processes are forked after the project is loaded, so they inherit it (and the
# templates) instead of loading it again; each task names only an issue.
_STATE: dict[str, object] = {}


def _render(issue_id: str, editions: tuple[str, ...], pdf_path: str | None) -> RenderedIssue:
    theme, project = _STATE["theme"], _STATE["project"]
    assert isinstance(theme, Theme) and isinstance(project, Project)
    issue = next(i for i in project.issues if i.id == issue_id)
    pdf = Path(pdf_path).read_bytes() if pdf_path else None
    return render_issue(theme, project, issue, editions, pdf)


@contextmanager
def _workers(count: int) -> Iterator[ProcessPoolExecutor | None]:
    if count < 2:
        yield None
        return
    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class Build:
    """One build of a content folder into an output folder, given the last build's manifest."""

    def __init__(
        self,
        content_dir: Path,
        output_dir: Path,
        templates: Path,
        inputs: Inputs,
        previous: Manifest,
        editions: tuple[str, ...],
        progress: Progress | None = None,
        jobs: int | None = None,
    ) -> None:
        self.content_dir = content_dir
        self.output_dir = output_dir
        self.templates = templates
        self.inputs = inputs
        self.previous = previous
        self.editions = editions
        self.progress = progress
        self.jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        self.units: dict[str, Unit] = {}
        self.rendered: list[str] = []

    # Keys ---------------------------------------------------------------------------------

    def _issue_key(self, issue_id: str) -> str:
        return self.inputs.group(f"content/issues/{issue_id}/")

    def _base(self, project: Project, kind: str) -> str:
        settings = project.publication.model_dump_json(exclude=UNUSED_SETTINGS[kind])
        return digest(
            kind,
            self.inputs.tool,
            settings,
            self.inputs.group(*TEMPLATES[kind]),
            self.inputs.get("content/gazetteer.yaml"),
        )

    def _page_key(self, base: str, issues: tuple[Issue, ...], index: int) -> str:
        issue = issues[index]
        facts = [base, self._issue_key(issue.id)]
        if index > 0:
            before = issues[index - 1].id
            facts += [
                before,
                *(
                    self.inputs.get(f"content/issues/{before}/{name}")
                    for name in (
                        "issue.yaml",
                        "ied.yaml",
                    )
                ),
            ]
        if index + 1 < len(issues):
            after = issues[index + 1].id
            facts += [after, self.inputs.get(f"content/issues/{after}/issue.yaml")]
        return digest(*facts)

    def _clean(self, name: str, key: str) -> bool:
        """Whether unit ``name`` was made under ``key`` and its files are untouched."""
        unit = self.previous.units.get(name)
        return (
            unit is not None
            and unit.key == key
            and self.previous.intact(self.output_dir, unit.files)
        )

    def _keep(self, out: Output, name: str) -> None:
        unit = self.previous.units[name]
        for path in unit.files:
            out.keep(path)
        self.units[name] = unit

    def _add(self, out: Output, name: str, key: str, files: dict[str, bytes | str]) -> None:
        for path, data in files.items():
            out.add(path, data)
        self.units[name] = Unit(key, sorted(files))
        self.rendered.append(name)

    # The build ----------------------------------------------------------------------------

    def run(self, only: Sequence[str], fingerprint: str) -> Outcome:
        """Load, render what changed, write; leave the output as it was if anything fails."""
        names = tuple(only)
        keys = {
            folder: digest(
                self.inputs.tool,
                os.getcwd(),
                self.inputs.get("content/gazetteer.yaml"),
                self._issue_key(folder),
            )
            for folder in _issue_names(self.inputs)
        }
        memo = _Memo(cache.load_issue_cache(self.output_dir), keys)
        project = load_project(self.content_dir, names, memo)
        theme = make_theme(self.templates)
        out = Output(self.output_dir)
        try:
            self._run(project, theme, select(project, names), out)
            manifest = Manifest(
                fingerprint=fingerprint,
                units=self.units,
                issues=[i.id for i in select(project, names)],
                warnings=[asdict(w) for w in project.warnings],
                notes=[note for unit in self.units.values() for note in unit.notes],
            )
            written = out.commit(self.previous.files)
        except BaseException:
            out.discard()
            raise
        manifest.files = out.stamps()
        folder = self.output_dir / cache.CACHE_DIR
        if memo.changed:
            live = {i.id for i in project.issues}
            entries = {k: v for k, v in memo.entries.items() if k in keys or k in live}
            atomic_write(folder / cache.ISSUES, cache.dump_issue_cache(entries))
        # The manifest goes last: a build cut short leaves the previous one in force, and
        # its keys only ever describe files older than what is in place.
        atomic_write(folder / cache.MANIFEST, manifest.to_json().encode("utf-8"))
        return Outcome(manifest, written, project.warnings, self.rendered)

    def _run(self, project: Project, theme: Theme, chosen: tuple[Issue, ...], out: Output) -> None:
        pub = project.publication
        attach = pub.email.pdf == "attach"
        bases = {kind: self._base(project, kind) for kind in TEMPLATES}
        tasks: list[tuple[Issue, tuple[str, ...], str | None, dict[str, str]]] = []
        wanted = {i.id for i in chosen}
        for issue in project.issues:
            pdf_key = digest(bases["pdf"], self._issue_key(issue.id))
            email_key = digest(bases["email"], self._issue_key(issue.id), pdf_key if attach else "")
            unit_keys = {"pdf": pdf_key, "email": email_key}
            todo: list[str] = []
            for kind in ("pdf", "email"):
                name = f"{kind}:{issue.id}"
                if kind not in self.editions:
                    continue
                if issue.id not in wanted:
                    if name in self.previous.units and self.previous.intact(
                        self.output_dir, self.previous.units[name].files
                    ):
                        self._keep(out, name)  # not asked for this time: left as it was
                    continue
                if self._clean(name, unit_keys[kind]):
                    self._keep(out, name)
                else:
                    todo.append(kind)
            if not todo:
                continue
            pdf_path = None
            if todo == ["email"] and attach and "pdf:" + issue.id in self.units:
                pdf_file = paths.site_file(paths.issue_dir(issue) + paths.pdf_name(pub, issue))
                pdf_path = str(self.output_dir / pdf_file)  # attach the PDF already built
            tasks.append((issue, tuple(todo), pdf_path, unit_keys))

        _STATE.update(theme=theme, project=project)
        with _workers(min(self.jobs, len(tasks))) as pool:
            futures: dict[Future[RenderedIssue], tuple[Issue, dict[str, str]]] = {}
            if pool is not None:
                for issue, kinds, pdf_path, unit_keys in tasks:
                    future = pool.submit(_render, issue.id, kinds, pdf_path)
                    futures[future] = (issue, unit_keys)
            # While the workers render PDFs and emails, this process renders the web edition.
            if "web" in self.editions:
                self._web(project, theme, bases["web"], out)
            done = 0
            if pool is None:
                for issue, kinds, pdf_path, unit_keys in tasks:
                    self._collect(out, issue, unit_keys, _render(issue.id, kinds, pdf_path))
                    done += 1
                    self._tick(done, len(tasks))
            for future in as_completed(futures):
                issue, unit_keys = futures[future]
                self._collect(out, issue, unit_keys, future.result())
                done += 1
                self._tick(done, len(tasks))

    def _tick(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def _collect(
        self, out: Output, issue: Issue, keys: dict[str, str], rendered: RenderedIssue
    ) -> None:
        for kind, files in rendered.editions.items():
            name = f"{kind}:{issue.id}"
            self._add(out, name, keys[kind], {p: rendered.files[p] for p in files})
            if kind == "email":
                self.units[name].notes = list(rendered.notes)

    def _web(self, project: Project, theme: Theme, base: str, out: Output) -> None:
        pages: list[tuple[str, str | Path]] = []
        page_keys = []
        for index, issue in enumerate(project.issues):
            name = f"page:{issue.id}"
            key = self._page_key(base, project.issues, index)
            page_keys.append(key)
            page = paths.issue_dir(issue) + "index.html"
            if self._clean(name, key):
                self._keep(out, name)
                pages.append((page, self.output_dir / paths.site_file(page)))
                continue
            files = issue_files(theme, project, issue)
            self._add(out, name, key, {paths.site_file(p): d for p, d in files.items()})
            pages.append((page, files[page]))
        for path, data in render_archive(theme, project, [p for p, _ in pages]).items():
            out.add(paths.site_file(path), data)
        search_key = digest(base, *page_keys)
        if self._clean("search", search_key):
            self._keep(out, "search")
        else:
            bundle = search_bundle(pages, project.publication.language.split("-")[0])
            self._add(out, "search", search_key, {paths.site_file(p): d for p, d in bundle.items()})


def _issue_names(inputs: Inputs) -> set[str]:
    """The issue folders that hold files, from the input digests."""
    names = set()
    for key in inputs.files:
        parts = key.split("/")
        if len(parts) > 3 and parts[0] == "content" and parts[1] == "issues":
            names.add(parts[2])
    return names
