"""Property-based tests of the pricing engine (hypothesis), and the exact scope of each.

1. Splitting. For any instant T of a session, the segments of the session truncated at T
   (what the live cost sees at T) are exactly the whole session's segments cut at T, and
   `finalize` of (truncated segments + the whole's segments after T) equals `finalize` of the
   whole: volumes and exact per-segment costs are additive; FLAT, step_size and min/max are
   session-level rules applied once to the summed parts and give the same result.
2. Monotone in time. As a session goes on, its cost before step_size rounding never
   decreases (restrictions only look at the past, prices are >= 0, FLAT is charged once).
   The billed cost never decreases by more than one step of one component: OCPI's step_size
   rule rounds only the last component of a family, so a later, cheaper element, or parking
   after charging ("charging duration is not rounded up, as it is followed by another time
   based period") can lower the rounded part. For tariffs with at most one ENERGY component
   and one time component (TIME or PARKING_TIME), the billed cost never decreases.
3. Monotone in energy. More energy over the same times never costs less before step_size
   rounding, for tariffs whose restrictions do not look at power, current or kWh (those can
   make a faster or bigger charge cheaper by design, e.g. a min_power discount). The billed
   cost never decreases by more than one step of one component: the ENERGY family's total
   is rounded up at its last component's price, so more energy under an earlier, cheaper
   element can shrink the rounded-up remainder (test_cheaper_earlier_energy_counterexample).
   For tariffs with at most one ENERGY component, the billed cost never decreases.
The counterexamples of the limits above are tests too (test_*_counterexample).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chargeplane.domain.billing.costing import finalize
from chargeplane.domain.billing.engine import price
from chargeplane.domain.billing.segments import clip, segments
from chargeplane.domain.billing.session import MeterSample, Session
from chargeplane.domain.billing.tariff import Tariff, TariffDimensionType, parse_tariff

from .sessions import AMSTERDAM, Charge, Park, build

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_times = st.sampled_from(["00:00", "01:30", "02:30", "06:00", "09:00", "17:00", "18:30", "22:00", "23:59"])
_days = st.lists(st.sampled_from(["MONDAY", "TUESDAY", "SATURDAY", "SUNDAY"]), unique=True, max_size=2)


@st.composite
def restrictions(draw: Any, *, quantities: bool = True) -> dict[str, Any] | None:
    if draw(st.booleans()):
        return None
    r: dict[str, Any] = {}
    if draw(st.booleans()):
        r["start_time"] = draw(_times)
    if draw(st.booleans()):
        r["end_time"] = draw(_times)
    if days := draw(_days):
        r["day_of_week"] = days
    if draw(st.booleans()):
        lo = draw(st.integers(0, 7200))
        r["min_duration"], r["max_duration"] = lo, lo + draw(st.integers(60, 7200))
    if quantities and draw(st.booleans()):
        lo = draw(st.integers(0, 20))
        r["min_kwh"], r["max_kwh"] = lo, lo + draw(st.integers(1, 20))
    if quantities and draw(st.booleans()):
        r["max_power"] = draw(st.sampled_from([7, 11, 22, 50]))
    if quantities and draw(st.booleans()):
        r["min_current"] = draw(st.sampled_from([10, 16, 32]))
    return r


@st.composite
def components(draw: Any, types: list[str]) -> list[dict[str, Any]]:
    chosen = draw(st.lists(st.sampled_from(types), min_size=1, max_size=3, unique=True))
    out = []
    for t in chosen:
        step = draw(st.sampled_from([0, 1, 100, 500]) if t == "ENERGY" else st.sampled_from([0, 1, 60, 300, 900]))
        vat = draw(st.sampled_from([None, 0, 9, 21]))
        c = {"type": t, "price": draw(st.sampled_from([0, 0.05, 0.25, 1, 2.4, 5])), "step_size": step}
        if vat is not None:
            c["vat"] = vat
        out.append(c)
    return out


@st.composite
def tariffs(draw: Any, *, quantities: bool = True, single_rate: bool = False) -> Tariff:
    types = ["ENERGY", "TIME", "PARKING_TIME", "FLAT"]
    elements = []
    if single_rate:
        # At most one ENERGY and one time component in the whole tariff.
        time_type = draw(st.sampled_from(["TIME", "PARKING_TIME"]))
        for t in draw(st.lists(st.sampled_from(["ENERGY", time_type, "FLAT"]), min_size=1, max_size=3, unique=True)):
            elements.append(
                {"price_components": draw(components([t])), "restrictions": draw(restrictions(quantities=quantities))}
            )
    else:
        for _ in range(draw(st.integers(1, 4))):
            elements.append(
                {"price_components": draw(components(types)), "restrictions": draw(restrictions(quantities=quantities))}
            )
    raw: dict[str, Any] = {"country_code": "NL", "party_id": "CPL", "id": "p", "currency": "EUR",
                           "last_updated": "2024-01-01T00:00:00Z", "elements": elements}  # fmt: skip
    for e in raw["elements"]:
        if e["restrictions"] is None:
            del e["restrictions"]
    if draw(st.booleans()):
        raw["min_price"] = {"excl_vat": draw(st.sampled_from([0.5, 2])), "incl_vat": 2.5}
    if draw(st.booleans()):
        raw["max_price"] = {"excl_vat": draw(st.sampled_from([5, 30])), "incl_vat": 40}
    return parse_tariff(raw)


_starts = st.sampled_from(
    [
        datetime(2024, 3, 30, 22, 15, tzinfo=UTC),  # spring-forward night in Amsterdam
        datetime(2024, 10, 26, 23, 40, tzinfo=UTC),  # autumn: 02:00-03:00 local twice
        datetime(2024, 6, 3, 15, 55, 30, tzinfo=UTC),
        datetime(2024, 12, 31, 21, 0, 0, 250_000, tzinfo=UTC),  # midnight and new year locally
    ]
)
_phase = st.one_of(
    st.builds(
        Charge,
        minutes=st.floats(0.5, 240),
        kwh=st.floats(0, 60),
        current_a=st.one_of(st.none(), st.sampled_from([6.0, 16.0, 32.0, 48.0])),
    ),
    st.builds(Park, minutes=st.floats(0.5, 180)),
)
sessions = st.builds(lambda start, phases: build(start, *phases), _starts, st.lists(_phase, min_size=1, max_size=5))


def _truncated(session: Session, at: datetime) -> Session:
    return Session(session.started_at, at, session.samples, session.states, session.reservation, session.meter_start_wh)


def _split_at(session: Session, u: float) -> datetime:
    assert session.ended_at is not None
    span = session.ended_at - session.started_at
    return session.started_at + timedelta(microseconds=int(span / timedelta(microseconds=1) * u))


@PROPS
@given(tariffs(), sessions, st.floats(0.001, 0.999))
def test_split_at_any_instant_adds_up(tariff: Tariff, session: Session, u: float) -> None:
    cut = _split_at(session, u)
    assert session.ended_at is not None
    whole = segments(tariff, session, AMSTERDAM)
    head = segments(tariff, _truncated(session, cut), AMSTERDAM)
    t = Fraction((cut - session.started_at) // timedelta(microseconds=1), 1_000_000)
    end = Fraction((session.ended_at - session.started_at) // timedelta(microseconds=1), 1_000_000)
    assume(0 < t < end)
    # What the live cost sees at T is the whole session cut at T ...
    assert head == [c for s in whole if (c := clip(s, Fraction(0), t)) is not None]
    tail = [c for s in whole if (c := clip(s, t, end + 1)) is not None]
    # ... and the parts priced once, together, are the whole.
    parts, full = finalize(tariff, head + tail), finalize(tariff, whole)
    assert (parts.total, parts.unrounded, parts.energy_kwh, parts.session_s) == (
        full.total,
        full.unrounded,
        full.energy_kwh,
        full.session_s,
    )
    assert (parts.billed_energy_kwh, parts.billed_time_s, parts.billed_parking_s) == (
        full.billed_energy_kwh,
        full.billed_time_s,
        full.billed_parking_s,
    )


def _max_step_value(tariff: Tariff) -> Fraction:
    worst = Fraction(0)
    for e in tariff.elements:
        for c in e.price_components:
            unit = {TariffDimensionType.ENERGY: 1000, TariffDimensionType.FLAT: 1}.get(c.type, 3600)
            vat = 1 + Fraction(str(c.vat or 0)) / 100
            worst = max(worst, Fraction(c.price) * max(c.step_size, 1) / unit * vat)
    return worst


@PROPS
@given(tariffs(), sessions, st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_cost_never_decreases_as_the_session_goes_on(tariff: Tariff, session: Session, u: float, v: float) -> None:
    early, late = sorted((_split_at(session, u), _split_at(session, v)))
    a = price(tariff, _truncated(session, early), AMSTERDAM)
    b = price(tariff, _truncated(session, late), AMSTERDAM)
    assert b.unrounded.excl >= a.unrounded.excl
    if a.unrounded.incl is not None and b.unrounded.incl is not None:
        assert b.unrounded.incl >= a.unrounded.incl
    assert b.total.excl >= a.total.excl - _max_step_value(tariff)


@PROPS
@given(tariffs(single_rate=True), sessions, st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_single_rate_billed_cost_never_decreases(tariff: Tariff, session: Session, u: float, v: float) -> None:
    early, late = sorted((_split_at(session, u), _split_at(session, v)))
    a = price(tariff, _truncated(session, early), AMSTERDAM)
    b = price(tariff, _truncated(session, late), AMSTERDAM)
    assert b.total.excl >= a.total.excl
    if a.total.incl is not None and b.total.incl is not None:
        assert b.total.incl >= a.total.incl


def _scaled(session: Session, k: Decimal) -> Session:
    samples = [MeterSample(s.at, s.energy_wh * k, s.current_a) for s in session.samples]
    return Session(session.started_at, session.ended_at, samples, session.states, None, Decimal(0))


@PROPS
@given(tariffs(quantities=False), sessions, st.decimals(1, 5, places=2))
def test_more_energy_never_costs_less(tariff: Tariff, session: Session, k: Decimal) -> None:
    a = price(tariff, session, AMSTERDAM)
    b = price(tariff, _scaled(session, k), AMSTERDAM)
    assert b.unrounded.excl >= a.unrounded.excl
    assert b.total.excl >= a.total.excl - _max_step_value(tariff)


@PROPS
@given(tariffs(quantities=False, single_rate=True), sessions, st.decimals(1, 5, places=2))
def test_single_rate_more_energy_never_costs_less(tariff: Tariff, session: Session, k: Decimal) -> None:
    a = price(tariff, session, AMSTERDAM)
    b = price(tariff, _scaled(session, k), AMSTERDAM)
    assert b.total.excl >= a.total.excl
    if a.total.incl is not None and b.total.incl is not None:
        assert b.total.incl >= a.total.incl


def _t(*elements: dict[str, Any]) -> Tariff:
    return parse_tariff({"country_code": "NL", "party_id": "CPL", "id": "c", "currency": "EUR",
                         "last_updated": "2024-01-01T00:00:00Z", "elements": list(elements)})  # fmt: skip


START = datetime(2024, 6, 3, 14, 50, tzinfo=AMSTERDAM)


def test_cheaper_later_element_counterexample() -> None:
    # 2.40/h with 30-min steps until 15:00, 1.20/h with 1-min steps after: at 14:59 the charging
    # is rounded to 30 min at 2.40 (1.20); a minute later only to the minute at the new price.
    t = _t(
        {
            "price_components": [{"type": "TIME", "price": 2.4, "step_size": 1800}],
            "restrictions": {"end_time": "15:00"},
        },
        {"price_components": [{"type": "TIME", "price": 1.2, "step_size": 60}]},
    )
    s = build(START, Charge(11, 2))
    before = price(t, _truncated(s, START + timedelta(minutes=9)), AMSTERDAM).total.excl
    after = price(t, s, AMSTERDAM).total.excl
    assert before == Fraction("1.2") and after == Fraction(10, 60) * Fraction("2.4") + Fraction(1, 60) * Fraction("1.2")
    assert after < before


def test_parking_after_charging_counterexample() -> None:
    # Charging rounded to 15 min while charging; once parking (priced) follows, only parking is rounded.
    t = _t(
        {
            "price_components": [
                {"type": "TIME", "price": 1, "step_size": 900},
                {"type": "PARKING_TIME", "price": 0.1, "step_size": 60},
            ]
        }
    )
    s = build(START, Charge(1, 0.2), Park(1))
    charging = price(t, _truncated(s, START + timedelta(minutes=1)), AMSTERDAM).total.excl
    parked = price(t, s, AMSTERDAM).total.excl
    assert charging == Fraction(1, 4) and parked == Fraction(1, 60) + Fraction(1, 600)


def test_cheaper_earlier_energy_counterexample() -> None:
    # Energy is free in the first minute, then 0.05/kWh in 100 Wh steps. 250 Wh (125 of them
    # priced) bill 300 Wh: 175 Wh x 0.05; 252.5 Wh (126.25 priced) bill 300 Wh too, but the
    # rounded-up 47.5 Wh cost less than the extra 1.25 Wh of the free minute saved.
    t = _t(
        {
            "price_components": [{"type": "ENERGY", "price": 0, "step_size": 0}],
            "restrictions": {"min_duration": 0, "max_duration": 60},
        },
        {"price_components": [{"type": "ENERGY", "price": 0.05, "step_size": 100}]},
    )
    s = build(START, Charge(2, 0.25))
    less = price(t, s, AMSTERDAM).total.excl
    more = price(t, _scaled(s, Decimal("1.01")), AMSTERDAM).total.excl
    assert less == Fraction(175, 1000) * Fraction("0.05") and more == Fraction(17375, 100000) * Fraction("0.05")
    assert more < less


def test_power_discount_counterexample() -> None:
    # A min_power discount: the same time with more energy (faster) costs less, by design.
    t = _t(
        {"price_components": [{"type": "ENERGY", "price": 0.2, "step_size": 1}], "restrictions": {"min_power": 50}},
        {"price_components": [{"type": "ENERGY", "price": 0.6, "step_size": 1}]},
    )
    slow, fast = build(START, Charge(60, 40)), build(START, Charge(60, 60))
    assert price(t, fast, AMSTERDAM).total.excl < price(t, slow, AMSTERDAM).total.excl
