"""The email as a subscriber reads it on a phone: headless Chromium at 320, 375 and 600 px.

Tables fit without breaking a word, the map's type reads, "In this issue" and the "more…"
links jump within the email, and the subject names the lead story. Full-page screenshots at
375 px go to ``ci-artifacts/`` at the repository root, which CI keeps.
"""

from __future__ import annotations

import email
import email.policy
import io
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from browser import set_viewport
from conftest import CONTENT, ROOT, SAMPLE_ID, SampleBuild
from PIL import Image

from newsletter import paths
from newsletter.loader import load_project
from newsletter.render.map import issue_places
from newsletter.render.mapvariants import small_map_svg

ARTIFACTS = ROOT / "ci-artifacts"

# Every word of every table cell whose text runs over more than one line box: a word broken
# inside ("Deat/hs", "11/06/ /21").
BROKEN_WORDS = """
const broken = [];
for (const cell of document.querySelectorAll('table.ied th, table.ied td, '
                                            + 'table.breakdown th, table.breakdown td')) {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const m of node.data.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const lines = new Set(Array.from(range.getClientRects(), r => Math.round(r.top)));
      if (lines.size > 1) broken.push(m[0]);
    }
  }
}
return broken;
"""

# Each table whose content is wider than its box, or whose box is wider than its container.
OVERFLOWING_TABLES = """
return Array.from(document.querySelectorAll('table.ied, table.breakdown'))
  .filter(t => t.scrollWidth > t.clientWidth + 0.5
               || t.getBoundingClientRect().width > t.parentElement.clientWidth + 0.5)
  .map(t => [t.className, t.scrollWidth, t.clientWidth, t.parentElement.clientWidth]);
"""


def _open(browser: Any, sample: SampleBuild, width: int) -> None:
    set_viewport(browser, width, 1200)
    browser.get(sample.email_html.as_uri())


@pytest.mark.parametrize("width", [320, 375, 600])
def test_tables_fit_without_breaking_words(browser: Any, sample: SampleBuild, width: int) -> None:
    _open(browser, sample, width)
    assert browser.execute_script(BROKEN_WORDS) == []
    assert browser.execute_script(OVERFLOWING_TABLES) == []
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    # Still real data tables: column headers and the totals row's header keep their scope.
    scopes = browser.execute_script(
        "return Array.from(document.querySelectorAll('table.ied th'), th => th.scope)"
    )
    assert scopes[:4] == ["col"] * 4 and scopes[-1] == "row"


def _smallest_type(svg: str) -> float:
    root = ET.fromstring(svg)
    return min(
        float(t.get("font-size", "0")) for t in root.iter("{http://www.w3.org/2000/svg}text")
    )


def test_map_type_reads_on_a_phone(browser: Any, sample: SampleBuild) -> None:
    project = load_project(CONTENT)
    issue = next(i for i in project.issues if i.id == SAMPLE_ID)
    drawing = small_map_svg(issue_places(project, issue))
    png = Image.open(io.BytesIO((sample.email_html.parent / "map.png").read_bytes()))
    # The type's size in the PNG's pixels, from the drawing it was rasterised from.
    label_png_px = _smallest_type(drawing.svg) * png.width / drawing.width
    _open(browser, sample, 375)
    shown = browser.execute_script(
        "const i = document.querySelector('img[src=\"map.png\"]');"
        "return [i.complete, i.naturalWidth, i.getBoundingClientRect().width,"
        " i.getAttribute('width'), i.getAttribute('height')]"
    )
    assert shown[0] is True and shown[1] == png.width == 1200
    assert label_png_px * shown[2] / png.width >= 12
    # width and height attributes in the image's own proportions.
    assert int(shown[3]) / int(shown[4]) == pytest.approx(png.width / png.height, rel=0.01)
    assert drawing.cropped  # the sample's incidents cluster from Ninewa to Diwaniyah


def test_in_this_issue_and_more_links_stay_in_the_email(browser: Any, sample: SampleBuild) -> None:
    _open(browser, sample, 375)
    toc = browser.execute_script(
        "return Array.from(document.querySelectorAll('.toc a'), a => a.getAttribute('href'))"
    )
    more = browser.execute_script(
        "return Array.from(document.querySelectorAll('a.more'), a => a.getAttribute('href'))"
    )
    assert len(toc) == 6 and len(more) == 4
    for href in toc + more:
        assert href.startswith("#"), href
        assert browser.execute_script("return !!document.getElementById(arguments[0])", href[1:])
    # Following a link scrolls the email to its section.
    browser.find_element("css selector", '.toc a[href="#ied"]').click()
    assert browser.execute_script(
        "return Math.abs(document.getElementById('ied').getBoundingClientRect().top) < 2"
    )


def test_view_in_browser_opens_the_issue_page(browser: Any, sample: SampleBuild) -> None:
    project = load_project(CONTENT)
    issue = next(i for i in project.issues if i.id == SAMPLE_ID)
    _open(browser, sample, 375)
    first = browser.execute_script(
        "const a = document.body.querySelector('a'); return [a.textContent, a.href]"
    )
    assert first == ["View in browser", paths.issue_url(project.publication, issue)]


def test_short_edition_links_to_the_web(project: Path, tmp_path: Path) -> None:
    settings = project / "newsletter.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + "email:\n  max_html_kb: 40\n", encoding="utf-8"
    )
    _build(project, tmp_path / "out")
    html = (tmp_path / "out" / "email" / SAMPLE_ID / "email.html").read_text(encoding="utf-8")
    assert "longer than an email can carry" in html
    site = "https://enablingpeace.org/ishm/issues/2021-11-11/"
    assert re.findall(r'class="more" href="([^"]+)"', html) == [
        f"{site}#{slug}" for slug in ("politics", "security", "humanitarian", "economy")
    ]
    toc = html.split('class="toc"', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'href="([^"]+)"', toc) == [
        "#takeaways",
        *(f"{site}#{slug}" for slug in ("politics", "security", "humanitarian", "economy")),
        "#ied",
    ]
    assert 'href="#ied"' in html  # the table is still in the email


def _build(content: Path, output: Path) -> None:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "newsletter", "build", "--content", str(content)),
            *("--output", str(output), "--editions", "email", "--jobs", "1"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def _subject(output: Path) -> str:
    raw = (output / "email" / SAMPLE_ID / "message.eml").read_bytes()
    # A subject line over 69 characters is folded after "Subject:"; unfold as clients do.
    subject = str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"])
    return " ".join(subject.split())


def test_subject_names_the_lead_story(project: Path, tmp_path: Path) -> None:
    settings = project / "newsletter.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text + 'email:\n  subject: "{short_name} {number}: {lead}"\n', "utf-8")
    _build(project, tmp_path / "out")
    subject = _subject(tmp_path / "out")
    assert subject == "ISHM 328: Tensions Rise As Alleged Election Fraud Protests Turn Deadly"
    assert len(subject) <= 78


def test_long_lead_is_cut_at_a_word(project: Path, tmp_path: Path) -> None:
    settings = project / "newsletter.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text + 'email:\n  subject: "{title} {number}: {lead}"\n', "utf-8")
    _build(project, tmp_path / "out")
    subject = _subject(tmp_path / "out")
    assert subject == (
        "Iraq Security and Humanitarian Monitor 328: Tensions Rise As Alleged Election…"
    )
    assert len(subject) <= 78


def test_lead_is_not_a_title_field(project: Path) -> None:
    settings = project / "newsletter.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text + 'headers:\n  title: "{lead}"\n', "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "newsletter", "check", "--content", str(project)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "headers.title: {lead} is not a field; expected one of: {short_name}" in done.stderr


def _shoot_ied(browser: Any, name: str) -> None:
    # The table and the map, from their heading down: past the full page's 16,000 px cap.
    set_viewport(browser, 375, 2000)
    browser.execute_script("document.getElementById('ied').scrollIntoView()")
    browser.save_screenshot(str(ARTIFACTS / name))


def test_screenshots_at_375(browser: Any, sample: SampleBuild) -> None:
    _open(browser, sample, 375)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    set_viewport(browser, 375, min(int(height), 16000))  # Chromium's largest screenshot
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "email-375.png"))
    _shoot_ied(browser, "email-375-ied.png")
    dark = [{"name": "prefers-color-scheme", "value": "dark"}]
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": dark})
    try:
        _shoot_ied(browser, "email-375-ied-dark.png")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    for name in ("email-375.png", "email-375-ied.png", "email-375-ied-dark.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000
