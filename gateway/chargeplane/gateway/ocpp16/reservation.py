"""Reservation, OCPP 1.6: ReserveNow and CancelReservation out."""

from __future__ import annotations

from chargeplane.domain.commands import CancelReservation, ReserveNow
from chargeplane.gateway.ocpp16.datatypes import cannot, id_tag
from chargeplane.gateway.translation import OcppCall, Translation, translations
from chargeplane.gateway.wire import drop_none, to_iso


def reserve_now(c: ReserveNow) -> OcppCall:
    if c.connector_type is not None:
        raise cannot("a reservation for a connector type")
    return "ReserveNow", drop_none(
        {
            "connectorId": c.evse_id or 0,
            "expiryDate": to_iso(c.expiry),
            "idTag": id_tag(c.id_token),
            "parentIdTag": id_tag(c.group_id_token, "group_id_token") if c.group_id_token else None,
            "reservationId": c.reservation_id,
        }
    )


def cancel_reservation(c: CancelReservation) -> OcppCall:
    return "CancelReservation", {"reservationId": c.reservation_id}


COMMANDS = translations(Translation(ReserveNow, reserve_now), Translation(CancelReservation, cancel_reservation))
