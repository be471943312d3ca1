"""Charger reports kept as notifications (firmware and log upload progress, security
events, 2.0.1 reports answered with an empty payload), the same way for both versions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chargeplane.domain.device import Notification
from chargeplane.gateway.connection import Handler, OcppConnection
from chargeplane.gateway.ports import NotificationLog


async def keep(log: NotificationLog, conn: OcppConnection, kind: str, status: str, p: dict[str, Any]) -> dict[str, Any]:
    request_id = p.get("requestId")
    await log.record_notification(
        Notification(
            charge_point_id=conn.cp_id,
            kind=kind,
            status=status,
            payload=p,
            request_id=request_id if isinstance(request_id, int) else None,
        )
    )
    return {}


def kept_as(log: NotificationLog, kind: str, status_of: Callable[[dict[str, Any]], str]) -> Handler:
    """A handler that keeps the CALL as a notification of `kind` and answers {}."""

    async def handler(conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        return await keep(log, conn, kind, status_of(p), p)

    return handler


def status_field(p: dict[str, Any]) -> str:
    return str(p["status"])
