"""Median time to render the sample's email edition (MJML, css-inline, text part), and its size.

Run: .venv/bin/python benchmarks/email_render.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from newsletter.loader import load_project
from newsletter.mail.inline import measure
from newsletter.render.context import issue_context
from newsletter.render.email import render_email
from newsletter.theme import make_theme

CONTENT = Path(__file__).resolve().parents[1] / "content"


def main(runs: int = 15) -> None:
    """Render the sample email ``runs`` times in one warm process and print the median."""
    project = load_project(CONTENT)
    issue = project.issues[-1]
    context = issue_context(project, issue)
    theme = make_theme()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        edition = render_email(theme, context)
        times.append(time.perf_counter() - started)
    size = measure(edition.html)
    print(f"email render, median of {runs}: {statistics.median(times) * 1000:.1f} ms")
    print(
        f"HTML {size.html / 1024:.1f} KB, <style> {size.style / 1024:.1f} KB, "
        f"text part {len(edition.text.encode()) / 1024:.1f} KB, short edition: {edition.short}"
    )


if __name__ == "__main__":
    main()
