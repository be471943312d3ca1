"""The OCPI 2.2.1 Tariff object (mod_tariffs.asciidoc), the canonical tariff format.

Field names, types and cardinalities follow the specification. Checks beyond the spec's
types are the ones without which a tariff cannot be priced unambiguously; each one names
the field it is about, so an API can answer with the path of the bad field:
- prices are not negative (a negative price would make cost fall as a session goes on);
- `vat` is a percentage in [0, 100];
- every min/max pair of a restriction is ordered (min < max), and so are min/max price and
  start/end date-time;
- a reservation element prices only FLAT and TIME ("A reservation can only have: FLAT and
  TIME TariffDimensions").
"""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, ValidationError, model_validator

from .errors import FieldProblem, TariffInvalid
from .ocpi_types import (
    CiString36,
    CountryCode,
    CurrencyCode,
    DateTime,
    DisplayText,
    EnergyMix,
    NonNegativeNumber,
    OcpiModel,
    PartyId,
    Price,
    Url,
)


class TariffType(StrEnum):
    AD_HOC_PAYMENT = "AD_HOC_PAYMENT"
    PROFILE_CHEAP = "PROFILE_CHEAP"
    PROFILE_FAST = "PROFILE_FAST"
    PROFILE_GREEN = "PROFILE_GREEN"
    REGULAR = "REGULAR"


class TariffDimensionType(StrEnum):
    ENERGY = "ENERGY"  # kWh; step_size multiplier 1 Wh
    FLAT = "FLAT"  # a fee without unit
    PARKING_TIME = "PARKING_TIME"  # time not charging; hours; step_size multiplier 1 s
    TIME = "TIME"  # time charging (or reserved); hours; step_size multiplier 1 s


class DayOfWeek(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


WEEKDAYS = list(DayOfWeek)  # index = date.weekday()


class ReservationRestrictionType(StrEnum):
    RESERVATION = "RESERVATION"
    RESERVATION_EXPIRES = "RESERVATION_EXPIRES"


_TIME = r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$"
_DATE = r"^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
TimeOfDay = Annotated[str, Field(pattern=_TIME, description="HH:MM, local time of the location")]
LocalDate = Annotated[str, Field(pattern=_DATE, description="YYYY-MM-DD, local date of the location")]


class PriceComponent(OcpiModel):
    type: TariffDimensionType
    price: NonNegativeNumber  # per unit, excl. VAT
    vat: Annotated[NonNegativeNumber, Field(le=100)] | None = None  # percent; absent: no VAT known
    step_size: Annotated[int, Field(ge=0)]  # Wh (ENERGY) or s (TIME, PARKING_TIME); unused for FLAT


class TariffRestrictions(OcpiModel):
    start_time: TimeOfDay | None = None
    end_time: TimeOfDay | None = None
    start_date: LocalDate | None = None
    end_date: LocalDate | None = None
    min_kwh: NonNegativeNumber | None = None
    max_kwh: NonNegativeNumber | None = None
    min_current: NonNegativeNumber | None = None
    max_current: NonNegativeNumber | None = None
    min_power: NonNegativeNumber | None = None
    max_power: NonNegativeNumber | None = None
    min_duration: Annotated[int, Field(ge=0)] | None = None
    max_duration: Annotated[int, Field(ge=0)] | None = None
    day_of_week: list[DayOfWeek] = []
    reservation: ReservationRestrictionType | None = None

    @model_validator(mode="after")
    def _ordered(self) -> TariffRestrictions:
        for low, high in (
            ("min_kwh", "max_kwh"),
            ("min_current", "max_current"),
            ("min_power", "max_power"),
            ("min_duration", "max_duration"),
        ):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo >= hi:
                raise ValueError(f"{low} must be below {high}")
        for field in ("start_date", "end_date"):
            value = getattr(self, field)
            if value is not None:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    raise ValueError(f"{field} {value!r} is not a calendar date") from None
        if self.start_date and self.end_date and self.start_date >= self.end_date:
            raise ValueError("start_date must be before end_date (end_date is exclusive)")
        if len(set(self.day_of_week)) != len(self.day_of_week):
            raise ValueError("day_of_week lists a day twice")
        return self

    def is_empty(self) -> bool:
        return not any(v not in (None, []) for v in self.model_dump().values())


class TariffElement(OcpiModel):
    price_components: Annotated[list[PriceComponent], Field(min_length=1)]
    restrictions: TariffRestrictions | None = None

    @model_validator(mode="after")
    def _reservation_dimensions(self) -> TariffElement:
        if self.restrictions is not None and self.restrictions.reservation is not None:
            for c in self.price_components:
                if c.type not in (TariffDimensionType.FLAT, TariffDimensionType.TIME):
                    raise ValueError(f"a reservation element can only price FLAT and TIME, not {c.type.value}")
        return self

    @property
    def reservation(self) -> ReservationRestrictionType | None:
        return self.restrictions.reservation if self.restrictions is not None else None


class Tariff(OcpiModel):
    country_code: CountryCode
    party_id: PartyId
    id: CiString36
    currency: CurrencyCode
    type: TariffType | None = None
    tariff_alt_text: list[DisplayText] = []
    tariff_alt_url: Url | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    elements: Annotated[list[TariffElement], Field(min_length=1)]
    start_date_time: DateTime | None = None
    end_date_time: DateTime | None = None
    energy_mix: EnergyMix | None = None
    last_updated: DateTime

    @model_validator(mode="after")
    def _ordered(self) -> Tariff:
        if self.min_price is not None and self.max_price is not None:
            if self.min_price.excl_vat > self.max_price.excl_vat:
                raise ValueError("min_price.excl_vat must not exceed max_price.excl_vat")
            lo, hi = self.min_price.incl_vat, self.max_price.incl_vat
            if lo is not None and hi is not None and lo > hi:
                raise ValueError("min_price.incl_vat must not exceed max_price.incl_vat")
        for name in ("min_price", "max_price"):
            limit = getattr(self, name)
            if limit is not None and (limit.excl_vat < 0 or (limit.incl_vat is not None and limit.incl_vat < 0)):
                raise ValueError(f"{name} must not be negative")
        if self.start_date_time and self.end_date_time and self.start_date_time >= self.end_date_time:
            raise ValueError("start_date_time must be before end_date_time")
        return self

    def in_force_at(self, moment: Any) -> bool:
        """OCPI validity window [start_date_time, end_date_time) of this tariff."""
        if self.start_date_time is not None and moment < self.start_date_time:
            return False
        return not (self.end_date_time is not None and moment >= self.end_date_time)


def parse_time_of_day(value: str) -> time:
    return time(int(value[:2]), int(value[3:5]))


_INDEX = re.compile(r"^\d+$")


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int) or _INDEX.match(str(part)):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(tariff)"


def problems_of(exc: ValidationError) -> list[FieldProblem]:
    """pydantic's errors as (path, message), e.g. `elements[0].price_components[1].step_size`."""
    out = []
    for err in exc.errors(include_url=False):
        # Model validators report at their model's location; drop pydantic's internal
        # type tags (e.g. "function-after[...]") from the path.
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        message = err["msg"].removeprefix("Value error, ")
        out.append(FieldProblem(_path(loc), message))
    return out


def parse_tariff(raw: Any) -> Tariff:
    """Validate an OCPI Tariff (a dict from JSON) or raise TariffInvalid with every problem."""
    if not isinstance(raw, dict):
        raise TariffInvalid([FieldProblem("(tariff)", "a Tariff must be a JSON object")])
    try:
        return Tariff.model_validate(raw)
    except ValidationError as exc:
        raise TariffInvalid(problems_of(exc)) from None


def prices_of(tariff: Tariff) -> set[Decimal]:
    return {c.price for e in tariff.elements for c in e.price_components}
