"""Where one installed profile limits charging, as intervals of epoch seconds.

A schedule is anchored (its second 0) at:
- Absolute: its `start` (a 1.6 Absolute profile without startSchedule: when it was installed);
- Relative: the start of the transaction it applies to (without one: the moment asked about,
  as if a transaction started then);
- Recurring: `start` plus a whole number of days/weeks, repeating for ever (also backwards:
  the validity window is what bounds it).
Each period lasts until the next period, the last until the schedule's `duration` ends
(open-ended without one; a recurring schedule ends at its next recurrence at the latest).
Only the validity window [valid_from, valid_to) of the profile is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from .model import ChargingProfile, ChargingSchedule, Kind, RateUnit

FOREVER = 2**62


def epoch(value: datetime) -> int:
    """Whole epoch seconds (floor): chargers evaluate schedules at second resolution."""
    return math.floor(value.timestamp())


@dataclass(frozen=True, slots=True)
class Interval:
    start: int  # epoch seconds, inclusive
    end: int  # epoch seconds, exclusive
    limit: float  # in `unit`
    unit: RateUnit
    number_phases: int | None
    min_rate: float | None


def _schedule_intervals(schedule: ChargingSchedule, anchor: int, lo: int, hi: int, cap: int) -> list[Interval]:
    """The periods of one run of `schedule` starting at `anchor`, clipped to [lo, hi) and
    ending at `cap` at the latest."""
    end = cap if schedule.duration is None else min(cap, anchor + schedule.duration)
    out: list[Interval] = []
    periods = schedule.periods
    for i, period in enumerate(periods):
        p_start = anchor + period.start_period
        p_end = anchor + periods[i + 1].start_period if i + 1 < len(periods) else end
        p_end = min(p_end, end)
        s, e = max(p_start, lo), min(p_end, hi)
        if s < e:
            out.append(
                Interval(s, e, period.limit, schedule.rate_unit, period.number_phases, schedule.min_charging_rate)
            )
    return out


def profile_intervals(
    profile: ChargingProfile,
    lo: int,
    hi: int,
    *,
    installed_at: int,
    relative_anchor: int,
) -> list[Interval]:
    """The intervals within [lo, hi) where `profile` sets a limit, in time order."""
    if profile.valid_from is not None:
        lo = max(lo, epoch(profile.valid_from))
    if profile.valid_to is not None:
        hi = min(hi, epoch(profile.valid_to))
    if lo >= hi:
        return []
    schedule = profile.schedule
    if profile.kind is Kind.RELATIVE:
        return _schedule_intervals(schedule, relative_anchor, lo, hi, FOREVER)
    first = epoch(schedule.start) if schedule.start is not None else installed_at
    if profile.kind is Kind.ABSOLUTE:
        return _schedule_intervals(schedule, first, lo, hi, FOREVER)
    assert profile.recurrency is not None
    every = profile.recurrency.seconds
    anchor = first + ((lo - first) // every) * every  # the run in force at `lo`
    out: list[Interval] = []
    while anchor < hi:
        out.extend(_schedule_intervals(schedule, anchor, lo, hi, anchor + every))
        anchor += every
    return out
