"""Sites and EVSE hardware: records, and their protobuf conversion with validation.

Complex parts of a site (opening times, business details, directions) are kept in their
OCPI JSON shape, checked by the OCPI models, so every consumer reads one vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, TypeAdapter, ValidationError

from chargeplane.domain.ocpi import location_models as ocpi_loc
from chargeplane.domain.ocpi import models as ocpi
from chargeplane.domain.ocpi.datetimes import format_datetime, parse_datetime
from chargeplane.domain.ocpi.enums import ConnectorFormat, ConnectorType, Facility, ParkingType, PowerType
from chargeplane.pb.registry.v1 import registry_pb2 as pb
from chargeplane.rpc.errors import InvalidArgument

SITE_ID = re.compile(r"^[A-Za-z0-9._~-]{1,36}$")
_LATITUDE = re.compile(r"^-?[0-9]{1,2}\.[0-9]{5,7}$")
_LONGITUDE = re.compile(r"^-?[0-9]{1,3}\.[0-9]{5,7}$")
_PRINTABLE_ASCII = re.compile(r"^[ -~]*$")
MAX_EVSES = 128
MAX_CONNECTORS = 16


@dataclass(slots=True)
class Grid:
    max_current: float | None = None
    max_power: float | None = None
    phases: int | None = None
    voltage: float | None = None


@dataclass(slots=True)
class SiteRecord:
    id: str
    address: str
    city: str
    country: str
    latitude: str
    longitude: str
    time_zone: str
    name: str | None = None
    postal_code: str | None = None
    state: str | None = None
    parking_type: str | None = None
    facilities: list[str] = field(default_factory=list)
    opening_times: dict[str, Any] | None = None
    charging_when_closed: bool | None = None
    operator: dict[str, Any] | None = None
    suboperator: dict[str, Any] | None = None
    owner: dict[str, Any] | None = None
    directions: list[dict[str, Any]] = field(default_factory=list)
    publish: bool = True
    roaming: bool = True
    grid: Grid = field(default_factory=Grid)
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(slots=True)
class ConnectorRecord:
    connector_id: int
    standard: str
    format: str
    power_type: str
    max_voltage: int
    max_amperage: int
    max_electric_power: int | None = None
    terms_and_conditions: str | None = None
    updated_at: datetime | None = None


@dataclass(slots=True)
class EvseRecord:
    evse_id: int
    connectors: list[ConnectorRecord]
    evse_code: str | None = None
    physical_reference: str | None = None
    floor_level: str | None = None
    updated_at: datetime | None = None


# -- validation ---------------------------------------------------------------------------


def site_id(value: str, field_name: str = "site_id") -> str:
    if not SITE_ID.match(value):
        raise InvalidArgument(f"{field_name} must be 1-36 characters of A-Z a-z 0-9 . _ ~ -")
    return value


def _text(value: str, field_name: str, max_length: int, *, required: bool = False) -> str | None:
    if not value:
        if required:
            raise InvalidArgument(f"{field_name} is required")
        return None
    if len(value) > max_length:
        raise InvalidArgument(f"{field_name} is longer than {max_length} characters")
    if not value.isprintable():
        raise InvalidArgument(f"{field_name} contains control characters")
    return value


def _model(adapter: TypeAdapter[Any], value: Any, field_name: str) -> Any:
    """Check an OCPI JSON part; the error names the field."""
    try:
        checked = adapter.validate_python(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidArgument(f"{field_name}{'.' + where if where else ''}: {first['msg']}") from None
    if isinstance(checked, BaseModel):
        return checked.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
    return [c.model_dump(mode="json", exclude_none=True) for c in checked]


_BUSINESS = TypeAdapter(ocpi.BusinessDetails)
_HOURS = TypeAdapter(ocpi_loc.Hours)
_DIRECTIONS = TypeAdapter(list[ocpi.DisplayText])


def _timestamp_text(ts: Timestamp) -> str:
    return format_datetime(ts.ToDatetime())


def _business(message: pb.BusinessDetails, field_name: str) -> dict[str, Any]:
    raw: dict[str, Any] = {"name": message.name}
    if message.website:
        raw["website"] = message.website
    if message.HasField("logo"):
        logo: dict[str, Any] = {"url": message.logo.url, "category": message.logo.category, "type": message.logo.type}
        if message.logo.thumbnail:
            logo["thumbnail"] = message.logo.thumbnail
        if message.logo.HasField("width"):
            logo["width"] = message.logo.width
        if message.logo.HasField("height"):
            logo["height"] = message.logo.height
        raw["logo"] = logo
    result: dict[str, Any] = _model(_BUSINESS, raw, field_name)
    return result


def _hours(message: pb.OpeningTimes) -> dict[str, Any]:
    raw = {
        "twentyfourseven": message.twentyfourseven,
        "regular_hours": [
            {"weekday": h.weekday, "period_begin": h.period_begin, "period_end": h.period_end}
            for h in message.regular_hours
        ],
        "exceptional_openings": [
            {"period_begin": _timestamp_text(p.period_begin), "period_end": _timestamp_text(p.period_end)}
            for p in message.exceptional_openings
        ],
        "exceptional_closings": [
            {"period_begin": _timestamp_text(p.period_begin), "period_end": _timestamp_text(p.period_end)}
            for p in message.exceptional_closings
        ],
    }
    hours: dict[str, Any] = _model(_HOURS, raw, "site.opening_times")
    if not hours["twentyfourseven"] and not hours["regular_hours"]:
        raise InvalidArgument("site.opening_times.regular_hours: required when twentyfourseven is false")
    for i, h in enumerate(hours["regular_hours"]):
        if h["period_end"] <= h["period_begin"]:
            raise InvalidArgument(f"site.opening_times.regular_hours.{i}: period_end must be later than period_begin")
    for kind in ("exceptional_openings", "exceptional_closings"):
        for i, p in enumerate(hours[kind]):
            if parse_datetime(p["period_end"]) <= parse_datetime(p["period_begin"]):
                raise InvalidArgument(f"site.opening_times.{kind}.{i}: period_end must be later than period_begin")
    return hours


def _time_zone(value: str) -> str:
    if not value:
        raise InvalidArgument("site.time_zone is required (an IANA name such as Europe/Amsterdam)")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(f"site.time_zone {value!r} is not an IANA time zone") from None
    return value


def _grid(message: pb.GridConnection) -> Grid:
    grid = Grid(
        max_current=message.max_current if message.HasField("max_current") else None,
        max_power=message.max_power if message.HasField("max_power") else None,
        phases=message.phases if message.HasField("phases") else None,
        voltage=message.voltage if message.HasField("voltage") else None,
    )
    for name in ("max_current", "max_power", "voltage"):
        value = getattr(grid, name)
        if value is not None and not value > 0:
            raise InvalidArgument(f"site.grid_connection.{name} must be positive")
    if grid.phases is not None and grid.phases not in (1, 2, 3):
        raise InvalidArgument("site.grid_connection.phases must be 1, 2 or 3")
    return grid


def _enum(value: str, allowed: type[Any], field_name: str) -> str:
    if value not in allowed.__members__.values():
        raise InvalidArgument(f"{field_name} {value!r} is not one of {', '.join(m.value for m in allowed)}")
    return value


def site_record(message: pb.Site) -> SiteRecord:
    latitude, longitude = message.coordinates.latitude, message.coordinates.longitude
    if not _LATITUDE.match(latitude) or not -90 <= float(latitude) <= 90:
        raise InvalidArgument("site.coordinates.latitude must be decimal degrees with 5-7 decimals, e.g. 52.37403")
    if not _LONGITUDE.match(longitude) or not -180 <= float(longitude) <= 180:
        raise InvalidArgument("site.coordinates.longitude must be decimal degrees with 5-7 decimals, e.g. 4.88969")
    country = message.country.upper()
    if not re.fullmatch(r"[A-Z]{3}", country):
        raise InvalidArgument("site.country must be an ISO 3166-1 alpha-3 code, e.g. NLD")
    facilities = [_enum(f, Facility, "site.facilities") for f in message.facilities]
    if len(set(facilities)) != len(facilities):
        raise InvalidArgument("site.facilities has duplicates")
    return SiteRecord(
        id=site_id(message.id, "site.id"),
        name=_text(message.name, "site.name", 255),
        address=_text(message.address, "site.address", 45, required=True) or "",
        city=_text(message.city, "site.city", 45, required=True) or "",
        postal_code=_text(message.postal_code, "site.postal_code", 10),
        state=_text(message.state, "site.state", 20),
        country=country,
        latitude=latitude,
        longitude=longitude,
        time_zone=_time_zone(message.time_zone),
        parking_type=_enum(message.parking_type, ParkingType, "site.parking_type") if message.parking_type else None,
        facilities=facilities,
        opening_times=_hours(message.opening_times) if message.HasField("opening_times") else None,
        charging_when_closed=message.charging_when_closed if message.HasField("charging_when_closed") else None,
        operator=_business(message.operator, "site.operator") if message.HasField("operator") else None,
        suboperator=_business(message.suboperator, "site.suboperator") if message.HasField("suboperator") else None,
        owner=_business(message.owner, "site.owner") if message.HasField("owner") else None,
        directions=_model(
            _DIRECTIONS, [{"language": d.language, "text": d.text} for d in message.directions], "site.directions"
        ),
        publish=message.publish,
        roaming=message.roaming,
        grid=_grid(message.grid_connection),
    )


def _evse_text(value: str, field_name: str, max_length: int) -> str | None:
    checked = _text(value, field_name, max_length)
    if checked is not None and not _PRINTABLE_ASCII.match(checked):
        raise InvalidArgument(f"{field_name} must be printable ASCII")
    return checked


def connector_record(message: pb.ConnectorSpec, field_name: str) -> ConnectorRecord:
    if message.connector_id <= 0:
        raise InvalidArgument(f"{field_name}.connector_id must be 1 or more")
    if message.max_voltage <= 0 or message.max_amperage <= 0:
        raise InvalidArgument(f"{field_name}: max_voltage and max_amperage must be positive")
    if message.HasField("max_electric_power") and message.max_electric_power <= 0:
        raise InvalidArgument(f"{field_name}.max_electric_power must be positive")
    terms = _text(message.terms_and_conditions, f"{field_name}.terms_and_conditions", 255)
    if terms is not None and not re.match(r"^https?://[!-~]+$", terms):
        raise InvalidArgument(f"{field_name}.terms_and_conditions must be an http(s) URL")
    return ConnectorRecord(
        connector_id=message.connector_id,
        standard=_enum(message.standard, ConnectorType, f"{field_name}.standard"),
        format=_enum(message.format, ConnectorFormat, f"{field_name}.format"),
        power_type=_enum(message.power_type, PowerType, f"{field_name}.power_type"),
        max_voltage=message.max_voltage,
        max_amperage=message.max_amperage,
        max_electric_power=message.max_electric_power if message.HasField("max_electric_power") else None,
        terms_and_conditions=terms,
    )


def evse_records(messages: list[pb.EvseSpec]) -> list[EvseRecord]:
    if len(messages) > MAX_EVSES:
        raise InvalidArgument(f"at most {MAX_EVSES} EVSEs per charge point")
    out: list[EvseRecord] = []
    for i, m in enumerate(messages):
        where = f"evses.{i}"
        if m.evse_id <= 0:
            raise InvalidArgument(f"{where}.evse_id must be 1 or more")
        if not m.connectors or len(m.connectors) > MAX_CONNECTORS:
            raise InvalidArgument(f"{where}.connectors: 1 to {MAX_CONNECTORS} connectors")
        connectors = [connector_record(c, f"{where}.connectors.{j}") for j, c in enumerate(m.connectors)]
        if len({c.connector_id for c in connectors}) != len(connectors):
            raise InvalidArgument(f"{where}.connectors: duplicate connector_id")
        out.append(
            EvseRecord(
                evse_id=m.evse_id,
                connectors=connectors,
                evse_code=_evse_text(m.evse_code, f"{where}.evse_code", 48),
                physical_reference=_text(m.physical_reference, f"{where}.physical_reference", 16),
                floor_level=_text(m.floor_level, f"{where}.floor_level", 4),
            )
        )
    if len({e.evse_id for e in out}) != len(out):
        raise InvalidArgument("evses: duplicate evse_id")
    return out


# -- records as messages ------------------------------------------------------------------


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def _business_message(value: dict[str, Any] | None) -> pb.BusinessDetails | None:
    if value is None:
        return None
    logo = value.get("logo")
    return pb.BusinessDetails(
        name=value["name"],
        website=value.get("website", ""),
        logo=pb.Image(
            url=logo["url"],
            thumbnail=logo.get("thumbnail", ""),
            category=logo["category"],
            type=logo["type"],
            width=logo.get("width"),
            height=logo.get("height"),
        )
        if logo
        else None,
    )


def _period(p: dict[str, Any]) -> pb.ExceptionalPeriod:
    return pb.ExceptionalPeriod(
        period_begin=_ts(parse_datetime(p["period_begin"])), period_end=_ts(parse_datetime(p["period_end"]))
    )


def _hours_message(value: dict[str, Any] | None) -> pb.OpeningTimes | None:
    if value is None:
        return None
    return pb.OpeningTimes(
        twentyfourseven=value["twentyfourseven"],
        regular_hours=[pb.RegularHours(**h) for h in value.get("regular_hours", [])],
        exceptional_openings=[_period(p) for p in value.get("exceptional_openings", [])],
        exceptional_closings=[_period(p) for p in value.get("exceptional_closings", [])],
    )


def site_message(s: SiteRecord) -> pb.Site:
    return pb.Site(
        id=s.id,
        name=s.name or "",
        address=s.address,
        city=s.city,
        postal_code=s.postal_code or "",
        state=s.state or "",
        country=s.country,
        coordinates=pb.GeoLocation(latitude=s.latitude, longitude=s.longitude),
        time_zone=s.time_zone,
        parking_type=s.parking_type or "",
        facilities=s.facilities,
        opening_times=_hours_message(s.opening_times),
        charging_when_closed=s.charging_when_closed,
        operator=_business_message(s.operator),
        suboperator=_business_message(s.suboperator),
        owner=_business_message(s.owner),
        directions=[pb.DisplayText(language=d["language"], text=d["text"]) for d in s.directions],
        publish=s.publish,
        roaming=s.roaming,
        grid_connection=pb.GridConnection(
            max_current=s.grid.max_current, max_power=s.grid.max_power, phases=s.grid.phases, voltage=s.grid.voltage
        ),
        created_at=_ts(s.created_at),
        updated_at=_ts(s.updated_at),
    )


def evse_message(e: EvseRecord) -> pb.EvseSpec:
    return pb.EvseSpec(
        evse_id=e.evse_id,
        evse_code=e.evse_code or "",
        physical_reference=e.physical_reference or "",
        floor_level=e.floor_level or "",
        updated_at=_ts(e.updated_at),
        connectors=[
            pb.ConnectorSpec(
                connector_id=c.connector_id,
                standard=c.standard,
                format=c.format,
                power_type=c.power_type,
                max_voltage=c.max_voltage,
                max_amperage=c.max_amperage,
                max_electric_power=c.max_electric_power,
                terms_and_conditions=c.terms_and_conditions or "",
                updated_at=_ts(c.updated_at),
            )
            for c in e.connectors
        ],
    )
