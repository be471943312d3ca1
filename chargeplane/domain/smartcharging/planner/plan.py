"""The site planner: per-EVSE limits over time that keep the site within its limits.

Accounting (the invariant): every EVSE counts at what it may draw without a new word from
us — the largest of the limit it has accepted, a limit in flight, and its fallback (the
TxDefaultProfile a new session starts with, also what an offline charger's next session
gets). `dispatch.reserved` computes that; the planner only hands out what is left.

Planning, for each segment of the horizon where the site's limits are constant:
1. Capacity: the site's limits (grid, peak shaving, external) minus margin and building
   load, minus what EVSEs that are not planned (offline, idle, not answering) reserve.
2. Admission: sessions get at least their minimum charging rate or nothing (IEC 61851
   cannot run below ~6 A). When all minimums do not fit, higher token-group priority goes
   first, then whoever waited longest (a session that has charged `rotation` seconds gives
   way to one waiting), so everyone charges in turns.
3. Needs (strategy `priority`): each admitted session first gets the current that delivers
   its remaining energy by its departure (NotifyEVChargingNeeds), by priority, then earliest
   departure first (when the needs do not all fit, those leaving later fall behind).
4. Fair share: what is left is shared max-min fairly (weighted by priority for the
   `priority` strategy), up to each EVSE's and EV's maximum; a session whose EV needs no
   more energy (energy delivered, or SoC 100 %) goes back to its fallback (new needs, or a
   new session, bring it back).
Phases: a 3-phase session uses all of its EVSE's phases; a 1-phase EV only the site phase its
EVSE's L1 is wired to. Per-phase and total-power limits are separate resources, so 1-phase
EVs on L1/L2/L3 are balanced by the same fill.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .fill import Item, fill
from .site import BuildingLoad, Capacity, Site, Strategy, segment_starts

# Sessions are first given this much more than the bare rate that meets their departure:
# limits ahead (demand response, peaks, other arrivals) can only take capacity away.
NEED_MARGIN = 1.25
TAIL = timedelta(days=8)  # how far the last step of a plan must be safe (covers weekly windows)

__all__ = ["EvseState", "Plan", "Segment", "Session", "Steps", "highest", "plan_site", "step_at"]


@dataclass(frozen=True, slots=True)
class Session:
    transaction_id: str
    started_at: datetime
    priority: int = 0  # from the token's group; higher first
    departure: datetime | None = None  # NotifyEVChargingNeeds departureTime
    energy_need_wh: float | None = None  # energyAmount still wanted when the needs were sent
    delivered_wh: float = 0.0  # since the needs were sent
    soc: float | None = None  # percent, when reported
    ev_max_a: float | None = None  # the EV's own maximum current per phase
    ev_phases: int | None = None  # 1 or 3 when known
    last_served: datetime | None = None  # last time it had more than its fallback
    served_since: datetime | None = None  # start of its current run of charging

    def remaining_wh(self) -> float | None:
        if self.soc is not None and self.soc >= 100:
            return 0.0
        if self.energy_need_wh is None:
            return None
        return max(0.0, self.energy_need_wh - self.delivered_wh)


@dataclass(frozen=True, slots=True)
class EvseState:
    key: str  # "<chargePointId>/<evseId>"
    phases: tuple[int, ...]  # site phases of the EVSE's L1, L2, L3 (phase rotation); 1-phase: one
    max_a: float  # rating per phase
    min_a: float = 6.0
    session: Session | None = None
    online: bool = True
    fallback_a: float = 0.0  # its TxDefaultProfile limit
    committed: Steps = ()  # the TxProfile limits it accepted: (from, amps) in time order
    pending: Steps | None = None  # limits sent and not yet answered (the highest, when several)
    last_sent: Steps | None = None  # the latest of those (what the charger ends up with if all land)
    responsive: bool = True  # False: a push went unanswered (timeout): it may hold either limit

    def used_phases(self) -> tuple[int, ...]:
        if self.session is not None and self.session.ev_phases == 1:
            return self.phases[:1]
        return self.phases

    def reserved_at(self, at: datetime) -> float:
        """What it may draw at `at` without a new word from us (amps per phase): the
        largest of its accepted limit, a limit in flight and its fallback."""
        return max(step_at(self.committed, at), step_at(self.pending or (), at), self.fallback_a)

    def phase_amps_at(self, at: datetime, extra: Steps | None = None) -> dict[int, float]:
        """Amps it may draw per site phase at `at` (with `extra` limits in flight): its
        session's limits on the phases the EV uses, its fallback on all its phases (the
        next session may use all of them)."""
        amount = self.reserved_at(at)
        if extra is not None:
            amount = max(amount, step_at(extra, at))
        out = dict.fromkeys(self.phases, self.fallback_a)
        for p in self.used_phases():
            out[p] = amount
        return out


Steps = tuple[tuple[datetime, float], ...]


def highest(a: Steps, b: Steps) -> Steps:
    """The step function max(a, b)."""
    moments = sorted({t for t, _ in a} | {t for t, _ in b})
    out: list[tuple[datetime, float]] = []
    for t in moments:
        value = max(step_at(a, t), step_at(b, t))
        if not out or out[-1][1] != value:
            out.append((t, value))
    return tuple(out)


def step_at(steps: Steps, at: datetime) -> float:
    """The value of a step function at `at`: 0 before its first step."""
    value = 0.0
    for start, amps in steps:
        if start <= at:
            value = amps
        else:
            break
    return value


@dataclass(frozen=True, slots=True)
class Segment:
    start: datetime
    limits: Mapping[str, float]  # EVSE key -> amps per phase (sessions planned here)
    capacity: Capacity


@dataclass(frozen=True, slots=True)
class Plan:
    at: datetime
    segments: tuple[Segment, ...]
    planned: frozenset[str]  # EVSEs the plan sets limits for
    admitted: frozenset[str]  # sessions given at least their minimum now
    overcommitted: bool = False  # fixed reservations alone exceed the site's capacity

    def limits_for(self, key: str) -> list[tuple[datetime, float]]:
        out: list[tuple[datetime, float]] = []
        for s in self.segments:
            if key in s.limits and (not out or out[-1][1] != s.limits[key]):
                out.append((s.start, s.limits[key]))
        return out


@dataclass(slots=True)
class _Candidate:
    evse: EvseState
    session: Session
    lo: float
    hi: float
    need_a: float | None
    credit: float
    coef: dict[str, float] = field(default_factory=dict)


def _coef(evse: EvseState, site: Site, power: bool) -> dict[str, float]:
    used = evse.used_phases()
    coef = {f"L{p}": 1.0 for p in used}
    if power:
        coef["P"] = site.voltage * len(used) / 1000
    return coef


def _resources(cap: Capacity, fixed: Mapping[str, float]) -> dict[str, float]:
    out = {}
    for p, value in cap.phase_a.items():
        if value is not None:
            out[f"L{p}"] = value - fixed.get(f"L{p}", 0.0)
    if cap.power_kw is not None:
        out["P"] = cap.power_kw - fixed.get("P", 0.0)
    return out


def _needs_first(admitted: Sequence[_Candidate], res: Mapping[str, float]) -> list[float]:
    """Each session's departure need (the current that delivers its remaining energy in
    time), higher priority first, then earliest departure first: when the needs do not all
    fit, those that leave later fall behind, and they have the time to catch up."""
    out = [c.lo for c in admitted]
    used = {r: 0.0 for r in res}
    for c, a in zip(admitted, out, strict=True):
        for r, k in c.coef.items():
            if r in used:
                used[r] += a * k
    far = datetime.max.replace(tzinfo=UTC)
    order = sorted(
        (i for i, c in enumerate(admitted) if c.need_a),
        key=lambda i: (-admitted[i].session.priority, admitted[i].session.departure or far),
    )
    for i in order:
        c = admitted[i]
        want = min(c.hi, max(c.lo, c.need_a or 0.0)) - out[i]
        room = min(((res[r] - used[r]) / k for r, k in c.coef.items() if r in res and k > 0), default=want)
        extra = max(0.0, min(want, room))
        out[i] += extra
        for r, k in c.coef.items():
            if r in used:
                used[r] += extra * k
    return out


def _sticky(
    admitted: Sequence[_Candidate],
    final: list[float],
    res: Mapping[str, float],
    at: datetime,
    hysteresis_a: float,
) -> list[float]:
    """Keep limits a session already holds when the plan moves them by little: lower small
    rises back to the held value, and keep a held value above a small drop when what the
    others were given leaves room for it."""
    out = list(final)
    # What each will hold: its latest push in flight, else what it accepted.
    held = [step_at(c.evse.last_sent or c.evse.committed, at) for c in admitted]
    used = {r: 0.0 for r in res}
    for c, a in zip(admitted, out, strict=True):
        for r, k in c.coef.items():
            if r in used:
                used[r] += a * k
    for i, c in enumerate(admitted):
        h = held[i]
        if h < c.lo or h > c.hi or out[i] <= h or out[i] - h > hysteresis_a:
            continue
        for r, k in c.coef.items():
            if r in used:
                used[r] -= (out[i] - h) * k
        out[i] = h
    for i, c in enumerate(admitted):
        h = held[i]
        if h < c.lo or h > c.hi or out[i] >= h or h - out[i] > hysteresis_a:
            continue
        extra = {r: (h - out[i]) * k for r, k in c.coef.items() if r in used}
        if all(used[r] + v <= res[r] + 1e-9 for r, v in extra.items()):
            for r, v in extra.items():
                used[r] += v
            out[i] = h
    return out


def plan_site(
    site: Site,
    evses: Sequence[EvseState],
    now: datetime,
    *,
    building: BuildingLoad | None = None,
    horizon: timedelta = timedelta(hours=24),
    rotation: timedelta = timedelta(minutes=15),
    max_segments: int = 24,
    hysteresis_a: float = 1.0,
) -> Plan:
    """Per-EVSE limits from `now` over `horizon`, in at most `max_segments` steps. A session
    whose planned limit is within `hysteresis_a` of the one it holds keeps it (when it fits),
    so small drifts of needs and shares do not turn into a stream of pushes."""
    starts = list(segment_starts(site, now, horizon))[:max_segments]
    # An EVSE that does not answer stays where it may be; one with an answer on its way is
    # planned as usual (dispatch counts it at the larger of its old and new limits meanwhile).
    planned = [e for e in evses if e.online and e.responsive and e.session is not None]
    power = (
        site.grid_unit.value == "kW"
        or site.peak_shaving is not None
        or any(s.limit is not None and s.unit.value == "kW" for s in site.external)
    )
    planned_keys = {e.key for e in planned}

    def contribution(e: EvseState, at: datetime, fixed: dict[str, float], sign: float) -> None:
        amps = dict.fromkeys(e.phases, e.fallback_a) if e.key in planned_keys else e.phase_amps_at(at)
        for p, a in amps.items():
            fixed[f"L{p}"] = fixed.get(f"L{p}", 0.0) + sign * a
            if power:
                fixed["P"] = fixed.get("P", 0.0) + sign * a * site.voltage / 1000

    # Reservations the plan does not move: unplanned EVSEs at what they may draw, planned
    # ones at their fallback. Computed once; later segments only redo the EVSEs whose
    # accepted or in-flight limits change after now.
    fixed_now: dict[str, float] = {}
    for e in evses:
        contribution(e, now, fixed_now, 1.0)
    moving = [
        e
        for e in evses
        if e.key not in planned_keys and any(t > now for steps in (e.committed, e.pending or ()) for t, _ in steps)
    ]

    def fixed_at(at: datetime) -> dict[str, float]:
        if at == now or not moving:
            return fixed_now
        fixed = dict(fixed_now)
        for e in moving:
            contribution(e, now, fixed, -1.0)
            contribution(e, at, fixed, 1.0)
        return fixed

    candidates = []
    for e in planned:
        assert e.session is not None
        s = e.session
        hi = min(e.max_a, s.ev_max_a if s.ev_max_a is not None else e.max_a)
        lo = max(e.min_a, e.fallback_a)
        remaining = s.remaining_wh()
        need = None
        if s.departure is not None and remaining is not None:
            hours = max((s.departure - now).total_seconds() / 3600, 1 / 60)
            need = NEED_MARGIN * remaining / hours / (site.voltage * len(e.used_phases()))
        if remaining == 0.0:
            lo = hi = e.fallback_a  # the EV wants nothing more: its capacity goes to the others
        if s.served_since is not None and s.last_served is not None and now - s.last_served < timedelta(seconds=90):
            credit = (rotation - (now - s.served_since)).total_seconds()
        else:
            credit = (now - (s.last_served or s.started_at)).total_seconds()
        candidates.append(_Candidate(e, s, lo, max(hi, lo), need, credit, _coef(e, site, power)))
    order = sorted(candidates, key=lambda c: (-c.session.priority, -c.credit, c.evse.key))
    segments = []
    admitted_now: frozenset[str] = frozenset()
    overcommitted = False
    for index, start in enumerate(starts):
        cap = site.capacity(start, building)
        if index == len(starts) - 1:
            # The last step stays in force after the plan ends (a charger that loses us keeps
            # it): it must fit every limit known to come, peak windows recur weekly.
            for later in site.edges(start, start + TAIL):
                cap = cap.lowest(site.capacity(later, building))
        res = _resources(cap, fixed_at(start))
        if any(v < -1e-9 for v in res.values()):
            overcommitted = True
        admitted: list[_Candidate] = []
        used = dict.fromkeys(res, 0.0)
        for c in order:
            if c.hi < c.lo + 1e-9 and c.lo <= c.evse.fallback_a:
                continue  # cannot charge above its fallback anyway
            step = c.lo - c.evse.fallback_a
            if all(used[r] + step * k <= res[r] + 1e-9 for r, k in c.coef.items() if r in res):
                admitted.append(c)
                for r, k in c.coef.items():
                    if r in used:
                        used[r] += step * k
        # Capacity for the fill: what is left after the fallbacks already counted in `fixed`.
        fill_res = {r: v + sum(c.evse.fallback_a * c.coef.get(r, 0.0) for c in admitted) for r, v in res.items()}
        weights = [1.0 + max(c.session.priority, 0) if site.strategy is Strategy.PRIORITY else 1.0 for c in admitted]
        lows = [c.lo for c in admitted]
        if site.strategy is Strategy.PRIORITY:
            lows = _needs_first(admitted, fill_res)
        final = fill(
            [Item(lo, c.hi, w, c.coef) for c, lo, w in zip(admitted, lows, weights, strict=True)],
            fill_res,
        )
        # Whole tenths of an amp (1.6 limits are multiples of 0.1), rounded down: never above the fill.
        final = [math.floor(a * 10 + 1e-6) / 10 for a in final]
        if hysteresis_a > 0:
            final = _sticky(admitted, final, fill_res, start, hysteresis_a)
        limits = {c.evse.key: c.evse.fallback_a for c in candidates}
        limits.update({c.evse.key: a for c, a in zip(admitted, final, strict=True)})
        segments.append(Segment(start, limits, cap))
        if index == 0:
            admitted_now = frozenset(c.evse.key for c in admitted)
    return Plan(now, tuple(segments), frozenset(e.key for e in planned), admitted_now, overcommitted)
