"""Builds at archive scale: the four cases an editor and a server meet, timed as whole processes.

1. cold full build: every edition of every issue, no output and no cache;
2. nothing changed: the same build again;
3. one issue edited: a story and an incident of one issue in the middle of the archive (its
   PDF, email and page, the next issue's page, the archive pages and the search index depend
   on it);
4. web edition alone, cold;
5. web edition alone, cold, on a smaller archive (``--small``, 104 issues by default).

The targets are the issue's: the web edition in half Pelican's time on the same corpus (2.39 s
for 104 issues, 11.6 s for 520, measured by ``benchmarks/peers.py``), an edit in 2 s.

Each case prints the median wall time of its runs and the peak memory: the largest single
process (``ru_maxrss`` of the finished children, which counts the build's worker processes)
and the whole process tree at its peak (the sum of proportional set sizes from
``/proc/<pid>/smaps_rollup``, sampled every 20 ms, so pages shared by forked workers count
once).

Run: .venv/bin/python benchmarks/archive_build.py [--issues 520] [--runs 3] [--cold-runs 1]
     [--small 104] [--cases cold,unchanged,edit,web,small]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from synthetic import generate


def _tree(pid: int) -> list[int]:
    """The process and its descendants."""
    found, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found.append(child)
            frontier.append(child)
    return found


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run(command: list[str]) -> tuple[float, int]:
    """Run ``command``; return its wall time and the peak PSS of its process tree in KiB."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, sum(_pss_kib(p) for p in _tree(process.pid)))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{stderr.decode(errors='replace')[-2000:]}")
    return elapsed, peak


def report(name: str, results: list[tuple[float, int]], target: float) -> None:
    """Print one case: median, range and peak memory against its target."""
    times = [t for t, _ in results]
    median = statistics.median(times)
    verdict = "meets" if median <= target else "MISSES"
    print(
        f"{name:24s} median {median:7.2f} s  (min {min(times):.2f}, max {max(times):.2f}, "
        f"{len(times)} run(s); target {target:g} s: {verdict})  "
        f"peak tree PSS {max(p for _, p in results) / 1024:.0f} MiB",
        flush=True,
    )


def _edit_one_issue(content: Path, issue_id: str, counter: int) -> None:
    """Change one story and one incident of ``issue_id``: different bytes on every call."""
    section = content / "issues" / issue_id / "sections" / "politics.yaml"
    data = yaml.safe_load(section.read_text(encoding="utf-8"))
    data["stories"][0] = f"{data['stories'][0].split(' [edit')[0]} [edit {counter}]"
    section.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    ied = content / "issues" / issue_id / "ied.yaml"
    table = yaml.safe_load(ied.read_text(encoding="utf-8"))
    table["incidents"][0]["deaths"] = counter % 7
    ied.write_text(yaml.safe_dump(table, sort_keys=False, allow_unicode=True), "utf-8")


# Pelican's time for the same corpus's web site (the issue's figures, ``benchmarks/peers.py``).
PELICAN = {104: 2.39, 520: 11.6}


def main() -> None:
    """Generate the archive, then time the four cases."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=520)
    parser.add_argument("--runs", type=int, default=3, help="runs of the quick cases")
    parser.add_argument("--cold-runs", type=int, default=1, help="runs of the cold full build")
    parser.add_argument("--small", type=int, default=104, help="issues of the small archive")
    parser.add_argument(
        "--cases", default="cold,unchanged,edit,web,small", help="which cases to time"
    )
    args = parser.parse_args()
    cases = set(args.cases.split(","))
    newsletter = str(Path(sys.executable).with_name("newsletter"))
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"{os.uname().sysname} {os.uname().release}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="newsletter-bench-") as folder:
        content, output = Path(folder, "content"), Path(folder, "output")
        generate(content, issues=args.issues)
        size = sum(p.stat().st_size for p in content.rglob("*.yaml"))
        print(f"archive: {args.issues} issues, {size / args.issues / 1024:.1f} KB of YAML each")
        build = [newsletter, "build", "--content", str(content), "--output", str(output)]

        def fresh(command: list[str]) -> Callable[[], tuple[float, int]]:
            def go() -> tuple[float, int]:
                shutil.rmtree(output, ignore_errors=True)
                return run(command)

            return go

        if cases & {"cold", "unchanged", "edit"}:
            cold = [fresh(build)() for _ in range(args.cold_runs)]
            if "cold" in cases:
                report("cold full build", cold, 90)
        if "unchanged" in cases:
            report("nothing changed", [run(build) for _ in range(args.runs)], 0.3)
        if "edit" in cases:
            middle = sorted(p.name for p in (content / "issues").iterdir())[args.issues // 2]
            edited = []
            for counter in range(args.runs):
                _edit_one_issue(content, middle, counter + 1)
                edited.append(run(build))
            report("one issue edited", edited, 2.0)
        if "web" in cases:
            web = [fresh([*build, "--web-only"])() for _ in range(args.runs)]
            report("web edition alone, cold", web, 0.5 * PELICAN.get(args.issues, 11.6))
            files = [p for p in (output / "site").rglob("*") if p.is_file()]
            megabytes = sum(p.stat().st_size for p in files) / 2**20
            print(f"web site: {len(files)} files, {megabytes:.1f} MiB")
        if "small" in cases:
            small = Path(folder, "small")
            generate(small, issues=args.small)
            command = [newsletter, "build", "--content", str(small), "--output", str(output)]
            web = [fresh([*command, "--web-only"])() for _ in range(args.runs)]
            target = 0.5 * PELICAN.get(args.small, 2.39)
            report(f"web alone, {args.small} issues", web, target)
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"largest single process (ru_maxrss): {largest:.0f} MiB")


if __name__ == "__main__":
    main()
