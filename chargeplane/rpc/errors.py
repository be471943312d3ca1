"""gRPC error translation, in one place.

Servers: our exceptions become gRPC statuses with a clear message (`translate_errors`),
and storage failures never leak SQL. Clients: a gRPC status becomes the HTTP status a
REST caller sees (`http_status`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NoReturn, TypeVar

import asyncpg
import grpc
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)


class InvalidArgument(ValueError):
    """The request is malformed; the message says which field and why."""


class NotFound(LookupError):
    """The addressed object (charge point, token, transaction...) does not exist."""


# Failures of the connection rather than of the statement: the client may retry elsewhere.
_UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # server shutting down or starting up
    RedisConnectionError,
    RedisTimeoutError,
)

_S = TypeVar("_S")
_Req = TypeVar("_Req")
_Resp = TypeVar("_Resp")


async def _abort(context: Any, code: Any, message: str) -> NoReturn:
    await context.abort(code, message)
    raise AssertionError("grpc.aio ServicerContext.abort returned")  # it always raises


def translate_errors(
    handler: Callable[[_S, _Req, Any], Awaitable[_Resp]],
) -> Callable[[_S, _Req, Any], Coroutine[Any, Any, _Resp]]:
    """Turn our exceptions into gRPC statuses with a clear message, and storage failures
    into UNAVAILABLE/INTERNAL with a generic one (the details go to the log)."""

    @functools.wraps(handler)
    async def rpc(self: _S, request: _Req, context: Any) -> _Resp:
        try:
            return await handler(self, request, context)
        except InvalidArgument as exc:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except NotFound as exc:
            await _abort(context, grpc.StatusCode.NOT_FOUND, str(exc))
        except asyncpg.exceptions.TransactionRollbackError:  # deadlock, serialization failure
            log.warning("%s: conflicting concurrent write", handler.__name__, exc_info=True)
            await _abort(context, grpc.StatusCode.ABORTED, "conflicting concurrent update; retry")
        except _UNAVAILABLE:
            log.warning("%s: storage unavailable", handler.__name__, exc_info=True)
            await _abort(context, grpc.StatusCode.UNAVAILABLE, "storage temporarily unavailable")
        except (asyncpg.PostgresError, RedisError):
            log.exception("%s: storage error", handler.__name__)
            await _abort(context, grpc.StatusCode.INTERNAL, "internal error")

    return rpc


# What a REST caller sees when a service answered with this status. UNAVAILABLE and
# DEADLINE_EXCEEDED are 503 (retry later); a status not listed here is a 502.
_HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 503,
}


def http_status(code: grpc.StatusCode) -> int:
    """The HTTP status for a service's gRPC status code (502 for an unexpected one)."""
    return _HTTP_STATUS.get(code, 502)
