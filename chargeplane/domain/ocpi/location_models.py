"""OCPI 2.2.1 Locations module objects: Location, EVSE, Connector and their parts.

These document (OpenAPI) and check what the Locations sender interface returns; the
projection (`locations.py`) builds the same shapes as plain JSON.
"""

from __future__ import annotations

from pydantic import Field

from .enums import (
    Capability,
    ConnectorFormat,
    ConnectorType,
    EvseStatus,
    Facility,
    ParkingRestriction,
    ParkingType,
    PowerType,
    TokenType,
)
from .models import BusinessDetails, DisplayText, Image, OcpiModel
from .types import (
    CiString36,
    CiString48,
    CountryCode,
    HourMinute,
    Latitude,
    Longitude,
    OcpiDateTime,
    PartyId,
    String4,
    String10,
    String16,
    String20,
    String45,
    String64,
    String255,
    Url,
)


class GeoLocation(OcpiModel):
    latitude: Latitude
    longitude: Longitude


class AdditionalGeoLocation(GeoLocation):
    name: DisplayText | None = None


class RegularHours(OcpiModel):
    weekday: int = Field(ge=1, le=7)
    period_begin: HourMinute
    period_end: HourMinute


class ExceptionalPeriod(OcpiModel):
    period_begin: OcpiDateTime
    period_end: OcpiDateTime


class Hours(OcpiModel):
    twentyfourseven: bool
    regular_hours: list[RegularHours] = Field(default_factory=list)
    exceptional_openings: list[ExceptionalPeriod] = Field(default_factory=list)
    exceptional_closings: list[ExceptionalPeriod] = Field(default_factory=list)


class PublishTokenType(OcpiModel):
    uid: CiString36 | None = None
    type: TokenType | None = None
    visual_number: String64 | None = None
    issuer: String64 | None = None
    group_id: CiString36 | None = None


class StatusSchedule(OcpiModel):
    period_begin: OcpiDateTime
    period_end: OcpiDateTime | None = None
    status: EvseStatus


class Connector(OcpiModel):
    id: CiString36
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: int = Field(ge=0)
    max_amperage: int = Field(ge=0)
    max_electric_power: int | None = Field(default=None, ge=0)
    tariff_ids: list[CiString36] = Field(default_factory=list)
    terms_and_conditions: Url | None = None
    last_updated: OcpiDateTime


class Evse(OcpiModel):
    uid: CiString36
    evse_id: CiString48 | None = None
    status: EvseStatus
    status_schedule: list[StatusSchedule] = Field(default_factory=list)
    capabilities: list[Capability] = Field(default_factory=list)
    connectors: list[Connector] = Field(min_length=1)
    floor_level: String4 | None = None
    coordinates: GeoLocation | None = None
    physical_reference: String16 | None = None
    directions: list[DisplayText] = Field(default_factory=list)
    parking_restrictions: list[ParkingRestriction] = Field(default_factory=list)
    images: list[Image] = Field(default_factory=list)
    last_updated: OcpiDateTime


class Location(OcpiModel):
    country_code: CountryCode
    party_id: PartyId
    id: CiString36
    publish: bool
    publish_allowed_to: list[PublishTokenType] = Field(default_factory=list)
    name: String255 | None = None
    address: String45
    city: String45
    postal_code: String10 | None = None
    state: String20 | None = None
    country: str = Field(pattern=r"^[A-Z]{3}$")
    coordinates: GeoLocation
    related_locations: list[AdditionalGeoLocation] = Field(default_factory=list)
    parking_type: ParkingType | None = None
    evses: list[Evse] = Field(default_factory=list)
    directions: list[DisplayText] = Field(default_factory=list)
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[Facility] = Field(default_factory=list)
    time_zone: String255
    opening_times: Hours | None = None
    charging_when_closed: bool | None = None
    images: list[Image] = Field(default_factory=list)
    last_updated: OcpiDateTime
