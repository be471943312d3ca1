"""The ocpi service in a runtime: its gRPC servicer on a given server, its REST app on its
own port (partners reach it, so it is not the operator API's port), its background work
(change feed, outbox pusher) started once the registry serves."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg
import grpc
import uvicorn
from grpc_health.v1 import health_pb2
from redis.asyncio import Redis

from chargeplane.config import Settings
from chargeplane.rpc.server import GrpcServer

from .components import _ApiServer

if TYPE_CHECKING:
    from chargeplane.services.ocpi import OcpiService


@dataclass
class OcpiRuntime:
    service: OcpiService
    settings: Settings  # with the port actually bound
    sock: socket.socket

    @property
    def port(self) -> int:
        return self.settings.ocpi_port


def versions_url(settings: Settings) -> str:
    """The URL partners are given: our OCPI versions endpoint."""
    from chargeplane.services.ocpi.registration import base_url

    return f"{base_url(settings)}/ocpi/versions"


def secret_key(settings: Settings, *, generate: bool) -> bytes:
    """The key encrypting partner tokens: configured, or (all-in-one) kept in DATA_DIR."""
    from chargeplane.services.ocpi.credential_tokens import decode_key, load_or_create_key

    if not generate:
        if not settings.ocpi_secret_key:
            raise ValueError("CHARGEPLANE_OCPI_SECRET_KEY is required (32 bytes, url-safe base64)")
        return decode_key(settings.ocpi_secret_key)
    return load_or_create_key(settings.ocpi_secret_key, settings.data_dir)


async def add_ocpi(
    stack: contextlib.AsyncExitStack,
    settings: Settings,
    pool: asyncpg.Pool,
    redis: Redis,
    registry: grpc.aio.Channel,
    grpc_srv: GrpcServer,
    *,
    generate_key: bool,
) -> OcpiRuntime:
    """Bind the OCPI port (so URLs given to partners carry the real port), build the service
    and add its servicer to `grpc_srv` (before that server starts)."""
    from chargeplane.services.ocpi import SERVICE_NAME, build

    family = socket.AF_INET6 if ":" in settings.ocpi_host else socket.AF_INET
    sock = socket.create_server((settings.ocpi_host, settings.ocpi_port), family=family)
    stack.callback(sock.close)
    settings = settings.model_copy(update={"ocpi_port": sock.getsockname()[1]})
    service = build(settings, pool, redis, registry, secret_key(settings, generate=generate_key))
    service.add_to_server(grpc_srv.server)
    await grpc_srv.health_servicer.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
    return OcpiRuntime(service, settings, sock)


async def start_ocpi(stack: contextlib.AsyncExitStack, ocpi: OcpiRuntime) -> int:
    """Start the background work and serve the REST API; returns the port."""
    await ocpi.service.start()
    stack.push_async_callback(ocpi.service.stop)
    config = uvicorn.Config(ocpi.service.app, log_config=None, access_log=False, lifespan="off")
    server = _ApiServer(config)
    task = asyncio.create_task(server.serve(sockets=[ocpi.sock]))
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the OCPI API stopped during start-up")
        await asyncio.sleep(0.01)

    async def shutdown() -> None:
        server.should_exit = True
        await task

    stack.push_async_callback(shutdown)
    return ocpi.port
