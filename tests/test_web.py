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
    assert '<meta name="twitter:card" content="summary_large_image">' in html
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
    assert '<h2 id="takeaways">Key Takeaways</h2>' in content
    rows = json.loads((archive / "issues/2017-01-12/incidents.json").read_text("utf-8"))
    assert f"Total: {len(rows)} incident" in content
    assert 'href="https://monitor.example.org/issues/2017-01-12/#politics"' in content


def test_sitemap_lists_every_page(archive: Path) -> None:
    root = ET.parse(archive / "sitemap.xml").getroot()
    urls = [e.text for e in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "https://monitor.example.org/" in urls
    assert "https://monitor.example.org/issues/2016-12-08/" in urls
    assert "https://monitor.example.org/search.html" in urls
    assert len(urls) == len([p for p in archive.rglob("*.html") if p.name != "404.html"])


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


def _head(html: str) -> dict[str, str]:
    """The page head's meta properties and names, by name."""
    metas = re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', html)
    return dict(metas)


def test_issue_page_has_a_large_preview_image(sample: SampleBuild) -> None:
    import struct

    html = sample.web_html.read_text(encoding="utf-8")
    head = _head(html)
    url = "https://enablingpeace.org/ishm/issues/2021-11-11/og.png"
    assert head["og:image"] == url
    assert (head["og:image:width"], head["og:image:height"]) == ("1200", "630")
    assert head["og:image:alt"].startswith("Map of IED incidents, ISHM 328")
    assert head["twitter:card"] == "summary_large_image"
    png = (sample.issue_dir / "og.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1200, 630)  # the IHDR chunk's width, height
    sitemap = ET.parse(sample.output / "site" / "sitemap.xml").getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    images = {
        u.findtext("s:loc", namespaces=ns): u.findtext(
            "{http://www.google.com/schemas/sitemap-image/1.1}image/"
            "{http://www.google.com/schemas/sitemap-image/1.1}loc"
        )
        for u in sitemap.iterfind("s:url", ns)
    }
    assert images["https://enablingpeace.org/ishm/issues/2021-11-11/"] == url
    index = _head((sample.output / "site" / "index.html").read_text(encoding="utf-8"))
    assert index["twitter:card"] == "summary" and "og:image" not in index


def test_description_is_cut_at_a_word(sample: SampleBuild) -> None:
    from newsletter.render.share import cut_at_word

    html = sample.web_html.read_text(encoding="utf-8")
    description = _head(html)["description"]
    headlines = "; ".join(
        re.findall(r"<li><strong>(.*?)</strong>", html.split('id="takeaways"')[1])
    ).replace("&#39;", "'")
    assert len(description) <= 160
    assert description.endswith("…")
    kept = description[:-1]
    assert headlines.startswith(kept) and headlines[len(kept)] in " ;"
    assert cut_at_word("Iraq Launches Campaign Against Smugglers", 20) == "Iraq Launches…"
    assert cut_at_word("Iraq Launches Campaign Against Smugglers", 24) == "Iraq Launches Campaign…"
    assert cut_at_word("Iraq Launches Campaign", 22) == "Iraq Launches Campaign"
    assert cut_at_word("Iraq Launches; Campaign", 16) == "Iraq Launches…"


def test_favicon_and_not_found_page(sample: SampleBuild) -> None:
    site = sample.output / "site"
    for page in ("index.html", "issues/2021-11-11/index.html", "search.html"):
        html = (site / page).read_text(encoding="utf-8")
        icon = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', html)
        assert (
            icon
            and (site / page).parent.joinpath(icon[1]).resolve() == (site / "favicon.svg").resolve()
        )
    assert (site / "favicon.svg").read_text(encoding="utf-8").startswith("<svg")
    assert (site / "apple-touch-icon.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    missing = (site / "404.html").read_text(encoding="utf-8")
    assert "<h1>Page not found</h1>" in missing
    assert '<meta name="robots" content="noindex">' in missing
    # Served at any depth: every link of the page is absolute.
    assert 'href="https://enablingpeace.org/ishm/style.css"' in missing
    assert 'action="https://enablingpeace.org/ishm/search.html"' in missing
    assert "404" not in (site / "sitemap.xml").read_text(encoding="utf-8")


def test_feed_entry_links_the_pdf_and_ends_with_the_footer(sample: SampleBuild) -> None:
    feed = ET.parse(sample.output / "site" / "atom.xml").getroot()
    entry = feed.find(f"{ATOM}entry")
    assert entry is not None
    pdfs = [
        link.get("href")
        for link in entry.iterfind(f"{ATOM}link")
        if link.get("rel") == "enclosure" and link.get("type") == "application/pdf"
    ]
    assert pdfs == ["https://enablingpeace.org/ishm/issues/2021-11-11/ishm-328.pdf"]
    content = entry.findtext(f"{ATOM}content") or ""
    assert "is a free publication of the Enabling Peace in Iraq Center.</p>" in content
    assert '<a href="https://enablingpeace.org/ishm/subscribe/">Subscribe</a> to our weekly' in (
        content
    )
    assert '<a href="https://twitter.com/enablingpeace">follow EPIC on Twitter</a>' in content


SOCIAL = '<a href="https://twitter.com/enablingpeace">follow EPIC on Twitter</a>'


def test_social_links_render_alike_in_every_edition(sample: SampleBuild) -> None:
    from pypdf import PdfReader

    web = sample.web_html.read_text(encoding="utf-8")
    email = sample.email_html.read_text(encoding="utf-8")
    assert web.count(SOCIAL) == 1
    # The email's inliner adds styles to the anchor; the words and the address are the same.
    linked = re.findall(r'<a href="https://twitter.com/enablingpeace"[^>]*>([^<]*)</a>', email)
    assert linked == ["follow EPIC on Twitter"]
    assert ">Twitter</a>" not in email
    reader = PdfReader(sample.pdf)
    uris = [
        annotation.get_object()["/A"].get("/URI")
        for page in reader.pages
        for annotation in page.get("/Annots") or []
        if "/A" in annotation.get_object()
    ]
    assert "https://twitter.com/enablingpeace" in uris
    text = " ".join(sample.pdf_text().split())
    assert "every Thursday and follow EPIC on Twitter to receive updates" in text


def test_social_link_missing_from_the_sentence_follows_it(project: Path, tmp_path: Path) -> None:
    settings = project / "newsletter.yaml"
    text = settings.read_text(encoding="utf-8")
    mastodon = "  - name: Mastodon\n    url: https://example.org/@epic\n"
    settings.write_text(
        text.replace("    link_text: follow EPIC on Twitter\n", mastodon), encoding="utf-8"
    )
    build(project, tmp_path / "out", editions=("web",))
    html = (tmp_path / "out" / "site" / "index.html").read_text(encoding="utf-8")
    assert (
        'follow EPIC on <a href="https://twitter.com/enablingpeace">Twitter</a> to receive '
        'updates throughout the week. <a href="https://example.org/@epic">Mastodon</a></p>'
    ) in html
