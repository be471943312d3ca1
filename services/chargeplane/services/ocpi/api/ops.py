"""/healthz, /readyz and /metrics on the OCPI port, outside /ocpi/ (an ingress exposes only
/ocpi/ to partners)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"], include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request, response: Response) -> dict[str, str]:
    state = request.app.state
    try:
        ok = await state.pool.fetchval("SELECT 1", timeout=state.settings.service_deadline) == 1
    except Exception:
        log.warning("readiness: database check failed", exc_info=True)
        ok = False
    if not ok:
        response.status_code = 503
        return {"status": "not ready", "database": "failed"}
    return {"status": "ready", "database": "ok"}


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
