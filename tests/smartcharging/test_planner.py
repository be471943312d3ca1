"""The site planner: strategies, phases, minimum rates, peak shaving, external limits."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from chargeplane.domain.smartcharging.planner import (
    BuildingLoad,
    EvseState,
    LimitStep,
    LimitUnit,
    PeakShaving,
    PeakWindow,
    Session,
    Site,
    Strategy,
    headroom,
    plan_site,
    safe_pushes,
    step_at,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def evse(key: str, *, phases: tuple[int, ...] = (1, 2, 3), session: bool = True, **kw: object) -> EvseState:
    s = kw.pop("s", None) or (Session(f"tx-{key}", NOW - timedelta(minutes=5)) if session else None)
    return EvseState(key, phases, kw.pop("max_a", 32.0), session=s, **kw)  # type: ignore[arg-type]


def now_limits(site: Site, evses: list[EvseState], **kw: object) -> dict[str, float]:
    plan = plan_site(site, evses, NOW, **kw)  # type: ignore[arg-type]
    return dict(plan.segments[0].limits)


def test_static_equal_share_on_a_32_a_feed() -> None:
    site = Site("s", 32)
    limits = now_limits(site, [evse(f"cp{i}/1") for i in range(4)])
    assert limits == {f"cp{i}/1": 8.0 for i in range(4)}


def test_minimum_rate_or_nothing_and_turns() -> None:
    site = Site("s", 32)
    evses = [evse(f"cp{i}/1") for i in range(6)]  # 6 x 6 A = 36 A > 32 A
    plan = plan_site(site, evses, NOW)
    limits = plan.segments[0].limits
    assert sorted(limits.values()) == [0.0, 6.4, 6.4, 6.4, 6.4, 6.4]
    waiting = next(k for k, v in limits.items() if v == 0)
    # The one left out waits; once another has charged for the rotation time, it goes first.
    served_since = NOW - timedelta(minutes=20)
    turned = [
        EvseState(
            e.key,
            e.phases,
            e.max_a,
            session=Session(
                e.session.transaction_id,  # type: ignore[union-attr]
                e.session.started_at,  # type: ignore[union-attr]
                last_served=None if e.key == waiting else NOW,
                served_since=None if e.key == waiting else served_since,
            ),
        )
        for e in evses
    ]
    assert plan_site(site, turned, NOW).segments[0].limits[waiting] > 0


def test_kilowatt_grid_limit_and_building_load() -> None:
    site = Site("s", 22.08, LimitUnit.KILOWATTS, strategy=Strategy.DYNAMIC)  # 32 A x 3 x 230 V
    load = BuildingLoad(NOW, (10.0, 10.0, 10.0))
    limits = now_limits(site, [evse("a/1"), evse("b/1")], building=load)
    assert limits == {"a/1": 11.0, "b/1": 11.0}
    # A stale measurement falls back to the configured static building load.
    stale = BuildingLoad(NOW - timedelta(hours=1), (30.0, 30.0, 30.0))
    site2 = Site("s", 32, strategy=Strategy.DYNAMIC, static_building_a=12)
    assert now_limits(site2, [evse("a/1"), evse("b/1")], building=stale) == {"a/1": 10.0, "b/1": 10.0}


def test_single_phase_evs_are_balanced_per_phase() -> None:
    site = Site("s", 32)
    one_phase = [evse(f"p{p}/1", phases=(p,), max_a=32) for p in (1, 2, 3)]
    three = evse("three/1")
    limits = now_limits(site, [*one_phase, three])
    # Each phase: the 1-phase EV and the 3-phase EV share 32 A.
    assert limits == {"p1/1": 16.0, "p2/1": 16.0, "p3/1": 16.0, "three/1": 16.0}
    # Two 1-phase EVs on L1 and a 3-phase one: L1 is the bottleneck for the 3-phase EV.
    evses = [evse("x/1", phases=(1,)), evse("y/1", phases=(1,)), evse("three/1")]
    limits = now_limits(site, evses)
    assert limits["x/1"] == limits["y/1"] == limits["three/1"] == pytest.approx(10.6)


def test_phase_rotation_one_phase_ev_on_a_three_phase_evse() -> None:
    site = Site("s", 16)
    ev = Session("t", NOW, ev_phases=1)
    evses = [evse("rot/1", phases=(2, 3, 1), s=ev), evse("other/1", phases=(2,))]
    limits = now_limits(site, evses)
    # Both draw from L2 (the EVSE's L1 is wired to site L2).
    assert limits == {"rot/1": 8.0, "other/1": 8.0}


def test_priority_and_departure_needs() -> None:
    site = Site("s", 32, strategy=Strategy.PRIORITY)
    urgent = Session("u", NOW, departure=NOW + timedelta(hours=1), energy_need_wh=20 * 230 * 3)  # needs 20 A
    relaxed = Session("r", NOW, departure=NOW + timedelta(hours=10), energy_need_wh=10_000)
    limits = now_limits(site, [evse("u/1", s=urgent), evse("r/1", s=relaxed)])
    assert limits["u/1"] >= 20.0
    assert limits["u/1"] + limits["r/1"] == pytest.approx(32.0, abs=0.11)
    vip = Session("v", NOW, priority=2)
    limits = now_limits(site, [evse("v/1", s=vip), evse("n/1")])
    assert limits["v/1"] > limits["n/1"]
    # A full EV goes back to its fallback, the others get the rest.
    full = Session("f", NOW, soc=100)
    limits = now_limits(site, [evse("f/1", s=full), evse("n/1")])
    assert limits == {"f/1": 0.0, "n/1": 32.0}


def test_peak_shaving_window_and_month_peak() -> None:
    window = PeakWindow(frozenset(range(5)), time(11), time(14))
    site = Site("s", 63, peak_shaving=PeakShaving(target_kw=11.04, windows=(window,)))  # 16 A x 3
    plan = plan_site(site, [evse("a/1")], NOW, horizon=timedelta(hours=24))
    tomorrow = NOW.replace(hour=11) + timedelta(days=1)
    assert plan.limits_for("a/1") == [(NOW, 16.0), (NOW.replace(hour=14), 32.0), (tomorrow, 16.0)]
    # The last step stays after the plan ends, so it fits the windows to come.
    short = plan_site(site, [evse("a/1")], NOW, horizon=timedelta(hours=4))
    assert short.limits_for("a/1") == [(NOW, 16.0)]
    # Once the month's peak is higher, importing up to it costs nothing more.
    site = Site("s", 63, peak_shaving=PeakShaving(11.04, (window,), month_peak_kw=22.08))
    assert now_limits(site, [evse("a/1")]) == {"a/1": 32.0}


def test_external_limit_is_in_the_schedule_before_it_starts() -> None:
    event = NOW + timedelta(minutes=30)
    site = Site("s", 32, external=(LimitStep(event, 12, LimitUnit.AMPS), LimitStep(event + timedelta(hours=1), None)))
    evses = [evse("a/1"), evse("b/1")]
    plan = plan_site(site, evses, NOW)
    assert plan.limits_for("a/1") == [(NOW, 16.0), (event, 6.0), (event + timedelta(hours=1), 16.0)]
    pushes = safe_pushes(site, evses, plan, None)
    assert {p.key for p in pushes} == {"a/1", "b/1"}
    pushed = {p.key: p.limits for p in pushes}
    assert step_at(pushed["a/1"], event + timedelta(minutes=1)) == 6.0


def test_increases_wait_for_decreases() -> None:
    site = Site("s", 32)
    # a holds 26 A, b 6 A; the fair plan is 16/16: b's increase must wait for a's decrease.
    a = evse("a/1", committed=((NOW - timedelta(minutes=1), 26.0),))
    b = evse("b/1", committed=((NOW - timedelta(minutes=1), 6.0),))
    plan = plan_site(site, [a, b], NOW)
    first = safe_pushes(site, [a, b], plan, None)
    assert [(p.key, p.decrease) for p in first] == [("a/1", True)]
    # While a's answer is outstanding it counts at max(old, new): b still waits.
    a_pending = EvseState(a.key, a.phases, a.max_a, session=a.session, committed=a.committed, pending=first[0].limits)
    assert safe_pushes(site, [a_pending, b], plan, None) == []
    # Accepted: now b may rise.
    a_done = EvseState(a.key, a.phases, a.max_a, session=a.session, committed=first[0].limits)
    second = safe_pushes(site, [a_done, b], plan, None)
    assert [(p.key, p.decrease) for p in second] == [("b/1", False)]
    assert headroom(site, [a_done, b], NOW, None) >= 0


def test_offline_and_idle_evses_count_at_their_fallback() -> None:
    site = Site("s", 32, default_limit_a=6)
    idle = evse("idle/1", session=False, fallback_a=6)
    offline = evse("off/1", online=False, fallback_a=6, committed=((NOW - timedelta(hours=1), 10.0),))
    active = evse("on/1", fallback_a=6)
    limits = now_limits(site, [idle, offline, active])
    assert limits == {"on/1": 16.0}  # 32 - 6 (idle) - 10 (offline, at its accepted limit)


def test_behind_a_push_in_flight_only_lower_limits_follow() -> None:
    site = Site("s", 32)
    before = NOW - timedelta(minutes=1)
    a = evse("a/1", committed=((before, 26.0),))
    b = evse("b/1", committed=((before, 6.0),), pending=((before, 6.0),))
    plan = plan_site(site, [a, b], NOW)
    assert plan.segments[0].limits == {"a/1": 16.0, "b/1": 16.0}
    pushes = {p.key: p for p in safe_pushes(site, [a, b], plan, None)}
    # b's rise waits for its answer and a's decrease; a's decrease goes now.
    assert set(pushes) == {"a/1"}
    # A lower limit may follow a push in flight at once (the charger answers in order).
    c = evse("c/1", committed=((before, 20.0),), pending=((before, 18.0),))
    plan = plan_site(site, [c, evse("d/1")], NOW)
    assert [p.key for p in safe_pushes(site, [c, evse("d/1")], plan, None)] == ["c/1"]
