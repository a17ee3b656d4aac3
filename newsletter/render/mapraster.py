"""The small maps' PNGs drawn with cairo directly: the email's map and the preview image.

They show what ``mapvariants.small_map_svg`` draws, as cairosvg would draw it (same paths,
rounded to a tenth of a unit, same fonts through cairo's own text API, same strokes), without
writing SVG text for cairosvg to parse again. The governorates' outlines and borders, the same
for every issue at a given crop and size, are drawn once per process onto surfaces of their own;
an issue paints them and draws only its shading, dots, names and badges.
"""

from __future__ import annotations

import io
import math
import zlib
from functools import cache, lru_cache

import cairocffi as cairo
from PIL import Image

from newsletter.boundaries import Point
from newsletter.render.map import ACCENT, FONT, PNG_COLOURS, Projection
from newsletter.render.maplayout import Badge
from newsletter.render.mapvariants import (
    EDGE,
    INK,
    LABEL,
    LAND,
    RADIUS,
    RING,
    SHADED,
    Extent,
    Layout,
    _borders,
    arc_strokes,
    projection,
)

FACE = FONT.split(",")[0]  # cairo's text API takes one family, as cairosvg passes it
# Device pixels from drawing units: scale, then offset x and y.
Placement = tuple[float, float, float]
PALETTE_SAMPLE = 4  # the palette is chosen on a copy this many times smaller
Clip = tuple[float, float, float, float]  # x, y, width, height in device pixels


@cache
def rgb(colour: str) -> tuple[float, float, float]:
    """``#rrggbb`` as cairo's 0-1 channels."""
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def _points(points: tuple[Point, ...], project: Projection) -> list[tuple[float, float]]:
    # Rounded as the SVG's path data is, so the outlines fall on the same pixels.
    return [(round(x, 1), round(y, 1)) for x, y in map(project, points)]


def _trace(context: cairo.Context, points: list[tuple[float, float]], close: bool) -> None:
    context.move_to(*points[0])
    for x, y in points[1:]:
        context.line_to(x, y)
    if close:
        context.close_path()


@lru_cache(maxsize=16)
def _outlines(width: int, extent: Extent | None) -> dict[str, list[list[tuple[float, float]]]]:
    project = projection(width, extent)
    return {a.name: [_points(r, project) for r in a.rings] for a in _borders().areas}


def _placed(context: cairo.Context, placement: Placement, clip: Clip | None) -> None:
    if clip is not None:
        context.rectangle(*clip)
        context.clip()
    scale, dx, dy = placement
    context.translate(dx, dy)
    context.scale(scale, scale)


Layers = tuple[cairo.ImageSurface, cairo.ImageSurface, cairo.ImageSurface]


def _base(
    width: int,
    extent: Extent | None,
    size: tuple[int, int],
    placement: Placement,
    clip: Clip | None,
) -> Layers:
    """The land (edge colour, every outline unshaded), the borders (transparent), and both."""
    land = cairo.ImageSurface(cairo.FORMAT_RGB24, *size)
    context = cairo.Context(land)
    context.set_source_rgb(*rgb(EDGE))
    context.paint()
    _placed(context, placement, clip)
    context.set_source_rgb(*rgb(LAND))
    for rings in _outlines(width, extent).values():
        for ring in rings:
            _trace(context, ring, True)
        context.fill()
    lines = cairo.ImageSurface(cairo.FORMAT_ARGB32, *size)
    context = cairo.Context(lines)
    _placed(context, placement, clip)
    context.set_miter_limit(4)  # SVG's default, which cairosvg sets
    project = projection(width, extent)
    for arc, (stroke, colour) in zip(_borders().arcs, arc_strokes(), strict=True):
        _trace(context, _points(arc, project), False)
        context.set_line_width(stroke)
        context.set_source_rgb(*rgb(colour))
        context.stroke()
    both = cairo.ImageSurface(cairo.FORMAT_RGB24, *size)
    context = cairo.Context(both)
    for layer in (land, lines):
        context.set_source_surface(layer)
        context.paint()
    return land, lines, both


# Kept only for the whole country, which most maps show and all share: a cropped map's extent
# is its own, and three surfaces of an email map's size are about 17 MB, so keeping the last 16
# crops held over 200 MB in every worker for nothing. Few sizes: the email's map, the preview.
_whole_country = lru_cache(maxsize=4)(_base)


def _device_box(
    rings: list[list[tuple[float, float]]], placement: Placement, size: tuple[int, int]
) -> tuple[int, int, int, int]:
    # Whole pixels around the rings, with room for their edges' antialiasing.
    scale, dx, dy = placement
    xs = [x for ring in rings for x, _ in ring]
    ys = [y for ring in rings for _, y in ring]
    x0 = max(0, math.floor(dx + min(xs) * scale) - 3)
    y0 = max(0, math.floor(dy + min(ys) * scale) - 3)
    x1 = min(size[0], math.ceil(dx + max(xs) * scale) + 3)
    y1 = min(size[1], math.ceil(dy + max(ys) * scale) + 3)
    return x0, y0, x1 - x0, y1 - y0


def _circle(context: cairo.Context, x: float, y: float, r: float) -> None:
    context.new_sub_path()
    context.arc(round(x, 1), round(y, 1), r, 0, 2 * math.pi)
    context.close_path()


def _stroke(context: cairo.Context, colour: str, width: float, dash: list[float]) -> None:
    context.set_source_rgb(*rgb(colour))
    context.set_line_width(width)
    context.set_dash(dash)
    context.stroke()


def text(
    context: cairo.Context, x: float, y: float, line: str, size: float, colour: str, *, bold: bool
) -> None:
    """Draw ``line`` from ``(x, y)`` on its baseline, in the map's font."""
    weight = cairo.FONT_WEIGHT_BOLD if bold else cairo.FONT_WEIGHT_NORMAL
    context.select_font_face(FACE, cairo.FONT_SLANT_NORMAL, weight)
    context.set_font_size(size)
    context.set_source_rgb(*rgb(colour))
    context.move_to(x, y)
    context.show_text(line)


def centred(
    context: cairo.Context, x: float, y: float, line: str, size: float, colour: str, *, bold: bool
) -> None:
    """Draw ``line`` centred on ``x`` as SVG's ``text-anchor="middle"`` (on its ink's width)."""
    weight = cairo.FONT_WEIGHT_BOLD if bold else cairo.FONT_WEIGHT_NORMAL
    context.select_font_face(FACE, cairo.FONT_SLANT_NORMAL, weight)
    context.set_font_size(size)
    x_bearing, _, ink_width, *_ = context.text_extents(line)
    context.set_source_rgb(*rgb(colour))
    context.move_to(round(x, 1) - (ink_width / 2 + x_bearing), round(y, 1))
    context.show_text(line)


def _badge(context: cairo.Context, badge: Badge) -> None:
    if badge.leader:
        lx, ly = badge.leader
        context.move_to(round(lx, 1), round(ly, 1))
        context.line_to(round(badge.x, 1), round(badge.y, 1))
        _stroke(context, ACCENT, 1.5, [3, 3] if badge.area else [])
    _circle(context, badge.x, badge.y, RADIUS)
    fill, ring, width, dash = (
        (LAND, ACCENT, 2.0, [4.0, 3.0]) if badge.area else (ACCENT, LAND, 1.5, [])
    )
    context.set_source_rgb(*rgb(fill))
    context.fill_preserve()
    _stroke(context, ring, width, dash)
    number = str(badge.number)
    centred(context, badge.x, round(badge.y + LABEL * 0.36, 1), number, LABEL, ring, bold=True)


def paint_map(
    context: cairo.Context,
    layout: Layout,
    size: tuple[int, int],
    placement: Placement,
    clip: Clip | None = None,
) -> None:
    """Draw a small map's layout onto ``context``, placed and clipped in device pixels."""
    layers = _whole_country if layout.extent is None else _base
    land, lines, both = layers(layout.width, layout.extent, size, placement, clip)
    context.set_source_surface(both)
    context.paint()
    outlines = _outlines(layout.width, layout.extent)
    for name in sorted(layout.shaded & outlines.keys()):
        # Within the governorate's box, in whole pixels, the layers again with the shading
        # between them: the pixels of drawing them all in order, for the box's cost only.
        context.save()
        context.rectangle(*_device_box(outlines[name], placement, size))
        context.clip()
        context.set_source_surface(land)
        context.paint()
        context.save()
        _placed(context, placement, clip)
        context.set_source_rgb(*rgb(SHADED))
        for shaded in sorted(layout.shaded & outlines.keys()):
            for ring in outlines[shaded]:
                _trace(context, ring, True)
            context.fill()
        context.restore()
        context.set_source_surface(lines)
        context.paint()
        context.restore()
    _placed(context, placement, clip)
    for x, y in layout.rings:
        _circle(context, x, y, RING)
        context.set_source_rgb(*rgb(SHADED))
        context.fill_preserve()
        _stroke(context, ACCENT, 1.0, [4.0, 3.0])
    context.set_source_rgb(*rgb(ACCENT))
    for x, y in layout.dots:
        _circle(context, x, y, layout.dot)
        context.fill()
    for x, y, name in layout.labels:
        centred(context, x, y, name, LABEL, INK, bold=False)
    for badge in layout.badges:
        _badge(context, badge)


def surface(size: tuple[int, int]) -> tuple[cairo.ImageSurface, cairo.Context]:
    """An opaque surface ``size`` pixels and its context, with cairosvg's stroke defaults."""
    pixels = cairo.ImageSurface(cairo.FORMAT_RGB24, *size)
    context = cairo.Context(pixels)
    context.set_miter_limit(4)
    return pixels, context


def encode(pixels: cairo.ImageSurface) -> bytes:
    """The surface as a PNG with a small palette, as ``map.rasterise`` makes it."""
    pixels.flush()
    size = (pixels.get_width(), pixels.get_height())
    # Cairo's opaque pixels are BGRX words: Pillow reads them in place, without a copy.
    image = Image.frombuffer("RGB", size, pixels.get_data(), "raw", "BGRX", pixels.get_stride(), 1)
    # The palette is chosen on a quarter-size copy, which has the same colours in the same
    # shares, then every pixel takes its nearest entry: a third of the time of choosing it on
    # the whole image. Run-length zlib suits a flat map: 6% more bytes for a tenth of the time.
    palette = image.reduce(PALETTE_SAMPLE).quantize(
        PNG_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    out = io.BytesIO()
    image.quantize(palette=palette, dither=Image.Dither.NONE).save(
        out, "PNG", compress_type=zlib.Z_RLE
    )
    return out.getvalue()


def email_png(layout: Layout, png_width: int) -> tuple[bytes, tuple[int, int]]:
    """The small map ``png_width`` pixels wide, as a PNG, and its size in pixels."""
    scale = png_width / layout.width
    size = (png_width, round(layout.height * scale))
    pixels, context = surface(size)
    paint_map(context, layout, size, (scale, 0.0, 0.0))
    return encode(pixels), size


def og_png(layout: Layout, lines: list[tuple[str, float, float, str, bool]]) -> bytes:
    """The preview image: the map right of the text panel, and the panel's lines of text.

    ``lines`` are (text, size, baseline, colour, bold), drawn from ``OG_MARGIN``."""
    from newsletter.render.mapvariants import OG_HEIGHT, OG_MARGIN, OG_PANEL, OG_WIDTH, PANEL

    size = (OG_WIDTH, OG_HEIGHT)
    pixels, context = surface(size)
    # Fitted as SVG's preserveAspectRatio="xMidYMid meet" fits it into the panel's right.
    box = OG_WIDTH - OG_PANEL
    scale = min(box / layout.width, OG_HEIGHT / layout.height)
    placement = (
        scale,
        OG_PANEL + (box - layout.width * scale) / 2,
        (OG_HEIGHT - layout.height * scale) / 2,
    )
    context.save()
    paint_map(context, layout, size, placement, (OG_PANEL, 0, box, OG_HEIGHT))
    context.restore()
    context.rectangle(0, 0, OG_PANEL, OG_HEIGHT)
    context.set_source_rgb(*rgb(PANEL))
    context.fill()
    for line, font_size, y, colour, bold in lines:
        text(context, OG_MARGIN, y, line, font_size, colour, bold=bold)
    return encode(pixels)
