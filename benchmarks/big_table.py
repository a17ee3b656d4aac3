"""One issue with a very large IED table: wall time of ``build --web-only`` and ``check``.

The sample content with its IED table replaced by N fictional rows spread over every
governorate (four in five with coordinates near the seat, the rest known only to their
governorate), timed as whole processes.

Run: .venv/bin/python benchmarks/big_table.py [--rows 250 1000 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from synthetic import SEATS

CONTENT = Path(__file__).resolve().parents[1] / "content"
ISSUE = "issues/2021-11-11"


def write_big_table(target: Path, rows: int, seed: int = 0) -> Path:
    """Copy the sample content to ``target`` with ``rows`` IED rows in its issue; return it."""
    shutil.copytree(CONTENT, target)
    rng = random.Random(seed)
    days = [dt.date(2021, 11, 5) + dt.timedelta(days=d) for d in range(7)]
    incidents = []
    for n in range(rows):
        province = rng.choice(sorted(SEATS))
        lat, lon = SEATS[province]
        row: dict[str, object] = {
            "date": rng.choice(days),
            "province": province,
            "deaths": rng.choice([0, 0, 1, 2]),
            "injuries": rng.choice([0, 1, 3]),
        }
        if n % 5:
            row.update(
                location=f"Sample district {n}",
                lat=round(lat + rng.uniform(-0.05, 0.05), 4),
                lon=round(lon + rng.uniform(-0.05, 0.05), 4),
            )
        incidents.append(row)
    ied = {"note": "A fictional table for benchmarks.", "incidents": incidents}
    (target / ISSUE / "ied.yaml").write_text(yaml.safe_dump(ied, sort_keys=False), "utf-8")
    return target


def _seconds(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "newsletter", *args], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    """Print, per table size, the median web-only build and check times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[250, 1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as folder:
            content = write_big_table(Path(folder, "content"), rows)
            builds, checks = [], []
            for _ in range(args.runs):
                output = Path(folder, "output")
                shutil.rmtree(output, ignore_errors=True)
                build = ["build", "--web-only", "--content", str(content), "--output", str(output)]
                builds.append(_seconds(build))
                checks.append(_seconds(["check", "--content", str(content)]))
            print(
                f"{rows:,} rows, median of {args.runs}: web-only build "
                f"{statistics.median(builds):.2f} s, check {statistics.median(checks):.2f} s"
            )


if __name__ == "__main__":
    main()
