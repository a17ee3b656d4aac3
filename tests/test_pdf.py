"""The PDF edition, tested by what a reader gets: pages, outline, fonts, text, metadata."""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path

import pytest
from conftest import SampleBuild
from test_validation import edit
from textutil import seed_parts

from newsletter.commands.build import build

TITLES = [
    "Tensions Rise As Election Fraud Protests Turn Deadly; Iraqi And Foreign Leaders Condemn "
    "Attempt On Kadhimi’s Life; Fatah Leaders Threaten Withdrawal From Politics",
    "Drones Attack Kadhimi’s Residence; Explosion Targets Election Winner; Rockets Strike "
    "Turkish Base In Ninewa",
    "Iraq Launches Campaign To Vaccinate 12 Million People; Authorities To Close The Last IDP "
    "Camp In Anbar; COVID-19 Spread Continues To Slow Down",
    "New Turkish Dam Raises Alarm In Iraq; Baghdad Negotiates New Energy Projects With Chevron; "
    "Head of Tax Commission Faces Prison",
]
HEADER = "Iraq Security and Humanitarian Monitor · November 4 – 11, 2021"


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def pdfinfo(path: Path) -> dict[str, str]:
    lines = run("pdfinfo", str(path)).splitlines()
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in lines if ":" in line)}


def pages_text(path: Path) -> list[str]:
    return run("pdftotext", "-layout", "-enc", "UTF-8", str(path), "-").split("\f")[:-1]


def test_qpdf_check_passes(sample: SampleBuild) -> None:
    done = subprocess.run(["qpdf", "--check", str(sample.pdf)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No syntax or stream encoding errors found" in done.stdout


def test_pdfinfo_pages_tagged_title_metadata(sample: SampleBuild) -> None:
    info = pdfinfo(sample.pdf)
    assert int(info["Pages"]) >= 5
    assert info["Tagged"] == "yes"
    assert info["Title"] == "ISHM 328: November 4 – 11, 2021"
    assert info["Author"] == "Enabling Peace in Iraq Center"
    assert info["Subject"].startswith("Iraq Security and Humanitarian Monitor, issue 328")
    assert "IED" in info["Keywords"]
    assert info["Page size"].startswith("595.276 x 841.89 pts (A4)")
    assert sample.pdf.stat().st_size <= 400 * 1024


def test_document_language(sample: SampleBuild) -> None:
    from pypdf import PdfReader

    assert PdfReader(sample.pdf).trailer["/Root"]["/Lang"] == "en"


def test_every_font_embedded(sample: SampleBuild) -> None:
    rows = run("pdffonts", str(sample.pdf)).splitlines()[2:]
    assert rows
    for row in rows:
        # name type encoding emb sub uni object-id: "emb" is the fourth field from the end.
        assert row.split()[-5] == "yes", row


def test_outline_lists_takeaways_sections_and_table(sample: SampleBuild) -> None:
    from pypdf import PdfReader

    outline = PdfReader(sample.pdf).outline
    titles = [entry.title for entry in outline if not isinstance(entry, list)]
    assert titles == ["Key Takeaways", *TITLES, "IED Incidents and Resulting Casualties"]


def test_running_header_and_page_numbers(sample: SampleBuild) -> None:
    pages = pages_text(sample.pdf)
    total = len(pages)
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in text
        assert (HEADER in text) == (number > 1), number


def test_headings_never_end_a_page(sample: SampleBuild) -> None:
    starts = [title.split(";")[0] for title in TITLES] + ["Key Takeaways", "IED Incidents"]
    for text in pages_text(sample.pdf):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        body = [line for line in lines if not re.fullmatch(r"Page \d+ of \d+", line)]
        assert not any(body[-1].startswith(start) for start in starts), body[-1]


def test_no_hyphenation_debris(sample: SampleBuild) -> None:
    text = run("pdftotext", "-enc", "UTF-8", str(sample.pdf), "-")
    assert "\u00ad" not in text
    seed = " ".join(seed_parts())
    for match in re.finditer(r"(\w+)-\n(\w+)", text):
        assert f"{match[1]}-{match[2]}" in seed, match[0]


def test_paper_size_is_a_setting(project: Path, tmp_path: Path) -> None:
    edit(project / "newsletter.yaml", "date_formats:", "pdf:\n  paper: letter\ndate_formats:")
    build(project, tmp_path / "out")
    info = pdfinfo(tmp_path / "out/site/issues/2021-11-11/ishm-328.pdf")
    assert info["Page size"].startswith("612 x 792 pts (letter)")


def _many_incidents(project: Path, count: int) -> None:
    ied = project / "issues/2021-11-11/ied.yaml"
    text = ied.read_text(encoding="utf-8")
    rows = "".join(
        f"  - date: 2021-11-0{4 + i % 5}\n    location: Place {i}\n    province: Baghdad\n"
        f"    deaths: {i % 3}\n    injuries: {i % 4}\n    lat: 33.3\n    lon: 44.4\n"
        for i in range(count)
    )
    ied.write_text(text.split("incidents:\n")[0] + "incidents:\n" + rows, encoding="utf-8")


def test_long_table_repeats_its_header_and_keeps_its_totals(project: Path, tmp_path: Path) -> None:
    _many_incidents(project, 90)
    build(project, tmp_path / "out")
    pages = pages_text(tmp_path / "out/site/issues/2021-11-11/ishm-328.pdf")
    with_rows = [p for p in pages if re.search(r"\d\d/\d\d/21\s+Place \d+", p)]
    assert len(with_rows) >= 2
    for page in with_rows:
        assert re.search(r"Date\s+Location\s+Deaths\s+Injuries", page)
    totals = [p for p in pages if "Total: 90 incidents" in p]
    assert len(totals) == 1
    assert totals[0] in with_rows  # the totals row is never alone on its page
    # A map key longer than a page still ends on the note's page: the note is never alone.
    noted = [p for p in pages if "Please note: some geographic locations" in p]
    assert len(noted) == 1 and re.search(r"\b90\. Place 89, Baghdad", noted[0])


def test_arabic_names_render_with_an_arabic_font(project: Path, tmp_path: Path) -> None:
    edit(
        project / "issues/2021-11-11/sections/economy.yaml",
        "stories:\n",
        "stories:\n- On November 9, the governor of Basra (محافظ البصرة) spoke.\n",
    )
    build(project, tmp_path / "out")
    pdf = tmp_path / "out/site/issues/2021-11-11/ishm-328.pdf"
    fonts = run("pdffonts", str(pdf))
    assert "Arabic" in fonts
    assert "محافظ" in run("pdftotext", "-enc", "UTF-8", str(pdf), "-")


def test_remote_image_is_left_out_without_fetching(
    project: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    edit(
        project / "issues/2021-11-11/sections/economy.yaml",
        "stories:\n",
        "stories:\n- 'A chart: ![chart](http://192.0.2.1/chart.png) and "
        '<img src="file:///etc/passwd" alt="p"> ![x](file:///etc/hostname)\'\n',
    )
    with caplog.at_level(logging.WARNING):
        build(project, tmp_path / "out")
    assert "left out http://192.0.2.1/chart.png" in caplog.text
    pdf = (tmp_path / "out/site/issues/2021-11-11/ishm-328.pdf").read_bytes()
    assert b"root:x:0:0" not in pdf
    web = (tmp_path / "out/site/issues/2021-11-11/index.html").read_text(encoding="utf-8")
    assert 'src="http://192.0.2.1/chart.png"' in web
    assert "file:///" not in web
