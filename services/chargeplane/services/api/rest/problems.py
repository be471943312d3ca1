"""RFC 9457 problem details (application/problem+json) for every error the API returns."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import asyncpg
import grpc
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from chargeplane.rpc.errors import http_status

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = "5"


class Problem(BaseModel):
    """An RFC 9457 problem detail object."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class ProblemError(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions


def problem_response(
    request: Request,
    status: int,
    detail: str | None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        **extensions,
    )
    return JSONResponse(
        jsonable_encoder(body, exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=MEDIA_TYPE,
    )


def _unavailable(request: Request, what: str) -> JSONResponse:
    return problem_response(
        request,
        503,
        f"the {what} is temporarily unavailable; retry later",
        {"Retry-After": RETRY_AFTER_SECONDS},
    )


# Failures of the connection rather than of the statement.
_UNAVAILABLE = (
    ConnectionError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
)


def install(app: FastAPI) -> None:
    """Route every error through problem_response."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(request, exc.status, exc.detail, exc.headers, **exc.extensions)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem_response(request, exc.status_code, exc.detail, dict(exc.headers or {}))

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        return problem_response(request, 422, detail or "invalid request", errors=errors)

    async def on_grpc(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, grpc.aio.AioRpcError)
        code = exc.code()
        status = http_status(code)
        if status == 503:
            log.warning("registry call failed: %s %s", code.name, exc.details())
            return _unavailable(request, "registry")
        if status == 502:
            log.error("registry call failed: %s %s", code.name, exc.details())
            return problem_response(request, 502, "the registry could not answer this request")
        return problem_response(request, status, exc.details())

    async def on_storage(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, _UNAVAILABLE):
            log.warning("database unavailable: %s", exc)
            return _unavailable(request, "database")
        log.error("database error", exc_info=exc)  # a bug, not an outage: never shown to clients
        return problem_response(request, 500, "internal error")

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(grpc.aio.AioRpcError, on_grpc)
    for exc_type in (asyncpg.PostgresError, *_UNAVAILABLE):
        app.add_exception_handler(exc_type, on_storage)


def fix_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Document error responses as application/problem+json with the Problem schema,
    including FastAPI's built-in 422 (which would otherwise claim its own JSON shape)."""
    ref = {"$ref": "#/components/schemas/Problem"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                if code.isdigit() and int(code) >= 400:
                    response["content"] = {MEDIA_TYPE: {"schema": ref}}
    schemas = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return schema
