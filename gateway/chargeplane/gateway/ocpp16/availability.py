"""Availability, OCPP 1.6: Heartbeat and StatusNotification in; ChangeAvailability out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chargeplane.domain.chargepoints import ConnectorRef, StatusReport
from chargeplane.domain.commands import ChangeAvailability
from chargeplane.gateway.connection import Handler, OcppConnection
from chargeplane.gateway.ocpp16.datatypes import connector
from chargeplane.gateway.ports import StatusService
from chargeplane.gateway.translation import OcppCall, Translation, translations
from chargeplane.gateway.wire import now_iso, parse_time


class Availability:
    def __init__(self, status: StatusService) -> None:
        self.status = status

    def handlers(self) -> dict[str, Handler]:
        return {"Heartbeat": self.heartbeat, "StatusNotification": self.status_notification}

    async def heartbeat(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        return {"currentTime": now_iso()}

    async def status_notification(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        timestamp = p.get("timestamp")
        await self.status.record_status(
            StatusReport(
                charge_point_id=conn.cp_id,
                connector=ConnectorRef.from_v16(p["connectorId"]),
                status=p["status"],
                timestamp=parse_time(timestamp) if timestamp else datetime.now(UTC),
                error_code=p["errorCode"],
                info=p.get("info"),
                vendor_id=p.get("vendorId"),
                vendor_error_code=p.get("vendorErrorCode"),
            )
        )
        return {}


def change_availability(c: ChangeAvailability) -> OcppCall:
    connector_id = connector(c.evse_id, c.connector_id, what="change availability")
    return "ChangeAvailability", {"connectorId": connector_id, "type": c.status}


COMMANDS = translations(Translation(ChangeAvailability, change_availability))
