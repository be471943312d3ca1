"""What the service knows in memory: chargers, sessions, active and in-flight profiles.

Loaded from PostgreSQL at start and kept in step with every write. The EVSE view the
planner needs (`EvseState`) is derived from it: an EVSE's accepted limits are the composite
schedule of the profiles its charger holds (so operator profiles count too), its fallback
is that composite without a transaction (TxDefaultProfile and station maximum: what a new
session may draw), and a profile in flight counts as if it were already installed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.smartcharging import (
    ActiveTransaction,
    ChargingProfile,
    InstalledProfile,
    RateUnit,
    StationContext,
    composite_schedule,
)
from chargeplane.domain.smartcharging.planner import EvseState, Session, Steps, highest

WINDOW = timedelta(days=2)  # how far ahead accepted limits are expanded for the planner


@dataclass(frozen=True, slots=True)
class EvseSpec:
    evse_id: int
    phases: tuple[int, ...]
    max_a: float
    min_a: float = 6.0


@dataclass(slots=True)
class Charger:
    charge_point_id: str
    site_id: str | None
    protocol: Protocol
    evses: dict[int, EvseSpec]
    online: bool = False


@dataclass(slots=True)
class SessionInfo:
    charge_point_id: str
    evse_id: int
    transaction_id: str
    started_at: datetime
    needs: dict[str, Any] = field(default_factory=dict)
    served_since: datetime | None = None
    last_served: datetime | None = None

    def domain(self) -> Session:
        n = self.needs
        departure = n.get("departure")
        return Session(
            self.transaction_id,
            self.started_at,
            priority=int(n.get("priority", 0)),
            departure=datetime.fromisoformat(departure) if departure else None,
            energy_need_wh=n.get("energy_need_wh"),
            delivered_wh=float(n.get("delivered_wh") or 0.0),
            soc=n.get("soc"),
            ev_max_a=n.get("ev_max_a"),
            ev_phases=n.get("ev_phases"),
            last_served=self.last_served,
            served_since=self.served_since,
        )


@dataclass(slots=True)
class Installed:
    evse_id: int
    profile: ChargingProfile
    source: str
    installed_at: datetime


def _steps(
    installed: Iterable[InstalledProfile], evse: EvseSpec, now: datetime, tx: ActiveTransaction | None, voltage: float
) -> Steps:
    schedule = composite_schedule(
        installed, evse.evse_id, now, int(WINDOW.total_seconds()), RateUnit.AMPS, transaction=tx, voltage=voltage
    )
    out: list[tuple[datetime, float]] = []
    for p in schedule.periods:
        amps = evse.max_a if p.limit is None else min(p.limit, evse.max_a)
        if not out or out[-1][1] != amps:
            out.append((now + timedelta(seconds=p.start), amps))
    return tuple(out)


class State:
    def __init__(self) -> None:
        self.sites: dict[str, dict[str, Any]] = {}
        self.external: dict[str, dict[str, list[dict[str, Any]]]] = {}  # site -> source -> steps
        self.chargers: dict[str, Charger] = {}
        self.sessions: dict[tuple[str, int], SessionInfo] = {}
        self.installed: dict[str, dict[int, Installed]] = {}  # cp -> profile id -> installed
        self.in_flight: dict[str, dict[int, tuple[int, ChargingProfile]]] = {}  # cp -> flight key -> (evse, profile)
        self.unanswered: dict[str, set[int]] = {}  # cp -> flight keys that timed out or failed after sending
        self.building: dict[str, tuple[datetime, tuple[float, float, float]]] = {}

    def installed_profiles(self, cp: str, flight_at: datetime | None = None) -> list[InstalledProfile]:
        """What the charger holds; with `flight_at`, as if the profiles in flight had been
        accepted at that time (each replacing the one with its id)."""
        current = {
            pid: InstalledProfile(i.evse_id, i.profile, i.installed_at) for pid, i in self.installed.get(cp, {}).items()
        }
        if flight_at is not None:
            for evse_id, profile in self.in_flight.get(cp, {}).values():
                current[profile.id] = InstalledProfile(evse_id, profile, flight_at)
        return list(current.values())

    def context(self, cp: str, now: datetime) -> StationContext:
        charger = self.chargers.get(cp)
        protocol = charger.protocol if charger else Protocol.OCPP201
        transactions = {evse: s.transaction_id for (c, evse), s in self.sessions.items() if c == cp}
        needs = frozenset(
            s.transaction_id for (c, _), s in self.sessions.items() if c == cp and s.needs.get("departure")
        )
        return StationContext(
            protocol=protocol,
            now=now,
            installed=self.installed_profiles(cp),
            transactions=transactions,
            evse_ids=frozenset(charger.evses) if charger and charger.evses else None,
            charging_needs=needs,
        )

    def site_chargers(self, site_id: str) -> list[Charger]:
        return [c for c in self.chargers.values() if c.site_id == site_id]

    def evse_states(self, site_id: str, now: datetime, voltage: float) -> list[EvseState]:
        out = []
        for charger in self.site_chargers(site_id):
            cp = charger.charge_point_id
            held = self.installed_profiles(cp)
            held_by_id = {i.profile.id: i for i in held}
            flight = self.in_flight.get(cp, {})
            for evse in charger.evses.values():
                info = self.sessions.get((cp, evse.evse_id))
                tx = ActiveTransaction(info.transaction_id, info.started_at) if info else None
                committed = _steps(held, evse, now, tx, voltage)
                fallback = max(a for _, a in _steps(held, evse, now, None, voltage))
                pending = last_sent = None
                for flight_evse, profile in flight.values():  # in the order they were chosen
                    if flight_evse not in (0, evse.evse_id):
                        continue
                    # Each push in flight on its own: the charger may end up on any of them.
                    flying = {**held_by_id, profile.id: InstalledProfile(flight_evse, profile, now)}
                    steps = _steps(flying.values(), evse, now, tx, voltage)
                    pending = steps if pending is None else highest(pending, steps)
                    last_sent = steps
                    fallback = max(fallback, *(a for _, a in _steps(flying.values(), evse, now, None, voltage)))
                lost = self.unanswered.get(cp, set())
                responsive = not any(flight[k][0] in (0, evse.evse_id) for k in lost if k in flight)
                out.append(
                    EvseState(
                        f"{cp}/{evse.evse_id}",
                        evse.phases,
                        evse.max_a,
                        evse.min_a,
                        session=info.domain() if info else None,
                        online=charger.online,
                        fallback_a=fallback,
                        committed=committed,
                        pending=pending,
                        last_sent=last_sent,
                        responsive=responsive,
                    )
                )
        return out
