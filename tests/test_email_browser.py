"""The email seen in a real browser (headless Chromium) at phone and desktop widths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import set_viewport
from conftest import SampleBuild

ARTIFACTS = Path(__file__).parent / "artifacts"

# Elements wider than the viewport, ignoring those inside a box that scrolls on its own
# (the IED table may scroll inside its wrapper, never the page).
OVERFLOWING = """
const width = document.documentElement.clientWidth;
const scrolls = el => {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX;
    if (o === 'auto' || o === 'scroll') return true;
  }
  return false;
};
return Array.from(document.body.querySelectorAll('*'))
  .filter(el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > width + 1;
  })
  .filter(el => !scrolls(el))
  .map(el => el.tagName + '.' + el.className);
"""


@pytest.mark.parametrize("width", [320, 375, 600])
def test_email_fits_the_viewport(browser: Any, sample: SampleBuild, width: int) -> None:
    set_viewport(browser, width, 1200)
    browser.get(sample.email_html.as_uri())
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    assert browser.execute_script(OVERFLOWING) == []
    # The map loaded from beside the email and scaled to the column.
    natural = browser.execute_script(
        "const i = document.querySelector('img'); return [i.complete, i.naturalWidth, i.width]"
    )
    assert natural[0] is True and natural[1] == 1200 and natural[2] <= width
    ARTIFACTS.mkdir(exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    set_viewport(browser, width, min(int(height), 16000))
    browser.save_screenshot(str(ARTIFACTS / f"email-{width}.png"))
    assert (ARTIFACTS / f"email-{width}.png").stat().st_size > 10_000


def test_ied_table_readable_on_a_phone(browser: Any, sample: SampleBuild) -> None:
    set_viewport(browser, 375, 1200)
    browser.get(sample.email_html.as_uri())
    font_size = browser.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('.ied td')).fontSize)"
    )
    assert font_size >= 13
    table_right = browser.execute_script(
        "return document.querySelector('.ied').getBoundingClientRect().right"
    )
    wrapper_right = browser.execute_script(
        "return document.querySelector('.ied-wrap').getBoundingClientRect().right"
    )
    # Either the table fits, or it scrolls inside its own wrapper.
    assert table_right <= 375 or wrapper_right <= 375
