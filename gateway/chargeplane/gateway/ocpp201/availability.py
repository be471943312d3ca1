"""Availability, OCPP 2.0.1: Heartbeat and StatusNotification in; ChangeAvailability out."""

from __future__ import annotations

from typing import Any

from chargeplane.domain.chargepoints import ConnectorRef, StatusReport
from chargeplane.domain.commands import ChangeAvailability
from chargeplane.gateway.connection import Handler, OcppConnection
from chargeplane.gateway.ocpp201.datatypes import evse
from chargeplane.gateway.ports import StatusService
from chargeplane.gateway.translation import OcppCall, Translation, translations
from chargeplane.gateway.wire import drop_none, now_iso, parse_time


class Availability:
    def __init__(self, status: StatusService) -> None:
        self.status = status

    def handlers(self) -> dict[str, Handler]:
        return {"Heartbeat": self.heartbeat, "StatusNotification": self.status_notification}

    async def heartbeat(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        return {"currentTime": now_iso()}

    async def status_notification(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        await self.status.record_status(
            StatusReport(
                charge_point_id=conn.cp_id,
                connector=ConnectorRef(p["evseId"], p["connectorId"]),
                status=p["connectorStatus"],
                timestamp=parse_time(p["timestamp"]),
            )
        )
        return {}


def change_availability(c: ChangeAvailability) -> OcppCall:
    return "ChangeAvailability", drop_none({"operationalStatus": c.status, "evse": evse(c.evse_id, c.connector_id)})


COMMANDS = translations(Translation(ChangeAvailability, change_availability))
