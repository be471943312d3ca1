"""From priced segments to the cost of a session: OCPI 2.2.1's session-level rules.

What adds up and what does not (the split property in tests/billing states it exactly):
- additive per segment: volumes (kWh, seconds) and their exact cost, volume x price of the
  component in force, excl. VAT and incl. VAT per component;
- applied once, to the whole session, in `finalize`:
  * `step_size` (mod_cdrs, "step_size"): once for ENERGY and once for TIME and
    PARKING_TIME combined, on the total volume of the family, with the step of the last
    component used; the rounded-up remainder is billed at that component's price and VAT.
    When both TIME and PARKING_TIME were priced, only the parking total is rounded
    ("step_size is only taken into account for the total parking duration"). Reservation
    time is its own family;
  * FLAT: charged once, from the first segment where an element with a FLAT component is
    active (a start fee at the start; an element restricted to, e.g., min_duration adds
    its fee once that restriction first holds);
  * min_price / max_price: clamp the total excl. VAT and the total incl. VAT separately
    (both rules apply, mod_tariffs note). Dimension totals are before the clamp.
VAT per component: incl = excl x (1 + vat/100). A component without `vat` means the VAT is
unknown ("not providing a VAT is different from 0%"): totals that include a cost from such
a component have no incl. VAT figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from operator import itemgetter
from typing import Any

from .ocpi_types import Price
from .segments import Applied, Segment, SegmentKind
from .session import US_PER_S, UWH_PER_KWH, UWH_PER_WH, ChargingState, Exact
from .tariff import Tariff

HOUR = Fraction(3600)
_TIME_ORDER = itemgetter(0, 1)  # Segment (start_us, end_us)
_US_PER_H = 3600 * US_PER_S


@dataclass(frozen=True, slots=True)
class Cost:
    excl: Fraction = Fraction(0)
    incl: Fraction | None = Fraction(0)  # None: VAT unknown for part of it

    def __add__(self, other: Cost) -> Cost:
        incl = None if self.incl is None or other.incl is None else self.incl + other.incl
        return Cost(self.excl + other.excl, incl)


def _cost(excl: Fraction, vat: object) -> Cost:
    if vat is None:
        return Cost(excl, None if excl else Fraction(0))
    return Cost(excl, excl * (1 + Fraction(str(vat)) / 100))


def _vat_key(vat: object) -> Fraction | None:
    return None if vat is None else Fraction(str(vat))


@dataclass(slots=True)
class Pricing:
    """The exact cost of a session and how it is made up."""

    currency: str
    segments: list[Segment]
    energy: Cost = field(default_factory=Cost)
    time: Cost = field(default_factory=Cost)
    parking: Cost = field(default_factory=Cost)
    reservation: Cost = field(default_factory=Cost)
    fixed: Cost = field(default_factory=Cost)
    unrounded: Cost = field(default_factory=Cost)  # before step_size top-ups and min/max
    raw_total: Cost = field(default_factory=Cost)  # after step_size, before min/max
    total: Cost = field(default_factory=Cost)
    limited_by: str | None = None  # "min_price" or "max_price" when a limit applied
    # Base (excl. VAT) per VAT rate, after min/max; None: rate unknown.
    vat_bases: dict[Fraction | None, Fraction] = field(default_factory=dict)
    billed_energy_kwh: Fraction = Fraction(0)  # after step_size
    billed_time_s: Fraction = Fraction(0)
    billed_parking_s: Fraction = Fraction(0)
    billed_reservation_s: Fraction = Fraction(0)
    # Volumes of the segments (before step_size).
    energy_kwh: Fraction = Fraction(0)
    charging_s: Fraction = Fraction(0)
    parking_s: Fraction = Fraction(0)  # session time not charging
    session_s: Fraction = Fraction(0)
    reservation_s: Fraction = Fraction(0)


class _Ledger:
    def __init__(self) -> None:
        self.by_category: dict[str, Cost] = {}
        self.vat: dict[Fraction | None, Fraction] = {}

    def add(self, category: str, applied: Applied, volume: Fraction) -> None:
        excl = volume * Fraction(applied.component.price)
        self.by_category[category] = self.by_category.get(category, Cost()) + _cost(excl, applied.component.vat)
        key = _vat_key(applied.component.vat)
        self.vat[key] = self.vat.get(key, Fraction(0)) + excl

    def get(self, category: str) -> Cost:
        return self.by_category.get(category, Cost())


class _Usage:
    """Volumes per category and component, summed in the engine's exact units before they
    are priced: volume x price is linear, so pricing the sum of a component's volumes is
    pricing each segment and adding up, with one multiplication instead of one per segment.
    Kept as runs in time order (consecutive segments mostly share their component)."""

    def __init__(self) -> None:
        self.runs: dict[str, list[list[Any]]] = {}  # category -> [[Applied, volume], ...]

    def add(self, category: str, applied: Applied, volume: Exact) -> None:
        runs = self.runs.get(category)
        if runs is None:
            self.runs[category] = [[applied, volume]]
        elif runs[-1][0] is applied:
            runs[-1][1] += volume
        else:
            runs.append([applied, volume])

    def used(self, category: str) -> bool:
        return category in self.runs

    def last(self, category: str) -> Applied:
        """The component used last in time."""
        applied: Applied = self.runs[category][-1][0]
        return applied

    def total(self, category: str) -> Exact:
        total: Exact = sum((v for _, v in self.runs.get(category, ())), 0)
        return total

    def by_component(self) -> Iterator[tuple[str, Applied, Exact]]:
        for category, runs in self.runs.items():
            sums: dict[int, list[Any]] = {}
            for applied, volume in runs:
                found = sums.get(id(applied.component))
                if found is None:
                    sums[id(applied.component)] = [applied, volume]
                else:
                    found[1] += volume
            for applied, volume in sums.values():
                yield category, applied, volume


def _round_up(volume: Fraction, step: int) -> Fraction:
    if step <= 0 or volume <= 0:
        return volume
    return Fraction(math.ceil(volume / step) * step)


def _family(ledger: _Ledger, usage: _Usage, category: str, base: int, unit: int) -> Fraction:
    """Step rounding of one family: its total volume (engine units, `base` of them per step
    unit: µWh per Wh, µs per s) rounded up with the step of the last component used; the
    rounded-up remainder is priced per price unit (`unit` step units: Wh per kWh, s per h).
    Returns the billed volume in step units."""
    if not usage.used(category):
        return Fraction(0)
    total = Fraction(usage.total(category)) / base
    last = usage.last(category)
    billed = _round_up(total, last.component.step_size)
    if billed > total:
        ledger.add(category, last, (billed - total) / unit)
    return billed


def _clamp(raw: Cost, tariff: Tariff) -> tuple[Cost, str | None]:
    excl, incl, limited = raw.excl, raw.incl, None
    checks: tuple[tuple[str, Price | None, Callable[[Fraction, Fraction], bool]], ...] = (
        ("min_price", tariff.min_price, lambda v, lim: v < lim),
        ("max_price", tariff.max_price, lambda v, lim: v > lim),
    )
    for name, limit, beyond in checks:
        if limit is None:
            continue
        lim_excl = Fraction(limit.excl_vat)
        new_excl = lim_excl if beyond(excl, lim_excl) else excl
        if limit.incl_vat is not None and incl is not None:
            lim_incl = Fraction(limit.incl_vat)
            new_incl: Fraction | None = lim_incl if beyond(incl, lim_incl) else incl
        elif new_excl != excl and incl is not None and excl:
            new_incl = incl * new_excl / excl  # no incl. limit given: keep the VAT share
        elif new_excl != excl:
            new_incl = Fraction(limit.incl_vat) if limit.incl_vat is not None else None
        else:
            new_incl = incl
        if (new_excl, new_incl) != (excl, incl):
            limited = name
        excl, incl = new_excl, new_incl
    return Cost(excl, incl), limited


@dataclass(slots=True)
class _Tally:
    """What one pass over the ordered segments sums up (engine units: µWh, µs)."""

    usage: _Usage = field(default_factory=_Usage)
    flat: dict[SegmentKind, Applied] = field(default_factory=dict)
    energy: Exact = 0
    charging: Exact = 0
    parking: Exact = 0
    reservation: Exact = 0

    def add(self, segment: Segment) -> None:
        start, end, kind, state, delivered, _, energy_c, time_c, parking_c, flat_c = segment
        if flat_c is not None and kind not in self.flat:
            self.flat[kind] = flat_c
        self.energy += delivered
        if energy_c is not None and delivered > 0:
            self.usage.add("energy", energy_c, delivered)
        micros = end - start
        if kind is SegmentKind.RESERVATION:
            self.reservation += micros
        elif state is ChargingState.CHARGING:
            self.charging += micros
        else:
            self.parking += micros
        if micros > 0:
            self._time(kind, micros, time_c, parking_c)

    def _time(self, kind: SegmentKind, micros: Exact, time_c: Applied | None, parking_c: Applied | None) -> None:
        if kind is SegmentKind.RESERVATION:
            if time_c is not None:
                self.usage.add("reservation", time_c, micros)
        elif time_c is not None:
            self.usage.add("time", time_c, micros)
        elif parking_c is not None:
            self.usage.add("parking", parking_c, micros)


def _round_families(result: Pricing, ledger: _Ledger, usage: _Usage) -> None:
    """step_size rounding per dimension family, billed volumes recorded on `result`."""
    result.billed_energy_kwh = _family(ledger, usage, "energy", UWH_PER_WH, 1000) / 1000
    if usage.used("parking"):  # TIME and PARKING_TIME both used: only the parking total is rounded
        result.billed_parking_s = _family(ledger, usage, "parking", US_PER_S, 3600)
        result.billed_time_s = Fraction(usage.total("time")) / US_PER_S
    else:
        result.billed_time_s = _family(ledger, usage, "time", US_PER_S, 3600)
    result.billed_reservation_s = _family(ledger, usage, "reservation", US_PER_S, 3600)


def finalize(tariff: Tariff, segments: Iterable[Segment]) -> Pricing:
    """Apply the session-level rules to `segments` (in any order; they are sorted)."""
    ordered = sorted(segments, key=_TIME_ORDER)
    tally = _Tally()
    for segment in ordered:
        tally.add(segment)
    usage, flat = tally.usage, tally.flat
    ledger = _Ledger()
    for category, applied, volume in usage.by_component():
        per_unit = UWH_PER_KWH if category == "energy" else _US_PER_H
        ledger.add(category, applied, Fraction(volume) / per_unit)
    result = Pricing(currency=tariff.currency, segments=ordered)
    result.energy_kwh = Fraction(tally.energy) / UWH_PER_KWH
    result.charging_s, result.parking_s = Fraction(tally.charging) / US_PER_S, Fraction(tally.parking) / US_PER_S
    result.session_s = result.charging_s + result.parking_s
    result.reservation_s = Fraction(tally.reservation) / US_PER_S
    if SegmentKind.SESSION in flat:
        ledger.add("fixed", flat[SegmentKind.SESSION], Fraction(1))
    if SegmentKind.RESERVATION in flat:
        ledger.add("reservation", flat[SegmentKind.RESERVATION], Fraction(1))
    result.unrounded = sum(ledger.by_category.values(), Cost())
    _round_families(result, ledger, usage)
    result.energy, result.time, result.parking = ledger.get("energy"), ledger.get("time"), ledger.get("parking")
    result.reservation, result.fixed = ledger.get("reservation"), ledger.get("fixed")
    raw = sum((result.energy, result.time, result.parking, result.reservation, result.fixed), Cost())
    result.raw_total = raw
    result.total, result.limited_by = _clamp(raw, tariff)
    result.vat_bases = _vat_after_limit(ledger.vat, raw, result.total)
    return result


def _vat_after_limit(bases: dict[Fraction | None, Fraction], raw: Cost, total: Cost) -> dict[Fraction | None, Fraction]:
    bases = {k: v for k, v in bases.items() if v}
    if total.excl == raw.excl:
        return bases
    if raw.excl:
        return {k: v * total.excl / raw.excl for k, v in bases.items()}
    # A minimum price with nothing consumed: the VAT rate is what the limit implies.
    rate = (total.incl / total.excl - 1) * 100 if total.incl is not None and total.excl else None
    return {rate: total.excl} if total.excl else {}
