"""The pricing engine: a session and a tariff version in, charging periods and cost out.

Pure (no I/O, no clock): the caller passes the site's time zone and, for a running
session, the moment to price up to. `price` is the one entry point; `charging_periods`
turns its segments into OCPI ChargingPeriods: a new period starts exactly where a
different price component becomes active or the charging state changes (mod_cdrs: "a
new Charging Period ... every moment/event that has relevance for the total costs"),
and consecutive segments that price the same way are one period.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from .cdr import CdrDimension, CdrDimensionType, ChargingPeriod
from .costing import Pricing, finalize
from .money import volume
from .segments import Segment, SegmentKind, power_kw, segments
from .session import US_PER_S, UWH_PER_KWH, ChargingState, Exact, Session, instant
from .tariff import Tariff

__all__ = ["charging_periods", "price"]


def price(tariff: Tariff, session: Session, tz: ZoneInfo, *, now: datetime | None = None) -> Pricing:
    """The exact cost of `session` under `tariff`; a running session is priced up to `now`
    as if it ended then (step_size, FLAT and min/max included)."""
    return finalize(tariff, segments(tariff, session, tz, now=now))


def _key(s: Segment) -> tuple[object, ...]:
    charging = s.state == ChargingState.CHARGING
    return (
        s.kind,
        charging,
        s.energy.element if s.energy else None,
        s.time.element if s.time else None,
        s.parking.element if s.parking else None,
    )


def _extremes(group: list[Segment]) -> tuple[Fraction, Fraction] | None:
    """(max, min) power over the group's segments of some duration, comparing energy/time
    ratios by cross-multiplication (exact, no Fraction per segment)."""
    hi: tuple[Exact, Exact] | None = None
    lo: tuple[Exact, Exact] | None = None
    for s in group:
        micros = s.end_us - s.start_us
        if not micros:
            continue
        e = s.energy_uwh
        if hi is None or lo is None:
            hi = lo = (e, micros)
            continue
        if e * hi[1] > hi[0] * micros:
            hi = (e, micros)
        if e * lo[1] < lo[0] * micros:
            lo = (e, micros)
    if hi is None or lo is None:
        return None
    return Fraction(power_kw(*hi)), Fraction(power_kw(*lo))


def _dimensions(group: list[Segment]) -> list[CdrDimension]:
    first = group[0]
    micros = sum((s.end_us - s.start_us for s in group), 0)
    energy = Fraction(sum((s.energy_uwh for s in group), 0)) / UWH_PER_KWH
    hours = Fraction(micros) / (3600 * US_PER_S)
    dims: list[CdrDimension] = []
    if first.kind == SegmentKind.RESERVATION:
        return [CdrDimension(type=CdrDimensionType.RESERVATION_TIME, volume=volume(hours))]
    charging = first.state == ChargingState.CHARGING
    if charging or energy:
        dims.append(CdrDimension(type=CdrDimensionType.ENERGY, volume=volume(energy)))
    time_type = CdrDimensionType.TIME if charging else CdrDimensionType.PARKING_TIME
    dims.append(CdrDimension(type=time_type, volume=volume(hours)))
    if charging:
        powers = _extremes(group)
        if powers is not None:
            dims.append(CdrDimension(type=CdrDimensionType.MAX_POWER, volume=volume(powers[0])))
            dims.append(CdrDimension(type=CdrDimensionType.MIN_POWER, volume=volume(powers[1])))
        currents = [s.current_a for s in group if s.current_a is not None and s.end_us != s.start_us]
        if currents:
            dims.append(CdrDimension(type=CdrDimensionType.MAX_CURRENT, volume=volume(Fraction(max(currents)))))
            dims.append(CdrDimension(type=CdrDimensionType.MIN_CURRENT, volume=volume(Fraction(min(currents)))))
    return dims


def charging_periods(pricing: Pricing, origin: datetime, tariff_id: str | None) -> list[ChargingPeriod]:
    """OCPI ChargingPeriods of a priced session (`origin`: the session start)."""
    groups: list[list[Segment]] = []
    previous: tuple[object, ...] | None = None
    for s in pricing.segments:
        key = _key(s)
        if groups and key == previous and groups[-1][-1].end_us == s.start_us:
            groups[-1].append(s)
        else:
            groups.append([s])
        previous = key
    return [
        ChargingPeriod(
            start_date_time=instant(origin, group[0].start),
            dimensions=_dimensions(group),
            tariff_id=tariff_id,
        )
        for group in groups
    ]
