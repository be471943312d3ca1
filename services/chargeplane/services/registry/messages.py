"""Protobuf <-> domain conversion, with the input validation that goes with it."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chargeplane.domain.chargepoints import (
    Activity,
    BootDecision,
    BootRequest,
    ChargePoint,
    ConnectorRef,
    Protocol,
    RegistrationStatus,
    StationInfo,
    StatusReport,
)
from chargeplane.pb.registry.v1 import registry_pb2 as pb
from chargeplane.routing.presence import Owner
from chargeplane.rpc.errors import InvalidArgument
from chargeplane.rpc.timestamps import optional_datetime, to_timestamp

MAX_ID_LENGTH = 48  # OCPP 2.0.1 identity limit; 1.6 uses 20-25 in practice
MAX_SITE_LENGTH = 63
MAX_TEXT_LENGTH = 255  # generous: the gateway enforces each field's OCPP limit
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_ACTIVITY_BATCH = 100_000
_PAGE_TOKEN_PREFIX = b"v1:"

_PROTOCOLS = {
    pb.PROTOCOL_OCPP16: Protocol.OCPP16,
    pb.PROTOCOL_OCPP201: Protocol.OCPP201,
}
_STATUSES = {
    RegistrationStatus.ACCEPTED: pb.REGISTRATION_STATUS_ACCEPTED,
    RegistrationStatus.PENDING: pb.REGISTRATION_STATUS_PENDING,
    RegistrationStatus.REJECTED: pb.REGISTRATION_STATUS_REJECTED,
}
KNOWN_PROTOCOLS = frozenset(p.value for p in Protocol)


# -- validation ---------------------------------------------------------------------------


def charge_point_id(value: str, field: str = "charge_point_id") -> str:
    if not value:
        raise InvalidArgument(f"{field} is required")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidArgument(f"{field} is longer than {MAX_ID_LENGTH} characters")
    if ":" in value:
        raise InvalidArgument(f"{field} must not contain ':'")
    if not value.isprintable():
        raise InvalidArgument(f"{field} contains control characters")
    return value


def _text(value: str, field: str, max_length: int = MAX_TEXT_LENGTH) -> str:
    if len(value) > max_length:
        raise InvalidArgument(f"{field} is longer than {max_length} characters")
    if "\x00" in value:  # PostgreSQL text cannot hold NUL
        raise InvalidArgument(f"{field} contains a NUL character")
    return value


def _optional_text(message: Any, field: str, prefix: str) -> str | None:
    if not message.HasField(field):
        return None
    return _text(getattr(message, field), f"{prefix}{field}")


def site(value: str) -> str | None:
    """Empty means none."""
    if not value:
        return None
    if not value.isprintable():
        raise InvalidArgument("site contains control characters")
    return _text(value, "site", MAX_SITE_LENGTH)


def allowed_protocols(values: Iterable[str]) -> list[str]:
    result: list[str] = []
    for value in values:
        if value not in KNOWN_PROTOCOLS:
            known = ", ".join(sorted(KNOWN_PROTOCOLS))
            raise InvalidArgument(f"allowed_protocols: unknown protocol {value!r} (known: {known})")
        if value not in result:
            result.append(value)
    return result


def page_size(value: int) -> int:
    if value < 0:
        raise InvalidArgument("page_size must not be negative")
    return min(value or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def encode_page_token(last_id: str) -> str:
    return base64.urlsafe_b64encode(_PAGE_TOKEN_PREFIX + last_id.encode()).decode().rstrip("=")


def decode_page_token(token: str) -> str | None:
    """The id after which the next page starts; None for the first page."""
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        if not raw.startswith(_PAGE_TOKEN_PREFIX):
            raise ValueError("unknown token version")
        return charge_point_id(raw[len(_PAGE_TOKEN_PREFIX) :].decode(), "page_token")
    except (ValueError, binascii.Error, UnicodeDecodeError, InvalidArgument):
        raise InvalidArgument("page_token is not a token returned by ListChargePoints") from None


def _timestamp(message: Any, field: str, default: datetime) -> datetime:
    try:
        value = optional_datetime(message, field)
    except (ValueError, OverflowError):
        raise InvalidArgument(f"{field} is out of range") from None
    return default if value is None else value


# -- requests -----------------------------------------------------------------------------


def boot_request(request: pb.BootRequest) -> BootRequest:
    protocol = _PROTOCOLS.get(request.protocol)
    if protocol is None:
        raise InvalidArgument("protocol is required (PROTOCOL_OCPP16 or PROTOCOL_OCPP201)")
    station = request.station
    return BootRequest(
        charge_point_id=charge_point_id(request.charge_point_id),
        protocol=protocol,
        station=StationInfo(
            vendor=_text(station.vendor, "station.vendor"),
            model=_text(station.model, "station.model"),
            serial_number=_optional_text(station, "serial_number", "station."),
            firmware_version=_optional_text(station, "firmware_version", "station."),
            iccid=_optional_text(station, "iccid", "station."),
            imsi=_optional_text(station, "imsi", "station."),
            meter_type=_optional_text(station, "meter_type", "station."),
            meter_serial_number=_optional_text(station, "meter_serial_number", "station."),
        ),
        reason=_text(request.reason, "reason") or None,
        site=site(request.site),
    )


def status_report(request: pb.RecordStatusRequest, now: datetime) -> StatusReport:
    ref = request.connector
    if ref.evse_id < 0 or ref.connector_id < 0:
        raise InvalidArgument("connector.evse_id and connector.connector_id must not be negative")
    if not request.status:
        raise InvalidArgument("status is required")
    return StatusReport(
        charge_point_id=charge_point_id(request.charge_point_id),
        connector=ConnectorRef(ref.evse_id, ref.connector_id),
        status=_text(request.status, "status", 50),
        # 1.6 makes the timestamp optional: then the registry's clock stands in.
        timestamp=_timestamp(request, "timestamp", now),
        error_code=_optional_text(request, "error_code", ""),
        info=_optional_text(request, "info", ""),
        vendor_id=_optional_text(request, "vendor_id", ""),
        vendor_error_code=_optional_text(request, "vendor_error_code", ""),
    )


def activities(request: pb.RecordActivityRequest, now: datetime) -> list[Activity]:
    if len(request.activities) > MAX_ACTIVITY_BATCH:
        raise InvalidArgument(f"at most {MAX_ACTIVITY_BATCH} activities per call")
    return [
        Activity(
            charge_point_id=charge_point_id(item.charge_point_id, f"activities[{i}].charge_point_id"),
            seen_at=_timestamp(item, "seen_at", now),
        )
        for i, item in enumerate(request.activities)
    ]


# -- responses ----------------------------------------------------------------------------


def boot_response(decision: BootDecision) -> pb.BootResponse:
    return pb.BootResponse(
        status=_STATUSES[decision.status],
        current_time=to_timestamp(decision.current_time),
        interval=decision.interval,
        pending_configuration=[pb.ConfigurationSetting(key=k, value=v) for k, v in decision.pending_configuration],
    )


def charge_point(cp: ChargePoint, owner: Owner | None) -> pb.ChargePoint:
    message = pb.ChargePoint(
        id=cp.id,
        site=cp.site or "",
        registered=cp.registered,
        protocol=cp.protocol or "",
        boot_status=cp.boot_status or "",
        created_at=to_timestamp(cp.created_at),
    )
    if cp.station is not None:
        s = cp.station
        message.station.CopyFrom(
            pb.StationInfo(
                vendor=s.vendor,
                model=s.model,
                serial_number=s.serial_number,
                firmware_version=s.firmware_version,
                iccid=s.iccid,
                imsi=s.imsi,
                meter_type=s.meter_type,
                meter_serial_number=s.meter_serial_number,
            )
        )
    if cp.last_boot_at is not None:
        message.last_boot_at.CopyFrom(to_timestamp(cp.last_boot_at))
    if cp.last_seen_at is not None:
        message.last_seen_at.CopyFrom(to_timestamp(cp.last_seen_at))
    for c in cp.connectors:
        state = message.connectors.add(
            evse_id=c.evse_id,
            connector_id=c.connector_id,
            status=c.status,
            availability=c.availability.value,
            error_code=c.error_code,
            info=c.info,
            vendor_error_code=c.vendor_error_code,
        )
        if c.updated_at is not None:
            state.updated_at.CopyFrom(to_timestamp(c.updated_at))
    if owner is not None:
        message.connection.CopyFrom(
            pb.Connection(
                gateway=owner.gateway,
                address=owner.address,
                epoch=owner.epoch,
                protocol=owner.protocol,
                connected_since=to_timestamp(owner.connected_since),
            )
        )
    return message
