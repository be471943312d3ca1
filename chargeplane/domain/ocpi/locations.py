"""The Locations we publish, built from sites, charge points and their live connector states.

One OCPI Location per site (the spec's preferred grouping of charge points), one OCPI EVSE
per EVSE of a charge point (OCPP 1.6 connector N is EVSE N with connector 1: the "one
virtual EVSE per connector" the spec asks of 1.x chargers). Only EVSEs whose hardware is
described (connector standard, format, power type, limits, all required by OCPI) are
published; their status comes from the connector states the chargers report.

EVSE uids are generated once (never derived from hardware ids: the same charger moved to
another site is another EVSE). EVSEs are never deleted: one that disappears is REMOVED.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from .datetimes import format_datetime
from .enums import EvseStatus

# OCPP connector status (1.6 ChargePointStatus, 2.0.1 ConnectorStatusEnumType) -> OCPI.
# "In use" (a session is being prepared, runs or is suspended) is CHARGING; 1.6 Finishing
# (the session ended, the EV is still plugged in and occupies the spot) is BLOCKED, the
# status for "not accessible because of a physical barrier, i.e. a car".
_CONNECTOR_STATUS: dict[str, EvseStatus] = {
    "Available": EvseStatus.AVAILABLE,
    "Preparing": EvseStatus.CHARGING,
    "Charging": EvseStatus.CHARGING,
    "SuspendedEV": EvseStatus.CHARGING,
    "SuspendedEVSE": EvseStatus.CHARGING,
    "Occupied": EvseStatus.CHARGING,
    "Finishing": EvseStatus.BLOCKED,
    "Reserved": EvseStatus.RESERVED,
    "Unavailable": EvseStatus.INOPERATIVE,
    "Faulted": EvseStatus.OUTOFORDER,
}

# An EVSE charges one EV at a time: when one of its connectors is in use, the EVSE is in
# use; it can start a session when any connector is available.
_PRECEDENCE = (
    EvseStatus.CHARGING,
    EvseStatus.BLOCKED,
    EvseStatus.RESERVED,
    EvseStatus.AVAILABLE,
    EvseStatus.OUTOFORDER,
    EvseStatus.INOPERATIVE,
    EvseStatus.UNKNOWN,
)


def connector_status(raw: str | None) -> EvseStatus:
    return _CONNECTOR_STATUS.get(raw or "", EvseStatus.UNKNOWN)


def evse_status(connector_statuses: Iterable[str | None], station_status: str | None, connected: bool) -> EvseStatus:
    """The OCPI status of one EVSE from its connectors' OCPP statuses.

    Offline chargers are UNKNOWN ("no status information available, also used when
    offline"). A whole-station status (1.6 connector 0) of Unavailable or Faulted applies
    to every EVSE of the station.
    """
    if not connected:
        return EvseStatus.UNKNOWN
    station = connector_status(station_status) if station_status else None
    if station in (EvseStatus.INOPERATIVE, EvseStatus.OUTOFORDER):
        return station
    mapped = [connector_status(s) for s in connector_statuses] or [EvseStatus.UNKNOWN]
    return min(mapped, key=_PRECEDENCE.index)


@dataclass(frozen=True, slots=True)
class Party:
    """Our CPO identity: the owner of every Location we publish."""

    country_code: str
    party_id: str


@dataclass(frozen=True, slots=True)
class SiteView:
    """A site as the registry describes it; complex parts already in OCPI JSON shape."""

    id: str
    address: str
    city: str
    country: str
    latitude: str
    longitude: str
    time_zone: str
    publish: bool = True
    roaming: bool = True
    name: str | None = None
    postal_code: str | None = None
    state: str | None = None
    parking_type: str | None = None
    facilities: tuple[str, ...] = ()
    directions: tuple[dict[str, Any], ...] = ()
    opening_times: dict[str, Any] | None = None
    charging_when_closed: bool | None = None
    operator: dict[str, Any] | None = None
    suboperator: dict[str, Any] | None = None
    owner: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ConnectorHardware:
    connector_id: int
    standard: str
    format: str
    power_type: str
    max_voltage: int
    max_amperage: int
    max_electric_power: int | None = None
    terms_and_conditions: str | None = None


@dataclass(frozen=True, slots=True)
class EvseHardware:
    evse_id: int
    connectors: tuple[ConnectorHardware, ...]
    evse_code: str | None = None
    physical_reference: str | None = None
    floor_level: str | None = None


@dataclass(frozen=True, slots=True)
class ChargerView:
    """A charge point as the registry knows it: hardware, connection and connector states."""

    charge_point_id: str
    connected: bool
    # raw OCPP status per (evse_id, connector_id); (0, 0) is the whole station (1.6)
    statuses: Mapping[tuple[int, int], str]
    evses: tuple[EvseHardware, ...]


@dataclass(frozen=True, slots=True)
class ComputedEvse:
    """An EVSE as it should be published now (connectors without last_updated)."""

    charge_point_id: str
    evse_id: int
    status: EvseStatus
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredEvse:
    """An EVSE as published: its uid, and connectors carrying their last_updated."""

    uid: str
    charge_point_id: str
    evse_id: int
    status: str
    body: dict[str, Any]
    last_updated: datetime


def location_body(party: Party, site: SiteView) -> dict[str, Any]:
    """The Location object without `evses` and `last_updated`; absent fields omitted."""
    body: dict[str, Any] = {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "id": site.id,
        "publish": site.publish,
        "address": site.address,
        "city": site.city,
        "country": site.country,
        "coordinates": {"latitude": site.latitude, "longitude": site.longitude},
        "time_zone": site.time_zone,
    }
    optional: dict[str, Any] = {
        "name": site.name,
        "postal_code": site.postal_code,
        "state": site.state,
        "parking_type": site.parking_type,
        "facilities": list(site.facilities) or None,
        "directions": list(site.directions) or None,
        "opening_times": site.opening_times,
        "charging_when_closed": site.charging_when_closed,
        "operator": site.operator,
        "suboperator": site.suboperator,
        "owner": site.owner,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    return body


def _connector_body(c: ConnectorHardware) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(c.connector_id),
        "standard": c.standard,
        "format": c.format,
        "power_type": c.power_type,
        "max_voltage": c.max_voltage,
        "max_amperage": c.max_amperage,
        # Tariffs come from billing (phase 2); until then no tariff is referenced.
        "tariff_ids": [],
    }
    if c.max_electric_power is not None:
        body["max_electric_power"] = c.max_electric_power
    if c.terms_and_conditions:
        body["terms_and_conditions"] = c.terms_and_conditions
    return body


def computed_evses(charger: ChargerView) -> list[ComputedEvse]:
    """The EVSEs of one charge point as they should be published now."""
    station = charger.statuses.get((0, 0))
    out: list[ComputedEvse] = []
    for hw in sorted(charger.evses, key=lambda e: e.evse_id):
        if not hw.connectors:
            continue
        statuses = [s for (evse, _), s in charger.statuses.items() if evse == hw.evse_id]
        body: dict[str, Any] = {
            # Capabilities follow the commands the CPO side serves (phase 2).
            "capabilities": [],
            "connectors": [_connector_body(c) for c in sorted(hw.connectors, key=lambda c: c.connector_id)],
        }
        if hw.evse_code:
            body["evse_id"] = hw.evse_code
        if hw.physical_reference:
            body["physical_reference"] = hw.physical_reference
        if hw.floor_level:
            body["floor_level"] = hw.floor_level
        status = evse_status(statuses, station, charger.connected)
        out.append(ComputedEvse(charger.charge_point_id, hw.evse_id, status, body))
    return out


# -- changes between what is published and what should be -------------------------------

ChangeKind = Literal["added", "status", "changed", "removed"]


@dataclass(frozen=True, slots=True)
class EvseChange:
    kind: ChangeKind
    evse: StoredEvse  # the new published state


def _without_stamps(body: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(body)
    out["connectors"] = [{k: v for k, v in c.items() if k != "last_updated"} for c in body.get("connectors", [])]
    return out


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _stamped_connectors(
    computed: Sequence[Mapping[str, Any]], stored: Sequence[Mapping[str, Any]], now: str
) -> list[dict[str, Any]]:
    """Connectors keep their last_updated unless their content changed."""
    previous = {c.get("id"): c for c in stored}
    out: list[dict[str, Any]] = []
    for c in computed:
        old = previous.get(c["id"])
        same = old is not None and _canonical({k: v for k, v in old.items() if k != "last_updated"}) == _canonical(c)
        out.append({**c, "last_updated": old["last_updated"] if same and old is not None else now})
    return out


def plan_evses(
    stored: Sequence[StoredEvse],
    computed: Sequence[ComputedEvse],
    now: datetime,
    new_uid: Callable[[], str],
) -> list[EvseChange]:
    """What changed for a set of EVSEs (one charge point, or a whole location)."""
    stamp = format_datetime(now)
    by_key = {(e.charge_point_id, e.evse_id): e for e in stored}
    changes: list[EvseChange] = []
    for c in computed:
        old = by_key.pop((c.charge_point_id, c.evse_id), None)
        if old is None:
            body = {**c.body, "connectors": _stamped_connectors(c.body["connectors"], [], stamp)}
            evse = StoredEvse(new_uid(), c.charge_point_id, c.evse_id, c.status.value, body, now)
            changes.append(EvseChange("added", evse))
            continue
        if _canonical(_without_stamps(old.body)) != _canonical(c.body):
            body = {**c.body, "connectors": _stamped_connectors(c.body["connectors"], old.body["connectors"], stamp)}
            changes.append(EvseChange("changed", replace(old, status=c.status.value, body=body, last_updated=now)))
        elif old.status == EvseStatus.REMOVED and c.status != EvseStatus.REMOVED:
            # Back after removal: the whole EVSE again, receivers may have dropped it.
            changes.append(EvseChange("changed", replace(old, status=c.status.value, last_updated=now)))
        elif old.status != c.status:
            changes.append(EvseChange("status", replace(old, status=c.status.value, last_updated=now)))
    for gone in by_key.values():
        if gone.status != EvseStatus.REMOVED:
            changes.append(EvseChange("removed", replace(gone, status=EvseStatus.REMOVED.value, last_updated=now)))
    return changes


def location_changed(stored_body: Mapping[str, Any] | None, body: Mapping[str, Any]) -> bool:
    return stored_body is None or _canonical(stored_body) != _canonical(body)


def evse_object(e: StoredEvse) -> dict[str, Any]:
    """The full OCPI EVSE object."""
    return {"uid": e.uid, **e.body, "status": e.status, "last_updated": format_datetime(e.last_updated)}


def location_object(body: Mapping[str, Any], evses: Iterable[StoredEvse], last_updated: datetime) -> dict[str, Any]:
    """The full OCPI Location object."""
    return {
        **body,
        "evses": [evse_object(e) for e in evses],
        "last_updated": format_datetime(last_updated),
    }


# -- pushes to the partners' Locations receivers ---------------------------------------


@dataclass(frozen=True, slots=True)
class Push:
    method: Literal["PUT", "PATCH"]
    path: str  # appended to the receiver's endpoint URL
    body: dict[str, Any]
    # what an undelivered older push with the same key carries is included in this one
    supersede_key: str
    # PUT of a location replaces everything queued for it; a PATCH replaces only PATCHes
    replaces: Literal["location", "evse", "evse_patch"]


def location_path(party: Party, location_id: str, evse_uid: str | None = None) -> str:
    path = f"/{party.country_code}/{party.party_id}/{location_id}"
    return f"{path}/{evse_uid}" if evse_uid else path


def ordering_key(location_id: str) -> str:
    """Pushes about one location are delivered in order (an EVSE after its location)."""
    return f"location:{location_id}"


def plan_pushes(
    party: Party,
    location_id: str,
    full_location: Mapping[str, Any] | None,
    changes: Sequence[EvseChange],
) -> list[Push]:
    """`full_location` set: the location itself is new or changed (one PUT carries all);
    otherwise one push per changed EVSE: PUT when it is new or more than its status
    changed, PATCH {status, last_updated} for status changes (the common case)."""
    if full_location is not None:
        path = location_path(party, location_id)
        return [Push("PUT", path, dict(full_location), ordering_key(location_id), "location")]
    pushes: list[Push] = []
    for change in changes:
        e = change.evse
        path = location_path(party, location_id, e.uid)
        key = f"evse:{e.uid}"
        if change.kind in ("added", "changed"):
            pushes.append(Push("PUT", path, evse_object(e), key, "evse"))
        else:
            patch = {"status": e.status, "last_updated": format_datetime(e.last_updated)}
            pushes.append(Push("PATCH", path, patch, key, "evse_patch"))
    return pushes


@dataclass(slots=True)
class LocationState:
    """A location as published: its body, EVSEs and last_updated."""

    body: dict[str, Any]
    last_updated: datetime
    evses: list[StoredEvse] = field(default_factory=list)
