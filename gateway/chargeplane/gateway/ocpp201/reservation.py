"""Reservation, OCPP 2.0.1: ReservationStatusUpdate in (kept as a notification);
ReserveNow and CancelReservation out."""

from __future__ import annotations

from typing import Any

from chargeplane.domain.commands import CancelReservation, ReserveNow
from chargeplane.gateway.connection import Handler
from chargeplane.gateway.notifications import kept_as
from chargeplane.gateway.ocpp201.datatypes import id_token
from chargeplane.gateway.ports import NotificationLog
from chargeplane.gateway.translation import OcppCall, Translation, translations
from chargeplane.gateway.wire import drop_none, to_iso


def _update_status(p: dict[str, Any]) -> str:
    return str(p["reservationUpdateStatus"])


def handlers(log: NotificationLog) -> dict[str, Handler]:
    return {"ReservationStatusUpdate": kept_as(log, "ReservationStatusUpdate", _update_status)}


def reserve_now(c: ReserveNow) -> OcppCall:
    return "ReserveNow", drop_none(
        {
            "id": c.reservation_id,
            "expiryDateTime": to_iso(c.expiry),
            "idToken": id_token(c.id_token, c.id_token_type),
            "evseId": c.evse_id or None,
            "connectorType": c.connector_type,
            "groupIdToken": id_token(c.group_id_token) if c.group_id_token else None,
        }
    )


def cancel_reservation(c: CancelReservation) -> OcppCall:
    return "CancelReservation", {"reservationId": c.reservation_id}


COMMANDS = translations(Translation(ReserveNow, reserve_now), Translation(CancelReservation, cancel_reservation))
