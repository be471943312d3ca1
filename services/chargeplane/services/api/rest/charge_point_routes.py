"""/v1/chargepoints: read charge points through the registry's gRPC API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import grpc
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from chargeplane.pb.registry.v1 import registry_pb2 as pb

from ..api_tokens import Principal
from . import models
from .problems import Problem, ProblemError
from .security import require

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


class Registration(BaseModel):
    """Pre-registration: what the production boot policy accepts."""

    site: str | None = Field(default=None, min_length=1, max_length=63, description="The site the charger belongs to.")
    allowed_protocols: list[Literal["ocpp1.6", "ocpp2.0.1"]] = Field(
        default_factory=list, description="Protocols the charger may connect with; empty allows both."
    )


Admin = Annotated[Principal, Depends(require("admin"))]


@router.put(
    "/chargepoints/{charge_point_id}",
    response_model=models.ChargePoint,
    summary="Pre-register (or update the registration of) a charge point",
    responses={400: {"model": Problem, "description": "Invalid identity or registration."}},
)
async def register_charge_point(
    request: Request,
    response: Response,
    _: Admin,
    charge_point_id: Annotated[str, Path(min_length=1, max_length=48)],
    registration: Registration,
) -> models.ChargePoint:
    registry, deadline = _registry(request)
    reply = await registry.UpsertChargePoint(
        pb.UpsertChargePointRequest(
            charge_point_id=charge_point_id,
            site=registration.site or "",
            allowed_protocols=list(registration.allowed_protocols),
        ),
        timeout=deadline,
    )
    response.status_code = 201 if reply.created else 200
    return models.charge_point(reply.charge_point)


@router.delete(
    "/chargepoints/{charge_point_id}",
    status_code=204,
    summary="Deregister a charge point",
    responses={404: {"model": Problem, "description": "No such charge point."}},
)
async def deregister_charge_point(
    request: Request, _: Admin, charge_point_id: Annotated[str, Path(min_length=1, max_length=48)]
) -> Response:
    registry, deadline = _registry(request)
    reply = await registry.DeleteChargePoint(
        pb.DeleteChargePointRequest(charge_point_id=charge_point_id), timeout=deadline
    )
    if not reply.deleted:
        raise ProblemError(404, f"no charge point {charge_point_id}")
    return Response(status_code=204)
