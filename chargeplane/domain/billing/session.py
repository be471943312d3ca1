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

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

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


# Exact internal units: times in microseconds since the session start, energy in µWh. They
# are ints for everything the charger reports (timestamps are whole microseconds, meter
# registers have at most 6 decimals of a Wh) and a Fraction only for an instant or an energy
# interpolated between two readings, so the engine's hot loop is integer arithmetic.
Exact = int | Fraction
US_PER_S = _US
UWH_PER_WH = 1_000_000
UWH_PER_KWH = 1000 * UWH_PER_WH
_ONE_US = timedelta(microseconds=1)


def offset(origin: datetime, moment: datetime) -> Fraction:
    """Seconds from `origin` to `moment`, exact to the microsecond. Both are taken in UTC:
    subtracting two datetimes of the same zone would compare wall clocks across DST."""
    return Fraction(offset_us(origin.astimezone(UTC), moment), _US)


def offset_us(origin_utc: datetime, moment: datetime) -> int:
    """Microseconds from `origin_utc` (a datetime in UTC) to `moment` (any zone). Exact: two
    datetimes of different zones subtract as instants, and UTC has no DST to confuse."""
    return (moment - origin_utc) // _ONE_US


def instant(origin: datetime, seconds: Fraction) -> datetime:
    """The moment `seconds` after `origin`, rounded down to the microsecond."""
    micros = (seconds.numerator * _US) // seconds.denominator
    return origin.astimezone(UTC) + timedelta(microseconds=micros)


def instant_us(origin_utc: datetime, micros: Exact) -> datetime:
    """The moment `micros` after `origin_utc`, rounded down to the microsecond."""
    return origin_utc + timedelta(microseconds=micros if isinstance(micros, int) else math.floor(micros))


def ratio(numerator: Exact, denominator: Exact) -> Exact:
    """numerator / denominator, exact: an int when it divides."""
    if isinstance(numerator, int) and isinstance(denominator, int):
        q, r = divmod(numerator, denominator)
        return q if r == 0 else Fraction(numerator, denominator)
    return Fraction(numerator) / denominator


def scaled(value: Decimal, scale: int) -> Exact:
    """`value` x `scale`, exact: an int when it is one (the usual case for readings)."""
    n, d = value.as_integer_ratio()
    return n * scale if d == 1 else ratio(n * scale, d)


@dataclass(slots=True)
class EnergyCurve:
    """Energy delivered since the session start (µWh) as a piecewise-linear function of the
    microseconds since the start: knots at `times` (increasing, from 0) with `energy`."""

    times: list[int] = field(default_factory=list)
    energy: list[Exact] = field(default_factory=list)

    def at(self, t: Exact) -> Exact:
        times, energy = self.times, self.energy
        i = bisect_left(times, t)
        if i == len(times):
            return energy[-1]
        if times[i] == t or i == 0:
            return energy[i]
        t0, t1, e0 = times[i - 1], times[i], energy[i - 1]
        return e0 + ratio((energy[i] - e0) * (t - t0), t1 - t0)

    def crossing(self, uwh: Exact) -> Exact | None:
        """The first moment the delivered energy reaches `uwh`, if it does."""
        times, energy = self.times, self.energy
        if energy[0] >= uwh:
            return times[0]
        for i in range(1, len(times)):
            e0, e1 = energy[i - 1], energy[i]
            if e1 >= uwh > e0:
                return times[i - 1] + ratio((uwh - e0) * (times[i] - times[i - 1]), e1 - e0)
        return None


def energy_curve(session: Session, end: int, sample_us: Sequence[int] | None = None) -> EnergyCurve:
    """Normalise the register readings into delivered energy since the start, on [0, end] (µs).

    The baseline is meterStart when given, else the last reading at or before the start,
    else the first reading (energy before it is unknown and counted as none). Readings at
    the same instant keep the last one; readings after `end` are cut off (interpolated).
    `sample_us`: the samples' offsets from the start, when the caller has them already.
    """
    if sample_us is None:
        origin = session.started_at.astimezone(UTC)
        sample_us = [offset_us(origin, s.at) for s in session.samples]
    by_time: dict[int, Exact] = {}
    for t, i in sorted(zip(sample_us, range(len(sample_us)), strict=True)):  # by time, stable
        by_time[t] = scaled(session.samples[i].energy_wh, UWH_PER_WH)
    readings = sorted(by_time.items())
    previous: Exact | None
    if session.meter_start_wh is not None:
        previous = scaled(session.meter_start_wh, UWH_PER_WH)
    else:
        before = [register for t, register in readings if t <= 0]
        previous = before[-1] if before else None
    times: list[int] = [0]
    energy: list[Exact] = [0]
    total: Exact = 0
    for t, register in readings:
        if t <= 0:
            continue
        if previous is None:
            previous = register  # the first reading is the baseline
        # A rise is energy; a fall is a register reset and the new reading counts from 0.
        total += register - previous if register >= previous else register
        previous = register
        times.append(t)
        energy.append(total)
    curve = EnergyCurve(times, energy)
    if end >= times[-1]:
        if end > times[-1]:
            times.append(end)
            energy.append(total)
        return curve
    cut = curve.at(end)
    keep = bisect_left(times, end)
    return EnergyCurve([*times[:keep], end], [*energy[:keep], cut])
