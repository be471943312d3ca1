"""OCPP 2.0.1 authorization, TransactionEvent and meter values -> one domain call each."""

from __future__ import annotations

from typing import Any

import orjson

from chargeplane.domain.auth import AuthDecision, AuthorizationStatus, IdTokenType
from chargeplane.domain.meter import ENERGY_REGISTER, MeterValueError, Sample, sample_v201
from chargeplane.domain.transactions import EventType, TransactionEvent
from chargeplane.gateway.connection import Handler, OcppConnection
from chargeplane.gateway.errors import ErrorKind, OcppError
from chargeplane.gateway.ocpp16_transactions import INT32, in_range
from chargeplane.gateway.ocpp_common import parse_time, to_iso
from chargeplane.gateway.tx_backend import Authorization, TxBackend


def id_token_info(auth: Authorization) -> dict[str, Any]:
    d: AuthDecision = auth.decision
    info: dict[str, Any] = {"status": d.status.value}
    if auth.cache_expiry is not None:
        info["cacheExpiryDateTime"] = to_iso(auth.cache_expiry)
    if d.group_id:
        info["groupIdToken"] = {"idToken": d.group_id, "type": IdTokenType.CENTRAL.value}
    return info


def samples_v201(meter_values: list[dict[str, Any]]) -> list[Sample]:
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


def register_reading(samples: list[Sample]) -> float | None:
    """The newest whole-meter energy register reading (no phase) in Wh, if any."""
    best: Sample | None = None
    for s in samples:
        usable = s.measurand == ENERGY_REGISTER and s.phase is None and s.base_unit == "Wh" and s.value is not None
        if usable and (best is None or s.timestamp >= best.timestamp):
            best = s
    return None if best is None else best.value


class Ocpp201Transactions:
    """Authorize, TransactionEvent, MeterValues."""

    def __init__(self, tx: TxBackend) -> None:
        self.tx = tx

    def handlers(self) -> dict[str, Handler]:
        return {
            "Authorize": self.authorize,
            "TransactionEvent": self.transaction_event,
            "MeterValues": self.meter_values,
        }

    async def authorize(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        token = p["idToken"]
        if token["type"] != IdTokenType.NO_AUTHORIZATION and not token["idToken"]:
            raise OcppError(ErrorKind.PROPERTY_CONSTRAINT, "idToken.idToken is empty")
        auth = await self.tx.authorize(conn.cp_id, conn.site, token["idToken"] or "-", token["type"])
        return {"idTokenInfo": id_token_info(auth)}

    async def transaction_event(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        info = p["transactionInfo"]
        ref = info["transactionId"]
        if not ref:
            raise OcppError(ErrorKind.PROPERTY_CONSTRAINT, "transactionInfo.transactionId is empty")
        if p["seqNo"] < 0:
            raise OcppError(ErrorKind.PROPERTY_CONSTRAINT, "seqNo must not be negative")
        in_range(p["seqNo"], INT32, "seqNo")
        for field, value in (
            ("evse.id", (p.get("evse") or {}).get("id")),
            ("evse.connectorId", (p.get("evse") or {}).get("connectorId")),
            ("transactionInfo.remoteStartId", info.get("remoteStartId")),
        ):
            if value is not None:
                in_range(value, INT32, field)
        samples = samples_v201(p.get("meterValue") or [])
        evse = p.get("evse") or {}
        token = p.get("idToken")
        event_type = EventType(p["eventType"])
        ev = TransactionEvent(
            charge_point_id=conn.cp_id,
            event_type=event_type,
            transaction_ref=ref,
            seq_no=p["seqNo"],
            timestamp=parse_time(p["timestamp"]),
            trigger_reason=p["triggerReason"],
            offline=bool(p.get("offline", False)),
            charging_state=info.get("chargingState"),
            stopped_reason=info.get("stoppedReason"),
            evse_id=evse.get("id"),
            connector_id=evse.get("connectorId"),
            id_token=token["idToken"] if token else None,
            id_token_type=token["type"] if token else None,
            remote_start_id=info.get("remoteStartId"),
            meter_register_wh=register_reading(samples),
        )
        auth: Authorization | None = None
        if token is not None:
            auth = await self.tx.authorize(
                conn.cp_id,
                conn.site,
                token["idToken"] or "-",
                token["type"],
                own_transaction=f"{conn.cp_id}/{ref}",
                record_unknown=True,
            )
        # Samples first (keyed by charger + transaction + seqNo, so a retry stores them once),
        # then the event: a failure of either is a CALLERROR and the charger retries both.
        await self.tx.publish_meter_values(
            conn.cp_id, ev.evse_id, ev.connector_id, ref, samples, f"tev:{ref}:{ev.seq_no}".encode()
        )
        await self.tx.transaction_event(ev, conn.site, auth.decision.status.value if auth else "", p)
        reply: dict[str, Any] = {}
        if auth is not None:
            reply["idTokenInfo"] = id_token_info(auth)
        return reply

    async def meter_values(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        samples = samples_v201(p["meterValue"])
        in_range(p["evseId"], INT32, "evseId")
        await self.tx.publish_meter_values(conn.cp_id, p["evseId"], None, None, samples, b"mv:" + orjson.dumps(p))
        return {}


__all__ = ["AuthorizationStatus", "Ocpp201Transactions"]
