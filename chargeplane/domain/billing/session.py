"""What the pricing engine needs to know about a charging session (no OCPP, no storage).

A session is its start and end, the energy register readings with their timestamps, the
charging-state changes and, when there was one, the reservation before it. The engine
turns them into exact functions of time:
- energy delivered since the start is piecewise linear between readings (the charger
  reports a register; between two readings the energy is assumed to flow evenly, which is
  also how OCPI's "interpolated by the CPO" moments are found);
- a fall of the register is a reset (meter swap, wrap): the reading after it counts from 0;
- power in a reading interval is its energy over its duration;
- current (sum over phases) holds from one reading that has it to the next;
- the state holds from one change to the next; a session that reports none is charging
  throughout. IDLE (plugged in, not charging) and PARKED (bay occupied, not plugged in)
  are both OCPI PARKING_TIME: OCPI knows only "charging" and "not charging".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from itertools import pairwise

from .errors import SessionInvalid

_US = 1_000_000


class ChargingState(StrEnum):
    CHARGING = "CHARGING"  # energy flows: OCPI TIME
    IDLE = "IDLE"  # plugged in, not charging (EV full, suspended): OCPI PARKING_TIME
    PARKED = "PARKED"  # in the session but not plugged in: OCPI PARKING_TIME


@dataclass(frozen=True, slots=True)
class MeterSample:
    at: datetime
    energy_wh: Decimal  # the energy import register (Energy.Active.Import.Register)
    current_a: Decimal | None = None  # sum of the phase currents (Current.Import), when sent


@dataclass(frozen=True, slots=True)
class StateChange:
    at: datetime
    state: ChargingState


@dataclass(frozen=True, slots=True)
class Reservation:
    """A reservation that preceded the session, or expired without one (then the session
    it belongs to has no charging at all)."""

    reserved_at: datetime
    ended_at: datetime  # when the driver started charging, or when it expired
    expired: bool = False


@dataclass(frozen=True, slots=True)
class Session:
    started_at: datetime
    ended_at: datetime | None  # None: still running (live cost)
    samples: Sequence[MeterSample] = ()
    states: Sequence[StateChange] = ()
    reservation: Reservation | None = None
    meter_start_wh: Decimal | None = None  # the register at the start (meterStart); else the first reading

    def __post_init__(self) -> None:
        for name in ("started_at", "ended_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise SessionInvalid(f"{name} must carry a time zone")
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise SessionInvalid("the session ends before it starts")
        if self.reservation is not None and self.reservation.ended_at < self.reservation.reserved_at:
            raise SessionInvalid("the reservation ends before it was made")
        if any(s.at.tzinfo is None for s in self.samples) or any(c.at.tzinfo is None for c in self.states):
            raise SessionInvalid("meter samples and state changes must carry a time zone")


def offset(origin: datetime, moment: datetime) -> Fraction:
    """Seconds from `origin` to `moment`, exact to the microsecond. Both are taken in UTC:
    subtracting two datetimes of the same zone would compare wall clocks across DST."""
    delta = moment.astimezone(UTC) - origin.astimezone(UTC)
    return Fraction((delta.days * 86_400 + delta.seconds) * _US + delta.microseconds, _US)


def instant(origin: datetime, seconds: Fraction) -> datetime:
    """The moment `seconds` after `origin`, rounded down to the microsecond."""
    micros = (seconds.numerator * _US) // seconds.denominator
    return origin.astimezone(UTC) + timedelta(microseconds=micros)


@dataclass(slots=True)
class EnergyCurve:
    """Energy delivered since the session start (kWh) as a piecewise-linear function of the
    seconds since the start: (t, kWh) knots, increasing in t, starting at (0, 0)."""

    knots: list[tuple[Fraction, Fraction]] = field(default_factory=list)

    def at(self, t: Fraction) -> Fraction:
        knots = self.knots
        if t <= knots[0][0]:
            return knots[0][1]
        for (t0, e0), (t1, e1) in pairwise(knots):
            if t <= t1:
                return e0 + (e1 - e0) * (t - t0) / (t1 - t0)
        return knots[-1][1]

    def crossing(self, kwh: Fraction) -> Fraction | None:
        """The first moment the delivered energy reaches `kwh`, if it does."""
        knots = self.knots
        if knots[0][1] >= kwh:
            return knots[0][0]
        for (t0, e0), (t1, e1) in pairwise(knots):
            if e1 >= kwh > e0:
                return t0 + (kwh - e0) * (t1 - t0) / (e1 - e0)
        return None

    def power_kw(self, t: Fraction) -> Fraction:
        """Average power of the reading interval that contains the instant just after `t`."""
        for (t0, e0), (t1, e1) in pairwise(self.knots):
            if t0 <= t < t1:
                return (e1 - e0) * 3600 / (t1 - t0)
        return Fraction(0)


def energy_curve(session: Session, end: Fraction) -> EnergyCurve:
    """Normalise the register readings into delivered energy since the start, on [0, end].

    The baseline is meterStart when given, else the last reading at or before the start,
    else the first reading (energy before it is unknown and counted as none). Readings at
    the same instant keep the last one; readings after `end` are cut off (interpolated).
    """
    origin = session.started_at
    by_time: dict[Fraction, Fraction] = {}
    for s in sorted(session.samples, key=lambda s: s.at):
        by_time[offset(origin, s.at)] = Fraction(s.energy_wh) / 1000
    readings = sorted(by_time.items())
    if session.meter_start_wh is not None:
        previous: Fraction | None = Fraction(session.meter_start_wh) / 1000
    else:
        before = [register for t, register in readings if t <= 0]
        previous = before[-1] if before else None
    knots = [(Fraction(0), Fraction(0))]
    total = Fraction(0)
    for t, register in readings:
        if t <= 0:
            continue
        if previous is None:
            previous = register  # the first reading is the baseline
        # A rise is energy; a fall is a register reset and the new reading counts from 0.
        total += register - previous if register >= previous else register
        previous = register
        knots.append((t, total))
    curve = EnergyCurve(knots)
    if end >= knots[-1][0]:
        if end > knots[-1][0]:
            curve.knots.append((end, knots[-1][1]))
        return curve
    cut = curve.at(end)
    return EnergyCurve([k for k in knots if k[0] < end] + [(end, cut)])


def state_at(session: Session, changes: list[tuple[Fraction, ChargingState]], t: Fraction) -> ChargingState:
    state = ChargingState.CHARGING
    for at, s in changes:
        if at <= t:
            state = s
        else:
            break
    return state


def current_at(currents: list[tuple[Fraction, Fraction]], t: Fraction) -> Fraction | None:
    value = None
    for at, amps in currents:
        if at <= t:
            value = amps
        else:
            break
    return value
