"""The web archive in Chromium at phone widths, in dark mode, and its search landing on the
section that matches."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from browser import set_viewport
from conftest import ROOT, SampleBuild
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES = (
    "index.html",
    "issues/2021-11-11/",
    "governorates/index.html",
    "governorates/kirkuk.html",
    "data/index.html",
    "search.html",
)

# What sticks out: the page wider than the viewport, a table wider than the box it scrolls
# in (the reader would have to scroll it sideways), any element past the viewport's edge.
OVERFLOW = """
const width = document.documentElement.clientWidth;
const problems = [];
if (document.documentElement.scrollWidth > width) {
  problems.push(`page ${document.documentElement.scrollWidth} > ${width}`);
}
for (const table of document.querySelectorAll("table")) {
  let box = table.parentElement;
  while (box !== document.body && getComputedStyle(box).display.startsWith("inline")) {
    box = box.parentElement;
  }
  if (table.scrollWidth > box.clientWidth) {
    problems.push(`table.${table.className} ${table.scrollWidth} > ${box.clientWidth}`);
  }
}
for (const element of document.querySelectorAll("main *, .site-header *, .site-footer *")) {
  const rect = element.getBoundingClientRect();
  if (rect.width && (rect.right > width + 0.5 || rect.left < -0.5)) {
    problems.push(`${element.tagName}.${element.getAttribute("class")} ends at ${rect.right}`);
  }
}
return problems;
"""

# Each chart label's size as drawn: its font size times the chart's scale on the screen.
CHART_TEXT = """
return [...document.querySelectorAll("svg.trend text")].map(
  t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a);
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(sample: SampleBuild) -> Iterator[str]:
    """The sample site on an HTTP server on 127.0.0.1."""
    handler = functools.partial(_QuietHandler, directory=str(sample.output / "site"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def light(browser: Any) -> Iterator[Any]:
    """The browser, put back to the light scheme and a desktop width after the test."""
    yield browser
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    set_viewport(browser, 1024)


@pytest.mark.parametrize("width", [320, 375, 600])
def test_nothing_overflows_at_phone_widths(light: Any, site: str, width: int) -> None:
    set_viewport(light, width, 800)
    problems = {}
    for page in PAGES:
        light.get(site + page)
        found = light.execute_script(OVERFLOW)
        if found:
            problems[page] = found
    assert problems == {}


@pytest.mark.parametrize("width", [320, 375])
def test_chart_text_is_readable_on_a_phone(light: Any, site: str, width: int) -> None:
    set_viewport(light, width, 800)
    for page in ("index.html", "governorates/kirkuk.html"):
        light.get(site + page)
        sizes = light.execute_script(CHART_TEXT)
        assert sizes, page
        assert min(sizes) >= 11, (page, min(sizes))


def test_chart_text_is_not_oversized_on_a_desktop(light: Any, site: str) -> None:
    for width in (600, 1024):
        set_viewport(light, width, 800)
        light.get(site + "index.html")
        assert max(light.execute_script(CHART_TEXT)) <= 16, width


def _search(browser: Any, site: str, words: str) -> list[Any]:
    browser.get(site + "search.html")
    browser.find_element(By.ID, "q").send_keys(words)
    return list(
        WebDriverWait(browser, 20).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, ".search-result")
        )
    )


def test_search_lands_on_the_matching_section(light: Any, site: str) -> None:
    # "Chevron" is in the fourth section (economy) and in its takeaway.
    results = _search(light, site, "Chevron")
    status = light.find_element(By.ID, "search-status").text
    assert status == "1 issue found"
    assert len(results) == 1
    assert results[0].get_attribute("href").endswith("/issues/2021-11-11/#economy")
    sections = light.find_elements(By.CSS_SELECTOR, ".search-section")
    assert [s.get_attribute("href").rsplit("#", 1)[1] for s in sections] == [
        "takeaways",
        "economy",
    ]
    # Each excerpt is its own section's text: the economy one does not run into the next.
    excerpts = [s.find_element(By.XPATH, "following-sibling::p").text for s in sections]
    assert "Chevron" in excerpts[1] and "IED" not in excerpts[1]
    results[0].click()
    WebDriverWait(light, 10).until(lambda d: d.execute_script("return location.hash") == "#economy")
    top = light.execute_script(
        "return document.getElementById('economy').getBoundingClientRect().top"
    )
    assert 0 <= top < 50


def test_search_counts_issues_in_english(light: Any, site: str) -> None:
    _search(light, site, "Kirkuk")
    assert light.find_element(By.ID, "search-status").text == "1 issue found"
    field = light.find_element(By.ID, "q")
    field.clear()
    field.send_keys("zzxqvw")
    WebDriverWait(light, 20).until(
        lambda d: d.find_element(By.ID, "search-status").text == "No issues found"
    )


@pytest.mark.parametrize("page", ["index.html", "issues/2021-11-11/", "search.html"])
def test_dark_mode_follows_the_reader(light: Any, site: str, page: str) -> None:
    set_viewport(light, 375, 800)
    light.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
    )
    light.get(site + page)
    background = light.execute_script("return getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(v) for v in background[background.index("(") + 1 : -1].split(","))
    assert max(red, green, blue) < 64, background
    light.execute_script(AXE.read_text(encoding="utf-8"))
    light.set_script_timeout(60)
    violations = light.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: ['color-contrast']}).then(r => done(r.violations.map("
        "v => [v.id, v.nodes.map(n => n.target.join(' '))])));"
    )
    assert violations == []
