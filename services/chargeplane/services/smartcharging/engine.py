"""The smart-charging service's operations, over the state, the store and the sender.

Profiles: validated against the charger's version (`rules.check_profile`), pushed, and
installed in the store only when the charger accepts (the store says what chargers hold).
Sites: one planner loop each (`SiteLoop`) re-plans after every event that changes the
site's picture and pushes what `safe_pushes` allows; pushes are recorded with their answer.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.smartcharging import (
    ActiveTransaction,
    ChargingProfile,
    CompositeSchedule,
    ProfileRuleViolation,
    Purpose,
    RateUnit,
    check_profile,
    composite_schedule,
    replaced_profiles,
)
from chargeplane.rpc.errors import InvalidArgument, NotFound

from . import metrics
from .convert import site_from_json, steps_to_domain
from .sender import ClearCriteria, ProfileSender, PushAnswer, PushStatus
from .site_loop import SiteLoop
from .state import Charger, EvseSpec, Installed, SessionInfo, State
from .store import PushRow, Store

log = logging.getLogger(__name__)

# Profile ids from here on belong to the planner: TxProfile = base + evse id, TxDefault = base + 1e6.
PLANNER_ID_BASE = 1_900_000_000
PLANNER_DEFAULT_ID = PLANNER_ID_BASE + 1_000_000
PLANNER_STACK_LEVEL = 1
# External limits a charger reports (NotifyChargingLimit) are kept as its profile base + 2e6 + evse.
CHARGER_LIMIT_ID_BASE = PLANNER_ID_BASE + 2_000_000


def utcnow() -> datetime:
    return datetime.now(UTC)


class Engine:
    def __init__(
        self,
        store: Store,
        sender: ProfileSender,
        *,
        clock: Callable[[], datetime] = utcnow,
        push_timeout: float = 35.0,
        replan_interval: float = 60.0,
    ) -> None:
        self.store = store
        self.sender = sender
        self.clock = clock
        self.push_timeout = push_timeout
        self.replan_interval = replan_interval
        self.state = State()
        self.loops: dict[str, SiteLoop] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._flight_keys = itertools.count(1)
        self._locks: dict[str, asyncio.Lock] = {}

    # -- life cycle --------------------------------------------------------------------

    async def start(self) -> None:
        s = self.state
        s.sites = await self.store.sites()
        for row in await self.store.external():
            s.external.setdefault(row["site_id"], {})[row["source"]] = _json(row["steps"])
        for row in await self.store.chargers():
            evses = {
                e["evse_id"]: EvseSpec(e["evse_id"], tuple(e["phases"]), e["max_a"], e["min_a"])
                for e in _json(row["evses"])
            }
            s.chargers[row["charge_point_id"]] = Charger(
                row["charge_point_id"], row["site_id"], Protocol(row["protocol"]), evses, row["online"]
            )
        for row in await self.store.active_sessions():
            key = (row["charge_point_id"], row["evse_id"])
            s.sessions[key] = SessionInfo(*key, row["transaction_id"], row["started_at"], _json(row["needs"]))
        for a in await self.store.load_active():
            s.installed.setdefault(a.charge_point_id, {})[a.profile.id] = Installed(
                a.evse_id, a.profile, a.source, a.installed_at
            )
        for site_id in s.sites:
            self._loop(site_id).wake()

    async def stop(self) -> None:
        for loop in self.loops.values():
            await loop.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _loop(self, site_id: str) -> SiteLoop:
        loop = self.loops.get(site_id)
        if loop is None:
            loop = self.loops[site_id] = SiteLoop(self, site_id, self.replan_interval)
            loop.start()
        return loop

    def _wake_site_of(self, cp: str) -> None:
        charger = self.state.chargers.get(cp)
        if charger is not None and charger.site_id in self.state.sites:
            self._loop(charger.site_id).wake()

    # -- profiles ----------------------------------------------------------------------

    def _lock(self, cp: str) -> asyncio.Lock:
        lock = self._locks.get(cp)
        if lock is None:
            lock = self._locks[cp] = asyncio.Lock()
        return lock

    def begin_push(self, cp: str, evse_id: int, profile: ChargingProfile) -> int:
        """Count `profile` as possibly applied from now on (synchronously: a re-plan that
        runs while the push is being recorded must already see it)."""
        key = next(self._flight_keys)
        self.state.in_flight.setdefault(cp, {})[key] = (evse_id, profile)
        return key

    async def set_profile(
        self, cp: str, evse_id: int, profile: ChargingProfile, *, source: str = "operator", flight: int | None = None
    ) -> tuple[PushRow, bool]:
        if source == "operator" and profile.id >= PLANNER_ID_BASE:
            raise ProfileRuleViolation("profile id", f"ids from {PLANNER_ID_BASE} on are reserved for the planner")
        now = self.clock()
        ctx = self.state.context(cp, now)
        try:
            check_profile(evse_id, profile, ctx)
        except ProfileRuleViolation:
            if flight is not None:
                self.state.in_flight.get(cp, {}).pop(flight, None)
            raise
        key = flight if flight is not None else self.begin_push(cp, evse_id, profile)
        flying = self.state.in_flight.setdefault(cp, {})
        async with self._lock(cp):  # one at a time per charger, in the order chosen
            # What it replaces, once the pushes before it are settled.
            ctx = self.state.context(cp, self.clock())
            replaced = [r.profile.id for r in replaced_profiles(evse_id, profile, ctx)]
            payload = {"evse_id": evse_id, "profile": profile.model_dump(mode="json", exclude_none=True)}
            push_id = await self.store.new_push(cp, evse_id, "set", profile.id, source, payload)
            answer = await self._ask(self.sender.set_profile(cp, evse_id, profile))
            if answer.status is PushStatus.ACCEPTED:
                at = self.clock()
                await self.store.install(cp, evse_id, profile, source, replaced, at)
                held = self.state.installed.setdefault(cp, {})
                for pid in replaced:
                    held.pop(pid, None)
                held[profile.id] = Installed(evse_id, profile, source, at)
                # Earlier unanswered pushes of this id are superseded by this one.
                for other in [k for k, (_, p) in flying.items() if p.id == profile.id and k <= key]:
                    flying.pop(other, None)
                    self.state.unanswered.get(cp, set()).discard(other)
            elif answer.status.definitive:
                flying.pop(key, None)
            else:
                # Timeout, or an error after sending: the charger may apply it; it keeps
                # counting until a later accepted push of the same id supersedes it.
                self.state.unanswered.setdefault(cp, set()).add(key)
            row = await self.store.answer_push(push_id, answer.status.value, answer.detail)
        self._count("set", answer)
        self._wake_site_of(cp)
        return row, answer.status is PushStatus.ACCEPTED

    async def clear_profiles(self, cp: str, criteria: ClearCriteria) -> tuple[PushRow, list[int]]:
        held = self.state.installed.get(cp, {})
        matched = [
            pid
            for pid, i in held.items()
            if (criteria.profile_id is None or pid == criteria.profile_id)
            and (criteria.evse_id is None or i.evse_id == criteria.evse_id)
            and (criteria.purpose is None or i.profile.purpose is criteria.purpose)
            and (criteria.stack_level is None or i.profile.stack_level == criteria.stack_level)
            # External constraints are the charger's, never cleared by the CSMS (K10.FR.04).
            and i.profile.purpose is not Purpose.EXTERNAL
        ]
        payload = {k: v for k, v in vars_of(criteria).items() if v is not None}
        push_id = await self.store.new_push(
            cp, criteria.evse_id or 0, "clear", criteria.profile_id, "operator", payload
        )
        answer = await self._ask(self.sender.clear_profiles(cp, criteria))
        cleared: list[int] = []
        if answer.status is PushStatus.ACCEPTED:
            cleared = matched
            await self.store.clear(cp, cleared, "cleared", self.clock())
            for pid in cleared:
                held.pop(pid, None)
        row = await self.store.answer_push(push_id, answer.status.value, answer.detail)
        self._count("clear", answer)
        self._wake_site_of(cp)
        return row, cleared

    async def _ask(self, call: Any) -> PushAnswer:
        try:
            answer: PushAnswer = await asyncio.wait_for(call, self.push_timeout)
            return answer
        except TimeoutError:
            return PushAnswer(PushStatus.TIMEOUT, f"no answer in {self.push_timeout:g} s")
        except Exception as exc:  # noqa: BLE001 - any sender failure is recorded as the push's outcome
            log.warning("push failed: %s", exc)
            return PushAnswer(PushStatus.ERROR, str(exc) or type(exc).__name__)

    def _count(self, action: str, answer: PushAnswer) -> None:
        metrics.PUSHES.labels(action, answer.status.value).inc()
        if answer.status is PushStatus.REJECTED:
            metrics.PUSHES_REJECTED.inc()

    def composite(
        self, cp: str, evse_id: int, start: datetime | None, duration: int, unit: RateUnit
    ) -> CompositeSchedule:
        if duration <= 0 or duration > 7 * 86_400:
            raise InvalidArgument("duration must be 1 s to 7 days")
        charger = self.state.chargers.get(cp)
        if charger is None and cp not in self.state.installed:
            raise NotFound(f"charge point {cp} is not known to smart charging")
        if charger is not None and charger.evses and evse_id and evse_id not in charger.evses:
            raise NotFound(f"charge point {cp} has no EVSE {evse_id}")
        session = self.state.sessions.get((cp, evse_id))
        tx = ActiveTransaction(session.transaction_id, session.started_at) if session else None
        voltage = 230.0
        if charger is not None and charger.site_id in self.state.sites:
            voltage = float(self.state.sites[charger.site_id]["voltage"])
        return composite_schedule(
            self.state.installed_profiles(cp),
            evse_id,
            start or self.clock(),
            duration,
            unit,
            transaction=tx,
            voltage=voltage,
        )

    # -- sites, chargers, sessions -----------------------------------------------------

    def site(self, site_id: str) -> dict[str, Any]:
        found = self.state.sites.get(site_id)
        if found is None:
            raise NotFound(f"site {site_id} does not exist")
        return found

    def site_model(self, site_id: str) -> Any:
        sources = self.state.external.get(site_id, {})
        steps = sorted((s for src, raw in sources.items() for s in steps_to_domain(raw, src)), key=lambda s: s.start)
        return site_from_json(self.site(site_id), tuple(steps))

    async def put_site(self, data: dict[str, Any]) -> None:
        await self.store.put_site(data["id"], data)
        self.state.sites[data["id"]] = data
        self._loop(data["id"]).wake()

    async def set_external(self, site_id: str, source: str, steps: list[dict[str, Any]]) -> None:
        self.site(site_id)
        await self.store.put_external(site_id, source, steps)
        self.state.external.setdefault(site_id, {})[source] = steps
        self._loop(site_id).wake()

    def report_load(self, site_id: str, at: datetime, amps: tuple[float, float, float]) -> None:
        self.site(site_id)
        self.state.building[site_id] = (at, amps)
        self._loop(site_id).wake()

    async def upsert_charger(self, cp: str, site_id: str | None, protocol: Protocol, evses: list[EvseSpec]) -> None:
        await self.store.put_charger(
            cp,
            site_id,
            protocol.value,
            [{"evse_id": e.evse_id, "phases": list(e.phases), "max_a": e.max_a, "min_a": e.min_a} for e in evses],
        )
        old = self.state.chargers.get(cp)
        self.state.chargers[cp] = Charger(
            cp, site_id, protocol, {e.evse_id: e for e in evses}, old.online if old else False
        )
        if old is not None and old.site_id in self.state.sites and old.site_id != site_id:
            self._loop(old.site_id).wake()
        self._wake_site_of(cp)

    async def set_online(self, cp: str, online: bool) -> None:
        charger = self.state.chargers.get(cp)
        if charger is None:
            raise NotFound(f"charge point {cp} is not known to smart charging")
        await self.store.set_online(cp, online)
        charger.online = online
        self._wake_site_of(cp)

    async def report_session(
        self, cp: str, evse_id: int, tx: str, event: str, at: datetime, needs: dict[str, Any]
    ) -> None:
        key = (cp, evse_id)
        if event == "started":
            await self.store.start_session(cp, tx, evse_id, at, needs)
            self.state.sessions[key] = SessionInfo(cp, evse_id, tx, at, dict(needs))
        elif event == "updated":
            info = self.state.sessions.get(key)
            if info is None or info.transaction_id != tx:
                raise NotFound(f"no transaction {tx} in progress on {cp}/{evse_id}")
            await self.store.start_session(cp, tx, evse_id, info.started_at, needs)
            info.needs.update(needs)
        elif event == "ended":
            await self.store.end_session(cp, tx, at)
            info = self.state.sessions.get(key)
            if info is not None and info.transaction_id == tx:
                del self.state.sessions[key]
            # The charger drops the transaction's TxProfiles (1.6 §3.13.2; 2.0.1 K01.FR.05 note).
            held = self.state.installed.get(cp, {})
            gone = [
                pid
                for pid, i in held.items()
                if i.profile.purpose is Purpose.TX and i.evse_id == evse_id and i.profile.transaction_id in (None, tx)
            ]
            await self.store.clear(cp, gone, "transaction ended", at)
            for pid in gone:
                held.pop(pid, None)
        else:
            raise InvalidArgument("event must be started, updated or ended")
        self._wake_site_of(cp)

    async def report_charging_limit(self, cp: str, evse_id: int, profile: ChargingProfile) -> None:
        """A limit an external system set on the charger (NotifyChargingLimit): the charger
        holds it as ChargingStationExternalConstraints, so it is in every composite (and in
        what the planner counts) without a push."""
        if evse_id < 0:
            raise InvalidArgument("evse_id must not be negative")
        at = self.clock()
        held = self.state.installed.setdefault(cp, {})
        await self.store.install(cp, evse_id, profile, "charger", [profile.id] if profile.id in held else [], at)
        held[profile.id] = Installed(evse_id, profile, "charger", at)
        self._wake_site_of(cp)

    async def clear_charging_limit(self, cp: str, evse_id: int | None) -> list[int]:
        """ClearedChargingLimit: the external limit (of one EVSE, or all) is gone."""
        held = self.state.installed.get(cp, {})
        gone = [
            pid
            for pid, i in held.items()
            if i.source == "charger" and i.profile.purpose is Purpose.EXTERNAL and evse_id in (None, i.evse_id)
        ]
        await self.store.clear(cp, gone, "limit cleared by the charger", self.clock())
        for pid in gone:
            held.pop(pid, None)
        self._wake_site_of(cp)
        return gone

    # -- planner pushes ----------------------------------------------------------------

    def launch(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def vars_of(criteria: ClearCriteria) -> dict[str, Any]:
    return {
        "profile_id": criteria.profile_id,
        "evse_id": criteria.evse_id,
        "purpose": criteria.purpose.value if criteria.purpose else None,
        "stack_level": criteria.stack_level,
    }


def _json(value: Any) -> Any:
    import orjson

    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


__all__ = ["CHARGER_LIMIT_ID_BASE", "PLANNER_DEFAULT_ID", "PLANNER_ID_BASE", "PLANNER_STACK_LEVEL", "Engine", "utcnow"]
_ = timedelta
