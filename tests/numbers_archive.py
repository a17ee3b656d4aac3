"""Small archives of the monitor's real period shapes, written into a content folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

Row = tuple[str, str, object, object]  # date, governorate, deaths, injuries


def write_issue(
    content: Path,
    number: int,
    start: str,
    end: str,
    rows: list[Row],
    summary: str = "A quiet period.",
) -> None:
    """Write one issue with one section (its takeaway ``summary``) and the IED ``rows``."""
    folder = content / "issues" / end
    (folder / "sections").mkdir(parents=True)
    (folder / "issue.yaml").write_text(
        textwrap.dedent(f"""\
            number: {number}
            period:
              start: {start}
              end: {end}
            sections:
              - security
            """),
        encoding="utf-8",
    )
    (folder / "sections" / "security.yaml").write_text(
        textwrap.dedent(f"""\
            title: Security
            takeaway:
              summary: "{summary}"
            stories:
              - A story.
            """),
        encoding="utf-8",
    )
    lines = ["note: IEDs, VBIEDs and suicide attacks.", "incidents:" if rows else "incidents: []"]
    for day, province, deaths, injuries in rows:
        lines += [
            f"  - date: {day}",
            f"    province: {province}",
            f'    deaths: "{deaths}"',
            f'    injuries: "{injuries}"',
        ]
    (folder / "ied.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def new_content(tmp_path: Path) -> Path:
    """A content folder with the sample's settings and gazetteer and no issue."""
    content = tmp_path / "content"
    content.mkdir()
    for name in ("newsletter.yaml", "gazetteer.yaml"):
        shutil.copy(ROOT / "content" / name, content / name)
    return content


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as an editor does."""
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def takeaway_warnings(content: Path) -> list[str]:
    """The takeaway-vs-table warnings ``newsletter check`` prints, without their location."""
    done = run("check", "--content", str(content))
    assert done.returncode == 0, done.stdout + done.stderr
    marker = ": warning: takeaway.summary: "
    return [line.split(marker, 1)[1] for line in done.stdout.splitlines() if marker in line]
