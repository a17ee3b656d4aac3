"""Inline CSS for the clients that ignore <style>, and measure the result against Gmail's clip."""

from __future__ import annotations

import re
from dataclasses import dataclass

import css_inline

_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)

# keep_style_tags: media queries (phone layout, dark mode) only work from <style>.
_INLINER = css_inline.CSSInliner(
    keep_style_tags=True, keep_link_tags=True, load_remote_stylesheets=False
)


@dataclass(frozen=True)
class Size:
    """The bytes of an email's HTML and of its <style> blocks."""

    html: int
    style: int

    def within(self, max_html: int, max_style: int) -> bool:
        """Whether both sizes are within the budget (in bytes)."""
        return self.html <= max_html and self.style <= max_style


def inline_css(html: str) -> str:
    """Copy the <style> rules onto the elements they match, keeping the <style> blocks."""
    result: str = _INLINER.inline(html)
    return result


def measure(html: str) -> Size:
    """Measure the HTML and its style blocks, in UTF-8 bytes as they travel."""
    style = sum(len(m.group(1).encode("utf-8")) for m in _STYLE.finditer(html))
    return Size(len(html.encode("utf-8")), style)
