"""Map layouts kept in the build cache: reused while the rows they place are the same, laid
out again after an edit of the table or the gazetteer, and never drawn from a damaged entry.

Every test ends the same way: the site built with the cache is byte for byte the site a fresh
build of the same content makes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from synthetic import generate

from newsletter.build.cache import digest

ROOT = Path(__file__).resolve().parents[1]
ISSUE = "2016-01-14"


def build(content: Path, output: Path) -> None:
    command = ["build", "--content", str(content), "--output", str(output), "--web-only"]
    done = subprocess.run(
        [sys.executable, "-m", "newsletter", *command],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr


def site(output: Path) -> dict[str, bytes]:
    root = output / "site"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def stored(output: Path) -> dict[str, list[object]]:
    layouts: dict[str, list[object]] = json.loads(
        (output / ".newsletter/current/issues.json").read_bytes()
    )[3]
    return layouts


def write_stored(output: Path, layouts: dict[str, list[object]]) -> None:
    path = output / ".newsletter/current/issues.json"
    data = json.loads(path.read_bytes())
    data[3] = layouts
    path.unlink()  # a hard link the next generation would share: replaced, not written over
    path.write_text(json.dumps(data), "utf-8")


def edit_story(content: Path) -> None:
    """Re-render the issue's page and the feed without changing any table."""
    path = content / "issues" / ISSUE / "sections/politics.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["stories"][0] += " Edited."
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")


def assert_as_fresh(content: Path, output: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    build(content, fresh)
    assert site(output) == site(fresh)


@pytest.fixture
def archive(tmp_path: Path) -> tuple[Path, Path]:
    content, output = tmp_path / "content", tmp_path / "output"
    generate(content, issues=4)
    build(content, output)
    return content, output


def test_every_map_layout_is_stored(archive: tuple[Path, Path]) -> None:
    _, output = archive
    layouts = stored(output)
    assert len(layouts) == 4  # each issue's map
    for key, (check, rows) in layouts.items():
        assert check == digest(key, json.dumps(rows))


@pytest.mark.parametrize("damage", ["moved", "moved-and-signed", "off-map", "renumbered", "short"])
def test_a_damaged_layout_is_laid_out_again(
    archive: tuple[Path, Path], tmp_path: Path, damage: str
) -> None:
    content, output = archive
    layouts = stored(output)
    for key, (check, rows) in layouts.items():
        badges = [list(row) for row in rows]  # type: ignore[union-attr]
        if damage.startswith("moved"):
            badges[0][1] += 40
        elif damage == "off-map":
            badges[0][1] = 1e9
        elif damage == "renumbered":
            badges[0][0] = 99
        else:
            badges = badges[:-1]
        # "moved" keeps the old digest (damage); the others are signed again, so only the check
        # against the rows themselves can refuse them.
        signed = check if damage == "moved" else digest(key, json.dumps(badges))
        layouts[key] = [signed, badges]
    write_stored(output, layouts)
    edit_story(content)
    build(content, output)
    if damage != "moved-and-signed":  # a plausible position with a valid digest is data
        assert_as_fresh(content, output, tmp_path)


def test_an_edited_table_lays_its_map_out_again(archive: tuple[Path, Path], tmp_path: Path) -> None:
    content, output = archive
    before = stored(output)
    path = content / "issues" / ISSUE / "ied.yaml"
    table = yaml.safe_load(path.read_text("utf-8"))
    row = next(r for r in table["incidents"] if "lat" in r)
    row["lat"] = round(row["lat"] + 0.3, 4)
    path.write_text(yaml.safe_dump(table, sort_keys=False), "utf-8")
    build(content, output)
    after = stored(output)
    assert len(after) == 4 and len(set(after) - set(before)) == 1  # the old layout is dropped
    assert_as_fresh(content, output, tmp_path)


def test_a_gazetteer_edit_lays_the_maps_out_again(
    archive: tuple[Path, Path], tmp_path: Path
) -> None:
    content, output = archive
    path = content / "issues" / ISSUE / "ied.yaml"
    table = yaml.safe_load(path.read_text("utf-8"))
    row = next(r for r in table["incidents"] if "lat" in r)
    del row["lat"], row["lon"]  # found by name from now on
    path.write_text(yaml.safe_dump(table, sort_keys=False), "utf-8")
    build(content, output)
    before = stored(output)
    seats = {"Baghdad": (33.31, 44.37), "Basra": (30.51, 47.78), "Ninewa": (36.34, 43.13)}
    lat, lon = seats.get(row["province"], (33.31, 44.37))
    place = {
        "name": row["location"],
        "governorate": row["province"] if row["province"] in seats else "Baghdad",
        "lat": lat,
        "lon": lon,
        "source": "a test",
    }
    if place["governorate"] != row["province"]:  # keep the row and the place in one governorate
        row["province"] = place["governorate"]
        path.write_text(yaml.safe_dump(table, sort_keys=False), "utf-8")
    (content / "gazetteer.yaml").write_text(yaml.safe_dump({"places": [place]}), "utf-8")
    build(content, output)
    assert stored(output).keys() != before.keys()
    assert_as_fresh(content, output, tmp_path)
