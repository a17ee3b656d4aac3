"""The subscriber list and the suppression list, read by the one strict CSV reader."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from newsletter.errors import ContentError, Problem, display_path
from newsletter.mail import headers
from newsletter.send.csvfile import read_csv


@dataclass(frozen=True)
class Subscriber:
    """One recipient: a normalised address, a name, and any other columns."""

    email: str
    name: str = ""
    fields: dict[str, str] = field(default_factory=dict)


def normalise(address: str) -> str:
    """The address as the log and the suppression list key it (case-insensitive)."""
    return address.strip().lower()


def _checked(raw: str) -> str:
    """The normalised form of an address, or EmailNotValidError."""
    reason = headers.problem(raw)
    if reason:
        raise EmailNotValidError(f"it {reason}")
    return normalise(validate_email(raw, check_deliverability=False).normalized)


def read_subscribers(path: Path) -> tuple[list[Subscriber], list[Problem]]:
    """Read ``email,name,...`` rows; invalid and duplicate addresses are reported and skipped."""
    shown = display_path(path)
    subscribers: list[Subscriber] = []
    skipped: list[Problem] = []
    seen: dict[str, int] = {}
    for row in read_csv(path, "subscriber list", "email"):
        values = dict(row.values)
        raw = values.pop("email", "")
        try:
            email = _checked(raw)
        except EmailNotValidError as exc:
            skipped.append(
                Problem(
                    shown, row.line, "email", f'"{raw}" is not a valid address: {exc}', "warning"
                )
            )
            continue
        name = values.pop("name", "")
        # The name goes into the To header: the header layer's own check, located here.
        reason = headers.problem(name)
        if reason:
            skipped.append(Problem(shown, row.line, "name", f"{name!r} {reason}", "warning"))
            continue
        if email in seen:
            skipped.append(
                Problem(
                    shown,
                    row.line,
                    "email",
                    f"{email} is already listed on line {seen[email]}",
                    "warning",
                )
            )
            continue
        seen[email] = row.line
        subscribers.append(Subscriber(email, name, values))
    return subscribers, skipped


def read_suppressed(path: Path) -> dict[str, str]:
    """The suppression list (``email,reason``); missing means empty, anything misread stops."""
    if not path.exists() and not path.is_symlink():
        return {}
    shown = display_path(path)
    suppressed: dict[str, str] = {}
    problems: list[Problem] = []
    for row in read_csv(path, "suppression list", "email"):
        raw = row.values.get("email", "")
        try:
            email = _checked(raw)
        except EmailNotValidError as exc:
            # Never guess: a row that is not an address may be one meant to be suppressed.
            problems.append(Problem(shown, row.line, "email", f'"{raw}" is not an address: {exc}'))
            continue
        suppressed[email] = row.values.get("reason") or "suppressed"
    if problems:
        raise ContentError(problems)
    return suppressed
