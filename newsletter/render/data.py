"""Data downloads: one row per incident, as CSV and JSON, per issue and for the whole archive."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from newsletter import csvout
from newsletter.model import Issue

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
)


def incident_rows(issues: Iterable[Issue]) -> list[dict[str, Any]]:
    """One record per incident; ids are stable: ``<issue number>-<row number>``."""
    rows = []
    for issue in issues:
        for number, incident in enumerate(issue.ied.incidents, start=1):
            rows.append(
                {
                    "id": f"{issue.ref}-{number}",
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
                    "lat": incident.lat,
                    "lon": incident.lon,
                }
            )
    return rows


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
