"""A site's limits over time: the grid connection, peak shaving and external limits.

Everything the planner allocates is in amps per site phase (L1, L2, L3); power limits
(kW) are kept as one total-power constraint, since a kW cap bounds the sum over the phases,
not each phase. The site's usable capacity at a time is the lowest of:
- the grid connection limit (A per phase, or kW),
- the peak-shaving cap (kW) inside its demand-charge windows: the target, or the peak
  already reached this month when that is higher (that demand charge is paid anyway),
- the external limit (demand response / grid operator schedule) in force, A or kW,
each reduced by the safety margin, minus the building's own load.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

__all__ = [
    "BuildingLoad",
    "Capacity",
    "LimitStep",
    "LimitUnit",
    "PeakShaving",
    "PeakWindow",
    "Site",
    "Strategy",
    "segment_starts",
]


class Strategy(StrEnum):
    STATIC = "static"  # equal share of the grid limit minus a fixed building load
    DYNAMIC = "dynamic"  # equal share of what the measured building load leaves
    PRIORITY = "priority"  # dynamic, plus token-group priority and departure/energy needs


class LimitUnit(StrEnum):
    AMPS = "A"  # per phase
    KILOWATTS = "kW"  # total


@dataclass(frozen=True, slots=True)
class PeakWindow:
    """A demand-charge window: on these weekdays (0 = Monday), from `start` to `end` (UTC)."""

    weekdays: frozenset[int]
    start: time
    end: time

    def contains(self, at: datetime) -> bool:
        t = at.astimezone(UTC)
        return t.weekday() in self.weekdays and self.start <= t.time().replace(tzinfo=None) < self.end

    def edges(self, lo: datetime, hi: datetime) -> list[datetime]:
        out = []
        day = lo.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        while day < hi:
            if day.weekday() in self.weekdays:
                for moment in (self.start, self.end):
                    edge = day.replace(hour=moment.hour, minute=moment.minute, second=moment.second)
                    if lo < edge < hi:
                        out.append(edge)
            day += timedelta(days=1)
        return out


@dataclass(frozen=True, slots=True)
class PeakShaving:
    target_kw: float
    windows: tuple[PeakWindow, ...] = ()  # none: always
    month_peak_kw: float = 0.0  # the highest import already reached this month

    def cap_kw(self, at: datetime) -> float | None:
        if self.windows and not any(w.contains(at) for w in self.windows):
            return None
        return max(self.target_kw, self.month_peak_kw)


@dataclass(frozen=True, slots=True)
class LimitStep:
    """From `start` until the source's next step: at most `limit` (None: no limit from it).
    Steps of several sources (grid operator, OpenADR, ...) all apply: the lowest wins."""

    start: datetime
    limit: float | None
    unit: LimitUnit = LimitUnit.KILOWATTS
    source: str = ""


@dataclass(frozen=True, slots=True)
class BuildingLoad:
    """The site's consumption other than the EVSEs we steer, per phase, measured at `at`."""

    at: datetime
    amps: tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    grid_limit: float
    grid_unit: LimitUnit = LimitUnit.AMPS
    phases: int = 3
    voltage: float = 230.0  # nominal phase-to-neutral
    strategy: Strategy = Strategy.STATIC
    safety_margin: float = 0.0  # fraction of every limit kept free (0.05 = 5 %)
    peak_shaving: PeakShaving | None = None
    external: tuple[LimitStep, ...] = ()  # of every source, sorted by start
    default_limit_a: float = 0.0  # the TxDefaultProfile every EVSE holds: what a new session may draw
    static_building_a: float = 0.0  # building load assumed per phase (static, or no fresh measurement)
    measurement_max_age: timedelta = timedelta(seconds=120)

    def __post_init__(self) -> None:
        if self.grid_limit <= 0:
            raise ValueError("grid_limit must be positive")
        if self.phases not in (1, 3):
            raise ValueError("phases must be 1 or 3")
        if not 0 <= self.safety_margin < 1:
            raise ValueError("safety_margin must be in [0, 1)")
        if self.voltage <= 0:
            raise ValueError("voltage must be positive")

    @property
    def site_phases(self) -> tuple[int, ...]:
        return (1, 2, 3) if self.phases == 3 else (1,)

    def external_at(self, at: datetime) -> list[LimitStep]:
        """The step in force at `at` of each source that sets a limit then."""
        current: dict[str, LimitStep] = {}
        for step in self.external:
            if step.start <= at:
                current[step.source] = step
            else:
                break
        return [step for step in current.values() if step.limit is not None]

    def edges(self, lo: datetime, hi: datetime) -> list[datetime]:
        """Moments in (lo, hi) where a limit changes."""
        out = {step.start for step in self.external if lo < step.start < hi}
        if self.peak_shaving is not None:
            for window in self.peak_shaving.windows:
                out.update(window.edges(lo, hi))
        return sorted(out)

    def capacity(self, at: datetime, building: BuildingLoad | None, *, margin: bool = True) -> Capacity:
        """What the EVSEs may draw together at `at`."""
        keep = 1.0 - (self.safety_margin if margin else 0.0)
        phase_a: float | None = None
        total_kw: float | None = None
        if self.grid_unit is LimitUnit.AMPS:
            phase_a = self.grid_limit
        else:
            total_kw = self.grid_limit
        for ext in self.external_at(at):
            assert ext.limit is not None
            if ext.unit is LimitUnit.AMPS:
                phase_a = ext.limit if phase_a is None else min(phase_a, ext.limit)
            else:
                total_kw = ext.limit if total_kw is None else min(total_kw, ext.limit)
        if self.peak_shaving is not None:
            cap = self.peak_shaving.cap_kw(at)
            if cap is not None:
                total_kw = cap if total_kw is None else min(total_kw, cap)
        load = self.building_at(at, building)
        phases = {}
        for p in self.site_phases:
            phases[p] = None if phase_a is None else phase_a * keep - load[p - 1]
        power = None
        if total_kw is not None:
            power = total_kw * keep - sum(load[p - 1] for p in self.site_phases) * self.voltage / 1000
        return Capacity(phases, power)

    def building_at(self, at: datetime, building: BuildingLoad | None) -> tuple[float, float, float]:
        fresh = (
            building is not None
            and self.strategy is not Strategy.STATIC
            and at - building.at <= self.measurement_max_age
            and building.at - at <= self.measurement_max_age
        )
        if fresh:
            assert building is not None
            return building.amps
        s = self.static_building_a
        return (s, s if self.phases == 3 else 0.0, s if self.phases == 3 else 0.0)


@dataclass(frozen=True, slots=True)
class Capacity:
    """Free capacity for the EVSEs: per site phase (A; None: unbounded) and total (kW; None: unbounded)."""

    phase_a: dict[int, float | None]
    power_kw: float | None

    def lowest(self, other: Capacity) -> Capacity:
        """The tighter of both, resource by resource."""

        def low(a: float | None, b: float | None) -> float | None:
            return b if a is None else a if b is None else min(a, b)

        phases = {p: low(self.phase_a.get(p), other.phase_a.get(p)) for p in self.phase_a.keys() | other.phase_a.keys()}
        return Capacity(phases, low(self.power_kw, other.power_kw))

    def admits(self, usage_a: dict[int, float], voltage: float, slack: float = 1e-6) -> bool:
        for p, used in usage_a.items():
            cap = self.phase_a.get(p)
            if cap is not None and used > cap + slack:
                return False
        if self.power_kw is not None:
            return sum(usage_a.values()) * voltage / 1000 <= self.power_kw + slack
        return True

    def headroom_a(self, usage_a: dict[int, float], voltage: float) -> float:
        """The smallest spare capacity, in amps per phase (power converted at one phase)."""
        spare: list[float] = []
        for p, cap in self.phase_a.items():
            if cap is not None:
                spare.append(cap - usage_a.get(p, 0.0))
        if self.power_kw is not None:
            spare.append((self.power_kw - sum(usage_a.values()) * voltage / 1000) * 1000 / voltage)
        return min(spare) if spare else float("inf")


def segment_starts(site: Site, now: datetime, horizon: timedelta, extra: Iterable[datetime] = ()) -> Sequence[datetime]:
    """`now` and every later moment within the horizon where the site's limits change."""
    hi = now + horizon
    edges = set(site.edges(now, hi))
    edges.update(e for e in extra if now < e < hi)
    return [now, *sorted(edges)]
