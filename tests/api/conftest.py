"""The REST API over real sockets: uvicorn on a free port, a real registry gRPC server,
PostgreSQL and Redis; requests through httpx."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import grpc
import httpx
import pytest
import uvicorn
from redis.asyncio import Redis

from chargeplane.config import Settings
from chargeplane.db.pool import create_pool
from chargeplane.pb.registry.v1 import registry_pb2_grpc
from chargeplane.services.api import create_app, ensure_bootstrap_token
from chargeplane.services.registry import add_to_server
from tests.eventually import eventually


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
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", boot_policy="dev", service_deadline=2.0)  # type: ignore[arg-type]


@dataclass
class Api:
    client: httpx.AsyncClient  # authenticated with the bootstrap token
    anonymous: httpx.AsyncClient
    token: str
    registry: registry_pb2_grpc.RegistryServiceAsyncStub  # direct gRPC access, to set up data
    registry_server: Any


@pytest.fixture
async def api(pool: asyncpg.Pool, redis: Redis, settings: Settings) -> AsyncIterator[Api]:
    registry_server = grpc.aio.server()
    add_to_server(registry_server, pool, redis, settings)
    port = registry_server.add_insecure_port("127.0.0.1:0")
    await registry_server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")

    token = await ensure_bootstrap_token(pool, settings)
    app = create_app(settings, pool, channel)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    await eventually(lambda: server.started or serving.done())
    assert server.started, "uvicorn did not start"
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    async with (
        httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as client,
        httpx.AsyncClient(base_url=base_url) as anonymous,
    ):
        yield Api(client, anonymous, token, registry_pb2_grpc.RegistryServiceStub(channel), registry_server)

    server.should_exit = True
    await serving
    sock.close()
    await channel.close()
    await registry_server.stop(None)
