"""The values every template of an issue sees, computed once."""

from __future__ import annotations

from typing import Any

from newsletter import headers, paths
from newsletter.archive import key_figures
from newsletter.compute import format_date, summarise
from newsletter.loader import Project, position
from newsletter.model import Issue
from newsletter.render.map import MAP_FILE, issue_map


def issue_context(project: Project, issue: Issue) -> dict[str, Any]:
    """Build the template context of one issue."""
    pub = project.publication
    index = position(project, issue)
    return {
        "pub": pub,
        "issue": issue,
        "ied": summarise(issue, pub),
        "key_figures": key_figures(project, issue),
        "period": headers.period_text(issue, pub),
        "title": headers.title(issue, pub),
        "masthead": headers.masthead(issue, pub),
        "label": lambda other: headers.label(other, pub),
        "table_date": lambda day: format_date(day, pub.date_formats.table),
        "long_date": lambda day: format_date(day, pub.date_formats.long),
        "issue_url": paths.issue_url(pub, issue),
        "pdf_url": paths.pdf_url(pub, issue),
        "pdf_name": paths.pdf_name(pub, issue),
        "previous": project.issues[index - 1] if index > 0 else None,
        "next": project.issues[index + 1] if index + 1 < len(project.issues) else None,
        "ied_map": issue_map(project, issue),
        "map_src": MAP_FILE,
    }
