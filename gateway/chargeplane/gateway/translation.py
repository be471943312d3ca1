"""How a version package describes a CSMS-initiated command: the CALL it becomes and how
the charger's CALLRESULT reads, version-neutrally.

Each functional-block module of a version package lists one `Translation` per command it
can send; the version's routing table (`ocpp16/routes.py`, `ocpp201/routes.py`) merges them.
A command missing from a version's table, or a parameter the version cannot carry, is an
`UnsupportedCommand` raised before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.commands import Command, CommandResult, UnsupportedCommand
from chargeplane.domain.device import DeviceVariable
from chargeplane.gateway.wire import drop_none

C = TypeVar("C", bound=Command)
OcppCall = tuple[str, dict[str, Any]]  # (action, request payload)


def status_info(payload: Mapping[str, Any], key: str = "statusInfo") -> dict[str, Any]:
    """A 2.0.1 StatusInfoType as neutral details (empty when absent)."""
    info = payload.get(key)
    if not info:
        return {}
    return {
        "status_info": drop_none({"reason_code": info.get("reasonCode"), "additional_info": info.get("additionalInfo")})
    }


def status_result(payload: Mapping[str, Any], **details: Any) -> CommandResult:
    """The answer's status word, its statusInfo and the given details (None left out)."""
    return CommandResult(str(payload["status"]), {**status_info(payload), **drop_none(details)})


def schedule_periods(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """ChargingSchedulePeriods (spelled the same in both versions) as neutral details."""
    return [
        drop_none(
            {
                "start_period": p["startPeriod"],
                "limit": p["limit"],
                "number_phases": p.get("numberPhases"),
                "phase_to_use": p.get("phaseToUse"),
            }
        )
        for p in items
    ]


def _status_only(command: Any, payload: dict[str, Any]) -> CommandResult:
    return status_result(payload)


def _reports_nothing(command: Any, payload: dict[str, Any]) -> list[DeviceVariable]:
    return []


@dataclass(frozen=True, slots=True)
class Translation(Generic[C]):
    """One command in one OCPP version."""

    command: type[C]
    request: Callable[[C], OcppCall]  # raises UnsupportedCommand
    result: Callable[[C, dict[str, Any]], CommandResult] = _status_only
    # What the answer tells about the charger's configuration (kept with its device model).
    reported: Callable[[C, dict[str, Any]], list[DeviceVariable]] = _reports_nothing


Translations = dict[type[Command], Translation[Any]]


def translations(*items: Translation[Any]) -> Translations:
    return {t.command: t for t in items}


def cannot(protocol: Protocol, what: str) -> UnsupportedCommand:
    return UnsupportedCommand(f"OCPP {protocol.value.removeprefix('ocpp')} cannot express {what}")
