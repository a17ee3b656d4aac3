"""Load the content folder into validated models, reporting every problem at once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from pydantic import BaseModel

from newsletter.contentfs import Listing, walk
from newsletter.errors import ContentError, Problem, display_path
from newsletter.incidents import archive_problems
from newsletter.lint import lint_issue, lint_periods
from newsletter.model import (
    IedTable,
    Issue,
    IssueMeta,
    Publication,
    Section,
    SectionEntry,
)
from newsletter.places import GAZETTEER, Index, check_issue_places, load_gazetteer
from newsletter.validation import validate
from newsletter.yamlsource import Document, read_yaml

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Project:
    """Everything loaded from a content folder: the publication, its issues (oldest first) and
    the editors' gazetteer (``places.load_gazetteer``), so that no renderer reads a file."""

    content_dir: Path
    publication: Publication
    issues: tuple[Issue, ...]
    gazetteer: Index
    warnings: tuple[Problem, ...] = field(default=())


def _read(
    files: Listing, relative: str, model: type[M], problems: list[Problem]
) -> tuple[Document | None, M | None]:
    """Read one content file the listing allows (a refused one is reported already)."""
    path = files.root / relative
    if relative in files.refused:
        return None, None
    if relative not in files.files:
        problems.append(Problem(display_path(path), 0, "", "file is missing"))
        return None, None
    doc, found = read_yaml(path)
    problems.extend(found)
    if doc is None:
        return None, None
    return doc, validate(doc, model, problems)


PlaceCheck = Callable[[Issue, Document], list[Problem]]


def load_issue(
    folder: Path, files: Listing, problems: list[Problem], check_places: PlaceCheck | None = None
) -> Issue | None:
    """Load one issue folder; append its problems and return None when it has errors.

    ``check_places`` checks the rows' places against the gazetteer, given the parsed
    ``ied.yaml`` (so that it is read once). ``files`` lists the content folder: only the files
    it allows are read."""
    before = len(problems)
    base = f"issues/{folder.name}/"
    meta_doc, meta = _read(files, base + "issue.yaml", IssueMeta, problems)
    ied_doc, ied = _read(files, base + "ied.yaml", IedTable, problems)
    entries: list[SectionEntry] = []
    section_docs: dict[str, Document] = {}
    if meta is not None and meta_doc is not None:
        _check_period(folder, meta_doc, meta, problems)
        for index, slug in enumerate(meta.sections):
            relative = f"{base}sections/{slug}.yaml"
            if relative in files.refused:
                continue  # reported with the listing
            if relative not in files.files:
                problems.append(
                    meta_doc.problem(
                        ("sections", index), f'no file sections/{slug}.yaml for section "{slug}"'
                    )
                )
                continue
            section_doc, section = _read(files, relative, Section, problems)
            if section is not None and section_doc is not None:
                entries.append(SectionEntry(slug=slug, section=section))
                section_docs[slug] = section_doc
        listed = set(meta.sections)
        for name in _section_files(files, base):
            stem = name.removesuffix(".yaml")
            if stem not in listed:
                problems.append(
                    meta_doc.problem(
                        ("sections",),
                        f'sections/{name} is not listed; add "{stem}" to sections',
                        at_key=True,
                    )
                )
        seen: set[str] = set()
        for index, slug in enumerate(meta.sections):
            if slug in seen:
                problems.append(meta_doc.problem(("sections", index), f'"{slug}" is listed twice'))
            seen.add(slug)
        if ied is not None and ied_doc is not None and meta.period.start <= meta.period.end:
            _check_incident_dates(ied_doc, ied, meta, problems)
    failed = any(p.severity == "error" for p in problems[before:])
    if failed or meta is None or ied is None or meta_doc is None or ied_doc is None:
        return None
    rows_at = tuple(ied_doc.position(("incidents", i)) for i in range(len(ied.incidents)))
    issue = Issue(id=folder.name, meta=meta, sections=tuple(entries), ied=ied, rows_at=rows_at)
    problems.extend(lint_issue(issue, meta_doc, ied_doc, section_docs, files.files))
    if check_places is not None:
        problems.extend(check_places(issue, ied_doc))
    return issue


def _check_period(folder: Path, doc: Document, meta: IssueMeta, problems: list[Problem]) -> None:
    start, end = meta.period.start, meta.period.end
    if end < start:
        problems.append(
            doc.problem(("period", "end"), f"the period ends ({end}) before it starts ({start})")
        )
    if folder.name != end.isoformat():
        problems.append(
            doc.problem(
                ("period", "end"),
                f'the issue folder is named "{folder.name}"; it must be the period\'s end date, '
                f'"{end.isoformat()}"',
            )
        )


def _check_incident_dates(
    doc: Document, ied: IedTable, meta: IssueMeta, problems: list[Problem]
) -> None:
    start, end = meta.period.start, meta.period.end
    for index, incident in enumerate(ied.incidents):
        if not start <= incident.date <= end:
            problems.append(
                doc.problem(
                    ("incidents", index, "date"),
                    f"{incident.date} is outside the issue's period ({start} to {end})",
                )
            )


def _section_files(files: Listing, base: str) -> list[str]:
    """The names of the ``.yaml`` files in an issue's ``sections/`` folder, sorted."""
    return sorted(n for n in files.names.get(base + "sections", ()) if n.endswith(".yaml"))


def issue_folders(content_dir: Path, files: Listing | None = None) -> list[Path]:
    """List the issue folders of a content folder, oldest first (those it may read)."""
    if files is None:
        files = walk(content_dir)
    names = (rel.removeprefix("issues/") for rel in files.folders if rel.startswith("issues/"))
    return sorted(content_dir / "issues" / name for name in names if "/" not in name)


class IssueMemo(Protocol):
    """Issues loaded by an earlier build, reused while their files are unchanged."""

    def lookup(self, folder: Path) -> tuple[Issue | None, list[Problem]] | None:
        """The issue and problems loaded from ``folder`` before, or None if it changed."""

    def store(self, folder: Path, issue: Issue | None, problems: list[Problem]) -> None:
        """Remember what was loaded from ``folder``."""


def load_project(
    content_dir: Path, only: Sequence[str] = (), memo: IssueMemo | None = None
) -> Project:
    """Load and validate the whole content folder; raise ContentError listing every problem.

    ``only`` names issues (by id or number) that must exist; every issue is still validated,
    because the index and the archive need them all.
    """
    problems: list[Problem] = []
    if not content_dir.is_dir():
        raise ContentError([Problem(display_path(content_dir), 0, "", "content folder not found")])
    files = walk(content_dir)  # every link out, loop or unreadable name, reported once
    problems.extend(files.problems)
    _, publication = _read(files, "newsletter.yaml", Publication, problems)
    issues: list[Issue] = []
    folders = issue_folders(content_dir, files)
    if not folders and "issues" not in files.refused:
        problems.append(Problem(display_path(content_dir / "issues"), 0, "", "no issues found"))
    gazetteer, found = ({}, []) if GAZETTEER in files.refused else load_gazetteer(content_dir)
    problems.extend(found)

    def check(issue: Issue, doc: Document) -> list[Problem]:
        return check_issue_places(doc, issue, gazetteer, content_dir)

    for folder in folders:
        known = memo.lookup(folder) if memo is not None else None
        if known is not None:
            issue, found = known
            problems.extend(found)
        else:
            before = len(problems)
            issue = load_issue(folder, files, problems, check)
            if memo is not None:
                memo.store(folder, issue, problems[before:])
        if issue is not None:
            issues.append(issue)
    _check_numbers(issues, content_dir, problems)
    problems.extend(archive_problems(content_dir, issues))  # ids and rows across issues
    names = {i.id for i in issues} | {str(i.number) for i in issues if i.number is not None}
    for name in only:
        if name not in names and not any(f.name == name for f in folders):
            problems.append(
                Problem(display_path(content_dir / "issues"), 0, "", f'no issue "{name}"')
            )
    issues.sort(key=lambda i: i.period.end)
    # Only over a whole archive: an issue that failed to load would look like a gap.
    if publication is not None and not any(p.severity == "error" for p in problems):
        problems.extend(lint_periods(content_dir, publication, issues))
    errors = [p for p in problems if p.severity == "error"]
    if errors or publication is None:
        raise ContentError(errors, [p for p in problems if p.severity != "error"])
    warnings = tuple(p for p in problems if p.severity != "error")
    log.info("loaded %d issue(s) from %s", len(issues), display_path(content_dir))
    return Project(content_dir, publication, tuple(issues), gazetteer, warnings)


def _check_numbers(issues: list[Issue], content_dir: Path, problems: list[Problem]) -> None:
    by_number: dict[int, str] = {}
    for issue in issues:
        if issue.number is None:
            continue
        if issue.number in by_number:
            path = display_path(content_dir / "issues" / issue.id / "issue.yaml")
            problems.append(
                Problem(
                    path,
                    1,
                    "number",
                    f"issue number {issue.number} is also used by issue {by_number[issue.number]}",
                )
            )
        by_number[issue.number] = issue.id


def position(project: Project, issue: Issue) -> int:
    """Where ``issue`` is in the project, oldest first. By identity: comparing issues field
    by field, as ``tuple.index`` would, costs milliseconds each in a large archive."""
    for index, candidate in enumerate(project.issues):
        if candidate is issue:
            return index
    return project.issues.index(issue)  # an equal copy, e.g. from another process


def select(project: Project, only: Sequence[str]) -> tuple[Issue, ...]:
    """Return the issues named in ``only`` (ids or numbers), or all of them."""
    if not only:
        return project.issues
    wanted = set(only)
    return tuple(i for i in project.issues if i.id in wanted or i.ref in wanted)
