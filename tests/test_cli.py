"""The command line: messages and exit codes for editors, and a build that never half-writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CONTENT
from test_validation import edit

from newsletter.cli import main


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, through the links ``site/`` and ``email/`` are."""
    found = {}
    for where, _, files in os.walk(folder, followlinks=True):
        for name in files:
            path = Path(where, name)
            found[str(path.relative_to(folder))] = path.read_bytes()
    return found


def test_check_reports_and_exits_1_without_traceback(project: Path) -> None:
    edit(project / "issues/2021-11-11/ied.yaml", "deaths: 2", "deaths: two")
    result = CliRunner().invoke(main, ["check", "--content", str(project)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert lines[:3] == [
        f"{project}/issues/2021-11-11/ied.yaml:24:13: incidents[3].deaths: expected a whole "
        'number, a range like 2-3, "at least N" or "unknown"; got "two"',
        "        deaths: two",
        "                ^",
    ]
    assert lines[-1] == "1 error(s), 0 warning(s); fix the errors before building."


SECURITY_SUMMARY = (
    (CONTENT / "issues/2021-11-11/sections/security.yaml")
    .read_text(encoding="utf-8")
    .splitlines()[4]
    .strip()
)


def test_check_passes_on_the_sample(project: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--content", str(project)])
    assert result.exit_code == 0, result.output
    ied = f"{project}/issues/2021-11-11/ied.yaml"
    security = f"{project}/issues/2021-11-11/sections/security.yaml"
    assert result.output.splitlines() == [
        # Two rows of the sample have no place the map can find (see tests/test_map.py).
        f'{ied}:22:15: warning: incidents[3].location: "Turkalan subdistrict" was not found for '
        "Kirkuk in the gazetteer or GeoNames, so the map shades all of Kirkuk; add lat and lon "
        f"here, or the place to {project}/gazetteer.yaml",
        "        location: Turkalan subdistrict",
        "                  ^",
        f"{ied}:26:5: warning: incidents[4]: no location, so the map shades all of Diwaniyah; "
        "add location, lat and lon here to place it",
        "      - date: 2021-11-08",
        "        ^",
        # The takeaway also counts a grenade: the editor is asked to confirm.
        f'{security}:5:5: warning: takeaway.summary: the takeaway says "killed three Iraqis '
        'and wounded nine", but the IED table totals 3 killed and 7 injured; confirm the '
        "takeaway counts more than the table (a grenade, say) or correct it",
        "        " + SECURITY_SUMMARY,
        "        ^",
        "1 issue(s) checked: 0 error(s), 3 warning(s).",
    ]


def test_debug_shows_the_traceback(project: Path) -> None:
    edit(project / "issues/2021-11-11/ied.yaml", "deaths: 2", "deaths: two")
    result = CliRunner().invoke(main, ["--debug", "check", "--content", str(project)])
    assert result.exit_code == 1
    assert type(result.exception).__name__ == "ContentError"


def test_unknown_issue_is_an_error(project: Path) -> None:
    result = CliRunner().invoke(main, ["check", "999", "--content", str(project)])
    assert result.exit_code == 1
    assert f'{project}/issues: no issue "999"' in result.output


def test_failed_build_leaves_previous_output_untouched(project: Path, tmp_path: Path) -> None:
    output = tmp_path / "output"
    runner = CliRunner()
    first = runner.invoke(main, ["build", "--content", str(project), "--output", str(output)])
    assert first.exit_code == 0, first.output
    before = _snapshot(output)
    assert "site/issues/2021-11-11/ishm-328.pdf" in before

    # A valid edit that would change every edition, plus one broken value elsewhere.
    edit(project / "issues/2021-11-11/sections/economy.yaml", "New Turkish Dam", "Changed Dam")
    edit(project / "issues/2021-11-11/ied.yaml", "injuries: 5", "injuries: five")
    second = runner.invoke(main, ["build", "--content", str(project), "--output", str(output)])
    assert second.exit_code == 1
    assert _snapshot(output) == before
    assert not [p for p in output.rglob("*.tmp")]


def test_build_one_issue_by_number(project: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["build", "328", "--content", str(project), "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Built 1 issue(s) into ")  # warnings go to stderr
    assert "PDF and email editions" not in result.output  # no progress bar off a terminal
    again = CliRunner().invoke(
        main, ["build", "328", "--content", str(project), "--output", str(output)]
    )
    assert again.stdout.startswith("Nothing changed since the last build of 1 issue(s)")


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "build" in result.output and "check" in result.output
    build_help = CliRunner().invoke(main, ["build", "--help"])
    assert "--content" in build_help.output and "--output" in build_help.output


def test_progress_bar_stays_quiet_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from newsletter.cli.build import _ProgressBar

    with _ProgressBar() as bar:  # pytest's stderr is not a terminal
        for done in range(1, 6):
            bar(done, 5)
        assert bar.bar is None
    assert capsys.readouterr().err == ""
