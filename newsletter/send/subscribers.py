"""The subscriber list (CSV), validated without DNS look-ups, and the suppression list."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from newsletter.errors import ContentError, Problem, display_path


@dataclass(frozen=True)
class Subscriber:
    """One recipient: a normalised address, a name, and any other columns."""

    email: str
    name: str = ""
    fields: dict[str, str] = field(default_factory=dict)


def normalise(address: str) -> str:
    """The address as the log and the suppression list key it (case-insensitive)."""
    return address.strip().lower()


def read_subscribers(path: Path) -> tuple[list[Subscriber], list[Problem]]:
    """Read ``email,name,...`` rows; invalid and duplicate addresses are reported and skipped."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(
            [Problem(shown, 0, "", f"cannot read the subscriber list: {exc}")]
        ) from exc
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "email" not in [f.strip().lower() for f in reader.fieldnames]:
        raise ContentError([Problem(shown, 1, "email", "the first row must name an email column")])
    subscribers: list[Subscriber] = []
    skipped: list[Problem] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        values = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        raw = values.pop("email", "")
        try:
            checked = validate_email(raw, check_deliverability=False)
        except EmailNotValidError as exc:
            skipped.append(
                Problem(shown, line, "email", f'"{raw}" is not a valid address: {exc}', "warning")
            )
            continue
        email = normalise(checked.normalized)
        if email in seen:
            skipped.append(
                Problem(
                    shown,
                    line,
                    "email",
                    f"{email} is already listed on line {seen[email]}",
                    "warning",
                )
            )
            continue
        seen[email] = line
        name = values.pop("name", "")
        subscribers.append(Subscriber(email, name, values))
    return subscribers, skipped


def read_suppressed(path: Path) -> dict[str, str]:
    """The suppression list (``email,reason``: unsubscribed, bounced...); missing means empty."""
    if not path.is_file():
        return {}
    reader = csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines())
    return {
        normalise(row.get("email") or ""): (row.get("reason") or "suppressed").strip()
        for row in reader
        if row.get("email")
    }
