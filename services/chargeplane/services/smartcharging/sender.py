"""Sending profiles to chargers: the seam to command routing.

The service never talks OCPP: it hands a version-neutral profile (or clear criteria) to a
`ProfileSender` and records the answer. In the all-in-one process and the pods the sender
goes through the shared command routing (gateway `Call` fenced by the connection epoch);
tests use a double that answers like a charger would. Until routing is wired in, the
runtime uses `UnroutedSender`, whose pushes are recorded as `not_sent`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from chargeplane.domain.smartcharging import ChargingProfile, Purpose

__all__ = ["ClearCriteria", "ProfileSender", "PushAnswer", "PushStatus", "UnroutedSender"]


class PushStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "Accepted"  # SetChargingProfile / ClearChargingProfile
    REJECTED = "Rejected"
    UNKNOWN = "Unknown"  # ClearChargingProfile: nothing matched
    OFFLINE = "offline"  # not connected: nothing was sent
    TIMEOUT = "timeout"  # sent, no answer: the charger may or may not apply it
    ERROR = "error"  # CALLERROR or a failure after sending: outcome unknown
    NOT_SENT = "not_sent"  # no route to chargers in this runtime

    @property
    def definitive(self) -> bool:
        """The charger certainly holds what the answer says (applied, or not applied)."""
        return self in (
            PushStatus.ACCEPTED,
            PushStatus.REJECTED,
            PushStatus.UNKNOWN,
            PushStatus.OFFLINE,
            PushStatus.NOT_SENT,
        )


@dataclass(frozen=True, slots=True)
class PushAnswer:
    status: PushStatus
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class ClearCriteria:
    profile_id: int | None = None
    evse_id: int | None = None
    purpose: Purpose | None = None
    stack_level: int | None = None


class ProfileSender(Protocol):
    async def set_profile(self, charge_point_id: str, evse_id: int, profile: ChargingProfile) -> PushAnswer: ...

    async def clear_profiles(self, charge_point_id: str, criteria: ClearCriteria) -> PushAnswer: ...


class UnroutedSender:
    """The sender of a runtime without command routing: nothing reaches a charger."""

    async def set_profile(self, charge_point_id: str, evse_id: int, profile: ChargingProfile) -> PushAnswer:
        return PushAnswer(PushStatus.NOT_SENT, "no command routing in this runtime")

    async def clear_profiles(self, charge_point_id: str, criteria: ClearCriteria) -> PushAnswer:
        return PushAnswer(PushStatus.NOT_SENT, "no command routing in this runtime")
