"""The OCPI 2.2.1 FastAPI application, served under /ocpi/."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

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
    return app
