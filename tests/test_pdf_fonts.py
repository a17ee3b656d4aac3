"""One font configuration for every PDF of a process: each document still complete and alone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from test_validation import edit

from newsletter.loader import load_project
from newsletter.render import pdf as pdf_module
from newsletter.render.context import issue_context
from newsletter.render.pdf import print_resources, render_pdf, render_print_html
from newsletter.theme import make_theme

pytestmark = pytest.mark.slow
MONO = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def _fonts(path: Path) -> list[str]:
    """Each font's name (without its subset prefix) and whether it is embedded."""
    rows = _run("pdffonts", str(path)).splitlines()[2:]
    return [f"{row.split()[0].split('+')[-1]} emb={row.split()[-5]}" for row in rows]


def _sample_pdf(content: Path, out: Path) -> Path:
    project = load_project(content)
    theme = make_theme()
    issue = project.issues[-1]
    context = issue_context(project, issue)
    html = render_print_html(theme, context)
    roots = [project.content_dir, *theme.search_path]
    folder = project.content_dir / "issues" / issue.id
    out.write_bytes(render_pdf(html, folder, roots, {}, print_resources(context)))
    return out


def test_two_documents_in_one_process_are_both_complete(project: Path, tmp_path: Path) -> None:
    plain = project.parent / "plain"
    shutil.copytree(project, plain)
    # The second document needs a face the first never loaded.
    edit(
        project / "issues/2021-11-11/sections/economy.yaml",
        "stories:\n",
        "stories:\n- On November 9, the governor of Basra (محافظ البصرة) spoke.\n",
    )
    first = _sample_pdf(plain, tmp_path / "first.pdf")
    shared = pdf_module._shared_fonts
    second = _sample_pdf(project, tmp_path / "second.pdf")
    again = _sample_pdf(plain, tmp_path / "again.pdf")
    assert shared is not None and pdf_module._shared_fonts is shared
    for path in (first, second):
        fonts = _fonts(path)
        assert fonts and all(font.endswith("emb=yes") for font in fonts), fonts
        assert _run("pdfinfo", str(path)).count("Tagged:          yes") == 1
        text = _run("pdftotext", "-enc", "UTF-8", str(path), "-")
        assert "Key Takeaways" in text
        assert "Page 1 of" in text
    assert any("Arabic" in font for font in _fonts(second))
    assert not any("Arabic" in font for font in _fonts(first))
    assert "محافظ" in _run("pdftotext", "-enc", "UTF-8", str(second), "-")
    # The same document comes out the same, whatever the process rendered before it.
    assert again.read_bytes() == first.read_bytes()


@pytest.mark.skipif(not MONO.is_file(), reason="needs the DejaVu fonts")
def test_font_face_of_one_document_never_reaches_the_next(tmp_path: Path) -> None:
    shutil.copy(MONO, tmp_path / "face.ttf")
    face = "@font-face { font-family: 'Leak Test'; src: url(face.ttf); }"
    body = "<p style=\"font-family: 'Leak Test', 'Noto Serif'\">Sample words</p>"
    page = '<html lang="en"><title>t</title><style>{}</style>' + body
    with_face = render_pdf(page.format(face), tmp_path, [tmp_path], {})
    without = render_pdf(page.format(""), tmp_path, [tmp_path], {})
    (tmp_path / "with.pdf").write_bytes(with_face)
    (tmp_path / "without.pdf").write_bytes(without)
    # WeasyPrint names an @font-face font after its family.
    assert _fonts(tmp_path / "with.pdf") == ["Leak-Test emb=yes"]
    assert _fonts(tmp_path / "without.pdf") == ["Noto-Serif emb=yes"]
