"""Comparisons, charts and trend text over issues of different lengths, as editors see them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from numbers_archive import Row, new_content, run, write_issue

from newsletter.render import chart

SVG = "{http://www.w3.org/2000/svg}"


def _rows(count: int, day: str, province: str = "Baghdad", deaths: object = 0) -> list[Row]:
    return [(day, province, deaths, 0)] * count


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 7-day issue of 2018, a 15-day holiday issue across the new year, an 8-day issue."""
    root = tmp_path_factory.mktemp("lengths")
    content = new_content(root)
    write_issue(content, 180, "2018-11-30", "2018-12-06", _rows(3, "2018-12-01"))
    holiday = [*_rows(9, "2021-12-28"), ("2021-12-30", "Diyala", "at least 7", 1)]
    write_issue(content, 333, "2021-12-23", "2022-01-06", holiday)
    after = [*_rows(5, "2022-01-08"), ("2022-01-09", "Anbar", 3, "2-3")]
    write_issue(content, 334, "2022-01-06", "2022-01-13", after)
    done = run("build", "--web-only", "--content", str(content), "--output", str(root / "out"))
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "out" / "site"


def _svg(page: Path) -> ET.Element:
    html = page.read_text(encoding="utf-8")
    return ET.fromstring(re.search(r"<svg .*?</svg>", html, re.DOTALL)[0])  # type: ignore[index]


def test_change_is_per_day_when_lengths_differ(site: Path) -> None:
    html = (site / "issues/2022-01-13/index.html").read_text(encoding="utf-8")
    # 10 incidents in 15 days, then 6 in 8: fewer incidents, but more a day.
    assert (
        "Change from ISHM 333 per day (ISHM 333 covered 15 days, this issue 8): "
        "incidents 0.8 a day, up from 0.7; killed 0.4 a day (was at least 0.5); "
        "injured 0.2-0.4 a day (was 0.1)."
    ) in html


def test_chart_places_issues_by_date_per_7_days(site: Path) -> None:
    svg = _svg(site / "index.html")
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "label"]
    assert labels == ["Incidents per 7 days", "Killed per 7 days", "Injured per 7 days"]
    circles = [float(c.get("cx", "")) for c in svg.iter(f"{SVG}circle")][:3]
    # 2018-12-06, 2022-01-06, 2022-01-13: the last two a week apart, the first three years off.
    first, last = float(chart.LEFT), float(chart.WIDTH - chart.RIGHT)
    assert circles[0] == first and circles[2] == last
    assert circles[2] - circles[1] == pytest.approx((last - first) * 7 / 1134, abs=0.1)
    # Incidents per 7 days: 3, 10 * 7 / 15 = 4.7, 6 * 7 / 8 = 5.2 (the top of the axis).
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks[:2] == ["0", "5.2"]


def test_index_trend_text_agrees_with_the_table(site: Path) -> None:
    desc = _svg(site / "index.html").findtext(f"{SVG}desc") or ""
    assert "Killed: at least 10 in all; at the highest, at least 3.3 per 7 days." in desc
    assert "at most" not in desc and "one week" not in desc and "10+" not in desc


def test_governorate_trend_text_agrees_with_its_totals(site: Path) -> None:
    page = site / "governorates/anbar.html"
    assert "1 incident, 3 killed, 2-3 injured" in page.read_text(encoding="utf-8")
    desc = _svg(page).findtext(f"{SVG}desc") or ""
    assert "Killed: 3 in all;" in desc and "Injured: 2-3 in all;" in desc


def _boxes(svg: ET.Element) -> list[tuple[str, float, float, float, float]]:
    """Each text's box, from its position, anchor and font size (Arial: ~0.6em a character)."""
    boxes = []
    for text in svg.iter(f"{SVG}text"):
        size = 13 if text.get("class") == "label" else 11
        x, y, words = float(text.get("x", "0")), float(text.get("y", "0")), text.text or ""
        width = len(words) * size * 0.6
        left = {"end": x - width, "middle": x - width / 2}.get(text.get("text-anchor", ""), x)
        boxes.append((words, left, left + width, y - size * 0.8, y + size * 0.25))
    return boxes


def test_titles_and_axis_figures_do_not_overlap(site: Path) -> None:
    svg = _svg(site / "index.html")
    boxes = _boxes(svg)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[2] <= b[1] or b[2] <= a[1] or a[4] <= b[3] or b[4] <= a[3]
            assert apart, f"{a[0]!r} overlaps {b[0]!r}"
    assert all(box[3] >= 0 for box in boxes), "a text is cut off at the top"


def test_one_issue_chart(tmp_path: Path) -> None:
    content = new_content(tmp_path)
    write_issue(content, 334, "2022-01-06", "2022-01-13", _rows(2, "2022-01-08"))
    done = run("build", "--web-only", "--content", str(content), "--output", str(tmp_path / "o"))
    assert done.returncode == 0, done.stdout + done.stderr
    svg = _svg(tmp_path / "o/site/index.html")
    middle = str((chart.LEFT + chart.WIDTH - chart.RIGHT) / 2)
    assert {c.get("cx") for c in svg.iter(f"{SVG}circle")} == {middle}
    dates = [t for t in svg.iter(f"{SVG}text") if t.text == "2022-01-13"]
    assert len(dates) == 1 and dates[0].get("x") == middle
    assert dates[0].get("text-anchor") == "middle"
    assert (svg.findtext(f"{SVG}desc") or "").startswith("1 issue from 2022-01-06 to 2022-01-13.")
