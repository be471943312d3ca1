"""OCPP 2.0.1: translate charger CALLs into domain calls and answers back into 2.0.1 shapes."""

from __future__ import annotations

from typing import Any

from chargeplane.domain.chargepoints import (
    BootRequest,
    ConnectorRef,
    Protocol,
    StationInfo,
    StatusReport,
)
from chargeplane.gateway.backend import Backend
from chargeplane.gateway.connection import Handler, OcppConnection
from chargeplane.gateway.ocpp_common import now_iso, parse_time, to_iso


class Ocpp201Provisioning:
    """Provisioning and availability: boot, heartbeat, status, data transfer."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def handlers(self) -> dict[str, Handler]:
        return {
            "BootNotification": self.boot_notification,
            "Heartbeat": self.heartbeat,
            "StatusNotification": self.status_notification,
            "DataTransfer": self.data_transfer,
        }

    async def boot_notification(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        station = p["chargingStation"]
        modem = station.get("modem") or {}
        decision = await self.backend.boot(
            BootRequest(
                charge_point_id=conn.cp_id,
                protocol=Protocol.OCPP201,
                site=conn.site,
                reason=p["reason"],
                station=StationInfo(
                    vendor=station["vendorName"],
                    model=station["model"],
                    serial_number=station.get("serialNumber"),
                    firmware_version=station.get("firmwareVersion"),
                    iccid=modem.get("iccid"),
                    imsi=modem.get("imsi"),
                ),
            )
        )
        conn.boot_status = decision.status
        return {
            "status": decision.status.value,
            "currentTime": to_iso(decision.current_time),
            "interval": decision.interval,
        }

    async def heartbeat(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        return {"currentTime": now_iso()}

    async def status_notification(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        await self.backend.record_status(
            StatusReport(
                charge_point_id=conn.cp_id,
                connector=ConnectorRef(p["evseId"], p["connectorId"]),
                status=p["connectorStatus"],
                timestamp=parse_time(p["timestamp"]),
            )
        )
        return {}

    async def data_transfer(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        return {"status": "UnknownVendorId"}
