"""Place the map's numbered badges so that none covers another, a name or an incident.

A badge sits on its incident when there is room; otherwise it moves out along widening rings
and a leader line joins it to the incident. A governorate-level badge has no point to join:
it stays inside its governorate when it can, with no leader, so it never reads as a place.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Generic, TypeVar

XY = tuple[float, float]
Rect = tuple[float, float, float, float]  # x0, y0, x1, y1
T = TypeVar("T")


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in map pixels."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        """Whether the two rectangles share any area."""
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )

    def inside(self, other: Box) -> bool:
        """Whether this rectangle lies wholly within ``other``."""
        return (
            self.x0 >= other.x0
            and self.y0 >= other.y0
            and self.x1 <= other.x1
            and self.y1 <= other.y1
        )


def around(x: float, y: float, half_w: float, half_h: float) -> Box:
    """The box of the given half sizes centred on (x, y)."""
    return Box(x - half_w, y - half_h, x + half_w, y + half_h)


@dataclass(frozen=True)
class Request:
    """A badge to place: its number, the point it belongs to and, for a governorate-level row,
    a test of whether a position lies inside that governorate."""

    number: int
    anchor: XY
    region: Callable[[float, float], bool] | None = None


@dataclass(frozen=True)
class Badge:
    """A placed badge; ``leader`` is the point its line starts from, or None."""

    number: int
    x: float
    y: float
    leader: XY | None
    area: bool

    def box(self, radius: float) -> Box:
        """The square the badge's circle fits in."""
        return around(self.x, self.y, radius, radius)


def _rings(radius: float) -> list[list[tuple[float, XY]]]:
    """Rings of (angle, offset) around a point, nearest first."""
    rings = []
    distance = 2.4 * radius
    while distance < 30 * radius:
        count = max(8, int(2 * math.pi * distance / (2.2 * radius)))
        ring = []
        for step in range(count):
            # Without a cluster to flee, start up and to the right, where labels usually go.
            angle = -math.pi / 4 + 2 * math.pi * step / count
            ring.append((angle, (distance * math.cos(angle), distance * math.sin(angle))))
        rings.append(ring)
        distance += 1.2 * radius
    return rings


_RINGS: dict[float, list[list[tuple[float, XY]]]] = {}


def _candidates(radius: float, away: float | None) -> Iterator[XY]:
    """Offsets to try, nearest ring first; within a ring, those pointing ``away`` first.

    A generator: most badges settle in the first ring or two, so the outer rings are
    rarely sorted at all."""
    yield (0.0, 0.0)
    rings = _RINGS.get(radius)
    if rings is None:
        rings = _RINGS[radius] = _rings(radius)
    for ring in rings:
        if away is None:
            yield from (offset for _, offset in ring)
            continue
        turns = [
            (abs((angle - away + math.pi) % (2 * math.pi) - math.pi), step, offset)
            for step, (angle, offset) in enumerate(ring)
        ]
        yield from (offset for _, _, offset in sorted(turns))


_STEPS = tuple(i / 20 for i in range(1, 20))


def _samples(a: XY, b: XY) -> list[XY]:
    """The points along a leader that are tested against boxes."""
    (ax, ay), dx, dy = a, b[0] - a[0], b[1] - a[1]
    return [(ax + dx * t, ay + dy * t) for t in _STEPS]


def _segment_hits(a: XY, b: XY, box: Rect, samples: Sequence[XY]) -> bool:
    x0, y0, x1, y1 = box
    if (
        max(a[0], b[0]) <= x0
        or min(a[0], b[0]) >= x1
        or max(a[1], b[1]) <= y0
        or min(a[1], b[1]) >= y1
    ):
        return False  # the segment's own box misses: no sample point can be inside
    # A loop, not any(): the layout's hot spot, and twice as fast.
    for x, y in samples:  # noqa: SIM110
        if x0 < x < x1 and y0 < y < y1:
            return True
    return False


def _ccw(a: XY, b: XY, c: XY) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _crosses(a: XY, b: XY, c: XY, d: XY) -> bool:
    """Whether segments ab and cd cross (touching at a shared end does not count)."""
    if a in (c, d) or b in (c, d):
        return False
    return _ccw(a, b, c) * _ccw(a, b, d) < 0 and _ccw(c, d, a) * _ccw(c, d, b) < 0


class _Grid(Generic[T]):
    """Items filed under the square cells their box overlaps, so that a question about one
    place looks only at what is near it: the layout stays near-linear in the number of rows."""

    def __init__(self, cell: float) -> None:
        self.cell = cell
        self.cells: dict[tuple[int, int], list[T]] = {}

    def _keys(self, x0: float, y0: float, x1: float, y1: float) -> list[tuple[int, int]]:
        c = self.cell
        rows = range(math.floor(y0 / c), math.floor(y1 / c) + 1)
        return [(i, j) for i in range(math.floor(x0 / c), math.floor(x1 / c) + 1) for j in rows]

    def add(self, box: Rect, item: T) -> None:
        """File ``item`` under every cell ``box`` overlaps."""
        for key in self._keys(*box):
            self.cells.setdefault(key, []).append(item)

    def near(self, x0: float, y0: float, x1: float, y1: float) -> list[T]:
        """Every item filed in a cell the box overlaps (an item may come more than once)."""
        return self.filed(self._keys(x0, y0, x1, y1))

    def filed(self, keys: list[tuple[int, int]]) -> list[T]:
        """Every item filed under the given cells (of a grid with the same cell size)."""
        cells = self.cells
        return [item for key in keys for item in cells.get(key, ())]


class _Layout:
    """The state of one map's layout: what is placed so far, filed in grids."""

    def __init__(
        self, requests: Sequence[Request], obstacles: Sequence[Box], frame: Box, radius: float
    ) -> None:
        self.names = [(b.x0, b.y0, b.x1, b.y1) for b in obstacles]
        self.frame = frame
        self.radius = radius
        self.gap = radius + 1.5
        cell = 2 * self.gap + 1
        self.fixed: _Grid[Rect] = _Grid(cell)  # names and others' dots: (x0, y0, x1, y1)
        for b in obstacles:
            self.fixed.add((b.x0, b.y0, b.x1, b.y1), (b.x0, b.y0, b.x1, b.y1))
        self.dots: _Grid[Rect] = _Grid(cell)
        for r in requests:
            if r.region is None:
                dot = around(r.anchor[0], r.anchor[1], 3, 3)
                self.dots.add((dot.x0, dot.y0, dot.x1, dot.y1), (dot.x0, dot.y0, dot.x1, dot.y1))
        self.reach = 6 * radius
        self.anchors: _Grid[int] = _Grid(self.reach)
        self.anchor_list = [r.anchor for r in requests]
        for index, (x, y) in enumerate(self.anchor_list):
            self.anchors.add((x, y, x, y), index)
        self.placed: _Grid[Badge] = _Grid(cell)  # badges, by their box widened by the gap
        self.leaders: _Grid[Badge] = _Grid(4 * cell)  # badges with a leader, by the leader's box

    def away(self, anchor: XY) -> float | None:
        """The direction from the centre of nearby anchors to this one: badges fan out that way."""
        x, y, reach = anchor[0], anchor[1], self.reach
        found = self.anchors.near(x - reach, y - reach, x + reach, y + reach)
        # In table order, as a plain scan would sum them: the same mean to the last bit.
        indices = sorted(set(found))
        near = [a for a in (self.anchor_list[i] for i in indices) if math.dist(a, anchor) < reach]
        cx = sum(a[0] for a in near) / len(near)
        cy = sum(a[1] for a in near) / len(near)
        if len(near) < 2 or math.dist((cx, cy), anchor) < 0.5:
            return None
        return math.atan2(anchor[1] - cy, anchor[0] - cx)

    def free(self, x: float, y: float, own: Rect | None) -> bool:
        """Whether a badge at (x, y) stays in the frame and covers nothing placed or fixed."""
        gap, frame = self.gap, self.frame
        x0, y0, x1, y1 = x - gap, y - gap, x + gap, y + gap
        if x0 < frame.x0 or y0 < frame.y0 or x1 > frame.x1 or y1 > frame.y1:
            return False
        keys = self.fixed._keys(x0, y0, x1, y1)  # the three grids share one cell size
        for bx0, by0, bx1, by1 in self.fixed.filed(keys):
            if x0 < bx1 and bx0 < x1 and y0 < by1 and by0 < y1:
                return False
        for dot in self.dots.filed(keys):
            bx0, by0, bx1, by1 = dot
            if dot != own and x0 < bx1 and bx0 < x1 and y0 < by1 and by0 < y1:
                return False
        for badge in self.placed.filed(keys):
            bx, by = badge.x, badge.y
            if x0 < bx + gap and bx - gap < x1 and y0 < by + gap and by - gap < y1:
                return False
        return True

    def leader_hits_badge(self, leader: _Leader) -> bool:
        """Whether the leader runs through a placed badge."""
        (x0, y0, x1, y1), r = leader.bounds, self.radius
        (ax, ay), (bx, by) = leader.start, leader.end
        sx0, sx1, sy0, sy1 = min(ax, bx), max(ax, bx), min(ay, by), max(ay, by)
        for badge in self.placed.near(x0, y0, x1, y1):
            box = (badge.x - r, badge.y - r, badge.x + r, badge.y + r)
            if sx1 <= box[0] or sx0 >= box[2] or sy1 <= box[1] or sy0 >= box[3]:
                continue  # as in _segment_hits, without the call or the samples
            if _segment_hits(leader.start, leader.end, box, leader.samples):
                return True
        return False

    def leader_untidy(self, leader: _Leader) -> bool:
        """Whether the leader runs through a name or crosses another leader."""
        start, end = leader.start, leader.end
        sx0, sx1 = min(start[0], end[0]), max(start[0], end[0])
        sy0, sy1 = min(start[1], end[1]), max(start[1], end[1])
        for box in self.names:
            # The test _segment_hits begins with, inline: most names are far from the leader.
            if sx1 <= box[0] or sx0 >= box[2] or sy1 <= box[1] or sy0 >= box[3]:
                continue
            if _segment_hits(start, end, box, leader.samples):
                return True
        x0, y0, x1, y1 = leader.bounds
        for b in self.leaders.near(x0, y0, x1, y1):
            if b.leader and _crosses(start, end, b.leader, (b.x, b.y)):
                return True
        return False

    def add(self, badge: Badge) -> None:
        """File a placed badge, and its leader if it has one."""
        gap = self.gap
        self.placed.add((badge.x - gap, badge.y - gap, badge.x + gap, badge.y + gap), badge)
        if badge.leader:
            (lx, ly), (x, y) = badge.leader, (badge.x, badge.y)
            self.leaders.add((min(lx, x), min(ly, y), max(lx, x), max(ly, y)), badge)


class _Leader:
    """A leader line being tried, with its verdicts, kept across the passes of one badge."""

    def __init__(self, start: XY, end: XY) -> None:
        self.start, self.end = start, end
        # Its box, a pixel wider: a superset of what it can touch, for the grids.
        self.bounds = (
            min(start[0], end[0]) - 1,
            min(start[1], end[1]) - 1,
            max(start[0], end[0]) + 1,
            max(start[1], end[1]) + 1,
        )
        self.hits_badge: bool | None = None
        self.untidy: bool | None = None

    @cached_property
    def samples(self) -> list[XY]:
        """The points tested against boxes (most leaders are settled by boxes alone)."""
        return _samples(self.start, self.end)

    def clear(self, layout: _Layout, tidy: bool) -> bool:
        """Whether the leader may be drawn: tidy leaders also avoid names and other leaders."""
        if self.hits_badge is None:
            self.hits_badge = layout.leader_hits_badge(self)
        if self.hits_badge or not tidy:
            return not self.hits_badge
        if self.untidy is None:
            self.untidy = layout.leader_untidy(self)
        return not self.untidy


def _cached(source: Iterator[XY], seen: list[XY]) -> Iterator[XY]:
    """Yield ``seen``, then the rest of ``source``, remembering it: later passes replay it."""
    yield from seen
    for item in source:
        seen.append(item)
        yield item


# Each pass relaxes a rule: first inside the governorate, then leaders that may cross.
PASSES = ((True, True), (True, False), (False, True), (False, False))


def place_badges(
    requests: Sequence[Request], obstacles: Sequence[Box], frame: Box, radius: float
) -> list[Badge]:
    """Place a badge for every request, in order, avoiding everything placed before."""
    layout = _Layout(requests, obstacles, frame, radius)
    placed: list[Badge] = []
    for request in requests:
        ax, ay = request.anchor
        own = None if request.region else (ax - 3, ay - 3, ax + 3, ay + 3)
        # Whether a position is free does not depend on the pass: the offsets found free in
        # the first pass are the only ones the later passes need to try again.
        offsets = (
            (dx, dy)
            for dx, dy in _candidates(radius, layout.away(request.anchor))
            if layout.free(ax + dx, ay + dy, own)
        )
        seen: list[XY] = []
        leaders: dict[XY, _Leader] = {}
        # A point row has no governorate to stay in: its last two passes would repeat the first two.
        passes = PASSES if request.region else PASSES[:2]
        chosen = None
        for in_region, tidy in passes:
            tries = _cached(offsets, seen)
            chosen = _first_free(request, tries, in_region, tidy, layout, leaders)
            if chosen:
                break
        if chosen is None:  # nowhere free: stack on the anchor rather than drop an incident
            chosen = Badge(request.number, *request.anchor, None, request.region is not None)
        layout.add(chosen)
        placed.append(chosen)
    return placed


def _first_free(
    request: Request,
    offsets: Iterable[XY],
    in_region: bool,
    tidy: bool,
    layout: _Layout,
    leaders: dict[XY, _Leader],
) -> Badge | None:
    """The first free offset that also keeps this pass's rules, as a badge."""
    ax, ay = request.anchor
    for dx, dy in offsets:
        x, y = ax + dx, ay + dy
        if request.region and in_region and not request.region(x, y):
            continue
        moved = (dx, dy) != (0.0, 0.0)
        if moved and (request.region is None or not in_region):
            leader = leaders.get((dx, dy))
            if leader is None:
                leader = leaders[(dx, dy)] = _Leader(request.anchor, (x, y))
            if not leader.clear(layout, tidy):
                continue
            return Badge(request.number, x, y, request.anchor, request.region is not None)
        return Badge(request.number, x, y, None, request.region is not None)
    return None
