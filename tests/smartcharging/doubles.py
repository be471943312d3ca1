"""A ProfileSender double that behaves like a set of chargers holding profiles.

Each virtual charger keeps what it accepted (a profile replaces the one with its id, and in
1.6 the one with the same stack level and purpose on the connector), answers Rejected when
told to, stays silent (timeout) when unplugged, and reports what it applies: the composite
schedule of what it holds — the number the site invariant is about.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.smartcharging import (
    ActiveTransaction,
    ChargingProfile,
    InstalledProfile,
    Purpose,
    RateUnit,
    StationContext,
    composite_schedule,
    replaced_profiles,
)
from chargeplane.services.smartcharging import ClearCriteria, PushAnswer, PushStatus


@dataclass
class VirtualCharger:
    protocol: Protocol
    max_a: dict[int, float]
    held: dict[int, InstalledProfile] = field(default_factory=dict)
    transactions: dict[int, ActiveTransaction] = field(default_factory=dict)
    reject: bool = False
    silent: bool = False
    offline: bool = False

    def applied_a(self, evse_id: int, at: datetime) -> float:
        tx = self.transactions.get(evse_id)
        schedule = composite_schedule(self.held.values(), evse_id, at, 1, RateUnit.AMPS, transaction=tx)
        limit = schedule.periods[0].limit
        return self.max_a[evse_id] if limit is None else min(limit, self.max_a[evse_id])


class FakeChargers:
    def __init__(self) -> None:
        self.chargers: dict[str, VirtualCharger] = {}
        self.log: list[tuple[str, int, ChargingProfile, str]] = []
        self.totals: list[tuple[datetime, float]] = []  # what all EVSEs may draw, after every change

    def add(self, cp: str, protocol: Protocol, evses: Iterable[int], max_a: float = 32.0) -> VirtualCharger:
        charger = VirtualCharger(protocol, dict.fromkeys(evses, max_a))
        self.chargers[cp] = charger
        return charger

    def start(self, cp: str, evse_id: int, tx: str) -> None:
        self.chargers[cp].transactions[evse_id] = ActiveTransaction(tx, datetime.now(UTC))

    def stop(self, cp: str, evse_id: int) -> None:
        charger = self.chargers[cp]
        tx = charger.transactions.pop(evse_id)
        for pid, item in list(charger.held.items()):
            if (
                item.profile.purpose is Purpose.TX
                and item.evse_id == evse_id
                and item.profile.transaction_id in (None, tx.transaction_id)
            ):
                del charger.held[pid]

    def applied_total(self, at: datetime | None = None) -> float:
        """Sum of what every charging EVSE may draw now (amps per phase, 3-phase EVSEs)."""
        at = at or datetime.now(UTC)
        return sum(c.applied_a(e, at) for c in self.chargers.values() for e in c.max_a)

    async def set_profile(self, charge_point_id: str, evse_id: int, profile: ChargingProfile) -> PushAnswer:
        charger = self.chargers.get(charge_point_id)
        if charger is None or charger.offline:
            return PushAnswer(PushStatus.OFFLINE, "not connected")
        if charger.silent:
            await asyncio.sleep(3600)
        await asyncio.sleep(0.001)  # a network round trip
        if charger.reject:
            self.log.append((charge_point_id, evse_id, profile, "Rejected"))
            return PushAnswer(PushStatus.REJECTED, "told to")
        if profile.purpose is Purpose.TX:
            tx = charger.transactions.get(evse_id)
            if tx is None or profile.transaction_id not in (None, tx.transaction_id):
                self.log.append((charge_point_id, evse_id, profile, "Rejected"))
                return PushAnswer(PushStatus.REJECTED, "no such transaction")
        ctx = StationContext(charger.protocol, datetime.now(UTC), installed=list(charger.held.values()))
        for old in replaced_profiles(evse_id, profile, ctx):
            charger.held.pop(old.profile.id, None)
        charger.held[profile.id] = InstalledProfile(evse_id, profile, datetime.now(UTC))
        self.log.append((charge_point_id, evse_id, profile, "Accepted"))
        now = datetime.now(UTC)
        self.totals.append((now, self.applied_total(now)))
        return PushAnswer(PushStatus.ACCEPTED)

    async def clear_profiles(self, charge_point_id: str, criteria: ClearCriteria) -> PushAnswer:
        charger = self.chargers.get(charge_point_id)
        if charger is None or charger.offline:
            return PushAnswer(PushStatus.OFFLINE, "not connected")
        gone = [
            pid
            for pid, item in charger.held.items()
            if (criteria.profile_id is None or pid == criteria.profile_id)
            and (criteria.evse_id is None or item.evse_id == criteria.evse_id)
            and (criteria.purpose is None or item.profile.purpose is criteria.purpose)
            and (criteria.stack_level is None or item.profile.stack_level == criteria.stack_level)
        ]
        for pid in gone:
            del charger.held[pid]
        return PushAnswer(PushStatus.ACCEPTED if gone else PushStatus.UNKNOWN)
