"""The OCPI response envelope on every answer, errors included (never a bare 500).

HTTP status and OCPI status code go together as the status-codes chapter asks: invalid JSON
or parameters -> HTTP 400 with 2001; unknown objects -> HTTP 404 with 2003/2004 or 2000;
missing or unknown credentials -> HTTP 401; an unexpected failure -> HTTP 500 with 3000
(storage outages: 503 with 3000), always with `status_code`, `status_message`, `timestamp`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import asyncpg
import grpc
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from chargeplane.domain.ocpi.datetimes import format_datetime
from chargeplane.domain.ocpi.enums import StatusCode

log = logging.getLogger(__name__)


class OcpiJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class OcpiError(Exception):
    """Raise in a handler to answer with this OCPI status (and HTTP status)."""

    def __init__(
        self, status_code: StatusCode, message: str, http_status: int = 400, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.http_status = http_status
        self.headers = headers or {}


def envelope(data: Any = None, status_code: int = StatusCode.SUCCESS, message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if data is not None:
        body["data"] = data
    body["status_code"] = int(status_code)
    if message:
        body["status_message"] = message
    body["timestamp"] = format_datetime(datetime.now(UTC))
    return body


def ok(data: Any = None, *, http_status: int = 200, headers: dict[str, str] | None = None) -> OcpiJSONResponse:
    return OcpiJSONResponse(envelope(data, StatusCode.SUCCESS, "Success"), status_code=http_status, headers=headers)


def error(status_code: int, message: str, http_status: int, headers: dict[str, str] | None = None) -> OcpiJSONResponse:
    return OcpiJSONResponse(envelope(None, status_code, message), status_code=http_status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts: list[str] = []
    for e in exc.errors()[:5]:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
        if e.get("type") == "json_invalid":
            return "the request body is not valid JSON"
        parts.append(f"{where or 'body'}: {e.get('msg', 'invalid')}")
    return "invalid or missing parameters: " + "; ".join(parts)


def install(app: FastAPI) -> None:
    @app.exception_handler(OcpiError)
    async def ocpi_error(request: Request, exc: OcpiError) -> OcpiJSONResponse:
        return error(exc.status_code, exc.message, exc.http_status, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> OcpiJSONResponse:
        return error(StatusCode.INVALID_PARAMETERS, _validation_message(exc), 400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> OcpiJSONResponse:
        if exc.status_code == 404:
            message = "no such OCPI endpoint"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed here"
        else:
            message = str(exc.detail)
        return error(StatusCode.CLIENT_ERROR, message, exc.status_code, dict(exc.headers or {}))

    @app.exception_handler(asyncpg.PostgresConnectionError)
    @app.exception_handler(asyncpg.InterfaceError)
    @app.exception_handler(OSError)
    async def unavailable(request: Request, exc: Exception) -> OcpiJSONResponse:
        log.warning("OCPI %s %s: storage unavailable", request.method, request.url.path, exc_info=exc)
        return error(StatusCode.SERVER_ERROR, "temporarily unavailable; retry later", 503, {"Retry-After": "5"})

    @app.exception_handler(grpc.aio.AioRpcError)
    async def backend(request: Request, exc: grpc.aio.AioRpcError) -> OcpiJSONResponse:
        log.warning("OCPI %s %s: registry call failed: %s", request.method, request.url.path, exc.code())
        return error(StatusCode.SERVER_ERROR, "temporarily unavailable; retry later", 503, {"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> OcpiJSONResponse:
        log.error("OCPI %s %s failed", request.method, request.url.path, exc_info=exc)
        return error(StatusCode.SERVER_ERROR, "internal error", 500)
