"""Periods and headers as the monitor writes them: ``new``'s proposals, ``check``'s period
warnings, and the header of every edition in each style. Driven through the CLI."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import yaml

from newsletter.headers import format_period
from newsletter.model import HeaderStyle

ROOT = Path(__file__).resolve().parents[1]
Write = Callable[[Path, str], Path]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the tool as a user does."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def archive(tmp_path: Path, write: Write, periods: list[tuple[str, str, int | None]]) -> Path:
    """A small archive: the sample's newsletter.yaml and one short issue per period."""
    content = tmp_path / "content"
    content.mkdir()
    shutil.copy(ROOT / "content" / "newsletter.yaml", content / "newsletter.yaml")
    for start, end, number in periods:
        folder = content / "issues" / end
        write(
            folder / "issue.yaml",
            f"""
            # ISHM {number}. The folder name is the period's end date.
            number: {"" if number is None else number}
            period:
              start: {start}
              end: {end}
            published: {end}
            sections:
              - politics  # the only section of these small issues
            """,
        )
        write(
            folder / "sections" / "politics.yaml",
            """
            # Politics: the week's headline first.
            title: A headline
            stories:
              - A story.
            """,
        )
        write(
            folder / "ied.yaml",
            """
            # The IED table. Totals are computed; never type them.
            note: Both civilians and security forces.
            incidents: []
            """,
        )
    return content


def proposed(content: Path, *args: str) -> str:
    done = cli("new", "--content", str(content), *args)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[0]


SEVEN_DAY = [  # 2018: Friday to Thursday
    ("2018-11-30", "2018-12-06", 150),
    ("2018-12-07", "2018-12-13", 151),
    ("2018-12-14", "2018-12-20", 152),
]
EIGHT_DAY = [  # since 2019: Thursday to Thursday
    ("2021-10-28", "2021-11-04", 327),
    ("2021-11-04", "2021-11-11", 328),
]
HOLIDAY = [  # an 8-day cadence, then 15 days over the holidays
    ("2022-12-01", "2022-12-08", 380),
    ("2022-12-08", "2022-12-15", 381),
    ("2022-12-15", "2022-12-29", 382),
]


@pytest.mark.parametrize(
    ("periods", "args", "line"),
    [
        (SEVEN_DAY, (), "Created issue 153 (2018-12-21 to 2018-12-27)"),
        (EIGHT_DAY, (), "Created issue 329 (2021-11-11 to 2021-11-18)"),
        # Back to 8 days after the holiday, across the new year.
        (HOLIDAY, (), "Created issue 383 (2022-12-29 to 2023-01-05)"),
        # --end alone starts where the last issue ended.
        (HOLIDAY, ("--end", "2023-01-12"), "Created issue 383 (2022-12-29 to 2023-01-12)"),
        (EIGHT_DAY, ("--start", "2021-11-11"), "Created issue 329 (2021-11-11 to 2021-11-18)"),
        # The last issue had no number: the next takes the one after the highest.
        ([*EIGHT_DAY, ("2021-11-11", "2021-11-18", None)], (), "Created issue 329"),
        # Renumbered: the latest issue is 330, but 331 is taken.
        (
            [("2021-11-04", "2021-11-11", 331), ("2021-11-11", "2021-11-18", 330)],
            (),
            "Created issue 332",
        ),
    ],
    ids=["7-day", "8-day", "after-holiday", "end-alone", "start-alone", "no-number", "renumbered"],
)
def test_new_proposes(
    tmp_path: Path,
    write: Write,
    periods: list[tuple[str, str, int | None]],
    args: tuple[str, ...],
    line: str,
) -> None:
    content = archive(tmp_path, write, periods)
    assert proposed(content, *args).startswith(line)
    done = cli("check", "--content", str(content))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "overlaps" not in done.stdout and "gap" not in done.stdout


def test_new_follows_the_configured_cadence(tmp_path: Path, write: Write) -> None:
    content = archive(tmp_path, write, EIGHT_DAY)
    settings = content / "newsletter.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + "period: {days: 7, overlap: 0}\n", encoding="utf-8"
    )
    assert proposed(content).startswith("Created issue 329 (2021-11-12 to 2021-11-18)")


def test_new_writes_plain_yaml_and_keeps_comments(tmp_path: Path, write: Write) -> None:
    content = archive(tmp_path, write, EIGHT_DAY)
    proposed(content)
    folder = content / "issues" / "2021-11-18"
    issue = (folder / "issue.yaml").read_text(encoding="utf-8")
    assert issue == textwrap.dedent(
        """\
        # ISHM 329. The folder name is the period's end date.
        number: 329
        period:
          start: 2021-11-11
          end: 2021-11-18
        published: 2021-11-18
        sections:
          - politics  # the only section of these small issues
        """
    )
    for path in folder.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"[&*]id0", text), path
        yaml.safe_load(text)
    ied = (folder / "ied.yaml").read_text(encoding="utf-8")
    assert "# The IED table. Totals are computed; never type them.\n" in ied
    assert ied.endswith("note: Both civilians and security forces.\nincidents: []\n")
    section = (folder / "sections" / "politics.yaml").read_text(encoding="utf-8")
    assert section.startswith("# Politics: the week's headline first.\n")


def test_new_edits_a_flow_style_issue_in_place(tmp_path: Path, write: Write) -> None:
    # A flow-style issue.yaml (period on one line) is edited in place too.
    content = archive(tmp_path, write, EIGHT_DAY)
    path = content / "issues" / "2021-11-11" / "issue.yaml"
    write(
        path,
        """
        number: 328
        period: {start: 2021-11-04, end: 2021-11-11}
        sections: [politics]
        """,
    )
    proposed(content)
    text = (content / "issues" / "2021-11-18" / "issue.yaml").read_text(encoding="utf-8")
    assert (
        text == "number: 329\nperiod: {start: 2021-11-11, end: 2021-11-18}\nsections: [politics]\n"
    )


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        # --end alone used to make this: 15 days overlapping the last issue by 8.
        (
            [("2021-11-04", "2021-11-11", 328), ("2021-11-04", "2021-11-18", 329)],
            "issues/2021-11-18/issue.yaml:4:10: warning: period.start: the period overlaps the "
            "previous issue (2021-11-04 to 2021-11-11) by 8 days; the cadence allows 1 day "
            "(period: in newsletter.yaml)",
        ),
        (
            [("2021-11-04", "2021-11-11", 328), ("2021-11-14", "2021-11-21", 329)],
            "issues/2021-11-21/issue.yaml:4:10: warning: period.start: the period leaves a gap "
            "of 2 days after the previous issue, which ended on 2021-11-11",
        ),
    ],
    ids=["overlap", "gap"],
)
def test_check_warns_about_the_cadence(
    tmp_path: Path, write: Write, periods: list[tuple[str, str, int | None]], message: str
) -> None:
    content = archive(tmp_path, write, periods)
    done = cli("check", "--content", str(content))
    assert done.returncode == 0, done.stderr
    assert f"{content}/{message}" in done.stdout.splitlines()


def test_check_catches_a_typo_in_the_subject(project: Path) -> None:
    settings = project / "newsletter.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + 'email:\n  subject: "{short_name} {numbr}"\n',
        encoding="utf-8",
    )
    done = cli("check", "--content", str(project))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert (
        f"{project}/newsletter.yaml:30:12: email.subject: {{numbr}} is not a field; expected one "
        "of: {short_name}, {title}, {number}, {period}, {lead}"
    ) in (done.stdout + done.stderr)


@pytest.mark.parametrize(
    ("start", "end", "style", "text"),
    [
        ("2021-11-04", "2021-11-11", {}, "November 4 – 11, 2021"),
        ("2018-12-07", "2018-12-13", {"repeat_month": True}, "December 7 – December 13, 2018"),
        ("2021-11-28", "2021-12-05", {}, "November 28 – December 5, 2021"),
        ("2022-12-28", "2023-01-05", {}, "December 28, 2022 – January 5, 2023"),
        ("2016-05-06", "2016-05-12", {"case": "upper"}, "MAY 6 – 12, 2016"),
        ("2021-11-04", "2021-11-11", {"dash": "-"}, "November 4-11, 2021"),
    ],
)
def test_format_period(start: str, end: str, style: dict[str, object], text: str) -> None:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    assert format_period(first, last, HeaderStyle.model_validate(style)) == text


def _pdf(path: Path, *args: str) -> str:
    return subprocess.run(
        [args[0], *args[1:], str(path), *(["-"] if args[0] == "pdftotext" else [])],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


STYLES = [
    ("", "328", "ISHM 328: November 4 – 11, 2021", "ISHM 328 · November 4 – 11, 2021"),
    (
        "headers: {repeat_month: true}\n",
        "328",
        "ISHM 328: November 4 – November 11, 2021",
        "ISHM 328 · November 4 – November 11, 2021",
    ),
    (
        "headers: {case: upper}\n",
        "328",
        "ISHM 328: NOVEMBER 4 – 11, 2021",
        "ISHM 328 · NOVEMBER 4 – 11, 2021",
    ),
    ("headers: {number: false}\n", "328", "ISHM: November 4 – 11, 2021", "November 4 – 11, 2021"),
    ("", "", "ISHM: November 4 – 11, 2021", "November 4 – 11, 2021"),
]


@pytest.mark.parametrize(
    ("settings", "number", "title", "masthead"),
    STYLES,
    ids=["en-dash", "repeat-month", "capitals", "number-hidden", "no-number"],
)
def test_headers_in_every_edition(
    project: Path, tmp_path: Path, settings: str, number: str, title: str, masthead: str
) -> None:
    publication = project / "newsletter.yaml"
    publication.write_text(publication.read_text(encoding="utf-8") + settings, encoding="utf-8")
    meta = project / "issues" / "2021-11-11" / "issue.yaml"
    meta.write_text(
        meta.read_text(encoding="utf-8").replace("number: 328", f"number: {number}"),
        encoding="utf-8",
    )
    output = tmp_path / "output"
    done = cli("build", "--content", str(project), "--output", str(output))
    assert done.returncode == 0, done.stderr
    email = output / "email" / "2021-11-11"
    message = message_from_bytes((email / "message.eml").read_bytes(), policy=policy.default)
    assert message["Subject"] == title
    assert f"<title>{title}</title>" in (email / "email.html").read_text(encoding="utf-8")
    assert masthead in (email / "email.html").read_text(encoding="utf-8")
    assert masthead in (email / "email.txt").read_text(encoding="utf-8").splitlines()
    site = output / "site"
    pdf = site / "issues" / "2021-11-11" / f"ishm-{number or '2021-11-11'}.pdf"
    assert f"Title:           {title}\n" in _pdf(pdf, "pdfinfo")
    text = _pdf(pdf, "pdftotext", "-enc", "UTF-8")
    period = title.split(": ", 1)[1]
    assert f"Iraq Security and Humanitarian Monitor · {period}" in text  # the running head
    assert f"{masthead} · Enabling Peace in Iraq Center" in text
    page = (site / "issues" / "2021-11-11" / "index.html").read_text(encoding="utf-8")
    assert f"<title>{title} · Iraq Security and Humanitarian Monitor</title>" in page
    assert f'<h1 data-pagefind-meta="title">{title}</h1>' in page
    index = (site / "index.html").read_text(encoding="utf-8")
    assert f'<a href="issues/2021-11-11/">{title}</a>' in index
    feed = (site / "atom.xml").read_text(encoding="utf-8")
    assert f"<title>{title}</title>" in feed
