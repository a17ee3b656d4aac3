"""The map drawn for small screens: the email's PNG and the Open Graph preview image.

The web and PDF map (``map.py``) is 600 units wide with 10-unit type: shown 327 px wide in an
email on a phone, its names come out at 5 px. This one is drawn for its display width instead:
400 units shown at 327 to 552 px, type of ``LABEL`` units (12 px or more on a 375 px phone),
only the names of governorates with incidents, and cropped to those governorates (whole, with
a margin) when they cluster in a part of the country. Its key, legend and credits are the
email's HTML text, not pixels. No pure white: the image's lightest colour is a pale grey and it
sits in a frame of its own edge colour, so in dark mode it reads as a card, not a glaring block.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from markupsafe import escape

from newsletter.boundaries import Boundaries, load_boundaries
from newsletter.places import Located
from newsletter.render.map import (
    ACCENT,
    FONT,
    Projection,
    _f,
    _path,
    _requests,
    _within_area,
    _within_ring,
    full_extent,
)
from newsletter.render.maplayout import Badge, Box, Request, around, place_badges

Extent = tuple[float, float, float, float]  # west, south, east, north (degrees)

EMAIL_WIDTH = 400  # drawing units
# CSS px: the email's 600 px column less its 24 px padding and the frame's 8 px each side.
EMAIL_DISPLAY_WIDTH = 536
PHONE_DISPLAY_WIDTH = 311  # CSS px: the same on a 375 px phone
EMAIL_PNG_WIDTH = 1200  # 2.2x the widest display, 3.9x a phone's
LABEL = 16.0  # units: 16 * 311 / 400 = 12.4 px on a 375 px phone, 21 px on a desktop
RADIUS = 12.0
EDGE = "#dce2e8"  # outside Iraq, and the frame the email puts around the image
LAND = "#f1f3f5"
SHADED = "#f3d3cc"
INK = "#2f3a44"
OUTER, INNER = "#5b6670", "#9aa4ad"  # the country's edge, governorates' borders
RING = RADIUS * 1.8  # a shaded governorate without an outline, around its seat
DOT = 3.5
# Crop only when the incidents' governorates cover less than this share of the country's box:
# a crop that gains little only loses the reader's bearings.
CROP_BELOW = 0.6
PAD = 0.25  # degrees around the cropped governorates
# Height over width of a cropped map, in drawing units: tall crops widen, flat ones deepen.
MIN_RATIO, MAX_RATIO = 0.7, 1.3


@dataclass(frozen=True)
class SmallMap:
    """A map drawn for a small display: its SVG, size in units and whether it is cropped."""

    svg: str
    width: int
    height: int
    cropped: bool
    label_size: float  # the smallest type on it, in units


@dataclass(frozen=True)
class EmailMap:
    """The email's map image and the size the HTML gives it (``width``/``height`` attributes)."""

    png: bytes
    width: int
    height: int
    png_width: int
    png_height: int
    label_px: float  # the smallest type on it, in PNG pixels
    cropped: bool


def _governorate_box(name: str, borders: Boundaries) -> Extent:
    area = borders.area(name)
    if area is not None:
        return area.bbox
    unmapped = next(u for u in borders.unmapped if u.name == name)
    within = borders.area(unmapped.within)
    if within is not None:
        return within.bbox
    lon, lat = unmapped.seat
    return lon - 0.5, lat - 0.5, lon + 0.5, lat + 0.5


def _fit(extent: Extent, full: Extent) -> Extent:
    """Widen or deepen ``extent`` to a ratio a phone shows well, kept within ``full``."""
    west, south, east, north = extent
    kx = math.cos(math.radians(33.3))
    ratio = (north - south) / ((east - west) * kx)
    if ratio > MAX_RATIO:
        grow = ((north - south) / (MAX_RATIO * kx) - (east - west)) / 2
        west, east = west - grow, east + grow
    elif ratio < MIN_RATIO:
        grow = (MIN_RATIO * (east - west) * kx - (north - south)) / 2
        south, north = south - grow, north + grow
    # Slide back inside the country's box rather than show empty desert beyond it.
    fw, fs, fe, fn = full
    if west < fw:
        west, east = fw, min(fe, east + fw - west)
    if east > fe:
        west, east = max(fw, west - (east - fe)), fe
    if south < fs:
        south, north = fs, min(fn, north + fs - south)
    if north > fn:
        south, north = max(fs, south - (north - fn)), fn
    return west, south, east, north


def crop_extent(located: Sequence[Located], borders: Boundaries) -> Extent | None:
    """The part of the country to show: the incidents' governorates, or None for all of it."""
    if not located:
        return None
    boxes = [_governorate_box(name, borders) for name in {p.governorate for p in located}]
    west = min(b[0] for b in boxes) - PAD
    south = min(b[1] for b in boxes) - PAD
    east = max(b[2] for b in boxes) + PAD
    north = max(b[3] for b in boxes) + PAD
    full = full_extent(borders)
    extent = _fit((west, south, east, north), full)
    share = ((extent[2] - extent[0]) * (extent[3] - extent[1])) / (
        (full[2] - full[0]) * (full[3] - full[1])
    )
    return extent if share < CROP_BELOW else None


def _text(x: float, y: float, text: str, size: float, extra: str = "") -> str:
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" font-family="{FONT}" font-size="{_f(size)}"{extra}>'
        f"{escape(text)}</text>"
    )


def _badge(badge: Badge) -> list[str]:
    out = []
    if badge.leader:
        dash = ' stroke-dasharray="3 3"' if badge.area else ""
        lx, ly = badge.leader
        out.append(
            f'<line x1="{_f(lx)}" y1="{_f(ly)}" x2="{_f(badge.x)}" y2="{_f(badge.y)}" '
            f'stroke="{ACCENT}" stroke-width="1.5"{dash}/>'
        )
    if badge.area:
        circle = f'fill="{LAND}" stroke="{ACCENT}" stroke-width="2" stroke-dasharray="4 3"'
        colour = ACCENT
    else:
        circle = f'fill="{ACCENT}" stroke="{LAND}" stroke-width="1.5"'
        colour = LAND
    out.append(f'<circle cx="{_f(badge.x)}" cy="{_f(badge.y)}" r="{_f(RADIUS)}" {circle}/>')
    attrs = f' text-anchor="middle" font-weight="bold" fill="{colour}"'
    out.append(_text(badge.x, badge.y + LABEL * 0.36, str(badge.number), LABEL, attrs))
    return out


@cache
def _borders() -> Boundaries:
    return load_boundaries()


def _group_requests(
    located: tuple[Located, ...], borders: Boundaries, project: Projection
) -> list[Request]:
    unmapped = {u.name: u for u in borders.unmapped}
    names = sorted({p.governorate for p in located})
    requests = []
    for number, name in enumerate(names, start=1):
        area = borders.area(name)
        if area is None:
            centre = project(unmapped[name].seat)
            requests.append(Request(number, centre, _within_ring(centre)))
        else:
            requests.append(Request(number, project(area.label), _within_area(area, project)))
    return requests


@dataclass(frozen=True)
class Layout:
    """What a small map shows, in drawing units: drawn as SVG here, and with cairo directly."""

    width: int
    height: int
    extent: Extent | None  # None: the whole country
    shaded: frozenset[str]  # governorates drawn shaded
    rings: tuple[tuple[float, float], ...]  # shaded governorates without an outline, at a seat
    dots: tuple[tuple[float, float], ...]
    labels: tuple[tuple[float, float, str], ...]  # centred on x, baseline at y
    badges: tuple[Badge, ...]
    dot: float = DOT  # the incidents' dots' radius: larger where no badge marks them

    @property
    def cropped(self) -> bool:
        """Whether the map shows only part of the country."""
        return self.extent is not None


def projection(width: int, extent: Extent | None) -> Projection:
    """The small map's projection at ``width`` units, of ``extent`` or the whole country."""
    return Projection(_borders(), width, extent, margin=8)


@lru_cache(maxsize=32)
def small_map_layout(
    located: tuple[Located, ...], width: int = EMAIL_WIDTH, numbered: bool = True
) -> Layout:
    """Place the incidents' map for a small display, cropped to them when they cluster.

    ``numbered=False``: dots and shading only, no badges (the preview image, whose numbers
    would point to no table; placing badges is most of a layout's time).
    """
    from newsletter.render.map import MAX_NUMBERED  # the same rule as the web map's badges

    borders = _borders()
    extent = crop_extent(located, borders)
    project = projection(width, extent)
    height = project.map_height
    shaded = frozenset(p.governorate for p in located if p.level == "governorate")
    rings = tuple(project(u.seat) for u in borders.unmapped if u.name in shaded)
    if not numbered:
        requests = []
    elif len(located) > MAX_NUMBERED:
        requests = _group_requests(located, borders, project)
    else:
        requests = _requests(located, borders, project)
    dots = tuple(dict.fromkeys(project(p.point) for p in located if p.point))
    # Only the governorates with incidents are named: at a readable size there is room for few.
    obstacles: list[Box] = []
    labels = []
    frame = Box(2, 2, width - 2, height - 2)
    for name in sorted({p.governorate for p in located}):
        outline = borders.area(name)
        if outline is not None:
            x, y = project(outline.label)
        else:
            seat = next(u.seat for u in borders.unmapped if u.name == name)
            x, y = project(seat)
            y += RADIUS * 2.6
        half = len(name) * LABEL * 0.29 + 2
        x = min(max(x, frame.x0 + half), frame.x1 - half)
        obstacles.append(around(x, y - LABEL * 0.35, half, LABEL * 0.6))
        labels.append((x, y, name))
    badges = tuple(place_badges(requests, obstacles, frame, RADIUS))
    dot = DOT if numbered else RADIUS * 0.5
    return Layout(width, height, extent, shaded, rings, dots, tuple(labels), badges, dot)


@lru_cache(maxsize=32)
def small_map_svg(
    located: tuple[Located, ...], width: int = EMAIL_WIDTH, numbered: bool = True
) -> SmallMap:
    """Draw the incidents' map for a small display as SVG (see ``small_map_layout``)."""
    layout = small_map_layout(located, width, numbered)
    borders = _borders()
    project = projection(width, layout.extent)
    height = layout.height
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        f'<rect width="{width}" height="{height}" fill="{EDGE}"/>',
    ]
    for area in borders.areas:
        d = " ".join(_path(ring, project, True) for ring in area.rings)
        fill = SHADED if area.name in layout.shaded else LAND
        out.append(f'<path d="{d}" fill="{fill}"/>')
    for arc, (width_units, colour) in zip(borders.arcs, arc_strokes(), strict=True):
        out.append(
            f'<path d="{_path(arc, project, False)}" fill="none" stroke="{colour}" '
            f'stroke-width="{_f(width_units)}"/>'
        )
    for x, y in layout.rings:
        out.append(
            f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(RING)}" fill="{SHADED}" '
            f'stroke="{ACCENT}" stroke-dasharray="4 3"/>'
        )
    for x, y in layout.dots:
        out.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(layout.dot)}" fill="{ACCENT}"/>')
    for x, y, name in layout.labels:
        out.append(_text(x, y, name, LABEL, f' text-anchor="middle" fill="{INK}"'))
    for badge in layout.badges:
        out += _badge(badge)
    out.append("</svg>")
    return SmallMap("\n".join(out) + "\n", width, height, layout.cropped, LABEL)


@cache
def arc_strokes() -> tuple[tuple[float, str], ...]:
    """Each border arc's width in units and colour: the country's edge bolder than the rest."""
    uses = _borders().arc_uses()
    return tuple(
        (1.6, OUTER) if uses.get(index) == 1 else (0.8, INNER)
        for index in range(len(_borders().arcs))
    )


def email_map_size(located: tuple[Located, ...]) -> tuple[int, int]:
    """The email map's ``width`` and ``height`` attributes (CSS px at the column's width)."""
    small = small_map_svg(located)
    return EMAIL_DISPLAY_WIDTH, round(small.height * EMAIL_DISPLAY_WIDTH / small.width)


@lru_cache(maxsize=8)
def email_map(located: tuple[Located, ...]) -> EmailMap:
    """The email's map PNG, ``EMAIL_PNG_WIDTH`` wide, and its display size for the HTML."""
    from newsletter.render.mapraster import email_png  # cairo: only for the PNGs

    layout = small_map_layout(located)
    png, (png_width, png_height) = email_png(layout, EMAIL_PNG_WIDTH)
    scale = png_width / layout.width
    return EmailMap(
        png,
        *email_map_size(located),
        png_width,
        png_height,
        LABEL * scale,
        layout.cropped,
    )


OG_WIDTH, OG_HEIGHT = 1200, 630
OG_PANEL = 540  # the text panel on the left; the map fills the rest
OG_MARGIN = 48  # the panel's text from its edges
PANEL = "#1b3a57"


def _lines(text: str, size: float, width: float) -> list[str]:
    # Noto Sans averages about 0.55 em a character: wrap to the panel by count.
    return textwrap.wrap(text, max(8, int(width / (size * 0.55))))


def _panel(publication: str, title: str, totals: str) -> list[tuple[str, float, float, str, bool]]:
    """The text panel's lines: (text, size, baseline, colour, bold)."""
    out = []
    y = 80.0
    for line in _lines(publication, 26, OG_PANEL - 2 * OG_MARGIN):
        out.append((line, 26.0, y, "#c9d8e6", False))
        y += 34
    y += 40
    for line in _lines(title, 44, OG_PANEL - 2 * OG_MARGIN):
        out.append((line, 44.0, y, "#ffffff", True))
        y += 54
    y += 30
    for line in _lines(totals, 32, OG_PANEL - 2 * OG_MARGIN):
        out.append((line, 32.0, y, "#ffffff", False))
        y += 42
    return out


@lru_cache(maxsize=32)
def og_image_svg(located: tuple[Located, ...], publication: str, title: str, totals: str) -> str:
    """The 1200x630 preview image as SVG: the publication, the title and totals, the map.

    The map shows the incidents as dots and shaded governorates, without the numbered badges:
    a preview has no table for the numbers to point to, and at a feed's size they are specks.
    """
    small = small_map_svg(located, OG_WIDTH - OG_PANEL, numbered=False)
    inner = small.svg.split(">", 1)[1].rsplit("</svg>", 1)[0]
    map_width = OG_WIDTH - OG_PANEL
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{OG_WIDTH}" height="{OG_HEIGHT}" '
        f'viewBox="0 0 {OG_WIDTH} {OG_HEIGHT}">',
        f'<rect width="{OG_WIDTH}" height="{OG_HEIGHT}" fill="{EDGE}"/>',
        f'<svg x="{OG_PANEL}" y="0" width="{map_width}" height="{OG_HEIGHT}" '
        f'viewBox="0 0 {small.width} {small.height}" preserveAspectRatio="xMidYMid meet">'
        f"{inner}</svg>",
        f'<rect width="{OG_PANEL}" height="{OG_HEIGHT}" fill="{PANEL}"/>',
    ]
    for line, size, y, colour, bold in _panel(publication, title, totals):
        weight = ' font-weight="bold"' if bold else ""
        out.append(_text(OG_MARGIN, y, line, size, f'{weight} fill="{colour}"'))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def og_png(located: tuple[Located, ...], publication: str, title: str, totals: str) -> bytes:
    """The preview image as a 1200x630 PNG (what ``og_image_svg`` shows, drawn with cairo)."""
    from newsletter.render.mapraster import og_png as draw  # cairo: only for the PNGs

    layout = small_map_layout(located, OG_WIDTH - OG_PANEL, numbered=False)
    return draw(layout, _panel(publication, title, totals))
