"""Building blocks of every runtime: storage clients, gRPC servers, the gateway, the API.

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
from typing import TYPE_CHECKING, Any

import asyncpg
import grpc
import uvicorn
from redis.asyncio import Redis

from chargeplane.config import Settings
from chargeplane.rpc.server import GrpcServer, mark_serving
from chargeplane.rpc.server import grpc_server as _bind_grpc_server
from chargeplane.telemetry.tracing import traced_channel

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


def grpc_server(settings: Settings, port: int) -> GrpcServer:
    """A gRPC server on the services' host, with its one grpc.health.v1 service."""
    return _bind_grpc_server(settings.grpc_host, port)


async def start_grpc(stack: contextlib.AsyncExitStack, grpc_srv: GrpcServer) -> None:
    await grpc_srv.server.start()
    stack.push_async_callback(grpc_srv.server.stop, 5.0)


def add_registry(grpc_srv: GrpcServer, settings: Settings, pool: asyncpg.Pool, redis: Redis) -> None:
    from chargeplane.services.registry import add_to_server

    add_to_server(grpc_srv.server, pool, redis, settings, health_servicer=grpc_srv.health_servicer)


async def open_channel(stack: contextlib.AsyncExitStack, target: str) -> grpc.aio.Channel:
    channel = traced_channel(target)
    stack.push_async_callback(channel.close)
    return channel


def add_auth(grpc_srv: GrpcServer, settings: Settings, pool: asyncpg.Pool, redis: Redis) -> None:
    from chargeplane.services.auth import add_to_server

    add_to_server(grpc_srv.server, pool, redis, settings, health_servicer=grpc_srv.health_servicer)


def add_transactions(
    stack: contextlib.AsyncExitStack, grpc_srv: GrpcServer, settings: Settings, pool: asyncpg.Pool, redis: Redis
) -> None:
    """The transactions service and its meter-stream writer (a background task here)."""
    from chargeplane.services.transactions import add_to_server

    writer = add_to_server(grpc_srv.server, pool, redis, settings, health_servicer=grpc_srv.health_servicer)
    writer.start()
    stack.push_async_callback(writer.stop)


def add_billing(stack: contextlib.AsyncExitStack, grpc_srv: GrpcServer, settings: Settings, pool: asyncpg.Pool) -> None:
    """The billing service and its workers (webhook delivery, payment captures)."""
    from chargeplane.services.billing import add_to_server

    workers = add_to_server(grpc_srv.server, pool, settings, health_servicer=grpc_srv.health_servicer)
    workers.start()
    stack.push_async_callback(workers.stop)


async def add_smartcharging(
    stack: contextlib.AsyncExitStack, grpc_srv: GrpcServer, settings: Settings, pool: asyncpg.Pool, redis: Redis
) -> Any:
    """The smart-charging service and its planner loops (started here, stopped with the stack).
    Until command routing is shared, its pushes are recorded as not sent (UnroutedSender)."""
    from chargeplane.services.smartcharging import UnroutedSender, add_to_server

    engine = await add_to_server(
        grpc_srv.server,
        pool,
        redis,
        UnroutedSender(),
        health_servicer=grpc_srv.health_servicer,
        push_timeout=settings.call_timeout + 5,
    )
    await engine.start()
    stack.push_async_callback(engine.stop)
    if settings.openadr_vtn_url:
        from chargeplane.services.smartcharging.openadr import OpenAdrVen, VenConfig

        ven = OpenAdrVen(
            engine,
            VenConfig(
                settings.openadr_vtn_url,
                settings.openadr_ven_name,
                [s.strip() for s in settings.openadr_sites.split(",") if s.strip()],
                ven_id=settings.openadr_ven_id or None,
                cert=settings.openadr_cert or None,
                key=settings.openadr_key or None,
                ca_file=settings.openadr_ca_file or None,
            ),
        )
        task = asyncio.create_task(ven.keep_registered(), name="openadr-ven")

        async def stop_ven() -> None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await ven.stop()

        stack.push_async_callback(stop_ven)
    return engine


def build_gateway(
    settings: Settings,
    redis: Redis,
    registry: grpc.aio.Channel,
    *,
    auth: grpc.aio.Channel | None = None,
    transactions: grpc.aio.Channel | None = None,
) -> GatewayServer:
    """The gateway; with `auth` and `transactions` channels it also serves Authorize,
    transactions and meter values."""
    from chargeplane.gateway.clients.auth import AuthClient
    from chargeplane.gateway.clients.meter_stream import RedisMeterStream
    from chargeplane.gateway.clients.registry import RegistryClient
    from chargeplane.gateway.clients.transactions import TransactionsClient
    from chargeplane.gateway.dependencies import dependencies
    from chargeplane.gateway.server import GatewayServer

    registry_client = RegistryClient(
        registry,
        deadline=settings.service_deadline,
        boot_deadline=settings.boot_deadline,
        flush_interval=settings.activity_flush_interval,
    )
    if auth is None or transactions is None:
        return GatewayServer(settings, registry_client, redis)
    deps = dependencies(
        registry_client,
        auth=AuthClient(auth, deadline=settings.service_deadline),
        transactions=TransactionsClient(transactions, deadline=settings.service_deadline),
        meters=RedisMeterStream(redis, settings.meter_stream, settings.meter_stream_maxlen),
    )
    return GatewayServer(settings, registry_client, redis, deps)


def add_gateway_service(grpc_srv: GrpcServer, gateway: GatewayServer) -> None:
    from chargeplane.gateway.rpc_service import SERVICE_NAME, add_to_server

    add_to_server(grpc_srv.server, gateway)
    mark_serving(grpc_srv.server, SERVICE_NAME, grpc_srv.health_servicer)


async def start_gateway(stack: contextlib.AsyncExitStack, gateway: GatewayServer) -> None:
    from chargeplane.gateway.clients.registry import RegistryClient

    registry = gateway.registry
    assert isinstance(registry, RegistryClient)
    registry.start()
    await gateway.start()

    async def stop() -> None:
        await gateway.stop()
        await registry.stop()  # last flush of last-seen times, while the registry still runs

    stack.push_async_callback(stop)


class _ApiServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the runtime owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Api:
    """The operator API: the FastAPI app and the gRPC servicer over one service layer."""

    app: Any
    operator: Any
    token: str


async def build_api(
    stack: contextlib.AsyncExitStack,
    settings: Settings,
    pool: asyncpg.Pool,
    registry: grpc.aio.Channel,
    redis: Redis,
) -> Api:
    from chargeplane.pb.registry.v1.registry_pb2_grpc import RegistryServiceStub
    from chargeplane.routing import CommandRouter
    from chargeplane.services.api.api_tokens import TokenVerifier, ensure_bootstrap_token
    from chargeplane.services.api.command_service import CommandService
    from chargeplane.services.api.command_store import CommandStore
    from chargeplane.services.api.grpc import OperatorServicer
    from chargeplane.services.api.rest import create_app

    token = await ensure_bootstrap_token(pool, settings)
    router = CommandRouter(redis)
    stack.push_async_callback(router.close)
    commands = CommandService(
        CommandStore(pool), router, RegistryServiceStub(registry), deadline=settings.service_deadline
    )
    app = create_app(settings, pool, registry, commands)
    from chargeplane.pb.auth.v1.auth_pb2_grpc import AuthServiceStub
    from chargeplane.pb.transactions.v1.transactions_pb2_grpc import TransactionsServiceStub

    # The only ways to the auth and transactions services (tokens and transactions routes).
    app.state.auth = AuthServiceStub(await open_channel(stack, settings.auth_target()))
    app.state.transactions = TransactionsServiceStub(await open_channel(stack, settings.transactions_target()))
    operator = OperatorServicer(RegistryServiceStub(registry), commands, TokenVerifier(pool), settings.service_deadline)
    return Api(app, operator, token)


def add_operator_service(grpc_srv: GrpcServer, api: Api) -> None:
    from chargeplane.services.api.grpc import SERVICE_NAME, add_to_server

    add_to_server(grpc_srv.server, api.operator)
    mark_serving(grpc_srv.server, SERVICE_NAME, grpc_srv.health_servicer)


async def serve_rest(stack: contextlib.AsyncExitStack, settings: Settings, api: Api) -> int:
    config = uvicorn.Config(
        api.app, host=settings.api_host, port=settings.api_port, log_config=None, access_log=False, lifespan="off"
    )
    server = _ApiServer(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # re-raise the start-up failure (e.g. port in use)
            raise RuntimeError("the REST API stopped during start-up")
        await asyncio.sleep(0.01)

    async def shutdown() -> None:
        server.should_exit = True
        await task

    stack.push_async_callback(shutdown)
    port: int = server.servers[0].sockets[0].getsockname()[1]
    return port


@dataclass
class AllInOne:
    settings: Settings
    gateway: GatewayServer
    grpc_port: int
    api_port: int
    api_token: str
    pool: asyncpg.Pool
    redis: Redis
    ocpi_port: int = 0

    @property
    def gateway_port(self) -> int:
        return self.gateway.port


@contextlib.asynccontextmanager
async def all_in_one(settings: Settings) -> AsyncIterator[AllInOne]:
    """Every service and one gateway in this process, on the given storage URLs."""
    async with contextlib.AsyncExitStack() as stack:
        pool = await open_pool(stack, settings)
        redis = open_redis(stack, settings)
        grpc_srv = grpc_server(settings, settings.grpc_port)
        grpc_port = grpc_srv.port
        own = f"{'127.0.0.1' if settings.grpc_host in ('0.0.0.0', '::') else settings.grpc_host}:{grpc_port}"
        settings = settings.model_copy(
            update={"gateway_grpc_address": settings.gateway_grpc_address or own, "grpc_port": grpc_port}
        )
        add_registry(grpc_srv, settings, pool, redis)
        add_auth(grpc_srv, settings, pool, redis)
        add_transactions(stack, grpc_srv, settings, pool, redis)
        add_billing(stack, grpc_srv, settings, pool)
        await add_smartcharging(stack, grpc_srv, settings, pool, redis)
        registry = await open_channel(stack, settings.registry_address or own)
        auth = await open_channel(stack, settings.auth_address or own)
        transactions = await open_channel(stack, settings.transactions_address or own)
        gateway = build_gateway(settings, redis, registry, auth=auth, transactions=transactions)
        add_gateway_service(grpc_srv, gateway)
        api = await build_api(stack, settings, pool, registry, redis)
        add_operator_service(grpc_srv, api)
        from .ocpi import add_ocpi, start_ocpi

        ocpi = await add_ocpi(stack, settings, pool, redis, registry, grpc_srv, generate_key=True)
        await start_grpc(stack, grpc_srv)
        await start_gateway(stack, gateway)
        api_port = await serve_rest(stack, settings, api)
        ocpi_port = await start_ocpi(stack, ocpi)
        yield AllInOne(ocpi.settings, gateway, grpc_port, api_port, api.token, pool, redis, ocpi_port)
