"""A real registry: grpc.aio server on a free port, asyncpg pool, Redis, generated stub."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import asyncpg
import grpc
import pytest
from redis.asyncio import Redis

from chargeplane.config import Settings
from chargeplane.db.pool import create_pool
from chargeplane.pb.registry.v1 import registry_pb2_grpc
from chargeplane.services.registry import add_to_server

if TYPE_CHECKING:
    from chargeplane.pb.registry.v1.registry_pb2_grpc import RegistryServiceAsyncStub

StartRegistry = Callable[..., Awaitable["RegistryServiceAsyncStub"]]


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(db_url, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def start_registry(pool: asyncpg.Pool, redis: Redis) -> AsyncIterator[StartRegistry]:
    """start_registry(**settings) -> a stub connected to a fresh registry server."""
    servers: list[Any] = []
    channels: list[Any] = []

    async def start(**settings: Any) -> RegistryServiceAsyncStub:
        server = grpc.aio.server()
        add_to_server(server, pool, redis, Settings(**settings))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        servers.append(server)
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        channels.append(channel)
        return registry_pb2_grpc.RegistryServiceStub(channel)

    yield start
    for channel in channels:
        await channel.close()
    for server in servers:
        await server.stop(None)


@pytest.fixture
async def registry(start_registry: StartRegistry) -> RegistryServiceAsyncStub:
    """A registry with the dev boot policy."""
    return await start_registry(boot_policy="dev")
