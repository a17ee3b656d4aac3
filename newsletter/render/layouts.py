"""Map layouts laid out once: the badges of each map, kept by what they are a function of.

Placing the badges is most of a map's cost (about a tenth of a second for a crowded table), and
a build asks for the same issue's map in its web page, the feed and the PDF worker; the next
build asks again for every issue it re-renders. A layout depends only on the rows' numbers,
points and governorates (and on the boundary data and the code, which the tool's digest covers:
the build cache holding these is dropped when the tool changes), so that is its key.

A layout read back from the build cache is plain data and is checked before use against the
requests it is meant for (same count, numbers, kinds, leaders from the incidents' own points,
coordinates finite and on the map) and against a digest of itself, so a damaged or edited entry
is laid out again, never drawn.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence

from newsletter.build.cache import digest
from newsletter.places import Located
from newsletter.render.maplayout import Badge, Box, Request

log = logging.getLogger(__name__)

Row = tuple[int, float, float, float | None, float | None, bool]  # number, x, y, leader, area
Stored = tuple[str, list[Row]]  # (check digest, badges)

_LAYOUTS: dict[str, tuple[Badge, ...]] = {}  # laid out or checked in this process
_STORED: dict[str, Stored] = {}  # read from the build cache, not yet checked
_USED: set[str] = set()  # asked for since the last ``take``


def layout_key(located: Sequence[Located], grouped: bool) -> str:
    """The key of a map's layout: whether it badges governorates, and each row's number, point
    (or None) and governorate."""
    rows = (repr((p.number, p.point, p.governorate)) for p in located)
    return digest("layout", str(grouped), *rows)


def _rows(badges: Sequence[Badge]) -> list[Row]:
    return [(b.number, b.x, b.y, *(b.leader if b.leader else (None, None)), b.area) for b in badges]


def _check(key: str, rows: list[Row]) -> str:
    return digest(key, json.dumps(rows))


def _valid(rows: list[Row], requests: Sequence[Request], frame: Box) -> tuple[Badge, ...] | None:
    """The stored badges, if they are a layout of ``requests`` (see the module's docstring)."""
    if len(rows) != len(requests):
        return None
    badges = []
    for (number, x, y, lx, ly, area), request in zip(rows, requests, strict=True):
        leader = None if lx is None or ly is None else (lx, ly)
        if (
            number != request.number
            or area != (request.region is not None)
            or (leader is not None and leader != request.anchor)
            or not (math.isfinite(x) and math.isfinite(y))
            or not (0 <= x <= frame.x1 + frame.x0 and 0 <= y <= frame.y1 + frame.y0)
        ):
            return None
        badges.append(Badge(number, x, y, leader, area))
    return tuple(badges)


def placed(
    key: str, requests: Sequence[Request], frame: Box, place: Callable[[], list[Badge]]
) -> list[Badge]:
    """The badges for ``requests``: laid out before (in this process or a stored build), else
    ``place()``'s."""
    _USED.add(key)
    badges = _LAYOUTS.get(key)
    if badges is None and key in _STORED:
        check, rows = _STORED.pop(key)
        if check == _check(key, rows):
            badges = _valid(rows, requests, frame)
        if badges is None:
            log.info("a stored map layout did not check; it is laid out again")
    if badges is None:
        badges = tuple(place())
    _LAYOUTS[key] = badges
    return list(badges)


def remember(stored: Mapping[str, Stored]) -> None:
    """Offer layouts read from the build cache (checked when first asked for)."""
    for key, entry in stored.items():
        if key not in _LAYOUTS:
            _STORED[key] = entry


def take(keys: Iterable[str] | None = None) -> dict[str, Stored]:
    """The layouts asked for since the last call (or the given keys'), as plain data to store."""
    chosen = set(_USED) if keys is None else set(keys)
    if keys is None:
        _USED.clear()
    out: dict[str, Stored] = {}
    for key in sorted(chosen):
        if key in _LAYOUTS:
            rows = _rows(_LAYOUTS[key])
            out[key] = (_check(key, rows), rows)
        elif key in _STORED:
            out[key] = _STORED[key]
    return out
