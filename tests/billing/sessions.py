"""Build pricing-engine sessions from a readable script of phases (test helper)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from chargeplane.domain.billing.session import (
    ChargingState,
    MeterSample,
    Reservation,
    Session,
    StateChange,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True)
class Charge:
    minutes: float
    kwh: float
    current_a: float | None = None


@dataclass(frozen=True)
class Park:
    minutes: float


def local(text: str, tz: ZoneInfo = AMSTERDAM) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def build(
    start: datetime,
    *phases: Charge | Park,
    reserved_minutes_before: float | None = None,
) -> Session:
    """A session that runs `phases` back to back from `start`: a reading at every phase
    boundary (energy flows evenly inside a charging phase), a state change at each."""
    at = start
    wh = Decimal(0)
    samples = [MeterSample(at, wh)]
    states: list[StateChange] = []
    for phase in phases:
        state = ChargingState.CHARGING if isinstance(phase, Charge) else ChargingState.IDLE
        states.append(StateChange(at, state))
        if isinstance(phase, Charge) and phase.current_a is not None:
            samples.append(MeterSample(at, wh, Decimal(str(phase.current_a))))
        at = at + timedelta(minutes=phase.minutes)
        if isinstance(phase, Charge):
            wh += Decimal(str(phase.kwh)) * 1000
        samples.append(MeterSample(at, wh))
    reservation = None
    if reserved_minutes_before is not None:
        reservation = Reservation(start - timedelta(minutes=reserved_minutes_before), start)
    return Session(start, at, samples=samples, states=states, reservation=reservation, meter_start_wh=Decimal(0))


def expired_reservation(reserved_at: datetime, minutes: float) -> Session:
    """A reservation that expired after `minutes` without a charging session."""
    end = reserved_at + timedelta(minutes=minutes)
    return Session(end, end, reservation=Reservation(reserved_at, end, expired=True))
