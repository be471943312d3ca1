"""/v1/chargepoints: read charge points through the registry's gRPC API."""

from __future__ import annotations

from typing import Annotated, Any

import grpc  # type: ignore[import-untyped]
from fastapi import APIRouter, Depends, Path, Query, Request

from chargeplane.pb.registry.v1 import registry_pb2 as pb

from . import models
from .auth import Principal, require
from .problems import Problem, ProblemError

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Malformed request."},
    401: {"model": Problem, "description": "Missing or invalid bearer token."},
    403: {"model": Problem, "description": "The token lacks the required scope."},
    503: {"model": Problem, "description": "The registry or the database is unavailable."},
}

router = APIRouter(prefix="/v1", tags=["charge points"], responses=_ERRORS)

Reader = Annotated[Principal, Depends(require("read"))]


def _registry(request: Request) -> tuple[Any, float]:
    state = request.app.state
    return state.registry, state.settings.service_deadline


@router.get("/chargepoints", response_model=models.ChargePointPage, summary="List charge points by id")
async def list_charge_points(
    request: Request,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size.")] = 100,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")] = None,
    site: Annotated[str | None, Query(min_length=1, max_length=63, description="Only this site.")] = None,
) -> models.ChargePointPage:
    registry, deadline = _registry(request)
    try:
        reply = await registry.ListChargePoints(
            pb.ListChargePointsRequest(page_size=limit, page_token=cursor or "", site=site or ""),
            timeout=deadline,
        )
    except grpc.aio.AioRpcError as exc:
        # The registry names its field page_token; REST clients know it as cursor.
        if exc.code() == grpc.StatusCode.INVALID_ARGUMENT and (exc.details() or "").startswith("page_token"):
            raise ProblemError(400, "cursor is not a value returned by this API") from None
        raise
    return models.ChargePointPage(
        items=[models.charge_point(cp) for cp in reply.charge_points],
        next_cursor=reply.next_page_token or None,
    )


@router.get(
    "/chargepoints/{charge_point_id}",
    response_model=models.ChargePoint,
    summary="One charge point with its connectors and live connection",
    responses={404: {"model": Problem, "description": "No such charge point."}},
)
async def get_charge_point(
    request: Request,
    _: Reader,
    charge_point_id: Annotated[str, Path(min_length=1, max_length=48)],
) -> models.ChargePoint:
    registry, deadline = _registry(request)
    reply = await registry.GetChargePoint(pb.GetChargePointRequest(charge_point_id=charge_point_id), timeout=deadline)
    return models.charge_point(reply.charge_point)
