"""A web-only build on two cores (content read and pages rendered by a forked worker too) makes
exactly what one process makes, and reports a broken issue the worker read as one process does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from synthetic import generate

ROOT = Path(__file__).resolve().parents[1]
ISSUES = 40  # above both thresholds: the worker reads 20 issues and renders 30 pages


def build(content: Path, output: Path, jobs: int) -> subprocess.CompletedProcess[str]:
    command = ["build", "--content", str(content), "--output", str(output), "--web-only"]
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *command, "--jobs", str(jobs)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def site(output: Path) -> dict[str, bytes]:
    root = output / "site"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("parallel") / "content", issues=ISSUES)


def test_two_processes_make_what_one_makes(content: Path, tmp_path: Path) -> None:
    one, two = build(content, tmp_path / "one", 1), build(content, tmp_path / "two", 2)
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    assert two.stderr == one.stderr  # the same warnings, in the same order
    assert site(tmp_path / "two") == site(tmp_path / "one")


def test_a_broken_issue_read_by_the_worker_is_reported_alike(content: Path, tmp_path: Path) -> None:
    broken = tmp_path / "content"
    subprocess.run(["cp", "-r", str(content), str(broken)], check=True)
    newest = sorted((broken / "issues").iterdir())[-1]  # in the worker's half
    ied = newest / "ied.yaml"
    ied.write_text(ied.read_text("utf-8").replace("deaths:", "deaths: [", 1), "utf-8")
    one, two = build(broken, tmp_path / "one", 1), build(broken, tmp_path / "two", 2)
    assert one.returncode == two.returncode == 1
    assert two.stderr == one.stderr and f"{newest.name}/ied.yaml:" in two.stderr
    assert not (tmp_path / "two" / "site").exists()  # nothing written
