"""/healthz, /readyz and /metrics: unauthenticated, for probes and Prometheus."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from chargeplane.pb.registry.v1 import registry_pb2

from .models import Ready
from .problems import Problem, ProblemError

log = logging.getLogger(__name__)

REGISTRY_SERVICE: str = registry_pb2.DESCRIPTOR.services_by_name["RegistryService"].full_name

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _database_ok(request: Request) -> bool:
    state = request.app.state
    try:
        return bool(await state.pool.fetchval("SELECT 1", timeout=state.settings.service_deadline) == 1)
    except Exception:  # any failure means "not ready" (and is logged)
        log.warning("readiness: database check failed", exc_info=True)
        return False


async def _registry_ok(request: Request) -> bool:
    state = request.app.state
    stub: Any = health_pb2_grpc.HealthStub(state.registry_channel)
    try:
        reply = await stub.Check(
            health_pb2.HealthCheckRequest(service=REGISTRY_SERVICE), timeout=state.settings.service_deadline
        )
    except Exception:  # any failure means "not ready" (and is logged)
        log.warning("readiness: registry check failed", exc_info=True)
        return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


@router.get(
    "/readyz",
    summary="Readiness: the database and the registry answer",
    response_model=Ready,
    responses={503: {"model": Problem, "description": "A dependency is not available."}},
)
async def readyz(request: Request) -> Ready:
    database, registry = await asyncio.gather(_database_ok(request), _registry_ok(request))
    checks = {"database": "ok" if database else "failed", "registry": "ok" if registry else "failed"}
    if not (database and registry):
        failed = ", ".join(name for name, result in checks.items() if result != "ok")
        raise ProblemError(503, f"not ready: {failed} unavailable", checks=checks)
    return Ready(status="ready", checks=checks)


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
