"""RegistryService RPCs for device state (notifications, device model) and desired
configuration. Mixed into RegistryServicer."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.device import DesiredSetting, DeviceVariable, Notification, check_key
from chargeplane.pb.registry.v1 import registry_pb2 as pb
from chargeplane.rpc.errors import InvalidArgument, NotFound, translate_errors
from chargeplane.rpc.timestamps import to_timestamp

from . import messages
from .device import DeviceRepository

MAX_VALUE_LENGTH = 1000
MAX_SETTINGS = 1000
MAX_VARIABLES = 10_000
MAX_PAYLOAD_BYTES = 256 * 1024
_PROTOCOLS = {pb.PROTOCOL_OCPP16: Protocol.OCPP16, pb.PROTOCOL_OCPP201: Protocol.OCPP201}


def _json(raw: bytes, field: str, default: Any) -> Any:
    if not raw:
        return default
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise InvalidArgument(f"{field} is larger than {MAX_PAYLOAD_BYTES} bytes")
    try:
        return json.loads(raw)
    except ValueError:
        raise InvalidArgument(f"{field} is not valid JSON") from None


def _name(value: str, field: str, *, required: bool = False) -> str:
    if required and not value:
        raise InvalidArgument(f"{field} is required")
    if len(value) > 50:
        raise InvalidArgument(f"{field} is longer than 50 characters")
    if "\x00" in value:
        raise InvalidArgument(f"{field} contains a NUL character")
    return value


def _key(value: str, field: str) -> str:
    try:
        check_key(value)
    except ValueError as exc:
        raise InvalidArgument(f"{field}: {exc}") from None
    return value


def device_variable(v: pb.DeviceVariable, field: str) -> DeviceVariable:
    if v.HasField("value") and (len(v.value) > 2500 or "\x00" in v.value):
        raise InvalidArgument(f"{field}.value is longer than 2500 characters or contains NUL")
    characteristics = _json(v.characteristics_json, f"{field}.characteristics_json", None)
    return DeviceVariable(
        component=_name(v.component, f"{field}.component"),
        variable=_name(v.variable, f"{field}.variable", required=True),
        component_instance=_name(v.component_instance, f"{field}.component_instance"),
        variable_instance=_name(v.variable_instance, f"{field}.variable_instance"),
        evse_id=v.evse_id if v.HasField("evse_id") else -1,
        connector_id=v.connector_id if v.HasField("connector_id") else -1,
        attribute_type=_name(v.attribute_type, f"{field}.attribute_type") or "Actual",
        value=v.value if v.HasField("value") else None,
        readonly=v.readonly if v.HasField("readonly") else None,
        characteristics=characteristics if isinstance(characteristics, dict) else None,
    )


def device_variable_message(v: DeviceVariable, reported_at: Any = None) -> pb.DeviceVariable:
    message = pb.DeviceVariable(
        component=v.component,
        component_instance=v.component_instance,
        variable=v.variable,
        variable_instance=v.variable_instance,
        attribute_type=v.attribute_type,
        value=v.value,
        readonly=v.readonly,
        characteristics_json=json.dumps(v.characteristics).encode() if v.characteristics is not None else b"",
        key=v.key,
    )
    if v.evse_id >= 0:
        message.evse_id = v.evse_id
    if v.connector_id >= 0:
        message.connector_id = v.connector_id
    if reported_at is not None:
        message.reported_at.CopyFrom(to_timestamp(reported_at))
    return message


def desired_message(s: DesiredSetting, pending: bool) -> pb.DesiredSetting:
    message = pb.DesiredSetting(key=s.key, value=s.value, last_result=s.last_result or "", pending=pending)
    if s.last_pushed_at is not None:
        message.last_pushed_at.CopyFrom(to_timestamp(s.last_pushed_at))
    if s.updated_at is not None:
        message.updated_at.CopyFrom(to_timestamp(s.updated_at))
    return message


def _page_token(token: str) -> int | None:
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if not raw.startswith("n1:"):
            raise ValueError
        return int(raw[3:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidArgument("page_token is not a token returned by ListNotifications") from None


class DeviceRpcs:
    """Needs `self.device` (a DeviceRepository), set by the servicer's __init__."""

    device: DeviceRepository

    async def pending_configuration(self, cp_id: str) -> tuple[tuple[str, str], ...]:
        """What an accepted boot should push, (key, value) pairs (BootDecision.pending_configuration)."""
        return tuple((s.key, s.value) for s, _ in await self.device.desired(cp_id, pending_only=True))

    @translate_errors
    async def RecordNotification(
        self, request: pb.RecordNotificationRequest, context: Any
    ) -> pb.RecordNotificationResponse:
        payload = _json(request.payload_json, "payload_json", {})
        if not isinstance(payload, dict):
            raise InvalidArgument("payload_json must be a JSON object")
        new_id = await self.device.record_notification(
            Notification(
                charge_point_id=messages.charge_point_id(request.charge_point_id),
                kind=_name(request.kind, "kind", required=True),
                status=_name(request.status, "status", required=True),
                payload=payload,
                request_id=request.request_id if request.HasField("request_id") else None,
            )
        )
        return pb.RecordNotificationResponse(id=new_id)

    @translate_errors
    async def ListNotifications(
        self, request: pb.ListNotificationsRequest, context: Any
    ) -> pb.ListNotificationsResponse:
        cp_id = messages.charge_point_id(request.charge_point_id)
        size = messages.page_size(request.page_size)
        found = await self.device.list_notifications(
            cp_id, kind=request.kind or None, before_id=_page_token(request.page_token), limit=size + 1
        )
        page = found[:size]
        out = pb.ListNotificationsResponse()
        for n in page:
            item = out.notifications.add(
                id=n.id or 0,
                charge_point_id=n.charge_point_id,
                kind=n.kind,
                status=n.status,
                request_id=n.request_id,
                payload_json=json.dumps(n.payload).encode(),
            )
            if n.received_at is not None:
                item.received_at.CopyFrom(to_timestamp(n.received_at))
        if len(found) > size and page:
            out.next_page_token = base64.urlsafe_b64encode(f"n1:{page[-1].id}".encode()).decode().rstrip("=")
        return out

    @translate_errors
    async def RecordDeviceVariables(
        self, request: pb.RecordDeviceVariablesRequest, context: Any
    ) -> pb.RecordDeviceVariablesResponse:
        cp_id = messages.charge_point_id(request.charge_point_id)
        if len(request.variables) > MAX_VARIABLES:
            raise InvalidArgument(f"at most {MAX_VARIABLES} variables per call")
        variables = [device_variable(v, f"variables[{i}]") for i, v in enumerate(request.variables)]
        return pb.RecordDeviceVariablesResponse(stored=await self.device.record_variables(cp_id, variables))

    @translate_errors
    async def GetDeviceModel(self, request: pb.GetDeviceModelRequest, context: Any) -> pb.GetDeviceModelResponse:
        cp_id = messages.charge_point_id(request.charge_point_id)
        if not await self.device.exists(cp_id):
            raise NotFound(f"charge point {cp_id!r} not found")
        found = await self.device.variables(cp_id, request.component or None)
        return pb.GetDeviceModelResponse(variables=[device_variable_message(v, at) for v, at in found])

    @translate_errors
    async def SetDesiredConfiguration(
        self, request: pb.SetDesiredConfigurationRequest, context: Any
    ) -> pb.SetDesiredConfigurationResponse:
        cp_id = messages.charge_point_id(request.charge_point_id)
        if len(request.settings) > MAX_SETTINGS:
            raise InvalidArgument(f"at most {MAX_SETTINGS} settings")
        settings: dict[str, str] = {}
        for i, s in enumerate(request.settings):
            key = _key(s.key, f"settings[{i}].key")
            if len(s.value) > MAX_VALUE_LENGTH or "\x00" in s.value:
                raise InvalidArgument(f"settings[{i}].value is longer than {MAX_VALUE_LENGTH} characters or has NUL")
            if key in settings:
                raise InvalidArgument(f"settings[{i}].key {key!r} is given twice")
            settings[key] = s.value
        remove = [_key(k, f"remove_keys[{i}]") for i, k in enumerate(request.remove_keys)]
        await self.device.set_desired(cp_id, list(settings.items()), remove, replace=request.replace)
        found = await self.device.desired(cp_id)
        return pb.SetDesiredConfigurationResponse(settings=[desired_message(s, p) for s, p in found])

    @translate_errors
    async def GetDesiredConfiguration(
        self, request: pb.GetDesiredConfigurationRequest, context: Any
    ) -> pb.GetDesiredConfigurationResponse:
        cp_id = messages.charge_point_id(request.charge_point_id)
        if not await self.device.exists(cp_id):
            raise NotFound(f"charge point {cp_id!r} not found")
        found = await self.device.desired(cp_id, pending_only=request.pending_only)
        return pb.GetDesiredConfigurationResponse(settings=[desired_message(s, p) for s, p in found])

    @translate_errors
    async def RecordConfigurationResults(
        self, request: pb.RecordConfigurationResultsRequest, context: Any
    ) -> pb.RecordConfigurationResultsResponse:
        cp_id = messages.charge_point_id(request.charge_point_id)
        results = []
        for i, r in enumerate(request.results):
            results.append(
                (_key(r.key, f"results[{i}].key"), r.value, _name(r.result, f"results[{i}].result", required=True))
            )
        updated = await self.device.record_push_results(cp_id, _PROTOCOLS.get(request.protocol), results)
        return pb.RecordConfigurationResultsResponse(updated=updated)
