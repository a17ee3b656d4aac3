"""Figures computed from the sample's IED table."""

from __future__ import annotations

from conftest import CONTENT

from newsletter.compute import summarise
from newsletter.headers import period_text
from newsletter.loader import load_project


def test_sample_totals_breakdown_and_caption() -> None:
    project = load_project(CONTENT)
    issue = project.issues[0]
    summary = summarise(issue, project.publication)
    assert (summary.totals.incidents, str(summary.totals.deaths), str(summary.totals.injuries)) == (
        5,
        "3",
        "7",
    )
    assert summary.caption == "Casualties Due To IEDs from November 4, 2021 – November 11, 2021"
    assert [(g.governorate, g.totals.incidents) for g in summary.by_governorate] == [
        ("Diwaniyah", 2),
        ("Babylon", 1),
        ("Kirkuk", 1),
        ("Ninewa", 1),
    ]
    kirkuk = next(g for g in summary.by_governorate if g.governorate == "Kirkuk")
    assert kirkuk.totals.phrase() == "1 incident, 2 killed, 5 injured"
    assert period_text(issue, project.publication) == "November 4 – 11, 2021"


def test_key_figures_of_the_sample_and_their_honest_labels() -> None:
    from newsletter.archive import KeyFigures, key_figures
    from newsletter.compute import Totals
    from newsletter.counts import Count

    project = load_project(CONTENT)
    figures = key_figures(project, project.issues[0])
    assert [(f.value, f.label) for f in figures.figures] == [
        ("5", "IED incidents"),
        ("3", "killed"),
        ("7", "injured"),
        ("4", "governorates affected"),
    ]
    assert figures.change is None  # the first issue has nothing to compare with
    one = KeyFigures(Totals(1, Count(2, 3), Count(4, None)), 1, None)
    assert [(f.value, f.label) for f in one.figures] == [
        ("1", "IED incident"),
        ("2-3", "killed"),
        ("at least 4", "injured"),
        ("1", "governorate affected"),
    ]
