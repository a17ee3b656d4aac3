"""The PDF's layout as a reader meets it: the key-figures box on page 1, page numbers in the
contents, the map at the text's width with legible labels, kept with its key and note."""

from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import CONTENT, ROOT, SAMPLE_ID, SampleBuild
from numbers_archive import new_content, run, write_issue

NOTE = "Please note: some geographic locations represented are approximations"
ARTIFACTS = ROOT / "ci-artifacts"
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def page_text(pdf: Path, number: int) -> str:
    """One page's text, as ``pdftotext -layout -f N -l N`` extracts it."""
    return subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-f", f"{number}", "-l", f"{number}", pdf, "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def page_count(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def test_page_one_saved_as_a_ci_artifact(sample: SampleBuild) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    prefix = ARTIFACTS / "pdf-page-1"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", sample.pdf, prefix],
        check=True,
        timeout=60,
    )
    assert prefix.with_suffix(".png").read_bytes().startswith(b"\x89PNG")


def test_map_note_shares_its_page_with_the_map_and_its_key(sample: SampleBuild) -> None:
    pages = [page_text(sample.pdf, n) for n in range(1, page_count(sample.pdf) + 1)]
    with_note = [n for n, text in enumerate(pages, start=1) if NOTE in text]
    assert len(with_note) == 1
    text = pages[with_note[0] - 1]
    # The map's own labels and its key are on the note's page.
    for word in ("Muthanna", "Incident at a known place", "1. Jurf al-Sakhr, Babylon"):
        assert word in text, word


def test_last_page_holds_body_text_beside_the_note(sample: SampleBuild) -> None:
    last = page_text(sample.pdf, page_count(sample.pdf))
    assert NOTE in last
    colophon = ("Derived from firsthand", "Humanitarian Monitor is a free", "Web edition:")
    colophon += ("Subscribe to our", "Thursday and follow", "Page ", "Iraq Security and")
    body = [
        line.strip()
        for line in last.splitlines()
        if line.strip() and not any(line.strip().startswith(c) for c in colophon)
    ]
    body = [line for line in body if NOTE not in line and line != "incidents."]
    assert len(body) >= 5, body  # the map's labels and key, not the note alone


def _contents_numbers(page_one: str) -> list[int]:
    """The page number ending each contents entry (after its leader of dots)."""
    start = page_one.index("Contents")
    end = page_one.index("Key Takeaways\n", start)
    return [int(n) for n in re.findall(r"(?:\. ?){3,}\s*(\d+)\s*$", page_one[start:end], re.M)]


def test_contents_entries_carry_the_pages_their_sections_start_on(sample: SampleBuild) -> None:
    from pypdf import PdfReader

    reader = PdfReader(sample.pdf)
    entries = [e for e in reader.outline if not isinstance(e, list)]
    starts = [reader.get_destination_page_number(e) + 1 for e in entries]
    numbers = _contents_numbers(page_text(sample.pdf, 1))
    assert numbers == starts
    assert numbers == sorted(numbers) and numbers[-1] > 1
    # Each heading is where its number says: the first words of its title are on that page.
    for entry, number in zip(entries, numbers, strict=True):
        first = " ".join(entry.title.split()[:4])
        assert first in " ".join(page_text(sample.pdf, number).split()), (first, number)


def test_key_figures_box_carries_the_computed_totals(sample: SampleBuild) -> None:
    rows = yaml.safe_load((CONTENT / "issues" / SAMPLE_ID / "ied.yaml").read_text())["incidents"]
    expected = (
        len(rows),
        sum(r["deaths"] for r in rows),
        sum(r["injuries"] for r in rows),
        len({r["province"] for r in rows}),
    )
    assert expected == (5, 3, 7, 4)
    page_one = page_text(sample.pdf, 1)
    box = page_one[
        page_one.index("Key figures, November 4 – 11, 2021") : page_one.index("Contents")
    ]
    assert re.search(r"^\s*{}\s+{}\s+{}\s+{}\s*$".format(*expected), box, re.M), box
    assert re.search(r"IED incidents\s+killed\s+injured\s+governorates affected", box), box
    assert "Change from" not in box  # the sample is the first issue: nothing to compare


def test_key_figures_say_the_change_per_day_when_lengths_differ(tmp_path: Path) -> None:
    content = new_content(tmp_path)
    write_issue(content, 333, "2021-12-23", "2022-01-06", [("2021-12-28", "Baghdad", 1, 0)] * 10)
    rows = [("2022-01-08", "Baghdad", 0, 0)] * 5 + [("2022-01-09", "Anbar", 3, "2-3")]
    write_issue(content, 334, "2022-01-06", "2022-01-13", rows)
    done = run("build", "--content", str(content), "--output", str(tmp_path / "out"))
    assert done.returncode == 0, done.stdout + done.stderr
    page_one = page_text(tmp_path / "out/site/issues/2022-01-13/ishm-334.pdf", 1)
    box = " ".join(page_one[: page_one.index("Contents")].split())
    assert "6 3 2-3 2 IED incidents killed injured governorates affected" in box
    assert (
        "Change from ISHM 333 per day (ISHM 333 covered 15 days, this issue 8): incidents 0.8 "
        "a day, up from 0.7; killed 0.4 a day, down from 0.7; injured 0.2-0.4 a day (was 0.0)."
    ) in box


def _times(m: Matrix, n: Matrix) -> Matrix:
    """The matrix product m x n, as PDF composes ``cm`` onto the current matrix."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    )


def _scale(m: Matrix) -> float:
    return math.sqrt(abs(m[0] * m[3] - m[1] * m[2]))


def _map_drawing(pdf: Path, page: int, width: float, height: float) -> tuple[float, list[float]]:
    """The drawn width (pt) of the map's background rectangle (``width`` x ``height`` SVG
    units) on ``page``, and the printed size (pt) of every text drawn inside the map."""
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    reader = PdfReader(pdf)
    drawn: list[float] = []
    sizes: list[float] = []

    def walk(stream: object, resources: object, ctm: Matrix, inside: bool) -> None:
        stack: list[Matrix] = []
        map_depth: int | None = 0 if inside else None
        for operands, op in ContentStream(stream, reader).operations:
            if op == b"q":
                stack.append(ctm)
            elif op == b"Q":
                ctm = stack.pop()
                if map_depth is not None and len(stack) < map_depth:
                    map_depth = None  # the map's group is closed
            elif op == b"cm":
                ctm = _times(tuple(float(x) for x in operands), ctm)  # type: ignore[arg-type]
            elif op == b"re" and [float(x) for x in operands[2:]] == [width, height]:
                drawn.append(float(operands[2]) * _scale(ctm))
                map_depth = len(stack) - 1  # the rectangle is filled in a group of its own
            elif op == b"Tf" and map_depth is not None:
                sizes.append(float(operands[1]) * _scale(ctm))
            elif op == b"Do":
                xobject = resources["/XObject"][operands[0]].get_object()  # type: ignore[index]
                if xobject["/Subtype"] == "/Form":
                    matrix = tuple(float(x) for x in xobject.get("/Matrix", IDENTITY))
                    inner = _times(matrix, ctm)  # type: ignore[arg-type]
                    walk(
                        xobject, xobject.get("/Resources", resources), inner, map_depth is not None
                    )

    pdf_page = reader.pages[page - 1]
    walk(pdf_page.get_contents(), pdf_page["/Resources"], IDENTITY, False)
    assert len(drawn) == 1, drawn
    return drawn[0], sizes


def _text_width(pdf: Path) -> float:
    """The width of the text block: from the leftmost to the rightmost word on pages 2-4."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", "2", "-l", "4", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    words = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', html)
    return max(float(x) for _, x in words) - min(float(x) for x, _ in words)


@pytest.mark.parametrize("minimum", [7.0])
def test_map_is_drawn_at_the_text_width_with_legible_labels(
    sample: SampleBuild, minimum: float
) -> None:
    web = sample.web_html.read_text(encoding="utf-8")
    svg = re.search(r'<svg [^>]*class="ied-map"[^>]*>', web)
    assert svg
    width, height = (float(re.search(rf' {a}="([\d.]+)"', svg[0])[1]) for a in ("width", "height"))  # type: ignore[index]
    pages = [page_text(sample.pdf, n) for n in range(1, page_count(sample.pdf) + 1)]
    page = next(n for n, text in enumerate(pages, start=1) if "Muthanna" in text)
    drawn, sizes = _map_drawing(sample.pdf, page, width, height)
    assert drawn >= 0.97 * _text_width(sample.pdf), drawn
    assert len(sizes) >= 20  # governorate names, badges, the legend
    assert min(sizes) >= minimum, sorted(sizes)[:5]
