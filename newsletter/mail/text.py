"""The plain-text part, generated from the content (Markdown), never scraped from the HTML."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from html.parser import HTMLParser

from newsletter.markup import to_html

WIDTH = 72


class _Plain(HTMLParser):
    """Turn the sanitised HTML of one Markdown fragment into text, writing links out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.href: list[str | None] = []
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.href.append(dict(attrs).get("href"))
            self.link_text.append("")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in {"p", "ul", "ol", "blockquote"}:
            self.out.append("\n\n")
        elif tag == "br":
            self.out.append("\n")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.out.append(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.href:
            href = self.href.pop()
            text = self.link_text.pop()
            if href and href != text.strip():
                self.out.append(f" <{href}>")

    def handle_data(self, data: str) -> None:
        if self.link_text:
            self.link_text[-1] += data
        self.out.append(data)


def markdown_to_text(markdown: str) -> str:
    """Render Markdown as plain text paragraphs, links written out as ``text <url>``."""
    parser = _Plain()
    parser.feed(str(to_html(markdown)))
    paragraphs = [" ".join(p.split()) for p in "".join(parser.out).split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def wrap(text: str, width: int = WIDTH, indent: str = "", first: str | None = None) -> str:
    """Wrap each paragraph of ``text`` at ``width`` columns, never breaking words or URLs."""
    return "\n\n".join(
        textwrap.fill(
            paragraph,
            width=width,
            initial_indent=indent if first is None else first,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        for paragraph in text.split("\n\n")
    )


def text_table(rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """Lay out rows as aligned columns; columns listed in ``right`` are right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
