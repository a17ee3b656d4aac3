"""Golden files for the rendered email HTML and the print HTML fed to WeasyPrint.

Refresh them with ``make goldens`` after an intended change, and review the diff.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from conftest import CONTENT, SAMPLE_ID

from newsletter.loader import load_project
from newsletter.render.context import issue_context
from newsletter.render.email import render_email_html
from newsletter.render.pdf import render_print_html
from newsletter.theme import make_theme

GOLDENS = Path(__file__).parent / "goldens"


def _compare(request: pytest.FixtureRequest, name: str, actual: str) -> None:
    golden = GOLDENS / name
    if request.config.getoption("--update-goldens"):
        golden.write_text(actual, encoding="utf-8")
        return
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True), actual.splitlines(True), str(golden), "rendered", n=2
            )
        )
        pytest.fail(f"{name} differs from its golden file (make goldens to refresh):\n{diff}")


@pytest.fixture(scope="module")
def context() -> dict[str, object]:
    project = load_project(CONTENT)
    issue = next(i for i in project.issues if i.id == SAMPLE_ID)
    return issue_context(project, issue)


def test_email_html_golden(request: pytest.FixtureRequest, context: dict[str, object]) -> None:
    _compare(request, "email.html", render_email_html(make_theme(), context))


def test_print_html_golden(request: pytest.FixtureRequest, context: dict[str, object]) -> None:
    _compare(request, "print.html", render_print_html(make_theme(), context))
