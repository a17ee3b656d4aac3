"""A WordPress export (WXR): one ``<item>`` per issue, its HTML in ``content:encoded``.

Items that are not posts (pages, attachments) and posts that are not issues (no "Key
Takeaways" and no issue number in the title) are skipped with a warning.
"""

from __future__ import annotations

import lxml.html
from lxml import etree

from newsletter.importers.dates import read_number
from newsletter.importers.html import line_of, page_blocks
from newsletter.importers.parts import Findings, Source

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=False)


def is_wxr(data: bytes) -> bool:
    """Whether ``data`` looks like a WordPress export rather than a page or a text."""
    head = data[:4096].lstrip().lower()
    return head.startswith(b"<?xml") and b"<rss" in head


def _child(item: etree._Element, name: str) -> etree._Element | None:
    for child in item:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return child
    return None


def read_wxr(path: str, name: str, data: bytes, findings: Findings) -> list[Source]:
    """Read every issue of a WordPress export into a ``Source`` each."""
    shown = Source(path, name, [])
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        findings.error(shown, line, "wxr", f"not a readable WordPress export: {exc.msg}", column)
        return []
    sources: list[Source] = []
    for item in root.iter("item"):
        title_el = _child(item, "title")
        title = " ".join((title_el.text or "").split()) if title_el is not None else ""
        line = line_of(item)
        kind = _child(item, "post_type")
        if kind is not None and (kind.text or "").strip() not in ("post", ""):
            continue  # pages and attachments are not issues
        body = _child(item, "encoded")
        html = (body.text or "") if body is not None else ""
        source = Source(path, name, [], title=title, title_line=line)
        if html.strip():
            fragment = lxml.html.fragment_fromstring(html, create_parent="div")
            first = line_of(body) if body is not None else line
            source.blocks = page_blocks(fragment, first)
        has_takeaways = any(b.text.strip(" *:").lower() == "key takeaways" for b in source.blocks)
        if not has_takeaways and read_number(title) is None:
            findings.warn(shown, line, "wxr", f'"{title}" is not an issue (no takeaways); skipped')
            continue
        sources.append(source)
    if not sources:
        findings.error(shown, 1, "wxr", "no issue in this WordPress export")
    return sources
