"""POST /v1/chargepoints/{id}/local-list/sync: send a charger the local authorization list
computed from the id tokens (full or differential, SendLocalList of its OCPP version), and
record the new list version once the charger accepted it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from chargeplane.domain.commands import SendLocalList
from chargeplane.pb.auth.v1 import auth_pb2 as auth_pb
from chargeplane.pb.registry.v1 import registry_pb2 as registry_pb

from ..api_tokens import Principal
from ..command_service import CommandFailed
from .command_routes import Command, command_model, failure_problem, service
from .problems import Problem
from .security import require

router = APIRouter(
    prefix="/v1/chargepoints/{charge_point_id}",
    tags=["commands"],
    responses={409: {"model": Problem, "description": "The charger is not connected."}},
)
Operator = Annotated[Principal, Depends(require("operate"))]

# AuthorizationStatus (auth.v1) -> the OCPP status word.
_STATUS = {
    auth_pb.AUTHORIZATION_STATUS_ACCEPTED: "Accepted",
    auth_pb.AUTHORIZATION_STATUS_BLOCKED: "Blocked",
    auth_pb.AUTHORIZATION_STATUS_EXPIRED: "Expired",
    auth_pb.AUTHORIZATION_STATUS_INVALID: "Invalid",
    auth_pb.AUTHORIZATION_STATUS_CONCURRENT_TX: "ConcurrentTx",
    auth_pb.AUTHORIZATION_STATUS_UNKNOWN: "Unknown",
    auth_pb.AUTHORIZATION_STATUS_NOT_AT_THIS_LOCATION: "NotAtThisLocation",
}


class LocalListSync(BaseModel):
    needed: bool = Field(description="False when the charger's list was already current.")
    version: int
    update_type: str | None = Field(description="Full or Differential.")
    entries: int
    confirmed: bool = Field(description="The charger accepted the list and its version is recorded.")
    command: Command | None


def _entry(entry: auth_pb.LocalListEntry) -> dict[str, Any]:
    out: dict[str, Any] = {"id_token": entry.id_token, "id_token_type": entry.type or "Central"}
    if entry.HasField("info"):
        out["status"] = _STATUS.get(entry.info.status, "Invalid")
        if entry.info.HasField("expiry"):
            out["expiry"] = entry.info.expiry.ToJsonString()
        if entry.info.group_id:
            out["group_id_token"] = entry.info.group_id
    return out


@router.post("/local-list/sync", response_model=LocalListSync, summary="Bring the charger's local list up to date")
async def sync_local_list(
    request: Request,
    principal: Operator,
    charge_point_id: Annotated[str, Path(min_length=1, max_length=48)],
    max_differential: Annotated[int, Query(ge=0, le=10_000, description="Larger changes send a Full list.")] = 500,
    timeout: Annotated[float, Query(gt=0, le=120)] = 60.0,
) -> LocalListSync:
    state = request.app.state
    deadline = state.settings.service_deadline
    charge_point = await state.registry.GetChargePoint(
        registry_pb.GetChargePointRequest(charge_point_id=charge_point_id), timeout=deadline
    )
    site = charge_point.charge_point.site
    plan = await state.auth.PlanLocalList(
        auth_pb.PlanLocalListRequest(charge_point_id=charge_point_id, site=site, max_differential=max_differential),
        timeout=deadline,
    )
    if not plan.needed:
        return LocalListSync(
            needed=False, version=plan.version, update_type=None, entries=0, confirmed=False, command=None
        )
    params = {"version": plan.version, "update_type": plan.update_type, "entries": [_entry(e) for e in plan.entries]}
    try:
        record, outcome = await service(request).send_command(
            charge_point_id, SendLocalList.model_validate(params), requested_by=principal.name, timeout=timeout
        )
    except CommandFailed as exc:
        raise failure_problem(exc) from None
    confirmed = outcome is not None and outcome["status"] == "Accepted"
    if confirmed:
        await state.auth.ConfirmLocalList(
            auth_pb.ConfirmLocalListRequest(
                charge_point_id=charge_point_id,
                site=site,
                version=plan.version,
                update_type=plan.update_type,
                entries=plan.entries,
            ),
            timeout=deadline,
        )
    return LocalListSync(
        needed=True,
        version=plan.version,
        update_type=plan.update_type,
        entries=len(plan.entries),
        confirmed=confirmed,
        command=command_model(record),
    )
