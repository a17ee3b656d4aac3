"""Group commit: requests that arrive while the store is committing go in the next transaction.

A commit costs a disk flush (SQLite ``synchronous=FULL``, PostgreSQL's WAL), and the store
takes one writer at a time: one transaction per request would queue every request behind the
flushes of all those before it. Each caller still waits for the commit that holds its own item,
so an answer is never sent before its change is durable.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Runner = Callable[..., Awaitable[Any]]


class GroupCommit(Generic[Item]):
    """Hand every waiting item to ``commit_many`` at once, one batch at a time."""

    def __init__(
        self,
        run: Runner,
        commit_many: Callable[[list[Item]], None],
        max_batch: int = 500,
    ) -> None:
        self.run = run  # runs a blocking call off the event loop: run(function, *args)
        self.commit_many = commit_many
        self.max_batch = max_batch
        self._waiting: list[tuple[Item, asyncio.Future[None]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> None:
        """Return once ``item`` is committed; raise what committing it raised."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._draining is None:
            self._draining = asyncio.create_task(self._drain())
        # A client that goes away does not take its item out of the batch: the request was
        # received, so it is recorded all the same.
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            future.add_done_callback(_log_failure)  # nobody is left to see it fail
            raise

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                await self._commit(batch)
        finally:
            self._draining = None

    async def _commit(self, batch: list[tuple[Item, asyncio.Future[None]]]) -> None:
        started = time.perf_counter()
        try:
            await self.run(self.commit_many, [item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exc)
                return
            # One bad item must not fail the others: each again in its own transaction.
            log.warning("a batch of %d failed; committing each alone", len(batch))
            for one in batch:
                await self._commit([one])
            return
        log.debug("committed %d in %.1f ms", len(batch), (time.perf_counter() - started) * 1000)
        for _, future in batch:
            _settle(future)


def _settle(future: asyncio.Future[None], exc: BaseException | None = None) -> None:
    if future.done():  # cancelled: the server is shutting down
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(None)


def _log_failure(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        # The type only: a database error's text could hold an address.
        log.error("an abandoned item failed: %s", type(future.exception()).__name__)
