"""When a TariffElement applies: its restrictions evaluated at one moment of a session.

Every restriction is a half-open interval, so a boundary belongs to exactly one side:
- start_time <= local time < end_time; an end_time before the start_time wraps past
  midnight (22:00-06:00); equal times restrict nothing;
- start_date <= local date < end_date (the spec: end_date is exclusive);
- min_kwh <= energy delivered so far < max_kwh;
- min_duration <= seconds since the session start < max_duration;
- min_power <= power < max_power (kW), min_current <= current < max_current (A);
  an unknown current (the charger sends none) matches no current restriction, and an
  unknown power (a session priced at its very first instant, before any reading interval)
  matches no power restriction: what the session turns out to be cannot be cheaper then;
- day_of_week holds the local weekday.
Local means the wall clock of the site's time zone (zoneinfo): it jumps at DST changes
and repeats an hour in autumn; a restriction is evaluated on the wall clock of each
instant, so both passes through a repeated hour count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from .session import US_PER_S, UWH_PER_KWH, Exact, instant_us, offset_us, scaled
from .tariff import WEEKDAYS, Tariff, TariffRestrictions, parse_time_of_day


@dataclass(frozen=True, slots=True)
class Rule:
    """One element's restrictions, prepared once per pricing: the calendar part (weekday,
    date, time of day: a function of the local wall clock) and the quantity part (duration,
    energy, power, current) with thresholds in the engine's exact units (µs, µWh)."""

    restrictions: TariffRestrictions | None
    days: frozenset[int]  # date.weekday() values; empty: every day
    start_time: time | None
    end_time: time | None
    duration_us: tuple[int | None, int | None]
    energy_uwh: tuple[Exact | None, Exact | None]
    power_kw: tuple[Fraction | None, Fraction | None]
    current_a: tuple[Decimal | None, Decimal | None]
    calendar: bool  # has a weekday, date or time-of-day restriction
    quantities: bool  # has a duration, energy, power or current restriction
    power: bool
    current: bool

    def on_calendar(self, local: datetime) -> bool:
        r = self.restrictions
        if r is None or not self.calendar:
            return True
        if self.days and local.weekday() not in self.days:
            return False
        return _on_dates(r, local) and _on_time_of_day(self.start_time, self.end_time, local)

    def on_quantities(
        self, duration_us: Exact, energy_uwh: Exact, power_kw: Exact | None, current: Decimal | None
    ) -> bool:
        """`power_kw` is only looked at when the rule restricts power (`self.power`)."""
        if not self.quantities:
            return True
        if not _within(duration_us, self.duration_us) or not _within(energy_uwh, self.energy_uwh):
            return False
        if self.power and (power_kw is None or not _within(power_kw, self.power_kw)):
            return False
        if self.current:
            if current is None:
                return False
            low, high = self.current_a
            if (low is not None and current < low) or (high is not None and current >= high):
                return False
        return True


def _on_dates(r: TariffRestrictions, local: datetime) -> bool:
    """start_date <= local date < end_date (ISO dates compare as text)."""
    if r.start_date is None and r.end_date is None:
        return True
    today = local.date().isoformat()
    return (r.start_date is None or today >= r.start_date) and (r.end_date is None or today < r.end_date)


def _on_time_of_day(start: time | None, end: time | None, local: datetime) -> bool:
    """start <= local time < end; an end before the start wraps past midnight; equal
    times restrict nothing."""
    if start is None and end is None:
        return True
    now = local.time().replace(tzinfo=None)
    if start is not None and end is not None and start > end:  # wraps past midnight
        return not end <= now < start
    if start == end:
        return True
    return (start is None or now >= start) and (end is None or now < end)


def _within(value: Exact, bounds: tuple[Exact | None, Exact | None]) -> bool:
    low, high = bounds
    return (low is None or value >= low) and (high is None or value < high)


def _pair(low: Decimal | None, high: Decimal | None, scale: int) -> tuple[Exact | None, Exact | None]:
    return (None if low is None else scaled(low, scale), None if high is None else scaled(high, scale))


def rule(r: TariffRestrictions | None) -> Rule:
    if r is None:
        return Rule(None, frozenset(), None, None, (None, None), (None, None), (None, None), (None, None),
                    False, False, False, False)  # fmt: skip
    durations = tuple(None if v is None else v * US_PER_S for v in (r.min_duration, r.max_duration))
    power = tuple(None if v is None else Fraction(v) for v in (r.min_power, r.max_power))
    has_power = r.min_power is not None or r.max_power is not None
    has_current = r.min_current is not None or r.max_current is not None
    return Rule(
        restrictions=r,
        days=frozenset(WEEKDAYS.index(d) for d in r.day_of_week),
        start_time=parse_time_of_day(r.start_time) if r.start_time else None,
        end_time=parse_time_of_day(r.end_time) if r.end_time else None,
        duration_us=(durations[0], durations[1]),
        energy_uwh=_pair(r.min_kwh, r.max_kwh, UWH_PER_KWH),
        power_kw=(power[0], power[1]),
        current_a=(r.min_current, r.max_current),
        calendar=bool(r.day_of_week or r.start_date or r.end_date or r.start_time or r.end_time),
        quantities=any(v is not None for v in (r.min_duration, r.max_duration, r.min_kwh, r.max_kwh))
        or has_power
        or has_current,
        power=has_power,
        current=has_current,
    )


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


def calendar_breakpoints(tariff: Tariff, origin_utc: datetime, lo: int, hi: int, tz: ZoneInfo) -> set[int]:
    """Offsets (µs from `origin_utc`) in (lo, hi) where a time-of-day, date or weekday
    restriction of `tariff` can change its verdict: each boundary time on each local day
    (both folds of a repeated hour), local midnights, and DST changes (where the wall clock
    jumps over boundaries)."""
    times = _times_of_day(tariff)
    if not times and not _uses_calendar(tariff):
        return set()
    times.add(time())  # local midnight: dates and weekdays change there
    first = (instant_us(origin_utc, lo).astimezone(tz) - timedelta(days=1)).date()
    last = (instant_us(origin_utc, hi).astimezone(tz) + timedelta(days=1)).date()
    out: set[int] = set()
    day = first
    while day <= last:
        for t in times:
            for fold in (0, 1):
                at = offset_us(origin_utc, datetime.combine(day, t, tz).replace(fold=fold))
                if lo < at < hi:
                    out.add(at)
        day += timedelta(days=1)
    for change in _dst_changes(tz, first, last):
        at = offset_us(origin_utc, change)
        if lo < at < hi:
            out.add(at)
    return out


def threshold_breakpoints(tariff: Tariff) -> tuple[set[int], set[Exact]]:
    """(durations in µs, energies in µWh) at which a restriction starts or stops holding."""
    durations: set[int] = set()
    energies: set[Exact] = set()
    for e in tariff.elements:
        r = e.restrictions
        if r is None:
            continue
        durations.update(v * US_PER_S for v in (r.min_duration, r.max_duration) if v is not None)
        energies.update(scaled(v, UWH_PER_KWH) for v in (r.min_kwh, r.max_kwh) if v is not None)
    return durations, energies
