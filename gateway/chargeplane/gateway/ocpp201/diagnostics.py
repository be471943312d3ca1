"""Diagnostics, OCPP 2.0.1: LogStatusNotification, NotifyEvent, NotifyMonitoringReport and
NotifyCustomerInformation in; GetLog out."""

from __future__ import annotations

from typing import Any

from chargeplane.domain.commands import CommandResult, GetDiagnostics
from chargeplane.domain.device import DeviceVariable, VariableRef
from chargeplane.gateway.connection import Handler, OcppConnection
from chargeplane.gateway.notifications import keep, kept_as, status_field
from chargeplane.gateway.ports import DeviceModel, NotificationLog
from chargeplane.gateway.translation import OcppCall, Translation, status_result, translations
from chargeplane.gateway.wire import drop_none, to_iso


def _report(p: dict[str, Any]) -> str:
    return "Report"


class Diagnostics:
    def __init__(self, log: NotificationLog, device_model: DeviceModel) -> None:
        self.log = log
        self.device_model = device_model

    def handlers(self) -> dict[str, Handler]:
        return {
            "LogStatusNotification": kept_as(self.log, "LogStatusNotification", status_field),
            "NotifyMonitoringReport": kept_as(self.log, "NotifyMonitoringReport", _report),
            "NotifyCustomerInformation": kept_as(self.log, "NotifyCustomerInformation", _report),
            "NotifyEvent": self.notify_event,
        }

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
        await self.device_model.record_device_variables(conn.cp_id, variables)
        return await keep(self.log, conn, "NotifyEvent", p["eventData"][0]["trigger"], p)


def get_log(c: GetDiagnostics) -> OcppCall:
    log = drop_none(
        {
            "remoteLocation": c.location,
            "oldestTimestamp": to_iso(c.oldest) if c.oldest else None,
            "latestTimestamp": to_iso(c.latest) if c.latest else None,
        }
    )
    return "GetLog", drop_none(
        {
            "log": log,
            "logType": c.log_type,
            "requestId": c.request_id,
            "retries": c.retries,
            "retryInterval": c.retry_interval,
        }
    )


def log_requested(c: GetDiagnostics, p: dict[str, Any]) -> CommandResult:
    return status_result(p, file_name=p.get("filename"), request_id=c.request_id)


COMMANDS = translations(Translation(GetDiagnostics, get_log, log_requested))
