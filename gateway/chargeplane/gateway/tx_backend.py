"""The gateway's client for authorization, transactions and the meter-value stream.

Authorize, StartTransaction, StopTransaction and TransactionEvent are synchronous gRPC
calls (the charger's answer depends on them). Meter values go to a Redis Stream: the
charger is answered once XADD returned, and the transactions service writes them to
PostgreSQL (acknowledging the stream entry only after its commit).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
import orjson
from google.protobuf.timestamp_pb2 import Timestamp
from redis.asyncio import Redis

from chargeplane.domain.auth import AuthDecision, AuthorizationStatus
from chargeplane.domain.meter import Sample
from chargeplane.domain.transactions import StartTransaction16, StopTransaction16, TransactionEvent
from chargeplane.gateway.stream_batcher import StreamBatcher
from chargeplane.pb.auth.v1 import auth_pb2 as apb
from chargeplane.pb.auth.v1.auth_pb2_grpc import AuthServiceStub
from chargeplane.pb.transactions.v1 import transactions_pb2 as tpb
from chargeplane.pb.transactions.v1.transactions_pb2_grpc import TransactionsServiceStub

_STATUS = {
    apb.AUTHORIZATION_STATUS_ACCEPTED: AuthorizationStatus.ACCEPTED,
    apb.AUTHORIZATION_STATUS_BLOCKED: AuthorizationStatus.BLOCKED,
    apb.AUTHORIZATION_STATUS_EXPIRED: AuthorizationStatus.EXPIRED,
    apb.AUTHORIZATION_STATUS_INVALID: AuthorizationStatus.INVALID,
    apb.AUTHORIZATION_STATUS_CONCURRENT_TX: AuthorizationStatus.CONCURRENT_TX,
    apb.AUTHORIZATION_STATUS_UNKNOWN: AuthorizationStatus.UNKNOWN,
    apb.AUTHORIZATION_STATUS_NOT_AT_THIS_LOCATION: AuthorizationStatus.NOT_AT_THIS_LOCATION,
}


def _ts(value: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


@dataclass(frozen=True, slots=True)
class Authorization:
    decision: AuthDecision
    cache_expiry: datetime | None = None


@dataclass(frozen=True, slots=True)
class Started:
    transaction_id: int
    created: bool
    decision: AuthDecision


@dataclass(frozen=True, slots=True)
class EventOutcome:
    transaction_id: int
    duplicate: bool
    state: str


class TxBackend:
    def __init__(
        self,
        auth: grpc.aio.Channel,
        transactions: grpc.aio.Channel,
        redis: Redis,
        *,
        deadline: float,
        stream: str,
        stream_maxlen: int,
    ) -> None:
        self._auth = AuthServiceStub(auth)
        self._tx = TransactionsServiceStub(transactions)
        self._redis = redis
        self._deadline = deadline
        self._meter_stream = StreamBatcher(redis, stream, stream_maxlen or None)

    async def authorize(
        self,
        cp_id: str,
        site: str | None,
        id_token: str,
        token_type: str = "",
        own_transaction: str = "",
        *,
        record_unknown: bool = False,
    ) -> Authorization:
        reply = await self._auth.Authorize(
            apb.AuthorizeRequest(
                charge_point_id=cp_id,
                site=site or "",
                id_token=id_token,
                type=token_type,
                own_transaction=own_transaction,
                record_unknown=record_unknown,
            ),
            timeout=self._deadline,
        )
        decision = AuthDecision(
            _STATUS.get(reply.status, AuthorizationStatus.INVALID),
            reply.expiry.ToDatetime(tzinfo=UTC) if reply.HasField("expiry") else None,
            reply.group_id or None,
        )
        cache = reply.cache_expiry.ToDatetime(tzinfo=UTC) if reply.HasField("cache_expiry") else None
        return Authorization(decision, cache)

    async def start16(self, start: StartTransaction16, site: str | None, auth: AuthDecision) -> Started:
        reply = await self._tx.StartTransaction(
            tpb.StartTransactionRequest(
                charge_point_id=start.charge_point_id,
                site=site or "",
                connector_id=start.connector_id,
                id_tag=start.id_tag,
                meter_start=start.meter_start,
                timestamp=_ts(start.timestamp),
                reservation_id=start.reservation_id,
                auth_status=auth.status.value,
                group_id=auth.group_id or "",
                auth_expiry=_ts(auth.expiry) if auth.expiry else None,
            ),
            timeout=self._deadline,
        )
        # A retry is answered with the first answer's status (stored with the row).
        status = AuthorizationStatus(reply.auth_status) if reply.auth_status else auth.status
        decision = AuthDecision(status, auth.expiry if reply.created else None, reply.group_id or None)
        return Started(reply.transaction_id, reply.created, decision)

    async def stop16(self, stop: StopTransaction16, transaction_data: object) -> str:
        reply = await self._tx.StopTransaction(
            tpb.StopTransactionRequest(
                charge_point_id=stop.charge_point_id,
                transaction_id=stop.transaction_id,
                meter_stop=stop.meter_stop,
                timestamp=_ts(stop.timestamp),
                id_tag=stop.id_tag or "",
                reason=stop.reason or "",
                transaction_data_json=orjson.dumps(transaction_data).decode() if transaction_data else "",
            ),
            timeout=self._deadline,
        )
        return reply.outcome

    async def transaction_event(
        self, ev: TransactionEvent, site: str | None, auth_status: str, payload: dict[str, object]
    ) -> EventOutcome:
        reply = await self._tx.TransactionEvent(
            tpb.TransactionEventRequest(
                charge_point_id=ev.charge_point_id,
                site=site or "",
                event_type=ev.event_type.value,
                transaction_ref=ev.transaction_ref,
                seq_no=ev.seq_no,
                timestamp=_ts(ev.timestamp),
                trigger_reason=ev.trigger_reason,
                offline=ev.offline,
                charging_state=ev.charging_state or "",
                stopped_reason=ev.stopped_reason or "",
                evse_id=ev.evse_id,
                connector_id=ev.connector_id,
                id_token=ev.id_token or "",
                id_token_type=ev.id_token_type or "",
                remote_start_id=ev.remote_start_id,
                meter_register_wh=ev.meter_register_wh,
                auth_status=auth_status,
                payload_json=orjson.dumps(payload).decode(),
            ),
            timeout=self._deadline,
        )
        return EventOutcome(reply.transaction_id, reply.duplicate, reply.state)

    async def charger_booted(self, cp_id: str) -> int:
        reply = await self._tx.ChargerBooted(
            tpb.ChargerBootedRequest(charge_point_id=cp_id, timestamp=_ts(datetime.now(UTC))), timeout=self._deadline
        )
        return reply.flagged

    async def publish_meter_values(
        self,
        cp_id: str,
        evse_id: int | None,
        connector_id: int | None,
        transaction_ref: str | None,
        samples: list[Sample],
        key: bytes,
    ) -> None:
        """Append one entry to the meter stream; returns once Redis has it. `key` names the
        message (its content): the writer stores one message's samples once, however often
        the charger retries it or the stream redelivers it."""
        if not samples:
            return
        digest = hashlib.blake2b(cp_id.encode() + b"\x00" + key, digest_size=12).digest()
        doc = {
            "k": base64.urlsafe_b64encode(digest).decode(),
            "cp": cp_id,
            "evse": evse_id,
            "conn": connector_id,
            "tx": transaction_ref,
            "s": [
                [
                    s.timestamp.isoformat(),
                    s.raw_value,
                    s.measurand,
                    s.phase,
                    s.unit,
                    s.context,
                    s.location,
                    s.format,
                    s.signed_data,
                    s.value,
                    s.base_unit,
                ]
                for s in samples
            ],
        }
        await self._meter_stream.add({"d": orjson.dumps(doc)})
