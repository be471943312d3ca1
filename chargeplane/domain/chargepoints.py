"""Charge points, boots, connector states: the registry's domain."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Protocol(StrEnum):
    OCPP16 = "ocpp1.6"
    OCPP201 = "ocpp2.0.1"


class RegistrationStatus(StrEnum):
    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


class Availability(StrEnum):
    """Connector state common to both versions (2.0.1 ConnectorStatusEnumType)."""

    AVAILABLE = "Available"
    OCCUPIED = "Occupied"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"


# OCPP 1.6 ChargePointStatus -> the common availability. The raw status is kept too.
_AVAILABILITY_16 = {
    "Available": Availability.AVAILABLE,
    "Preparing": Availability.OCCUPIED,
    "Charging": Availability.OCCUPIED,
    "SuspendedEVSE": Availability.OCCUPIED,
    "SuspendedEV": Availability.OCCUPIED,
    "Finishing": Availability.OCCUPIED,
    "Reserved": Availability.RESERVED,
    "Unavailable": Availability.UNAVAILABLE,
    "Faulted": Availability.FAULTED,
}


def availability_of(status: str) -> Availability:
    """Map a 1.6 ChargePointStatus or 2.0.1 ConnectorStatus to the common availability."""
    try:
        return Availability(status)
    except ValueError:
        return _AVAILABILITY_16.get(status, Availability.UNAVAILABLE)


@dataclass(frozen=True, slots=True)
class StationInfo:
    """What a charger says about itself at boot (both versions)."""

    vendor: str
    model: str
    serial_number: str | None = None
    firmware_version: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None


@dataclass(frozen=True, slots=True)
class BootRequest:
    charge_point_id: str
    protocol: Protocol
    station: StationInfo
    reason: str | None = None  # 2.0.1 BootReasonEnumType; 1.6 has none
    site: str | None = None  # from the URL path /ocpp/<site>/<cpId>


@dataclass(frozen=True, slots=True)
class BootDecision:
    status: RegistrationStatus
    current_time: datetime
    interval: int  # heartbeat interval (Accepted) or retry interval (Pending/Rejected)
    # When accepted: the desired configuration not yet applied, (key, value) pairs for the
    # gateway to push once the boot is answered.
    pending_configuration: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ConnectorRef:
    """A connector addressed the 2.0.1 way. OCPP 1.6 connector N is EVSE N, connector 1;
    1.6 connector 0 (the charge point itself) is EVSE 0, connector 0."""

    evse_id: int
    connector_id: int

    @classmethod
    def from_v16(cls, connector_id: int) -> ConnectorRef:
        return cls(connector_id, 0 if connector_id == 0 else 1)


@dataclass(frozen=True, slots=True)
class StatusReport:
    charge_point_id: str
    connector: ConnectorRef
    status: str  # the raw protocol status (1.6 ChargePointStatus / 2.0.1 ConnectorStatus)
    timestamp: datetime
    error_code: str | None = None  # 1.6 ChargePointErrorCode
    info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None

    @property
    def availability(self) -> Availability:
        return availability_of(self.status)


@dataclass(frozen=True, slots=True)
class Activity:
    """The last time a charger was heard from; batched, never one write per message."""

    charge_point_id: str
    seen_at: datetime


@dataclass(slots=True)
class ConnectorState:
    evse_id: int
    connector_id: int
    status: str
    availability: Availability
    error_code: str | None
    info: str | None
    vendor_error_code: str | None
    updated_at: datetime | None


@dataclass(slots=True)
class Connection:
    """Live connection facts from the Redis connection registry."""

    gateway: str
    address: str
    epoch: int
    protocol: str
    connected_since: datetime


@dataclass(slots=True)
class ChargePoint:
    id: str
    site: str | None
    registered: bool
    protocol: str | None
    station: StationInfo | None
    boot_status: str | None
    last_boot_at: datetime | None
    last_seen_at: datetime | None
    created_at: datetime
    connectors: list[ConnectorState] = field(default_factory=list)
    connection: Connection | None = None
