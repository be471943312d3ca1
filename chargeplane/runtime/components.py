"""Building blocks of every runtime: storage clients, the gRPC server, the gateway, the API.

`chargeplane run` composes all of them in one process; `chargeplane serve <component>`
runs one per process, as the pods do. Either way the gateway reaches the registry over
gRPC (grpc.aio), never by a direct call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg
import grpc
import uvicorn
from redis.asyncio import Redis

from chargeplane.config import Settings

if TYPE_CHECKING:
    from chargeplane.gateway.server import GatewayServer

log = logging.getLogger(__name__)


async def open_pool(stack: contextlib.AsyncExitStack, settings: Settings) -> asyncpg.Pool:
    from chargeplane.db.migrate import upgrade
    from chargeplane.db.pool import create_pool

    await asyncio.to_thread(upgrade, settings.postgres_url)
    pool = await create_pool(settings.postgres_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    stack.push_async_callback(pool.close)
    return pool


def open_redis(stack: contextlib.AsyncExitStack, settings: Settings) -> Redis:
    redis = Redis.from_url(settings.redis_url, health_check_interval=10, socket_connect_timeout=2)
    stack.push_async_callback(redis.aclose)
    return redis


async def start_grpc(
    stack: contextlib.AsyncExitStack, settings: Settings, pool: asyncpg.Pool, redis: Redis
) -> tuple[grpc.aio.Server, int]:
    from chargeplane.services.registry import add_to_server

    server = grpc.aio.server()
    add_to_server(server, pool, redis, settings)
    port = server.add_insecure_port(f"{settings.grpc_host}:{settings.grpc_port}")
    await server.start()
    stack.push_async_callback(server.stop, 5.0)
    return server, port


async def open_channel(stack: contextlib.AsyncExitStack, target: str) -> grpc.aio.Channel:
    channel = grpc.aio.insecure_channel(target)
    stack.push_async_callback(channel.close)
    return channel


async def start_gateway(
    stack: contextlib.AsyncExitStack, settings: Settings, redis: Redis, registry: grpc.aio.Channel
) -> GatewayServer:
    from chargeplane.gateway.backend import GrpcBackend

    backend = GrpcBackend(registry, deadline=settings.service_deadline, flush_interval=settings.activity_flush_interval)
    backend.start()
    stack.push_async_callback(backend.stop)
    gateway = GatewayServer(settings, backend, redis)
    await gateway.start()
    stack.push_async_callback(gateway.stop)
    return gateway


class _ApiServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the runtime owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def start_api(
    stack: contextlib.AsyncExitStack, settings: Settings, pool: asyncpg.Pool, registry: grpc.aio.Channel
) -> tuple[int, str]:
    from chargeplane.services.api import create_app, ensure_bootstrap_token

    token = await ensure_bootstrap_token(pool, settings)
    app = create_app(settings, pool, registry)
    config = uvicorn.Config(
        app, host=settings.api_host, port=settings.api_port, log_config=None, access_log=False, lifespan="off"
    )
    server = _ApiServer(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # re-raise the start-up failure (e.g. port in use)
        await asyncio.sleep(0.01)

    async def shutdown() -> None:
        server.should_exit = True
        await task

    stack.push_async_callback(shutdown)
    port: int = server.servers[0].sockets[0].getsockname()[1]
    return port, token


@dataclass
class AllInOne:
    settings: Settings
    gateway: GatewayServer
    grpc_port: int
    api_port: int
    api_token: str
    pool: asyncpg.Pool
    redis: Redis

    @property
    def gateway_port(self) -> int:
        return self.gateway.port


@contextlib.asynccontextmanager
async def all_in_one(settings: Settings) -> AsyncIterator[AllInOne]:
    """Every service and one gateway in this process, on the given storage URLs."""
    async with contextlib.AsyncExitStack() as stack:
        pool = await open_pool(stack, settings)
        redis = open_redis(stack, settings)
        _, grpc_port = await start_grpc(stack, settings, pool, redis)
        own_grpc = f"{settings.grpc_host}:{grpc_port}"
        settings = settings.model_copy(
            update={"gateway_grpc_address": settings.gateway_grpc_address or own_grpc, "grpc_port": grpc_port}
        )
        registry = await open_channel(stack, settings.registry_address or own_grpc)
        gateway = await start_gateway(stack, settings, redis, registry)
        api_port, token = await start_api(stack, settings, pool, registry)
        yield AllInOne(settings, gateway, grpc_port, api_port, token, pool, redis)
