"""The IED map: where rows land, how they are drawn, and the map in all three editions."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import CONTENT, SAMPLE_ID, SampleBuild
from PIL import Image
from test_goldens import _compare
from test_validation import edit
from textutil import html_text

from newsletter.boundaries import load_boundaries
from newsletter.errors import ContentError
from newsletter.loader import load_project
from newsletter.model import Incident
from newsletter.places import Located, load_gazetteer, place_key, resolve
from newsletter.render.context import issue_context
from newsletter.render.email import render_email_html
from newsletter.render.map import (
    RADIUS,
    Projection,
    build_map,
    email_map_image,
    render_map_svg,
)
from newsletter.theme import make_theme

SVG = "{http://www.w3.org/2000/svg}"
ALT = "Map of 5 IED incidents: Babylon 1, Diwaniyah 2, Kirkuk 1, Ninewa 1"


@pytest.fixture(scope="module")
def figure() -> object:
    project = load_project(CONTENT)
    gazetteer, problems = load_gazetteer(CONTENT)
    assert problems == []
    result = build_map(project.issues[0], gazetteer)
    assert result is not None
    return result


def _markers(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    return [g for g in root.iter(f"{SVG}g") if "marker" in g.get("class", "").split()]


def test_map_svg_golden(request: pytest.FixtureRequest, figure: object) -> None:
    _compare(request, "map.svg", str(figure.svg))  # type: ignore[attr-defined]


def test_sample_places_resolve_at_each_level(figure: object) -> None:
    levels = [(p.number, p.level, p.source) for p in figure.located]  # type: ignore[attr-defined]
    assert levels == [
        (1, "gazetteer", "gazetteer: Jurf al-Sakhr"),
        (2, "geonames", "GeoNames 99434 Nahiyat Ghammas"),
        (3, "gazetteer", "gazetteer: Hammam al-Alil"),
        (4, "governorate", "Kirkuk"),
        (5, "governorate", "Diwaniyah"),
    ]


def test_one_marker_per_row_and_governorate_rows_drawn_as_areas(figure: object) -> None:
    svg = str(figure.svg)  # type: ignore[attr-defined]
    markers = _markers(svg)
    assert [m.get("data-row") for m in markers] == ["1", "2", "3", "4", "5"]
    kinds = {m.get("data-row"): m.get("class") for m in markers}
    assert kinds == {
        "1": "marker point",
        "2": "marker point",
        "3": "marker point",
        "4": "marker area",
        "5": "marker area",
    }
    root = ET.fromstring(svg)
    dots = [c for c in root.iter(f"{SVG}circle") if c.get("r") == "2.5"]
    assert len(dots) == 3  # a point only where the place is known
    fills = {p.get("data-governorate"): p.get("fill") for p in root.iter(f"{SVG}path")}
    shaded = sorted(name for name, fill in fills.items() if name and fill == "#f3d3cc")
    assert shaded == ["Diwaniyah", "Kirkuk"]
    # Each governorate-level badge sits inside its governorate, with no leader to a point.
    borders = load_boundaries()
    project = Projection(borders)
    for marker, name in ((markers[3], "Kirkuk"), (markers[4], "Diwaniyah")):
        circle = marker.find(f"{SVG}circle")
        assert circle is not None and marker.find(f"{SVG}line") is None
        lon, lat = project.back(float(circle.get("cx", 0)), float(circle.get("cy", 0)))
        area = borders.area(name)
        assert area is not None and area.contains(lon, lat)


def test_alt_text_and_key(figure: object) -> None:
    assert figure.alt == ALT  # type: ignore[attr-defined]
    assert f'<title id="ied-map-title">{ALT}</title>' in str(figure.svg)  # type: ignore[attr-defined]
    labels = [(e.number, e.label, e.area) for e in figure.key]  # type: ignore[attr-defined]
    assert labels[3] == (4, "Turkalan subdistrict, Kirkuk", True)
    assert labels[4] == (5, "Diwaniyah", True)


def test_names_fold_and_homonyms_stay_in_their_governorate(project: Path) -> None:
    assert place_key("Nāḩiyat Ghammās") == place_key("Ghammas district") == "ghamas"
    assert place_key("Hamam al-Alil") == place_key("Hammam al Alil")
    edit(
        project / "issues/2021-11-11/ied.yaml", "location: Jurf al-Sakhr", "location: Jurf al-Nasr"
    )
    # Ghammas is in Diwaniyah: named in a Basra row it must not borrow Diwaniyah's point.
    edit(
        project / "issues/2021-11-11/ied.yaml",
        "location: Ghammas district\n    province: Diwaniyah",
        "location: Ghammas district\n    province: Basra",
    )
    loaded = load_project(project)
    gazetteer, _ = load_gazetteer(project)
    located = resolve(loaded.issues[0], gazetteer)
    assert (located[0].level, located[0].point) == ("gazetteer", (44.2139, 32.8667))
    assert (located[1].level, located[1].point) == ("governorate", None)


def test_coordinates_on_the_row_win(project: Path) -> None:
    edit(
        project / "issues/2021-11-11/ied.yaml",
        "location: Turkalan subdistrict",
        "location: Turkalan subdistrict\n    lat: 35.35\n    lon: 44.5",
    )
    loaded = load_project(project)
    map_warnings = [w for w in loaded.warnings if "the map shades" in w.message]
    assert len(map_warnings) == 1  # only the row without a location is left
    located = resolve(loaded.issues[0], load_gazetteer(project)[0])
    assert (located[3].level, located[3].point) == ("row", (44.5, 35.35))


def test_row_outside_iraq_is_rejected(project: Path) -> None:
    edit(
        project / "issues/2021-11-11/ied.yaml",
        "location: Hammam al-Alil",
        "location: Hammam al-Alil\n    lat: 48.8566\n    lon: 2.3522",
    )
    edit(
        project / "issues/2021-11-11/ied.yaml",
        "location: Jurf al-Sakhr",
        "location: Jurf al-Sakhr\n    lat: 44.2139\n    lon: 32.8667",
    )
    with pytest.raises(ContentError) as caught:
        load_project(project)
    ied = f"{project}/issues/2021-11-11/ied.yaml"
    assert [str(p) for p in caught.value.problems] == [
        f"{ied}:8: incidents[0].lat: lat 44.2139, lon 32.8667 is outside Iraq; "
        "did you swap lat and lon?",
        f"{ied}:20: incidents[2].lat: lat 48.8566, lon 2.3522 is outside Iraq",
    ]


def test_gazetteer_is_checked_with_line_numbers(project: Path, write: object) -> None:
    gazetteer = """
        places:
          - name: Baiji
            governorate: Salah ad-Din
            lat: 34.93
            lon: 43.49
          - name: Nowhere
            governorate: Anbar
            lat: 40.0
            lon: 30.0
        """
    write(project / "gazetteer.yaml", gazetteer + "    elevation: 3\n")  # type: ignore[operator]
    with pytest.raises(ContentError) as caught:
        load_project(project)
    assert [str(p) for p in caught.value.problems] == [
        f"{project}/gazetteer.yaml:10: places[1].elevation: unknown field; expected one of: "
        "name, aliases, governorate, lat, lon, source",
    ]
    write(project / "gazetteer.yaml", gazetteer)  # type: ignore[operator]
    with pytest.raises(ContentError) as caught:
        load_project(project)
    assert [str(p) for p in caught.value.problems] == [
        f"{project}/gazetteer.yaml:8: places[1].lat: lat 40.0, lon 30.0 is outside Iraq",
    ]


def test_many_incidents_around_baghdad_do_not_collide() -> None:
    rng = random.Random(7)
    day = dt.date(2021, 11, 6)
    located = [
        Located(
            n,
            Incident(date=day, location=f"Place {n}", province="Baghdad", deaths=0, injuries=0),
            "row",
            (44.38 + rng.uniform(-0.12, 0.12), 33.32 + rng.uniform(-0.1, 0.1)),
            "the row",
        )
        for n in range(1, 19)
    ]
    located += [
        Located(
            n, Incident(date=day, province="Baghdad", deaths=0, injuries=0), "governorate", None, ""
        )
        for n in range(19, 23)
    ]
    svg = render_map_svg(tuple(located))
    markers = _markers(svg)
    assert len(markers) == 22
    centres = []
    for marker in markers:
        circle = marker.find(f"{SVG}circle")
        assert circle is not None
        centres.append((float(circle.get("cx", 0)), float(circle.get("cy", 0))))
    for a, b in itertools.combinations(centres, 2):
        assert math.dist(a, b) >= 2 * RADIUS, (a, b)
    root = ET.fromstring(svg)
    names = {t.text: (float(t.get("x", 0)), float(t.get("y", 0))) for t in root.iter(f"{SVG}text")}
    bx, by = names["Baghdad"]
    for x, y in centres:  # no badge covers the governorate's name
        assert not (abs(x - bx) < 20 + RADIUS and abs(y - (by - 3.5)) < 6 + RADIUS), (x, y)


def test_map_in_all_three_editions(sample: SampleBuild) -> None:
    web = sample.web_html.read_text(encoding="utf-8")
    assert web.count('<svg xmlns="http://www.w3.org/2000/svg" class="ied-map"') == 1
    assert f'<title id="ied-map-title">{ALT}</title>' in web
    text = html_text(web)
    assert "4 Turkalan subdistrict, Kirkuk (governorate only)" not in text  # numbers are list items
    assert "Turkalan subdistrict, Kirkuk (governorate only)" in text
    # The legend and credits are the caption's text, sized with the page, not SVG letters.
    svg = web.split('class="ied-map" role="img"', 1)[1].split("</svg>", 1)[0]
    caption = web.split("<figcaption>", 1)[1].split("</figcaption>", 1)[0]
    for words in ("Incident at a known place", "Governorate shaded", "Natural Earth"):
        assert words in caption and words not in svg

    email = sample.email_html.read_text(encoding="utf-8")
    # The email's own map, drawn for a phone: 1200 px wide, shown 536 px wide at most.
    width, height = re.findall(
        rf'<img src="map.png" alt="{ALT}" width="(\d+)" height="(\d+)"', email
    )[0]
    png = (sample.email_html.parent / "map.png").read_bytes()
    image = Image.open(io.BytesIO(png))
    image.load()
    assert (image.format, image.width, width) == ("PNG", 1200, "536")
    assert abs(image.height - int(height) * 1200 / 536) < 3

    pdf = sample.pdf_text()
    for words in ("Sulaymaniyah", "Halabja", "Incident at a known place", "Natural Earth"):
        assert words in pdf


def test_email_image_for_the_message_builder(figure: object) -> None:
    project = load_project(CONTENT)
    issue = next(i for i in project.issues if i.id == SAMPLE_ID)
    image = email_map_image(issue, figure)  # type: ignore[arg-type]
    assert image.content_id == "map.2021-11-11@newsletter"
    assert image.data.startswith(b"\x89PNG\r\n\x1a\n")
    context = issue_context(project, issue)
    context["map_src"] = image.src
    html = render_email_html(make_theme(), context)
    assert '<img src="cid:map.2021-11-11@newsletter"' in html


def test_a_2000_row_table_is_mapped_per_governorate() -> None:
    rng = random.Random(3)
    day = dt.date(2021, 11, 6)
    located = tuple(
        Located(
            n,
            Incident(date=day, location=f"Place {n}", province="Baghdad", deaths=0, injuries=0),
            "row",
            (44.38 + rng.uniform(-0.12, 0.12), 33.32 + rng.uniform(-0.1, 0.1)),
            "the row",
        )
        if n % 5
        else Located(
            n, Incident(date=day, province="Basra", deaths=0, injuries=0), "governorate", None, ""
        )
        for n in range(1, 2001)
    )
    svg = render_map_svg(located)
    assert [m.get("data-row") for m in _markers(svg)] == ["1", "2"]  # Baghdad, Basra
    assert "Map of 2000 IED incidents: Baghdad 1600, Basra 400" in svg


def test_open_graph_image_is_1200_by_630() -> None:
    from newsletter.loader import load_project
    from newsletter.render.map import og_image_png

    project = load_project(CONTENT)
    issue = next(i for i in project.issues if i.id == SAMPLE_ID)
    image = Image.open(io.BytesIO(og_image_png(issue, project)))
    image.load()
    assert (image.format, image.size) == ("PNG", (1200, 630))


def test_email_map_crops_only_when_incidents_cluster() -> None:
    from newsletter.boundaries import load_boundaries
    from newsletter.model import Incident
    from newsletter.places import Located
    from newsletter.render.mapvariants import crop_extent

    borders = load_boundaries()

    def rows(*names: str) -> tuple[Located, ...]:
        day = dt.date(2021, 11, 6)
        return tuple(
            Located(
                n,
                Incident(date=day, province=name, deaths=0, injuries=0),
                "governorate",
                None,
                name,
            )
            for n, name in enumerate(names, start=1)
        )

    west, south, east, north = crop_extent(rows("Baghdad"), borders) or (0, 0, 0, 0)
    area = borders.area("Baghdad")
    assert area is not None
    bw, bs, be, bn = area.bbox
    assert west < bw and south < bs and east > be and north > bn  # whole, with a margin
    assert crop_extent(rows("Basra", "Ninewa", "Anbar"), borders) is None  # the whole country


def _differing(old: bytes, new: bytes) -> tuple[int, float]:
    """The largest channel difference between two PNGs, and the share of pixels off by > 8."""
    from PIL import ImageChops

    a, b = (Image.open(io.BytesIO(png)).convert("RGB") for png in (old, new))
    assert a.size == b.size
    counts = ImageChops.difference(a, b).convert("L").histogram()
    return max(v for v, n in enumerate(counts) if n), sum(counts[9:]) / sum(counts)


@pytest.mark.parametrize("rows", ["sample", "crowded"])
def test_small_maps_drawn_with_cairo_look_as_through_svg(rows: str) -> None:
    from newsletter.render.map import issue_places, rasterise
    from newsletter.render.mapvariants import email_map, og_image_svg, og_png, small_map_svg

    project = load_project(CONTENT)
    issue = next(i for i in project.issues if i.id == SAMPLE_ID)
    located = issue_places(project, issue)
    if rows == "crowded":  # 15 rows: points, governorate shading, and a leader per badge
        rng = random.Random(5)
        day = dt.date(2021, 11, 6)
        located = tuple(
            Located(
                n,
                Incident(date=day, location=f"Place {n}", province="Baghdad", deaths=0, injuries=0),
                "row" if n % 4 else "governorate",
                (44.38 + rng.uniform(-0.2, 0.2), 33.32 + rng.uniform(-0.2, 0.2)) if n % 4 else None,
                "Baghdad" if n % 3 else "Diyala",
            )
            for n in range(1, 16)
        )
    # What cairosvg draws from the SVG, against the PNGs the editions use: the same drawing;
    # only antialiased edge pixels may take other entries of the 64-colour palette.
    through_svg = rasterise(small_map_svg(located).svg, 1200)[0]
    largest, share = _differing(through_svg, email_map(located).png)
    assert largest < 64 and share < 0.01, (largest, share)
    texts = (project.publication.title, "ISHM 328: November 4 – 11, 2021", "5 incidents, 3 killed")
    through_svg = rasterise(og_image_svg(located, *texts), 1200)[0]
    largest, share = _differing(through_svg, og_png(located, *texts))
    assert largest < 64 and share < 0.01, (largest, share)
