"""The YAML scalar layer and the templates, through the CLI as editors run it.

Every case is a real ``python -m newsletter`` process: one located line per problem, exit 1,
no traceback, nothing written.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ISSUE = "issues/2021-11-11"
SUBJECT = "date_formats:"  # newsletter.yaml has no email block: one is added before this line


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def errors(project: Path, command: str = "check") -> list[str]:
    """Run ``command`` on the project; return its located problems, paths relative to it."""
    output = ["--output", str(project.parent / "out")] if command == "build" else []
    done = run(command, "--content", str(project), *output)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert not (project.parent / "out").exists()
    prefix = f"{project}/"
    return [
        line.removeprefix(prefix)
        for line in done.stderr.splitlines()
        if line.startswith(prefix) and ": warning: " not in line
    ]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


DATE = f"{ISSUE}/issue.yaml:4:10: period.start: "
NUMBER = f"{ISSUE}/issue.yaml:2:9: number: "
QUOTE = "; put it in quotes if it is text"
EXPECTED_DATE = "expected a date like 2021-11-06; got "
TAG = "are not accepted; write the value without a tag"

# (file, text to replace, replacement, the only error `check` reports)
CASES = [
    # Impossible dates, anywhere: issue.yaml, ied.yaml, gazetteer.yaml, keys.
    (
        "issue",
        "start: 2021-11-04",
        "start: 2021-02-30",
        DATE + "2021-02-30 is not a real date: day is out of range for month",
    ),
    (
        "issue",
        "start: 2021-11-04",
        "start: 2021-13-01",
        DATE + "2021-13-01 is not a real date: month must be in 1..12",
    ),
    (
        "issue",
        "start: 2021-11-04",
        'start: "2021-02-30"',
        DATE + '"2021-02-30" is not a real date: day is out of range for month',
    ),
    (
        "ied",
        "  - date: 2021-11-06\n    location: Jurf",
        "  - date: 2021-02-29\n    location: Jurf",
        f"{ISSUE}/ied.yaml:6:11: incidents[0].date: 2021-02-29 is not a real date: "
        "day is out of range for month",
    ),
    (
        "gazetteer",
        "    lat: 32.8667",
        "    lat: 32.8667\n    checked: 2021-04-31",
        "gazetteer.yaml:11:14: places[0].checked: 2021-04-31 is not a real date: "
        "day is out of range for month",
    ),
    (
        "issue",
        "number: 328\n",
        "number: 328\n2021-02-30: x\n",
        f"{ISSUE}/issue.yaml:3:1: 2021-02-30: 2021-02-30 is not a real date: "
        "day is out of range for month",
    ),
    # Dates YAML or Python would read otherwise than written.
    ("issue", "start: 2021-11-04", 'start: "20211104"', DATE + EXPECTED_DATE + '"20211104"'),
    ("issue", "start: 2021-11-04", 'start: "2021-W44-4"', DATE + EXPECTED_DATE + '"2021-W44-4"'),
    (
        "issue",
        "start: 2021-11-04",
        "start: 2021-11-04 10:00:00+03:00",
        DATE + '"2021-11-04 10:00:00+03:00" is read by YAML as a date and time; write a date '
        "as YYYY-MM-DD, like 2021-11-04" + QUOTE,
    ),
    (
        "issue",
        "start: 2021-11-04",
        "start: 2021-11-04T10:00",
        DATE + EXPECTED_DATE + '"2021-11-04T10:00"',  # no seconds: YAML reads it as text
    ),
    # Numbers YAML 1.1 reinterprets, and numbers too large to read.
    (
        "issue",
        "number: 328",
        "number: 190:20:30",
        NUMBER + '"190:20:30" is read by YAML as the number 685230' + QUOTE,
    ),
    (
        "issue",
        "number: 328",
        "number: 0x10",
        NUMBER + '"0x10" is read by YAML as the number 16' + QUOTE,
    ),
    (
        "issue",
        "number: 328",
        "number: 0100",
        NUMBER + '"0100" is read by YAML as the number 64' + QUOTE,
    ),
    (
        "issue",
        "number: 328",
        "number: 1_000",
        NUMBER + '"1_000" is read by YAML as the number 1000' + QUOTE,
    ),
    (
        "issue",
        "number: 328",
        "number: " + "9" * 5000,
        NUMBER + "a number of 5000 digits is too large; at most 18 digits are accepted" + QUOTE,
    ),
    (
        "ied",
        "    deaths: 1\n",
        f'    deaths: "{"9" * 5000}"\n',
        f"{ISSUE}/ied.yaml:9:13: incidents[0].deaths: a count has at most 9 digits; "
        "got a number of 5000 digits",
    ),
    # Booleans YAML 1.1 reads from words.
    (
        "section",
        "takeaway:\n",
        "takeaway:\n  headline: yes\n",
        f'{ISSUE}/sections/economy.yaml:4:13: takeaway.headline: "yes" is read by YAML as '
        "true; write true, or put it in quotes if it is text",
    ),
    (
        "section",
        "takeaway:\n",
        "takeaway:\n  headline: Off\n",
        f'{ISSUE}/sections/economy.yaml:4:13: takeaway.headline: "Off" is read by YAML as '
        "false; write false, or put it in quotes if it is text",
    ),
    # Explicit tags, every kind.
    ("issue", "number: 328", "number: !!int x", NUMBER + f"explicit YAML tags (!!int) {TAG}"),
    (
        "issue",
        "number: 328",
        "number: !!timestamp q",
        NUMBER + f"explicit YAML tags (!!timestamp) {TAG}",
    ),
    (
        "issue",
        "number: 328",
        "number: !!python/object/new:os.system [echo]",
        NUMBER + f"explicit YAML tags (!!python/object/new:os.system) {TAG}",
    ),
    ("issue", "number: 328", "number: !mine 328", NUMBER + f"explicit YAML tags (!mine) {TAG}"),
    (
        "issue",
        "sections:\n",
        "sections: !!set\n",
        f"{ISSUE}/issue.yaml:7:11: sections: explicit YAML tags (!!set) {TAG}",
    ),
    # Recursive aliases and deep nesting.
    (
        "issue",
        "number: 328\n",
        "number: 328\nloop: &a [*a]\n",
        f"{ISSUE}/issue.yaml:3:7: loop: an alias refers to a value that contains it "
        "(a recursive alias)",
    ),
    (
        "issue",
        "number: 328\n",
        "number: 328\nloop: &a {x: *a}\n",
        f"{ISSUE}/issue.yaml:3:7: loop: an alias refers to a value that contains it "
        "(a recursive alias)",
    ),
    (
        "issue",
        "number: 328\n",
        "number: 328\ndeep: " + "[" * 600 + "]" * 600 + "\n",
        f"{ISSUE}/issue.yaml:3:38: deep[0][0][0]...: values are nested more than 32 levels deep",
    ),
    (
        "issue",
        "number: 328\n",
        "number: 328\ndeep: " + "[" * 300 + "]" * 300 + "\n",
        f"{ISSUE}/issue.yaml:3:38: deep[0][0][0]...: values are nested more than 32 levels deep",
    ),
    # Control characters: escaped in a quoted string, or raw (YAML's reader refuses those).
    (
        "section",
        "takeaway:\n",
        'takeaway:\n  headline: "a\\0b"\n',
        f"{ISSUE}/sections/economy.yaml:4:13: takeaway.headline: the text holds the control "
        "character U+0000 at character 2, which no edition can show; remove it",
    ),
    (
        "section",
        "takeaway:\n",
        'takeaway:\n  headline: "bell\\x07"\n',
        f"{ISSUE}/sections/economy.yaml:4:13: takeaway.headline: the text holds the control "
        "character U+0007 at character 5, which no edition can show; remove it",
    ),
    (
        "section",
        "takeaway:\n",
        "takeaway:\n  headline: a\x00b\n",
        f"{ISSUE}/sections/economy.yaml:4:14: the file holds the control character U+0000, "
        "which YAML does not allow; remove it",
    ),
    # The subject template: named, documented fields only; a bounded width.
    (
        "publication",
        SUBJECT,
        'email:\n  subject: "{nope}"\n' + SUBJECT,
        "newsletter.yaml:27:12: email.subject: {nope} is not a field; expected one of: "
        "{short_name}, {title}, {number}, {period}, {lead}",
    ),
    (
        "publication",
        SUBJECT,
        'email:\n  subject: "ISHM {0}"\n' + SUBJECT,
        "newsletter.yaml:27:12: email.subject: {0} is positional; name the field; expected one "
        "of: {short_name}, {title}, {number}, {period}, {lead}",
    ),
    (
        "publication",
        SUBJECT,
        'email:\n  subject: "{title.__class__}"\n' + SUBJECT,
        "newsletter.yaml:27:12: email.subject: {title.__class__} reaches into a field's "
        "attributes or items; expected one of: {short_name}, {title}, {number}, {period}, "
        "{lead}",
    ),
    (
        "publication",
        SUBJECT,
        'email:\n  subject: "ISHM {"\n' + SUBJECT,
        'newsletter.yaml:27:12: email.subject: the template has an unmatched "{"; write {{ for '
        "a brace itself",
    ),
    (
        "publication",
        SUBJECT,
        'email:\n  subject: "{number:>100000000}"\n' + SUBJECT,
        "newsletter.yaml:27:12: email.subject: {number:>100000000}: the only format allowed is "
        "an alignment and a width of at most 99, like {number:>20}",
    ),
    (
        "publication",
        SUBJECT,
        'email:\n  subject: "{number!r}"\n' + SUBJECT,
        "newsletter.yaml:27:12: email.subject: {number!r}: conversions (!r) are not allowed",
    ),
]

FILES = {
    "issue": f"{ISSUE}/issue.yaml",
    "ied": f"{ISSUE}/ied.yaml",
    "section": f"{ISSUE}/sections/economy.yaml",
    "gazetteer": "gazetteer.yaml",
    "publication": "newsletter.yaml",
}


@pytest.mark.parametrize(("file", "old", "new", "expected"), CASES, ids=[c[3][-40:] for c in CASES])
def test_check_refuses_with_one_located_line(
    project: Path, file: str, old: str, new: str, expected: str
) -> None:
    edit(project / FILES[file], old, new)
    assert errors(project) == [expected]


@pytest.mark.parametrize("index", [0, 11, 19, 23, 29, 34])
def test_build_refuses_what_check_refuses(project: Path, index: int) -> None:
    file, old, new, expected = CASES[index]
    edit(project / FILES[file], old, new)
    # The build reports the same problem, at the same line and column, as check.
    assert errors(project, "build") == [expected]


def bomb(levels: int) -> str:
    """A billion-laughs document: each anchor lists the previous one nine times."""
    lines = ['laugh0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"laugh{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [6, 9])
def test_alias_bomb_is_refused_before_it_is_built(project: Path, levels: int) -> None:
    with (project / ISSUE / "ied.yaml").open("a", encoding="utf-8") as out:
        out.write(bomb(levels))
    started = time.perf_counter()
    found = errors(project)
    assert time.perf_counter() - started < 20  # a process start and a sample check, not 6.7 s
    assert found == [
        f"{ISSUE}/ied.yaml:34:9: laugh4: aliases expand the file to at least 66430 values; "
        "aliases may add at most 10000"
    ]


def test_a_few_aliases_are_fine(project: Path) -> None:
    edit(project / ISSUE / "ied.yaml", "note: The following", "note: &note The following")
    edit(project / ISSUE / "ied.yaml", 'map_note: "Please note', 'map_note: *note\n# "Please')
    done = run("check", "--content", str(project))
    assert done.returncode == 0, done.stderr


def test_huge_width_in_the_subject_is_refused_at_once(project: Path) -> None:
    edit(
        project / "newsletter.yaml", SUBJECT, 'email:\n  subject: "{number:>100000000}"\n' + SUBJECT
    )
    started = time.perf_counter()
    errors(project, "build")
    assert time.perf_counter() - started < 20


@pytest.mark.parametrize(
    ("greeting", "message"),
    [
        ("Dear {nope},", "{nope} is not a field; expected one of: {name}"),
        ("Dear {0},", "{0} is positional; name the field; expected one of: {name}"),
        ("Dear {name", 'the template has an unmatched "{"; write {{ for a brace itself'),
        (
            "{name:>100000000}",
            "{name:>100000000}: the only format allowed is an alignment "
            "and a width of at most 99, like {name:>20}",
        ),
    ],
)
def test_bad_greeting_is_refused_before_sending(project: Path, greeting: str, message: str) -> None:
    done = run(
        "send",
        "2021-11-11",
        "--content",
        str(project),
        "--test-to",
        "a@example.org",
        "--greeting",
        greeting,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"error: --greeting: {message}"]


def test_fill_pads_within_bounds_and_keeps_braces() -> None:
    from newsletter.fields import SUBJECT_FIELDS, fill

    values = dict.fromkeys(SUBJECT_FIELDS, "x") | {"number": 328}
    assert fill("{{ISHM}} {number:>5}|{title:^3}|", values) == "{ISHM}   328| x |"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["--end", "2021-02-30"],
            2,
            "Error: Invalid value for '--end': \"2021-02-30\" is not a real date: "
            "day is out of range for month",
        ),
        (
            ["--end", "20211118"],
            2,
            "Error: Invalid value for '--end': expected a date like 2021-11-18; got \"20211118\"",
        ),
        (["--start", "9999-12-30"], 1, "error: the period would fall outside the years 1 to 9999"),
        # --end alone starts where the latest issue ended (2021-11-11), so this ends before.
        (
            ["--end", "0001-01-02"],
            1,
            "issues/0001-01-02: period: the period ends (0001-01-02) before it starts (2021-11-11)",
        ),
    ],
)
def test_new_refuses_impossible_dates(
    project: Path, args: list[str], code: int, message: str
) -> None:
    done = run("new", "--content", str(project), *args)
    assert done.returncode == code
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[-1] == message or lines[0] == f"{project}/{message}"
    assert sorted(p.name for p in (project / "issues").iterdir()) == ["2021-11-11"]
