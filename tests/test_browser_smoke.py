"""The real browser starts and renders the sample's web page."""

from __future__ import annotations

from typing import Any

from browser import set_viewport
from conftest import SampleBuild


def test_chromium_renders_the_issue_page(browser: Any, sample: SampleBuild) -> None:
    set_viewport(browser, 375)
    browser.get(sample.web_html.as_uri())
    assert browser.execute_script("return window.innerWidth") == 375
    heading = browser.execute_script("return document.querySelector('h1').textContent")
    assert heading == "ISHM 328: November 4 – 11, 2021"
    scroll_width = browser.execute_script("return document.documentElement.scrollWidth")
    assert scroll_width <= 375
