"""The subscriber store's API, on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from newsletter.errors import NewsletterError
from newsletter.subscribers.sendlog import SendLog
from newsletter.subscribers.store import Store
from newsletter.subscribers.store import database_url as url_for


@pytest.fixture
def store(tmp_path: Path, database_url: str) -> Iterator[Store]:
    opened = Store.open(tmp_path / "state", database_url)
    yield opened
    opened.close()


def test_subscribe_confirm_and_history(store: Store) -> None:
    assert store.subscribe("Ann.Lee@Example.org", "Ann") == "pending"
    assert store.status("ann.lee@example.org") == "pending"
    assert store.active() == []
    assert store.confirm("ANN.LEE@example.org") is True
    assert store.confirm("ann.lee@example.org") is False  # no longer pending
    assert [(s.email, s.name) for s in store.active()] == [("Ann.Lee@Example.org", "Ann")]
    assert store.subscribe("ann.lee@example.org", source="form") == "active"  # stays active
    store.unsubscribe("ann.lee@example.org", "one-click", "2021-11-11")
    store.unsubscribe("ann.lee@example.org", "link")  # idempotent: nothing new recorded
    steps = [
        (e.from_status, e.to_status, e.how, e.issue) for e in store.history("ann.lee@EXAMPLE.org")
    ]
    assert steps == [
        (None, "pending", "form", None),
        ("pending", "active", "confirmed", None),
        ("active", "unsubscribed", "one-click", "2021-11-11"),
    ]
    assert store.is_blocked("Ann.Lee@example.org")
    # Back only through the form, and pending again (double opt-in); never through an import.
    assert store.subscribe("ann.lee@example.org", source="import") == "unsubscribed"
    assert store.subscribe("ann.lee@example.org", source="form") == "pending"
    assert not store.is_blocked("ann.lee@example.org")


def test_internationalised_address_kept_as_written(store: Store) -> None:
    assert store.subscribe("Jörg@Bücher.example", "Jörg", source="import") == "active"
    assert store.status("jörg@bücher.example") == "active"
    assert store.active()[0].email == "Jörg@Bücher.example"


def test_bounces_hard_and_soft(store: Store) -> None:
    store.subscribe("hard@example.org", source="import")
    assert store.record_bounce("hard@example.org", "2021-11-11", True, "550 no such user") == (
        "bounced"
    )
    assert store.is_blocked("hard@example.org")
    store.subscribe("soft@example.org", source="import")
    log = store.send_log()
    for issue in ("i1", "i2", "i3", "i4"):
        log.attempt(issue, "soft@example.org", f"<{issue}>")
        log.outcome(issue, "soft@example.org", "sent")
    # Soft bounces on i1, i2, then a clean i3, then i4: not three issues in a row.
    assert store.record_bounce("soft@example.org", "i1", False, "452 mailbox full") == "active"
    assert store.record_bounce("soft@example.org", "i2", False, "452 mailbox full") == "active"
    assert store.record_bounce("soft@example.org", "i4", False, "452 mailbox full") == "active"
    log.attempt("i5", "soft@example.org", "<i5>")
    log.outcome("i5", "soft@example.org", "sent")
    assert store.record_bounce("soft@example.org", "i5", False, "452") == "active"
    log.attempt("i6", "soft@example.org", "<i6>")
    log.outcome("i6", "soft@example.org", "sent")
    assert store.record_bounce("soft@example.org", "i6", False, "452") == "bounced"
    assert store.history("soft@example.org")[-1].how == "soft bounces, 3 issues in a row"


def test_complaint_and_counts(store: Store) -> None:
    store.subscribe("a@example.org", source="import")
    store.subscribe("b@example.org")
    store.record_complaint("a@example.org", "2021-11-11", "abuse report")
    assert store.status("a@example.org") == "complained"
    assert store.count() == {
        "pending": 1,
        "active": 0,
        "unsubscribed": 0,
        "bounced": 0,
        "complained": 1,
    }
    assert store.count("pending") == {"pending": 1}


def test_forget_keeps_only_a_hash_and_blocks(store: Store, tmp_path: Path) -> None:
    store.subscribe("Erase.Me@Example.org", "Erase Me", source="import")
    log = store.send_log()
    log.attempt("2021-11-11", "erase.me@example.org", "<m@example.org>")
    log.outcome("2021-11-11", "erase.me@example.org", "sent")
    store.record_bounce("erase.me@example.org", "2021-11-11", False, "452 for erase.me")
    assert store.forget("erase.me@example.org") is True
    assert store.status("erase.me@example.org") is None
    assert store.history("erase.me@example.org") == []
    assert store.is_blocked("ERASE.ME@example.org")
    assert store.subscribe("erase.me@example.org", source="import") == "forgotten"
    assert store.status("erase.me@example.org") is None
    assert log.report("2021-11-11").sent == 1  # the send still counts, without the address
    # The person may come back through the form, and must confirm.
    assert store.subscribe("erase.me@example.org", source="form") == "pending"
    assert store.is_blocked("erase.me@example.org") is False
    assert store.confirm("erase.me@example.org")


def test_forget_leaves_no_bytes_in_the_sqlite_file(tmp_path: Path) -> None:
    state = tmp_path / "state"
    store = Store.open(state)
    for n in range(50):
        store.subscribe(f"keep{n}@example.org", f"Keeper {n}", source="import")
    store.subscribe("Secret.Person@Example.org", "Secret Person", source="import")
    store.record_complaint("secret.person@example.org", "i1", "complaint about Secret Person")
    store.forget("secret.person@example.org")
    store.close()
    for path in state.iterdir():
        data = path.read_bytes().lower()
        assert b"secret.person" not in data, path
        assert b"secret person" not in data, path


def test_send_log_interface(store: Store) -> None:
    log = store.send_log()
    log.attempt("i", "a@example.org", "<a>")
    log.attempt("i", "b@example.org", "<b>")
    log.attempt("i", "c@example.org", "<c>")
    log.outcome("i", "a@example.org", "sent")
    log.outcome("i", "b@example.org", "failed-permanent", "550 no")
    log.outcome("i", "c@example.org", "unknown", "no reply to DATA")
    assert log.statuses("i") == {
        "a@example.org": "sent",
        "b@example.org": "failed-permanent",
        "c@example.org": "unknown",
    }
    report = log.report("i", ["a@example.org", "b@example.org", "c@example.org", "d@example.org"])
    assert (report.sent, report.failed, report.unknown, report.pending) == (1, 1, 1, 1)
    assert report.failures == [("b@example.org", "550 no")]
    log.attempt("i", "a@example.org", "<a>")  # a retry counts attempts
    assert log.statuses("i")["a@example.org"] == "attempted"


def test_a_deferred_outcome_rides_in_the_next_attempts_commit(
    tmp_path: Path, database_url: str
) -> None:
    log = SendLog.open(tmp_path / "state", database_url)
    other = SendLog.open(tmp_path / "state", database_url)  # another process's view
    commits: list[int] = []
    sa.event.listen(log.store.engine, "commit", lambda _conn: commits.append(1))
    log.attempt("i", "a@example.org", "<a>")
    log.outcome("i", "a@example.org", "sent", defer=True)
    assert other.statuses("i") == {"a@example.org": "attempted"}  # not committed yet
    log.attempt("i", "b@example.org", "<b>")  # one commit holds a's outcome and b's attempt
    assert len(commits) == 2
    assert other.statuses("i") == {"a@example.org": "sent", "b@example.org": "attempted"}
    with pytest.raises(ValueError):  # a refusal never waits: a crash must not lose it
        log.outcome("i", "b@example.org", "failed-permanent", "550 no", defer=True)
    log.outcome("i", "b@example.org", "failed-permanent", "550 no")  # a refusal: at once
    assert other.statuses("i")["b@example.org"] == "failed-permanent"
    log.attempt("i", "c@example.org", "<c>")
    log.outcome("i", "c@example.org", "sent", defer=True)
    assert log.statuses("i")["c@example.org"] == "sent"  # a read of its own flushes first
    log.attempt("i", "d@example.org", "<d>")
    log.outcome("i", "d@example.org", "sent", defer=True)
    log.close()  # and so does close
    assert other.statuses("i")["d@example.org"] == "sent"
    other.close()


def test_lock_refuses_a_second_holder(tmp_path: Path, database_url: str) -> None:
    first = SendLog.open(tmp_path / "state", database_url)
    second = SendLog.open(tmp_path / "state", database_url)
    first.lock()
    with pytest.raises(NewsletterError, match="another send is running"):
        second.lock()
    first.close()
    second.lock()  # released by close
    second.close()


def test_old_send_log_and_suppressed_csv_are_merged(tmp_path: Path, database_url: str) -> None:
    state = tmp_path / "state"
    state.mkdir(parents=True, exist_ok=True)
    old = sqlite3.connect(state / "sends.sqlite")
    old.execute(
        "CREATE TABLE sends (issue TEXT NOT NULL, email TEXT NOT NULL, message_id TEXT NOT NULL,"
        " status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, detail TEXT NOT NULL"
        " DEFAULT '', updated REAL NOT NULL, PRIMARY KEY (issue, email))"
    )
    old.executemany(
        "INSERT INTO sends VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            ("2021-11-11", "a@example.org", "<a>", "sent", 1, "", 1.0),
            ("2021-11-11", "b@example.org", "<b>", "failed-permanent", 2, "550", 2.0),
            ("2021-11-11", "c@example.org", "<c>", "attempted", 1, "", 3.0),
        ],
    )
    old.commit()
    old.close()
    (state / "suppressed.csv").write_text(
        "email,reason\nGone@Example.org,unsubscribed\nbad@example.org,bounced\n", encoding="utf-8"
    )
    store = Store.open(state, database_url)
    log = store.send_log()
    assert log.statuses("2021-11-11") == {
        "a@example.org": "sent",
        "b@example.org": "failed-permanent",
        "c@example.org": "attempted",
    }
    assert store.status("gone@example.org") == "unsubscribed"
    assert store.status("bad@example.org") == "bounced"
    store.close()
    store = Store.open(state, database_url)  # a second open imports nothing twice
    assert len(store.send_log().statuses("2021-11-11")) == 3
    assert len(store.history("gone@example.org")) == 1
    store.close()


def test_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSLETTER_DATABASE_URL", raising=False)
    assert url_for(tmp_path) == f"sqlite:///{tmp_path.resolve() / 'newsletter.sqlite'}"
    assert url_for(tmp_path, "postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("NEWSLETTER_DATABASE_URL", "postgres://u@h/db")
    assert url_for(tmp_path) == "postgresql+psycopg://u@h/db"


def test_unreachable_database_is_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(NewsletterError, match=r"cannot open the database postgresql\+psycopg"):
        Store.open(tmp_path, "postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=2")


def test_migration_keeps_rows_and_reopens(tmp_path: Path, database_url: str) -> None:
    state = tmp_path / "state"
    store = Store.open(state, database_url)
    store.subscribe("kept@example.org", "Kept", source="import")
    store.send_log().attempt("i", "kept@example.org", "<k>")
    store.close()
    # Re-opening runs the migrations to head again: a no-op that keeps every row.
    store = Store.open(state, database_url)
    assert store.status("kept@example.org") == "active"
    assert store.send_log().statuses("i") == {"kept@example.org": "attempted"}
    with store.engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert version == "0002"
    store.close()


def test_two_processes_open_a_new_store_at_once(tmp_path: Path, database_url: str) -> None:
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from newsletter.subscribers.store import Store
        s = Store.open(Path({str(tmp_path / "state")!r}), {database_url!r})
        s.subscribe("race@example.org", source="import")
        s.close()
        """
    )
    runs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(2)]
    assert [run.wait(timeout=60) for run in runs] == [0, 0]
    store = Store.open(tmp_path / "state", database_url)
    assert store.count("active") == {"active": 1}
    store.close()


def test_two_processes_take_the_send_lock_at_once(tmp_path: Path, database_url: str) -> None:
    # Each process takes the lock, says so, and holds it a moment: exactly one may get it.
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from newsletter.errors import NewsletterError
        from newsletter.subscribers.sendlog import SendLog
        book = SendLog.open(Path({str(tmp_path / "state")!r}), {database_url!r})
        sys.stdin.readline()  # start together
        try:
            book.lock()
        except NewsletterError as exc:
            print("refused:", exc, flush=True)
        else:
            print("locked", flush=True)
            time.sleep(3)
        book.close()
        """
    )
    Store.open(tmp_path / "state", database_url).close()  # migrated before the race
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    time.sleep(2)  # both have opened the store
    for run in runs:
        assert run.stdin is not None
        run.stdin.write("go\n")
        run.stdin.flush()
    outputs = sorted(run.communicate(timeout=60)[0].split(":")[0].strip() for run in runs)
    assert outputs == ["locked", "refused"]


def test_unsubscribe_many_in_one_transaction(store: Store) -> None:
    store.subscribe_many([("a@example.org", ""), ("b@example.org", "")], "import")
    store.record_bounce("b@example.org", "2021-11-11", True, "550")
    store.forget("gone@example.org")
    commits: list[int] = []
    sa.event.listen(store.engine, "commit", lambda _conn: commits.append(1))
    store.unsubscribe_many(
        [
            ("A@example.org", "one-click", None),
            ("a@example.org", "link", None),  # the same address again: recorded once
            ("b@example.org", "one-click", None),  # bounced stays bounced
            ("new@example.org", "one-click", "2021-11-11"),  # unknown: kept as unsubscribed
            ("gone@example.org", "one-click", None),  # erased: never stored again
        ]
    )
    assert len(commits) == 1
    assert [(e.from_status, e.to_status, e.how) for e in store.history("a@example.org")][-1] == (
        "active",
        "unsubscribed",
        "one-click",
    )
    assert len(store.history("a@example.org")) == 2
    assert store.status("b@example.org") == "bounced"
    assert store.history("new@example.org")[-1].issue == "2021-11-11"
    assert store.status("gone@example.org") is None and store.is_blocked("gone@example.org")
    with pytest.raises(ValueError, match="how must be one of"):
        store.unsubscribe_many([("a@example.org", "clicked", None)])


def test_database_errors_carry_no_bound_values(store: Store) -> None:
    # Errors reach logs (the service's 500s): SQLAlchemy must not print the bound values.
    from newsletter.subscribers import schema

    store.subscribe("secret.reader@example.org", source="import")
    row = dict(key="secret.reader@example.org", email="x", status="active", created=0, updated=0)
    with pytest.raises(sa.exc.IntegrityError) as caught, store.engine.begin() as conn:
        conn.execute(sa.insert(schema.subscribers).values(**row))
    # SQLite's message names only the column; PostgreSQL's own DETAIL still quotes the key.
    assert "[parameters:" not in str(caught.value)
    assert "secret.reader" not in str(caught.value).split("[SQL:", 1)[1]
