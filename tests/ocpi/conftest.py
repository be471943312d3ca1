"""OCPI tests: a real registry (gRPC), real PostgreSQL and Redis; partners are separate
processes (tests/ocpi/peer) that speak only HTTP."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import asyncpg
import grpc
import httpx
import pytest
from redis.asyncio import Redis

from chargeplane.config import Settings
from chargeplane.db.pool import create_pool
from chargeplane.pb.ocpi.v1 import ocpi_pb2_grpc
from chargeplane.pb.registry.v1 import registry_pb2_grpc
from chargeplane.runtime.components import AllInOne
from chargeplane.services.registry import add_to_server


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Retries of failed pushes come back within a second (the default backs off to minutes)."""
    return settings.model_copy(update={"ocpi_push_max_backoff": 1.0, "ocpi_push_max_attempts": 1000})


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
async def registry(
    pool: asyncpg.Pool, redis: Redis, settings: Settings
) -> AsyncIterator[registry_pb2_grpc.RegistryServiceAsyncStub]:
    """A registry service (dev boot policy) on a free port, and a stub to it."""
    server = grpc.aio.server()
    add_to_server(server, pool, redis, settings)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield registry_pb2_grpc.RegistryServiceStub(channel)
    await channel.close()
    await server.stop(None)


@pytest.fixture
async def ocpi_admin(allinone: AllInOne) -> AsyncIterator[ocpi_pb2_grpc.OcpiServiceAsyncStub]:
    """The OcpiService (gRPC) of the all-in-one CSMS."""
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{allinone.grpc_port}")
    yield ocpi_pb2_grpc.OcpiServiceStub(channel)
    await channel.close()


@pytest.fixture
async def ocpi_http(allinone: AllInOne) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client on the OCPI port (no credentials)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{allinone.ocpi_port}", timeout=10) as client:
        yield client


def token_header(token: str, *, encode: bool = True) -> dict[str, str]:
    value = base64.b64encode(token.encode()).decode() if encode else token
    return {"Authorization": f"Token {value}"}
