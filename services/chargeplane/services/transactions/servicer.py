"""The TransactionsService gRPC servicer."""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from google.protobuf.timestamp_pb2 import Timestamp
from redis.asyncio import Redis
from redis.exceptions import RedisError

from chargeplane.config import Settings
from chargeplane.domain.auth import active_key, transaction_member
from chargeplane.domain.transactions import (
    EventType,
    StartTransaction16,
    StopTransaction16,
    TransactionEvent,
    TxState,
)
from chargeplane.pb.transactions.v1 import transactions_pb2 as pb
from chargeplane.pb.transactions.v1 import transactions_pb2_grpc as pb_grpc
from chargeplane.rpc_errors import InvalidArgument, NotFound, translate_errors

from .repository import TransactionsRepository, mv_key

log = logging.getLogger(__name__)

MAX_ID = 48
DEFAULT_PAGE = 100
MAX_PAGE = 1000
DEFAULT_SERIES = 10_000
_EVENT_TYPES = {e.value: e for e in EventType}


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def _time(ts: Timestamp, field: str) -> datetime:
    if not ts.seconds and not ts.nanos:
        raise InvalidArgument(f"{field} is required")
    return ts.ToDatetime(tzinfo=UTC)


def _cp(value: str) -> str:
    if not value or len(value) > MAX_ID or ":" in value:
        raise InvalidArgument("charge_point_id must be 1 to 48 characters without ':'")
    return value


def _page(size: int) -> int:
    if size < 0:
        raise InvalidArgument("page_size must not be negative")
    return min(size or DEFAULT_PAGE, MAX_PAGE)


def _encode(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key, default=lambda d: d.isoformat())).decode()


def _decode(token: str, n: int) -> list[Any]:
    try:
        key = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        if not isinstance(key, list) or len(key) != n:
            raise ValueError
        key[0] = datetime.fromisoformat(key[0])
        return key
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise InvalidArgument("page_token is not a value returned by this service") from None


def transaction_pb(r: Any) -> pb.Transaction:
    return pb.Transaction(
        id=r["id"],
        charge_point_id=r["charge_point_id"],
        protocol=r["protocol"],
        transaction_ref=r["transaction_ref"],
        site=r["site"] or "",
        evse_id=r["evse_id"],
        connector_id=r["connector_id"],
        id_tag=r["id_tag"] or "",
        auth_status=r["auth_status"] or "",
        meter_start=r["meter_start"],
        meter_stop=r["meter_stop"],
        energy_wh=r["energy_wh"],
        started_at=_ts(r["started_at"]),
        stopped_at=_ts(r["stopped_at"]),
        stop_reason=r["stop_reason"] or "",
        state=r["state"],
        charging_state=r["charging_state"] or "",
        missing_seq_nos=list(r["missing_seq_nos"]),
        flags=list(r["flags"]),
    )


def meter_value_pb(r: Any) -> pb.MeterValue:
    return pb.MeterValue(
        timestamp=_ts(r["ts"]),
        charge_point_id=r["charge_point_id"],
        evse_id=r["evse_id"],
        connector_id=r["connector_id"],
        transaction_ref=r["transaction_ref"] or "",
        measurand=r["measurand"],
        phase=r["phase"] or "",
        unit=r["unit"] or "",
        context=r["context"] or "",
        location=r["location"] or "",
        format=r["format"] or "",
        raw_value=r["raw_value"],
        signed_data=r["signed_data"] or "",
        value=r["value"],
        base_unit=r["base_unit"] or "",
    )


class TransactionsServicer(pb_grpc.TransactionsServiceServicer):
    def __init__(self, pool: asyncpg.Pool, redis: Redis, settings: Settings) -> None:
        self.repo = TransactionsRepository(pool)
        self.redis = redis
        self.settings = settings

    async def _active(self, id_tag: str | None, cp: str, ref: str | None, add: bool) -> None:
        """Keep the auth service's ConcurrentTx view (a Redis set per token) current.
        Best effort: the transaction row is the record; the set only speeds up Authorize."""
        if not id_tag or not ref:
            return
        try:
            key, member = active_key(id_tag), transaction_member(cp, ref)
            await (self.redis.sadd(key, member) if add else self.redis.srem(key, member))
        except RedisError:
            log.warning("could not update the active-token set of %s", id_tag, exc_info=True)

    @translate_errors
    async def StartTransaction(self, request: pb.StartTransactionRequest, context: Any) -> pb.StartTransactionResponse:
        cp = _cp(request.charge_point_id)
        if request.connector_id < 1:
            raise InvalidArgument("connector_id must be at least 1")
        if not request.id_tag:
            raise InvalidArgument("id_tag is required")
        start = StartTransaction16(
            charge_point_id=cp,
            connector_id=request.connector_id,
            id_tag=request.id_tag,
            meter_start=request.meter_start,
            timestamp=_time(request.timestamp, "timestamp"),
            reservation_id=request.reservation_id if request.HasField("reservation_id") else None,
        )
        result = await self.repo.start16(
            start,
            site=request.site or None,
            auth_status=request.auth_status or "Accepted",
            group_id=request.group_id or None,
            now=datetime.now(UTC),
        )
        if result.created:
            log.info(
                "transaction %d started", result.transaction_id, extra={"cp_id": cp, "tx_id": result.transaction_id}
            )
            if result.auth_status == "Accepted":
                await self._active(start.id_tag, cp, str(result.transaction_id), True)
        return pb.StartTransactionResponse(
            transaction_id=result.transaction_id,
            created=result.created,
            auth_status=result.auth_status or "",
            group_id=result.group_id or "",
            auth_expiry=request.auth_expiry if result.created and request.HasField("auth_expiry") else None,
        )

    @translate_errors
    async def StopTransaction(self, request: pb.StopTransactionRequest, context: Any) -> pb.StopTransactionResponse:
        cp = _cp(request.charge_point_id)
        stop = StopTransaction16(
            charge_point_id=cp,
            transaction_id=request.transaction_id,
            meter_stop=request.meter_stop,
            timestamp=_time(request.timestamp, "timestamp"),
            id_tag=request.id_tag or None,
            reason=request.reason or None,
        )
        try:
            data = orjson.loads(request.transaction_data_json) if request.transaction_data_json else None
        except orjson.JSONDecodeError:
            raise InvalidArgument("transaction_data_json is not JSON") from None
        payload = {
            "transactionId": stop.transaction_id,
            "meterStop": stop.meter_stop,
            "timestamp": stop.timestamp.isoformat(),
            "idTag": stop.id_tag,
            "reason": stop.reason,
            "transactionData": data,
        }
        result = await self.repo.stop16(stop, payload, datetime.now(UTC))
        log.info("stop of transaction %d: %s", stop.transaction_id, result.outcome.value, extra={"cp_id": cp})
        if result.ref is not None:
            await self._active(result.id_tag, cp, result.ref, False)
        return pb.StopTransactionResponse(
            outcome=result.outcome.value, transaction_id=result.transaction_id, flags=sorted(result.flags)
        )

    @translate_errors
    async def TransactionEvent(self, request: pb.TransactionEventRequest, context: Any) -> pb.TransactionEventResponse:
        cp = _cp(request.charge_point_id)
        event_type = _EVENT_TYPES.get(request.event_type)
        if event_type is None:
            raise InvalidArgument("event_type must be Started, Updated or Ended")
        if not request.transaction_ref or len(request.transaction_ref) > 36:
            raise InvalidArgument("transaction_ref must be 1 to 36 characters")
        if request.seq_no < 0:
            raise InvalidArgument("seq_no must not be negative")
        ev = TransactionEvent(
            charge_point_id=cp,
            event_type=event_type,
            transaction_ref=request.transaction_ref,
            seq_no=request.seq_no,
            timestamp=_time(request.timestamp, "timestamp"),
            trigger_reason=request.trigger_reason,
            offline=request.offline,
            charging_state=request.charging_state or None,
            stopped_reason=request.stopped_reason or None,
            evse_id=request.evse_id if request.HasField("evse_id") else None,
            connector_id=request.connector_id if request.HasField("connector_id") else None,
            id_token=request.id_token or None,
            id_token_type=request.id_token_type or None,
            remote_start_id=request.remote_start_id if request.HasField("remote_start_id") else None,
            meter_register_wh=request.meter_register_wh if request.HasField("meter_register_wh") else None,
        )
        result = await self.repo.transaction_event(
            ev,
            site=request.site or None,
            auth_status=request.auth_status or None,
            payload_json=request.payload_json or "{}",
        )
        if result.gap:
            log.warning("transaction %s: seqNo gap %s", ev.transaction_ref, list(result.gap), extra={"cp_id": cp})
        if result.ended_now:
            await self._active(result.id_tag, cp, ev.transaction_ref, False)
        elif result.state is TxState.ACTIVE and ev.id_token and request.auth_status in ("", "Accepted"):
            await self._active(ev.id_token, cp, ev.transaction_ref, True)
        return pb.TransactionEventResponse(
            transaction_id=result.transaction_id,
            duplicate=result.duplicate,
            state=result.state.value,
            gap=list(result.gap),
            flags=sorted(result.flags),
        )

    @translate_errors
    async def ChargerBooted(self, request: pb.ChargerBootedRequest, context: Any) -> pb.ChargerBootedResponse:
        cp = _cp(request.charge_point_id)
        flagged = await self.repo.charger_booted(cp)
        if flagged:
            log.warning("%d transactions open at reboot", len(flagged), extra={"cp_id": cp})
        return pb.ChargerBootedResponse(flagged=len(flagged))

    @translate_errors
    async def GetTransaction(self, request: pb.GetTransactionRequest, context: Any) -> pb.GetTransactionResponse:
        row = await self.repo.get(request.transaction_id)
        if row is None:
            raise NotFound(f"transaction {request.transaction_id} not found")
        limit = min(request.max_meter_values or DEFAULT_SERIES, 100_000)
        series = await self.repo.series(row, limit)
        return pb.GetTransactionResponse(
            transaction=transaction_pb(row), meter_values=[meter_value_pb(r) for r in series]
        )

    @translate_errors
    async def ListTransactions(self, request: pb.ListTransactionsRequest, context: Any) -> pb.ListTransactionsResponse:
        size = _page(request.page_size)
        after = None
        if request.page_token:
            key = _decode(request.page_token, 2)
            after = (key[0], int(key[1]))
        if request.state and request.state not in ("Active", "Ended"):
            raise InvalidArgument("state must be Active or Ended")
        rows: list[Any] = await self.repo.list_transactions(
            after=after,
            charge_point_id=request.charge_point_id or None,
            id_tag=request.id_tag or None,
            site=request.site or None,
            state=request.state or None,
            started_from=request.started_from.ToDatetime(tzinfo=UTC) if request.HasField("started_from") else None,
            started_to=request.started_to.ToDatetime(tzinfo=UTC) if request.HasField("started_to") else None,
            limit=size + 1,
        )
        page = rows[:size]
        token = _encode([page[-1]["started_at"], page[-1]["id"]]) if len(rows) > size else ""
        return pb.ListTransactionsResponse(transactions=[transaction_pb(r) for r in page], next_page_token=token)

    @translate_errors
    async def ListMeterValues(self, request: pb.ListMeterValuesRequest, context: Any) -> pb.ListMeterValuesResponse:
        cp = _cp(request.charge_point_id)
        start = _time(request.from_time, "from_time")
        end = _time(request.to_time, "to_time")
        if end <= start:
            raise InvalidArgument("to_time must be after from_time")
        size = _page(request.page_size)
        after = _decode(request.page_token, 6) if request.page_token else None
        rows = await self.repo.meter_values(cp, start, end, after, size + 1)
        page = rows[:size]
        token = _encode(mv_key(page[-1])) if len(rows) > size else ""
        return pb.ListMeterValuesResponse(meter_values=[meter_value_pb(r) for r in page], next_page_token=token)
