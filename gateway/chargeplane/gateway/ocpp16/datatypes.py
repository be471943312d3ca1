"""OCPP 1.6 data types as the other modules of this package read and write them: idTags,
connector ids, integer transaction ids, configuration keys, IdTagInfo, sampled values."""

from __future__ import annotations

import re
from typing import Any

from chargeplane.domain.auth import AuthDecision, status_v16
from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.commands import UnsupportedCommand
from chargeplane.domain.device import UnknownKey, key_for_16
from chargeplane.domain.meter import MeterValueError, Sample, sample_v16
from chargeplane.gateway.errors import ErrorKind, OcppError
from chargeplane.gateway.translation import cannot as _cannot
from chargeplane.gateway.wire import INT32, parse_time, to_iso

MAX_ID_TAG = 20  # IdToken is CiString20


def cannot(what: str) -> UnsupportedCommand:
    return _cannot(Protocol.OCPP16, what)


def id_tag(token: str, field: str = "id_token") -> str:
    if len(token) > MAX_ID_TAG:
        raise UnsupportedCommand(f"OCPP 1.6 id tags are at most {MAX_ID_TAG} characters ({field})")
    return token


def connector(evse_id: int | None, connector_id: int | None, *, what: str) -> int:
    """The 1.6 connectorId of an EVSE/connector address (1.6: one connector per EVSE)."""
    if evse_id is None or evse_id == 0:
        if connector_id not in (None, 0):
            raise UnsupportedCommand(f"OCPP 1.6 cannot address connector {connector_id} without an EVSE ({what})")
        return 0
    if connector_id not in (None, 1):
        raise UnsupportedCommand(
            f"OCPP 1.6 addresses connector 1 of each EVSE only, not connector {connector_id} ({what})"
        )
    return evse_id


def transaction_id(value: str | None) -> int | None:
    """1.6 transaction ids are 32-bit integers."""
    if value is None:
        return None
    if not re.fullmatch(r"-?\d{1,10}", value) or int(value) not in INT32:
        raise UnsupportedCommand(f"OCPP 1.6 transaction ids are integers, not {value!r}")
    return int(value)


def config_key(key: str) -> str:
    try:
        return key_for_16(key)
    except UnknownKey as exc:
        raise UnsupportedCommand(str(exc)) from None


def id_tag_info(decision: AuthDecision) -> dict[str, Any]:
    info: dict[str, Any] = {"status": status_v16(decision.status)}
    if decision.expiry is not None:
        info["expiryDate"] = to_iso(decision.expiry)
    if decision.group_id:
        info["parentIdTag"] = decision.group_id[:MAX_ID_TAG]
    return info


def samples(meter_values: list[dict[str, Any]]) -> list[Sample]:
    """Every sampled value of a 1.6 meterValue list; a malformed value is a CALLERROR."""
    out: list[Sample] = []
    try:
        for mv in meter_values:
            ts = parse_time(mv["timestamp"])
            out.extend(sample_v16(ts, sv) for sv in mv["sampledValue"])
    except MeterValueError as exc:
        raise OcppError(ErrorKind.PROPERTY_CONSTRAINT, str(exc)) from None
    return out
