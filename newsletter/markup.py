"""Markdown to safe HTML: editors write Markdown; nothing they write runs in a reader's client."""

from __future__ import annotations

import re

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p",
    "a",
    "em",
    "strong",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "br",
    "sup",
    "sub",
    "img",
    "abbr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "abbr": {"title"}}
# Only web and mail links survive: no javascript:, data: or file: URLs.
URL_SCHEMES = {"http", "https", "mailto"}


def to_html(text: str) -> Markup:
    """Render Markdown ``text`` as sanitised block HTML."""
    html = markdown.markdown(text, output_format="html")
    return Markup(
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            link_rel="noopener noreferrer",
        )
    )


_OUTER_P = re.compile(r"^<p>(.*)</p>$", re.DOTALL)


def to_inline_html(text: str) -> Markup:
    """Render one paragraph of Markdown without its enclosing ``<p>``."""
    html = str(to_html(text)).strip()
    match = _OUTER_P.match(html)
    return Markup(match[1] if match and "<p>" not in match[1] else html)


def linked(text: str, link_text: str, url: str) -> Markup:
    """Escape ``text`` and link the first occurrence of ``link_text`` to ``url``."""
    escaped = str(Markup.escape(text))
    anchor = Markup('<a href="{}">{}</a>').format(url, link_text)
    return Markup(escaped.replace(str(Markup.escape(link_text)), str(anchor), 1))
