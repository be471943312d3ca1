"""A gRPC server with its grpc.health.v1 service: how every component serves gRPC.

One health servicer per server: registering a second one would replace the first, so
services sharing a server (the all-in-one process) share it, and each service marks
its own name SERVING once its servicer is added.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from chargeplane.telemetry.tracing import server_interceptors

SERVING: int = health_pb2.HealthCheckResponse.SERVING


class HealthServicer(Protocol):
    """What we use of grpc_health's (untyped) health.aio.HealthServicer."""

    def set(self, service: str, status: int) -> Coroutine[Any, Any, None]: ...


_pending: set[asyncio.Task[None]] = set()  # keeps scheduled health updates alive


@dataclass
class GrpcServer:
    """A bound gRPC server (servicers are added before start) with its one health service."""

    server: grpc.aio.Server
    port: int
    health_servicer: HealthServicer


def grpc_server(host: str, port: int) -> GrpcServer:
    """A traced grpc.aio server bound to host:port (0: any free port), health included."""
    server = grpc.aio.server(interceptors=server_interceptors())
    bound = server.add_insecure_port(f"{host}:{port}")
    return GrpcServer(server, bound, add_health(server))


def add_health(server: grpc.aio.Server) -> HealthServicer:
    """Register a grpc.health.v1 servicer on `server` (once per server)."""
    health_servicer: HealthServicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    return health_servicer


def mark_serving(server: grpc.aio.Server, service_name: str, health_servicer: HealthServicer | None = None) -> None:
    """Report `service_name` as SERVING in grpc.health.v1 on `server`.

    Pass the server's `health_servicer` when it has one; otherwise one is registered here
    (for a server that carries this service alone).
    """
    if health_servicer is None:
        health_servicer = add_health(server)
    update = health_servicer.set(service_name, SERVING)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # built before the event loop: nobody can be watching yet
        asyncio.run(update)
        return
    # Scheduled now, so it runs before the server (started later on this loop) takes calls.
    task = loop.create_task(update)
    _pending.add(task)
    task.add_done_callback(_pending.discard)
