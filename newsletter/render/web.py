"""The web edition: a page per issue and an index of every issue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from newsletter.compute import period_text, summarise
from newsletter.loader import Project
from newsletter.model import Issue
from newsletter.theme import Theme


def render_issue_page(theme: Theme, context: dict[str, Any]) -> str:
    """Render one issue's web page."""
    return theme.render("web/issue.html", **context)


def render_index(theme: Theme, project: Project, issues: Sequence[Issue] | None = None) -> str:
    """Render the index of issues, newest first."""
    pub = project.publication
    listed = list(reversed(issues if issues is not None else project.issues))
    entries = [
        {"issue": i, "period": period_text(i, pub), "ied": summarise(i, pub)} for i in listed
    ]
    return theme.render("web/index.html", pub=pub, entries=entries)
