"""Composite schedules computed by the CSMS: what a conforming charger computes.

For an EVSE (> 0) at each second:
1. Within a purpose, the profile with the highest stack level that sets a limit at that
   second prevails (a profile outside its validity window or past its schedule's duration
   sets none, so a lower level shows through). TxDefaultProfiles of EVSE 0 apply to every
   EVSE; on a tie in stack level the EVSE's own one wins (2.0.1 K01.FR.52/53).
2. A TxProfile of the EVSE's transaction overrides the TxDefaultProfile while it sets a
   limit (1.6 §3.13.2; 2.0.1 K01.FR.08); TxProfiles apply only during a transaction, and
   only to theirs when they name one.
3. The result is the minimum of that, the ChargingStationMaxProfile (EVSE 0) and the
   ChargingStationExternalConstraints (EVSE 0 and the EVSE's own), each converted to the
   requested unit with its own period's number of phases and the site's voltage.
For EVSE 0 (the grid connection of the whole station) only the station-wide purposes count:
ChargingStationMaxProfile and ChargingStationExternalConstraints of EVSE 0.

A second where no profile sets a limit has limit None (the charger's own hardware limit).

One reading to know: 1.6 §3.13.2 picks the prevailing profile by stack level among those
*valid* (validFrom/validTo) at that time, and says nothing of a second its schedule does
not cover (before startSchedule, after duration). We let a lower level show through there,
as 2.0.1 states it at schedule level and as charger stacks (e.g. EVerest libocpp) do.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .model import ChargingProfile, Purpose, RateUnit
from .timeline import Interval, epoch, profile_intervals
from .units import DEFAULT_VOLTAGE, convert

__all__ = ["ActiveTransaction", "CompositePeriod", "CompositeSchedule", "InstalledProfile", "composite_schedule"]


@dataclass(frozen=True, slots=True)
class InstalledProfile:
    """A profile as installed on a charger: where, and since when."""

    evse_id: int
    profile: ChargingProfile
    installed_at: datetime  # anchors a 1.6 Absolute profile that has no startSchedule


@dataclass(frozen=True, slots=True)
class ActiveTransaction:
    transaction_id: str
    started_at: datetime


@dataclass(frozen=True, slots=True)
class CompositePeriod:
    start: int  # seconds from the composite schedule's start
    limit: float | None  # None: no profile limits this period
    number_phases: int | None = None
    min_charging_rate: float | None = None


@dataclass(frozen=True, slots=True)
class CompositeSchedule:
    evse_id: int
    start: datetime
    duration: int
    rate_unit: RateUnit
    periods: tuple[CompositePeriod, ...]

    def period_at(self, second: int) -> CompositePeriod:
        """The period in force `second` seconds after the start."""
        i = bisect.bisect_right([p.start for p in self.periods], second) - 1
        return self.periods[max(i, 0)]

    def limit_at(self, second: int) -> float | None:
        return self.period_at(second).limit

    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration)


@dataclass(slots=True)
class _Track:
    """One installed profile's intervals, searchable by time."""

    stack_level: int
    tiebreak: int  # higher wins among equal stack levels
    intervals: list[Interval]
    starts: list[int]

    def at(self, t: int) -> Interval | None:
        i = bisect.bisect_right(self.starts, t) - 1
        if i >= 0 and self.intervals[i].end > t:
            return self.intervals[i]
        return None


def _tracks(
    profiles: Iterable[InstalledProfile], lo: int, hi: int, relative_anchor: int, tiebreak_evse: int
) -> list[_Track]:
    out = []
    for item in profiles:
        intervals = profile_intervals(
            item.profile, lo, hi, installed_at=epoch(item.installed_at), relative_anchor=relative_anchor
        )
        if intervals:
            tiebreak = 1 if item.evse_id == tiebreak_evse and tiebreak_evse > 0 else 0
            out.append(_Track(item.profile.stack_level, tiebreak, intervals, [iv.start for iv in intervals]))
    # Highest stack level first; among equal ones the EVSE's own profile first.
    out.sort(key=lambda tr: (tr.stack_level, tr.tiebreak), reverse=True)
    return out


def _prevailing(tracks: Sequence[_Track], t: int) -> Interval | None:
    for track in tracks:
        found = track.at(t)
        if found is not None:
            return found
    return None


def composite_schedule(
    installed: Iterable[InstalledProfile],
    evse_id: int,
    start: datetime,
    duration: int,
    rate_unit: RateUnit,
    *,
    transaction: ActiveTransaction | None = None,
    voltage: float = DEFAULT_VOLTAGE,
) -> CompositeSchedule:
    """The composite schedule of `evse_id` for [start, start + duration) seconds."""
    if duration <= 0:
        raise ValueError("duration must be positive")
    lo = epoch(start)
    hi = lo + duration
    anchor = epoch(transaction.started_at) if transaction is not None else lo
    groups: dict[str, list[InstalledProfile]] = {"max": [], "external": [], "tx": [], "default": []}
    for item in installed:
        p = item.profile
        if p.purpose is Purpose.STATION_MAX and item.evse_id == 0:
            groups["max"].append(item)
        elif p.purpose is Purpose.EXTERNAL and item.evse_id in (0, evse_id):
            groups["external"].append(item)
        elif evse_id == 0:
            continue
        elif p.purpose is Purpose.TX_DEFAULT and item.evse_id in (0, evse_id):
            groups["default"].append(item)
        elif (
            p.purpose is Purpose.TX
            and item.evse_id == evse_id
            and transaction is not None
            and p.transaction_id in (None, transaction.transaction_id)
        ):
            groups["tx"].append(item)
    tracks = {name: _tracks(items, lo, hi, anchor, evse_id) for name, items in groups.items()}
    bounds = {lo, hi}
    for group in tracks.values():
        for track in group:
            for iv in track.intervals:
                bounds.add(iv.start)
                bounds.add(iv.end)
    edges = sorted(b for b in bounds if lo <= b <= hi)
    periods: list[CompositePeriod] = []
    for t in edges[:-1]:
        candidates = [
            _prevailing(tracks["max"], t),
            _prevailing(tracks["external"], t),
            _prevailing(tracks["tx"], t) or _prevailing(tracks["default"], t),
        ]
        best: tuple[float, int] | None = None
        chosen: Interval | None = None
        min_rate: float | None = None
        for found in candidates:
            if found is None:
                continue
            value = convert(found.limit, found.unit, rate_unit, found.number_phases, voltage)
            key = (value, found.number_phases or 3)
            if best is None or key < best:
                best = key
                chosen = found
        phases = None
        if chosen is not None:
            phases = chosen.number_phases
            tx_level = candidates[2]
            if tx_level is not None and tx_level.min_rate is not None:
                min_rate = convert(tx_level.min_rate, tx_level.unit, rate_unit, tx_level.number_phases, voltage)
        period = CompositePeriod(t - lo, best[0] if best else None, phases, min_rate)
        if periods and (periods[-1].limit, periods[-1].number_phases, periods[-1].min_charging_rate) == (
            period.limit,
            period.number_phases,
            period.min_charging_rate,
        ):
            continue
        periods.append(period)
    return CompositeSchedule(evse_id, start, duration, rate_unit, tuple(periods))
