"""ASGI middleware: unique message ids, routing headers, request metrics.

X-Request-ID / X-Correlation-ID (transport chapter 4.2): echoed when the request has them,
generated (UUID) when it has not. Routing headers (4.1.8) on responses of functional
modules (paths under /ocpi/cpo/ and /ocpi/emsp/): the response goes TO the requesting
party (the request's OCPI-from-*) FROM the party that was addressed (the request's
OCPI-to-*, else our own CPO party). Configuration modules (versions, credentials, hub
client info) are not routed, so they carry none.
"""

from __future__ import annotations

import re
import time
import uuid

from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chargeplane.domain.ocpi.locations import Party

REQUEST_ID = "X-Request-ID"
CORRELATION_ID = "X-Correlation-ID"
FROM_COUNTRY = "OCPI-from-country-code"
FROM_PARTY = "OCPI-from-party-id"
TO_COUNTRY = "OCPI-to-country-code"
TO_PARTY = "OCPI-to-party-id"

# Echo only ids that are safe to log and to put back in a header.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:/+=@-]{1,128}$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_PARTY = re.compile(r"^[A-Za-z0-9]{3}$")
_FUNCTIONAL = ("/ocpi/cpo/", "/ocpi/emsp/")

REQUESTS = Counter("chargeplane_ocpi_requests_total", "OCPI requests served.", ["method", "route", "status"])
LATENCY = Histogram(
    "chargeplane_ocpi_request_duration_seconds",
    "OCPI request latency.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def _id(headers: Headers, name: str) -> str:
    value = headers.get(name, "")
    return value if _SAFE_ID.match(value) else str(uuid.uuid4())


class OcpiHeadersMiddleware:
    def __init__(self, app: ASGIApp, party: Party) -> None:
        self.app = app
        self.party = party

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = _id(headers, REQUEST_ID)
        correlation_id = _id(headers, CORRELATION_ID)
        state = scope.setdefault("state", {})
        state["request_id"], state["correlation_id"] = request_id, correlation_id
        routed: dict[str, str] = {}
        if str(scope.get("path", "")).startswith(_FUNCTIONAL):
            from_country, from_party = headers.get(FROM_COUNTRY, ""), headers.get(FROM_PARTY, "")
            to_country, to_party = headers.get(TO_COUNTRY, ""), headers.get(TO_PARTY, "")
            if _COUNTRY.match(from_country) and _PARTY.match(from_party):
                routed[TO_COUNTRY], routed[TO_PARTY] = from_country.upper(), from_party.upper()
            if _COUNTRY.match(to_country) and _PARTY.match(to_party):
                routed[FROM_COUNTRY], routed[FROM_PARTY] = to_country.upper(), to_party.upper()
            else:
                routed[FROM_COUNTRY], routed[FROM_PARTY] = self.party.country_code, self.party.party_id

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out[REQUEST_ID] = request_id
                out[CORRELATION_ID] = correlation_id
                for name, value in routed.items():
                    out[name] = value
            await send(message)

        await self.app(scope, receive, send_with_ids)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            # The route template, never the raw path: ids must not become label values.
            route = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - start)
