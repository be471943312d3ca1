"""Restrictions switch exactly at their boundaries: time of day, midnight, DST, dates, energy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from chargeplane.domain.billing.engine import charging_periods, price
from chargeplane.domain.billing.tariff import Tariff, parse_tariff

from .sessions import AMSTERDAM, Charge, Park, build


def tariff(*elements: dict[str, Any]) -> Tariff:
    return parse_tariff({"country_code": "NL", "party_id": "CPL", "id": "b", "currency": "EUR",
                         "last_updated": "2024-01-01T00:00:00Z", "elements": list(elements)})  # fmt: skip


def time_price(per_hour: float, **restrictions: Any) -> dict[str, Any]:
    element: dict[str, Any] = {"price_components": [{"type": "TIME", "price": per_hour, "step_size": 0}]}
    if restrictions:
        element["restrictions"] = restrictions
    return element


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_switches_exactly_at_start_time() -> None:
    t = tariff(time_price(2, start_time="17:00"), time_price(1))
    p = price(t, build(datetime(2024, 6, 3, 16, 0, tzinfo=AMSTERDAM), Charge(120, 10)), AMSTERDAM)
    assert p.total.excl == 3
    periods = charging_periods(p, datetime(2024, 6, 3, 16, 0, tzinfo=AMSTERDAM), "b")
    assert [cp.start_date_time for cp in periods] == [utc("2024-06-03T14:00:00"), utc("2024-06-03T15:00:00")]


def test_a_session_starting_on_the_end_time_is_past_it() -> None:
    t = tariff(time_price(2, end_time="17:00"), time_price(1))
    assert price(t, build(datetime(2024, 6, 3, 17, 0, tzinfo=AMSTERDAM), Charge(60, 5)), AMSTERDAM).total.excl == 1


def test_time_window_wrapping_past_midnight() -> None:
    t = tariff(time_price(2, start_time="22:00", end_time="06:00"), time_price(1))
    p = price(t, build(datetime(2024, 6, 3, 21, 0, tzinfo=AMSTERDAM), Charge(600, 40)), AMSTERDAM)
    assert p.total.excl == 8 * 2 + 2 * 1


def test_spring_forward_jump_switches_at_the_jump() -> None:
    # 2024-03-31 Amsterdam: 02:00 CET jumps to 03:00 CEST at 01:00 UTC. "From 02:30" holds
    # from the jump on: the wall clock never shows 02:30 that night.
    t = tariff(time_price(10, start_time="02:30", end_time="12:00"), time_price(1))
    p = price(t, build(utc("2024-03-31T00:00:00"), Charge(120, 10)), AMSTERDAM)
    assert p.total.excl == 1 * 1 + 1 * 10


def test_fall_back_repeated_hour_counts_twice() -> None:
    # 2024-10-27 Amsterdam: 03:00 CEST falls back to 02:00 CET at 01:00 UTC; 02:00-02:30 local
    # happens at 00:00-00:30 UTC and again at 01:00-01:30 UTC.
    t = tariff(time_price(10, start_time="02:00", end_time="02:30"), time_price(1))
    p = price(t, build(utc("2024-10-26T23:30:00"), Charge(150, 10)), AMSTERDAM)
    assert p.total.excl == Fraction(1) * 10 + Fraction(3, 2) * 1


def test_site_time_zone_governs() -> None:
    t = tariff(time_price(2, start_time="18:00", end_time="20:00"), time_price(1))
    session = build(utc("2024-06-03T16:00:00"), Charge(120, 10))  # 18:00-20:00 in Amsterdam
    assert price(t, session, AMSTERDAM).total.excl == 4
    assert price(t, session, ZoneInfo("UTC")).total.excl == 2
    assert price(t, session, ZoneInfo("America/New_York")).total.excl == 2


def test_end_date_is_exclusive_and_local() -> None:
    t = tariff(time_price(2, end_date="2024-06-04"), time_price(1))
    p = price(t, build(datetime(2024, 6, 3, 23, 0, tzinfo=AMSTERDAM), Charge(120, 10)), AMSTERDAM)
    assert p.total.excl == 3


def test_day_of_week_changes_at_local_midnight() -> None:
    t = tariff(time_price(2, day_of_week=["SUNDAY"]), time_price(1))
    # Saturday 23:00 -> Sunday 01:00 local (21:00-23:00 UTC on Saturday).
    p = price(t, build(utc("2024-06-01T21:00:00"), Charge(120, 10)), AMSTERDAM)
    assert p.total.excl == 3


def test_energy_threshold_is_interpolated_between_readings() -> None:
    # 0.10/kWh for the first 5 kWh, 0.30 after; one reading after 10 kWh over an hour: the switch
    # is at 30 minutes, and the charging period starts there.
    t = tariff(
        {"price_components": [{"type": "ENERGY", "price": 0.1, "step_size": 1}], "restrictions": {"max_kwh": 5}},
        {"price_components": [{"type": "ENERGY", "price": 0.3, "step_size": 1}]},
    )
    start = utc("2024-06-03T10:00:00")
    p = price(t, build(start, Charge(60, 10)), AMSTERDAM)
    assert p.total.excl == Fraction("0.5") + Fraction("1.5")
    assert [cp.start_date_time for cp in charging_periods(p, start, "b")] == [start, start + timedelta(minutes=30)]


def test_duration_threshold_and_parking_period() -> None:
    t = tariff(
        {
            "price_components": [{"type": "PARKING_TIME", "price": 0, "step_size": 1}],
            "restrictions": {"max_duration": 3600},
        },
        {"price_components": [{"type": "PARKING_TIME", "price": 6, "step_size": 60}]},
    )
    start = utc("2024-06-03T10:00:00")
    p = price(t, build(start, Charge(40, 10), Park(50)), AMSTERDAM)
    assert p.parking.excl == Fraction(30, 60) * 6  # parked 10:40-11:30, priced from 11:00
    kinds = [[d.type.value for d in cp.dimensions] for cp in charging_periods(p, start, "b")]
    assert kinds == [["ENERGY", "TIME", "MAX_POWER", "MIN_POWER"], ["PARKING_TIME"], ["PARKING_TIME"]]
