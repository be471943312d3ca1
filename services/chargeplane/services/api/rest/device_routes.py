"""/v1/chargepoints/{id}/{device-model,notifications,configuration}: what chargers report
about themselves, and the configuration an operator wants them to have."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from chargeplane.pb.registry.v1 import registry_pb2 as pb
from chargeplane.rpc.timestamps import optional_datetime

from ..api_tokens import Principal
from .problems import Problem
from .security import require

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Malformed request."},
    401: {"model": Problem, "description": "Missing or invalid bearer token."},
    403: {"model": Problem, "description": "The token lacks the required scope."},
    404: {"model": Problem, "description": "No such charge point."},
    503: {"model": Problem, "description": "The registry is unavailable."},
}
router = APIRouter(prefix="/v1/chargepoints/{charge_point_id}", tags=["device state"], responses=_ERRORS)
Reader = Annotated[Principal, Depends(require("read"))]
Admin = Annotated[Principal, Depends(require("admin"))]
ChargePointId = Annotated[str, Path(min_length=1, max_length=48)]


class DeviceVariable(BaseModel):
    key: str = Field(description="Version-neutral key: a 1.6 key, or Component[#i][[evse.conn]]/Variable[#i].")
    component: str
    component_instance: str
    evse_id: int | None
    connector_id: int | None
    variable: str
    variable_instance: str
    attribute_type: str
    value: str | None
    readonly: bool | None
    characteristics: dict[str, Any] | None
    reported_at: datetime | None


class Notification(BaseModel):
    id: int
    kind: str = Field(description="The OCPP action, e.g. FirmwareStatusNotification.")
    status: str
    request_id: int | None
    payload: dict[str, Any]
    received_at: datetime | None


class NotificationPage(BaseModel):
    items: list[Notification]
    next_cursor: str | None


class Setting(BaseModel):
    key: str = Field(min_length=1, max_length=200)
    value: str = Field(max_length=1000)


class DesiredConfiguration(BaseModel):
    settings: list[Setting] = Field(description="Keys and values the charger should have.")
    replace: bool = Field(default=False, description="Stop managing every key not listed.")
    remove_keys: list[str] = Field(default_factory=list, description="Keys to stop managing.")


class DesiredSetting(BaseModel):
    key: str
    value: str
    last_result: str | None = Field(description="Result of the last push (Accepted, Rejected, RebootRequired, ...).")
    last_pushed_at: datetime | None
    updated_at: datetime | None
    pending: bool = Field(description="Pushed at the charger's next accepted boot.")


def _registry(request: Request) -> tuple[Any, float]:
    return request.app.state.registry, request.app.state.settings.service_deadline


def _desired(settings: Any) -> list[DesiredSetting]:
    return [
        DesiredSetting(
            key=s.key,
            value=s.value,
            last_result=s.last_result or None,
            last_pushed_at=optional_datetime(s, "last_pushed_at"),
            updated_at=optional_datetime(s, "updated_at"),
            pending=s.pending,
        )
        for s in settings
    ]


@router.get("/device-model", response_model=list[DeviceVariable], summary="Reported configuration / variables")
async def device_model(
    request: Request,
    _: Reader,
    charge_point_id: ChargePointId,
    component: Annotated[str | None, Query(max_length=50)] = None,
) -> list[DeviceVariable]:
    registry, deadline = _registry(request)
    reply = await registry.GetDeviceModel(
        pb.GetDeviceModelRequest(charge_point_id=charge_point_id, component=component or ""), timeout=deadline
    )
    return [
        DeviceVariable(
            key=v.key,
            component=v.component,
            component_instance=v.component_instance,
            evse_id=v.evse_id if v.HasField("evse_id") else None,
            connector_id=v.connector_id if v.HasField("connector_id") else None,
            variable=v.variable,
            variable_instance=v.variable_instance,
            attribute_type=v.attribute_type or "Actual",
            value=v.value if v.HasField("value") else None,
            readonly=v.readonly if v.HasField("readonly") else None,
            characteristics=orjson.loads(v.characteristics_json) if v.characteristics_json else None,
            reported_at=optional_datetime(v, "reported_at"),
        )
        for v in reply.variables
    ]


@router.get("/notifications", response_model=NotificationPage, summary="Firmware, diagnostics, log, security notices")
async def notifications(
    request: Request,
    _: Reader,
    charge_point_id: ChargePointId,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> NotificationPage:
    registry, deadline = _registry(request)
    reply = await registry.ListNotifications(
        pb.ListNotificationsRequest(
            charge_point_id=charge_point_id, kind=kind or "", page_size=limit, page_token=cursor or ""
        ),
        timeout=deadline,
    )
    return NotificationPage(
        items=[
            Notification(
                id=n.id,
                kind=n.kind,
                status=n.status,
                request_id=n.request_id if n.HasField("request_id") else None,
                payload=orjson.loads(n.payload_json or b"{}"),
                received_at=optional_datetime(n, "received_at"),
            )
            for n in reply.notifications
        ],
        next_cursor=reply.next_page_token or None,
    )


@router.get("/configuration", response_model=list[DesiredSetting], summary="Desired configuration and push results")
async def get_configuration(request: Request, _: Reader, charge_point_id: ChargePointId) -> list[DesiredSetting]:
    registry, deadline = _registry(request)
    reply = await registry.GetDesiredConfiguration(
        pb.GetDesiredConfigurationRequest(charge_point_id=charge_point_id), timeout=deadline
    )
    return _desired(reply.settings)


@router.put(
    "/configuration",
    response_model=list[DesiredSetting],
    summary="Set desired configuration (pushed when the charger's boot is accepted)",
)
async def set_configuration(
    request: Request, _: Admin, charge_point_id: ChargePointId, body: DesiredConfiguration
) -> list[DesiredSetting]:
    registry, deadline = _registry(request)
    reply = await registry.SetDesiredConfiguration(
        pb.SetDesiredConfigurationRequest(
            charge_point_id=charge_point_id,
            settings=[pb.ConfigurationSetting(key=s.key, value=s.value) for s in body.settings],
            remove_keys=body.remove_keys,
            replace=body.replace,
        ),
        timeout=deadline,
    )
    return _desired(reply.settings)
