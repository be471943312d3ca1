"""The transactions service: one lifecycle for both OCPP versions' transactions, the
meter-value stream writer, and the transaction change feed (an outbox with a long-polled
read, for billing, smart charging and OCPI)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

import asyncpg
import grpc
from redis.asyncio import Redis

from chargeplane.config import Settings
from chargeplane.pb.transactions.v1 import transactions_pb2, transactions_pb2_grpc
from chargeplane.rpc.server import HealthServicer, mark_serving

from .changes import ChangeLog
from .meter_writer import MeterWriter, maintain_partitions
from .servicer import TransactionsServicer

SERVICE_NAME: str = transactions_pb2.DESCRIPTOR.services_by_name["TransactionsService"].full_name
PRUNE_INTERVAL = 3600.0

log = logging.getLogger(__name__)

__all__ = [
    "SERVICE_NAME",
    "MeterWriter",
    "TransactionsServicer",
    "TransactionsWorkers",
    "add_to_server",
    "maintain_partitions",
]


@dataclass
class TransactionsWorkers:
    """The background work of a transactions process: the meter-stream writer, the change
    feed's retention, and the feed's hint subscription. Started and stopped by the runtime."""

    writer: MeterWriter
    servicer: TransactionsServicer
    settings: Settings
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self) -> None:
        self.writer.start()
        self._tasks.append(asyncio.create_task(self._prune_forever(), name="transaction-changes-retention"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.servicer.hints.stop()
        await self.writer.stop()

    async def _prune_forever(self) -> None:
        changes: ChangeLog = self.servicer.changes
        while True:
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                removed = await changes.prune(self.settings.transaction_changes_retention_days)
                if removed:
                    log.info("transaction change feed: %d changes past retention removed", removed)
            await asyncio.sleep(PRUNE_INTERVAL)


def add_to_server(
    server: grpc.aio.Server,
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
    *,
    health_servicer: HealthServicer | None = None,
) -> TransactionsWorkers:
    """Register the service on `server`, mark it SERVING, and return its workers: the
    caller starts them (`start()`) with the server and stops them (`await stop()`)."""
    servicer = TransactionsServicer(pool, redis, settings)
    transactions_pb2_grpc.add_TransactionsServiceServicer_to_server(servicer, server)
    mark_serving(server, SERVICE_NAME, health_servicer)
    return TransactionsWorkers(MeterWriter(pool, redis, settings), servicer, settings)
