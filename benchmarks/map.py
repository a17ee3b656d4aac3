"""Median times and sizes of the IED map: the sample (5 rows) and 40 rows around Baghdad; and
of the small maps' PNGs (the email's, the preview image) on the sample and on a synthetic issue
of 15 incidents, drawn with cairo directly and, for comparison, through SVG and cairosvg.

Run: .venv/bin/python benchmarks/map.py
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from newsletter.loader import Project, load_project
from newsletter.model import Incident, Issue
from newsletter.places import Located, load_gazetteer, resolve
from newsletter.render import mapvariants
from newsletter.render.map import (
    issue_places,
    og_image_png,
    rasterise,
    render_map_png,
    render_map_svg,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import generate

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
    small_maps()


def _fresh(call: Callable[[], object], *, layout: bool) -> Callable[[], object]:
    # Each call draws its issue afresh, as a build does once per issue, in a warm process
    # (modules, fonts, the outlines drawn once per crop); ``layout``: place the badges again.
    def run() -> object:
        if layout:
            mapvariants.small_map_layout.cache_clear()
        mapvariants.small_map_svg.cache_clear()
        mapvariants.og_image_svg.cache_clear()
        mapvariants.email_map.cache_clear()
        return call()

    return run


def _fifteen(folder: Path) -> tuple[Project, Issue]:
    project = load_project(generate(folder, issues=12, seed=0))
    return project, next(i for i in project.issues if len(i.ied.incidents) == 15)


def small_maps(runs: int = 20) -> None:
    """Print the email map's and the preview image's medians of ``runs`` warm calls."""
    with tempfile.TemporaryDirectory() as tmp:
        sample = load_project(CONTENT)
        cases = [
            ("sample, 5 rows", sample, sample.issues[0]),
            ("synthetic, 15 rows", *_fifteen(Path(tmp))),
        ]
        for name, project, issue in cases:
            located = issue_places(project, issue)

            def og(p: Project = project, i: Issue = issue) -> bytes:
                return og_image_png(i, p)

            def email(p: tuple = located) -> bytes:  # type: ignore[type-arg]
                return mapvariants.email_map(p).png

            def og_cairosvg(p: tuple = located) -> bytes:  # type: ignore[type-arg]
                svg = mapvariants.og_image_svg(p, "Publication", "Title: a week", "Totals")
                return rasterise(svg, 1200)[0]

            def email_cairosvg(p: tuple = located) -> bytes:  # type: ignore[type-arg]
                return rasterise(mapvariants.small_map_svg(p).svg, 1200)[0]

            og(), email(), og_cairosvg(), email_cairosvg()  # warm

            def ms(call: Callable[[], object], layout: bool = False) -> str:
                return f"{median_ms(_fresh(call, layout=layout), runs):.1f} ms"

            layout = ms(lambda: mapvariants.small_map_layout(located), True)  # noqa: B023
            print(
                f"{name}: og.png {ms(og, True)} with its layout, drawn {ms(og)} "
                f"({len(og()):,} bytes; through SVG and cairosvg {ms(og_cairosvg)}); "
                f"email map drawn {ms(email)} ({len(email()):,} bytes; "
                f"through SVG and cairosvg {ms(email_cairosvg)}); layout {layout}"
            )


if __name__ == "__main__":
    main()
