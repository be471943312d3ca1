"""Transactions, OCPP 2.0.1: TransactionEvent in, one to one onto the version-neutral event
model (chargeplane.domain.transactions): the charger names the transaction and numbers
its events. The event's samples go to the meter stream first (keyed by charger,
transaction and seqNo, so a retry stores them once), then the event is recorded: a
failure of either is a CALLERROR and the charger retries both."""

from __future__ import annotations

from typing import Any

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.transactions import EventType, TransactionEvent
from chargeplane.gateway.connection import Handler, OcppConnection
from chargeplane.gateway.errors import ErrorKind, OcppError
from chargeplane.gateway.ocpp201.datatypes import id_token_info, register_reading, samples
from chargeplane.gateway.ports import Authorization, Authorizer, MeterStream, TransactionRecorder
from chargeplane.gateway.wire import INT32, in_range, parse_time


class Transactions:
    def __init__(self, auth: Authorizer, transactions: TransactionRecorder, meters: MeterStream) -> None:
        self.auth = auth
        self.transactions = transactions
        self.meters = meters

    def handlers(self) -> dict[str, Handler]:
        return {"TransactionEvent": self.transaction_event}

    async def transaction_event(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        info = p["transactionInfo"]
        ref = info["transactionId"]
        if not ref:
            raise OcppError(ErrorKind.PROPERTY_CONSTRAINT, "transactionInfo.transactionId is empty")
        if p["seqNo"] < 0:
            raise OcppError(ErrorKind.PROPERTY_CONSTRAINT, "seqNo must not be negative")
        in_range(p["seqNo"], INT32, "seqNo")
        evse = p.get("evse") or {}
        for field, value in (
            ("evse.id", evse.get("id")),
            ("evse.connectorId", evse.get("connectorId")),
            ("transactionInfo.remoteStartId", info.get("remoteStartId")),
        ):
            if value is not None:
                in_range(value, INT32, field)
        read = samples(p.get("meterValue") or [])
        token = p.get("idToken")
        event = TransactionEvent(
            charge_point_id=conn.cp_id,
            protocol=Protocol.OCPP201.value,
            event_type=EventType(p["eventType"]),
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
            meter_register_wh=register_reading(read),
        )
        auth: Authorization | None = None
        if token is not None:
            auth = await self.auth.authorize(
                conn.cp_id,
                conn.site,
                token["idToken"] or "-",
                token["type"],
                own_transaction=f"{conn.cp_id}/{ref}",
                record_unknown=True,
            )
        await self.meters.publish(
            conn.cp_id, event.evse_id, event.connector_id, ref, read, f"tev:{ref}:{event.seq_no}".encode()
        )
        await self.transactions.record_event(event, conn.site, auth.decision if auth else None, p)
        return {"idTokenInfo": id_token_info(auth)} if auth is not None else {}
