"""Web-only build of a synthetic archive: median wall time of whole processes, and site size.

Run: .venv/bin/python benchmarks/web_build.py [--issues 52] [--runs 5]
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


def main() -> None:
    """Generate the archive once, then time cold web-only builds into fresh output folders."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=52)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    newsletter = Path(sys.executable).with_name("newsletter")
    with tempfile.TemporaryDirectory() as folder:
        content = generate(Path(folder, "content"), issues=args.issues)
        times = []
        for _ in range(args.runs):
            output = Path(folder, "output")
            shutil.rmtree(output, ignore_errors=True)
            started = time.perf_counter()
            subprocess.run(
                [
                    str(newsletter),
                    "build",
                    "--web-only",
                    "--content",
                    str(content),
                    "--output",
                    str(output),
                ],
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - started)
        site = Path(folder, "output", "site")
        files = [p for p in site.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        print(
            f"web-only build of {args.issues} issues, median of {args.runs} cold runs: "
            f"{statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f})"
        )
        print(f"site: {len(files)} files, {size / 1024 / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
