"""The email edition: within Gmail's clip, accessible, with a plain-text part and a message."""

from __future__ import annotations

import email
import re
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from conftest import SampleBuild
from test_validation import edit
from textutil import missing_in_order, normalise, seed_parts

from newsletter.commands.build import build
from newsletter.mail import UNSUBSCRIBE_PLACEHOLDER
from newsletter.mail.inline import measure


def _message(path: Path) -> EmailMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_sample_fits_gmail_budget(sample: SampleBuild) -> None:
    size = measure(sample.email_html.read_text(encoding="utf-8"))
    assert size.html <= 90 * 1024
    assert size.style <= 16 * 1024
    assert sample.result.notes == []


def test_accessible_markup(sample: SampleBuild) -> None:
    html = sample.email_html.read_text(encoding="utf-8")
    assert re.search(r'<html lang="en" dir="ltr"', html)
    assert len(re.findall(r"<h1\b", html)) == 1
    # In this issue, takeaways, four sections, IED table
    assert len(re.findall(r"<h2\b", html)) == 7
    for table in re.findall(r"<table\b[^>]*>", html):
        assert (
            'role="presentation"' in table
            or 'class="ied"' in table
            or ('class="breakdown"' in table)
        ), table
    assert len(re.findall(r'<th\b[^>]*scope="col"', html)) == 8
    for img in re.findall(r"<img\b[^>]*>", html):
        assert re.search(r'alt="[^"]+"', img), img
    assert "@media (prefers-color-scheme: dark)" in html
    assert '<meta name="color-scheme" content="light dark">' in html


def test_preheader_is_made_of_the_headlines(sample: SampleBuild) -> None:
    html = sample.email_html.read_text(encoding="utf-8")
    preview = re.search(r'<div style="display:none;[^"]*">(.*?)</div>', html)
    assert preview is not None
    assert preview[1].startswith("Tensions Rise As Alleged Election Fraud Protests Turn Deadly")
    assert " · Drones Attack Kadhimi’s Residence" in preview[1]


def test_css_is_inlined_and_style_blocks_kept(sample: SampleBuild) -> None:
    html = sample.email_html.read_text(encoding="utf-8")
    assert re.search(r'<h2 id="politics" style="[^"]*color: #1b3a57', html)
    assert "@media only screen and (max-width: 480px)" in html


def test_plain_text_part(sample: SampleBuild) -> None:
    text = (sample.email_html.parent / "email.txt").read_text(encoding="utf-8")
    # Every story and takeaway summary of the seed, in order (headings are upper/underlined).
    stories = [p for p in seed_parts() if p.startswith("On November")]
    assert missing_in_order(normalise(text), stories) == []
    assert re.search(r"^Total\s+5 incidents\s+3\s+7$", text, re.MULTILINE)
    assert re.search(r"^11/06/21\s+Jurf al-Sakhr, Babylon province\s+1\s+0$", text, re.MULTILINE)
    assert "More: https://enablingpeace.org/ishm/issues/2021-11-11/#politics" in text
    assert "<https://enablingpeace.org/ishm-reference-guide/>" in text
    assert all(len(line) <= 78 for line in text.splitlines() if " " in line.strip())
    assert "<" not in text.replace("<https://", "").replace("<mailto:", "")


def test_message_is_complete(sample: SampleBuild) -> None:
    msg = _message(sample.email_html.parent / "message.eml")
    assert msg["Subject"] == "ISHM 328: November 4 – 11, 2021"
    assert msg["From"] == "Enabling Peace in Iraq Center <ishm@enablingpeace.org>"
    assert msg["Date"] == "Thu, 11 Nov 2021 12:00:00 +0000"
    assert msg["Message-ID"] == "<ishm-328.2021-11-11@enablingpeace.org>"
    assert msg["List-Unsubscribe"].strip() == (
        f"<{UNSUBSCRIBE_PLACEHOLDER}>, <mailto:ishm@enablingpeace.org?subject=unsubscribe>"
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    text_part, related = alternative.iter_parts()
    assert text_part.get_content_type() == "text/plain"
    assert UNSUBSCRIBE_PLACEHOLDER in text_part.get_content()
    html_part, image = related.iter_parts()
    html = html_part.get_content()
    assert UNSUBSCRIBE_PLACEHOLDER in html
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert image.get_content_type() == "image/png"
    assert image.get_content().startswith(b"\x89PNG")
    assert attachment.get_filename() == "ishm-328.pdf"
    assert attachment.get_content().startswith(b"%PDF-")
    raw = (sample.email_html.parent / "message.eml").read_bytes()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_pdf_can_be_linked_instead_of_attached(project: Path, tmp_path: Path) -> None:
    edit(project / "newsletter.yaml", "date_formats:", "email:\n  pdf: link\ndate_formats:")
    build(project, tmp_path / "out")
    msg = _message(tmp_path / "out/email/2021-11-11/message.eml")
    assert [p.get_content_type() for p in msg.walk() if p.get_filename()] == ["image/png"]
    html = (tmp_path / "out/email/2021-11-11/email.html").read_text(encoding="utf-8")
    assert 'href="https://enablingpeace.org/ishm/issues/2021-11-11/ishm-328.pdf"' in html


def test_subject_is_configurable(project: Path, tmp_path: Path) -> None:
    edit(
        project / "newsletter.yaml",
        "date_formats:",
        'email:\n  subject: "{title} #{number}"\ndate_formats:',
    )
    build(project, tmp_path / "out")
    msg = _message(tmp_path / "out/email/2021-11-11/message.eml")
    assert msg["Subject"] == "Iraq Security and Humanitarian Monitor #328"


def test_oversized_issue_falls_back_to_short_email(project: Path, tmp_path: Path) -> None:
    politics = project / "issues/2021-11-11/sections/politics.yaml"
    text = politics.read_text(encoding="utf-8")
    stories = text[text.index("stories:\n") + len("stories:\n") :]
    politics.write_text(text + stories * 12, encoding="utf-8")
    result = build(project, tmp_path / "out")
    assert result.notes == [
        "ISHM 328: the full email would exceed 90 KB; it carries the takeaways, the IED table "
        f"and links to the full text ({measure_kb(tmp_path)} KB)."
    ]
    html = (tmp_path / "out/email/2021-11-11/email.html").read_text(encoding="utf-8")
    assert measure(html).html <= 90 * 1024
    assert "longer than an email can carry" in html
    assert "Total: 5 incidents" in html
    assert "On November 5, security sources in Baghdad said" not in html
    assert 'href="https://enablingpeace.org/ishm/issues/2021-11-11/#politics"' in html


def measure_kb(tmp_path: Path) -> str:
    html = (tmp_path / "out/email/2021-11-11/email.html").read_text(encoding="utf-8")
    return f"{measure(html).html / 1024:.0f}"


def test_short_email_note_is_printed_by_build(project: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from newsletter.cli import main

    edit(project / "newsletter.yaml", "date_formats:", "email:\n  max_html_kb: 40\ndate_formats:")
    result = CliRunner().invoke(
        main, ["build", "--content", str(project), "--output", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    assert "ISHM 328: the full email would exceed 40 KB" in result.stdout


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("  pdf: print\n", 'email.pdf: expected one of: attach, link; got "print"'),
        ("  max_html_kb: 0\n", "email.max_html_kb: Input should be greater than 0; got 0"),
    ],
)
def test_email_settings_are_validated(project: Path, setting: str, message: str) -> None:
    from test_validation import problems

    edit(project / "newsletter.yaml", "date_formats:", "email:\n" + setting + "date_formats:")
    assert [p.split(": ", 1)[1] for p in problems(project)] == [message]
