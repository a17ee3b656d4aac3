"""Generate a synthetic archive of plainly fictional issues, for tests and benchmarks.

Every name in it is invented ("the Ministry of Examples", "Sample City"); only the governorates
and their seats' coordinates are real, so that validation and the map behave as with real
content. Sizes are realistic: about 30 KB of YAML per issue and 5-15 incidents.

Usage: python benchmarks/synthetic.py FOLDER [--issues 52] [--seed 0]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

import yaml

# Governorate seats (public coordinates), for incidents placed near them.
SEATS = {
    "Anbar": (33.43, 43.30),
    "Babylon": (32.48, 44.43),
    "Baghdad": (33.31, 44.37),
    "Basra": (30.51, 47.78),
    "Dhi Qar": (31.04, 46.26),
    "Diwaniyah": (31.99, 44.93),
    "Diyala": (33.75, 44.64),
    "Duhok": (36.87, 42.99),
    "Erbil": (36.19, 44.01),
    "Karbala": (32.62, 44.02),
    "Kirkuk": (35.47, 44.39),
    "Maysan": (31.84, 47.14),
    "Muthanna": (31.31, 45.28),
    "Najaf": (32.03, 44.34),
    "Ninewa": (36.34, 43.13),
    "Salah ad-Din": (34.60, 43.68),
    "Sulaymaniyah": (35.56, 45.44),
    "Wasit": (32.51, 45.82),
}
SUBJECTS = [
    "the Ministry of Examples",
    "the Sample Council",
    "officials in Placeholder Town",
    "the Fictional Water Board",
    "the Demonstration Authority",
    "a spokesperson for the Invented Alliance",
    "the Made-Up Trade Office",
    "residents of Sample City",
]
VERBS = ["announced", "reported", "denied", "welcomed", "postponed", "reviewed", "proposed"]
OBJECTS = [
    "a plan to repair imaginary bridges",
    "new figures on fictional harvests",
    "talks about an invented pipeline",
    "a study of hypothetical rainfall",
    "the opening of a pretend clinic",
    "a budget for placeholder schools",
    "measures against made-up smuggling",
    "a review of sample elections",
]
SECTIONS = ["politics", "security", "humanitarian", "economy"]


def _sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(OBJECTS)}."


def _story(rng: random.Random, day: dt.date, length: int) -> str:
    text = (
        f"On {day:%B} {day.day}, {rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}."
    )
    while len(text) < length:
        text += " " + _sentence(rng)
    return text


def _count(rng: random.Random) -> int | str:
    roll = rng.random()
    if roll < 0.05:
        return "unknown"
    if roll < 0.10:
        low = rng.randint(1, 4)
        return f"{low}-{low + rng.randint(1, 3)}"
    if roll < 0.13:
        return f"at least {rng.randint(2, 6)}"
    return rng.choice([0, 0, 0, 1, 1, 2, 3, 5])


def write_publication(folder: Path) -> None:
    """Write the fictional publication's newsletter.yaml."""
    publication = {
        "title": "Sample Security Monitor",
        "short_name": "SSM",
        "publisher": "The Fictional Institute",
        "site_url": "https://monitor.example.org/",
        "reference_guide": {
            "url": "https://monitor.example.org/guide/",
            "text": "See the Sample Guide for background.",
            "link_text": "Sample Guide",
        },
        "subscribe": {
            "url": "https://monitor.example.org/subscribe/",
            "text": "Subscribe to the Sample Security Monitor.",
            "link_text": "Subscribe",
        },
        "footer": "The Sample Security Monitor is a fictional publication made for tests.",
        "sender": {"name": "Sample Monitor", "address": "monitor@example.org"},
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "newsletter.yaml").write_text(yaml.safe_dump(publication, sort_keys=False), "utf-8")


def write_issue(folder: Path, number: int, end: dt.date, rng: random.Random) -> Path:
    """Write one fictional issue ending on ``end``; return its folder."""
    start = end - dt.timedelta(days=7)
    issue_dir = folder / "issues" / end.isoformat()
    (issue_dir / "sections").mkdir(parents=True, exist_ok=True)
    meta = {"number": number, "period": {"start": start, "end": end}, "sections": SECTIONS}
    (issue_dir / "issue.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), "utf-8")
    days = [start + dt.timedelta(days=d) for d in range(8)]
    for slug in SECTIONS:
        stories = [_story(rng, rng.choice(days), rng.randint(600, 1100)) for _ in range(7)]
        section = {
            "title": f"{rng.choice(SUBJECTS).title()} {rng.choice(VERBS).title()} Plans",
            "takeaway": {"summary": _story(rng, days[1], 500)},
            "stories": sorted(stories),
        }
        text = yaml.safe_dump(section, sort_keys=False, allow_unicode=True, width=100)
        (issue_dir / "sections" / f"{slug}.yaml").write_text(text, "utf-8")
    incidents = []
    for _ in range(rng.randint(5, 15)):
        province = rng.choice(list(SEATS))
        lat, lon = SEATS[province]
        row: dict[str, object] = {
            "date": rng.choice(days),
            "province": province,
            "deaths": _count(rng),
            "injuries": _count(rng),
        }
        if rng.random() < 0.8:
            row.update(
                location=f"Sample district {rng.randint(1, 40)}",
                lat=round(lat + rng.uniform(-0.05, 0.05), 4),
                lon=round(lon + rng.uniform(-0.05, 0.05), 4),
            )
        incidents.append(row)
    ied = {"note": "A fictional table for tests.", "incidents": incidents}
    (issue_dir / "ied.yaml").write_text(yaml.safe_dump(ied, sort_keys=False), "utf-8")
    return issue_dir


def generate(
    folder: Path, issues: int = 52, seed: int = 0, first_end: dt.date = dt.date(2016, 1, 7)
) -> Path:
    """Write a content folder of ``issues`` weekly fictional issues; return the folder."""
    rng = random.Random(seed)
    write_publication(folder)
    for index in range(issues):
        write_issue(folder, 100 + index, first_end + dt.timedelta(weeks=index), rng)
    return folder


def main() -> None:
    """Command-line entry: write a synthetic archive."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--issues", type=int, default=52)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    generate(args.folder, args.issues, args.seed)


if __name__ == "__main__":
    main()
