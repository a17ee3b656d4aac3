"""Validation: every problem at once, located, worded for editors (asserted word for word)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from newsletter.errors import ContentError
from newsletter.loader import load_project

ISSUE = "issues/2021-11-11"


def problems(content: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_project(content)
    prefix = str(content) + "/"
    return [str(p).replace(prefix, "") for p in caught.value.problems]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_sample_is_valid() -> None:
    from conftest import CONTENT

    assert len(load_project(CONTENT).issues) == 1


def test_every_problem_reported_at_once(project: Path) -> None:
    ied = project / ISSUE / "ied.yaml"
    edit(ied, "deaths: 0\n    injuries: 2", "deaths: three\n    injuries: 2")
    edit(ied, "province: Kirkuk", "province: Paris")
    edit(project / ISSUE / "sections/economy.yaml", "title:", "titel:")
    edit(project / "newsletter.yaml", "site_url: https://enablingpeace.org/ishm/", "site_url: x")
    assert problems(project) == [
        f"{ISSUE}/ied.yaml:19: incidents[2].deaths: expected a whole number, a range like 2-3, "
        '"at least N" or "unknown"; got "three"',
        f'{ISSUE}/ied.yaml:23: incidents[3].province: "Paris" is not a governorate of Iraq; '
        "expected one of: Anbar, Babylon, Baghdad, Basra, Dhi Qar, Diwaniyah, Diyala, Duhok, "
        "Erbil, Halabja, Karbala, Kirkuk, Maysan, Muthanna, Najaf, Ninewa, Salah ad-Din, "
        "Sulaymaniyah, Wasit",
        f'{ISSUE}/sections/economy.yaml:1: titel: unknown field; did you mean "title"?',
        f"{ISSUE}/sections/economy.yaml:1: title: required field is missing",
        "newsletter.yaml:6: site_url: expected a URL starting with https:// and ending with /; "
        'got "x"',
    ]


CASES: list[tuple[str, str, str, str]] = [
    (
        "ied.yaml",
        "    deaths: 1\n",
        "    deaths: 1\n    deaths: 2\n",
        "ied.yaml:10: incidents[0].deaths: duplicate key; it was already given on line 9",
    ),
    (
        "ied.yaml",
        "date: 2021-11-08\n    province: Diwaniyah",
        "date: 2021-11-12\n    province: Diwaniyah",
        "ied.yaml:26: incidents[4].date: 2021-11-12 is outside the issue's period "
        "(2021-11-04 to 2021-11-11)",
    ),
    (
        "issue.yaml",
        "start: 2021-11-04",
        "start: 2021-11-14",
        "issue.yaml:5: period.end: the period ends (2021-11-11) before it starts (2021-11-14)",
    ),
    (
        "ied.yaml",
        "    injuries: 5\n",
        "    injuries: 5\n    type: car bomb\n",
        'ied.yaml:26: incidents[3].type: expected one of: IED, VBIED, suicide; got "car bomb"',
    ),
    (
        "ied.yaml",
        "date: 2021-11-06\n    location: Jurf",
        "date: 11/06/21\n    location: Jurf",
        'ied.yaml:6: incidents[0].date: expected a date like 2021-11-06; got "11/06/21"',
    ),
    (
        "issue.yaml",
        "number: 328",
        "number: three hundred",
        'issue.yaml:2: number: expected a whole number; got "three hundred"',
    ),
    (
        "ied.yaml",
        "    injuries: 0\n  - date: 2021-11-06\n    location: Ghammas",
        "    injuries: 0\n    injured: 1\n  - date: 2021-11-06\n    location: Ghammas",
        'ied.yaml:11: incidents[0].injured: unknown field; did you mean "injuries"?',
    ),
    (
        "issue.yaml",
        "  - economy\n",
        "  - economy\n  - culture\n",
        'issue.yaml:12: sections[4]: no file sections/culture.yaml for section "culture"',
    ),
    (
        "issue.yaml",
        "  - economy\n",
        "",
        'issue.yaml:7: sections: sections/economy.yaml is not listed; add "economy" to sections',
    ),
    (
        "ied.yaml",
        "    deaths: 2\n",
        "    deaths: 2-1\n",
        'ied.yaml:24: incidents[3].deaths: a range goes from low to high, like 1-2; got "2-1"',
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "message"), CASES)
def test_single_problem_messages(
    project: Path, file: str, old: str, new: str, message: str
) -> None:
    edit(project / ISSUE / file, old, new)
    assert problems(project) == [f"{ISSUE}/{message}"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "issue.yaml:1: file is empty; expected a mapping of fields"),
        (b"- a\n- b\n", "issue.yaml:1: expected a mapping of fields; got a list"),
        (b"number: 328\nperiod: \xff\n", "issue.yaml:2: file is not UTF-8 text; save it as UTF-8"),
        (
            b"number: [328\n",
            "issue.yaml:2: invalid YAML: did not find expected ',' or ']'",
        ),
    ],
)
def test_unreadable_files(project: Path, data: bytes, message: str) -> None:
    (project / ISSUE / "issue.yaml").write_bytes(data)
    assert problems(project) == [f"{ISSUE}/{message}"]


def test_folder_must_be_the_period_end(project: Path) -> None:
    (project / ISSUE).rename(project / "issues/2021-11-12")
    assert problems(project) == [
        'issues/2021-11-12/issue.yaml:5: period.end: the issue folder is named "2021-11-12"; '
        'it must be the period\'s end date, "2021-11-11"'
    ]


def test_yaml_is_loaded_safely(project: Path, write: Callable[[Path, str], Path]) -> None:
    write(project / ISSUE / "issue.yaml", "number: !!python/object/apply:os.system ['true']\n")
    found = problems(project)
    assert len(found) == 1
    assert found[0] == (
        f"{ISSUE}/issue.yaml:1: number: explicit YAML tags (!!python/object/apply:os.system) "
        "are not accepted; write the value without a tag"
    )
