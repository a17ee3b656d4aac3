"""The send log kept in the subscriber store, and the lock one send at a time holds."""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import Any, TextIO, TypeVar

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from newsletter.errors import NewsletterError
from newsletter.subscribers import schema as t
from newsletter.subscribers.common import StateError, key_of
from newsletter.subscribers.store import Store, _lock_key, _where

# Send log statuses; UNKNOWN: the whole message went out and the server never answered.
ATTEMPTED, SENT, TEMPORARY, PERMANENT = "attempted", "sent", "failed-temporary", "failed-permanent"
UNKNOWN = "unknown"
# How many unanswered sends of one message a run may follow with another (same Message-ID).
MAX_UNKNOWN = 2


@dataclass(frozen=True)
class Report:
    """How far an issue's sending has got (unknown: DATA sent, no reply seen)."""

    sent: int
    failed: int
    pending: int
    failures: list[tuple[str, str]]
    unknown: int = 0
    unknowns: list[tuple[str, str]] = field(default_factory=list)
    suppressed: int = 0


T = TypeVar("T")


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    """Turn a database failure during a send into a one-line StateError naming the store."""

    @wraps(method)
    def wrapper(self: SendLog, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except SQLAlchemyError as exc:
            raise StateError(
                f"{_where(self.store.engine)}: the send log cannot be used: "
                f"{getattr(exc, 'orig', None) or exc}"
            ) from None

    return wrapper


@dataclass
class SendLog:
    """The send log in the store: who was sent which issue, and how it went.

    Every write is its own committed transaction: an attempt is durable before the SMTP
    transaction starts, its outcome as soon as the server answers. Rows are found by the
    address's key (``key_of``), so a change of case in the list never mails anyone twice.
    """

    store: Store
    owns_store: bool = False
    _lock_conn: Connection | None = field(default=None, repr=False)
    _lock_file: TextIO | None = field(default=None, repr=False)
    _writer: Connection | None = field(default=None, repr=False)
    _pending: list[tuple[Any, dict[str, Any]]] = field(default_factory=list, repr=False)

    @classmethod
    def open(cls, state_dir: Path, url: str | None = None) -> SendLog:
        """Open the store of a state folder and its send log; close() closes both."""
        return cls(Store.open(state_dir, url), owns_store=True)

    @_guarded
    def lock(self, name: str = "send") -> None:
        """Take the list's send lock, or fail at once if another send holds it anywhere.

        PostgreSQL: a session advisory lock on a dedicated connection, valid across machines.
        SQLite: an flock beside the database file. Both go when the process ends, even killed.
        """
        busy = NewsletterError(
            f"another send is running with the database {_where(self.store.engine)}; "
            "wait for it to finish"
        )
        if self.store.dialect == "postgresql":
            conn = self.store.engine.connect()
            got = conn.execute(select(func.pg_try_advisory_lock(_lock_key(name)))).scalar()
            conn.commit()
            if not got:
                conn.close()
                raise busy
            self._lock_conn = conn
            return
        try:
            handle = open(f"{self.store.engine.url.database}.{name}.lock", "a")  # noqa: SIM115
        except OSError as exc:
            raise StateError(f"{_where(self.store.engine)}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise busy from None
        self._lock_file = handle

    def close(self) -> None:
        """Commit a deferred outcome; release the lock, the connection (and an owned store)."""
        try:
            self.flush()
        finally:
            self._release()

    def _release(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._writer.close()
            self._writer = None
        if self._lock_conn is not None:
            try:
                self._lock_conn.execute(text("SELECT pg_advisory_unlock_all()"))
                self._lock_conn.commit()
            except SQLAlchemyError:
                pass  # the session ends below, and the lock with it
            finally:
                self._lock_conn.close()
                self._lock_conn = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        if self.owns_store:
            self.store.close()

    @_guarded
    def statuses(self, issue: str) -> dict[str, str]:
        """Every recorded address of an issue and its status."""
        self.flush()
        query = select(t.sends.c.email, t.sends.c.status).where(t.sends.c.issue == issue)
        with self.store.engine.connect() as conn:
            return {email: status for email, status in conn.execute(query)}

    @_guarded
    def settled(self, issue: str) -> set[str]:
        """Keys not to send to again: sent, refused for good, or unanswered MAX_UNKNOWN times."""
        self.flush()
        c = t.sends.c
        query = select(c.key).where(
            (c.issue == issue) & (c.status.in_((SENT, PERMANENT)) | (c.unknowns >= MAX_UNKNOWN))
        )
        with self.store.engine.connect() as conn:
            return {str(key) for (key,) in conn.execute(query)}

    def _write(self, work: Callable[[Connection], None] | None = None) -> None:
        """Run the deferred outcome, then ``work``, in one committed transaction.

        A send writes twice a message: one connection kept for the run spares each write a
        pool checkout and the rollback the pool does on return, and the outcome of a message
        the server took rides in the next attempt's commit (one fsync a message, not two).
        """
        if self._writer is None or self._writer.invalidated or self._writer.closed:
            self._writer = self.store.engine.connect()

        def all_of_it(conn: Connection) -> None:
            for statement, values in self._pending:
                conn.execute(statement, values)
            if work is not None:
                work(conn)

        self.store._tx(all_of_it, self._writer)
        self._pending.clear()

    @_guarded
    def flush(self) -> None:
        """Commit a deferred outcome now (every read and ``close`` do so first)."""
        if self._pending:
            self._write()

    @_guarded
    def attempt(self, issue: str, email: str, message_id: str) -> None:
        """Record, durably, that a message is about to be handed to the server.

        A deferred outcome is committed in the same transaction, before the attempt's.
        """
        key = key_of(email)

        def work(conn: Connection) -> None:
            now = time.time()
            found = {"b_issue": issue, "b_key": key, "b_now": now}
            if not conn.execute(_ATTEMPTED, found).rowcount:
                row = {
                    "issue": issue,
                    "email": email,
                    "key": key,
                    "message_id": message_id,
                    "status": ATTEMPTED,
                    "attempts": 1,
                    "updated": now,
                }
                conn.execute(_FIRST_ATTEMPT, row)

        self._write(work)

    @_guarded
    def outcome(
        self, issue: str, email: str, status: str, detail: str = "", defer: bool = False
    ) -> None:
        """Record the server's answer (UNKNOWN: no answer; counted per address).

        ``defer``: commit it with the next attempt (or ``flush``, or ``close``) rather than
        now. Only for SENT: a crash before that commit leaves the row "attempted", so the
        message goes once more on the next run, as a crash between a message and its own
        commit would; never a refusal, which must not be retried.
        """
        if defer and status != SENT:
            raise ValueError(f"only a sent outcome may wait for the next commit, not {status}")
        statement = _UNANSWERED if status == UNKNOWN else _ANSWERED
        values = {"b_issue": issue, "b_key": key_of(email), "b_now": time.time()}
        self._pending.append((statement, {**values, "b_status": status, "b_detail": detail}))
        if not defer:
            self._write()

    @_guarded
    def bounce(self, issue: str, email: str, hard: bool, detail: str) -> str:
        """Record the server's refusal of a recipient as a bounce in the list (see the store)."""
        self.flush()
        return self.store.record_bounce(email, issue, hard, detail)

    @_guarded
    def report(self, issue: str, expected: list[str] | None = None) -> Report:
        """Sent, failed, unknown and pending counts (pending: the expected not yet settled).

        ``expected`` are addresses (compared by key); without it, everyone in the log.
        """
        self.flush()
        c = t.sends.c
        query = select(c.key, c.email, c.status, c.detail).where(c.issue == issue).order_by(c.email)
        with self.store.engine.connect() as conn:
            rows = [(k, e, s, d) for k, e, s, d in conn.execute(query)]
        status = {key: s for key, _, s, _ in rows}
        everyone = {key_of(e) for e in expected} if expected is not None else set(status)
        failures = [(e, d) for k, e, s, d in rows if s == PERMANENT and k in everyone]
        unknowns = [(e, d) for k, e, s, d in rows if s == UNKNOWN and k in everyone]
        sent = sum(1 for k in everyone if status.get(k) == SENT)
        return Report(
            sent,
            len(failures),
            len(everyone) - sent - len(failures) - len(unknowns),
            failures,
            len(unknowns),
            unknowns,
        )


# The two writes of every message, built once: constructing a statement costs more than the
# database spends on it (about 1.5 ms a message, measured with benchmarks/send.py).
_ROW = (t.sends.c.issue == bindparam("b_issue")) & (t.sends.c.key == bindparam("b_key"))
_ATTEMPTED = (
    update(t.sends)
    .where(_ROW)
    .values(status=ATTEMPTED, attempts=t.sends.c.attempts + 1, updated=bindparam("b_now"))
)
_FIRST_ATTEMPT = insert(t.sends)
_ANSWERED = (
    update(t.sends)
    .where(_ROW)
    .values(status=bindparam("b_status"), detail=bindparam("b_detail"), updated=bindparam("b_now"))
)
_UNANSWERED = _ANSWERED.values(unknowns=t.sends.c.unknowns + 1)
