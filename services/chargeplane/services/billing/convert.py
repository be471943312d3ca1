"""Between billing.proto messages and the billing domain (no storage here)."""

from __future__ import annotations

import base64
import binascii
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from google.protobuf.json_format import MessageToDict, ParseDict
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import ValidationError

from chargeplane.config import Settings
from chargeplane.domain.billing.cdr import AuthMethod, CdrLocation, SignedData, TokenType
from chargeplane.domain.billing.cdr_builder import SessionInfo
from chargeplane.domain.billing.costing import Cost
from chargeplane.domain.billing.money import amount
from chargeplane.domain.billing.session import ChargingState, MeterSample, Reservation, Session, StateChange
from chargeplane.pb.billing.v1 import billing_pb2 as pb
from chargeplane.rpc.errors import InvalidArgument

_STATES = {
    pb.CHARGING_STATE_CHARGING: ChargingState.CHARGING,
    pb.CHARGING_STATE_IDLE: ChargingState.IDLE,
    pb.CHARGING_STATE_PARKED: ChargingState.PARKED,
}
MAX_ID = 64


def ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    out = Timestamp()
    out.FromDatetime(value.astimezone(UTC))
    return out


def time_of(message: Any, field: str, *, required: bool = True) -> datetime | None:
    if not message.HasField(field):
        if required:
            raise InvalidArgument(f"{field} is required")
        return None
    value: Timestamp = getattr(message, field)
    return value.ToDatetime(tzinfo=UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _instant(t: Timestamp) -> datetime:
    # Timestamp.ToDatetime(tzinfo=UTC), truncated to the microsecond the same way, without
    # its pure-Python overhead (a session has a timestamp per reading).
    return _EPOCH + timedelta(seconds=t.seconds, microseconds=t.nanos // 1000)


def session_of(s: pb.Session, *, require_end: bool) -> Session:
    """The pricing input of a session message (validated: ids, times, states)."""
    if not s.transaction_id or len(s.transaction_id) > MAX_ID:
        raise InvalidArgument(f"session.transaction_id must be 1 to {MAX_ID} characters")
    if not s.charge_point_id:
        raise InvalidArgument("session.charge_point_id is required")
    started = time_of(s, "started_at")
    ended = time_of(s, "ended_at", required=require_end)
    assert started is not None
    states = []
    for change in s.states:
        if change.state not in _STATES:
            raise InvalidArgument("session.states: state must be CHARGING, IDLE or PARKED")
        states.append(StateChange(_instant(change.at), _STATES[change.state]))
    samples = [
        MeterSample(
            _instant(m.at),
            Decimal(repr(m.energy_wh)),
            Decimal(repr(m.current_a)) if m.HasField("current_a") else None,
        )
        for m in s.samples
    ]
    reservation = None
    if s.HasField("reservation"):
        r = s.reservation
        reserved = time_of(r, "reserved_at")
        ended_r = time_of(r, "ended_at")
        assert reserved is not None and ended_r is not None
        reservation = Reservation(reserved, ended_r, r.expired)
    try:
        return Session(
            started_at=started,
            ended_at=ended,
            samples=samples,
            states=states,
            reservation=reservation,
            meter_start_wh=Decimal(repr(s.meter_start_wh)) if s.HasField("meter_start_wh") else None,
        )
    except ValueError as exc:
        raise InvalidArgument(f"session: {exc}") from None


def _enum(value: str, enum: Any, default: Any, field: str) -> Any:
    if not value:
        return default
    try:
        return enum(value)
    except ValueError:
        raise InvalidArgument(f"session.{field}: {value!r} is not one of {[e.value for e in enum]}") from None


def location_of(s: pb.Session, site: dict[str, Any], settings: Settings) -> CdrLocation:
    """The CDR location: the session's fields, else the site's billing data, else defaults
    (connector details the charger never reported default to a Type 2 socket, AC 3-phase)."""
    loc = MessageToDict(s.location, preserving_proto_field_name=True) if s.HasField("location") else {}

    def pick(name: str, default: str) -> str:
        return str(loc.get(name) or site.get(name) or default)

    cp = s.charge_point_id
    evse = s.evse_id or 1
    raw = {
        "id": pick("location_id", s.site_id or cp)[:36],
        "name": pick("name", "") or None,
        "address": pick("address", "")[:45],
        "city": pick("city", "")[:45],
        "postal_code": pick("postal_code", "")[:10] or None,
        "country": pick("country", settings.billing_location_country),
        "coordinates": {"latitude": pick("latitude", "0.000000"), "longitude": pick("longitude", "0.000000")},
        "evse_uid": pick("evse_uid", f"{cp}*{evse}")[:36],
        "evse_id": pick("evse_id", f"{settings.billing_country_code}*{settings.billing_party_id}*E{cp}*{evse}")[:48],
        "connector_id": pick("connector_id", str(s.connector_id or 1))[:36],
        "connector_standard": pick("connector_standard", "IEC_62196_T2"),
        "connector_format": pick("connector_format", "SOCKET"),
        "connector_power_type": pick("connector_power_type", "AC_3_PHASE"),
    }
    try:
        return CdrLocation.model_validate(raw)
    except ValidationError as exc:
        raise InvalidArgument(f"session.location: {exc.errors(include_url=False)[0]['msg']}") from None


def info_of(s: pb.Session, location: CdrLocation, contract_id: str) -> SessionInfo:
    signed = None
    if s.HasField("signed_data") and s.signed_data.signed_values:
        raw = MessageToDict(s.signed_data, preserving_proto_field_name=True)
        try:
            signed = SignedData.model_validate(raw)
        except ValidationError as exc:
            raise InvalidArgument(f"session.signed_data: {exc.errors(include_url=False)[0]['msg']}") from None
    return SessionInfo(
        transaction_id=s.transaction_id,
        charge_point_id=s.charge_point_id,
        id_token=s.id_token,
        token_type=_enum(s.id_token_type, TokenType, TokenType.RFID, "id_token_type"),
        contract_id=contract_id,
        auth_method=_enum(s.auth_method, AuthMethod, AuthMethod.WHITELIST, "auth_method"),
        location=location,
        meter_id=s.meter_id or None,
        signed_data=signed,
        remark=s.stop_reason or None,
    )


def _double(value: float) -> float | str:
    # proto3 JSON: non-finite doubles are the strings "NaN", "Infinity", "-Infinity".
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _sample_json(m: pb.MeterSample) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if m.HasField("at"):
        out["at"] = m.at.ToJsonString()
    if m.energy_wh:
        out["energy_wh"] = _double(m.energy_wh)
    if m.HasField("current_a"):
        out["current_a"] = _double(m.current_a)
    return out


def _state_json(c: pb.StateChange) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if c.HasField("at"):
        out["at"] = c.at.ToJsonString()
    if c.state:
        out["state"] = pb.ChargingState.Name(c.state)
    return out


def session_json(s: pb.Session) -> dict[str, Any]:
    """MessageToDict(s, preserving_proto_field_name=True), with the repeated readings and
    state changes (most of a session, and most of MessageToDict's time) written directly."""
    head = pb.Session()
    head.CopyFrom(s)
    del head.samples[:]
    del head.states[:]
    out: dict[str, Any] = MessageToDict(head, preserving_proto_field_name=True)
    if s.samples:
        out["samples"] = [_sample_json(m) for m in s.samples]
    if s.states:
        out["states"] = [_state_json(c) for c in s.states]
    return out


def session_from_json(raw: dict[str, Any]) -> pb.Session:
    return ParseDict(raw, pb.Session())


def price_pb(cost: Cost, currency: str) -> pb.Price:
    return pb.Price(
        excl_vat=str(amount(cost.excl, currency)),
        incl_vat="" if cost.incl is None else str(amount(cost.incl, currency)),
    )


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode()


def decode_cursor(token: str, n: int) -> list[Any]:
    try:
        key = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        if not isinstance(key, list) or len(key) != n:
            raise ValueError
        return key
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise InvalidArgument("page_token is not a value returned by this service") from None
