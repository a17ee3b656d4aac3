"""Trend charts as inline SVG: no JavaScript, text labels, a title and a description."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from newsletter.archive import IssueFigures
from newsletter.counts import Count, total

# The figures left of the axis and the labels above each panel leave room for the larger text
# a phone gets (see STYLE): the chart is drawn 640 units wide and shrinks to the screen.
WIDTH, PANEL, GAP, LEFT, RIGHT, TOP, BOTTOM = 640, 90, 44, 64, 12, 36, 36
# The chart shrinks with the screen (to 0.45 of its size on a 320 px phone), so its text is
# drawn larger in the chart's own units on narrow screens: at least 11 px on any of them.
STYLE = (
    ".label{font:bold 13px Arial,sans-serif;fill:#1a1a1a}"
    ".tick{font:11px Arial,sans-serif;fill:#444}"
    "@media (max-width:720px){.label{font-size:16px}.tick{font-size:15px}}"
    "@media (max-width:560px){.label{font-size:20px}.tick{font-size:19px}}"
    "@media (max-width:400px){.label{font-size:26px}.tick{font-size:25px}}"
)
WEEK = 7  # heights are per 7 days: the monitor's issues cover 7, 8, 14 or 15 days
SERIES = (
    ("incidents", "Incidents", "#1b3a57"),
    ("deaths", "Killed", "#9b1c1c"),
    ("injuries", "Injured", "#b45309"),
)


def _count(point: IssueFigures, key: str) -> Count:
    if key == "incidents":
        return Count(point.totals.incidents, point.totals.incidents)
    return point.totals.deaths if key == "deaths" else point.totals.injuries


def _weekly(point: IssueFigures, key: str) -> tuple[float, float | None]:
    """The issue's count per 7 days, as the interval ``[low, high]``."""
    count = _count(point, key)
    scale = WEEK / point.days
    return count.low * scale, None if count.high is None else count.high * scale


def _num(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _peak(values: Sequence[tuple[float, float | None]]) -> str:
    """The highest rate, saying no more than the counts: ``at least 3.5`` when one is open."""
    low = max(v[0] for v in values)
    if any(v[1] is None for v in values):
        return f"at least {_num(low)}"
    high = max(v[1] for v in values if v[1] is not None)
    return _num(low) if _num(high) == _num(low) else f"{_num(low)}-{_num(high)}"


def _summary(points: Sequence[IssueFigures]) -> str:
    """The chart's description: the same totals, in the same words, as the tables."""
    if not points:
        return "No issues."
    first, last = points[0].issue, points[-1].issue
    noun = "issue" if len(points) == 1 else "issues"
    text = f"{len(points)} {noun} from {first.period.start} to {last.period.end}."
    for key, label, _ in SERIES:
        all_in = total([_count(p, key) for p in points])
        shown = f"{all_in.low:,}" if key == "incidents" else str(all_in)
        peak = _peak([_weekly(p, key) for p in points])
        text += f" {label}: {shown} in all; at the highest, {peak} per {WEEK} days."
    return text


def trend_chart(points: Sequence[IssueFigures], title: str, ident: str = "trend") -> Markup:
    """Three small panels (incidents, killed, injured) over the issues, oldest on the left.

    Each issue is a point at its period's end date, its height the count per 7 days, so a
    15-day holiday issue is not read as a busy week. Ranges are drawn as a bar from low to high
    with a dot at the low end; an open-ended count (``at least N``) as a dot at N with an arrow
    up, so the chart never claims more than the rows.
    """
    height = TOP + len(SERIES) * (PANEL + GAP) - GAP + BOTTOM
    parts: list[str] = []
    ends = [p.issue.period.end.toordinal() for p in points]
    span = (ends[-1] - ends[0]) if points else 0

    def place(end: int) -> float:
        if span == 0:  # one issue, or all on one day: the middle
            return (LEFT + WIDTH - RIGHT) / 2
        return LEFT + (WIDTH - LEFT - RIGHT) * (end - ends[0]) / span

    for index, (key, label, colour) in enumerate(SERIES):
        top = TOP + index * (PANEL + GAP)
        values = [_weekly(p, key) for p in points]
        peak = max([v[1] if v[1] is not None else v[0] for v in values] + [1])
        # The label sits above the panel, right of the axis figures, so the two never meet.
        parts.append(
            f'<text x="{LEFT}" y="{top - 8}" class="label">{label} per {WEEK} days</text>'
            f'<line x1="{LEFT}" y1="{top + PANEL}" x2="{WIDTH - RIGHT}" y2="{top + PANEL}" '
            f'stroke="#999" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{top + PANEL}" text-anchor="end" class="tick">0</text>'
            f'<text x="{LEFT - 6}" y="{top + 8}" text-anchor="end" class="tick">{_num(peak)}</text>'
        )
        coords = []
        for end, (low, high) in zip(ends, values, strict=True):
            x = place(end)
            y_low = top + PANEL - PANEL * low / peak
            coords.append((x, y_low))
            if high is None:
                parts.append(f'<path d="M{x:.1f} {y_low - 3:.1f} l-3 4 h6 z" fill="{colour}"/>')
            elif high > low:
                y_high = top + PANEL - PANEL * high / peak
                parts.append(
                    f'<line x1="{x:.1f}" y1="{y_low:.1f}" x2="{x:.1f}" y2="{y_high:.1f}" '
                    f'stroke="{colour}" stroke-width="3" opacity="0.4"/>'
                )
        if len(coords) > 1:
            line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(
                f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
            )
        for x, y in coords:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.2" fill="{colour}"/>')
    if points:
        first, last = points[0].issue.period.end, points[-1].issue.period.end
        if span == 0:
            parts.append(
                f'<text x="{place(ends[0]):.1f}" y="{height - 4}" text-anchor="middle" '
                f'class="tick">{first}</text>'
            )
        else:
            parts.append(
                f'<text x="{LEFT}" y="{height - 4}" class="tick">{first}</text>'
                f'<text x="{WIDTH - RIGHT}" y="{height - 4}" text-anchor="end" class="tick">'
                f"{last}</text>"
            )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'class="trend" role="img" aria-labelledby="{ident}-title {ident}-desc">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(_summary(points))}</desc>'
        f"<style>{STYLE}</style>" + "".join(parts) + "</svg>"
    )
    return Markup(svg)
