"""OCPP 2.0.1 data types as the other modules of this package read and write them: EVSE
addresses, IdTokenType / IdTokenInfoType, component variables, sampled values."""

from __future__ import annotations

from typing import Any

import orjson

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.commands import UnsupportedCommand
from chargeplane.domain.device import UnknownKey, VariableRef, ref_for_201
from chargeplane.domain.meter import ENERGY_REGISTER, MeterValueError, Sample, sample_v201
from chargeplane.gateway.errors import ErrorKind, OcppError
from chargeplane.gateway.ports import Authorization
from chargeplane.gateway.translation import cannot as _cannot
from chargeplane.gateway.wire import drop_none, parse_time, to_iso

CENTRAL = "Central"


def cannot(what: str) -> UnsupportedCommand:
    return _cannot(Protocol.OCPP201, what)


def evse(evse_id: int | None, connector_id: int | None) -> dict[str, Any] | None:
    """An EVSEType, or None for the station as a whole (no EVSE, or EVSE 0)."""
    if evse_id is None or (evse_id == 0 and connector_id in (None, 0)):
        return None
    return drop_none({"id": evse_id, "connectorId": connector_id})


def id_token(value: str, kind: str = CENTRAL) -> dict[str, Any]:
    return {"idToken": value, "type": kind}


def variable_ref(key: str) -> VariableRef:
    try:
        return ref_for_201(key)
    except UnknownKey as exc:
        raise UnsupportedCommand(str(exc)) from None


def id_token_info(auth: Authorization) -> dict[str, Any]:
    d = auth.decision
    info: dict[str, Any] = {"status": d.status.value}
    if auth.cache_expiry is not None:
        info["cacheExpiryDateTime"] = to_iso(auth.cache_expiry)
    if d.group_id:
        info["groupIdToken"] = id_token(d.group_id)
    return info


def samples(meter_values: list[dict[str, Any]]) -> list[Sample]:
    """Every sampled value of a 2.0.1 meterValue list; a malformed value is a CALLERROR."""
    out: list[Sample] = []
    try:
        for mv in meter_values:
            ts = parse_time(mv["timestamp"])
            for sv in mv["sampledValue"]:
                signed = sv.get("signedMeterValue")
                out.append(sample_v201(ts, sv, orjson.dumps(signed).decode() if signed else None))
    except MeterValueError as exc:
        raise OcppError(ErrorKind.PROPERTY_CONSTRAINT, str(exc)) from None
    return out


def register_reading(read: list[Sample]) -> float | None:
    """The newest whole-meter energy register reading (no phase) in Wh, if any."""
    best: Sample | None = None
    for s in read:
        usable = s.measurand == ENERGY_REGISTER and s.phase is None and s.base_unit == "Wh" and s.value is not None
        if usable and (best is None or s.timestamp >= best.timestamp):
            best = s
    return None if best is None else best.value
