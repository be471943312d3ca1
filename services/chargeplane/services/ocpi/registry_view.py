"""Registry messages (sites, charge points, EVSE hardware) as the OCPI projection's inputs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chargeplane.domain.ocpi.datetimes import format_datetime
from chargeplane.domain.ocpi.locations import ChargerView, ConnectorHardware, EvseHardware, SiteView
from chargeplane.pb.registry.v1 import registry_pb2 as pb


def _business(b: pb.BusinessDetails) -> dict[str, Any]:
    out: dict[str, Any] = {"name": b.name}
    if b.website:
        out["website"] = b.website
    if b.HasField("logo"):
        logo: dict[str, Any] = {"url": b.logo.url, "category": b.logo.category, "type": b.logo.type}
        if b.logo.thumbnail:
            logo["thumbnail"] = b.logo.thumbnail
        if b.logo.HasField("width"):
            logo["width"] = b.logo.width
        if b.logo.HasField("height"):
            logo["height"] = b.logo.height
        out["logo"] = logo
    return out


def _periods(periods: Iterable[pb.ExceptionalPeriod]) -> list[dict[str, str]]:
    return [
        {
            "period_begin": format_datetime(p.period_begin.ToDatetime()),
            "period_end": format_datetime(p.period_end.ToDatetime()),
        }
        for p in periods
    ]


def _hours(h: pb.OpeningTimes) -> dict[str, Any]:
    out: dict[str, Any] = {"twentyfourseven": h.twentyfourseven}
    if h.regular_hours:
        out["regular_hours"] = [
            {"weekday": r.weekday, "period_begin": r.period_begin, "period_end": r.period_end} for r in h.regular_hours
        ]
    if h.exceptional_openings:
        out["exceptional_openings"] = _periods(h.exceptional_openings)
    if h.exceptional_closings:
        out["exceptional_closings"] = _periods(h.exceptional_closings)
    return out


def site_view(s: pb.Site) -> SiteView:
    return SiteView(
        id=s.id,
        name=s.name or None,
        address=s.address,
        city=s.city,
        postal_code=s.postal_code or None,
        state=s.state or None,
        country=s.country,
        latitude=s.coordinates.latitude,
        longitude=s.coordinates.longitude,
        time_zone=s.time_zone,
        publish=s.publish,
        roaming=s.roaming,
        parking_type=s.parking_type or None,
        facilities=tuple(s.facilities),
        directions=tuple({"language": d.language, "text": d.text} for d in s.directions),
        opening_times=_hours(s.opening_times) if s.HasField("opening_times") else None,
        charging_when_closed=s.charging_when_closed if s.HasField("charging_when_closed") else None,
        operator=_business(s.operator) if s.HasField("operator") else None,
        suboperator=_business(s.suboperator) if s.HasField("suboperator") else None,
        owner=_business(s.owner) if s.HasField("owner") else None,
    )


def evse_hardware(spec: pb.EvseSpec) -> EvseHardware:
    return EvseHardware(
        evse_id=spec.evse_id,
        evse_code=spec.evse_code or None,
        physical_reference=spec.physical_reference or None,
        floor_level=spec.floor_level or None,
        connectors=tuple(
            ConnectorHardware(
                connector_id=c.connector_id,
                standard=c.standard,
                format=c.format,
                power_type=c.power_type,
                max_voltage=c.max_voltage,
                max_amperage=c.max_amperage,
                max_electric_power=c.max_electric_power if c.HasField("max_electric_power") else None,
                terms_and_conditions=c.terms_and_conditions or None,
            )
            for c in spec.connectors
        ),
    )


def charger_view(cp: pb.ChargePoint, specs: Iterable[pb.EvseSpec]) -> ChargerView:
    return ChargerView(
        charge_point_id=cp.id,
        connected=cp.HasField("connection"),
        statuses={(c.evse_id, c.connector_id): c.status for c in cp.connectors},
        evses=tuple(evse_hardware(s) for s in specs),
    )
