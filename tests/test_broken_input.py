"""Broken input of every kind, through the CLI: a clear message, exit code 1, no traceback.

Together with tests/test_validation.py and tests/test_counts.py these cover well over 25 kinds
of mistake, each message asserted word for word.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_validation import edit

from newsletter.cli import main
from newsletter.errors import ContentError
from newsletter.loader import load_project

ISSUE = "issues/2021-11-11"

# (file, text to replace, replacement, first line of the report after the content path)
CASES = [
    (
        "newsletter.yaml",
        "short_name: ISHM",
        "short_nam: ISHM",
        'newsletter.yaml:3:1: short_nam: unknown field; did you mean "short_name"?',
    ),
    (
        "newsletter.yaml",
        "language: en",
        "language: English",
        'newsletter.yaml:5:11: language: expected a language code like en; got "English"',
    ),
    (
        "newsletter.yaml",
        "  address: ishm@enablingpeace.org",
        "  address: ishm at epic",
        'newsletter.yaml:25:12: sender.address: expected an email address; got "ishm at epic"',
    ),
    (
        "newsletter.yaml",
        "  link_text: ISHM Reference Guide",
        "  link_text: Guide to ISHM",
        'newsletter.yaml:8:3: reference_guide: link_text "Guide to ISHM" does not occur in text',
    ),
    (
        "newsletter.yaml",
        "site_url: https://enablingpeace.org/ishm/",
        "site_url: https://enablingpeace.org/ishm",
        "newsletter.yaml:6:11: site_url: expected a URL starting with https:// and ending with /; "
        'got "https://enablingpeace.org/ishm"',
    ),
    (
        "newsletter.yaml",
        "  url: https://twitter.com/enablingpeace",
        "  url: twitter.com/x",
        "newsletter.yaml:17:10: social[0].url: expected a URL starting with https://; got "
        '"twitter.com/x"',
    ),
    (
        "newsletter.yaml",
        "title: Iraq Security and Humanitarian Monitor",
        "title: ''",
        "newsletter.yaml:2:8: title: must not be empty",
    ),
    (
        f"{ISSUE}/issue.yaml",
        "number: 328",
        "number: -3",
        f"{ISSUE}/issue.yaml:2:9: number: Input should be greater than 0; got -3",
    ),
    (
        f"{ISSUE}/issue.yaml",
        "  end: 2021-11-11\n",
        "",
        f"{ISSUE}/issue.yaml:3:1: period.end: required field is missing",
    ),
    (
        f"{ISSUE}/issue.yaml",
        "published: 2021-11-11",
        "published: next Thursday",
        f'{ISSUE}/issue.yaml:6:12: published: expected a date like 2021-11-06; got "next Thursday"',
    ),
    (
        f"{ISSUE}/issue.yaml",
        "  - politics",
        "  - Politics & Government",
        f"{ISSUE}/issue.yaml:8:5: sections[0]: expected a lowercase name like politics or "
        'economy-energy; got "Politics & Government"',
    ),
    (
        f"{ISSUE}/issue.yaml",
        "sections:\n  - politics\n  - security\n  - humanitarian\n  - economy\n",
        "sections: []\n",
        f"{ISSUE}/issue.yaml:7:11: sections: List should have at least 1 item after validation, "
        "not 0; got a list",
    ),
    (
        f"{ISSUE}/sections/economy.yaml",
        "stories:\n",
        "stories: none\nold_stories:\n",
        f'{ISSUE}/sections/economy.yaml:6:10: stories: expected a list; got "none"',
    ),
    (
        f"{ISSUE}/sections/economy.yaml",
        "takeaway:\n",
        "takeaway:\n  headlin: x\n",
        f"{ISSUE}/sections/economy.yaml:4:3: takeaway.headlin: unknown field; did you mean "
        '"headline"?',
    ),
    (
        f"{ISSUE}/ied.yaml",
        "incidents:\n",
        "incidents: 5\nx:\n",
        f"{ISSUE}/ied.yaml:5:12: incidents: expected a list; got 5",
    ),
    (
        f"{ISSUE}/ied.yaml",
        "    injuries: 0\n  - date: 2021-11-06\n    location: Ghammas",
        "    injuries: 0\n    lat: 95\n  - date: 2021-11-06\n    location: Ghammas",
        f"{ISSUE}/ied.yaml:11:10: incidents[0].lat: Input should be less than or equal to 90; "
        "got 95",
    ),
    (
        f"{ISSUE}/ied.yaml",
        "    deaths: 1\n",
        "    deaths: -1\n",
        f"{ISSUE}/ied.yaml:9:13: incidents[0].deaths: a count cannot be negative; got -1",
    ),
    (
        f"{ISSUE}/ied.yaml",
        "    province: Babylon",
        "    province:",
        f"{ISSUE}/ied.yaml:8:14: incidents[0].province: expected the name of a governorate; "
        "got nothing",
    ),
    (
        f"{ISSUE}/ied.yaml",
        "  - date: 2021-11-06\n    location: Jurf",
        "\t- date: 2021-11-06\n    location: Jurf",
        f"{ISSUE}/ied.yaml:6:1: invalid YAML: found character that cannot start any token",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "expected"), CASES)
def test_broken_input(project: Path, file: str, old: str, new: str, expected: str) -> None:
    edit(project / file, old, new)
    result = CliRunner().invoke(main, ["check", "--content", str(project)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert f"{project}/{expected}" in lines


def test_missing_files_and_folders(project: Path, tmp_path: Path) -> None:
    (project / ISSUE / "ied.yaml").unlink()
    result = CliRunner().invoke(main, ["check", "--content", str(project)])
    assert result.output.splitlines()[0] == f"{project}/{ISSUE}/ied.yaml: file is missing"
    result = CliRunner().invoke(main, ["check", "--content", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"{tmp_path}/nowhere: content folder not found"
    (project / "newsletter.yaml").unlink()
    result = CliRunner().invoke(main, ["build", "--content", str(project)])
    assert result.exit_code == 1
    assert f"{project}/newsletter.yaml: file is missing" in result.output.splitlines()


def test_duplicate_issue_numbers(project: Path) -> None:
    import shutil

    shutil.copytree(project / ISSUE, project / "issues/2021-11-18")
    edit(project / "issues/2021-11-18/issue.yaml", "end: 2021-11-11", "end: 2021-11-18")
    result = CliRunner().invoke(main, ["check", "--content", str(project)])
    assert result.exit_code == 1
    assert (
        f"{project}/issues/2021-11-18/issue.yaml:1: number: issue number 328 is also used by "
        "issue 2021-11-11"
    ) in result.output.splitlines()


def test_unwritable_output_is_a_clear_error(project: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.mkdir()
    (blocker / "site").write_text("a file where a folder should be", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["build", "--web-only", "--content", str(project), "--output", str(blocker)]
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.splitlines()[-1] == (
        f"error: {blocker}/site is in the way of the build: it is not a folder the build made;"
        " move it away"
    )


YAML_TEXT = st.text(
    alphabet=st.sampled_from([*list("abc:-[]{}'\"#&*!|>%@ \n\t0123456789."), "é", "ü", "\u200b"]),
    max_size=80,
)
SCALARS = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=8)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=YAML_TEXT)
def test_loader_never_crashes_on_any_text(project: Path, text: str) -> None:
    (project / ISSUE / "ied.yaml").write_text(text, encoding="utf-8")
    try:
        load_project(project)
    except ContentError as exc:
        assert exc.problems and all(str(p).startswith(str(project)) for p in exc.problems)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.dictionaries(st.sampled_from(["note", "incidents", "title", "map_note", "x"]), VALUES)
)
def test_loader_never_crashes_on_any_structure(project: Path, data: dict[str, object]) -> None:
    import yaml

    (project / ISSUE / "ied.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    try:
        load_project(project)
    except ContentError as exc:
        assert exc.problems


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.dictionaries(
            st.sampled_from(
                ["date", "province", "deaths", "injuries", "location", "lat", "lon", "type"]
            ),
            VALUES | st.sampled_from(["2021-11-06", "Babil", "2-3", "at least 4", "unknown", "4+"]),
        ),
        max_size=4,
    )
)
def test_loader_never_crashes_on_any_incident_rows(project: Path, rows: list[object]) -> None:
    import yaml

    text = yaml.safe_dump({"note": "n", "incidents": rows})
    (project / ISSUE / "ied.yaml").write_text(text, encoding="utf-8")
    try:
        load_project(project)
    except ContentError as exc:
        assert exc.problems


# Fragments of hostile YAML: tags, anchors and aliases (recursive too), deep nesting, huge and
# reinterpreted numbers, control characters (escaped and raw) and impossible dates.
HOSTILE = st.sampled_from(
    [
        "!!int x",
        "!!timestamp q",
        "!!python/object/apply:os.system [true]",
        "!mine 3",
        "&a [*a]",
        "&b {k: *b}",
        "&c [1, 2]",
        "*c",
        "*nowhere",
        "[" * 400 + "]" * 400,
        "9" * 5000,
        "0x10",
        "190:20:30",
        "1_000",
        "yes",
        ".nan",
        '"\\0"',
        '"\\x07\\ud800"',
        "\x00",
        "\x07",
        "2021-02-30",
        "2021-13-01",
        '"2021-W44-4"',
        "2021-11-04 10:00:00+03:00",
        "{<<: *c}",
    ]
)
HOSTILE_DOC = st.lists(
    st.tuples(st.sampled_from(["note", "incidents", "title", "2021-02-30", "x"]), HOSTILE),
    min_size=1,
    max_size=5,
).map(lambda pairs: "".join(f"{key}: {value}\n" for key, value in pairs))


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=HOSTILE_DOC | st.lists(HOSTILE, min_size=1, max_size=4).map(" ".join))
def test_loader_reports_hostile_yaml_in_bounded_time(project: Path, text: str) -> None:
    import time

    (project / ISSUE / "ied.yaml").write_text(text, encoding="utf-8")
    started = time.perf_counter()
    try:
        load_project(project)
    except ContentError as exc:
        assert exc.problems and all(str(p).startswith(str(project)) for p in exc.problems)
        assert all(p.line > 0 for p in exc.problems if "ied.yaml" in p.path)
    assert time.perf_counter() - started < 5
