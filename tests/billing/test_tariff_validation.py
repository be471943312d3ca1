"""Invalid tariffs are rejected with the path of every bad field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chargeplane.domain.billing.errors import TariffInvalid
from chargeplane.domain.billing.tariff import parse_tariff

from . import ocpi_examples as ex


def problems(raw: Any) -> dict[str, str]:
    with pytest.raises(TariffInvalid) as info:
        parse_tariff(raw)
    return {p.path: p.message for p in info.value.problems}


def edit(path: list[Any], value: Any, base: dict[str, Any] = ex.COMPLEX) -> dict[str, Any]:
    out = copy.deepcopy(base)
    node = out
    for key in path[:-1]:
        node = node[key]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (["elements", 1, "price_components", 0, "step_size"], -1, "elements[1].price_components[0].step_size"),
        (["elements", 1, "price_components", 0, "price"], -0.5, "elements[1].price_components[0].price"),
        (["elements", 1, "price_components", 0, "vat"], 120, "elements[1].price_components[0].vat"),
        (["elements", 1, "price_components", 0, "type"], "KWH", "elements[1].price_components[0].type"),
        (["elements", 4, "restrictions", "start_time"], "9:00", "elements[4].restrictions.start_time"),
        (
            ["elements", 4, "restrictions", "day_of_week"],
            ["MONDAY", "FUNDAY"],
            "elements[4].restrictions.day_of_week[1]",
        ),
        (["elements", 2, "restrictions", "max_current"], 16, "elements[2].restrictions"),
        (["elements", 0, "price_components"], [], "elements[0].price_components"),
        (["elements"], [], "elements"),
        (["currency"], "euro", "currency"),
        (["country_code"], "DEU", "country_code"),
        (["last_updated"], "yesterday", "last_updated"),
        (["last_updated"], ..., "last_updated"),
        (["elements", 0, "tariff_restrictions"], {"max_kwh": 1}, "elements[0].tariff_restrictions"),
        (["tax_included"], "NO", "tax_included"),
    ],
)
def test_bad_field_is_named(path: list[Any], value: Any, where: str) -> None:
    found = problems(edit(path, value))
    assert where in found, found


def test_reservation_elements_price_only_flat_and_time() -> None:
    bad = edit(["elements", 0, "restrictions"], {"reservation": "RESERVATION"}, ex.KWH_PARKING_START)
    found = problems(bad)
    assert "ENERGY" in found["elements[0]"]


def test_every_problem_is_reported_at_once() -> None:
    bad = edit(["currency"], "x", edit(["elements", 1, "price_components", 0, "step_size"], -3))
    assert {"currency", "elements[1].price_components[0].step_size"} <= set(problems(bad))


def test_min_price_above_max_price() -> None:
    bad = {**ex.KWH_START_MAX_PRICE, "min_price": {"excl_vat": 20, "incl_vat": 22}}
    assert "min_price" in problems(bad)["(tariff)"]


def test_not_an_object() -> None:
    assert problems([1, 2]) == {"(tariff)": "a Tariff must be a JSON object"}
