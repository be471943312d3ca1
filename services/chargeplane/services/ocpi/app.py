"""The OCPI 2.2.1 FastAPI application, served under /ocpi/."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from chargeplane.domain.ocpi.locations import Party

from . import envelope
from .api import credentials, hubclientinfo, locations, ops, tokens, versions
from .middleware import MetricsMiddleware, OcpiHeadersMiddleware


def create_app(party: Party, **state: Any) -> FastAPI:
    """`state`: settings, pool, partners, registration, locations, tokens, client_info."""
    app = FastAPI(
        title="chargeplane OCPI",
        version="2.2.1",
        description=(
            "OCPI 2.2.1 CPO interfaces of the chargeplane CSMS. Every answer is an OCPI envelope "
            "(data, status_code, status_message, timestamp). Authorization: Token <base64(credentials token)>."
        ),
        openapi_url="/ocpi/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    for name, value in state.items():
        setattr(app.state, name, value)
    envelope.install(app)
    for module in (versions, credentials, locations, tokens, hubclientinfo, ops):
        app.include_router(module.router)
    # Last added runs first: ids and routing headers are set before metrics and handlers.
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(OcpiHeadersMiddleware, party=party)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            # Invalid input is answered 400 with OCPI 2001 (never FastAPI's 422).
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
