"""The auth service: id tokens, Authorize decisions (Redis-cached), local authorization lists."""

from __future__ import annotations

import asyncpg
import grpc
from redis.asyncio import Redis

from chargeplane.config import Settings
from chargeplane.pb.auth.v1 import auth_pb2, auth_pb2_grpc
from chargeplane.rpc.server import HealthServicer, mark_serving

from .servicer import AuthServicer

SERVICE_NAME: str = auth_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name

__all__ = ["SERVICE_NAME", "AuthServicer", "add_to_server"]


def add_to_server(
    server: grpc.aio.Server,
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
    *,
    health_servicer: HealthServicer | None = None,
) -> None:
    """Register the auth service on `server` and mark it SERVING in grpc.health.v1 (pass the
    server's `health_servicer` when several services share one server)."""
    auth_pb2_grpc.add_AuthServiceServicer_to_server(AuthServicer(pool, redis, settings), server)
    mark_serving(server, SERVICE_NAME, health_servicer)
