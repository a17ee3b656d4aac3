"""Data downloads: one row per incident, as CSV and JSON, per issue and for the whole archive."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from newsletter import csvout
from newsletter.incidents import Row
from newsletter.model import Issue
from newsletter.places import Located

COLUMNS = (
    "id",
    "issue",
    "issue_id",
    "date",
    "location",
    "governorate",
    "type",
    "deaths_min",
    "deaths_max",
    "injuries_min",
    "injuries_max",
    "lat",
    "lon",
    "precision",
    "located_by",
    "place_source",
    "corrected",
)


def _corrected(issue: Issue) -> str | None:
    dates = [c.date for c in issue.meta.corrections]
    return max(dates).isoformat() if dates else None


def incident_rows(
    rows: Iterable[Row], places: Callable[[Issue], Sequence[Located]]
) -> list[dict[str, Any]]:
    """One record per row, with its stable id (``incidents.py``) and where the map put it:
    ``places`` gives an issue's rows as the map placed them, in table order."""
    placed: dict[str, Sequence[Located]] = {}
    records = []
    for row in rows:
        issue, incident = row.issue, row.incident
        if issue.id not in placed:
            placed[issue.id] = places(issue)
        where = placed[issue.id][row.index]
        point = where.point
        records.append(
            {
                "id": row.id,
                "issue": issue.number,
                "issue_id": issue.id,
                "date": incident.date.isoformat(),
                "location": incident.location,
                "governorate": incident.province,
                "type": incident.type,
                "deaths_min": incident.deaths.low,
                "deaths_max": incident.deaths.high,
                "injuries_min": incident.injuries.low,
                "injuries_max": incident.injuries.high,
                # The map's point (lon, lat), or none when it could only shade the governorate.
                "lat": point[1] if point else None,
                "lon": point[0] if point else None,
                "precision": "governorate" if point is None else "point",
                "located_by": where.level,
                "place_source": where.source,
                "corrected": _corrected(issue),
            }
        )
    return records


def correction_rows(issues: Iterable[Issue]) -> list[dict[str, Any]]:
    """One record per correction of a published issue, oldest issue first."""
    return [
        {
            "issue": issue.number,
            "issue_id": issue.id,
            "date": correction.date.isoformat(),
            "change": correction.change,
            "reason": correction.reason,
        }
        for issue in issues
        for correction in issue.meta.corrections
    ]


def to_csv(rows: list[dict[str, Any]]) -> str:
    """CSV with a header; an open-ended maximum (``at least N``) is an empty cell, and no text
    cell can run as a spreadsheet formula (see ``newsletter/csvout.py``)."""
    return csvout.to_csv(COLUMNS, rows)


def to_json(rows: list[dict[str, Any]]) -> str:
    """JSON array; an open-ended maximum is null."""
    # One row a line, each through the C encoder (``indent`` would switch to the pure-Python
    # one, five times slower on 5,000 rows).
    if not rows:
        return "[]\n"
    body = ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    return f"[\n{body}\n]\n"
