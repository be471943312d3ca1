"""The transactions service over gRPC: one RPC for every transaction event of both
versions, and the post-boot flagging of open transactions."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import orjson

from chargeplane.domain.auth import AuthDecision
from chargeplane.domain.transactions import EventOutcome, EventRecorded, EventType, TransactionEvent, TxState
from chargeplane.pb.transactions.v1 import transactions_pb2 as tpb
from chargeplane.pb.transactions.v1.transactions_pb2_grpc import TransactionsServiceStub
from chargeplane.rpc.timestamps import to_timestamp

EVENT_TYPES = {
    EventType.STARTED: tpb.EVENT_TYPE_STARTED,
    EventType.UPDATED: tpb.EVENT_TYPE_UPDATED,
    EventType.ENDED: tpb.EVENT_TYPE_ENDED,
}


class TransactionsClient:
    """Implements TransactionRecorder and OpenTransactions (gateway/ports.py)."""

    def __init__(self, channel: grpc.aio.Channel, *, deadline: float) -> None:
        self._tx = TransactionsServiceStub(channel)
        self._deadline = deadline

    async def record_event(
        self, event: TransactionEvent, site: str | None, auth: AuthDecision | None, payload: object
    ) -> EventRecorded:
        ev = event
        reply = await self._tx.RecordTransactionEvent(
            tpb.RecordTransactionEventRequest(
                charge_point_id=ev.charge_point_id,
                site=site or "",
                protocol=ev.protocol,
                event_type=EVENT_TYPES[ev.event_type],
                transaction_ref=ev.transaction_ref or "",
                seq_no=ev.seq_no,
                timestamp=to_timestamp(ev.timestamp),
                trigger_reason=ev.trigger_reason,
                offline=ev.offline,
                charging_state=ev.charging_state or "",
                stopped_reason=ev.stopped_reason or "",
                evse_id=ev.evse_id,
                connector_id=ev.connector_id,
                id_token=ev.id_token or "",
                id_token_type=ev.id_token_type or "",
                remote_start_id=ev.remote_start_id,
                reservation_id=ev.reservation_id,
                meter_register_wh=ev.meter_register_wh,
                auth=None
                if auth is None
                else tpb.EventAuthorization(
                    status=auth.status.value,
                    group_id=auth.group_id or "",
                    expiry=to_timestamp(auth.expiry) if auth.expiry else None,
                ),
                payload_json=orjson.dumps(payload),
                id_assigned_by_csms=ev.id_assigned_by_csms,
                idempotency_key=ev.idempotency_key or "",
            ),
            timeout=self._deadline,
        )
        return EventRecorded(
            transaction_id=reply.transaction_id,
            transaction_ref=reply.transaction_ref,
            outcome=EventOutcome(reply.outcome),
            created=reply.created,
            state=TxState(reply.state),
            auth_status=reply.auth_status or None,
            group_id=reply.group_id or None,
            gap=tuple(reply.gap),
            flags=frozenset(reply.flags),
        )

    async def charger_booted(self, cp_id: str) -> int:
        reply = await self._tx.ChargerBooted(
            tpb.ChargerBootedRequest(charge_point_id=cp_id, timestamp=to_timestamp(datetime.now(UTC))),
            timeout=self._deadline,
        )
        return reply.flagged
