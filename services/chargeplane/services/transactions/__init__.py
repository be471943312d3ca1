"""The transactions service: one lifecycle for both OCPP versions' transactions, and the
meter-value stream writer."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from redis.asyncio import Redis

from chargeplane.config import Settings
from chargeplane.pb.transactions.v1 import transactions_pb2, transactions_pb2_grpc

from .meter_writer import MeterWriter, maintain_partitions
from .servicer import TransactionsServicer

SERVICE_NAME: str = transactions_pb2.DESCRIPTOR.services_by_name["TransactionsService"].full_name

_pending: set[asyncio.Task[None]] = set()

__all__ = ["SERVICE_NAME", "MeterWriter", "TransactionsServicer", "add_to_server", "maintain_partitions"]


def add_to_server(
    server: grpc.aio.Server,
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
    *,
    health_servicer: Any = None,
) -> MeterWriter:
    """Register the service on `server`, mark it SERVING, and return its meter-stream
    writer: the caller starts it (`start()`) with the server and stops it (`await stop()`)."""
    transactions_pb2_grpc.add_TransactionsServiceServicer_to_server(TransactionsServicer(pool, redis, settings), server)
    if health_servicer is None:
        health_servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    update = health_servicer.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(update)
    else:
        task = loop.create_task(update)
        _pending.add(task)
        task.add_done_callback(_pending.discard)
    return MeterWriter(pool, redis, settings)
