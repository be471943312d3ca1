"""The registry service: charge points, boot decisions, connector states, last-seen times."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from redis.asyncio import Redis

from chargeplane.config import Settings
from chargeplane.pb.registry.v1 import registry_pb2, registry_pb2_grpc

from .servicer import RegistryServicer

SERVICE_NAME: str = registry_pb2.DESCRIPTOR.services_by_name["RegistryService"].full_name

_pending: set[asyncio.Task[None]] = set()  # keeps fire-and-forget health updates alive

__all__ = ["SERVICE_NAME", "RegistryServicer", "add_to_server"]


def add_to_server(
    server: grpc.aio.Server,
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
    *,
    health_servicer: Any = None,
) -> None:
    """Register the registry on `server` and mark it SERVING in grpc.health.v1.

    `redis` must return bytes (decode_responses=False). Pass `health_servicer` (a
    grpc_health.v1.health.aio.HealthServicer) when several services share one server;
    otherwise one is created and registered here.
    """
    registry_pb2_grpc.add_RegistryServiceServicer_to_server(RegistryServicer(pool, redis, settings), server)
    if health_servicer is None:
        health_servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    _set_serving(health_servicer)


def _set_serving(health_servicer: Any) -> None:
    update = health_servicer.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # built before the event loop: nobody can be watching yet
        asyncio.run(update)
        return
    # Scheduled now, so it runs before the server (started later on this loop) takes calls.
    task = loop.create_task(update)
    _pending.add(task)
    task.add_done_callback(_pending.discard)
