"""Read a source's blocks into an issue: header, takeaways, sections, the IED table.

The reading follows the issue's order as the monitor publishes it. Whatever cannot be read
is an error at its line (the issue is not imported); whatever is read with a guess is a
warning that says what was done instead.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from newsletter.importers.dates import read_number, read_period
from newsletter.importers.parts import Block, Findings, ParsedIssue, ParsedSection, Period, Source
from newsletter.importers.table import read_table

# "more…" or "more..." closing a takeaway: the link is re-made from the section it points to.
_MORE = re.compile(r"\s*\[?(?:read\s+)?more\s*(?:…|\.\.\.)\]?\s*$", re.IGNORECASE)
# The dash between a takeaway's headline and its summary: " – ", "- ", " - ", "—". A dash
# inside a word ("COVID-19", "Iraq–Turkey") has no space beside it and does not split.
_SPLIT = re.compile(r"\s+[–—]\s*|\s*[–—]\s+|\s+-\s*|(?<=\S)-\s+")
_IED_TITLE = re.compile(r"^\W*(?:IED\s+Incidents|Casualties\s+Due\s+To\s+IEDs)", re.IGNORECASE)
_SENTENCE_END = tuple('.!?"”’)…:')
STANDARD_SLUGS = ("politics", "security", "humanitarian", "economy")


@dataclass(frozen=True)
class Options:
    """What the command line gives for a source that lacks it, and the publication's lines."""

    number: int | None = None
    period: Period | None = None
    reference_text: str = "Reference Guide"
    known_lines: tuple[str, ...] = ()  # the footer and subscribe lines of newsletter.yaml
    short_name: str = "ISHM"


def _plain(text: str) -> str:
    return re.sub(r"[*_#`]", "", text).strip().rstrip(":").strip().lower()


def similar(a: str, b: str) -> float:
    """How alike two titles are, 0 to 1, ignoring case and emphasis."""
    a, b = _plain(a), _plain(b)
    if not a or not b or len(a) > 2 * len(b) + 40 or len(b) > 2 * len(a) + 40:
        return 0.0
    return difflib.SequenceMatcher(None, a, b).ratio()


def _unbold(text: str) -> str:
    for mark in ("**", "__"):
        if text.startswith(mark) and text.endswith(mark) and len(text) > 4:
            return text[2:-2].strip()
    return text


def split_takeaway(block: Block, source: Source, findings: Findings) -> ParsedSection:
    """Split a takeaway into headline and summary at the dash between them."""
    text = _MORE.sub("", block.text).strip()
    match = _SPLIT.search(text)
    if not match:
        findings.warn(
            source,
            block.line,
            "takeaway",
            "no dash between headline and summary; the section's title is used as headline",
            block.column,
        )
        return ParsedSection(title="", line=block.line, slug=block.anchor, summary=text)
    headline, summary = text[: match.start()].strip(), text[match.end() :].strip()
    if headline.startswith("**") and not headline.endswith("**") and summary.startswith("**"):
        headline, summary = headline + "**", summary[2:].strip()  # "**Headline –** summary"
    return ParsedSection(
        title="", line=block.line, slug=block.anchor, headline=_unbold(headline), summary=summary
    )


def _looks_like_title(block: Block) -> bool:
    return block.kind == "heading" or (
        len(block.text) < 300 and not block.text.endswith(_SENTENCE_END)
    )


def _header(source: Source, head: list[Block], short: str) -> tuple[int | None, Period | None]:
    texts = ([source.title] if source.title else []) + [b.text for b in head]
    number = next((n for t in texts if (n := read_number(t, short)) is not None), None)
    period = next((p for t in texts if (p := read_period(t)) is not None), None)
    return number, period


def assemble(source: Source, findings: Findings, options: Options) -> ParsedIssue | None:
    """Read ``source`` into an issue; None when any part could not be read."""
    errors_before = len(findings.errors)
    blocks = source.blocks
    at = next((i for i, b in enumerate(blocks) if _plain(b.text) == "key takeaways"), None)
    if at is None:
        findings.error(
            source,
            source.title_line,
            "takeaways",
            'no "Key Takeaways:" line; an issue starts with its takeaways, one "- " line each',
        )
        return None
    number, header_period = _header(source, blocks[:at], options.short_name)
    i = at + 1
    takeaways: list[ParsedSection] = []
    while i < len(blocks) and blocks[i].kind == "item":
        takeaways.append(split_takeaway(blocks[i], source, findings))
        i += 1
    if not takeaways:
        findings.error(
            source,
            blocks[at].line,
            "takeaways",
            'no takeaways after "Key Takeaways:"; expected one "- headline – summary" line each',
        )
        return None
    if i < len(blocks) and options.reference_text.lower() in blocks[i].text.lower():
        i += 1  # the reference-guide line comes from newsletter.yaml
    else:
        line = blocks[i].line if i < len(blocks) else blocks[-1].line
        findings.warn(
            source, line, "reference_guide", "no reference-guide line after the takeaways"
        )
    sections, i = _sections(source, blocks, i, takeaways, findings)
    table = read_table(source, blocks[i:], findings, options.known_lines)
    period = header_period or table.period or options.period
    if period and table.period and header_period and table.period != period:
        findings.warn(
            source,
            table.caption_line,
            "ied.caption",
            f"the caption's period ({table.period[0]} to {table.period[1]}) differs from the "
            f"header's ({period[0]} to {period[1]}); the header's is used",
        )
    if number is None:
        number = options.number
    elif options.number is not None and options.number != number:
        findings.warn(
            source,
            source.title_line,
            "number",
            f"the source says {number}; --number {options.number} ignored",
        )
    if number is None:
        findings.error(
            source,
            source.title_line,
            "number",
            "no issue number in the title or the header; give --number N",
        )
    if period is None:
        findings.error(
            source,
            source.title_line,
            "period",
            "no period in the title, the header or the table's caption; give --period START..END",
        )
        return None
    start, end = period
    rows = table.rows(start, end)
    if len(findings.errors) > errors_before or number is None:
        return None
    return ParsedIssue(
        source, number, start, end, sections, rows, table.note, table.map_note, table.title
    )


def _sections(
    source: Source,
    blocks: list[Block],
    i: int,
    takeaways: list[ParsedSection],
    findings: Findings,
) -> tuple[list[ParsedSection], int]:
    """Read the sections up to the IED table; pair each with its takeaway."""
    sections: list[ParsedSection] = []
    while i < len(blocks):
        block = blocks[i]
        if block.kind == "row" or _IED_TITLE.match(block.text):
            break
        expected = takeaways[len(sections)].headline if len(sections) < len(takeaways) else None
        if block.kind == "heading" or (expected and similar(block.text, expected) >= 0.6):
            sections.append(ParsedSection(_unbold(block.text), block.line, slug=block.anchor))
        elif not sections:
            findings.warn(
                source,
                block.line,
                "sections",
                "text before the first section title; read as a section title",
                block.column,
            )
            sections.append(ParsedSection(_unbold(block.text), block.line, slug=block.anchor))
        elif block.kind == "para" and sections[-1].stories and _looks_like_title(block):
            findings.warn(
                source,
                block.line,
                "sections",
                "this line does not end a sentence but is unlike the next takeaway's "
                "headline; read as the next section's title",
                block.column,
            )
            sections.append(ParsedSection(_unbold(block.text), block.line))
        else:
            sections[-1].stories.append(block.text)
        i += 1
    _pair(source, sections, takeaways, findings)
    _name(source, sections, findings)
    return sections, i


def _pair(
    source: Source,
    sections: list[ParsedSection],
    takeaways: list[ParsedSection],
    findings: Findings,
) -> None:
    """Give each section its takeaway: by the "more…" link's anchor, else in order."""
    by_slug = {s.slug: s for s in sections if s.slug}
    free = [s for s in sections if not (s.slug and any(t.slug == s.slug for t in takeaways))]
    for takeaway in takeaways:
        target = by_slug.get(takeaway.slug) if takeaway.slug else None
        if target is None:
            target = free.pop(0) if free else None
            if target is None:
                findings.warn(
                    source,
                    takeaway.line,
                    "takeaway",
                    "no section for this takeaway; a section without stories is made for it",
                )
                target = ParsedSection(takeaway.headline or "Untitled", takeaway.line)
                sections.append(target)
            elif takeaway.headline and similar(takeaway.headline, target.title) < 0.5:
                findings.warn(
                    source,
                    takeaway.line,
                    "takeaway",
                    f"the headline is unlike the title of the section it is paired with (line "
                    f"{target.line}); paired in order",
                )
        target.summary = takeaway.summary
        if takeaway.headline and takeaway.headline != target.title:
            target.headline = takeaway.headline


def _name(source: Source, sections: list[ParsedSection], findings: Findings) -> None:
    """Give every section a slug: the source's anchor, ISHM's four, or section-N."""
    if len(sections) == len(STANDARD_SLUGS) and not any(s.slug for s in sections):
        for section, slug in zip(sections, STANDARD_SLUGS, strict=True):
            section.slug = slug
        return
    seen: set[str] = set()
    for index, section in enumerate(sections, start=1):
        slug = re.sub(r"[^a-z0-9]+", "-", (section.slug or "").lower()).strip("-")
        if not slug or slug in seen:
            slug = f"section-{index}"
            findings.warn(
                source,
                section.line,
                "sections",
                f'the source does not name this section; it is written as "{slug}" (rename '
                "the file and the entry in issue.yaml to keep a stable anchor)",
            )
        seen.add(slug)
        section.slug = slug
