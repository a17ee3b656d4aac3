"""Trend charts as inline SVG: no JavaScript, text labels, a title and a description."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from newsletter.archive import IssueFigures

WIDTH, PANEL, GAP, LEFT, RIGHT = 640, 90, 26, 44, 12
SERIES = (
    ("incidents", "Incidents", "#1b3a57"),
    ("deaths", "Killed", "#9b1c1c"),
    ("injuries", "Injured", "#b45309"),
)


def _value(point: IssueFigures, key: str) -> tuple[int, int | None]:
    if key == "incidents":
        return point.totals.incidents, point.totals.incidents
    count = point.totals.deaths if key == "deaths" else point.totals.injuries
    return count.low, count.high


def trend_chart(points: Sequence[IssueFigures], title: str, ident: str = "trend") -> Markup:
    """Three small panels (incidents, killed, injured) over the issues, oldest on the left.

    Ranges are drawn as a bar from low to high with a dot at the low end; an open-ended count
    (``at least N``) as a dot at N with an arrow up, so the chart never claims more than the rows.
    """
    count = len(points)
    height = len(SERIES) * (PANEL + GAP) + 24
    step = (WIDTH - LEFT - RIGHT) / max(count - 1, 1)
    parts: list[str] = []
    first = points[0].issue if points else None
    last = points[-1].issue if points else None
    summary = (
        f"{count} issues from {first.period.start} to {last.period.end}."
        if first and last
        else "No issues."
    )
    for index, (key, label, colour) in enumerate(SERIES):
        top = index * (PANEL + GAP) + 14
        values = [_value(p, key) for p in points]
        peak = max([v[1] if v[1] is not None else v[0] for v in values] + [1])
        total_low = sum(v[0] for v in values)
        summary += f" {label}: {total_low}{'+' if any(v[1] is None for v in values) else ''}"
        summary += f" in all, at most {peak} in one week."
        parts.append(
            f'<text x="0" y="{top - 2}" class="label">{label} per week (max {peak})</text>'
            f'<line x1="{LEFT}" y1="{top + PANEL}" x2="{WIDTH - RIGHT}" y2="{top + PANEL}" '
            f'stroke="#999" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{top + PANEL}" text-anchor="end" class="tick">0</text>'
            f'<text x="{LEFT - 6}" y="{top + 8}" text-anchor="end" class="tick">{peak}</text>'
        )
        coords = []
        for i, (low, high) in enumerate(values):
            x = LEFT + i * step if count > 1 else (LEFT + WIDTH - RIGHT) / 2
            y_low = top + PANEL - PANEL * low / peak
            coords.append(f"{x:.1f},{y_low:.1f}")
            if high is None:
                parts.append(f'<path d="M{x:.1f} {y_low - 3:.1f} l-3 4 h6 z" fill="{colour}"/>')
            elif high > low:
                y_high = top + PANEL - PANEL * high / peak
                parts.append(
                    f'<line x1="{x:.1f}" y1="{y_low:.1f}" x2="{x:.1f}" y2="{y_high:.1f}" '
                    f'stroke="{colour}" stroke-width="3" opacity="0.4"/>'
                )
        if len(coords) > 1:
            parts.append(
                f'<polyline points="{" ".join(coords)}" fill="none" stroke="{colour}" '
                f'stroke-width="1.5"/>'
            )
        for point in coords:
            cx, cy = point.split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.2" fill="{colour}"/>')
    if first and last:
        parts.append(
            f'<text x="{LEFT}" y="{height - 4}" class="tick">{first.period.end}</text>'
            f'<text x="{WIDTH - RIGHT}" y="{height - 4}" text-anchor="end" class="tick">'
            f"{last.period.end}</text>"
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'class="trend" role="img" aria-labelledby="{ident}-title {ident}-desc">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(summary)}</desc>'
        f"<style>.label{{font:bold 13px Arial,sans-serif;fill:#1a1a1a}}"
        f".tick{{font:11px Arial,sans-serif;fill:#444}}</style>" + "".join(parts) + "</svg>"
    )
    return Markup(svg)
