"""One planner loop per site: re-plan after each event, push what is safe, repeat.

Events (session start/end, EV needs, meter update, limit change, charger on/offline, a
push answered) wake the loop; bursts coalesce into one re-plan. Without events it re-plans
at the next moment the site's limits change, and at least every `interval` seconds. A push
a charger refused is not retried for `retry_after` seconds (no hammering of a charger that
says no); its EVSE keeps counting at what it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from chargeplane.domain.smartcharging import ChargingProfile, Kind, Purpose
from chargeplane.domain.smartcharging.planner import (
    BuildingLoad,
    EvseState,
    Plan,
    check_moments,
    headroom,
    plan_site,
    safe_pushes,
    usage_at,
)

from . import metrics

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Snapshot:
    planned_at: datetime
    plan: Plan
    evses: tuple[EvseState, ...]
    reserved_a: dict[int, float]
    limit_a: dict[int, float | None]
    headroom_a: float
    plan_seconds: float


class SiteLoop:
    def __init__(
        self, engine: Engine, site_id: str, interval: float, retry_after: float = 30.0, debounce: float = 0.02
    ) -> None:
        self.engine = engine
        self.debounce = debounce
        self.site_id = site_id
        self.interval = interval
        self.retry_after = retry_after
        self._event = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._next: float = interval
        self._held: dict[str, float] = {}  # EVSE or charger key -> monotonic time it may be pushed again
        self.last: Snapshot | None = None
        self.replans = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"site-loop-{self.site_id}")

    def wake(self) -> None:
        self._event.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), timeout=max(0.05, self._next))
            await asyncio.sleep(self.debounce)  # let a burst of events (answers) land: one re-plan
            self._event.clear()
            try:
                self.replan()
            except Exception:
                log.exception("re-planning site %s failed", self.site_id)
                self._next = min(self.interval, 5.0)

    def preview(self) -> Snapshot:
        """The plan for the site as it is now, without acting on it."""
        engine = self.engine
        site = engine.site_model(self.site_id)
        now = engine.clock()
        evses = engine.state.evse_states(self.site_id, now, site.voltage)
        load = engine.state.building.get(self.site_id)
        building = BuildingLoad(load[0], load[1]) if load else None
        started = time.perf_counter()
        plan = plan_site(site, evses, now, building=building)
        elapsed = time.perf_counter() - started
        cap = site.capacity(now, building, margin=False)
        spare = headroom(site, evses, now, building)
        return Snapshot(now, plan, tuple(evses), usage_at(evses, now), dict(cap.phase_a), spare, elapsed)

    def replan(self) -> Snapshot:
        engine = self.engine
        site = engine.site_model(self.site_id)
        now = engine.clock()
        started = time.perf_counter()
        evses = engine.state.evse_states(self.site_id, now, site.voltage)
        load = engine.state.building.get(self.site_id)
        building = BuildingLoad(load[0], load[1]) if load else None
        plan = plan_site(site, evses, now, building=building)
        pushes = safe_pushes(site, evses, plan, building)
        elapsed = time.perf_counter() - started
        self.replans += 1
        metrics.REPLANS.labels(self.site_id).inc()
        metrics.PLAN_SECONDS.observe(elapsed)
        spare = headroom(site, evses, now, building)
        metrics.HEADROOM.labels(self.site_id).set(spare)
        cap = site.capacity(now, building, margin=False)
        snapshot = Snapshot(now, plan, tuple(evses), usage_at(evses, now), dict(cap.phase_a), spare, elapsed)
        self.last = snapshot
        self._track_service(plan, now)
        clock = time.monotonic()
        by_key = {e.key: e for e in evses}
        for push in pushes:
            if self._held.get(push.key, 0.0) > clock:
                continue
            cp, evse_id = push.key.rsplit("/", 1)
            profile = self._tx_profile(by_key[push.key], int(evse_id), push.limits, now)
            if profile is not None:
                flight = engine.begin_push(cp, int(evse_id), profile)
                engine.launch(self._push(push.key, cp, int(evse_id), profile, flight))
        self._defaults(site.default_limit_a, evses, site, building, now)
        upcoming = [s.start for s in plan.segments if s.start > now]
        self._next = self.interval
        if upcoming:
            self._next = min(self.interval, (upcoming[0] - now).total_seconds())
        return snapshot

    def _track_service(self, plan: Plan, now: datetime) -> None:
        """Remember who charges (more than its fallback) since when: turns when capacity is short."""
        for (cp, evse_id), info in self.engine.state.sessions.items():
            key = f"{cp}/{evse_id}"
            if key not in plan.planned:
                continue
            if key in plan.admitted:
                info.served_since = info.served_since or now
                info.last_served = now
            else:
                info.served_since = None

    def _tx_profile(
        self, evse: EvseState, evse_id: int, limits: tuple[tuple[datetime, float], ...], now: datetime
    ) -> ChargingProfile | None:
        from .engine import PLANNER_ID_BASE, PLANNER_STACK_LEVEL

        if evse.session is None:
            return None
        start = datetime.fromtimestamp(math.floor(now.timestamp()), now.tzinfo)
        periods: list[dict[str, float]] = []
        for at, amps in limits:
            offset = max(0, math.floor((at - start).total_seconds()))
            if periods and offset <= periods[-1]["start_period"]:
                periods[-1]["limit"] = amps
                continue
            periods.append({"start_period": offset, "limit": amps, "number_phases": len(evse.used_phases())})
        return ChargingProfile.parse(
            {
                "id": PLANNER_ID_BASE + evse_id,
                "stack_level": PLANNER_STACK_LEVEL,
                "purpose": Purpose.TX.value,
                "kind": Kind.ABSOLUTE.value,
                "transaction_id": evse.session.transaction_id,
                "schedules": [{"rate_unit": "A", "start": start.isoformat(), "periods": periods}],
            }
        )

    def _defaults(
        self, default_a: float, evses: list[EvseState], site: object, building: BuildingLoad | None, now: datetime
    ) -> None:
        """Keep every charger of the site on the site's TxDefaultProfile (what a new session
        may draw before the planner's word): lowering it is always safe, raising it only when
        the site has room for every EVSE of the charger at the new value."""
        from .engine import PLANNER_DEFAULT_ID, PLANNER_STACK_LEVEL

        engine = self.engine
        clock = time.monotonic()
        for charger in engine.state.site_chargers(self.site_id):
            cp = charger.charge_point_id
            if not charger.online or self._held.get(cp, 0.0) > clock:
                continue
            held = engine.state.installed.get(cp, {}).get(PLANNER_DEFAULT_ID)
            current = held.profile.schedule.periods[0].limit if held else None
            if current == default_a or any(
                p.id == PLANNER_DEFAULT_ID for _, p in engine.state.in_flight.get(cp, {}).values()
            ):
                continue
            mine = [e for e in evses if e.key.startswith(f"{cp}/")]
            if any(default_a > e.fallback_a for e in mine):
                trial = [replace(e, fallback_a=max(e.fallback_a, default_a)) if e in mine else e for e in evses]
                moments = check_moments(site, trial, now)  # type: ignore[arg-type]
                if not all(
                    site.capacity(t, building, margin=False).admits(usage_at(trial, t), site.voltage)  # type: ignore[attr-defined]
                    for t in moments
                ):
                    continue
            profile = ChargingProfile.parse(
                {
                    "id": PLANNER_DEFAULT_ID,
                    "stack_level": PLANNER_STACK_LEVEL,
                    "purpose": Purpose.TX_DEFAULT.value,
                    "kind": Kind.RELATIVE.value,
                    "schedules": [{"rate_unit": "A", "periods": [{"start_period": 0, "limit": default_a}]}],
                }
            )
            self._held[cp] = clock + engine.push_timeout
            engine.launch(self._push(cp, cp, 0, profile, engine.begin_push(cp, 0, profile)))

    async def _push(self, key: str, cp: str, evse_id: int, profile: ChargingProfile, flight: int) -> None:
        try:
            _, installed = await self.engine.set_profile(cp, evse_id, profile, source="planner", flight=flight)
        except Exception as exc:  # noqa: BLE001 - a refused/invalid planner push waits and is retried later
            log.warning("planner push to %s refused: %s", key, exc)
            installed = False
        self._held[key] = 0.0 if installed else time.monotonic() + self.retry_after
        self.wake()


_ = timedelta
