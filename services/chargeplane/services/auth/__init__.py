"""The auth service: id tokens, Authorize decisions (Redis-cached), local authorization lists."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from redis.asyncio import Redis

from chargeplane.config import Settings
from chargeplane.pb.auth.v1 import auth_pb2, auth_pb2_grpc

from .servicer import AuthServicer

SERVICE_NAME: str = auth_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name

_pending: set[asyncio.Task[None]] = set()

__all__ = ["SERVICE_NAME", "AuthServicer", "add_to_server"]


def add_to_server(
    server: grpc.aio.Server,
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
    *,
    health_servicer: Any = None,
) -> None:
    """Register the auth service on `server` and mark it SERVING in grpc.health.v1."""
    auth_pb2_grpc.add_AuthServiceServicer_to_server(AuthServicer(pool, redis, settings), server)
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
