"""CSMS-initiated operations, version-neutral, one module per OCPP functional block.

Each operation is a pydantic model of its parameters (the REST API's request bodies,
validated the same way by the gRPC API and the gateway). `COMMANDS` maps URL-friendly names
to the models; `parse_command(name, data)` validates JSON input. The wire format of each
OCPP version -- the CALL a command becomes and how the answer reads -- lives in the
gateway's version packages (gateway/ocpp16/, gateway/ocpp201/), not here.

Addressing: OCPP 1.6 connector N is EVSE N (connector 1 of it); 1.6 connector 0 is the
charge point as a whole, which 2.0.1 expresses by leaving the EVSE out (or EVSE 0).
"""

from __future__ import annotations

from typing import Any

from chargeplane.domain.charging_profile import ChargingProfile, ChargingSchedule, SchedulePeriod
from chargeplane.domain.commands.authorization import ClearCache
from chargeplane.domain.commands.availability import ChangeAvailability
from chargeplane.domain.commands.base import Command, CommandResult, UnsupportedCommand
from chargeplane.domain.commands.data_transfer import DataTransfer
from chargeplane.domain.commands.diagnostics import GetDiagnostics
from chargeplane.domain.commands.firmware import UpdateFirmware
from chargeplane.domain.commands.local_auth_list import GetLocalListVersion, LocalListEntry, SendLocalList
from chargeplane.domain.commands.provisioning import (
    ChangeConfiguration,
    ConfigurationSetting,
    GetBaseReport,
    GetConfiguration,
    Reset,
)
from chargeplane.domain.commands.remote_control import (
    TRIGGERABLE,
    RemoteStart,
    RemoteStop,
    TriggerMessage,
    UnlockConnector,
)
from chargeplane.domain.commands.reservation import CancelReservation, ReserveNow
from chargeplane.domain.commands.smart_charging import ClearChargingProfile, GetCompositeSchedule, SetChargingProfile

__all__ = [
    "COMMANDS",
    "TRIGGERABLE",
    "CancelReservation",
    "ChangeAvailability",
    "ChangeConfiguration",
    "ChargingProfile",
    "ChargingSchedule",
    "ClearCache",
    "ClearChargingProfile",
    "Command",
    "CommandResult",
    "ConfigurationSetting",
    "DataTransfer",
    "GetBaseReport",
    "GetCompositeSchedule",
    "GetConfiguration",
    "GetDiagnostics",
    "GetLocalListVersion",
    "LocalListEntry",
    "RemoteStart",
    "RemoteStop",
    "ReserveNow",
    "Reset",
    "SchedulePeriod",
    "SendLocalList",
    "SetChargingProfile",
    "TriggerMessage",
    "UnknownCommand",
    "UnlockConnector",
    "UnsupportedCommand",
    "UpdateFirmware",
    "parse_command",
]

COMMANDS: dict[str, type[Command]] = {
    cls.name: cls
    for cls in (
        Reset,
        RemoteStart,
        RemoteStop,
        UnlockConnector,
        ChangeAvailability,
        TriggerMessage,
        GetConfiguration,
        ChangeConfiguration,
        GetBaseReport,
        ClearCache,
        DataTransfer,
        ReserveNow,
        CancelReservation,
        SendLocalList,
        GetLocalListVersion,
        UpdateFirmware,
        GetDiagnostics,
        SetChargingProfile,
        ClearChargingProfile,
        GetCompositeSchedule,
    )
}


class UnknownCommand(LookupError):
    """No command of that name."""


def parse_command(name: str, data: Any) -> Command:
    """The command named `name` (a key of COMMANDS) from its JSON parameters. Raises
    UnknownCommand, or pydantic.ValidationError (a ValueError) naming the bad field."""
    cls = COMMANDS.get(name)
    if cls is None:
        raise UnknownCommand(f"unknown command {name!r}; known: {', '.join(sorted(COMMANDS))}")
    return cls.model_validate(data)
