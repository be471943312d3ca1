"""When a TariffElement applies: its restrictions evaluated at one moment of a session.

Every restriction is a half-open interval, so a boundary belongs to exactly one side:
- start_time <= local time < end_time; an end_time before the start_time wraps past
  midnight (22:00-06:00); equal times restrict nothing;
- start_date <= local date < end_date (the spec: end_date is exclusive);
- min_kwh <= energy delivered so far < max_kwh;
- min_duration <= seconds since the session start < max_duration;
- min_power <= power < max_power (kW), min_current <= current < max_current (A);
  an unknown current (the charger sends none) matches no current restriction;
- day_of_week holds the local weekday.
Local means the wall clock of the site's time zone (zoneinfo): it jumps at DST changes
and repeats an hour in autumn; a restriction is evaluated on the wall clock of each
instant, so both passes through a repeated hour count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from .session import instant, offset
from .tariff import WEEKDAYS, Tariff, TariffRestrictions, parse_time_of_day


@dataclass(frozen=True, slots=True)
class Moment:
    """Everything a restriction can depend on, at one instant of a session."""

    local: datetime  # wall clock of the site
    duration_s: Fraction  # since the session start
    energy_kwh: Fraction  # delivered since the session start
    power_kw: Fraction
    current_a: Fraction | None


def _within(value: Fraction, low: object, high: object) -> bool:
    if low is not None and value < Fraction(str(low)):
        return False
    return not (high is not None and value >= Fraction(str(high)))


def matches(r: TariffRestrictions | None, m: Moment) -> bool:
    """Whether an element with restrictions `r` is active at `m` (ignoring `reservation`,
    which selects the kind of time an element prices, not a moment)."""
    if r is None:
        return True
    local = m.local
    if r.day_of_week and WEEKDAYS[local.weekday()] not in r.day_of_week:
        return False
    today = local.date().isoformat()
    if r.start_date is not None and today < r.start_date:
        return False
    if r.end_date is not None and today >= r.end_date:
        return False
    if r.start_time is not None or r.end_time is not None:
        now = local.time().replace(tzinfo=None)
        start = parse_time_of_day(r.start_time) if r.start_time else None
        end = parse_time_of_day(r.end_time) if r.end_time else None
        if start is not None and end is not None and start > end:  # wraps past midnight
            if end <= now < start:
                return False
        elif start != end:
            if start is not None and now < start:
                return False
            if end is not None and now >= end:
                return False
    if not _within(m.energy_kwh, r.min_kwh, r.max_kwh):
        return False
    if not _within(m.duration_s, r.min_duration, r.max_duration):
        return False
    if not _within(m.power_kw, r.min_power, r.max_power):
        return False
    if r.min_current is not None or r.max_current is not None:
        if m.current_a is None:
            return False
        if not _within(m.current_a, r.min_current, r.max_current):
            return False
    return True


def _times_of_day(tariff: Tariff) -> set[time]:
    out: set[time] = set()
    for e in tariff.elements:
        r = e.restrictions
        if r is not None:
            out.update(parse_time_of_day(v) for v in (r.start_time, r.end_time) if v)
    return out


def _uses_calendar(tariff: Tariff) -> bool:
    return any(
        e.restrictions is not None
        and (e.restrictions.day_of_week or e.restrictions.start_date or e.restrictions.end_date)
        for e in tariff.elements
    )


def _dst_changes(tz: ZoneInfo, first: date, last: date) -> list[datetime]:
    """UTC instants in [first, last + 1 day) at which the zone's UTC offset changes (found by
    bisection over whole seconds: zones change offsets on whole seconds)."""

    def offset_at(epoch: int) -> timedelta | None:
        return datetime.fromtimestamp(epoch, UTC).astimezone(tz).utcoffset()

    out = []
    day = first
    while day <= last:
        lo = int(datetime.combine(day, time(), tz).timestamp())
        hi = int(datetime.combine(day + timedelta(days=1), time(), tz).timestamp())
        if offset_at(lo) != offset_at(hi):
            before = offset_at(lo)
            while hi - lo > 1:  # invariant: offset(lo) == before != offset(hi)
                mid = (lo + hi) // 2
                if offset_at(mid) == before:
                    lo = mid
                else:
                    hi = mid
            out.append(datetime.fromtimestamp(hi, UTC))
        day += timedelta(days=1)
    return out


def calendar_breakpoints(tariff: Tariff, origin: datetime, lo: Fraction, hi: Fraction, tz: ZoneInfo) -> set[Fraction]:
    """Offsets (seconds from `origin`) in (lo, hi) where a time-of-day, date or weekday
    restriction of `tariff` can change its verdict: each boundary time on each local day
    (both folds of a repeated hour), local midnights, and DST changes (where the wall clock
    jumps over boundaries)."""
    times = _times_of_day(tariff)
    if not times and not _uses_calendar(tariff):
        return set()
    times.add(time())  # local midnight: dates and weekdays change there
    first = (instant(origin, lo).astimezone(tz) - timedelta(days=1)).date()
    last = (instant(origin, hi).astimezone(tz) + timedelta(days=1)).date()
    out: set[Fraction] = set()
    day = first
    while day <= last:
        for t in times:
            for fold in (0, 1):
                at = offset(origin, datetime.combine(day, t, tz).replace(fold=fold))
                if lo < at < hi:
                    out.add(at)
        day += timedelta(days=1)
    for change in _dst_changes(tz, first, last):
        at = offset(origin, change)
        if lo < at < hi:
            out.add(at)
    return out


def threshold_breakpoints(tariff: Tariff) -> tuple[set[Fraction], set[Fraction]]:
    """(durations in s, energies in kWh) at which a restriction starts or stops holding."""
    durations: set[Fraction] = set()
    energies: set[Fraction] = set()
    for e in tariff.elements:
        r = e.restrictions
        if r is None:
            continue
        durations.update(Fraction(v) for v in (r.min_duration, r.max_duration) if v is not None)
        energies.update(Fraction(str(v)) for v in (r.min_kwh, r.max_kwh) if v is not None)
    return durations, energies
