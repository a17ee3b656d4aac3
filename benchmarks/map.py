"""Median times and sizes of the IED map: the sample (5 rows) and 40 rows around Baghdad.

Run: .venv/bin/python benchmarks/map.py
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from newsletter.loader import load_project
from newsletter.model import Incident
from newsletter.places import Located, load_gazetteer, resolve
from newsletter.render.map import render_map_png, render_map_svg

CONTENT = Path(__file__).resolve().parents[1] / "content"


def median_ms(call: Callable[[], object], runs: int = 7) -> float:
    """Median wall time of ``call`` in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def crowded(count: int) -> tuple[Located, ...]:
    """``count`` incidents scattered around Baghdad, a fifth of them governorate-level."""
    rng = random.Random(1)
    day = dt.date(2021, 11, 6)
    rows = []
    for n in range(1, count + 1):
        row = Incident(date=day, location=f"Place {n}", province="Baghdad", deaths=0, injuries=0)
        point = (44.38 + rng.uniform(-0.15, 0.15), 33.32 + rng.uniform(-0.12, 0.12))
        if n % 5 == 0:
            rows.append(Located(n, row, "governorate", None, "Baghdad"))
        else:
            rows.append(Located(n, row, "row", point, "the row"))
    return tuple(rows)


def main() -> None:
    """Print one line per case: resolve, SVG and PNG medians, and the sizes."""
    project = load_project(CONTENT)
    gazetteer, _ = load_gazetteer(CONTENT)
    sample = resolve(project.issues[0], gazetteer)
    for name, located in (("sample, 5 rows", sample), ("Baghdad, 40 rows", crowded(40))):
        svg = render_map_svg(located)
        png = render_map_png(svg)
        print(
            f"{name}: resolve {median_ms(lambda: resolve(project.issues[0], gazetteer)):.1f} ms, "
            f"SVG {median_ms(lambda: render_map_svg(located)):.1f} ms "  # noqa: B023
            f"({len(svg.encode()):,} bytes), "
            f"PNG {median_ms(lambda: render_map_png(svg)):.1f} ms ({len(png):,} bytes)"  # noqa: B023
        )


if __name__ == "__main__":
    main()
