"""The editor's workflow: start the next issue, check it precisely, preview it live."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_validation import edit

from newsletter.cli import main
from newsletter.loader import load_project

ISSUE = "issues/2021-11-11"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_new_continues_the_cadence(project: Path) -> None:
    code, output = invoke("new", "--content", str(project))
    assert code == 0, output
    assert output.splitlines()[0] == (
        f"Created issue 329 (2021-11-11 to 2021-11-18) in {project}/issues/2021-11-18"
    )
    loaded = load_project(project)
    issue = loaded.issues[-1]
    assert (issue.number, issue.period.start.isoformat(), issue.period.end.isoformat()) == (
        329,
        "2021-11-11",
        "2021-11-18",
    )
    assert [e.slug for e in issue.sections] == ["politics", "security", "humanitarian", "economy"]
    assert all(e.section.stories == [] for e in issue.sections)
    assert issue.ied.incidents == []
    assert issue.ied.note == loaded.issues[0].ied.note
    messages = [w.message for w in loaded.warnings if "2021-11-18" in w.path]
    assert messages.count("the section has no stories yet") == 4
    assert messages.count("the title is still a placeholder") == 4


def test_new_two_week_issue_and_never_overwrites(project: Path) -> None:
    code, output = invoke(
        "new", "--content", str(project), "--start", "2021-11-11", "--end", "2021-11-25"
    )
    assert code == 0, output
    assert "(2021-11-11 to 2021-11-25)" in output
    code, output = invoke("new", "--content", str(project), "--end", "2021-11-25")
    assert code == 1
    assert output == f"error: {project}/issues/2021-11-25 already exists; nothing was created\n"
    code, output = invoke("new", "--content", str(project), "--start", "2021-13-01")
    assert code == 2
    assert '"2021-13-01" is not a real date: month must be in 1..12' in output


def test_check_json_and_strict(project: Path) -> None:
    code, output = invoke("check", "--content", str(project), "--format", "json")
    assert code == 0
    findings = json.loads(output)
    assert {f["severity"] for f in findings} == {"warning"}
    assert findings[0] == {
        "path": f"{project}/{ISSUE}/ied.yaml",
        "line": 22,
        "column": 15,
        "field": "incidents[3].location",
        "severity": "warning",
        "message": '"Turkalan subdistrict" was not found for Kirkuk in the gazetteer or '
        f"GeoNames, so the map shades all of Kirkuk; add lat and lon here, or the place to "
        f"{project}/gazetteer.yaml",
    }
    code, _ = invoke("check", "--content", str(project), "--strict")
    assert code == 1


WARNINGS = [
    (
        "sections/economy.yaml",
        "  On November 8, Iraq’s Ministry of Water Resources said it was",
        "  On November 14, Iraq’s Ministry of Water Resources said it was",
        'sections/economy.yaml:8:3: warning: stories[0]: the story opens with "On November '
        '14", outside the period (2021-11-04 to 2021-11-11)',
    ),
    (
        "ied.yaml",
        "province: Babylon",
        "province: Babil",
        'ied.yaml:8:15: warning: incidents[0].province: "Babil" is written "Babylon" in this '
        "publication",
    ),
    (
        "ied.yaml",
        "incidents:\n",
        "incidents:\n  - {date: 2021-11-06, province: Babylon, location: Jurf al-Sakhr, "
        "deaths: 1, injuries: 0}\n",
        "ied.yaml:7:5: warning: incidents[1]: this row repeats incidents[0] exactly; is it the "
        "same incident?",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "message"), WARNINGS)
def test_warnings(project: Path, file: str, old: str, new: str, message: str) -> None:
    edit(project / ISSUE / file, old, new)
    code, output = invoke("check", "--content", str(project))
    assert code == 0
    assert f"{project}/{ISSUE}/{message}" in output.splitlines()


def test_empty_section_warns(project: Path) -> None:
    path = project / ISSUE / "sections/economy.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.split("stories:")[0] + "stories: []\n", encoding="utf-8")
    code, output = invoke("check", "--content", str(project))
    assert code == 0
    assert (
        f"{project}/{ISSUE}/sections/economy.yaml:6:10: warning: stories: the section has no "
        "stories yet"
    ) in output.splitlines()


def test_caret_points_at_the_value(project: Path) -> None:
    edit(project / ISSUE / "ied.yaml", "injuries: 5", "injuries: five")
    code, output = invoke("check", "--content", str(project))
    assert code == 1
    lines = output.splitlines()
    at = lines.index(
        f"{project}/{ISSUE}/ied.yaml:25:15: incidents[3].injuries: expected a whole number, "
        'a range like 2-3, "at least N" or "unknown"; got "five"'
    )
    assert lines[at + 1 : at + 3] == ["        injuries: five", "                  ^"]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode("utf-8"))


def _until(predicate: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    pytest.fail("the preview did not change in time")


def test_serve_rebuilds_on_save_and_shows_errors(project: Path) -> None:
    from newsletter.serve import PreviewServer

    server = PreviewServer(project, port=0)
    server.start()
    try:
        page = server.url + "site/issues/2021-11-11/index.html"
        assert "New Turkish Dam Raises Alarm" in _get(page)
        preview = _get(server.url)
        assert "Email, phone (375 px)" in preview
        assert '<iframe src="/site/issues/2021-11-11/ishm-328.pdf"' in preview
        edit(project / ISSUE / "sections/economy.yaml", "New Turkish Dam", "Newer Turkish Dam")
        _until(lambda: "Newer Turkish Dam Raises Alarm" in _get(page))
        edit(project / ISSUE / "ied.yaml", "injuries: 5", "injuries: five")
        _until(lambda: "ied.yaml:25: incidents[3].injuries" in _get(server.url))
        assert "Newer Turkish Dam Raises Alarm" in _get(page)  # the last good build stays
        edit(project / ISSUE / "ied.yaml", "injuries: five", "injuries: 5")
        _until(lambda: 'class="error"' not in _get(server.url))
        state = json.loads(_get(server.url + "__version"))
        assert state["error"] is None and state["version"] >= 4
    finally:
        server.stop()
