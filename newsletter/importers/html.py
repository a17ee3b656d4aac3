"""Saved issue pages (and WordPress posts' HTML), cut into blocks with lxml; the text of each
block is converted to Markdown with markdownify, so emphasis and links are kept.

A "more…" link in a takeaway is removed from its text and kept as the anchor of the section
it points to; headings keep their id (or their section's) as the section's slug.
"""

from __future__ import annotations

import copy
import html as htmllib
import re
from collections.abc import Callable

import lxml.html
from lxml import etree
from markdownify import markdownify

from newsletter.importers.parts import Block, Findings, Source

_SKIP = {"script", "style", "nav", "header", "footer", "aside", "form", "svg", "noscript"}
_SKIP_CLASSES = {"map-key", "breakdown", "change", "totals-line"}  # computed on our pages
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = _HEADINGS | {"p", "li", "ul", "ol", "table", "tr", "div", "section", "article"}
_BLOCKS |= {"main", "blockquote", "figure", "figcaption", "caption", "dl", "pre", "hr"}
_BLOCKS |= _SKIP
_MORE_TEXT = re.compile(r"^\s*(?:read\s+)?more\s*(?:…|\.\.\.)?\s*$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*[-•–]\s+")
_BLANK = re.compile(r"\n\s*\n")


def to_markdown(fragment: str) -> str:
    """Convert inline HTML to one line of Markdown."""
    text = markdownify(fragment, heading_style="ATX", escape_misc=False)
    return " ".join(text.split())


def _inner(element: lxml.html.HtmlElement) -> str:
    wrapper = copy.copy(element)
    wrapper.tag = "span"
    wrapper.tail = None
    wrapper.attrib.clear()
    return etree.tostring(wrapper, encoding="unicode", method="html")


def line_of(element: etree._Element) -> int:
    """The source line an element starts on (1 when lxml does not know)."""
    line = element.sourceline
    return line if isinstance(line, int) else 1


def _elements(node: lxml.html.HtmlElement, query: str) -> list[lxml.html.HtmlElement]:
    found = node.xpath(query)
    return (
        [e for e in found if isinstance(e, lxml.html.HtmlElement)]
        if isinstance(found, list)
        else []
    )


def _classes(element: lxml.html.HtmlElement) -> set[str]:
    return set((element.get("class") or "").split())


def _anchor(element: lxml.html.HtmlElement) -> str | None:
    """The id of a heading, or of the section around it."""
    if element.get("id"):
        return str(element.get("id"))
    parent = element.getparent()
    if parent is not None and parent.tag == "section" and parent.get("id"):
        first = next((c for c in parent if isinstance(c.tag, str)), None)
        return str(parent.get("id")) if first is element else None
    return None


class _Cutter:
    """Walk a page in document order, emitting blocks."""

    def __init__(self, line_of: Callable[[int | None], int]) -> None:
        self.blocks: list[Block] = []
        self.line_of = line_of

    def emit(self, kind: str, text: str, line: int | None, **extra: object) -> None:
        if text.strip() or extra.get("cells"):
            block = Block(kind, text, self.line_of(line), **extra)  # type: ignore[arg-type]
            self.blocks.append(block)

    def para(self, markdown: str, line: int | None) -> None:
        plain = markdown.strip()
        if _BULLET.match(plain):
            self.emit("item", _BULLET.sub("", plain), line)
        elif plain.count("|") >= 3:
            cells = [c.strip() for c in plain.strip("|").split("|")]
            self.emit("row", plain, line, cells=tuple(cells))
        else:
            self.emit("para", plain, line)

    def visit(self, element: lxml.html.HtmlElement) -> None:
        tag = element.tag
        if not isinstance(tag, str) or tag in _SKIP or _classes(element) & _SKIP_CLASSES:
            return
        if element.get("data-pagefind-ignore") is not None:
            return  # our own pages mark their furniture (contents, links) this way
        line = element.sourceline
        if tag in _HEADINGS:
            self.emit(
                "heading", " ".join(element.text_content().split()), line, anchor=_anchor(element)
            )
        elif tag == "p" and any(_MORE_TEXT.match(a.text_content()) for a in element.iter("a")):
            self.item(element)  # a takeaway written as a paragraph ending in "more…"
        elif tag in ("p", "caption", "dt", "dd"):
            self.para(to_markdown(_inner(element)), line)
        elif tag == "li":
            self.item(element)
        elif tag == "table":
            for row in element.iter("tr"):
                cells = tuple(
                    " ".join(c.text_content().split())
                    for c in row
                    if isinstance(c.tag, str) and c.tag in ("td", "th")
                )
                self.emit("row", " | ".join(cells), row.sourceline, cells=cells)
        else:
            self.container(element)

    def item(self, element: lxml.html.HtmlElement) -> None:
        item = copy.deepcopy(element)
        anchor = None
        for link in item.iter("a"):
            if _MORE_TEXT.match(link.text_content()):
                href = link.get("href") or ""
                anchor = href.rpartition("#")[2] or None if "#" in href else None
                link.drop_tree()
                break
        first = next((c for c in item if isinstance(c.tag, str)), None)
        if first is not None and first.tag in ("strong", "b") and not (item.text or "").strip():
            # "<strong>Headline</strong> On May 31, ...": the bold part is the headline.
            tail = (first.tail or "").lstrip()
            ends = first.text_content().rstrip()[-1:]
            if not tail.startswith(("–", "—", "-")) and ends not in ("–", "—", "-"):
                first.tail = " – " + tail
        for nested in _elements(item, ".//ul|.//ol"):
            nested.drop_tree()  # a list inside a takeaway is read as its own items
        self.emit("item", to_markdown(_inner(item)), element.sourceline, anchor=anchor)
        for nested in _elements(element, "./ul|./ol"):
            self.visit(nested)

    def container(self, element: lxml.html.HtmlElement) -> None:
        """Blocks inside, and loose text split at blank lines (WordPress's own paragraphs)."""
        run: list[str] = []
        line = element.sourceline

        def flush() -> None:
            nonlocal run
            if "".join(run).strip():
                self.para(to_markdown("".join(run)), line)
            run = []

        def text(value: str | None) -> None:
            nonlocal line
            pieces = _BLANK.split(value or "")
            for index, piece in enumerate(pieces):
                if index:
                    flush()
                    line = (line or 1) + 2
                run.append(htmllib.escape(piece))

        text(element.text)
        for child in element:
            if isinstance(child.tag, str) and child.tag in _BLOCKS:
                flush()
                self.visit(child)
                line = child.sourceline
            elif isinstance(child.tag, str):
                if not "".join(run).strip():
                    line = child.sourceline
                run.append(
                    etree.tostring(child, encoding="unicode", method="html", with_tail=False)
                )
            text(child.tail)
        flush()


def page_blocks(root: lxml.html.HtmlElement, first_line: int = 1) -> list[Block]:
    """Cut an element (a page's body or a post's content) into blocks."""
    cutter = _Cutter(lambda line: (line or 1) + first_line - 1)
    cutter.visit(root)
    return cutter.blocks


def _content_root(document: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    for query in ("//article", "//*[contains(@class, 'entry-content')]", "//main", "//body"):
        found = _elements(document, query)
        if found:
            return found[0]
    return document


def read_page(path: str, name: str, data: bytes, findings: Findings) -> Source | None:
    """Read a saved issue page into a ``Source``."""
    source = Source(path, name, [])
    from newsletter.importers.text import decode

    text = decode(data, source, findings)
    if text is None:
        return None
    try:
        document = lxml.html.document_fromstring(text)
    except etree.ParserError as exc:
        findings.error(source, 1, "html", f"cannot read the page: {exc}")
        return None
    title = _elements(document, "//h1") or _elements(document, "//title")
    if title:
        source.title = " ".join(title[0].text_content().split())
        source.title_line = line_of(title[0])
    source.blocks = page_blocks(_content_root(document))
    return source
