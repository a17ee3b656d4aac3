"""The monitor's plain-text export of an issue, cut into blocks: one line, one block.

Lines starting with "- " (or "• ") are takeaways, lines with cells between "|" are table rows,
every other line is a paragraph or a title; ``assemble.py`` tells them apart.
"""

from __future__ import annotations

from newsletter.importers.parts import Block, Findings, Source

_BULLETS = ("- ", "• ", "* ", "– ")


def decode(data: bytes, source: Source, findings: Findings) -> str | None:
    """Decode UTF-8 (a byte-order mark is dropped); locate the first byte that is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = data[exc.start]
        guess = bytes([byte]).decode("cp1252", errors="replace")
        hint = f' (Windows-1252 for "{guess}")' if guess != "\ufffd" else ""
        findings.error(
            source,
            line,
            "encoding",
            f"byte 0x{byte:02x}{hint} is not UTF-8; save the export as UTF-8 and import it again",
            column,
        )
        return None


def blocks(text: str) -> list[Block]:
    """Cut a text export into blocks, keeping each line's number (CRLF or LF)."""
    out: list[Block] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r").strip()
        if not line:
            continue
        column = len(raw) - len(raw.lstrip()) + 1
        if line.startswith(_BULLETS):
            out.append(Block("item", line[2:].strip(), number, column))
        elif "|" in line:
            cells = [cell.strip() for cell in line.split("|")]
            # "| a | b |" and "a | b |": the outer bars make empty cells, not data.
            if cells and not cells[-1]:
                cells.pop()
            if cells and not cells[0] and line.startswith("|"):
                cells.pop(0)
            out.append(Block("row", line, number, column, cells=tuple(cells)))
        else:
            out.append(Block("para", line, number, column))
    return out


def read_text(path: str, name: str, data: bytes, findings: Findings) -> Source | None:
    """Read a text export into a ``Source``; None (with a located error) if it is not UTF-8."""
    source = Source(path, name, [])
    text = decode(data, source, findings)
    if text is None:
        return None
    source.blocks = blocks(text)
    return source
