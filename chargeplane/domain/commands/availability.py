"""Availability (OCPP 2.0.1 block G): take a charger, an EVSE or a connector in or out of service."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, field_validator

from chargeplane.domain.commands.base import Command
from chargeplane.domain.commands.remote_control import needs_evse
from chargeplane.domain.fields import Int32, one_of


class ChangeAvailability(Command):
    name: ClassVar[str] = "change-availability"
    status: Annotated[str, one_of("Operative", "Inoperative")]
    evse_id: Int32 | None = Field(default=None, description="None or 0: the whole charger.")
    connector_id: Int32 | None = None

    _connector_needs_evse = field_validator("connector_id")(needs_evse)
