"""OCPI 2.2.1 base types (types.asciidoc) shared by the Tariff and CDR objects.

The models are the canonical billing format: what the REST API takes and returns and what
an OCPI peer receives, field for field. Two rules shape them:
- unknown fields are an error, not silently dropped: a misspelt `restrictions` on a tariff
  would otherwise price every session without them;
- numbers are exact `Decimal`s (JSON numbers are read as their decimal text, never through a
  binary float) and are written back as JSON numbers.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)


def _number_json(value: Decimal) -> float | int:
    # A JSON number: integral values stay integers, others the shortest float that prints
    # the same digits (every value we publish has at most a few decimals).
    return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)


# OCPI `number`. Exact in memory, a JSON number on the wire.
Number = Annotated[Decimal, PlainSerializer(_number_json, return_type=Any, when_used="json")]
NonNegativeNumber = Annotated[Number, Field(ge=0)]

_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]*$")


def _printable(value: str) -> str:
    if not _PRINTABLE_ASCII.match(value):
        raise ValueError("only printable ASCII is allowed")
    return value


Printable = AfterValidator(_printable)
# OCPI CiString(n) (case-insensitive) and string(n): printable ASCII, at most n characters.
CiString36 = Annotated[str, Field(min_length=1, max_length=36), Printable]
CiString39 = Annotated[str, Field(min_length=1, max_length=39), Printable]
CiString48 = Annotated[str, Field(min_length=1, max_length=48), Printable]
CiString255 = Annotated[str, Field(max_length=255), Printable]
String3 = Annotated[str, Field(max_length=3), Printable]
String10 = Annotated[str, Field(max_length=10), Printable]
String45 = Annotated[str, Field(max_length=45), Printable]
String64 = Annotated[str, Field(max_length=64), Printable]
String255 = Annotated[str, Field(max_length=255), Printable]
String512 = Annotated[str, Field(max_length=512)]

CountryCode = Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")]
PartyId = Annotated[str, Field(pattern=r"^[A-Za-z0-9]{3}$")]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
Url = Annotated[str, Field(max_length=255, pattern=r"^https?://\S+$")]
DateTime = AwareDatetime


class OcpiModel(BaseModel):
    """Strict about unknown fields; `None` fields are left out of the JSON (OCPI: optional
    fields are omitted, not null)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def ocpi(self) -> dict[str, Any]:
        """The OCPI JSON object (numbers as JSON numbers, optional fields omitted)."""
        return self.model_dump(mode="json", exclude_none=True)


class DisplayText(OcpiModel):
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$", description="ISO 639-1")]
    text: String512


class Price(OcpiModel):
    excl_vat: Number
    incl_vat: Number | None = None


class EnergySourceCategory(StrEnum):
    NUCLEAR = "NUCLEAR"
    GENERAL_FOSSIL = "GENERAL_FOSSIL"
    COAL = "COAL"
    GAS = "GAS"
    GENERAL_GREEN = "GENERAL_GREEN"
    SOLAR = "SOLAR"
    WIND = "WIND"
    WATER = "WATER"


class EnvironmentalImpactCategory(StrEnum):
    NUCLEAR_WASTE = "NUCLEAR_WASTE"
    CARBON_DIOXIDE = "CARBON_DIOXIDE"


class EnergySource(OcpiModel):
    source: EnergySourceCategory
    percentage: Annotated[Number, Field(ge=0, le=100)]


class EnvironmentalImpact(OcpiModel):
    category: EnvironmentalImpactCategory
    amount: NonNegativeNumber


class EnergyMix(OcpiModel):
    is_green_energy: bool
    energy_sources: list[EnergySource] = []
    environ_impact: list[EnvironmentalImpact] = []
    supplier_name: String64 | None = None
    energy_product_name: String64 | None = None

    @model_validator(mode="after")
    def _shares(self) -> EnergyMix:
        if sum((s.percentage for s in self.energy_sources), Decimal(0)) > 100:
            raise ValueError("energy_sources percentages add up to more than 100")
        return self
