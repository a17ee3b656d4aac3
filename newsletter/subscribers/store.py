"""The subscriber store: with ``sendlog``, the one place that speaks SQL (SQLAlchemy Core).

Each public call is its own transaction, committed before it returns. The schema changes only
through the Alembic migrations shipped in ``migrations/``, run to head by ``Store.open``.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Engine,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError, SQLAlchemyError

from newsletter.errors import NewsletterError, display_path
from newsletter.subscribers import STATUSES
from newsletter.subscribers import schema as t
from newsletter.subscribers.common import StateError, key_of
from newsletter.subscribers.legacy import _Legacy, _read_legacy

if TYPE_CHECKING:
    from newsletter.subscribers.sendlog import SendLog

log = logging.getLogger(__name__)

URL_VARIABLE = "NEWSLETTER_DATABASE_URL"
DB_FILE = "newsletter.sqlite"
PENDING, ACTIVE, UNSUBSCRIBED, BOUNCED, COMPLAINED = (
    "pending",
    "active",
    "unsubscribed",
    "bounced",
    "complained",
)
assert (PENDING, ACTIVE, UNSUBSCRIBED, BOUNCED, COMPLAINED) == STATUSES
BLOCKED = frozenset({UNSUBSCRIBED, BOUNCED, COMPLAINED})
FORGOTTEN = "forgotten"  # not a status: what subscribe() answers for an erased address
UNSUBSCRIBE_HOW = frozenset({"one-click", "link", "editor"})
SOFT_BOUNCE_LIMIT = 3  # issues in a row with a soft bounce before an address is suppressed
# Sources that vouch for an address, so it needs no confirmation; a form needs double opt-in.
VOUCHED = frozenset({"import", "editor"})

# Threads the list service runs store calls on with a server database (SQLite: one writer).
SERVER_THREADS = 8

T = TypeVar("T")


@dataclass(frozen=True)
class Subscriber:
    """An active subscriber: the address as written, and a name."""

    email: str
    name: str = ""


@dataclass(frozen=True)
class Event:
    """One change of an address's status."""

    at: float
    from_status: str | None
    to_status: str
    how: str
    issue: str | None
    detail: str


def database_url(state_dir: Path, url: str | None = None) -> str:
    """The URL to use: given, else NEWSLETTER_DATABASE_URL, else the state folder's SQLite file."""
    chosen = url or os.environ.get(URL_VARIABLE, "")
    if not chosen:
        return f"sqlite:///{(state_dir / DB_FILE).resolve()}"
    for plain in ("postgresql://", "postgres://"):
        if chosen.startswith(plain):  # psycopg 3, not SQLAlchemy's default psycopg2
            return "postgresql+psycopg://" + chosen[len(plain) :]
    return chosen


def _sqlite_pragmas(dbapi: Any, _record: Any) -> None:
    dbapi.isolation_level = None  # SQLAlchemy's "begin" event below issues BEGIN itself
    cursor = dbapi.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # a committed attempt survives a power cut
    cursor.execute("PRAGMA secure_delete=ON")  # an erased address leaves no bytes in the file
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # Take the write lock at the start: read-then-write transactions never deadlock.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class Store:
    """The subscriber list, its history, bounces, erasures and the send log."""

    def __init__(self, engine: Engine, state_dir: Path) -> None:
        self.engine = engine
        self.state_dir = state_dir
        self.dialect = engine.dialect.name
        self._secret: bytes | None = None

    @classmethod
    def open(cls, state_dir: Path, url: str | None = None) -> Store:
        """Open (creating and migrating as needed) the store for a state folder.

        The state folder and the old files are checked first: a damaged one is a one-line
        StateError (a misread suppression list a located ContentError), nothing created.
        """
        chosen = database_url(state_dir, url)
        legacy = _read_legacy(state_dir, chosen)
        state_dir.mkdir(parents=True, exist_ok=True)
        try:
            engine = create_engine(chosen, **_pool_options(chosen))
        except (SQLAlchemyError, ValueError, ImportError) as exc:
            raise NewsletterError(f"cannot use the database {_shown(chosen)}: {exc}") from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        store = cls(engine, state_dir)
        try:
            store._migrate()
            store._key()  # loaded now: later calls need it inside their own transactions
            store._import_legacy(legacy)
        except DatabaseError as exc:
            engine.dispose()
            if engine.dialect.name == "sqlite" and not isinstance(exc, OperationalError):
                raise StateError(  # "file is not a database", a truncated file...
                    f"{_where(engine)}: the store cannot be used: {exc.orig or exc}"
                ) from None
            raise StateError(
                f"cannot open the database {_shown(chosen)}: {exc.orig or exc}"
            ) from None
        except BaseException:
            engine.dispose()
            raise
        return store

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- migrations -------------------------------------------------------------------------

    def _migrate(self, revision: str = "head") -> None:
        config = Config()
        config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        with self._migration_lock(), self.engine.connect() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            conn.commit()

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        """One migrating process at a time (two first opens at once must not race)."""
        database = self.engine.url.database or ""
        if self.dialect == "sqlite" and database:
            with open(database + ".migrate-lock", "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                yield
        elif self.dialect == "postgresql":
            with self.engine.connect() as conn:
                conn.execute(select(func.pg_advisory_lock(_lock_key("migrate"))))
                conn.commit()
                try:
                    yield
                finally:
                    conn.execute(select(func.pg_advisory_unlock(_lock_key("migrate"))))
                    conn.commit()
        else:
            yield

    # -- transactions -----------------------------------------------------------------------

    def _tx(self, work: Callable[[Connection], T], conn: Connection | None = None) -> T:
        """Run ``work`` in one transaction; retry when a concurrent insert won the race.

        ``conn``: on that connection (one the caller keeps open), else on one from the pool.
        """
        for attempt in range(3):
            try:
                if conn is None:
                    with self.engine.begin() as pooled:
                        return work(pooled)
                with conn.begin():
                    return work(conn)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _row(self, conn: Connection, key: str) -> Any:
        query = select(t.subscribers).where(t.subscribers.c.key == key)
        if self.dialect == "postgresql":
            query = query.with_for_update()
        return conn.execute(query).first()

    def _set(
        self,
        conn: Connection,
        key: str,
        before: str | None,
        after: str,
        how: str,
        issue: str | None = None,
        detail: str = "",
    ) -> None:
        now = time.time()
        conn.execute(
            update(t.subscribers)
            .where(t.subscribers.c.key == key)
            .values(status=after, updated=now)
        )
        conn.execute(
            insert(t.events).values(
                key=key,
                at=now,
                from_status=before,
                to_status=after,
                how=how,
                issue=issue,
                detail=detail,
            )
        )

    def _create(
        self,
        conn: Connection,
        email: str,
        name: str,
        status: str,
        source: str,
        how: str,
        issue: str | None = None,
        detail: str = "",
    ) -> None:
        now = time.time()
        key = key_of(email)
        conn.execute(
            insert(t.subscribers).values(
                key=key,
                email=email.strip(),
                name=name,
                status=status,
                source=source,
                created=now,
                updated=now,
            )
        )
        conn.execute(
            insert(t.events).values(
                key=key, at=now, to_status=status, how=how, issue=issue, detail=detail
            )
        )

    # -- the list ---------------------------------------------------------------------------

    def subscribe(self, email: str, name: str = "", source: str = "form") -> str:
        """Add or re-subscribe an address; return its status after (or "forgotten")."""
        return self._tx(lambda conn: self._subscribe(conn, email, name, source)[1])

    def subscribe_many(
        self, people: list[tuple[str, str]], source: str
    ) -> list[tuple[str | None, str]]:
        """Subscribe (email, name) pairs in one transaction; each one's status before and after."""
        return self._tx(lambda conn: [self._subscribe(conn, e, n, source) for e, n in people])

    def _subscribe(
        self, conn: Connection, email: str, name: str, source: str
    ) -> tuple[str | None, str]:
        key = key_of(email)
        row = self._row(conn, key)
        vouched = source in VOUCHED
        if row is None:
            if vouched and self._is_forgotten(conn, key):
                return None, FORGOTTEN  # erased: never imported again
            status = ACTIVE if vouched else PENDING
            self._create(conn, email, name, status, source, source)
            return None, status
        before = str(row.status)
        if name and name != row.name:
            conn.execute(update(t.subscribers).where(t.subscribers.c.key == key).values(name=name))
        if before == PENDING and vouched:
            self._set(conn, key, PENDING, ACTIVE, source)
            return before, ACTIVE
        if before in BLOCKED and not vouched:
            # Only the person, through the form, can come back; and must confirm again.
            self._set(conn, key, before, PENDING, source)
            return before, PENDING
        return before, before

    def confirm(self, email: str) -> bool:
        """Activate a pending address (double opt-in); False if it is not pending."""
        key = key_of(email)

        def work(conn: Connection) -> bool:
            row = self._row(conn, key)
            if row is None or row.status != PENDING:
                return False
            self._set(conn, key, PENDING, ACTIVE, "confirmed")
            # The person asked again, so an earlier erasure no longer blocks them.
            conn.execute(delete(t.forgotten).where(t.forgotten.c.digest == self._digest(key)))
            return True

        return self._tx(work)

    def unsubscribe(self, email: str, how: str, issue: str | None = None) -> None:
        """Unsubscribe an address (idempotent), recording when, how and from which issue."""
        self.unsubscribe_many([(email, how, issue)])

    def unsubscribe_many(self, requests: Sequence[tuple[str, str, str | None]]) -> None:
        """Unsubscribe (email, how, issue) triples in one transaction: one commit for them all.

        The list service groups the one-click requests that arrive while a commit is under way,
        so a burst costs one disk flush, not one each; every one is durable when this returns.
        """
        for _, how, _ in requests:
            if how not in UNSUBSCRIBE_HOW:
                raise ValueError(f"how must be one of {sorted(UNSUBSCRIBE_HOW)}, not {how!r}")
        first: dict[str, tuple[str, str, str | None]] = {}
        for request in requests:  # the same address twice: the first request is the one kept
            first.setdefault(key_of(request[0]), request)
        c = t.subscribers.c

        def work(conn: Connection) -> None:
            # A handful of statements for the whole batch, not three per address.
            query = select(c.key, c.status).where(c.key.in_(sorted(first))).order_by(c.key)
            if self.dialect == "postgresql":
                query = query.with_for_update()  # locked in key order: batches cannot deadlock
            before = {key: str(status) for key, status in conn.execute(query)}
            now = time.time()
            changed, events = [], []
            for key, (email, how, issue) in sorted(first.items()):
                status = before.get(key)
                if status is None:
                    if not self._is_forgotten(conn, key):  # erased: already blocked for good
                        self._create(conn, email, "", UNSUBSCRIBED, how, how, issue)
                elif status not in BLOCKED:  # bounced or complained stays so
                    changed.append({"row": key, "at": now})
                    events.append(
                        {
                            "key": key,
                            "at": now,
                            "from_status": status,
                            "to_status": UNSUBSCRIBED,
                            "how": how,
                            "issue": issue,
                            "detail": "",
                        }
                    )
            if changed:
                conn.execute(_UNSUBSCRIBE_ROW, changed)
                conn.execute(insert(t.events), events)

        self._tx(work)

    def _suppress(self, email: str, status: str, how: str, issue: str | None, detail: str) -> None:
        self._tx(lambda conn: self._suppress_in(conn, email, status, how, issue, detail))

    def _suppress_in(
        self, conn: Connection, email: str, status: str, how: str, issue: str | None, detail: str
    ) -> None:
        key = key_of(email)
        row = self._row(conn, key)
        if row is None:
            if self._is_forgotten(conn, key):
                return  # already blocked, and no address may be stored again
            self._create(conn, email, "", status, how, how, issue, detail)
        elif row.status != status and not (row.status in BLOCKED and status == UNSUBSCRIBED):
            self._set(conn, key, row.status, status, how, issue, detail)

    def record_bounce(self, email: str, issue: str | None, hard: bool, detail: str) -> str:
        """Record a bounce; suppress at once if hard, after three issues in a row if soft."""
        key = key_of(email)

        def work(conn: Connection) -> str:
            conn.execute(
                insert(t.bounces).values(
                    key=key, issue=issue, hard=int(hard), at=time.time(), detail=detail
                )
            )
            row = self._row(conn, key)
            if row is not None and row.status in BLOCKED:
                return str(row.status)
            if not hard and not self._soft_streak(conn, key):
                return str(row.status) if row is not None else ""
            how = "hard bounce" if hard else f"soft bounces, {SOFT_BOUNCE_LIMIT} issues in a row"
            if row is None:
                if self._is_forgotten(conn, key):
                    return ""
                self._create(conn, email, "", BOUNCED, "bounce", how, issue, detail)
            else:
                self._set(conn, key, row.status, BOUNCED, how, issue, detail)
            return BOUNCED

        return self._tx(work)

    def _soft_streak(self, conn: Connection, key: str) -> bool:
        """Whether the last three issues this address was sent (or bounced) all soft-bounced."""
        seen: dict[str, float] = {}
        for issue, at in conn.execute(
            select(t.sends.c.issue, t.sends.c.updated).where(t.sends.c.key == key)
        ):
            seen[issue] = min(at, seen.get(issue, at))
        bounced: set[str] = set()
        for number, issue, at in conn.execute(
            select(t.bounces.c.id, t.bounces.c.issue, t.bounces.c.at).where(
                t.bounces.c.key == key, t.bounces.c.hard == 0
            )
        ):
            name = issue if issue is not None else f"?{number}"  # unknown issue: its own
            seen[name] = min(at, seen.get(name, at))
            bounced.add(name)
        latest = sorted(seen, key=lambda name: seen[name])[-SOFT_BOUNCE_LIMIT:]
        return len(latest) == SOFT_BOUNCE_LIMIT and all(name in bounced for name in latest)

    def record_complaint(self, email: str, issue: str | None, detail: str) -> None:
        """Record a spam complaint: the address is never mailed again."""
        self._suppress(email, COMPLAINED, "complaint", issue, detail)

    def status(self, email: str) -> str | None:
        """The address's status, or None if the store does not know it."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(t.subscribers.c.status).where(t.subscribers.c.key == key_of(email))
            ).scalar()
        return str(found) if found is not None else None

    def history(self, email: str) -> list[Event]:
        """Every change of the address's status, oldest first."""
        query = select(t.events).where(t.events.c.key == key_of(email)).order_by(t.events.c.id)
        with self.engine.connect() as conn:
            return [
                Event(r.at, r.from_status, r.to_status, r.how, r.issue, r.detail)
                for r in conn.execute(query)
            ]

    def active(self) -> list[Subscriber]:
        """The active subscribers, in the order they joined."""
        query = (
            select(t.subscribers.c.email, t.subscribers.c.name)
            .where(t.subscribers.c.status == ACTIVE)
            .order_by(t.subscribers.c.id)
        )
        with self.engine.connect() as conn:
            return [Subscriber(email, name) for email, name in conn.execute(query)]

    def active_keys(self) -> set[str]:
        """The keys (``key_of``) of the active subscribers: who a send may still mail."""
        query = select(t.subscribers.c.key).where(t.subscribers.c.status == ACTIVE)
        with self.engine.connect() as conn:
            return {str(key) for (key,) in conn.execute(query)}

    def rows(self, status: str | None = None) -> list[tuple[str, str, str, float]]:
        """Every address (email, name, status, last change), optionally of one status."""
        c = t.subscribers.c
        query = select(c.email, c.name, c.status, c.updated).order_by(c.id)
        if status is not None:
            query = query.where(c.status == status)
        with self.engine.connect() as conn:
            return [(e, n, s, u) for e, n, s, u in conn.execute(query)]

    def count(self, status: str | None = None) -> dict[str, int]:
        """How many addresses have each status (or the one asked for)."""
        c = t.subscribers.c
        query = select(c.status, func.count()).group_by(c.status)
        with self.engine.connect() as conn:
            found = {s: n for s, n in conn.execute(query)}
        names = (status,) if status is not None else STATUSES
        return {name: int(found.get(name, 0)) for name in names}

    def forget(self, email: str) -> bool:
        """Erase an address's personal data, keeping a keyed hash that blocks it for good."""
        key = key_of(email)
        digest = self._digest(key)

        def work(conn: Connection) -> bool:
            known = self._row(conn, key) is not None
            for table in (t.subscribers, t.events, t.bounces):
                conn.execute(delete(table).where(table.c.key == key))
            # The send log keeps its counts, with the digest in place of the address.
            conn.execute(
                update(t.sends)
                .where(t.sends.c.key == key)
                .values(email="forgotten:" + digest, key="forgotten:" + digest, message_id="")
            )
            if self._is_forgotten(conn, key):
                return known
            conn.execute(insert(t.forgotten).values(digest=digest, at=time.time()))
            return True

        done = self._tx(work)
        if self.dialect == "sqlite":
            # Fold the write-ahead log into the file now, so no old page holds the address.
            raw = self.engine.raw_connection()
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
        return done

    def is_blocked(self, email: str) -> bool:
        """Whether the address must never be mailed: suppressed, or erased and not back."""
        key = key_of(email)
        with self.engine.connect() as conn:
            found = conn.execute(
                select(t.subscribers.c.status).where(t.subscribers.c.key == key)
            ).scalar()
            if found in (ACTIVE, PENDING):
                return False
            return found in BLOCKED or self._is_forgotten(conn, key)

    def _is_forgotten(self, conn: Connection, key: str) -> bool:
        digest = self._digest(key)
        query = select(t.forgotten.c.digest).where(t.forgotten.c.digest == digest)
        return conn.execute(query).first() is not None

    def _digest(self, key: str) -> str:
        return hmac.new(self._key(), key.encode("utf-8"), hashlib.sha256).hexdigest()

    def _key(self) -> bytes:
        # A key held by the store, not NEWSLETTER_UNSUBSCRIBE_SECRET: rotating that secret must
        # not silently unblock every erased address.
        if self._secret is None:
            self._secret = bytes.fromhex(self._setting("erasure-key", secrets.token_hex(32)))
        return self._secret

    def _setting(self, name: str, default: str) -> str:
        """A stored setting, created with ``default`` on first use."""

        def work(conn: Connection) -> str:
            query = select(t.settings.c.value).where(t.settings.c.name == name)
            found = conn.execute(query).scalar()
            if found is None:
                conn.execute(insert(t.settings).values(name=name, value=default))
                return default
            return str(found)

        return self._tx(work)

    def _put_setting(self, conn: Connection, name: str, value: str) -> None:
        conn.execute(delete(t.settings).where(t.settings.c.name == name))
        conn.execute(insert(t.settings).values(name=name, value=value))

    # -- bounce mailboxes -------------------------------------------------------------------

    def processed(self, message_id: str) -> bool:
        """Whether a bounce or complaint report was already read."""
        query = select(t.processed.c.message_id).where(t.processed.c.message_id == message_id)
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def mark_processed(self, message_id: str, outcome: str) -> None:
        """Remember a report as read (a second mark is ignored)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(t.processed).values(
                        message_id=message_id, at=time.time(), outcome=outcome
                    )
                )
        except IntegrityError:
            pass

    # -- the old files ----------------------------------------------------------------------

    def _import_legacy(self, legacy: _Legacy) -> None:
        """Bring in the old send log and suppression list when they are new or changed."""
        if legacy.send_stamp and self._setting("imported:sends.sqlite", "") != legacy.send_stamp:
            self._merge_sends(legacy.send_rows, legacy.send_stamp)
        digest = legacy.suppressed_digest
        if digest and self._setting("imported:suppressed.csv", "") != digest:
            self._merge_suppressed(legacy.suppressed, digest)

    def _merge_sends(self, rows: list[tuple[Any, ...]], stamp: str) -> None:
        # The old file may still be written by an older `newsletter send`: read it, never
        # change it, and let a newer row win over an older one, so re-merging is harmless.
        def work(conn: Connection) -> None:
            for issue, email, mid, status, attempts, detail, updated, unknowns in rows:
                where = (t.sends.c.issue == issue) & (t.sends.c.key == key_of(email))
                mine = conn.execute(select(t.sends.c.updated).where(where)).scalar()
                values = dict(
                    message_id=mid,
                    status=status,
                    attempts=attempts,
                    detail=detail,
                    updated=updated,
                    unknowns=unknowns,
                )
                if mine is None:
                    conn.execute(
                        insert(t.sends).values(
                            issue=issue, email=email, key=key_of(email), **values
                        )
                    )
                elif mine < updated:
                    conn.execute(update(t.sends).where(where).values(**values))
            self._put_setting(conn, "imported:sends.sqlite", stamp)

        self._tx(work)
        log.info("merged %d row(s) of the old send log into the store", len(rows))

    def _merge_suppressed(self, suppressed: dict[str, str], digest: str) -> None:
        def work(conn: Connection) -> None:  # one transaction: all of the list or none of it
            for email, reason in suppressed.items():
                lowered = reason.strip().lower()
                status = (
                    BOUNCED
                    if "bounce" in lowered
                    else COMPLAINED
                    if "complain" in lowered
                    else UNSUBSCRIBED
                )
                self._suppress_in(conn, email, status, "suppressed.csv", None, lowered)
            self._put_setting(conn, "imported:suppressed.csv", digest)

        self._tx(work)
        log.info("imported %d address(es) of suppressed.csv into the store", len(suppressed))

    # -- the send log -----------------------------------------------------------------------

    def send_log(self) -> SendLog:
        """The send log kept in this store."""
        from newsletter.subscribers import sendlog  # imported here: sendlog imports this module

        return sendlog.SendLog(self)


# One statement for a whole batch of unsubscribes (executemany).
_UNSUBSCRIBE_ROW = (
    update(t.subscribers)
    .where(t.subscribers.c.key == bindparam("row"))
    .values(status=UNSUBSCRIBED, updated=bindparam("at"))
)


def _pool_options(url: str) -> dict[str, Any]:
    """The engine's options; a server database's pool keeps one connection per store thread.

    QueuePool closes every connection beyond ``pool_size`` when it is returned, so a pool
    smaller than the service's threads would open a new connection for most requests.
    """
    # No statement's parameters in error messages: they hold addresses, and errors get logged.
    if url.startswith("sqlite"):
        return {"hide_parameters": True}
    return {"hide_parameters": True, "pool_size": SERVER_THREADS + 2, "max_overflow": 8}


def _shown(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ValueError, SQLAlchemyError):
        return "(an invalid URL)"


def _lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key for a name."""
    digest = hashlib.sha256(f"newsletter:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _where(engine: Engine) -> str:
    """The store as messages name it: the SQLite file's path, else the URL sans password."""
    if engine.dialect.name == "sqlite" and engine.url.database:
        return display_path(Path(engine.url.database))
    return _shown(str(engine.url))
