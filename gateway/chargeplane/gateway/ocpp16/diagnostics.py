"""Diagnostics, OCPP 1.6: DiagnosticsStatusNotification and the security extension's
LogStatusNotification in; GetDiagnostics (GetLog for security logs) out."""

from __future__ import annotations

from typing import Any

from chargeplane.domain.commands import CommandResult, GetDiagnostics
from chargeplane.gateway.connection import Handler
from chargeplane.gateway.notifications import kept_as, status_field
from chargeplane.gateway.ports import NotificationLog
from chargeplane.gateway.translation import OcppCall, Translation, status_result, translations
from chargeplane.gateway.wire import drop_none, to_iso


def handlers(log: NotificationLog) -> dict[str, Handler]:
    return {
        "DiagnosticsStatusNotification": kept_as(log, "DiagnosticsStatusNotification", status_field),
        "LogStatusNotification": kept_as(log, "LogStatusNotification", status_field),
    }


def get_diagnostics(c: GetDiagnostics) -> OcppCall:
    if c.log_type == "DiagnosticsLog":
        return "GetDiagnostics", drop_none(
            {
                "location": c.location,
                "startTime": to_iso(c.oldest) if c.oldest else None,
                "stopTime": to_iso(c.latest) if c.latest else None,
                "retries": c.retries,
                "retryInterval": c.retry_interval,
            }
        )
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


def diagnostics_result(c: GetDiagnostics, p: dict[str, Any]) -> CommandResult:
    if "status" not in p:  # GetDiagnostics.conf: no fileName = nothing to upload
        return CommandResult("Accepted", drop_none({"file_name": p.get("fileName")}))
    return status_result(p, file_name=p.get("filename"), request_id=c.request_id)


COMMANDS = translations(Translation(GetDiagnostics, get_diagnostics, diagnostics_result))
