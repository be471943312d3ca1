"""Progressive filling (weighted max-min fairness) over linear resources.

Each item i gets a(λ) = clamp(w_i·λ, lo_i, hi_i) amps; a common level λ rises until a
resource (a site phase, or the total power) is full, then the items using that resource
stop where they are and the others keep rising. The result is max-min fair: no item can
get more without taking from one that has less (relative to its weight). Exact: the level
where a resource fills is found by sweeping the breakpoints lo/w and hi/w, not by search.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Item", "fill"]

EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Item:
    lo: float
    hi: float
    weight: float
    coef: Mapping[str, float]  # resource -> usage per amp


def fill(items: Sequence[Item], capacity: Mapping[str, float]) -> list[float]:
    """Allocations for `items` (in order). The lows must fit the capacity (checked by the
    caller's admission); resources missing from `capacity` are unbounded."""
    n = len(items)
    alloc = [it.lo for it in items]
    active = {i for i in range(n) if items[i].hi > items[i].lo + EPS and items[i].weight > 0}
    frozen_use = {r: 0.0 for r in capacity}
    for i in range(n):
        if i not in active:
            for r, c in items[i].coef.items():
                if r in frozen_use:
                    frozen_use[r] += alloc[i] * c
    level = 0.0
    while active:
        # usage_r(λ) for the active items, as a sweep over their breakpoints.
        events: list[tuple[float, int, int]] = []  # (λ, +1 start slope / -1 stop slope, item)
        base = dict(frozen_use)
        slope = {r: 0.0 for r in capacity}
        for i in active:
            it = items[i]
            start, stop = it.lo / it.weight, it.hi / it.weight
            for r, c in it.coef.items():
                if r in base:
                    base[r] += it.lo * c
            if stop <= level:
                continue
            if start <= level:
                for r, c in it.coef.items():
                    if r in slope:
                        base[r] += (level * it.weight - it.lo) * c
                        slope[r] += it.weight * c
            else:
                events.append((start, 1, i))
            events.append((stop, -1, i))
        events.sort()
        at = level
        stop_level: float | None = None
        full: set[str] = set()
        k = 0
        while True:
            nxt = events[k][0] if k < len(events) else float("inf")
            # The first resource to fill before `nxt`, if any.
            best = nxt
            for r, cap in capacity.items():
                if slope[r] > EPS:
                    reach = at + (cap - base[r]) / slope[r]
                    if reach < best - EPS:
                        best, full = reach, {r}
                    elif abs(reach - best) <= EPS and reach < nxt:
                        full.add(r)
            if best < nxt or k >= len(events):
                stop_level = max(best, at)
                break
            for r in capacity:
                base[r] += slope[r] * (nxt - at)
            at = nxt
            while k < len(events) and events[k][0] <= at + EPS:
                _, sign, i = events[k]
                for r, c in items[i].coef.items():
                    if r in slope:
                        slope[r] += sign * items[i].weight * c
                k += 1
        level = stop_level if stop_level != float("inf") else level
        done = set()
        for i in active:
            it = items[i]
            if stop_level == float("inf"):
                alloc[i] = it.hi
            else:
                alloc[i] = min(it.hi, max(it.lo, it.weight * level))
            if alloc[i] >= it.hi - EPS or any(r in full for r in it.coef if it.coef[r] > 0):
                done.add(i)
        if not done:  # numerical safety: nothing can rise further
            break
        for i in done:
            active.discard(i)
            for r, c in items[i].coef.items():
                if r in frozen_use:
                    frozen_use[r] += alloc[i] * c
    return alloc
