"""Energy delivered in a transaction, from energy register readings.

Chargers send register readings late, twice, out of order, without a start or stop
reading, and their registers reset (meter swap, firmware update, 32-bit wrap). The rules:
- readings are ordered by time (ties by value), exact duplicates count once;
- the start reading (meterStart / first "Transaction.Begin") and the stop reading
  (meterStop / "Transaction.End") bracket the series when present; otherwise the first
  and last register readings stand in;
- between consecutive readings a rise is energy; a fall is a register reset, and the
  reading after the reset is the energy counted since the reset (a register restarts at 0);
- the result is never negative.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, order=True)
class Reading:
    timestamp: datetime
    wh: float


@dataclass(frozen=True, slots=True)
class EnergyResult:
    wh: float
    readings: int
    resets: int  # register falls seen (reported, not hidden)


def energy_wh(
    readings: Iterable[Reading],
    *,
    start: Reading | None = None,
    stop: Reading | None = None,
) -> EnergyResult:
    series = set(readings)
    if start is not None:
        # Samples stamped before the start belong to no transaction energy.
        series = {r for r in series if r.timestamp >= start.timestamp}
        series.add(start)
    if stop is not None:
        series = {r for r in series if r.timestamp <= stop.timestamp}
        series.add(stop)
    ordered = sorted(series)
    total = 0.0
    resets = 0
    for prev, cur in itertools.pairwise(ordered):
        delta = cur.wh - prev.wh
        if delta >= 0:
            total += delta
        else:
            resets += 1
            total += max(cur.wh, 0.0)
    return EnergyResult(wh=max(total, 0.0), readings=len(ordered), resets=resets)
