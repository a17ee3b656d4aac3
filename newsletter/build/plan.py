"""The work of a build that has something to do: redo each piece whose key changed.

Pieces ("units") and what their keys are made of:

- ``pdf:<id>``: the issue's files, the gazetteer, the print templates, the settings the PDF
  reads, the tool;
- ``email:<id>``: the same with the email templates, and the PDF's key when it is attached;
- ``page:<id>``: the issue's files, the web templates and settings, and what the page shows of
  its neighbours: the previous issue's ``issue.yaml`` and ``ied.yaml`` ("change from
  previous", its link) and the next issue's ``issue.yaml`` (its link);
- ``archive``: every issue's files with the web templates and settings (index, governorate
  pages, data downloads, feed, sitemap, search page);
- ``search:<year>``: the keys of that year's pages (one Pagefind bundle per year).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, as_completed
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from newsletter import paths
from newsletter.build import cache
from newsletter.build.cache import Inputs, Manifest, Unit, digest
from newsletter.build.commit import OutputFolder
from newsletter.build.loading import SharedLoad
from newsletter.build.webpart import build_web
from newsletter.build.workers import Job, Result, Workers, render
from newsletter.build.writer import Output
from newsletter.errors import Problem
from newsletter.loader import Project, load_project, select
from newsletter.model import Issue, Publication
from newsletter.render import layouts
from newsletter.render.issue import RenderedIssue, finish_message
from newsletter.render.map import MAX_NUMBERED, issue_places
from newsletter.theme import Theme, make_theme

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (done, total) of the issues' PDF and email work

TEMPLATES = {
    "pdf": ("templates/print/", "templates/partials/"),
    "email": ("templates/email/", "templates/partials/"),
    "web": ("templates/web/", "templates/partials/", "templates/service/"),
}
EDITION_OF = {"pdf": "pdf", "email": "email", "page": "web", "search": "web", "archive": "web"}
# Issues a worker renders before the pool is replaced: a worker grows from 111 to 126 MiB over
# 80 documents, and each replacement costs about 1.6 s (importing WeasyPrint again).
TASKS_PER_WORKER = 80
# The settings each kind of work does not read: editing them leaves that work alone.
UNUSED_SETTINGS = {"pdf": {"email", "smtp"}, "email": {"smtp"}, "web": {"email", "smtp", "pdf"}}


@dataclass
class Outcome:
    """What the build made: the new manifest, the files that changed, the units redone."""

    manifest: Manifest
    written: list[Path]
    warnings: tuple[Problem, ...]
    rendered: list[str] = field(default_factory=list)


class Build:
    """One build of a content folder into an output folder, given the last build's manifest."""

    def __init__(
        self,
        content_dir: Path,
        folder: OutputFolder,
        templates: Path,
        inputs: Inputs,
        previous: Manifest,
        editions: tuple[str, ...],
        progress: Progress | None = None,
        jobs: int | None = None,
    ) -> None:
        self.content_dir = content_dir
        self.folder = folder
        self.output_dir = folder.root
        self.current = folder.current  # the generation in force: the last build's files
        self.templates = templates
        self.inputs = inputs
        self.previous = previous
        self.editions = editions
        self.progress = progress
        self.jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        self.units: dict[str, Unit] = {}
        self.layout_keys: dict[str, str] = {}  # each issue's map layout key, by issue id
        self.rendered: list[str] = []

    # Keys ---------------------------------------------------------------------------------

    def issue_key(self, issue_id: str) -> str:
        return self.inputs.issue_digests.get(issue_id, digest())

    def _base(self, project: Project, kind: str) -> str:
        settings = project.publication.model_dump_json(exclude=UNUSED_SETTINGS[kind])
        return digest(
            kind,
            self.inputs.tool,
            settings,
            self.inputs.group(*TEMPLATES[kind]),
            self.inputs.get("content/gazetteer.yaml"),
        )

    def page_key(self, base: str, issues: tuple[Issue, ...], index: int) -> str:
        issue = issues[index]
        facts = [base, self.issue_key(issue.id)]
        if index > 0:
            before = f"content/issues/{issues[index - 1].id}/"
            facts += [
                before,
                self.inputs.get(before + "issue.yaml"),
                self.inputs.get(before + "ied.yaml"),
            ]
        if index + 1 < len(issues):
            after = issues[index + 1].id
            facts += [after, self.inputs.get(f"content/issues/{after}/issue.yaml")]
        return digest(*facts)

    def clean(self, name: str, key: str) -> bool:
        """Whether unit ``name`` was made under ``key`` and its files are untouched."""
        unit = self.previous.units.get(name)
        return (
            unit is not None
            and unit.key == key
            and self.current is not None
            and self.previous.intact(self.current, unit.files)
        )

    def keep(self, out: Output, name: str) -> None:
        unit = self.previous.units[name]
        for path in unit.files:
            out.keep(path)
        self.units[name] = unit

    def add(
        self, out: Output, name: str, key: str, files: Mapping[str, bytes | str]
    ) -> dict[str, Path]:
        """Write a unit's files into this build's generation; return where each is."""
        where = {path: out.add(path, data) for path, data in files.items()}
        self.units[name] = Unit(key, sorted(files))
        self.rendered.append(name)
        return where

    # The build ----------------------------------------------------------------------------

    def run(self, only: Sequence[str], fingerprint: str) -> Outcome:
        """Load, render what changed, write; leave the output as it was if anything fails."""
        names = tuple(only)
        keys = {
            folder: digest(
                self.inputs.tool,
                os.getcwd(),  # the problems found hold paths as shown from here
                str(self.content_dir.resolve()),
                self.inputs.get("content/gazetteer.yaml"),
                self.issue_key(folder),
            )
            for folder in self.inputs.issue_digests
        }
        generation = self.folder.new_generation()
        out = Output(generation, self.current)
        workers = Workers()
        loader = Workers("content")
        try:
            likely = self._likely_issues()
            if self.jobs > 1 and likely:
                # Fewer issues than cores (an edit): their emails will be split off (see _run).
                count = min(self.jobs, 2 * likely) if likely < self.jobs else self.jobs
                workers.start(count, light=count - likely if likely < self.jobs else 0)
            entries, stored = cache.load_issue_cache(self.current, self.inputs.tool)
            layouts.remember(stored)
            memo = cache.IssueCache(entries, keys)
            # Both cores read the content when no PDF worker is starting on the other.
            shared = (
                SharedLoad(memo, self.content_dir, loader)
                if self.jobs > 1 and workers.pool is None
                else memo
            )
            project = load_project(self.content_dir, names, shared)
            loader.close()
            theme = make_theme(self.templates)
            self._run(project, theme, select(project, names), out, workers)
            workers.close()
            manifest = Manifest(
                fingerprint=fingerprint,
                tool=self.inputs.tool,
                inputs=dict(self.inputs.files),
                units=self.units,
                files=out.stamps(),
                issues=[i.id for i in select(project, names)],
                warnings=[asdict(w) for w in project.warnings],
            )
            # The layouts of the issues' maps as they are now: an edited table's old one goes.
            kept = layouts.take(self.layout_keys.values())
            if memo.changed or kept.keys() != stored.keys():
                live = {k: v for k, v in memo.entries.items() if k in keys}  # deleted: dropped
                data = cache.dump_issue_cache(live, self.inputs.tool, kept)
                out.record(cache.ISSUES, data)
            else:
                out.record(cache.ISSUES, None)  # the last build's, linked
            # The manifest is part of the generation: it describes exactly the files beside
            # it, and comes into force with them.
            out.record(cache.MANIFEST, manifest.to_json().encode("utf-8"))
            self.folder.switch(generation)
        except BaseException:
            loader.close(abort=True)
            workers.close(abort=True)
            self.folder.discard(generation)
            raise
        written = out.changes(self.output_dir, self.previous.files)
        return Outcome(manifest, written, project.warnings, self.rendered)

    def _layout_keys(self, project: Project) -> dict[str, str]:
        """The layout key of each issue's map, by issue id (none for an empty table)."""
        found = {}
        for issue in project.issues:
            located = issue_places(project, issue)
            if located:
                found[issue.id] = layouts.layout_key(located, len(located) > MAX_NUMBERED)
        return found

    def _likely_issues(self) -> int:
        """How many issues' PDFs and emails this build will probably redo, from the inputs
        that changed since the last build (decided before loading, to start workers early)."""
        if not {"pdf", "email"} & set(self.editions):
            return 0
        before, now = self.previous.inputs, self.inputs.files
        if self.previous.tool != self.inputs.tool:
            return len(self.inputs.issue_digests)
        changed = {k for k in before.keys() | now.keys() if before.get(k) != now.get(k)}
        shared = ("content/newsletter.yaml", "content/gazetteer.yaml", *TEMPLATES["pdf"])
        if any(k.startswith((*shared, *TEMPLATES["email"])) for k in changed):
            return len(self.inputs.issue_digests)
        return len({k.split("/")[2] for k in changed if k.startswith("content/issues/")})

    def _run(
        self,
        project: Project,
        theme: Theme,
        chosen: tuple[Issue, ...],
        out: Output,
        workers: Workers,
    ) -> None:
        pub = project.publication
        attach = pub.email.pdf == "attach"
        bases = {kind: self._base(project, kind) for kind in TEMPLATES}
        self.layout_keys = self._layout_keys(project)
        pending: list[tuple[Job, dict[str, str]]] = []  # each issue's work and its unit keys
        wanted = {i.id for i in chosen}
        for position, issue in enumerate(project.issues):
            pdf_key = digest(bases["pdf"], self.issue_key(issue.id))
            email_key = digest(bases["email"], self.issue_key(issue.id), pdf_key if attach else "")
            unit_keys = {"pdf": pdf_key, "email": email_key}
            todo: list[str] = []
            for kind in ("pdf", "email"):
                name = f"{kind}:{issue.id}"
                if kind not in self.editions or issue.id not in wanted:
                    continue  # not asked for this time: carried over below
                if self.clean(name, unit_keys[kind]):
                    self.keep(out, name)
                else:
                    todo.append(kind)
            if not todo:
                continue
            pdf_path = None
            if todo == ["email"] and attach and "pdf:" + issue.id in self.units:
                pdf_file = paths.site_file(paths.issue_dir(issue) + paths.pdf_name(pub, issue))
                pdf_path = str(out.root / pdf_file)  # attach the PDF already built
            neighbours = project.issues[max(0, position - 1) : position + 2]
            job = Job(
                self.content_dir,
                self.templates,
                pub,
                project.gazetteer,
                neighbours,
                min(position, 1),
                tuple(todo),
                pdf_path,
                layouts.take([self.layout_keys.get(issue.id, "")]),  # laid out already, if known
            )
            pending.append((job, unit_keys))

        split = 0
        if self.jobs > 1 and len(pending) < self.jobs:
            # Fewer issues than cores (an edit): an issue's email goes to a worker of its own,
            # beside its PDF's, and its message is finished here when the PDF is done.
            pending, split = _split(pending)
        # Even one PDF goes to a worker when there are two cores: this process renders the
        # web edition meanwhile. ``jobs=1`` keeps everything in this process.
        if self.jobs > 1:
            workers.start(min(self.jobs, len(pending)), light=split)
        total = len(pending)
        futures: dict[Future[Result], tuple[Issue, dict[str, str]]] = {}
        held: dict[str, RenderedIssue] = {}  # split issues' emails waiting for their PDF
        pdfs: dict[str, bytes] = {}  # and their PDFs, until the email comes
        split_ids = {job.issue.id for job, _ in pending if job.pdf_elsewhere}

        def submit_batch() -> None:
            batch = pending[: workers.count * TASKS_PER_WORKER]
            del pending[: len(batch)]
            for job, unit_keys in batch:
                futures[workers.submit(job)] = (job.issue, unit_keys)

        if workers.pool is not None:
            submit_batch()
        if "web" in self.editions:
            # Pages in two processes only while no PDF or email work holds the cores.
            apart = self.jobs > 1 and workers.pool is None
            build_web(self, project, theme, bases["web"], out, apart)
        done = 0
        if workers.pool is None:
            for job, unit_keys in pending:
                self._collect(out, job.issue, unit_keys, render(job))
                done += 1
                self._tick(done, total)
        while futures:
            for future in as_completed(list(futures)):
                # Popped, so that the finished PDF and email are freed once written: holding
                # every result costs half a megabyte an issue.
                issue, unit_keys = futures.pop(future)
                rendered, records, laid_out = workers.result(future)
                layouts.remember(laid_out)  # the worker's map layouts, for the issue cache
                for name, level, message in records:
                    # Logged here, where the caller's handlers are (a terminal, a test, a file).
                    logging.getLogger(name).log(level, message)
                ready = [rendered]
                if issue.id in split_ids:
                    ready = self._pair(pub, issue, rendered, held, pdfs)
                for part in ready:
                    self._collect(out, issue, unit_keys, part)
                done += 1
                self._tick(done, total)
            if pending:
                workers.restart()
                submit_batch()

        self._carry(project, wanted, out)

    def _pair(
        self,
        pub: Publication,
        issue: Issue,
        rendered: RenderedIssue,
        held: dict[str, RenderedIssue],
        pdfs: dict[str, bytes],
    ) -> list[RenderedIssue]:
        """What to write now of a split issue's result: its PDF at once, its email once the
        message has the PDF to attach (whichever of the two comes first waits for the other)."""
        if rendered.message is not None:  # the email, waiting for its PDF
            if issue.id not in pdfs:
                held[issue.id] = rendered
                return []
            finish_message(pub, rendered, rendered.message, pdfs.pop(issue.id))
            return [rendered]
        if "pdf" not in rendered.editions:  # an email that attaches nothing
            return [rendered]
        pdf = rendered.files[rendered.editions["pdf"][0]]
        email = held.pop(issue.id, None)
        if email is None or email.message is None:
            pdfs[issue.id] = pdf
            return [rendered]
        finish_message(pub, email, email.message, pdf)
        return [rendered, email]

    def _carry(self, project: Project, wanted: set[str], out: Output) -> None:
        """Keep the last build's work that this build was not asked to redo: other editions,
        issues not named. Work for an issue that no longer exists is dropped."""
        live = {i.id for i in project.issues}
        for name, unit in self.previous.units.items():
            kind, _, issue_id = name.partition(":")
            dropped = kind in ("pdf", "email", "page") and issue_id not in live
            if name in self.units or dropped:
                continue
            asked = EDITION_OF.get(kind, "web") in self.editions
            if asked and (kind not in ("pdf", "email") or issue_id in wanted):
                continue  # this build made it afresh, or decided it is no longer needed
            if self.current is not None and self.previous.intact(self.current, unit.files):
                self.keep(out, name)

    def _tick(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def _collect(
        self, out: Output, issue: Issue, keys: dict[str, str], rendered: RenderedIssue
    ) -> None:
        for kind, files in rendered.editions.items():
            name = f"{kind}:{issue.id}"
            self.add(out, name, keys[kind], {p: rendered.files[p] for p in files})
            if kind == "email":
                self.units[name].notes = list(rendered.notes)


def _split(
    pending: list[tuple[Job, dict[str, str]]],
) -> tuple[list[tuple[Job, dict[str, str]]], int]:
    """Each issue's PDF and email as two jobs, the PDFs first; and how many emails were split
    off (their workers need cairosvg, not WeasyPrint)."""
    pdfs, emails = [], []
    for job, keys in pending:
        if job.kinds == ("pdf", "email"):
            pdfs.append((replace(job, kinds=("pdf",)), keys))
            emails.append((replace(job, kinds=("email",), pdf_elsewhere=True), keys))
        else:
            pdfs.append((job, keys))
    return pdfs + emails, len(emails)
