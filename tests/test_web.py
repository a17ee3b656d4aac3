"""The web archive: pages, permalinks, feed, sitemap, data downloads and trends."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import SampleBuild
from synthetic import generate

from newsletter.commands.build import build

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A six-issue fictional archive spanning two years, built web-only."""
    root = tmp_path_factory.mktemp("archive")
    generate(root / "content", issues=6, seed=3, first_end=dt.date(2016, 12, 8))
    build(root / "content", root / "out", editions=("web",))
    return root / "out" / "site"


def test_index_newest_first_grouped_by_year(archive: Path) -> None:
    html = (archive / "index.html").read_text(encoding="utf-8")
    years = re.findall(r'<h2 id="year-(\d{4})">', html)
    assert years == ["2017", "2016"]
    numbers = [int(n) for n in re.findall(r"SSM (\d+): ", html)]
    assert numbers == [105, 104, 103, 102, 101, 100]
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html  # the trend chart, inline


def test_issue_page_permalink_anchors_and_neighbours(sample: SampleBuild, archive: Path) -> None:
    html = sample.web_html.read_text(encoding="utf-8")
    for anchor in ("takeaways", "politics", "security", "humanitarian", "economy", "ied"):
        assert f'id="{anchor}"' in html
    assert '<a href="ishm-328.pdf">PDF edition</a>' in html
    assert '<link rel="canonical" href="https://enablingpeace.org/ishm/issues/2021-11-11/">' in html
    assert '<meta property="og:title" content="ISHM 328: November 4 – 11, 2021 ·' in html
    assert '<meta name="twitter:card" content="summary">' in html
    middle = (archive / "issues/2016-12-22/index.html").read_text(encoding="utf-8")
    assert '<a rel="prev" href="../2016-12-15/">' in middle
    assert '<a rel="next" href="../2016-12-29/">' in middle


def test_change_from_previous_issue(archive: Path) -> None:
    first = (archive / "issues/2016-12-08/index.html").read_text(encoding="utf-8")
    second = (archive / "issues/2016-12-15/index.html").read_text(encoding="utf-8")
    assert "Change from SSM" not in first
    rows_before = json.loads((archive / "issues/2016-12-08/incidents.json").read_text("utf-8"))
    rows_after = json.loads((archive / "issues/2016-12-15/incidents.json").read_text("utf-8"))
    delta = len(rows_after) - len(rows_before)
    expected = f"{delta:+d}" if delta else "no change"
    assert f"Change from SSM 100: incidents {expected}," in second


def test_feed_has_full_content_of_latest_issues(archive: Path) -> None:
    feed = ET.parse(archive / "atom.xml").getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 6
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles[0] is not None and titles[0].startswith("SSM 105: ")
    content = entries[0].findtext(f"{ATOM}content") or ""
    assert "<h2>Key Takeaways</h2>" in content
    rows = json.loads((archive / "issues/2017-01-12/incidents.json").read_text("utf-8"))
    assert f"Total: {len(rows)} incident" in content
    assert 'href="https://monitor.example.org/issues/2017-01-12/#politics"' in content


def test_sitemap_lists_every_page(archive: Path) -> None:
    root = ET.parse(archive / "sitemap.xml").getroot()
    urls = [e.text for e in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "https://monitor.example.org/" in urls
    assert "https://monitor.example.org/issues/2016-12-08/" in urls
    assert "https://monitor.example.org/search.html" in urls
    assert len(urls) == len(list(archive.rglob("*.html")))


def test_data_downloads(sample: SampleBuild, archive: Path) -> None:
    rows = list(csv.DictReader(io.StringIO((sample.issue_dir / "incidents.csv").read_text())))
    assert [r["id"] for r in rows] == [
        "328-20211106-jurf-al-sakhr",
        "328-20211106-ghammas-district",
        "328-20211106-hammam-al-alil",
        "328-20211108-turkalan-subdistrict",
        "328-20211108-diwaniyah",
    ]
    assert rows[3] == {
        "id": "328-20211108-turkalan-subdistrict",
        "issue": "328",
        "issue_id": "2021-11-11",
        "date": "2021-11-08",
        "location": "Turkalan subdistrict",
        "governorate": "Kirkuk",
        "type": "IED",
        "deaths_min": "2",
        "deaths_max": "2",
        "injuries_min": "5",
        "injuries_max": "5",
        "lat": "",
        "lon": "",
        "precision": "governorate",
        "located_by": "governorate",
        "place_source": "Kirkuk",
        "corrected": "",
    }
    everything = json.loads((archive / "data/incidents.json").read_text(encoding="utf-8"))
    per_issue = sum(
        len(json.loads(p.read_text(encoding="utf-8")))
        for p in archive.glob("issues/*/incidents.json")
    )
    assert len(everything) == per_issue
    open_ended = [r for r in everything if r["deaths_max"] is None or r["injuries_max"] is None]
    assert all(r["deaths_min"] is not None for r in open_ended)


def test_governorate_pages(archive: Path) -> None:
    everything = json.loads((archive / "data/incidents.json").read_text(encoding="utf-8"))
    names = {r["governorate"] for r in everything}
    pages = {p.stem for p in (archive / "governorates").glob("*.html")} - {"index"}
    assert pages == {re.sub(r"[^a-z0-9]+", "-", n.lower()).strip("-") for n in names}
    busiest = max(names, key=lambda n: sum(r["governorate"] == n for r in everything))
    rows = [r for r in everything if r["governorate"] == busiest]
    slug = re.sub(r"[^a-z0-9]+", "-", busiest.lower()).strip("-")
    html = (archive / f"governorates/{slug}.html").read_text(encoding="utf-8")
    assert html.count("<tr><td>") == len(rows) >= 2


def test_web_only_build_writes_no_pdf_or_email(archive: Path) -> None:
    assert not list(archive.rglob("*.pdf"))
    assert not (archive.parent / "email").exists()
    # One search index per year, which the search page merges.
    for year in ("2016", "2017"):
        assert (archive / "pagefind" / year / "pagefind-entry.json").is_file()
    assert '["2017", "2016"]' in (archive / "search.html").read_text(encoding="utf-8")
