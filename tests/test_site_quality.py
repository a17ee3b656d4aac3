"""The built site checked as a visitor's browser sees it: links, accessibility, search."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
from conftest import ROOT, SampleBuild
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        for name in ("href", "src"):
            if values.get(name) and not (tag == "link" and values.get("rel") == "canonical"):
                self.targets.append(str(values[name]))


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_every_internal_link_anchor_and_asset_exists(sample: SampleBuild) -> None:
    site = sample.output / "site"
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 8
    parsed = {p.resolve(): _parse(p) for p in pages}
    broken = []
    for page, links in parsed.items():
        for target in links.targets:
            if urlsplit(target).scheme or target.startswith("//"):
                continue  # external
            path, fragment = urldefrag(target)
            resolved = (page.parent / unquote(path)).resolve() if path else page
            if resolved.is_dir():
                resolved = resolved / "index.html"
            if not resolved.is_file():
                broken.append(f"{page.relative_to(site.resolve())}: {target}")
                continue
            if fragment and resolved.suffix == ".html":
                ids = parsed[resolved].ids if resolved in parsed else _parse(resolved).ids
                if fragment not in ids:
                    broken.append(f"{page.relative_to(site.resolve())}: {target} (no anchor)")
    assert broken == []


@pytest.fixture(scope="module")
def served(sample: SampleBuild) -> Iterator[str]:
    """The sample site on an HTTP server on 127.0.0.1 (Pagefind needs http, not file:)."""
    handler = functools.partial(_QuietHandler, directory=str(sample.output / "site"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.parametrize(
    "page", ["index.html", "issues/2021-11-11/", "governorates/kirkuk.html", "search.html"]
)
def test_no_serious_accessibility_violations(browser: Any, served: str, page: str) -> None:
    from browser import set_viewport

    set_viewport(browser, 1024, 900)
    browser.get(served + page)
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    browser.set_script_timeout(60)
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(r.violations.map("
        "v => [v.id, v.impact, v.nodes.length, v.help])));"
    )
    serious = [v for v in result if v[1] in ("serious", "critical")]
    assert serious == []


def test_search_finds_a_story(browser: Any, served: str) -> None:
    browser.get(served + "search.html")
    field = browser.find_element(By.ID, "q")
    field.send_keys("Chevron")
    results = WebDriverWait(browser, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".search-result")
    )
    assert any("ISHM 328" in r.text for r in results)
    # The result links to the section that matches best (see test_web_phone.py).
    assert results[0].get_attribute("href").split("#")[0].endswith("/issues/2021-11-11/")


def test_pages_fit_a_phone(browser: Any, served: str) -> None:
    from browser import set_viewport

    set_viewport(browser, 360, 800)
    for page in ("index.html", "issues/2021-11-11/", "governorates/kirkuk.html"):
        browser.get(served + page)
        assert browser.execute_script("return document.documentElement.scrollWidth") <= 360, page


def test_search_merges_the_yearly_indexes(browser: Any, tmp_path: Path) -> None:
    import datetime as dt

    from synthetic import generate

    from newsletter.commands.build import build

    content = generate(tmp_path / "content", issues=6, seed=3, first_end=dt.date(2016, 12, 8))
    oldest = sorted((content / "issues").iterdir())[0]  # 2016; the newest is in 2017
    story = oldest / "sections" / "politics.yaml"
    text = story.read_text(encoding="utf-8")
    story.write_text(text.replace("stories:\n", "stories:\n- Zanzibarian ferries.\n", 1), "utf-8")
    build(content, tmp_path / "out", editions=("web",))
    handler = functools.partial(_QuietHandler, directory=str(tmp_path / "out" / "site"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser.get(f"http://127.0.0.1:{server.server_address[1]}/search.html")
        browser.find_element(By.ID, "q").send_keys("Zanzibarian")
        results = WebDriverWait(browser, 20).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, ".search-result")
        )
        assert [r.get_attribute("href").split("/issues/")[1].split("#")[0] for r in results] == [
            f"{oldest.name}/"
        ]
    finally:
        server.shutdown()
        server.server_close()
