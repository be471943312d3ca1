"""Device state chargers report on their own, for both OCPP versions: firmware and
diagnostics/log upload progress, security events, monitoring events (stored as
notifications), device model reports (stored as device variables).

1.6 FirmwareStatusNotification, DiagnosticsStatusNotification and the security
extension's LogStatusNotification, SignedFirmwareStatusNotification and
SecurityEventNotification; 2.0.1 FirmwareStatusNotification, LogStatusNotification,
SecurityEventNotification, NotifyReport and NotifyEvent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chargeplane.domain.device import DeviceVariable, Notification, VariableRef, variables_from_report
from chargeplane.gateway.backend import Backend
from chargeplane.gateway.connection import Handler, OcppConnection


class _DeviceBase:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    async def _notify(self, conn: OcppConnection, kind: str, status: str, p: dict[str, Any]) -> dict[str, Any]:
        request_id = p.get("requestId")
        await self.backend.record_notification(
            Notification(
                charge_point_id=conn.cp_id,
                kind=kind,
                status=status,
                payload=p,
                request_id=request_id if isinstance(request_id, int) else None,
            )
        )
        return {}

    async def firmware_status(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        return await self._notify(conn, "FirmwareStatusNotification", p["status"], p)

    async def log_status(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        return await self._notify(conn, "LogStatusNotification", p["status"], p)

    async def security_event(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        # The event type (e.g. FirmwareUpdated, InvalidCentralSystemCertificate) is its status.
        return await self._notify(conn, "SecurityEventNotification", p["type"], p)


class Ocpp16Device(_DeviceBase):
    def handlers(self) -> dict[str, Handler]:
        return {
            "FirmwareStatusNotification": self.firmware_status,
            "DiagnosticsStatusNotification": self.diagnostics_status,
            "LogStatusNotification": self.log_status,
            "SignedFirmwareStatusNotification": self.signed_firmware_status,
            "SecurityEventNotification": self.security_event,
        }

    async def diagnostics_status(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        return await self._notify(conn, "DiagnosticsStatusNotification", p["status"], p)

    async def signed_firmware_status(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        return await self._notify(conn, "SignedFirmwareStatusNotification", p["status"], p)


# 2.0.1 reports a charger sends whose answer is empty: each is kept as a notification,
# with the field that says most about it as its status.
_REPORT_STATUS: dict[str, Callable[[dict[str, Any]], str]] = {
    "NotifyMonitoringReport": lambda p: "Report",
    "NotifyDisplayMessages": lambda p: "Report",
    "NotifyCustomerInformation": lambda p: "Report",
    "NotifyChargingLimit": lambda p: str(p["chargingLimit"]["chargingLimitSource"]),
    "ClearedChargingLimit": lambda p: str(p["chargingLimitSource"]),
    "ReportChargingProfiles": lambda p: str(p["chargingLimitSource"]),
    "ReservationStatusUpdate": lambda p: str(p["reservationUpdateStatus"]),
    "PublishFirmwareStatusNotification": lambda p: str(p["status"]),
}


class Ocpp201Device(_DeviceBase):
    def handlers(self) -> dict[str, Handler]:
        table: dict[str, Handler] = {action: self._report(action) for action in _REPORT_STATUS}
        table.update(
            {
                "FirmwareStatusNotification": self.firmware_status,
                "LogStatusNotification": self.log_status,
                "SecurityEventNotification": self.security_event,
                "NotifyReport": self.notify_report,
                "NotifyEvent": self.notify_event,
            }
        )
        return table

    def _report(self, action: str) -> Handler:
        status_of = _REPORT_STATUS[action]

        async def handler(conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
            return await self._notify(conn, action, status_of(p), p)

        return handler

    async def notify_report(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        """One part (seqNo, tbc) of a GetBaseReport/GetReport answer: each part is stored
        as it arrives (upserted per component/variable/attribute)."""
        variables = variables_from_report(p)
        if variables:
            await self.backend.record_device_variables(conn.cp_id, variables)
        return {}

    async def notify_event(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        """Monitoring events: each carries the variable's actual value, which updates the
        device model; the message itself is kept as a notification (status: the trigger
        of its first event: Alerting, Delta or Periodic)."""
        latest: dict[VariableRef, str] = {}
        for event in p["eventData"]:
            latest[VariableRef.from_ocpp201(event["component"], event["variable"])] = event["actualValue"]
        variables = [
            DeviceVariable(
                component=ref.component,
                variable=ref.variable,
                component_instance=ref.component_instance or "",
                variable_instance=ref.variable_instance or "",
                evse_id=ref.evse_id if ref.evse_id is not None else -1,
                connector_id=ref.connector_id if ref.connector_id is not None else -1,
                value=value,
            )
            for ref, value in latest.items()
        ]
        await self.backend.record_device_variables(conn.cp_id, variables)
        return await self._notify(conn, "NotifyEvent", p["eventData"][0]["trigger"], p)
