"""Reservation (OCPP 2.0.1 block H)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from chargeplane.domain.commands.base import Command
from chargeplane.domain.fields import IdToken, IdTokenType, Int32, Moment, one_of

CONNECTOR_TYPES = (
    "cCCS1", "cCCS2", "cG105", "cTesla", "cType1", "cType2", "s309-1P-16A", "s309-1P-32A", "s309-3P-16A",
    "s309-3P-32A", "sBS1361", "sCEE-7-7", "sType2", "sType3", "Other1PhMax16A", "Other1PhOver16A", "Other3Ph",
    "Pan", "wInductive", "wResonant", "Undetermined", "Unknown",
)  # fmt: skip


class ReserveNow(Command):
    name: ClassVar[str] = "reserve-now"
    reservation_id: Int32
    expiry: Moment
    id_token: IdToken
    id_token_type: IdTokenType = "Central"
    evse_id: Int32 | None = Field(default=None, description="None or 0: any EVSE (1.6 connector 0).")
    group_id_token: IdToken | None = Field(default=None, description="1.6 parentIdTag.")
    connector_type: Annotated[str, one_of(*CONNECTOR_TYPES)] | None = Field(default=None, description="2.0.1 only.")


class CancelReservation(Command):
    name: ClassVar[str] = "cancel-reservation"
    reservation_id: Int32
