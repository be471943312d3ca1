"""The site invariant under any events and any charger answers (hypothesis).

Starting from a site whose fallbacks fit, through sessions starting and ending, chargers
going offline and coming back, time passing, demand-response steps known in advance, and
every push accepted, rejected or left unanswered, the limits the chargers may apply never
add up to more than the site limit — at any moment from now on, offline chargers and
unanswered pushes included.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chargeplane.domain.smartcharging.planner import (
    EvseState,
    LimitStep,
    LimitUnit,
    PeakShaving,
    PeakWindow,
    Session,
    Site,
    Steps,
    Strategy,
    check_moments,
    highest,
    plan_site,
    safe_pushes,
    usage_at,
)

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


@st.composite
def sites(draw: st.DrawFn, n_evses: int) -> Site:
    phases = draw(st.sampled_from([1, 3]))
    unit = draw(st.sampled_from([LimitUnit.AMPS, LimitUnit.KILOWATTS]))
    limit = draw(st.integers(16, 250))
    default = draw(st.sampled_from([0.0, 6.0]))
    if default * n_evses > limit * 0.6:
        default = 0.0
    external = []
    at = T0
    for _ in range(draw(st.integers(0, 3))):
        at += timedelta(minutes=draw(st.integers(5, 600)))
        value = draw(st.one_of(st.none(), st.integers(int(default * n_evses) + 1, limit + 50)))
        external.append(LimitStep(at, None if value is None else float(value), draw(st.sampled_from(list(LimitUnit)))))
    peak = None
    if draw(st.booleans()):
        from datetime import time

        window = PeakWindow(frozenset({0, 1, 2}), time(draw(st.integers(0, 12))), time(draw(st.integers(13, 23))))
        peak = PeakShaving(float(draw(st.integers(int(default * n_evses * 0.7) + 1, 150))), (window,))
    limit_value = limit * 230 * phases / 1000 if unit is LimitUnit.KILOWATTS else float(limit)
    return Site(
        "s",
        limit_value,
        unit,
        phases=phases,
        strategy=draw(st.sampled_from(list(Strategy))),
        safety_margin=draw(st.sampled_from([0.0, 0.05])),
        external=tuple(external),
        peak_shaving=peak,
        default_limit_a=default,
    )


def _fits(site: Site, evses: list[EvseState], now: datetime) -> bool:
    for t in check_moments(site, evses, now):
        cap = site.capacity(t, None, margin=False)
        if not cap.admits(usage_at(evses, t), site.voltage, slack=1e-6):
            return False
    return True


@st.composite
def worlds(draw: st.DrawFn) -> tuple[Site, list[EvseState], list[tuple[str, int, int]]]:
    n = draw(st.integers(1, 10))
    site = draw(sites(n))
    evses = []
    for i in range(n):
        if site.phases == 1:
            phases: tuple[int, ...] = (1,)
        else:
            phases = draw(st.sampled_from([(1, 2, 3), (2, 3, 1), (3, 1, 2), (1,), (2,), (3,)]))
        evses.append(
            EvseState(f"cp{i}/1", phases, float(draw(st.integers(10, 32))), min_a=6.0, fallback_a=site.default_limit_a)
        )
    steps = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["start", "stop", "offline", "online", "wait", "replan"]),
                st.integers(0, n - 1),
                st.integers(0, 10_000),
            ),
            min_size=1,
            max_size=25,
        )
    )
    return site, evses, steps


def _answer(e: EvseState, queue: list[Steps], choice: int) -> EvseState:
    """The charger answers its oldest push in flight (they are answered in order)."""
    if not queue:
        return e
    if choice % 3 == 2:
        return e  # no answer yet
    first = queue.pop(0)
    rest = None
    for limits in queue:
        rest = limits if rest is None else highest(rest, limits)
    last = queue[-1] if queue else None
    if choice % 3 == 0:
        return replace(e, committed=first, pending=rest, last_sent=last)  # Accepted
    return replace(e, pending=rest, last_sent=last)  # Rejected, or an error: the old limits stay


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_limits_sent_never_exceed_the_site_limit(
    world: tuple[Site, list[EvseState], list[tuple[str, int, int]]],
) -> None:
    site, evses, steps = world
    now = T0
    queues: dict[str, list[Steps]] = {e.key: [] for e in evses}
    assert _fits(site, evses, now)
    for action, index, r in steps:
        e = evses[index]
        if action == "start" and e.session is None:
            session = Session(
                f"tx{r}",
                now,
                priority=r % 3,
                departure=now + timedelta(minutes=30 + r % 600) if r % 2 else None,
                energy_need_wh=float(r * 3) if r % 2 else None,
                ev_phases=1 if r % 4 == 0 else 3,
            )
            evses[index] = replace(e, session=session)
        elif action == "stop" and e.session is not None:
            # The charger drops the transaction's TxProfile; its TxDefaultProfile remains.
            evses[index] = replace(e, session=None, committed=(), pending=None, last_sent=None)
            queues[e.key].clear()
        elif action == "offline":
            evses[index] = replace(e, online=False)
        elif action == "online":
            evses[index] = replace(e, online=True)
        elif action == "wait":
            now += timedelta(seconds=r)
        assert _fits(site, evses, now), f"after {action}"
        plan = plan_site(site, evses, now)
        for push in safe_pushes(site, evses, plan, None):
            i = next(k for k, x in enumerate(evses) if x.key == push.key)
            old = evses[i].pending
            pending = push.limits if old is None else highest(old, push.limits)
            evses[i] = replace(evses[i], pending=pending, last_sent=push.limits)
            queues[push.key].append(push.limits)
        assert _fits(site, evses, now), "with pushes in flight"
        evses = [_answer(x, queues[x.key], r + k) for k, x in enumerate(evses)]
        assert _fits(site, evses, now), "after the answers"


@settings(max_examples=100, deadline=None)
@given(worlds())
def test_the_plan_is_reached_when_chargers_accept(
    world: tuple[Site, list[EvseState], list[tuple[str, int, int]]],
) -> None:
    site, evses, _ = world
    evses = [replace(e, session=Session(f"t{i}", T0)) for i, e in enumerate(evses)]
    plan = plan_site(site, evses, T0)
    for _ in range(3):  # decreases, then increases: at most two rounds
        for push in safe_pushes(site, evses, plan, None):
            i = next(k for k, x in enumerate(evses) if x.key == push.key)
            evses[i] = replace(evses[i], committed=push.limits)
    assert safe_pushes(site, evses, plan, None) == []
    for e in evses:
        assert (
            e.committed == tuple(plan.limits_for(e.key))
            or not plan.limits_for(e.key)
            or all(v == e.fallback_a for _, v in plan.limits_for(e.key))
        )
