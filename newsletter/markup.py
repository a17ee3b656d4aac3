"""Markdown to safe HTML: editors write Markdown; nothing they write runs in a reader's client."""

from __future__ import annotations

import html as htmllib
import re
from functools import lru_cache
from urllib.parse import unquote, urlsplit

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options
from markupsafe import Markup

from newsletter.model import LinkedText, SocialLink

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


# CommonMark through cmark-gfm (C): about 70 times faster than Python-Markdown, which matters
# at archive scale (15 MB of stories in 520 issues). Raw HTML passes cmark ("unsafe") because nh3,
# below, is the one place that decides what survives.
_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_VALIDATE_UTF8


@lru_cache(maxsize=4096)  # the email, PDF and web editions render the same paragraphs
def to_html(text: str) -> Markup:
    """Render Markdown ``text`` as sanitised block HTML."""
    html = cmarkgfm.markdown_to_html(text, _OPTIONS).strip()
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


# WeasyPrint lays out nested boxes recursively: 100 nested list items or 150 quotes exceed
# Python's recursion limit, so the PDF edition would fail. Real stories nest a few levels.
MAX_DEPTH = 50
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)")
_VOID = {"br", "img"}
_IMAGE = re.compile(r'<img\b[^>]*?\ssrc="([^"]*)"')


def _depth(html: str) -> int:
    """How deep the elements of sanitised (well-formed) HTML nest."""
    depth = deepest = 0
    for close, name in _TAG.findall(html):
        if name.lower() in _VOID:
            continue
        depth += -1 if close else 1
        deepest = max(deepest, depth)
    return deepest


def findings(text: str) -> list[tuple[str, str]]:
    """What the editions would stop or stumble on in Markdown ``text``: (severity, message).

    The same rendering the editions use, so ``newsletter check`` finds what the build would
    reject. Local images are returned as ``("image", path)`` for the caller to look up."""
    html = str(to_html(text))
    found: list[tuple[str, str]] = []
    depth = _depth(html)
    if depth > MAX_DEPTH:
        found.append(
            (
                "error",
                f"the formatting is nested {depth} levels deep; the PDF edition can lay out "
                f"at most {MAX_DEPTH}",
            )
        )
    for src in dict.fromkeys(htmllib.unescape(m) for m in _IMAGE.findall(html)):
        parts = urlsplit(src)
        if src.startswith("//"):
            found.append(("error", f'the image "{src}" has no scheme; write "https:{src}"'))
        elif parts.scheme in ("http", "https"):
            found.append(
                (
                    "warning",
                    f'the PDF edition leaves out the image "{src}": it never fetches from '
                    "the network",
                )
            )
        elif parts.scheme:
            found.append(("error", f'the image "{src}" must be an https:// address or a file'))
        elif parts.path:
            found.append(("image", unquote(parts.path)))
    return found


def linked(text: str, link_text: str, url: str) -> Markup:
    """Escape ``text`` and link the first occurrence of ``link_text`` to ``url``."""
    return linked_all(text, [(link_text, url)])


def linked_all(text: str, links: list[tuple[str, str]]) -> Markup:
    """Escape ``text`` and link the first occurrence of each ``(link_text, url)``; a link whose
    words the text does not contain follows the text, after a space (`` · `` between them)."""
    spans: list[tuple[int, int, str, str]] = []
    extra: list[Markup] = []
    for link_text, url in links:
        start = text.find(link_text) if link_text else -1
        end = start + len(link_text)
        if start < 0 or any(start < e and s < end for s, e, _, _ in spans):
            extra.append(Markup('<a href="{}">{}</a>').format(url, link_text))
        else:
            spans.append((start, end, link_text, url))
    out, at = Markup(""), 0
    for start, end, link_text, url in sorted(spans):
        out += Markup.escape(text[at:start]) + Markup('<a href="{}">{}</a>').format(url, link_text)
        at = end
    out += Markup.escape(text[at:])
    return out + (Markup(" ") + Markup(" · ").join(extra) if extra else Markup(""))


def subscribe_line(subscribe: LinkedText, social: list[SocialLink], url: str) -> Markup:
    """The subscribe sentence as every edition shows it: its link to ``url`` and each social
    profile linked where the sentence names it (``link_text``), or after it by name."""
    links = [(subscribe.link_text, url)]
    links += [(s.link_text or s.name, s.url) for s in social]
    return linked_all(subscribe.text, links)
