"""Helpers for tests that read what a reader gets: visible text, in order."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

FIXTURE = Path(__file__).parent / "fixtures" / "ishm-328.txt"


class _Text(HTMLParser):
    SKIP: ClassVar[set[str]] = {"style", "script", "head", "title"}
    BLOCK: ClassVar[set[str]] = {
        "p",
        "div",
        "li",
        "td",
        "th",
        "tr",
        "br",
        "table",
        "section",
        "ul",
        "ol",
        "caption",
        "header",
        "footer",
        "nav",
        "article",
        "main",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "body",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        if tag in self.BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping -= 1
        if tag in self.BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    """The visible text of an HTML document, whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    return normalise("".join(parser.parts))


def pdf_text_normalised(text: str, running_header: str) -> str:
    """Collapse pdftotext output into one line: drop page furniture, rejoin hyphenated breaks."""
    lines = []
    for line in text.replace("\f", "\n").splitlines():
        stripped = line.strip()
        if re.fullmatch(r"Page \d+ of \d+", stripped) or stripped == running_header:
            continue
        lines.append(stripped)
    joined = ""
    for line in lines:
        if not line:
            continue
        if joined.endswith("-") and not joined.endswith(" -"):
            joined += line
        else:
            joined += " " + line if joined else line
    return normalise(joined)


def normalise(text: str) -> str:
    """Collapse runs of white space."""
    return re.sub(r"\s+", " ", text).strip()


def seed_parts() -> list[str]:
    """Every paragraph, headline and table row of the seed issue, in reading order."""
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    parts: list[str] = []
    for line in lines:
        if not line or line == "Key Takeaways:" or line.startswith("---"):
            continue
        if line.startswith("- "):
            match = re.match(r"^- (.*?)\s*[–-]\s*(On November.*) more…$", line)
            assert match, line
            parts += [match[1], match[2], "more…"]
        elif "Date | Location" in line:
            # The note and the table header ran together in the source.
            parts += [line.split("Date |")[0], "Date Location Deaths Injuries"]
        elif line.startswith("Casualties Due To IEDs from"):
            # The export has a hyphen; the editions write the range with the headers' en dash.
            parts.append(line.replace(" - ", " – "))
        elif "|" in line:
            parts.append(" ".join(cell.strip() for cell in line.split("|") if cell.strip()))
        else:
            parts.append(line)
    return [normalise(p) for p in parts]


def missing_in_order(text: str, parts: list[str]) -> list[str]:
    """Return the parts not found in ``text`` in the given order (empty when all are)."""
    missing = []
    position = 0
    for part in parts:
        found = text.find(part, position)
        if found < 0:
            missing.append(part)
        else:
            position = found + len(part)
    return missing
