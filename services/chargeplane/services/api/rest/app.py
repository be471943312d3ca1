"""The FastAPI application: operator-facing REST over the services' gRPC APIs."""

from __future__ import annotations

from typing import Any

import asyncpg
import grpc
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from chargeplane.config import Settings
from chargeplane.pb.registry.v1.registry_pb2_grpc import RegistryServiceStub

from ..api_tokens import TokenVerifier
from ..command_service import CommandService
from . import (
    charge_point_routes,
    command_routes,
    device_routes,
    id_token_routes,
    local_list_routes,
    ops_routes,
    problems,
    transaction_routes,
)
from .middleware import MetricsMiddleware, RequestIdMiddleware


def create_app(
    settings: Settings,
    pool: asyncpg.Pool,
    registry_channel: grpc.aio.Channel,
    commands: CommandService | None = None,
) -> FastAPI:
    """The caller owns `pool`, `registry_channel` and `commands` (opens and closes them).
    Without `commands` (no Redis to route through) the command endpoints answer 503."""
    app = FastAPI(
        title="chargeplane API",
        version="v1",
        description="Operator-facing REST API of the chargeplane CSMS. Errors are RFC 9457 problem details.",
    )
    app.state.settings = settings
    app.state.pool = pool
    app.state.registry_channel = registry_channel
    app.state.registry = RegistryServiceStub(registry_channel)  # the only way to the registry
    app.state.token_verifier = TokenVerifier(pool)
    app.state.commands = commands

    problems.install(app)
    app.include_router(ops_routes.router)
    app.include_router(charge_point_routes.router)
    app.include_router(command_routes.router)
    app.include_router(device_routes.router)
    app.include_router(local_list_routes.router)
    app.include_router(id_token_routes.router)
    app.include_router(transaction_routes.router)
    # Last added runs first: the request id is set before metrics and every handler.
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = problems.fix_openapi(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
