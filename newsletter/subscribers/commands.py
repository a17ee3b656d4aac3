"""What the ``newsletter subscribers`` commands do: import, export, add, remove, forget."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import SQLAlchemyError

from newsletter.errors import NewsletterError, Problem
from newsletter.send.subscribers import normalise, read_subscribers
from newsletter.statedir import state_for
from newsletter.subscribers.store import ACTIVE, FORGOTTEN, PENDING, Store

log = logging.getLogger(__name__)


@contextmanager
def opened(content_dir: Path, state_dir: Path | None) -> Iterator[Store]:
    """Open the store; database failures become one-line errors."""
    store = Store.open(state_for(content_dir, state_dir))
    try:
        yield store
    except SQLAlchemyError as exc:
        raise NewsletterError(f"database error: {getattr(exc, 'orig', None) or exc}") from None
    finally:
        store.close()


@dataclass
class ImportResult:
    """What an import did, address by address."""

    added: list[str] = field(default_factory=list)
    activated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    blocked: list[tuple[str, str]] = field(default_factory=list)  # (address, why)
    skipped: list[Problem] = field(default_factory=list)


def _as_written(path: Path) -> dict[str, str]:
    """Each valid address of the CSV as the editor wrote it, by its normalised form."""
    # read_subscribers lower-cases addresses (the send log's key); the store keeps them as
    # written, so the same rows are read again for their spelling.
    reader = csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines())
    written: dict[str, str] = {}
    for row in reader:
        raw = next((v or "" for k, v in row.items() if (k or "").strip().lower() == "email"), "")
        try:
            checked = validate_email(raw.strip(), check_deliverability=False).normalized
        except EmailNotValidError:
            continue
        written.setdefault(normalise(checked), checked)
    return written


def import_csv(store: Store, path: Path) -> ImportResult:
    """Import a subscriber CSV: new addresses become active, suppressed ones stay suppressed."""
    subscribers, skipped = read_subscribers(path)
    written = _as_written(path)
    rows = [(written.get(s.email, s.email), s.name) for s in subscribers]
    result = ImportResult(skipped=skipped)
    for (email, _), (before, after) in zip(rows, store.subscribe_many(rows, "import"), strict=True):
        if after == FORGOTTEN:
            result.blocked.append((email, "erased at the person's request"))
        elif after != ACTIVE:
            result.blocked.append((email, after))
        elif before is None:
            result.added.append(email)
        elif before == PENDING:
            result.activated.append(email)
        else:
            result.unchanged.append(email)
    log.info(
        "imported %s: %d added, %d activated, %d unchanged, %d kept suppressed, %d skipped",
        path,
        len(result.added),
        len(result.activated),
        len(result.unchanged),
        len(result.blocked),
        len(result.skipped),
    )
    return result


def checked_address(email: str) -> str:
    """The address, validated as the subscriber CSV's are, or a one-line error."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise NewsletterError(f'"{email}" is not a valid address: {exc}') from None


def add(store: Store, email: str, name: str) -> tuple[str, str]:
    """Add an address the editor vouches for; return it and its status after."""
    address = checked_address(email)
    return address, store.subscribe(address, name, source="editor")


def remove(store: Store, email: str) -> str | None:
    """Unsubscribe an address on the editor's word; return its status before."""
    before = store.status(email)
    store.unsubscribe(email, "editor")
    return before


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def export_csv(store: Store, status: str | None = None) -> str:
    """Every address (or those of one status) as CSV: email, name, status, changed (UTC)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["email", "name", "status", "changed"])
    for email, name, state, updated in store.rows(status):
        changed = dt.datetime.fromtimestamp(updated, dt.UTC).isoformat(timespec="seconds")
        writer.writerow([_cell(email), _cell(name), state, changed])
    return out.getvalue()


def write_file(path: Path, data: str) -> None:
    """Write an export atomically: a complete file or the previous one, never half of one."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.resolve().parent, prefix=".export-")
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError as exc:
        raise NewsletterError(f"{path}: cannot write the export: {exc.strerror or exc}") from None
