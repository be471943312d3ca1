"""Display messages, OCPP 2.0.1: NotifyDisplayMessages in (kept as a notification)."""

from __future__ import annotations

from chargeplane.gateway.connection import Handler
from chargeplane.gateway.notifications import kept_as
from chargeplane.gateway.ports import NotificationLog


def handlers(log: NotificationLog) -> dict[str, Handler]:
    return {"NotifyDisplayMessages": kept_as(log, "NotifyDisplayMessages", lambda p: "Report")}
