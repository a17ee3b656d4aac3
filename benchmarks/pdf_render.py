"""Median time to lay out the sample's PDF edition in a warm process, with its size and pages.

Run: .venv/bin/python benchmarks/pdf_render.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from newsletter.loader import load_project
from newsletter.render.context import issue_context
from newsletter.render.pdf import print_resources, render_pdf, render_print_html
from newsletter.theme import make_theme

CONTENT = Path(__file__).resolve().parents[1] / "content"


def main(runs: int = 7) -> None:
    """Render the sample PDF ``runs`` times after one warm-up and print the median."""
    project = load_project(CONTENT)
    issue = project.issues[-1]
    theme = make_theme()
    context = issue_context(project, issue)
    roots = [project.content_dir, *theme.search_path]
    html = render_print_html(theme, context)
    resources = print_resources(context)
    render_pdf(html, project.content_dir, roots, {}, resources)  # warm-up: imports, fonts
    times, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        html = render_print_html(theme, context)
        pdf = render_pdf(html, project.content_dir, roots, {}, resources)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    from io import BytesIO

    from pypdf import PdfReader

    pages = len(PdfReader(BytesIO(pdf)).pages)
    # CPU time too: on a shared machine it drifts far less than the wall time.
    print(
        f"PDF render, median of {runs} (warm): {statistics.median(times):.2f} s, "
        f"CPU {statistics.median(cpu):.2f} s"
    )
    print(f"PDF size {len(pdf) / 1024:.1f} KB, {pages} pages")


if __name__ == "__main__":
    main()
