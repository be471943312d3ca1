"""A consumer of the transaction change feed (TransactionsService.ListTransactionChanges).

Billing, smart charging and OCPI each run one: it long-polls the feed from its cursor, hands
every change to the consumer's handler in commit order, and stores the cursor in the
CONSUMER's own table after handling (`PgCursorStore`), so a restart resumes where it
stopped. Delivery is at least once: a crash between handling and storing the cursor hands
the same changes again, so handlers are idempotent on (transaction id, change id).

A handler that raises is retried (exponential backoff, capped) and the feed waits for it:
changes are handled in order or not at all, never skipped. A consumer that fell behind the
feed's retention (its cursor is older than the oldest change kept) is told through
`on_gap` (default: logged) and continues from the oldest kept change; it should re-read
what it mirrors (ListTransactions).

Metrics, per consumer: changes handled, handler and feed errors, the cursor, and the lag
(seconds from a change's commit to its handling; 0 while caught up).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

import asyncpg
import grpc
from prometheus_client import Counter, Gauge

from chargeplane.pb.transactions.v1 import transactions_pb2 as pb

if TYPE_CHECKING:
    from chargeplane.pb.transactions.v1.transactions_pb2_grpc import TransactionsServiceAsyncStub

log = logging.getLogger(__name__)

FEED_CHANGES = Counter("chargeplane_feed_changes_total", "Transaction changes handled by a feed consumer", ["consumer"])
FEED_ERRORS = Counter(
    "chargeplane_feed_errors_total", "Failed feed reads and handler calls of a consumer", ["consumer", "stage"]
)
FEED_LAG = Gauge(
    "chargeplane_feed_lag_seconds", "Seconds from a change's commit to its handling (0: caught up)", ["consumer"]
)
FEED_CURSOR = Gauge("chargeplane_feed_cursor", "The last change id a consumer handled", ["consumer"])

Handler = Callable[[pb.TransactionChange], Awaitable[None]]
GapHandler = Callable[[int, int], Awaitable[None]]
_T = TypeVar("_T")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class CursorStore(Protocol):
    """Where a consumer keeps its cursor (the last change id it handled; 0: none)."""

    async def load(self) -> int: ...

    async def save(self, change_id: int) -> None: ...


class PgCursorStore:
    """A consumer's cursor in a table of its own, created by the consumer's migration:
    `CREATE TABLE <table> (consumer text PRIMARY KEY, change_id bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now())`. `consumer` names the cursor (one
    table may hold several). The cursor never moves backwards."""

    def __init__(self, pool: asyncpg.Pool, table: str, consumer: str) -> None:
        if not _IDENTIFIER.match(table):
            raise ValueError(f"not a plain table name: {table!r}")
        self.pool = pool
        self.consumer = consumer
        self._load = f"SELECT change_id FROM {table} WHERE consumer = $1"
        self._save = (
            f"INSERT INTO {table} AS c (consumer, change_id) VALUES ($1, $2) ON CONFLICT (consumer) "
            "DO UPDATE SET change_id = GREATEST(c.change_id, EXCLUDED.change_id), updated_at = now()"
        )

    async def load(self) -> int:
        value = await self.pool.fetchval(self._load, self.consumer)
        return int(value or 0)

    async def save(self, change_id: int) -> None:
        await self.pool.execute(self._save, self.consumer, change_id)


@dataclass(frozen=True, slots=True)
class FeedOptions:
    batch: int = 100  # changes per read
    wait_seconds: float = 20.0  # long poll
    deadline_margin: float = 5.0  # the read's gRPC deadline is wait_seconds + this
    backoff_base: float = 0.2
    backoff_max: float = 30.0


class TransactionFeed:
    """One consumer: `start()` runs it in the background, `await stop()` ends it."""

    def __init__(
        self,
        stub: TransactionsServiceAsyncStub,
        cursor: CursorStore,
        handler: Handler,
        *,
        name: str,
        options: FeedOptions | None = None,
        on_gap: GapHandler | None = None,
    ) -> None:
        self.stub = stub
        self.cursor = cursor
        self.handler = handler
        self.name = name
        self.options = options or FeedOptions()
        self.on_gap = on_gap or self._log_gap
        self.position = 0  # the last change id handled (and stored)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run(), name=f"feed-{self.name}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def run(self) -> None:
        self.position = await self._retry("cursor", self.cursor.load)
        FEED_CURSOR.labels(self.name).set(self.position)
        while True:
            response = await self._retry("read", self._read)
            await self._check_gap(response.oldest_kept_change_id)
            if not response.changes:
                FEED_LAG.labels(self.name).set(0)
                continue
            for change in response.changes:
                await self._retry("handle", functools.partial(self._handle, change))
            await self._retry("cursor", lambda: self.cursor.save(self.position))

    async def _read(self) -> pb.ListTransactionChangesResponse:
        o = self.options
        request = pb.ListTransactionChangesRequest(
            after_change_id=self.position, limit=o.batch, wait_seconds=o.wait_seconds
        )
        return await self.stub.ListTransactionChanges(request, timeout=o.wait_seconds + o.deadline_margin)

    async def _handle(self, change: pb.TransactionChange) -> None:
        await self.handler(change)
        self.position = change.change_id
        FEED_CHANGES.labels(self.name).inc()
        FEED_CURSOR.labels(self.name).set(change.change_id)
        committed = change.committed_at.seconds + change.committed_at.nanos / 1e9
        FEED_LAG.labels(self.name).set(max(time.time() - committed, 0.0))

    async def _check_gap(self, oldest_kept: int) -> None:
        if oldest_kept > self.position + 1:
            await self.on_gap(self.position, oldest_kept)
            self.position = oldest_kept - 1
            await self._retry("cursor", lambda: self.cursor.save(self.position))

    async def _log_gap(self, position: int, oldest_kept: int) -> None:
        log.error(
            "feed consumer %s: changes %d to %d are past the feed's retention and were never handled",
            self.name,
            position + 1,
            oldest_kept - 1,
        )

    async def _retry(self, stage: str, attempt: Callable[[], Awaitable[_T]]) -> _T:
        """`attempt()` until it succeeds, backing off (full jitter) between failures."""
        delay = self.options.backoff_base
        while True:
            try:
                return await attempt()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - every failure is retried; none may skip a change
                FEED_ERRORS.labels(self.name, stage).inc()
                level = logging.DEBUG if _is_deadline(exc) else logging.WARNING
                log.log(level, "feed consumer %s: %s failed (%s); retrying", self.name, stage, exc)
                await asyncio.sleep(random.uniform(0, delay))
                delay = min(delay * 2, self.options.backoff_max)


def _is_deadline(exc: Exception) -> bool:
    return isinstance(exc, grpc.aio.AioRpcError) and exc.code() is grpc.StatusCode.DEADLINE_EXCEEDED


__all__ = ["CursorStore", "FeedOptions", "PgCursorStore", "TransactionFeed"]
