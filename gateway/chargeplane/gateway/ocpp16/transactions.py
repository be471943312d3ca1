"""Transactions, OCPP 1.6: StartTransaction and StopTransaction in, mapped at this edge onto
the version-neutral event model (chargeplane.domain.transactions):

- StartTransaction is a Started event with seqNo 0 and no charger reference: the CSMS
  assigns the integer transactionId (`id_assigned_by_csms`), and a retry with a new
  message id is recognised by its content (`idempotency_key`: connector, idTag,
  meterStart, timestamp -- the same key migration r0004 wrote for older rows);
- StopTransaction is an Ended event with seqNo 1 naming our id; an id we do not know
  (-1 from a charger that started offline, another charger's, out of range) is answered
  all the same, reconciled or kept as an anomaly by the transactions service;
- its transactionData goes to the meter stream, like every event's samples.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from chargeplane.domain.auth import AuthDecision, AuthorizationStatus
from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.transactions import EventType, TransactionEvent
from chargeplane.gateway.connection import Handler, OcppConnection
from chargeplane.gateway.errors import ErrorKind, OcppError
from chargeplane.gateway.ocpp16.datatypes import id_tag_info, samples
from chargeplane.gateway.ports import Authorizer, MeterStream, TransactionRecorder
from chargeplane.gateway.wire import INT32, INT64, in_range, parse_time

STARTED_SEQ_NO = 0
ENDED_SEQ_NO = 1
UNKNOWN_ID = -1  # how a stop for an id no transaction can have is recorded


def idempotency_key(connector_id: int, id_tag: str, meter_start: int, timestamp: datetime) -> str:
    """What makes two StartTransactions the same start (TX-01). Keep in step with the SQL
    in chargeplane/db/migrations/versions/r0004_transaction_lifecycle.py."""
    return f"{connector_id}|{id_tag}|{meter_start}|{timestamp.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%fZ}"


class Transactions:
    def __init__(self, auth: Authorizer, transactions: TransactionRecorder, meters: MeterStream) -> None:
        self.auth = auth
        self.transactions = transactions
        self.meters = meters

    def handlers(self) -> dict[str, Handler]:
        return {"StartTransaction": self.start_transaction, "StopTransaction": self.stop_transaction}

    async def start_transaction(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        if p["connectorId"] < 1:
            raise OcppError(ErrorKind.PROPERTY_CONSTRAINT, "connectorId must be at least 1 for a transaction")
        connector = in_range(p["connectorId"], INT32, "connectorId")
        meter_start = in_range(p["meterStart"], INT64, "meterStart")
        reservation = p.get("reservationId")
        timestamp = parse_time(p["timestamp"])
        event = TransactionEvent(
            charge_point_id=conn.cp_id,
            protocol=Protocol.OCPP16.value,
            event_type=EventType.STARTED,
            transaction_ref=None,
            seq_no=STARTED_SEQ_NO,
            timestamp=timestamp,
            evse_id=connector,  # 1.6 connector N is EVSE N, connector 1
            connector_id=1,
            id_token=p["idTag"],
            reservation_id=None if reservation is None else in_range(reservation, INT32, "reservationId"),
            meter_register_wh=float(meter_start),
            id_assigned_by_csms=True,
            idempotency_key=idempotency_key(connector, p["idTag"], meter_start, timestamp),
        )
        auth = await self.auth.authorize(conn.cp_id, conn.site, p["idTag"], record_unknown=True)
        recorded = await self.transactions.record_event(event, conn.site, auth.decision, p)
        # A retry is answered with the first answer's status (stored with the transaction):
        # asked again now, the token would be busy with this very transaction.
        status = AuthorizationStatus(recorded.auth_status) if recorded.auth_status else auth.decision.status
        decision = AuthDecision(status, auth.decision.expiry if recorded.created else None, recorded.group_id)
        return {"transactionId": recorded.transaction_id, "idTagInfo": id_tag_info(decision)}

    async def stop_transaction(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        tx_id = p["transactionId"]
        # An id no transaction can have is still a stop to answer and record: as "unknown".
        ref = str(tx_id if tx_id in INT32 else UNKNOWN_ID)
        event = TransactionEvent(
            charge_point_id=conn.cp_id,
            protocol=Protocol.OCPP16.value,
            event_type=EventType.ENDED,
            transaction_ref=ref,
            seq_no=ENDED_SEQ_NO,
            timestamp=parse_time(p["timestamp"]),
            stopped_reason=p.get("reason"),
            id_token=p.get("idTag"),
            meter_register_wh=float(in_range(p["meterStop"], INT64, "meterStop")),
            id_assigned_by_csms=True,
        )
        data = p.get("transactionData")
        read = samples(data) if data else []
        if read:
            await self.meters.publish(conn.cp_id, None, None, ref, read, b"stop:" + orjson.dumps(p))
        await self.transactions.record_event(event, conn.site, None, p)
        if event.id_token is None:
            return {}
        auth = await self.auth.authorize(conn.cp_id, conn.site, event.id_token, own_transaction=f"{conn.cp_id}/{ref}")
        return {"idTagInfo": id_tag_info(auth.decision)}
