"""Hostile content: no scripts, no dangerous links, no files or network pulled into the PDF."""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path

import pytest

from newsletter.build.writer import Output
from newsletter.errors import OutputError, RenderError
from newsletter.markup import to_html
from newsletter.render.pdf import MAP_URL, render_pdf


@pytest.mark.parametrize(
    ("markdown", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ("[x](javascript:alert(1))", "javascript:"),
        ('<a href="javascript:alert(1)">x</a>', "javascript:"),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ('<p onclick="alert(1)">x</p>', "onclick"),
        ("![x](file:///etc/passwd)", "file:"),
        ('<img src="file:///etc/passwd">', "file:"),
        ('<iframe src="https://example.org"></iframe>', "<iframe"),
        ("<style>body{display:none}</style>", "<style"),
        ("[x](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
        ('<img src="newsletter:map.svg" alt="x">', "newsletter:"),  # the PDF's map address
    ],
)
def test_markdown_is_sanitised(markdown: str, forbidden: str) -> None:
    assert forbidden not in to_html(markdown)


def test_markdown_keeps_ordinary_formatting() -> None:
    html = to_html("On *November 5*, **security** sources [said](https://example.org/a).")
    assert "<em>November 5</em>" in html
    assert "<strong>security</strong>" in html
    assert 'href="https://example.org/a"' in html


def _page(body: str) -> str:
    return f"<!doctype html><html lang='en'><head><title>t</title></head><body>{body}</body></html>"


def test_pdf_refuses_files_outside_the_project(tmp_path: Path) -> None:
    with pytest.raises(RenderError) as caught:
        render_pdf(_page('<img src="file:///etc/passwd" alt="x">'), tmp_path, [tmp_path], {})
    assert "file:///etc/passwd: outside the project's content and template folders" in str(
        caught.value
    )


def test_pdf_never_fetches_from_the_network(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # 192.0.2.1 is a documentation address: a fetch would hang until WeasyPrint's timeout.
    with caplog.at_level(logging.WARNING):
        pdf = render_pdf(
            _page('<img src="http://192.0.2.1/x.png" alt="x">'), tmp_path, [tmp_path], {}
        )
    assert pdf.startswith(b"%PDF-")
    assert "left out http://192.0.2.1/x.png" in caplog.text


def test_pdf_reports_a_missing_image(tmp_path: Path) -> None:
    with pytest.raises(RenderError) as caught:
        render_pdf(_page('<img src="missing.png" alt="x">'), tmp_path, [tmp_path], {})
    assert "missing.png: file not found" in str(caught.value)


def test_pdf_reads_the_projects_own_files(tmp_path: Path) -> None:
    (tmp_path / "style.css").write_text("body { color: #123456; }", encoding="utf-8")
    pdf = render_pdf(
        _page('<link rel="stylesheet" href="style.css"><p>x</p>'), tmp_path, [tmp_path], {}
    )
    assert pdf.startswith(b"%PDF-")


@pytest.mark.parametrize("path", ["../escape.html", "/etc/passwd", "a/../../b"])
def test_writer_refuses_paths_outside_the_output(tmp_path: Path, path: str) -> None:
    with pytest.raises(OutputError):
        Output(tmp_path).add(path, "x")


def test_writer_refuses_one_path_twice(tmp_path: Path) -> None:
    out = Output(tmp_path)
    out.add("a/b.html", "x")
    with pytest.raises(OutputError) as caught:
        out.add("a/b.html", "y")
    assert str(caught.value) == "two outputs want the same path: a/b.html"


def test_hostile_story_builds_safely(project: Path, tmp_path: Path) -> None:
    from test_validation import edit

    from newsletter.commands.build import build

    edit(
        project / "issues/2021-11-11/sections/economy.yaml",
        "stories:\n",
        'stories:\n- "<script>alert(1)</script> ![x](file:///etc/passwd) '
        '<img src=\\"file:///etc/passwd\\" onerror=\\"alert(1)\\"> [y](javascript:alert(1))"\n',
    )
    output = tmp_path / "out"
    build(project, output)
    pages = [
        *output.rglob("*.html"),
        output / "site/atom.xml",
        output / "email/2021-11-11/email.txt",
    ]
    for path in pages:
        html = path.read_text(encoding="utf-8")
        if path.name == "search.html":  # our own search script, and nothing from content
            html = re.sub(r'<script type="module">.*?</script>', "", html, flags=re.S)
        # A line that opens with <script> is a raw HTML block in CommonMark: the sanitiser drops
        # the element and the rest may stay as visible, escaped text. What must never survive
        # is markup that runs or fetches: a script, an event handler, a javascript: or file: URL.
        assert "<script" not in html
        assert not re.search(r"<[^>]*\son\w+\s*=", html), path
        assert not re.search(r"(href|src)\s*=\s*[\"']?\s*(javascript|file):", html), path
        assert "root:x:0:0" not in html


def test_pdf_refuses_a_link_that_leads_out_of_the_project(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    (elsewhere / "secret.css").write_text("body { color: #654321; }", encoding="utf-8")
    (root / "style.css").symlink_to(elsewhere / "secret.css")
    with pytest.raises(RenderError) as caught:
        render_pdf(_page('<link rel="stylesheet" href="style.css"><p>x</p>'), root, [root], {})
    assert "style.css: outside the project's content and template folders" in str(caught.value)


def test_pdf_draws_the_map_from_memory_and_nothing_else_by_its_scheme(tmp_path: Path) -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40" viewBox="0 0 200 40">'
        b'<text x="4" y="24" font-family="Noto Sans" font-size="12">Diwaniyah</text></svg>'
    )
    page = _page(f'<img src="{MAP_URL}" alt="Map of 1 IED incident: Diwaniyah 1">')
    pdf = render_pdf(page, tmp_path, [tmp_path], {}, {MAP_URL: svg})
    (tmp_path / "map.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "map.pdf"), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Diwaniyah" in text  # drawn as vector text, not a picture of it
    # Without the resource, or at any other address of the scheme, nothing is fetched.
    for html, given in ((page, {}), (_page('<img src="newsletter:other.svg" alt="x">'), None)):
        with pytest.raises(RenderError, match="the PDF may use only the project's own files"):
            render_pdf(html, tmp_path, [tmp_path], {}, given)
