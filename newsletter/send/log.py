"""The durable send log (SQLite): an attempt is committed before the SMTP transaction starts,
its outcome as soon as the server answers. A rerun therefore knows exactly who is confirmed.

Every failure to open, read or write it (a read-only or corrupt file, a folder where the file
should be, another program's database) is a NewsletterError naming the path, never a
traceback; nothing is created or changed when the state folder cannot be used.
"""

from __future__ import annotations

import fcntl
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import Any, TextIO, TypeVar

from newsletter.errors import NewsletterError, display_path

ATTEMPTED, SENT, TEMPORARY, PERMANENT = "attempted", "sent", "failed-temporary", "failed-permanent"
# The whole message went out and the server never answered: it may have been delivered.
UNKNOWN = "unknown"
# How many unanswered sends of one message a run may follow with another (same Message-ID).
MAX_UNKNOWN = 2

_COLUMNS = {"issue", "email", "message_id", "status", "attempts", "detail", "updated", "unknowns"}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sends (
    issue TEXT NOT NULL,
    email TEXT NOT NULL,
    message_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT '',
    updated REAL NOT NULL,
    unknowns INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (issue, email)
)
"""

T = TypeVar("T")


@dataclass(frozen=True)
class Report:
    """How far an issue's sending has got."""

    sent: int
    failed: int
    pending: int
    failures: list[tuple[str, str]]
    unknown: int = 0
    unknowns: list[tuple[str, str]] = field(default_factory=list)
    suppressed: int = 0


class StateError(NewsletterError):
    """The state folder or its send log cannot be used."""


@contextmanager
def _guarded(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise StateError(f"{display_path(path)}: the send log cannot be used: {exc}") from None
    except OSError as exc:
        raise StateError(f"{display_path(path)}: {exc.strerror or exc}") from None


def _guard(method: Callable[..., T]) -> Callable[..., T]:
    @wraps(method)
    def wrapper(self: SendLog, *args: Any, **kwargs: Any) -> T:
        with _guarded(self.path):
            return method(self, *args, **kwargs)

    return wrapper


class SendLog:
    """One SQLite file in the state folder; every write is its own durable transaction."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "sends.sqlite"
        self._lock: TextIO | None = None
        with _guarded(state_dir):
            if state_dir.exists() and not state_dir.is_dir():
                raise StateError(f"{display_path(state_dir)}: the state folder is a file")
            if self.path.is_dir() or (state_dir / "send.lock").is_dir():
                raise StateError(f"{display_path(self.path)}: a folder is where a file should be")
            state_dir.mkdir(parents=True, exist_ok=True)
        with _guarded(self.path):
            self.db = sqlite3.connect(self.path, isolation_level=None)
            try:
                self._open()
            except BaseException:
                self.db.close()
                raise

    def _open(self) -> None:
        if self.db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("database disk image is malformed")
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master")}
        if tables and "sends" not in tables:
            found = ", ".join(sorted(tables))
            raise StateError(
                f"{display_path(self.path)}: not a send log (it holds {found}); "
                "move it away or give another --state folder"
            )
        if "sends" in tables:
            columns = {row[1] for row in self.db.execute("PRAGMA table_info(sends)")}
            if columns == _COLUMNS - {"unknowns"}:  # a log written before unknown outcomes
                self.db.execute("ALTER TABLE sends ADD COLUMN unknowns INTEGER NOT NULL DEFAULT 0")
            elif columns != _COLUMNS:
                raise StateError(
                    f"{display_path(self.path)}: not a send log (its sends table has the "
                    f"columns {', '.join(sorted(columns))})"
                )
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a committed attempt survives a power cut
        self.db.execute(_SCHEMA)

    def lock(self) -> None:
        """Take the state folder's send lock, or fail at once if another send holds it.

        The operating system releases it when the process ends, even by ``kill -9``.
        """
        with _guarded(self.path.parent / "send.lock"):
            handle = (self.path.parent / "send.lock").open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise NewsletterError(
                f"another send is running with {self.path.parent}; wait for it to finish"
            ) from None
        self._lock = handle

    def close(self) -> None:
        """Close the database and release the send lock."""
        self.db.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    @_guard
    def statuses(self, issue: str) -> dict[str, str]:
        """Every recorded address of an issue and its status."""
        rows = self.db.execute("SELECT email, status FROM sends WHERE issue = ?", (issue,))
        return dict(rows.fetchall())

    @_guard
    def settled(self, issue: str) -> set[str]:
        """Addresses not to send to again: sent, refused for good, or unanswered twice."""
        rows = self.db.execute(
            "SELECT email FROM sends WHERE issue = ? AND (status IN (?, ?) OR unknowns >= ?)",
            (issue, SENT, PERMANENT, MAX_UNKNOWN),
        )
        return {email for (email,) in rows}

    @_guard
    def attempt(self, issue: str, email: str, message_id: str) -> None:
        """Record, durably, that a message is about to be handed to the server."""
        self.db.execute(
            "INSERT INTO sends (issue, email, message_id, status, attempts, updated) "
            "VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (issue, email) DO UPDATE SET "
            "status = excluded.status, attempts = attempts + 1, updated = excluded.updated",
            (issue, email, message_id, ATTEMPTED, time.time()),
        )

    @_guard
    def outcome(self, issue: str, email: str, status: str, detail: str = "") -> None:
        """Record the server's answer (UNKNOWN: no answer; it is counted per address)."""
        self.db.execute(
            "UPDATE sends SET status = ?, detail = ?, updated = ?, "
            "unknowns = unknowns + (? = ?) WHERE issue = ? AND email = ?",
            (status, detail, time.time(), status, UNKNOWN, issue, email),
        )

    @_guard
    def report(self, issue: str, expected: list[str] | None = None) -> Report:
        """Sent, failed, unknown and pending counts (pending: the others not yet settled)."""
        rows = self.db.execute(
            "SELECT email, status, detail FROM sends WHERE issue = ? ORDER BY email", (issue,)
        ).fetchall()
        status = {email: s for email, s, _ in rows}
        everyone = set(expected) if expected is not None else set(status)
        failures = [(e, d) for e, s, d in rows if s == PERMANENT and e in everyone]
        unknowns = [(e, d) for e, s, d in rows if s == UNKNOWN and e in everyone]
        sent = sum(1 for e in everyone if status.get(e) == SENT)
        return Report(
            sent,
            len(failures),
            len(everyone) - sent - len(failures) - len(unknowns),
            failures,
            len(unknowns),
            unknowns,
        )
