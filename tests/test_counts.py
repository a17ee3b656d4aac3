"""Casualty counts: parsing what editors write, and honest totals."""

from __future__ import annotations

import pytest

from newsletter.compute import casualties, totals
from newsletter.counts import Count, parse_count, total
from newsletter.model import Incident


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (0, Count(0, 0)),
        (3, Count(3, 3)),
        ("3", Count(3, 3)),
        ("2-3", Count(2, 3)),
        ("2 – 3", Count(2, 3)),
        ("at least 4", Count(4, None)),
        ("At least 4", Count(4, None)),
        ("4+", Count(4, None)),
        ("unknown", Count(0, None)),
        ("3-3", Count(3, 3)),
    ],
)
def test_parse(written: object, expected: Count) -> None:
    assert parse_count(written) == expected


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            "three",
            'expected a whole number, a range like 2-3, "at least N" or "unknown"; got "three"',
        ),
        (-1, "a count cannot be negative; got -1"),
        ("5-2", 'a range goes from low to high, like 2-5; got "5-2"'),
        (2.5, 'expected a whole number, a range like 2-3, "at least N" or "unknown"; got 2.5'),
        (True, 'expected a whole number, a range like 2-3, "at least N" or "unknown"; got true'),
        (None, 'expected a whole number, a range like 2-3, "at least N" or "unknown"; got nothing'),
    ],
)
def test_parse_rejects(written: object, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_count(written)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("parts", "shown"),
    [
        ([1, 0, 2], "3"),
        ([1, "2-3"], "3-4"),
        ([2, "at least 5"], "at least 7"),
        ([2, "unknown"], "at least 2"),
        (["unknown", "unknown"], "unknown"),
        (["2-3", "4+"], "at least 6"),
        ([], "0"),
    ],
)
def test_totals_say_what_is_known(parts: list[object], shown: str) -> None:
    assert str(total([parse_count(p) for p in parts])) == shown


def _incident(deaths: object, injuries: object) -> Incident:
    return Incident.model_validate(
        {"date": "2021-11-06", "province": "Babil", "deaths": deaths, "injuries": injuries}
    )


def test_totals_phrase_is_honest() -> None:
    rows = [_incident(1, "2-3"), _incident("unknown", "4+"), _incident(2, 0)]
    summary = totals(rows)
    assert summary.incidents == 3
    assert summary.phrase() == "3 incidents, at least 3 killed, at least 6 injured"
    assert totals([_incident(1, "1-2")]).phrase() == "1 incident, 1 killed, 1-2 injured"
    assert casualties(Count(0, None), "killed") == "unknown number killed"
