"""The TransactionsService gRPC servicer."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import math
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from google.protobuf.timestamp_pb2 import Timestamp
from redis.asyncio import Redis
from redis.exceptions import RedisError

from chargeplane.config import Settings
from chargeplane.domain.auth import active_key, transaction_member
from chargeplane.domain.transactions import EventOutcome, EventType, TransactionEvent, TxState
from chargeplane.pb.transactions.v1 import transactions_pb2 as pb
from chargeplane.pb.transactions.v1 import transactions_pb2_grpc as pb_grpc
from chargeplane.rpc.errors import InvalidArgument, NotFound, translate_errors
from chargeplane.rpc.timestamps import optional_datetime, to_datetime, to_timestamp

from .change_hints import ChangeHints
from .changes import ChangeLog, snapshot
from .meter_settle import settle_meter_stream
from .repository import Authorized, TransactionsRepository, mv_key

log = logging.getLogger(__name__)

MAX_ID = 48
DEFAULT_PAGE = 100
MAX_PAGE = 1000
DEFAULT_SERIES = 10_000
DEFAULT_CHANGES, MAX_CHANGES = 100, 1000
_EVENT_TYPES = {
    pb.EVENT_TYPE_STARTED: EventType.STARTED,
    pb.EVENT_TYPE_UPDATED: EventType.UPDATED,
    pb.EVENT_TYPE_ENDED: EventType.ENDED,
}
PROTOCOLS = ("ocpp1.6", "ocpp2.0.1", "ocpp2.1")


def _time(ts: Timestamp, field: str) -> datetime:
    if not ts.seconds and not ts.nanos:
        raise InvalidArgument(f"{field} is required")
    return to_datetime(ts)


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


def transaction_event(request: pb.RecordTransactionEventRequest) -> TransactionEvent:
    """The request as a domain event, refused (INVALID_ARGUMENT) when it breaks a rule."""
    cp = _cp(request.charge_point_id)
    event_type = _EVENT_TYPES.get(request.event_type)
    if event_type is None:
        raise InvalidArgument("event_type must be Started, Updated or Ended")
    if request.protocol not in PROTOCOLS:
        raise InvalidArgument(f"protocol must be one of {', '.join(PROTOCOLS)}")
    if len(request.transaction_ref) > 36:
        raise InvalidArgument("transaction_ref must be at most 36 characters")
    # Only the start of a transaction whose id the CSMS assigns comes without a reference.
    assigned_start = event_type is EventType.STARTED and request.id_assigned_by_csms and request.idempotency_key
    if not request.transaction_ref and not assigned_start:
        raise InvalidArgument(
            "transaction_ref is required (except for a Started event with id_assigned_by_csms and idempotency_key)"
        )
    if request.seq_no < 0:
        raise InvalidArgument("seq_no must not be negative")
    return TransactionEvent(
        charge_point_id=cp,
        protocol=request.protocol,
        event_type=event_type,
        transaction_ref=request.transaction_ref or None,
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
        reservation_id=request.reservation_id if request.HasField("reservation_id") else None,
        meter_register_wh=request.meter_register_wh if request.HasField("meter_register_wh") else None,
        id_assigned_by_csms=request.id_assigned_by_csms,
        idempotency_key=request.idempotency_key or None,
    )


def transaction_pb(r: Any) -> pb.Transaction:
    """A transactions row (or a change's snapshot of one) as the message."""
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
        started_at=to_timestamp(r["started_at"]),
        stopped_at=to_timestamp(r["stopped_at"]),
        stop_reason=r["stop_reason"] or "",
        state=r["state"],
        charging_state=r["charging_state"] or "",
        missing_seq_nos=list(r["missing_seq_nos"]),
        flags=list(r["flags"]),
        group_id=r["group_id"] or "",
        id_token_type=r["id_token_type"] or "",
        remote_start_id=r["remote_start_id"],
        reservation_id=r["reservation_id"],
        stop_id_tag=r["stop_id_tag"] or "",
    )


def change_pb(r: Any) -> pb.TransactionChange:
    return pb.TransactionChange(
        change_id=r["change_id"],
        kind=r["kind"],
        committed_at=to_timestamp(r["recorded_at"]),
        transaction=transaction_pb(snapshot(r["snapshot"])),
        event_timestamp=to_timestamp(r["event_timestamp"]),
        seq_no=r["seq_no"] or 0,
        meter_register_wh=r["meter_register_wh"],
        trigger_reason=r["trigger_reason"] or "",
        charging_state=r["charging_state"] or "",
    )


def meter_value_pb(r: Any) -> pb.MeterValue:
    return pb.MeterValue(
        timestamp=to_timestamp(r["ts"]),
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
        self.changes = ChangeLog(pool)
        self.hints = ChangeHints(redis, settings.transaction_changes_channel)
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
    async def RecordTransactionEvent(
        self, request: pb.RecordTransactionEventRequest, context: Any
    ) -> pb.RecordTransactionEventResponse:
        ev = transaction_event(request)
        auth = Authorized(request.auth.status or None, request.auth.group_id or None)
        result = await self.repo.record_event(
            ev,
            site=request.site or None,
            auth=auth,
            payload_json=request.payload_json.decode() if request.payload_json else "{}",
            now=datetime.now(UTC),
        )
        recorded = result.event
        if result.changes:
            self.hints.committed()
        cp, ref = ev.charge_point_id, recorded.transaction_ref
        if recorded.created:
            log.info(
                "transaction %d started", recorded.transaction_id, extra={"cp_id": cp, "tx_id": recorded.transaction_id}
            )
        if recorded.outcome is not EventOutcome.APPLIED:
            log.info(
                "%s event of transaction %s: %s", ev.event_type.value, ref, recorded.outcome.value, extra={"cp_id": cp}
            )
        if recorded.gap:
            log.warning("transaction %s: seqNo gap %s", ref, list(recorded.gap), extra={"cp_id": cp})
        if result.ended_now:
            await self._active(result.id_tag, cp, ref, False)
        elif recorded.state is TxState.ACTIVE and ev.id_token and (auth.status or recorded.auth_status) == "Accepted":
            await self._active(ev.id_token, cp, ref, True)
        return pb.RecordTransactionEventResponse(
            transaction_id=recorded.transaction_id,
            transaction_ref=ref,
            outcome=recorded.outcome.value,
            created=recorded.created,
            state=recorded.state.value,
            auth_status=recorded.auth_status or "",
            group_id=recorded.group_id or "",
            gap=list(recorded.gap),
            flags=sorted(recorded.flags),
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
        wait = request.settle_meter_values_seconds
        if not math.isfinite(wait) or wait < 0:
            raise InvalidArgument("settle_meter_values_seconds must be a non-negative number")
        settled = False
        if wait > 0:
            wait = min(wait, self.settings.meter_settle_max, _time_left(context))
            settled = await settle_meter_stream(self.redis, self.settings.meter_stream, wait)
        series = await self.repo.series(row, limit)
        out = pb.GetTransactionResponse(
            transaction=transaction_pb(row),
            meter_values=[meter_value_pb(r) for r in series],
            meter_values_settled=settled,
        )
        if request.include_charging_states:
            for r in await self.changes.charging_states(row["id"]):
                out.charging_states.add(
                    timestamp=to_timestamp(r["event_timestamp"]), charging_state=r["charging_state"]
                )
        return out

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
            started_from=optional_datetime(request, "started_from"),
            started_to=optional_datetime(request, "started_to"),
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

    @translate_errors
    async def ListTransactionChanges(
        self, request: pb.ListTransactionChangesRequest, context: Any
    ) -> pb.ListTransactionChangesResponse:
        """Changes after the cursor, in commit order; with none, a long poll of up to
        wait_seconds, woken by a hint and re-reading the table at the poll interval."""
        if request.after_change_id < 0 or request.limit < 0:
            raise InvalidArgument("after_change_id and limit must not be negative")
        wait = request.wait_seconds
        if not math.isfinite(wait) or wait < 0:
            raise InvalidArgument("wait_seconds must be a non-negative number")
        limit = min(request.limit or DEFAULT_CHANGES, MAX_CHANGES)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(wait, self.settings.transaction_changes_max_wait, _time_left(context))
        while True:
            token = self.hints.token()
            await self.changes.sequence()
            rows = await self.changes.after(request.after_change_id, limit)
            left = deadline - loop.time()
            if rows or left <= 0:
                break
            await self.hints.wait(token, min(left, self.settings.transaction_changes_poll_interval))
        return pb.ListTransactionChangesResponse(
            changes=[change_pb(r) for r in rows], oldest_kept_change_id=await self.changes.oldest_kept()
        )


def _time_left(context: Any) -> float:
    """Seconds before the caller's deadline, less a margin to answer in (inf: none)."""
    remaining = context.time_remaining() if context is not None else None
    return math.inf if remaining is None else max(remaining - 0.25, 0.0)
