"""The floor under an edit's build: a fresh process that imports the tool and WeasyPrint and lays
out one issue's PDF (the sample), and nothing else.

Any ``newsletter build`` after an edit pays at least this on its critical path, because the edited
issue's PDF must be laid out again, in a process that has to import WeasyPrint first (the build
is a fresh process: no daemon keeps one warm). Each run is a whole process; the script prints
each phase and the median of the totals.

Run: .venv/bin/python benchmarks/edit_floor.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = """
import time
t0 = time.perf_counter()
from pathlib import Path
from newsletter.loader import load_project
from newsletter.render.context import issue_context
from newsletter.render.pdf import print_resources, render_pdf, render_print_html
from newsletter.theme import make_theme
t1 = time.perf_counter()
project = load_project(Path(%r))
theme = make_theme()
context = issue_context(project, project.issues[-1])
html = render_print_html(theme, context)
t2 = time.perf_counter()
import weasyprint  # noqa: F401
t3 = time.perf_counter()
roots = [project.content_dir, *theme.search_path]
render_pdf(html, project.content_dir, roots, {}, print_resources(context))
t4 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, t4 - t3)
"""


def main() -> None:
    """Time ``--runs`` fresh processes; print each one's phases and the median total."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    content = str(Path(__file__).resolve().parent.parent / "content")
    totals = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-c", CHILD % content], check=True, capture_output=True, text=True
        ).stdout.split()
        imports, load, weasy, pdf = map(float, out)
        total = imports + load + weasy + pdf
        totals.append(total)
        print(
            f"imports {imports:.2f} s, load and print HTML {load:.2f} s, "
            f"import WeasyPrint {weasy:.2f} s, lay out the PDF {pdf:.2f} s: {total:.2f} s",
            flush=True,
        )
    print(f"median {statistics.median(totals):.2f} s over {len(totals)} runs")


if __name__ == "__main__":
    main()
