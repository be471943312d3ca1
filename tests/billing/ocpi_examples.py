"""The example tariffs of OCPI 2.2.1 mod_tariffs.asciidoc (the `examples/*.json` it includes),
as data. Fields that only later OCPI versions have (2.3's `tax_included`) are left out:
these are the 2.2.1 objects."""

from __future__ import annotations

from typing import Any


def _pc(type_: str, price: float, step: int, vat: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type_, "price": price, "step_size": step}
    if vat is not None:
        out["vat"] = vat
    return out


def _tariff(id_: str, elements: list[dict[str, Any]], updated: str, **extra: Any) -> dict[str, Any]:
    return {"country_code": "DE", "party_id": "ALL", "id": id_, "currency": "EUR", **extra,
            "elements": elements, "last_updated": updated}  # fmt: skip


# "Example: New Tariff 2 euro per hour charging time (not parking)" (tariff_put_example.json)
PUT_2_EURO_PER_HOUR = _tariff("12", [{"price_components": [_pc("TIME", 2.00, 300, 10.0)]}], "2018-12-17T11:16:55Z")
# Simple Tariff example 0.25 euro per kWh (tariff_8_simple_025kwh.json)
SIMPLE_025_KWH = _tariff("16", [{"price_components": [_pc("ENERGY", 0.25, 1, 10)]}], "2018-12-17T11:16:55Z")
# 0.25 euro per kWh + start fee (tariff_9_025kwh_start.json)
KWH_START = _tariff(
    "17", [{"price_components": [_pc("FLAT", 0.50, 1, 20), _pc("ENERGY", 0.25, 1, 10)]}], "2018-12-17T11:36:01Z"
)
# 0.25 euro per kWh + minimum price (tariff_12_025kwh_min_price.json)
KWH_MIN_PRICE = _tariff(
    "20",
    [{"price_components": [_pc("ENERGY", 0.25, 1, 10)]}],
    "2018-12-17T16:45:21Z",
    min_price={"excl_vat": 0.50, "incl_vat": 0.55},
)
# 0.25 euro per kWh + parking fee + start fee (tariff_10_025kwh_parking_start.json)
KWH_PARKING_START = _tariff(
    "18",
    [{"price_components": [_pc("FLAT", 0.50, 1, 20), _pc("ENERGY", 0.25, 1, 10), _pc("PARKING_TIME", 2.00, 900, 20)]}],
    "2018-12-17T11:44:10Z",
)
# 0.25 euro per kWh + start fee + max price + tariff end date (tariff_6_025kwh_start_max_price.json)
KWH_START_MAX_PRICE = _tariff(
    "16",
    [{"price_components": [_pc("FLAT", 0.50, 1, 20), _pc("ENERGY", 0.25, 1, 10)]}],
    "2018-12-17T17:15:01Z",
    max_price={"excl_vat": 10.00, "incl_vat": 11.00},
    end_date_time="2019-06-30T23:59:59Z",
)
# Simple Tariff example 2 euro per hour (tariff_1_simple_2hour.json)
SIMPLE_2_HOUR = _tariff("12", [{"price_components": [_pc("TIME", 2.00, 60, 10)]}], "2015-06-29T20:39:09Z")
# 3 euro per hour, 5 euro per hour parking (tariff_13_simple_3hour_5parking.json)
HOUR_3_PARKING_5 = _tariff(
    "21",
    [{"price_components": [_pc("TIME", 3.00, 60, 10), _pc("PARKING_TIME", 5.00, 300, 20)]}],
    "2018-12-17T17:00:43Z",
)
# Ad-Hoc simple Tariff example with multiple languages (tariff_2_alt_text.json)
ALT_TEXT = _tariff(
    "12",
    [{"price_components": [_pc("TIME", 1.90, 300, 5.2)]}],
    "2015-06-29T20:39:09Z",
    type="AD_HOC_PAYMENT",
    tariff_alt_text=[
        {"language": "en", "text": "2.00 euro p/hour including VAT."},
        {"language": "nl", "text": "2.00 euro p/uur inclusief BTW."},
    ],
)
# Ad-Hoc Tariff example not possible with OCPI (tariff_11_not_possible_alt_text.json)
NOT_POSSIBLE_ALT_TEXT = _tariff(
    "19",
    [{"price_components": [_pc("FLAT", 0.40, 1, 25.0), _pc("TIME", 1.90, 300, 5.2)]}],
    "2018-12-29T15:55:58Z",
    type="AD_HOC_PAYMENT",
    tariff_alt_text=[
        {"language": "en",
         "text": "2.00 euro p/hour, start tariff debit card: 0.25 euro, credit card: 0.50 euro including VAT."},
        {"language": "nl",
         "text": "2.00 euro p/uur, starttarief bankpas: 0,25 euro, creditkaart: 0,50 euro inclusief BTW."},
    ],
)  # fmt: skip
# Simple Tariff example with alternative URL (tariff_3_alt_url.json)
ALT_URL = _tariff(
    "13",
    [{"price_components": [_pc("FLAT", 0.50, 1, 20.0), _pc("ENERGY", 0.25, 100, 10.0)]}],
    "2015-06-29T20:39:09Z",
    type="PROFILE_CHEAP",
    tariff_alt_url="https://company.com/tariffs/13",
)
# Complex Tariff example (tariff_4_complex.json)
COMPLEX = _tariff(
    "14",
    [
        {"price_components": [_pc("FLAT", 2.50, 1, 15.0)]},
        {"price_components": [_pc("TIME", 1.00, 900, 20.0)], "restrictions": {"max_current": 32.00}},
        {
            "price_components": [_pc("TIME", 2.00, 600, 20.0)],
            "restrictions": {
                "min_current": 32.00,
                "day_of_week": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
            },
        },
        {
            "price_components": [_pc("TIME", 1.25, 600, 20.0)],
            "restrictions": {"min_current": 32.00, "day_of_week": ["SATURDAY", "SUNDAY"]},
        },
        {
            "price_components": [_pc("PARKING_TIME", 5.00, 300, 10.0)],
            "restrictions": {
                "start_time": "09:00",
                "end_time": "18:00",
                "day_of_week": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
            },
        },
        {
            "price_components": [_pc("PARKING_TIME", 6.00, 300, 10.0)],
            "restrictions": {"start_time": "10:00", "end_time": "17:00", "day_of_week": ["SATURDAY"]},
        },
    ],
    "2015-06-29T20:39:09Z",
    type="REGULAR",
    tariff_alt_url="https://company.com/tariffs/14",
)
# Free of Charge Tariff example (tariff_5_free_of_charge.json)
FREE_OF_CHARGE = _tariff("15", [{"price_components": [_pc("FLAT", 0.00, 0)]}], "2015-06-29T20:39:09Z")
# First hour free energy example (tariff_7_first_hour_kwh_free.json)
FIRST_HOUR_KWH_FREE = _tariff(
    "52",
    [
        {"price_components": [_pc("PARKING_TIME", 0.0, 60)], "restrictions": {"min_duration": 0, "max_duration": 3600}},
        {"price_components": [_pc("PARKING_TIME", 2.0, 60)],
         "restrictions": {"min_duration": 3600, "max_duration": 10800}},
        {"price_components": [_pc("PARKING_TIME", 3.0, 60)], "restrictions": {"min_duration": 10800}},
        {"price_components": [_pc("ENERGY", 0.0, 1)], "restrictions": {"max_kwh": 1.0}},
        {"price_components": [_pc("ENERGY", 0.2, 1)], "restrictions": {"min_kwh": 1.0}},
    ],
    "2018-12-17T16:45:21Z",
)  # fmt: skip
# Tariff example with reservation price (tariff_15_reservation_5_euro_per_hour.json)
RESERVATION_5_PER_HOUR = _tariff(
    "20",
    [
        {"price_components": [_pc("TIME", 5.00, 60, 20.0)], "restrictions": {"reservation": "RESERVATION"}},
        {"price_components": [_pc("FLAT", 0.50, 1, 20.0), _pc("ENERGY", 0.25, 1, 10.0)]},
    ],
    "2019-02-03T17:00:11Z",
)
# Tariff example with reservation price and fee (tariff_16_reservation_2_euro_fee_5_euro_per_hour.json)
RESERVATION_FEE = _tariff(
    "20",
    [
        {
            "price_components": [_pc("FLAT", 2.00, 1, 20.0), _pc("TIME", 5.00, 300, 20.0)],
            "restrictions": {"reservation": "RESERVATION"},
        },
        {"price_components": [_pc("FLAT", 0.50, 1, 20.0), _pc("ENERGY", 0.25, 1, 10.0)]},
    ],
    "2019-02-03T17:00:11Z",
)
# Tariff example with reservation price and expire fee (tariff_17_reservation_with_expire_fee.json)
RESERVATION_EXPIRE_FEE = _tariff(
    "20",
    [
        {"price_components": [_pc("FLAT", 4.00, 1, 20.0)], "restrictions": {"reservation": "RESERVATION_EXPIRES"}},
        {"price_components": [_pc("TIME", 2.00, 600, 20.0)], "restrictions": {"reservation": "RESERVATION"}},
        {"price_components": [_pc("FLAT", 0.50, 1, 20.0), _pc("ENERGY", 0.25, 1, 10.0)]},
    ],
    "2019-02-03T17:00:11Z",
)
# Tariff example with reservation time and expire time (tariff_18_reservation_with_expire_time.json)
RESERVATION_EXPIRE_TIME = _tariff(
    "20",
    [
        {"price_components": [_pc("TIME", 6.00, 600, 20.0)], "restrictions": {"reservation": "RESERVATION_EXPIRES"}},
        {"price_components": [_pc("TIME", 3.00, 600, 20.0)], "restrictions": {"reservation": "RESERVATION"}},
        {"price_components": [_pc("FLAT", 0.50, 1, 20.0), _pc("ENERGY", 0.25, 1, 10.0)]},
    ],
    "2019-02-03T17:00:11Z",
)
# Example Tariff explaining step_size when switching TariffElements (tariff_14_step_size.json)
STEP_SIZE = _tariff(
    "22",
    [
        {
            "price_components": [_pc("TIME", 1.20, 1800), _pc("PARKING_TIME", 1.00, 900)],
            "restrictions": {"start_time": "00:00", "end_time": "17:00"},
        },
        {
            "price_components": [_pc("TIME", 2.40, 900), _pc("PARKING_TIME", 1.00, 900)],
            "restrictions": {"start_time": "17:00", "end_time": "20:00"},
        },
        {"price_components": [_pc("TIME", 2.40, 900)], "restrictions": {"start_time": "20:00", "end_time": "23:59"}},
    ],
    "2018-12-18T17:07:11Z",
)
# Example: Tariff with max_power Tariff Restrictions (tariffrestriction_example_max_power.json)
MAX_POWER = _tariff(
    "1",
    [
        {"price_components": [_pc("ENERGY", 0.20, 1, 20.0)], "restrictions": {"max_power": 16.00}},
        {"price_components": [_pc("ENERGY", 0.35, 1, 20.0)], "restrictions": {"max_power": 32.00}},
        {"price_components": [_pc("ENERGY", 0.50, 1, 20.0)]},
    ],
    "2018-12-05T12:01:09Z",
    type="REGULAR",
)
# Example: Tariff with max_duration Tariff Restrictions (tariffrestriction_example_max_duration.json)
MAX_DURATION = _tariff(
    "2",
    [
        {"price_components": [_pc("ENERGY", 0.00, 1, 20.0)], "restrictions": {"max_duration": 1800}},
        {"price_components": [_pc("ENERGY", 0.25, 1, 20.0)], "restrictions": {"max_duration": 3600}},
        {"price_components": [_pc("ENERGY", 0.40, 1, 20.0)]},
    ],
    "2018-12-05T13:12:44Z",
    type="REGULAR",
)

ALL = {
    name: value
    for name, value in globals().items()
    if name.isupper() and isinstance(value, dict) and "elements" in value
}
