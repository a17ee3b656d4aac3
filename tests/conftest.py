"""Shared fixtures: small projects written into tmp_path, and one build of the full sample."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from newsletter.commands.build import BuildResult, build

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))  # the synthetic archive generator
CONTENT = ROOT / "content"
pytest_plugins = ["store_databases"]  # database_url, pg_url: the store on SQLite and PostgreSQL
SAMPLE_ID = "2021-11-11"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens", action="store_true", help="rewrite golden files from current output"
    )


@pytest.fixture(autouse=True, scope="session")
def _pinned_environment() -> None:
    # Goldens must not depend on the machine: pin time zone and locale.
    os.environ["TZ"] = "UTC"
    os.environ["LC_ALL"] = "C.UTF-8"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the sample content in tmp_path, to break at will."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


@pytest.fixture
def light(project: Path) -> Path:
    """The sample with the PDF linked, not attached: smaller messages, quicker send tests."""
    settings = project / "newsletter.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace("date_formats:", "email:\n  pdf: link\ndate_formats:", 1), encoding="utf-8"
    )
    return project


@pytest.fixture
def write() -> Callable[[Path, str], Path]:
    """Write a dedented file, creating folders."""

    def _write(path: Path, text: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


class SampleBuild:
    """The sample built once per session, and readers for its editions."""

    def __init__(self, output: Path, result: BuildResult) -> None:
        self.output = output
        self.result = result
        self.issue_dir = output / "site" / "issues" / SAMPLE_ID
        self.email_html = output / "email" / SAMPLE_ID / "email.html"
        self.web_html = self.issue_dir / "index.html"
        self.pdf = self.issue_dir / "ishm-328.pdf"

    def pdf_text(self) -> str:
        """The PDF's text as pdftotext extracts it, keeping the layout of rows."""
        done = subprocess.run(
            ["pdftotext", "-layout", "-enc", "UTF-8", str(self.pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampleBuild]:
    """Build the full sample once for the session."""
    output = tmp_path_factory.mktemp("sample-output")
    result = build(CONTENT, output)
    yield SampleBuild(output, result)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the session (see tests/browser.py)."""
    import browser as chromium_browser

    if not chromium_browser.available():
        pytest.fail("Chromium is not installed: run scripts/setup.sh")
    with chromium_browser.chromium() as driver:
        yield driver
