"""The list service's small parts: client address behind proxies, rate limit, SNS strings,
group commit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from newsletter.subscribers import ses
from newsletter.subscribers.batch import GroupCommit
from newsletter.subscribers.proxies import client_ip, networks
from newsletter.subscribers.ratelimit import RateLimiter
from newsletter.subscribers.store import Store

PROXIES = networks(["10.0.0.0/8", "127.0.0.1"])


@pytest.mark.parametrize(
    ("peer", "header", "expected"),
    [
        ("198.51.100.7", "203.0.113.9", "198.51.100.7"),  # not a proxy: header ignored
        ("127.0.0.1", "203.0.113.9", "203.0.113.9"),
        ("127.0.0.1", "6.6.6.6, 203.0.113.9, 10.1.2.3", "203.0.113.9"),  # spoofed left part
        ("127.0.0.1", "10.0.0.5", "10.0.0.5"),  # only proxies: the leftmost
        ("127.0.0.1", None, "127.0.0.1"),
        (None, "203.0.113.9", "unknown"),
    ],
)
def test_client_address(peer: str | None, header: str | None, expected: str) -> None:
    assert client_ip(peer, header, PROXIES) == expected


def test_rate_limit_refills_over_time() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 60, clock=lambda: now[0])
    assert [limiter.hit("a"), limiter.hit("a")] == [0.0, 0.0]
    assert limiter.hit("a") == pytest.approx(30.0)
    assert limiter.hit("b") == 0.0
    now[0] = 30.0
    assert limiter.hit("a") == 0.0


def test_rate_limit_memory_is_bounded() -> None:
    limiter = RateLimiter(1, 60, clock=lambda: 0.0, max_clients=10)
    for i in range(100):
        limiter.hit(str(i))
    assert len(limiter._buckets) == 10


def test_sns_string_to_sign_skips_a_missing_subject() -> None:
    message = {
        "Type": "Notification",
        "MessageId": "m",
        "TopicArn": "t",
        "Message": "hello\nworld",
        "Timestamp": "2026-01-01T00:00:00.000Z",
    }
    assert ses.string_to_sign(message) == (
        b"Message\nhello\nworld\nMessageId\nm\nTimestamp\n2026-01-01T00:00:00.000Z\n"
        b"TopicArn\nt\nType\nNotification\n"
    )


def test_issue_from_message_id() -> None:
    assert ses.issue_of({"commonHeaders": {"messageId": "<ishm-328.2021-11-11.ab12@x.org>"}}) == (
        "2021-11-11"
    )
    assert ses.issue_of({"headers": [{"name": "message-id", "value": "<ishm-9.2020-01-02@x>"}]})
    assert ses.issue_of({"commonHeaders": {"messageId": "<random@elsewhere>"}}) is None


Request = tuple[str, str, str | None]


def _burst(store: Store, items: list[Request]) -> list[BaseException | None]:
    """Submit every item at once, as concurrent requests do; each one's outcome."""
    pool = ThreadPoolExecutor(max_workers=1)  # the service's one SQLite thread

    async def run(work: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(pool, work, *args)

    async def submit_all() -> list[BaseException | None]:
        group: GroupCommit[Request] = GroupCommit(run, store.unsubscribe_many)
        return await asyncio.gather(*(group.submit(i) for i in items), return_exceptions=True)

    try:
        return asyncio.run(submit_all())
    finally:
        pool.shutdown()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "state")
    opened.subscribe_many([(f"r{i}@example.org", "") for i in range(30)], "import")
    yield opened
    opened.close()


def test_unsubscribes_arriving_together_share_one_commit(store: Store) -> None:
    addresses = [f"r{i}@example.org" for i in range(30)]
    commits: list[int] = []
    sa.event.listen(store.engine, "commit", lambda _conn: commits.append(1))
    assert _burst(store, [(a, "one-click", None) for a in addresses]) == [None] * 30
    assert len(commits) == 1
    assert all(store.status(a) == "unsubscribed" for a in addresses)


def test_one_failing_unsubscribe_does_not_fail_its_batch(store: Store) -> None:
    addresses = [f"r{i}@example.org" for i in range(30)]
    items = [(a, "one-click", None) for a in addresses] + [("r0@example.org", "bad", None)]
    outcomes = _burst(store, items)
    assert outcomes[:-1] == [None] * 30  # each committed again on its own
    assert isinstance(outcomes[-1], ValueError)
    assert all(store.status(a) == "unsubscribed" for a in addresses)
