"""From a plan to pushes that never break the site limit on the way.

While a push is in flight the charger may apply the old or the new limits, so it counts
at the larger of both; after a rejection or no answer it keeps the old ones. Decreases are
therefore always safe to send — also behind a push still in flight, as long as they ask
for no more than the EVSE may already draw — and an increase is sent only when, with every
push of this round counted at max(old, new), each site phase and the total power stay
within the limit at every segment of the plan. Increases held back now go out once the
decreases are accepted (the next round): at most two round trips to reach any plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .plan import TAIL, EvseState, Plan, Steps, step_at
from .site import BuildingLoad, Site

__all__ = ["Push", "check_moments", "headroom", "safe_pushes", "usage_at"]


@dataclass(frozen=True, slots=True)
class Push:
    key: str
    limits: Steps  # from each start on, amps per phase
    decrease: bool


def usage_at(evses: Iterable[EvseState], at: datetime, extra: Mapping[str, Steps] | None = None) -> dict[int, float]:
    """Amps per site phase reserved by `evses` at `at`; `extra` adds limits in flight."""
    usage: dict[int, float] = {1: 0.0, 2: 0.0, 3: 0.0}
    for e in evses:
        for p, amps in e.phase_amps_at(at, extra.get(e.key) if extra else None).items():
            usage[p] += amps
    return usage


def headroom(site: Site, evses: Sequence[EvseState], at: datetime, building: BuildingLoad | None) -> float:
    """The smallest spare capacity at `at` (amps per phase, without the safety margin):
    negative means the limits sent add up to more than the site may draw."""
    cap = site.capacity(at, building, margin=False)
    return cap.headroom_a(usage_at(evses, at), site.voltage)


def check_moments(
    site: Site, evses: Iterable[EvseState], now: datetime, extra: Iterable[datetime] = ()
) -> list[datetime]:
    """Every moment from `now` on where a limit or a reservation may change: checking
    these checks all times (both sides are step functions)."""
    moments = {now, *(t for t in extra if t >= now)}
    moments.update(site.edges(now, max(moments) + TAIL))
    for e in evses:
        for steps in (e.committed, e.pending or ()):
            moments.update(t for t, _ in steps if t > now)
    return sorted(moments)


def _same(a: Steps, b: Steps, now: datetime) -> bool:
    moments = sorted({now, *(t for t, _ in a if t > now), *(t for t, _ in b if t > now)})
    return all(abs(step_at(a, t) - step_at(b, t)) < 1e-9 for t in moments)


def safe_pushes(site: Site, evses: Sequence[EvseState], plan: Plan, building: BuildingLoad | None) -> list[Push]:
    """The pushes to send now: every decrease, and the increases that fit."""
    by_key = {e.key: e for e in evses}
    moments = check_moments(site, evses, plan.at, [s.start for s in plan.segments])
    caps = [site.capacity(t, building, margin=False) for t in moments]
    out: list[Push] = []
    increases: list[Push] = []
    for key in sorted(plan.planned):
        evse = by_key.get(key)
        if evse is None or not evse.online:
            continue
        limits = tuple(plan.limits_for(key))
        if not limits:
            continue
        if evse.pending is not None:
            # Behind a push in flight (the charger answers them in order) only what it may
            # already draw: nothing rises, the change does not wait for the first answer.
            lower = all(step_at(limits, t) <= evse.reserved_at(t) + 1e-9 for t in moments)
            if lower and not _same(limits, evse.last_sent or evse.pending, plan.at):
                out.append(Push(key, limits, True))
            continue
        if _same(limits, evse.committed, plan.at):
            continue
        if all(step_at(limits, t) <= step_at(evse.committed, t) + 1e-9 for t in moments):
            out.append(Push(key, limits, True))
        else:
            increases.append(Push(key, limits, False))
    in_flight: dict[str, Steps] = {p.key: p.limits for p in out}
    # Usage per moment so far (decreases counted at their old limits), updated per increase.
    usage = [usage_at(evses, t, in_flight) for t in moments]
    # Smallest increases first: most sessions move when capacity is short.
    increases.sort(key=lambda p: max(step_at(p.limits, t) - by_key[p.key].reserved_at(t) for t in moments))
    for push in increases:
        evse = by_key[push.key]
        trial = []
        for t, cap, used in zip(moments, caps, usage, strict=True):
            before = evse.phase_amps_at(t)
            after = evse.phase_amps_at(t, push.limits)
            new = dict(used)
            for p in after:
                new[p] += after[p] - before[p]
            if not cap.admits(new, site.voltage):
                break
            trial.append(new)
        else:
            usage = trial
            out.append(push)
    return out
