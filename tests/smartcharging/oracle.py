"""A brute-force, second-by-second reading of the OCPP stacking rules: the test oracle.

Written independently of `chargeplane.domain.smartcharging.composite`: no intervals, no
boundaries, no bisection; for every second it walks each profile from its definition.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from chargeplane.domain.smartcharging import ActiveTransaction, InstalledProfile, Kind, Purpose, RateUnit


def _sec(value: datetime) -> int:
    return math.floor(value.timestamp())


def limit_at(item: InstalledProfile, t: int, anchor: int) -> tuple[float, RateUnit, int | None, float | None] | None:
    """(limit, unit, numberPhases, minChargingRate) that profile sets at second t, or None."""
    p = item.profile
    if p.valid_from is not None and t < _sec(p.valid_from):
        return None
    if p.valid_to is not None and t >= _sec(p.valid_to):
        return None
    s = p.schedules[0]
    if p.kind is Kind.RELATIVE:
        run = anchor
    else:
        run = _sec(s.start) if s.start is not None else _sec(item.installed_at)
        if p.kind is Kind.RECURRING:
            every = 86_400 if p.recurrency is not None and p.recurrency.value == "Daily" else 604_800
            while run > t:
                run -= every
            while run + every <= t:
                run += every
    offset = t - run
    if offset < 0:
        return None
    if s.duration is not None and offset >= s.duration:
        return None
    chosen = None
    for period in s.periods:
        if period.start_period <= offset:
            chosen = period
    if chosen is None:
        return None
    return chosen.limit, s.rate_unit, chosen.number_phases, s.min_charging_rate


def to_unit(limit: float, src: RateUnit, dst: RateUnit, phases: int | None, voltage: float) -> float:
    n = phases if phases else 3
    if src == dst:
        return limit
    return limit * voltage * n if dst == RateUnit.WATTS else limit / (voltage * n)


def oracle(
    installed: Sequence[InstalledProfile],
    evse_id: int,
    start: datetime,
    duration: int,
    unit: RateUnit,
    transaction: ActiveTransaction | None,
    voltage: float,
) -> list[tuple[float | None, int | None]]:
    """Per second of [start, start + duration): (limit, numberPhases)."""
    lo = _sec(start)
    anchor = _sec(transaction.started_at) if transaction else lo
    out: list[tuple[float | None, int | None]] = []

    def winner(items: list[InstalledProfile], t: int) -> tuple[float, RateUnit, int | None, float | None] | None:
        best = None
        best_key = None
        for item in items:
            found = limit_at(item, t, anchor)
            if found is None:
                continue
            key = (item.profile.stack_level, 1 if item.evse_id == evse_id and evse_id > 0 else 0)
            if best_key is None or key > best_key:
                best, best_key = found, key
        return best

    maxes = [i for i in installed if i.profile.purpose == Purpose.STATION_MAX and i.evse_id == 0]
    externals = [i for i in installed if i.profile.purpose == Purpose.EXTERNAL and i.evse_id in (0, evse_id)]
    defaults = [
        i for i in installed if evse_id > 0 and i.profile.purpose == Purpose.TX_DEFAULT and i.evse_id in (0, evse_id)
    ]
    txs = [
        i
        for i in installed
        if evse_id > 0
        and transaction is not None
        and i.profile.purpose == Purpose.TX
        and i.evse_id == evse_id
        and i.profile.transaction_id in (None, transaction.transaction_id)
    ]
    for t in range(lo, lo + duration):
        tx_level = winner(txs, t)
        if tx_level is None:
            tx_level = winner(defaults, t)
        values = []
        for found in (winner(maxes, t), winner(externals, t), tx_level):
            if found is not None:
                values.append((to_unit(found[0], found[1], unit, found[2], voltage), found[2] or 3, found[2]))
        if not values:
            out.append((None, None))
        else:
            value, _, phases = min(values, key=lambda v: (v[0], v[1]))
            out.append((value, phases))
    return out
