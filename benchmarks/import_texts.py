"""Importing an archive of text exports: issues per second, whole process, median of the runs.

The exports are made from a synthetic archive (``synthetic.py``) in the seed's text format,
then imported into an empty content folder, as an editor bringing the archive in would; the
time includes the check of the imported issues that closes every import.

Run: .venv/bin/python benchmarks/import_texts.py [--issues 520] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic import generate

from newsletter.compute import format_date
from newsletter.loader import load_project
from newsletter.model import Issue, Publication


def export_text(issue: Issue, publication: Publication) -> str:
    """The issue as the monitor's plain-text export writes it (the seed's format)."""
    start, end = issue.period.start, issue.period.end
    lines = [
        f"{publication.short_name} {issue.number}: {start:%B} {start.day} – {end:%B} "
        f"{end.day}, {end.year}",
        "Key Takeaways:",
    ]
    for entry in issue.sections:
        if entry.section.takeaway:
            headline = entry.section.takeaway.headline or entry.section.title
            lines.append(f"- {headline} – {entry.section.takeaway.summary} more…")
    lines.append(publication.reference_guide.text)
    for entry in issue.sections:
        lines += [entry.section.title, *entry.section.stories]
    long = publication.date_formats.long
    lines += [
        issue.ied.title,
        f"Casualties Due To IEDs from {format_date(start, long)} - {format_date(end, long)}",
        issue.ied.note + "Date | Location | Deaths | Injuries |",
        "---|---|---|---|",
    ]
    for row in issue.ied.incidents:
        place = f"{row.location}, " if row.location else ""
        lines.append(
            f"{row.date:%m/%d/%y} | {place}{row.province} province | {row.deaths} | "
            f"{row.injuries} |"
        )
    if issue.ied.map_note:
        lines.append(issue.ied.map_note)
    lines += [publication.footer, publication.subscribe.text]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Write the exports, import them ``--runs`` times, print the median rate."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=520)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        archive = generate(root / "archive", args.issues)
        project = load_project(archive)
        exports = root / "exports"
        exports.mkdir()
        for issue in project.issues:
            text = export_text(issue, project.publication)
            (exports / f"ishm-{issue.number}.txt").write_text(text, "utf-8")
        sources = sorted(str(p) for p in exports.iterdir())
        times = []
        for run in range(args.runs):
            content = root / f"content-{run}"
            content.mkdir()
            shutil.copy(archive / "newsletter.yaml", content / "newsletter.yaml")
            began = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "newsletter", "import", *sources, "--content", content],
                capture_output=True,
                text=True,
                check=False,
            )
            times.append(time.perf_counter() - began)
            if done.returncode != 0:
                sys.exit(done.stderr[-2000:])
            print(f"run {run + 1}: {times[-1]:.2f} s  {done.stdout.strip()}")
        median = statistics.median(times)
        print(
            f"import of {args.issues} text exports: median {median:.2f} s over {args.runs} runs, "
            f"{args.issues / median:.0f} issues/s"
        )


if __name__ == "__main__":
    main()
