"""The takeaway check reads the monitor's English and compares each sentence with its rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from numbers_archive import Row, new_content, takeaway_warnings, write_issue

from newsletter.counts import Count, parse_count
from newsletter.takeaways import claims

CONFIRM = "confirm the takeaway counts more than the table (a grenade, say) or correct it"


def _check(tmp_path: Path, rows: list[Row], summary: str) -> list[str]:
    content = new_content(tmp_path)
    write_issue(content, 334, "2022-01-06", "2022-01-13", rows, summary)
    return takeaway_warnings(content)


def test_at_least_agrees_with_at_least(tmp_path: Path) -> None:
    rows: list[Row] = [("2022-01-08", "Diyala", "at least 18", 3)]
    summary = "On January 8, an IED killed at least 18 people in Diyala."
    assert _check(tmp_path, rows, summary) == []


def test_thousands_are_read_whole(tmp_path: Path) -> None:
    rows: list[Row] = [("2022-01-08", "Baghdad", 2, "5,500")]
    summary = "On January 8, IEDs killed two and wounded 5,500 in Baghdad."
    assert _check(tmp_path, rows, summary) == []


def test_compound_number_words(tmp_path: Path) -> None:
    rows: list[Row] = [("2022-01-08", "Anbar", 22, 0)]
    summary = "On January 8, an IED killed twenty-two people in Anbar."
    assert _check(tmp_path, rows, summary) == []


def test_each_sentence_against_its_own_rows(tmp_path: Path) -> None:
    rows: list[Row] = [("2022-01-07", "Babylon", 1, 0), ("2022-01-10", "Kirkuk", 2, 5)]
    summary = (
        "On January 7, an IED killed one PMF fighter in Babylon. "
        "On January 10, an IED killed two PMF fighters and injured five others in Kirkuk."
    )
    assert _check(tmp_path, rows, summary) == []


def test_roughly_far_from_the_table_is_caught(tmp_path: Path) -> None:
    rows: list[Row] = [("2022-01-08", "Basra", 0, 55)]
    summary = "On January 8, an IED injured roughly 5,500 people in Basra."
    assert _check(tmp_path, rows, summary) == [
        f'the takeaway says "injured roughly 5,500", but the IED table totals 0 killed and '
        f"55 injured; {CONFIRM}"
    ]


def test_kills_is_read(tmp_path: Path) -> None:
    rows: list[Row] = [("2022-01-08", "Ninewa", 2, 0), ("2022-01-11", "Anbar", 2, 0)]
    summary = "An IED kills 4 in Ninewa on January 8."
    assert _check(tmp_path, rows, summary) == [
        f'the takeaway says "kills 4", but the IED table\'s 1 row on January 8 in Ninewa total '
        f"2 killed and 0 injured; {CONFIRM}"
    ]


def test_up_to_is_an_upper_bound(tmp_path: Path) -> None:
    rows: list[Row] = [("2022-01-08", "Salah ad-Din", 8, 0)]
    summary = "On January 8, IEDs killed up to six soldiers in Salahuddin."
    assert _check(tmp_path, rows, summary) == [
        f'the takeaway says "killed up to six", but the IED table totals 8 killed and '
        f"0 injured; {CONFIRM}"
    ]


def test_up_to_within_the_table_agrees(tmp_path: Path) -> None:
    rows: list[Row] = [("2022-01-08", "Salah ad-Din", "up to 6", 0)]
    summary = "On January 8, IEDs killed up to six soldiers in Salah ad-Din."
    assert _check(tmp_path, rows, summary) == []


def test_no_row_for_the_sentence(tmp_path: Path) -> None:
    rows: list[Row] = [("2022-01-08", "Basra", 1, 0)]
    summary = "On January 9, an IED killed one civilian in Najaf."
    assert _check(tmp_path, rows, summary) == [
        f'the takeaway says "killed one", but the IED table has no row on January 9 in Najaf; '
        f"{CONFIRM}"
    ]


@pytest.mark.parametrize(
    ("written", "count", "shown"),
    [
        ("5,500", Count(5500, 5500), "5,500"),
        ("1,000-1,200", Count(1000, 1200), "1,000-1,200"),
        ("up to 6", Count(0, 6), "up to 6"),
        ("Up to 6", Count(0, 6), "up to 6"),
        ("roughly 5,500", Count(5500, 5500, approximate=True), "roughly 5,500"),
        ("about 40", Count(40, 40, approximate=True), "roughly 40"),
        ("at least 1,200", Count(1200, None), "at least 1,200"),
    ],
)
def test_the_table_accepts_the_monitors_forms(written: str, count: Count, shown: str) -> None:
    assert parse_count(written) == count
    assert str(count) == shown


def test_an_approximate_part_makes_the_sum_approximate() -> None:
    summed = parse_count("roughly 5,500") + parse_count("3")
    assert str(summed) == "roughly 5,503"
    assert not summed.exact


@pytest.mark.parametrize(
    ("sentence", "kind", "count"),
    [
        ("an IED killed at least 18 people", "killed", Count(18, None)),
        ("and wounded 5,500 more", "injured", Count(5500, 5500)),
        ("the blast killed twenty-two", "killed", Count(22, 22)),
        ("IEDs injured roughly 5,500", "injured", Count(5500, 5500, approximate=True)),
        ("an IED kills 4", "killed", Count(4, 4)),
        ("rockets killed up to six", "killed", Count(0, 6)),
        ("killed one hundred and twenty-five.", "killed", Count(125, 125)),
    ],
)
def test_claims_read_the_monitors_english(sentence: str, kind: str, count: Count) -> None:
    assert [(c.kind, c.count) for c in claims(sentence)] == [(kind, count)]
