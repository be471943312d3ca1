"""Security, OCPP 1.6 (security extension): SecurityEventNotification in."""

from __future__ import annotations

from typing import Any

from chargeplane.gateway.connection import Handler
from chargeplane.gateway.notifications import kept_as
from chargeplane.gateway.ports import NotificationLog


def _event_type(p: dict[str, Any]) -> str:
    return str(p["type"])  # e.g. FirmwareUpdated, InvalidCentralSystemCertificate


def handlers(log: NotificationLog) -> dict[str, Handler]:
    return {"SecurityEventNotification": kept_as(log, "SecurityEventNotification", _event_type)}
