"""Smart charging (OCPP 2.0.1 block K): install and clear charging profiles, read the
charger's composite schedule. The profile model is chargeplane.domain.charging_profile."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from chargeplane.domain.charging_profile import ChargingProfile, Purpose, RateUnit
from chargeplane.domain.commands.base import Command
from chargeplane.domain.fields import Int32


class SetChargingProfile(Command):
    name: ClassVar[str] = "set-charging-profile"
    evse_id: Int32 = Field(description="0: the charger as a whole (1.6 connector 0).")
    profile: ChargingProfile


class ClearChargingProfile(Command):
    """Clear by id, or by any of evse / purpose / stack level; nothing given clears all."""

    name: ClassVar[str] = "clear-charging-profile"
    profile_id: Int32 | None = None
    evse_id: Int32 | None = None
    purpose: Purpose | None = None
    stack_level: Int32 | None = None


class GetCompositeSchedule(Command):
    name: ClassVar[str] = "get-composite-schedule"
    evse_id: Int32 = Field(description="0: the grid connection of the whole charger.")
    duration: Int32 = Field(description="Seconds.")
    rate_unit: RateUnit | None = None
