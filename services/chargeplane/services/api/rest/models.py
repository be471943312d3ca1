"""REST response models (documented in /openapi.json) and their mapping from the registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from chargeplane.pb.registry.v1 import registry_pb2 as pb
from chargeplane.rpc.timestamps import optional_datetime, to_datetime

Availability = Literal["Available", "Occupied", "Reserved", "Unavailable", "Faulted"]


class Station(BaseModel):
    """What the charger reported about itself in its last BootNotification."""

    vendor: str
    model: str
    serial_number: str | None = None
    firmware_version: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None


class Connection(BaseModel):
    """The live WebSocket connection, as held by a gateway pod."""

    gateway: str = Field(description="Name of the gateway pod holding the connection.")
    address: str = Field(description="gRPC address of that gateway pod.")
    epoch: int = Field(description="Connection counter; increases with every new connection.")
    protocol: str
    connected_since: datetime


class Connector(BaseModel):
    evse_id: int
    connector_id: int
    status: str = Field(description="The raw OCPP status (1.6 ChargePointStatus or 2.0.1 ConnectorStatus).")
    availability: Availability = Field(description="The state common to both OCPP versions.")
    error_code: str | None = None
    info: str | None = None
    vendor_error_code: str | None = None
    updated_at: datetime | None = Field(description="When the charger reported this status.")


class ChargePoint(BaseModel):
    id: str
    site: str | None
    registered: bool = Field(description="Pre-registered by an operator (false: discovered at boot).")
    protocol: str | None = Field(description="OCPP version of the last boot.")
    station: Station | None
    boot_status: Literal["Accepted", "Pending", "Rejected"] | None
    last_boot_at: datetime | None
    last_seen_at: datetime | None
    created_at: datetime
    connection: Connection | None = Field(description="null when the charger is not connected.")
    connectors: list[Connector]


class ChargePointPage(BaseModel):
    items: list[ChargePoint]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class Ready(BaseModel):
    status: Literal["ready"]
    checks: dict[str, str]


def _optional(message: Any, field: str) -> str | None:
    return getattr(message, field) if message.HasField(field) else None


def charge_point(cp: pb.ChargePoint) -> ChargePoint:
    station = None
    if cp.HasField("station"):
        s = cp.station
        station = Station(
            vendor=s.vendor,
            model=s.model,
            serial_number=_optional(s, "serial_number"),
            firmware_version=_optional(s, "firmware_version"),
            iccid=_optional(s, "iccid"),
            imsi=_optional(s, "imsi"),
            meter_type=_optional(s, "meter_type"),
            meter_serial_number=_optional(s, "meter_serial_number"),
        )
    connection = None
    if cp.HasField("connection"):
        c = cp.connection
        connection = Connection(
            gateway=c.gateway,
            address=c.address,
            epoch=c.epoch,
            protocol=c.protocol,
            connected_since=to_datetime(c.connected_since),
        )
    return ChargePoint(
        id=cp.id,
        site=cp.site or None,
        registered=cp.registered,
        protocol=cp.protocol or None,
        station=station,
        boot_status=cp.boot_status or None,  # type: ignore[arg-type]  # the registry's own values
        last_boot_at=optional_datetime(cp, "last_boot_at"),
        last_seen_at=optional_datetime(cp, "last_seen_at"),
        created_at=to_datetime(cp.created_at),
        connection=connection,
        connectors=[
            Connector(
                evse_id=k.evse_id,
                connector_id=k.connector_id,
                status=k.status,
                availability=k.availability,  # type: ignore[arg-type]  # validated by pydantic
                error_code=_optional(k, "error_code"),
                info=_optional(k, "info"),
                vendor_error_code=_optional(k, "vendor_error_code"),
                updated_at=optional_datetime(k, "updated_at"),
            )
            for k in cp.connectors
        ],
    )
