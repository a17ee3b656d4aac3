"""Where each IED incident happened, resolved offline, and the checks editors see.

Order of resolution for a row: its own ``lat``/``lon``; the editor-kept ``content/gazetteer.yaml``;
the GeoNames extract shipped in ``data/iraq-places.json``, filtered to the row's governorate (so
a homonym elsewhere in Iraq is never picked); else the governorate itself, never a point.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from newsletter.boundaries import DATA_DIR, Point, load_boundaries
from newsletter.errors import Problem, display_path
from newsletter.model import Governorate, Incident, Issue, Strict, Text
from newsletter.validation import validate
from newsletter.yamlsource import Document, Loc, read_yaml

GAZETTEER = "gazetteer.yaml"
PLACES_FILE = DATA_DIR / "iraq-places.json"

Level = Literal["row", "gazetteer", "geonames", "governorate"]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]

_ARTICLES = {"al", "el", "an", "ar", "as", "ash", "at", "ad", "az", "ath", "adh", "ul"}
# Administrative words: "Ghammas district" is found as Ghammas (an approximation the map's
# note owns up to). Direction words ("north of") are kept, so they never match a town.
_ADMIN = {
    "district",
    "subdistrict",
    "sub",
    "nahiya",
    "nahiyah",
    "nahiyat",
    "qada",
    "qadha",
    "qadaa",
    "town",
    "city",
    "village",
    "area",
    "province",
    "governorate",
}


class GazetteerPlace(Strict):
    """A place editors name in IED rows, with public coordinates."""

    name: Text
    aliases: list[Text] = Field(default_factory=list)
    governorate: Governorate
    lat: Latitude
    lon: Longitude
    source: Text | None = None


class GazetteerFile(Strict):
    """The editor-kept gazetteer: ``content/gazetteer.yaml``."""

    places: list[GazetteerPlace] = Field(default_factory=list)


@dataclass(frozen=True)
class Found:
    """A named place with coordinates, and where that knowledge came from."""

    name: str
    point: Point
    source: str


@dataclass(frozen=True)
class Located:
    """One IED row placed on the map: a point, or only its governorate."""

    number: int
    incident: Incident
    level: Level
    point: Point | None
    source: str

    @property
    def governorate(self) -> str:
        """The row's governorate (house spelling)."""
        return self.incident.province


def place_key(name: str) -> str:
    """Fold a place name for matching: case, accents, articles, admin words, doubled letters."""
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[’‘`'ʿʾ]", "", text)
    tokens = [t for t in re.split(r"[\W_]+", text) if t and t not in _ARTICLES | _ADMIN]
    return re.sub(r"(.)\1+", r"\1", "".join(tokens))


Index = dict[tuple[str, str], Found]


@cache
def geonames_index(path: Path = PLACES_FILE) -> Index:
    """The GeoNames extract keyed by (governorate, folded name); the most populous wins."""
    places = json.loads(path.read_text(encoding="utf-8"))["places"]
    index: Index = {}
    ranked = sorted(places, key=lambda p: (-p["population"], p["geonameid"]))
    for place in ranked:
        found = Found(
            place["name"],
            (place["lon"], place["lat"]),
            f"GeoNames {place['geonameid']} {place['name']}",
        )
        for name in place["names"]:
            index.setdefault((place["governorate"], place_key(name)), found)
    return index


def load_gazetteer(content_dir: Path) -> tuple[Index, list[Problem]]:
    """Read and check ``content/gazetteer.yaml`` (optional); return its index and problems."""
    path = content_dir / GAZETTEER
    if not path.is_file():
        return {}, []
    doc, problems = read_yaml(path)
    if doc is None:
        return {}, problems
    gazetteer = validate(doc, GazetteerFile, problems)
    if gazetteer is None:
        return {}, problems
    index: Index = {}
    for i, place in enumerate(gazetteer.places):
        problems += _check_point(doc, ("places", i), place.lat, place.lon, place.governorate)
        found = Found(place.name, (place.lon, place.lat), f"gazetteer: {place.name}")
        for name in (place.name, *place.aliases):
            key = (place.governorate, place_key(name))
            if key in index and index[key].name != place.name:
                message = f'"{name}" in {place.governorate} is also given by "{index[key].name}"'
                problems.append(doc.problem(("places", i, "name"), message))
            index.setdefault(key, found)
    return index, problems


def resolve(issue: Issue, gazetteer: Index) -> tuple[Located, ...]:
    """Place every IED row of an issue, numbered from 1 in table order."""
    located = []
    geonames = geonames_index()
    for number, row in enumerate(issue.ied.incidents, start=1):
        if row.lat is not None and row.lon is not None:
            located.append(Located(number, row, "row", (row.lon, row.lat), "the row"))
            continue
        key = (row.province, place_key(row.location)) if row.location else None
        if key and key[1] and key in gazetteer:
            found = gazetteer[key]
            located.append(Located(number, row, "gazetteer", found.point, found.source))
        elif key and key[1] and key in geonames:
            found = geonames[key]
            located.append(Located(number, row, "geonames", found.point, found.source))
        else:
            located.append(Located(number, row, "governorate", None, row.province))
    return tuple(located)


def _check_point(
    doc: Document, loc: Loc, lat: float, lon: float, governorate: str
) -> list[Problem]:
    borders = load_boundaries()
    if not borders.in_iraq(lon, lat):
        hint = "; did you swap lat and lon?" if borders.in_iraq(lat, lon) else ""
        return [doc.problem((*loc, "lat"), f"lat {lat}, lon {lon} is outside Iraq{hint}")]
    area = borders.area_at(lon, lat)
    unmapped = {u.name: u.within for u in borders.unmapped}
    expected = unmapped.get(governorate, governorate)
    if area is not None and area.name != expected:
        message = f"lat {lat}, lon {lon} is in {area.name}, not {governorate}; check both"
        return [doc.problem((*loc, "lat"), message, "warning")]
    return []


def check_issue_places(
    doc: Document, issue: Issue, gazetteer: Index, content_dir: Path
) -> list[Problem]:
    """Check one issue's rows: errors for bad coordinates, warnings for rows the map can only
    show as a whole governorate. ``doc`` is the issue's parsed ``ied.yaml``."""
    problems: list[Problem] = []
    shown = display_path(content_dir / GAZETTEER)
    for place in resolve(issue, gazetteer):
        row, loc = place.incident, ("incidents", place.number - 1)
        if (row.lat is None) != (row.lon is None):
            given = "lat" if row.lat is not None else "lon"
            message = "give both lat and lon, or neither"
            problems.append(doc.problem((*loc, given), message))
        elif row.lat is not None and row.lon is not None:
            problems += _check_point(doc, loc, row.lat, row.lon, row.province)
        if place.level != "governorate":
            continue
        if row.location:
            problems.append(
                doc.problem(
                    (*loc, "location"),
                    f'"{row.location}" was not found for {row.province} in the gazetteer '
                    f"or GeoNames, so the map shades all of {row.province}; add lat and lon "
                    f"here, or the place to {shown}",
                    "warning",
                )
            )
        else:
            problems.append(
                doc.problem(
                    loc,
                    f"no location, so the map shades all of {row.province}; "
                    "add location, lat and lon here to place it",
                    "warning",
                )
            )
    return problems
