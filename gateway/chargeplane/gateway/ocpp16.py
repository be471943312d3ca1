"""OCPP 1.6J: translate charger CALLs into domain calls and answers back into 1.6 shapes."""

from __future__ import annotations

from datetime import UTC, datetime
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


class Ocpp16Provisioning:
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
        decision = await self.backend.boot(
            BootRequest(
                charge_point_id=conn.cp_id,
                protocol=Protocol.OCPP16,
                site=conn.site,
                station=StationInfo(
                    vendor=p["chargePointVendor"],
                    model=p["chargePointModel"],
                    serial_number=p.get("chargePointSerialNumber") or p.get("chargeBoxSerialNumber"),
                    firmware_version=p.get("firmwareVersion"),
                    iccid=p.get("iccid"),
                    imsi=p.get("imsi"),
                    meter_type=p.get("meterType"),
                    meter_serial_number=p.get("meterSerialNumber"),
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
        timestamp = p.get("timestamp")
        error_code = p["errorCode"]
        await self.backend.record_status(
            StatusReport(
                charge_point_id=conn.cp_id,
                connector=ConnectorRef.from_v16(p["connectorId"]),
                status=p["status"],
                timestamp=parse_time(timestamp) if timestamp else datetime.now(UTC),
                error_code=error_code,
                info=p.get("info"),
                vendor_id=p.get("vendorId"),
                vendor_error_code=p.get("vendorErrorCode"),
            )
        )
        return {}

    async def data_transfer(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        # No vendor extensions are registered: the spec's answer is UnknownVendorId.
        return {"status": "UnknownVendorId"}
