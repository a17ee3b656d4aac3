"""The durable send log (SQLite): an attempt is committed before the SMTP transaction starts,
its outcome as soon as the server answers. A rerun therefore knows exactly who is confirmed."""

from __future__ import annotations

import fcntl
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from newsletter.errors import NewsletterError

ATTEMPTED, SENT, TEMPORARY, PERMANENT = "attempted", "sent", "failed-temporary", "failed-permanent"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sends (
    issue TEXT NOT NULL,
    email TEXT NOT NULL,
    message_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT '',
    updated REAL NOT NULL,
    PRIMARY KEY (issue, email)
)
"""


@dataclass(frozen=True)
class Report:
    """How far an issue's sending has got."""

    sent: int
    failed: int
    pending: int
    failures: list[tuple[str, str]]


class SendLog:
    """One SQLite file in the state folder; every write is its own durable transaction."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / "sends.sqlite"
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a committed attempt survives a power cut
        self.db.execute(_SCHEMA)
        self._lock: TextIO | None = None

    def lock(self) -> None:
        """Take the state folder's send lock, or fail at once if another send holds it.

        The operating system releases it when the process ends, even by ``kill -9``.
        """
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

    def statuses(self, issue: str) -> dict[str, str]:
        """Every recorded address of an issue and its status."""
        rows = self.db.execute("SELECT email, status FROM sends WHERE issue = ?", (issue,))
        return dict(rows.fetchall())

    def attempt(self, issue: str, email: str, message_id: str) -> None:
        """Record, durably, that a message is about to be handed to the server."""
        self.db.execute(
            "INSERT INTO sends (issue, email, message_id, status, attempts, updated) "
            "VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (issue, email) DO UPDATE SET "
            "status = excluded.status, attempts = attempts + 1, updated = excluded.updated",
            (issue, email, message_id, ATTEMPTED, time.time()),
        )

    def outcome(self, issue: str, email: str, status: str, detail: str = "") -> None:
        """Record the server's answer."""
        self.db.execute(
            "UPDATE sends SET status = ?, detail = ?, updated = ? WHERE issue = ? AND email = ?",
            (status, detail, time.time(), issue, email),
        )

    def report(self, issue: str, expected: list[str] | None = None) -> Report:
        """Sent, failed and pending counts (pending: every expected address not yet settled)."""
        rows = self.db.execute(
            "SELECT email, status, detail FROM sends WHERE issue = ? ORDER BY email", (issue,)
        ).fetchall()
        status = {email: s for email, s, _ in rows}
        failures = [(email, detail) for email, s, detail in rows if s == PERMANENT]
        everyone = set(expected) if expected is not None else set(status)
        sent = sum(1 for e in everyone if status.get(e) == SENT)
        failed = sum(1 for e in everyone if status.get(e) == PERMANENT)
        return Report(sent, failed, len(everyone) - sent - failed, failures)
