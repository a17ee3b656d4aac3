"""``newsletter import``: bring past issues in from the monitor's text and web exports.

Each source is read (``text.py``, ``html.py``, ``wordpress.py``) into blocks, the blocks into
an issue (``assemble.py``, ``table.py``), the issue into content files (``issue.py``), and
the files are written all-or-none (``writeout.py``). Then the content is checked as
``newsletter check`` would, and its findings on the imported issues are returned.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from newsletter.errors import ContentError, Problem, display_path
from newsletter.importers import writeout
from newsletter.importers.assemble import Options, assemble
from newsletter.importers.html import read_page
from newsletter.importers.issue import files as issue_files
from newsletter.importers.parts import Findings, ParsedIssue, Period, Source
from newsletter.importers.text import read_text
from newsletter.importers.wordpress import is_wxr, read_wxr
from newsletter.loader import issue_folders, load_project
from newsletter.model import Publication
from newsletter.validation import validate
from newsletter.yamlsource import read_yaml

log = logging.getLogger(__name__)


@dataclass
class ImportResult:
    """What an import did (or, with ``dry_run``, would do)."""

    issues: list[ParsedIssue]
    created: list[Path] = field(default_factory=list)
    replaced: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # about the sources
    findings: list[Problem] = field(default_factory=list)  # `check` on the imported issues
    dry_run: bool = False

    @property
    def incidents(self) -> int:
        """How many IED table rows were imported."""
        return sum(len(issue.rows) for issue in self.issues)


def _publication(content_dir: Path) -> Publication:
    problems: list[Problem] = []
    path = content_dir / "newsletter.yaml"
    if not path.is_file():
        message = "file is missing; import into a content folder that has its newsletter.yaml"
        raise ContentError([Problem(display_path(path), 0, "", message)])
    doc, found = read_yaml(path)
    problems.extend(found)
    publication = validate(doc, Publication, problems) if doc is not None else None
    errors = [p for p in problems if p.severity == "error"]
    if errors or publication is None:
        raise ContentError(errors)
    return publication


def read_sources(paths: Sequence[Path], findings: Findings) -> list[Source]:
    """Read each file as a WordPress export, a saved page or a text export."""
    sources: list[Source] = []
    for path in paths:
        shown = display_path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            findings.error(Source(shown, path.name, []), 0, "", f"cannot read: {exc.strerror}")
            continue
        head = data[:1024].lstrip().lower()
        if is_wxr(data):
            sources.extend(read_wxr(shown, path.name, data, findings))
        elif path.suffix.lower() in (".html", ".htm") or head.startswith((b"<!doctype", b"<html")):
            if (page := read_page(shown, path.name, data, findings)) is not None:
                sources.append(page)
        elif (text := read_text(shown, path.name, data, findings)) is not None:
            sources.append(text)
    return sources


def _existing_numbers(content_dir: Path) -> dict[int, str]:
    numbers: dict[int, str] = {}
    for folder in issue_folders(content_dir):
        try:
            data = yaml.safe_load((folder / "issue.yaml").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and isinstance(data.get("number"), int):
            numbers[data["number"]] = folder.name
    return numbers


def _clashes(issues: list[ParsedIssue], content_dir: Path, findings: Findings) -> None:
    """Two sources of one issue, or a number another issue of the archive already has."""
    taken = _existing_numbers(content_dir)
    by_id: dict[str, ParsedIssue] = {}
    for issue in issues:
        if issue.id in by_id:
            first = by_id[issue.id].source
            findings.error(
                issue.source, 1, "period", f"issue {issue.id} is also imported from {first.path}"
            )
        by_id[issue.id] = issue
        owner = taken.get(issue.number)
        if owner is not None and owner != issue.id:
            findings.error(
                issue.source, 1, "number", f"issue number {issue.number} is used by issue {owner}"
            )
        taken[issue.number] = issue.id


def run(
    sources: Sequence[Path],
    content_dir: Path,
    replace: bool = False,
    number: int | None = None,
    period: Period | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import ``sources`` into ``content_dir``; raise ContentError (nothing written) if any
    part of any source cannot be read."""
    publication = _publication(content_dir)
    options = Options(
        number,
        period,
        publication.reference_guide.link_text,
        (publication.footer, publication.subscribe.text),
        publication.short_name,
    )
    findings = Findings()
    issues = [
        issue
        for source in read_sources(sources, findings)
        if (issue := assemble(source, findings, options)) is not None
    ]
    _clashes(issues, content_dir, findings)
    folders: dict[Path, dict[str, str]] = {}
    for issue in issues:
        folders[content_dir / "issues" / issue.id] = issue_files(
            issue, findings, publication.short_name
        )
    the_plan = writeout.plan(folders, replace)
    for folder in the_plan.refused:
        issue = next(i for i in issues if i.id == folder.name)
        findings.error(
            issue.source,
            1,
            "",
            f"{display_path(folder)} already exists and differs; nothing was written "
            "(--replace replaces it)",
        )
    if findings.errors:
        raise ContentError(findings.errors, findings.warnings)
    result = ImportResult(issues, warnings=findings.warnings, dry_run=dry_run)
    result.created = sorted(the_plan.create)
    result.replaced = sorted(the_plan.replace)
    result.unchanged = sorted(the_plan.unchanged)
    if dry_run:
        return result
    writeout.write(the_plan)
    result.findings = _check(content_dir, list(folders))
    return result


def _check(content_dir: Path, folders: list[Path]) -> list[Problem]:
    """What ``newsletter check`` says about the imported issues."""
    try:
        project = load_project(content_dir)
        found = list(project.warnings)
    except ContentError as exc:
        found = list(exc.problems) + list(exc.warnings)
    prefixes = tuple(display_path(folder) + "/" for folder in folders)
    return sorted(p for p in found if p.path.startswith(prefixes))
