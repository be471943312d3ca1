"""A session cut into segments on which nothing that matters for the price changes.

Breakpoints are every instant where a restriction can change its verdict or a volume its
rate: meter readings, state changes, current readings, duration and energy thresholds of
the tariff (energy thresholds interpolated between readings), local boundary times,
midnights and DST changes. Inside a segment the state, the power, the current and every
restriction are constant, so each segment has one active price component per dimension:
the first element (in tariff order) that has that dimension and whose restrictions match
(mod_tariffs: "the first Tariff Element with that Dimension in the list with matching
Tariff Restrictions will be used").

All arithmetic is exact. Segments keep the engine's integer units (session.py: µs since the
session start, µWh; a Fraction only where a point falls between two microseconds) and show
seconds and kWh as exact Fractions. Segments are a pure function of (tariff, session, zone,
window), and cutting the window at any instant cuts the segments there and nowhere else
(tests/billing rely on it).

Cost: one sweep over the sorted breakpoints with a cursor into each sorted input (energy
knots, state changes, current readings, calendar intervals), so pricing is linear in the
number of readings. Calendar restrictions are evaluated once per calendar interval (their
verdict cannot change inside one), and the components in force are looked up once per
distinct set of active elements.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from itertools import pairwise
from typing import NamedTuple
from zoneinfo import ZoneInfo

from .errors import SessionInvalid
from .restrictions import Rule, calendar_breakpoints, rule, threshold_breakpoints
from .session import (
    US_PER_S,
    UWH_PER_KWH,
    ChargingState,
    EnergyCurve,
    Exact,
    Session,
    energy_curve,
    instant_us,
    offset_us,
    ratio,
)
from .tariff import PriceComponent, ReservationRestrictionType, Tariff, TariffDimensionType

_NEVER = float("inf")


class SegmentKind(StrEnum):
    SESSION = "SESSION"
    RESERVATION = "RESERVATION"


@dataclass(frozen=True, slots=True)
class Applied:
    """A price component in force: which element (index in the tariff) and which component."""

    element: int
    component: PriceComponent


class Segment(NamedTuple):
    """Immutable (a NamedTuple: a pricing makes one per reading interval, and a tuple is
    built four times faster than a frozen dataclass)."""

    start_us: Exact  # µs since the session start (negative: a reservation before it)
    end_us: Exact
    kind: SegmentKind
    state: ChargingState | None  # None for reservation time
    energy_uwh: Exact
    current_a: Decimal | None
    energy: Applied | None  # ENERGY component pricing this segment's energy
    time: Applied | None  # TIME component (charging, or reservation time)
    parking: Applied | None  # PARKING_TIME component
    flat: Applied | None  # the FLAT component that would apply if first charged here

    @property
    def start(self) -> Fraction:
        """Seconds since the session start."""
        return Fraction(self.start_us) / US_PER_S

    @property
    def end(self) -> Fraction:
        return Fraction(self.end_us) / US_PER_S

    @property
    def micros(self) -> Exact:
        return self.end_us - self.start_us

    @property
    def seconds(self) -> Fraction:
        return Fraction(self.end_us - self.start_us) / US_PER_S

    @property
    def energy_kwh(self) -> Fraction:
        return Fraction(self.energy_uwh) / UWH_PER_KWH

    @property
    def power_kw(self) -> Fraction:
        """Average power: energy flows evenly inside a segment (every reading is a breakpoint),
        so this is the power of the reading interval the segment lies in."""
        return Fraction(power_kw(self.energy_uwh, self.end_us - self.start_us))


def power_kw(energy_uwh: Exact, micros: Exact) -> Exact:
    """kW of `energy_uwh` delivered evenly over `micros` (0 over no time):
    kWh / h = (µWh / 1e9) / (µs / 3.6e9) = µWh x 3.6 / µs."""
    return ratio(energy_uwh * 36, micros * 10) if micros else 0


def _normal(value: Exact) -> Exact:
    return value.numerator if isinstance(value, Fraction) and value.denominator == 1 else value


class _Components:
    """The first active element pricing each dimension, looked up once per set of active
    elements (mod_tariffs: "the first Tariff Element with that Dimension in the list with
    matching Tariff Restrictions will be used"), preferring the reservation kinds in the
    order given (session time: (None,); expired reservation: EXPIRES then RESERVATION)."""

    def __init__(self, tariff: Tariff, reservation: tuple[ReservationRestrictionType | None, ...]) -> None:
        self.tariff = tariff
        self.reservation = reservation
        self.memo: dict[tuple[bool, ...], tuple[Applied | None, ...]] = {}

    def of(self, active: tuple[bool, ...]) -> tuple[Applied | None, ...]:
        """(ENERGY, TIME, PARKING_TIME, FLAT) components in force."""
        found = self.memo.get(active)
        if found is None:
            found = self.memo[active] = tuple(
                self._first(d, active)
                for d in (
                    TariffDimensionType.ENERGY,
                    TariffDimensionType.TIME,
                    TariffDimensionType.PARKING_TIME,
                    TariffDimensionType.FLAT,
                )
            )
        return found

    def _first(self, dimension: TariffDimensionType, active: tuple[bool, ...]) -> Applied | None:
        for kind in self.reservation:
            for index, element in enumerate(self.tariff.elements):
                if not active[index] or element.reservation != kind:
                    continue
                for component in element.price_components:
                    if component.type == dimension:
                        return Applied(index, component)
        return None


class _Calendar:
    """Calendar verdicts of every rule, per interval between calendar breakpoints: every
    boundary time, midnight and DST change is a breakpoint, so a verdict holds on the whole
    half-open interval and is evaluated once, on the wall clock of an instant inside it."""

    def __init__(self, rules: list[Rule], origin_utc: datetime, tz: ZoneInfo, cuts: list[int], lo: Exact, hi: Exact):
        self.rules = rules
        self.origin = origin_utc
        self.tz = tz
        self.bounds: list[Exact] = [lo, *cuts, hi]
        self.index = -1
        self.verdicts: tuple[bool, ...] = ()
        self.next_bound: Exact | float = lo
        self.uses_calendar = any(r.calendar for r in rules)

    def at(self, a: Exact) -> tuple[bool, ...]:
        """Verdicts for a segment starting at `a` (segments are visited in time order)."""
        bounds = self.bounds
        index = max(self.index, 0)
        while index + 2 < len(bounds) and bounds[index + 1] <= a:
            index += 1
        if index != self.index:
            self.index = index
            self.verdicts = self._evaluate(bounds[index], bounds[index + 1])
            # A segment starting before this needs no new look (the last interval runs to the end).
            self.next_bound = bounds[index + 1] if index + 2 < len(bounds) else _NEVER
        return self.verdicts

    def _evaluate(self, lo: Exact, hi: Exact) -> tuple[bool, ...]:
        if not self.uses_calendar:
            return tuple(True for _ in self.rules)
        # The middle of the interval, rounded down to the microsecond (its start when tiny).
        probe = lo + (hi - lo) // 2 if hi - lo > 2 else lo
        local = instant_us(self.origin, probe).astimezone(self.tz)
        return tuple(r.on_calendar(local) for r in self.rules)


def _breakpoints(curve: EnergyCurve, inputs: _Inputs, cuts: list[int], end: int) -> list[Exact]:
    """Every instant in [0, end] where something that matters for the price can change."""
    durations, energies = inputs.durations, inputs.energies
    found: set[Exact] = {0, end}
    found.update(curve.times)
    found.update(t for t, _ in inputs.changes)
    found.update(t for t, _ in inputs.currents)
    found.update(durations)
    for uwh in energies:
        crossing = curve.crossing(uwh)
        if crossing is not None:
            found.add(_normal(crossing))
    found.update(cuts)
    points = sorted(p for p in found if 0 <= p <= end)
    if len(points) == 1:  # a session of no duration still has a start fee
        points = [points[0], points[0]]
    return points


@dataclass(frozen=True, slots=True)
class _Inputs:
    """A session's inputs in engine units, sorted: state changes and current readings (µs
    since the start), and the tariff's duration (µs) and energy (µWh) thresholds."""

    changes: list[tuple[int, ChargingState]]
    currents: list[tuple[int, Decimal]]
    durations: list[int]
    energies: list[Exact]


class _Sweep:
    """One pass over the sorted breakpoints with a cursor into each sorted input (energy
    knots, state changes, current readings, calendar intervals): `segment(a, b)` for
    consecutive breakpoints, in time order."""

    def __init__(self, tariff: Tariff, rules: list[Rule], curve: EnergyCurve, inputs: _Inputs, calendar: _Calendar):
        self.rules = rules
        self.inputs = inputs
        self.calendar = calendar
        self.components = _Components(tariff, (None,))
        self.quantity_rules = [i for i, r in enumerate(rules) if r.quantities]
        self.needs_power = any(r.power for r in rules)
        self.times, self.energy = curve.times, curve.energy
        self.last_knot = len(curve.times) - 1
        self.k = self.ci = self.ui = 0
        self.state = ChargingState.CHARGING
        self.current: Decimal | None = None
        # Quantity verdicts depend on the duration and energy only through which thresholds
        # they have passed (every threshold is a breakpoint), so they are re-evaluated only
        # when that, the power, the current or the calendar verdicts change.
        self.last_inputs: tuple[object, ...] | None = None
        self.last_active: tuple[bool, ...] = ()
        self.calendar_active = calendar.at(0)
        self.last_lookup: tuple[bool, ...] | None = None
        self.found: tuple[Applied | None, ...] = (None, None, None, None)

    def _advance(self, a: Exact) -> None:
        changes, currents, times = self.inputs.changes, self.inputs.currents, self.times
        while self.ci < len(changes) and changes[self.ci][0] <= a:
            self.state = changes[self.ci][1]
            self.ci += 1
        while self.ui < len(currents) and currents[self.ui][0] <= a:
            self.current = currents[self.ui][1]
            self.ui += 1
        while self.k + 1 < self.last_knot and times[self.k + 1] <= a:
            self.k += 1

    def _energy(self, a: Exact, b: Exact) -> tuple[Exact, Exact]:
        """(energy delivered at `a`, energy delivered in [a, b)): [a, b) lies inside the
        reading interval [times[k], times[k + 1]]."""
        energy, k = self.energy, self.k
        if self.last_knot == 0:
            return energy[0], 0
        t0, t1 = self.times[k], self.times[k + 1]
        if a == t0 and b == t1:
            return energy[k], energy[k + 1] - energy[k]
        e0, rise = energy[k], energy[k + 1] - energy[k]
        e_a = e0 if a == t0 else e0 + ratio(rise * (a - t0), t1 - t0)
        e_b = energy[k + 1] if b == t1 else e0 + ratio(rise * (b - t0), t1 - t0)
        return e_a, e_b - e_a

    def _active(self, a: Exact, e_a: Exact) -> tuple[bool, ...]:
        if a >= self.calendar.next_bound:
            self.calendar_active = self.calendar.at(a)
        active = self.calendar_active
        if not self.quantity_rules:
            return active
        power: Exact | None = None  # unknown before the first reading interval
        if self.needs_power and self.last_knot:
            k = self.k
            power = power_kw(self.energy[k + 1] - self.energy[k], self.times[k + 1] - self.times[k])
        inputs = (
            active,
            bisect_right(self.inputs.durations, a),
            bisect_right(self.inputs.energies, e_a),
            power,
            self.current,
        )
        if inputs != self.last_inputs:
            verdicts = list(active)
            for i in self.quantity_rules:
                if verdicts[i]:
                    verdicts[i] = self.rules[i].on_quantities(a, e_a, power, self.current)
            self.last_inputs, self.last_active = inputs, tuple(verdicts)
        return self.last_active

    def segment(self, a: Exact, b: Exact) -> Segment:
        self._advance(a)
        e_a, delivered = self._energy(a, b)
        active = self._active(a, e_a)
        if active is not self.last_lookup:  # the same tuple object: the same elements are active
            self.found = self.components.of(active)
            self.last_lookup = active
        energy_c, time_c, parking_c, flat_c = self.found
        charging = self.state == ChargingState.CHARGING
        return Segment(
            a,
            b,
            SegmentKind.SESSION,
            self.state,
            delivered,
            self.current,
            energy_c,
            time_c if charging else None,
            None if charging else parking_c,
            flat_c,
        )


def _session_segments(tariff: Tariff, rules: list[Rule], session: Session, end: int, tz: ZoneInfo) -> list[Segment]:
    origin = session.started_at.astimezone(UTC)
    sample_us = [offset_us(origin, s.at) for s in session.samples]
    curve = energy_curve(session, end, sample_us)
    durations, energies = threshold_breakpoints(tariff)
    inputs = _Inputs(
        changes=sorted((offset_us(origin, c.at), c.state) for c in session.states),
        currents=sorted(
            (t, s.current_a) for t, s in zip(sample_us, session.samples, strict=True) if s.current_a is not None
        ),
        durations=sorted(durations),
        energies=sorted(energies),
    )
    cuts = sorted(calendar_breakpoints(tariff, origin, 0, end, tz))
    points = _breakpoints(curve, inputs, cuts, end)
    sweep = _Sweep(tariff, rules, curve, inputs, _Calendar(rules, origin, tz, cuts, 0, end))
    out: list[Segment] = []
    for a, b in pairwise(points):
        if b == a and out:
            continue
        out.append(sweep.segment(a, b))
    return out


def _reservation_segments(tariff: Tariff, rules: list[Rule], session: Session, tz: ZoneInfo) -> list[Segment]:
    reservation = session.reservation
    if reservation is None:
        return []
    origin = session.started_at.astimezone(UTC)
    lo, hi = offset_us(origin, reservation.reserved_at), offset_us(origin, reservation.ended_at)
    kinds: tuple[ReservationRestrictionType | None, ...] = (
        (ReservationRestrictionType.RESERVATION_EXPIRES, ReservationRestrictionType.RESERVATION)
        if reservation.expired
        else (ReservationRestrictionType.RESERVATION,)
    )
    cuts = sorted(calendar_breakpoints(tariff, origin, lo, hi, tz))
    points = sorted({lo, hi, *cuts})
    if len(points) == 1:
        points = [lo, lo]
    calendar = _Calendar(rules, origin, tz, cuts, lo, hi)
    components = _Components(tariff, kinds)
    out: list[Segment] = []
    for a, b in pairwise(points):
        if b == a and out:
            continue
        active = tuple(v and r.on_quantities(a - lo, 0, 0, None) for v, r in zip(calendar.at(a), rules, strict=True))
        _, time_c, _, flat_c = components.of(active)
        out.append(Segment(a, b, SegmentKind.RESERVATION, None, 0, None, None, time_c, None, flat_c))
    return out


def segments(
    tariff: Tariff,
    session: Session,
    tz: ZoneInfo,
    *,
    now: datetime | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> list[Segment]:
    """The priced segments of `session` (up to `now` while it runs), optionally only
    those inside `window` (cut exactly at its edges; restrictions still see the whole
    session: the duration and energy since its start)."""
    end_at = session.ended_at or now
    if end_at is None:
        raise SessionInvalid("a running session is priced up to a given moment (now)")
    origin = session.started_at.astimezone(UTC)
    end = offset_us(origin, end_at)
    if end < 0:
        raise SessionInvalid("the session ends before it starts")
    rules = [rule(e.restrictions) for e in tariff.elements]
    out = _reservation_segments(tariff, rules, session, tz)
    if session.reservation is None or not session.reservation.expired:
        out += _session_segments(tariff, rules, session, end, tz)
    if window is None:
        return out
    lo, hi = Fraction(offset_us(origin, window[0]), US_PER_S), Fraction(offset_us(origin, window[1]), US_PER_S)
    return [clipped for s in out if (clipped := clip(s, lo, hi)) is not None]


def clip(segment: Segment, lo: Fraction, hi: Fraction) -> Segment | None:
    """The part of `segment` inside [lo, hi) (seconds since the session start): volumes scale
    linearly (energy flows evenly inside a segment); a zero-length segment belongs to the
    window holding its instant."""
    lo_us, hi_us = _normal(lo * US_PER_S), _normal(hi * US_PER_S)
    if segment.start_us == segment.end_us:
        return segment if lo_us <= segment.start_us < hi_us else None
    a, b = max(segment.start_us, lo_us), min(segment.end_us, hi_us)
    if b <= a:
        return None
    return Segment(
        start_us=a,
        end_us=b,
        kind=segment.kind,
        state=segment.state,
        energy_uwh=_normal(ratio(segment.energy_uwh * (b - a), segment.end_us - segment.start_us)),
        current_a=segment.current_a,
        energy=segment.energy,
        time=segment.time,
        parking=segment.parking,
        flat=segment.flat,
    )
