"""The whole path on the sample: every paragraph of the seed reaches every edition, in order."""

from __future__ import annotations

import re

import pytest
from conftest import SampleBuild
from textutil import html_text, missing_in_order, pdf_text_normalised, seed_parts

# The seed lists the map note before the footer; our editions keep that order, and add
# computed figures (totals, breakdown) which the in-order check simply steps over.
PARTS = seed_parts()


def test_seed_has_every_part() -> None:
    assert len(PARTS) > 50
    assert "11/06/21 Jurf al-Sakhr, Babylon province 1 0" in PARTS


def test_build_writes_the_three_editions(sample: SampleBuild) -> None:
    assert sample.email_html.read_text(encoding="utf-8").lower().startswith("<!doctype html>")
    assert sample.web_html.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert sample.pdf.read_bytes().startswith(b"%PDF-")
    assert (sample.output / "site" / "index.html").is_file()
    assert sample.result.issues == ["2021-11-11"]


@pytest.mark.parametrize("edition", ["email", "web"])
def test_every_seed_paragraph_in_html_editions(sample: SampleBuild, edition: str) -> None:
    path = sample.email_html if edition == "email" else sample.web_html
    text = html_text(path.read_text(encoding="utf-8"))
    assert missing_in_order(text, PARTS) == []


def test_every_seed_paragraph_in_pdf(sample: SampleBuild) -> None:
    text = pdf_text_normalised(
        sample.pdf_text(), "Iraq Security and Humanitarian Monitor · November 4 – 11, 2021"
    )
    assert missing_in_order(text, PARTS) == []


TOTALS_ROW = re.compile(r"Total: 5 incidents 3 7")


@pytest.mark.parametrize("edition", ["email", "web", "pdf"])
def test_totals_row_in_every_edition(sample: SampleBuild, edition: str) -> None:
    if edition == "pdf":
        text = pdf_text_normalised(sample.pdf_text(), "")
    else:
        path = sample.email_html if edition == "email" else sample.web_html
        text = html_text(path.read_text(encoding="utf-8"))
    assert TOTALS_ROW.search(text), text[-2000:]
    assert "5 incidents, 3 killed, 7 injured." in text
    assert "Casualties Due To IEDs from November 4, 2021 – November 11, 2021" in text


def test_takeaway_more_links_reach_sections(sample: SampleBuild) -> None:
    email = sample.email_html.read_text(encoding="utf-8")
    web = sample.web_html.read_text(encoding="utf-8")
    for slug in ("politics", "security", "humanitarian", "economy"):
        # The full email holds every section, so its "more…" links jump within it.
        assert f'href="#{slug}"' in email and f'id="{slug}"' in email
        assert f'id="{slug}"' in web
        assert f'href="#{slug}"' in web


def test_pdf_more_links_jump_inside_the_document(sample: SampleBuild) -> None:
    from pypdf import PdfReader

    reader = PdfReader(sample.pdf)
    internal = 0
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            obj = annot.get_object()
            if obj.get("/Subtype") == "/Link" and "/Dest" in obj:
                internal += 1
    # Four "more…" links and the six entries of the contents list.
    assert internal >= 10
