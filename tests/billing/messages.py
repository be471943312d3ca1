"""billing.proto Session messages from engine sessions (test helper)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from chargeplane.domain.billing.session import ChargingState, Session
from chargeplane.pb.billing.v1 import billing_pb2 as pb

_STATE = {
    ChargingState.CHARGING: pb.CHARGING_STATE_CHARGING,
    ChargingState.IDLE: pb.CHARGING_STATE_IDLE,
    ChargingState.PARKED: pb.CHARGING_STATE_PARKED,
}


def stamp(value: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value)
    return out


def session_pb(s: Session, transaction_id: str, *, ended: bool = True, **fields: Any) -> pb.Session:
    msg = pb.Session(
        transaction_id=transaction_id,
        charge_point_id=fields.pop("charge_point_id", "CP-1"),
        evse_id=fields.pop("evse_id", 1),
        connector_id=1,
        id_token=fields.pop("id_token", "TOKEN-1"),
        started_at=stamp(s.started_at),
        samples=[
            pb.MeterSample(
                at=stamp(m.at),
                energy_wh=float(m.energy_wh),
                current_a=None if m.current_a is None else float(m.current_a),
            )
            for m in s.samples
        ],
        states=[pb.StateChange(at=stamp(c.at), state=_STATE[c.state]) for c in s.states],
        **fields,
    )
    if s.meter_start_wh is not None:
        msg.meter_start_wh = float(s.meter_start_wh)
    if ended and s.ended_at is not None:
        msg.ended_at.CopyFrom(stamp(s.ended_at))
    return msg


def tariff_json(raw: dict[str, Any]) -> str:
    return json.dumps(raw)
