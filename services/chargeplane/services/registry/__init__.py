"""The registry service: charge points, boot decisions, connector states, last-seen times."""

from __future__ import annotations

import asyncpg
import grpc
from redis.asyncio import Redis

from chargeplane.config import Settings
from chargeplane.pb.registry.v1 import registry_pb2, registry_pb2_grpc
from chargeplane.rpc.server import HealthServicer, mark_serving

from .servicer import RegistryServicer

SERVICE_NAME: str = registry_pb2.DESCRIPTOR.services_by_name["RegistryService"].full_name

__all__ = ["SERVICE_NAME", "RegistryServicer", "add_to_server"]


def add_to_server(
    server: grpc.aio.Server,
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
    *,
    health_servicer: HealthServicer | None = None,
) -> None:
    """Register the registry on `server` and mark it SERVING in grpc.health.v1.

    `redis` must return bytes (decode_responses=False). Pass the server's
    `health_servicer` when several services share one server (chargeplane.rpc.server).
    """
    registry_pb2_grpc.add_RegistryServiceServicer_to_server(RegistryServicer(pool, redis, settings), server)
    mark_serving(server, SERVICE_NAME, health_servicer)
