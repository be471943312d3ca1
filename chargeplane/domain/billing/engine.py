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
from .costing import HOUR, Pricing, finalize
from .money import volume
from .segments import Segment, SegmentKind, segments
from .session import ChargingState, Session, instant
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


def _dimensions(group: list[Segment]) -> list[CdrDimension]:
    first = group[0]
    seconds = sum((s.seconds for s in group), Fraction(0))
    energy = sum((s.energy_kwh for s in group), Fraction(0))
    dims: list[CdrDimension] = []
    if first.kind == SegmentKind.RESERVATION:
        return [CdrDimension(type=CdrDimensionType.RESERVATION_TIME, volume=volume(seconds / HOUR))]
    charging = first.state == ChargingState.CHARGING
    if charging or energy:
        dims.append(CdrDimension(type=CdrDimensionType.ENERGY, volume=volume(energy)))
    time_type = CdrDimensionType.TIME if charging else CdrDimensionType.PARKING_TIME
    dims.append(CdrDimension(type=time_type, volume=volume(seconds / HOUR)))
    if charging:
        powers = [s.power_kw for s in group if s.seconds]
        if powers:
            dims.append(CdrDimension(type=CdrDimensionType.MAX_POWER, volume=volume(max(powers))))
            dims.append(CdrDimension(type=CdrDimensionType.MIN_POWER, volume=volume(min(powers))))
        currents = [s.current_a for s in group if s.current_a is not None and s.seconds]
        if currents:
            dims.append(CdrDimension(type=CdrDimensionType.MAX_CURRENT, volume=volume(max(currents))))
            dims.append(CdrDimension(type=CdrDimensionType.MIN_CURRENT, volume=volume(min(currents))))
    return dims


def charging_periods(pricing: Pricing, origin: datetime, tariff_id: str | None) -> list[ChargingPeriod]:
    """OCPI ChargingPeriods of a priced session (`origin`: the session start)."""
    groups: list[list[Segment]] = []
    for s in pricing.segments:
        if groups and _key(groups[-1][-1]) == _key(s) and groups[-1][-1].end == s.start:
            groups[-1].append(s)
        else:
            groups.append([s])
    return [
        ChargingPeriod(
            start_date_time=instant(origin, group[0].start),
            dimensions=_dimensions(group),
            tariff_id=tariff_id,
        )
        for group in groups
    ]
