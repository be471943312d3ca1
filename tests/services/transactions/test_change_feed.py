"""The transaction change feed: ListTransactionChanges over the outbox the lifecycle writes,
and the shared consumer (chargeplane.feeds.transactions) that billing, smart charging and
OCPI run on it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import grpc
import pytest
import redis.asyncio as aioredis

from chargeplane.config import Settings
from chargeplane.feeds.transactions import FeedOptions, PgCursorStore, TransactionFeed
from chargeplane.pb.transactions.v1 import transactions_pb2 as pb
from chargeplane.pb.transactions.v1.transactions_pb2_grpc import TransactionsServiceStub
from chargeplane.runtime.components import AllInOne, all_in_one
from chargeplane.services.transactions.changes import ChangeLog
from tests.eventually import eventually, still

from .test_lifecycle import ENDED, STARTED, UPDATED, event

if TYPE_CHECKING:
    from chargeplane.pb.transactions.v1.transactions_pb2_grpc import TransactionsServiceAsyncStub

KINDS = {pb.CHANGE_KIND_STARTED: "started", pb.CHANGE_KIND_UPDATED: "updated", pb.CHANGE_KIND_ENDED: "ended"}


async def read_all(transactions: TransactionsServiceAsyncStub, after: int = 0) -> list[pb.TransactionChange]:
    out: list[pb.TransactionChange] = []
    while True:
        page = await transactions.ListTransactionChanges(pb.ListTransactionChangesRequest(after_change_id=after))
        if not page.changes:
            return out
        out.extend(page.changes)
        after = page.changes[-1].change_id


def kinds(changes: list[pb.TransactionChange]) -> list[tuple[str, str]]:
    return [(c.transaction.transaction_ref, KINDS[c.kind]) for c in changes]


async def test_a_lifecycle_is_fed_in_order_with_the_transaction_after_each_change(
    cs: AllInOne, transactions: TransactionsServiceAsyncStub
) -> None:
    record = transactions.RecordTransactionEvent
    await record(event(STARTED, 0, "T-1", meter_register_wh=0.0, charging_state="EVConnected", id_token="TOK"))
    await record(event(UPDATED, 1, "T-1", minutes=1, charging_state="Charging", meter_register_wh=100.0))
    await record(event(UPDATED, 2, "T-1", minutes=2, trigger_reason="Trigger"))  # nothing a consumer needs
    await record(event(UPDATED, 3, "T-1", minutes=3, charging_state="SuspendedEV", offline=True))
    stop = event(ENDED, 4, "T-1", minutes=30, meter_register_wh=5000.0, stopped_reason="EVDisconnected")
    await record(stop)
    await record(stop)  # a retried Ended: no second change
    await record(event(UPDATED, 5, "T-1", minutes=31, charging_state="Charging"))  # after the end: nothing
    changes = await read_all(transactions)
    assert kinds(changes) == [("T-1", "started"), ("T-1", "updated"), ("T-1", "updated"), ("T-1", "ended")]
    ids = [c.change_id for c in changes]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    started, charging, suspended, ended = changes
    assert (started.transaction.state, started.transaction.id_tag, started.charging_state) == (
        "Active",
        "TOK",
        "EVConnected",
    )
    assert (charging.meter_register_wh, charging.charging_state, charging.seq_no) == (100.0, "Charging", 1)
    # Offline: the live state stays, the reported one is fed (consumers rebuild the timeline).
    assert (suspended.charging_state, suspended.transaction.charging_state) == ("SuspendedEV", "Charging")
    assert (ended.transaction.state, ended.transaction.meter_stop, ended.transaction.stop_reason) == (
        "Ended",
        5000.0,
        "EVDisconnected",
    )
    assert ended.event_timestamp.ToDatetime(tzinfo=UTC) == datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
    # The charging states a charger reported, for billing's parking time.
    got = await transactions.GetTransaction(
        pb.GetTransactionRequest(transaction_id=ended.transaction.id, include_charging_states=True)
    )
    assert [s.charging_state for s in got.charging_states] == ["EVConnected", "Charging", "SuspendedEV"]


async def test_offline_reconciled_and_anomalous_stops_are_ended_changes(
    cs: AllInOne, transactions: TransactionsServiceAsyncStub
) -> None:
    record = transactions.RecordTransactionEvent
    v16: dict[str, Any] = {"protocol": "ocpp1.6", "id_assigned_by_csms": True, "cp": "CP-16"}
    start = event(STARTED, 0, meter_register_wh=100.0, id_token="TAG", idempotency_key="1|TAG|100|x", **v16)
    first = await record(start)
    await record(start)  # a retried StartTransaction: the same transaction, no second change
    # A stop queued offline naming -1: reconciled with the only open transaction.
    assert (await record(event(ENDED, 1, "-1", minutes=40, meter_register_wh=900.0, **v16))).outcome == "reconciled"
    # An Ended that is the first sight of its transaction (2.0.1, Started lost), offline.
    await record(event(ENDED, 7, "LOST", minutes=5, meter_register_wh=10.0, offline=True, cp="CP-201"))
    # A stop below the start: flagged, still ended.
    await record(event(STARTED, 0, "LOW", meter_register_wh=900.0, cp="CP-201"))
    await record(event(ENDED, 1, "LOW", minutes=9, meter_register_wh=100.0, cp="CP-201"))
    changes = await read_all(transactions)
    assert kinds(changes) == [
        (first.transaction_ref, "started"),
        (first.transaction_ref, "ended"),
        ("LOST", "started"),
        ("LOST", "ended"),
        ("LOW", "started"),
        ("LOW", "ended"),
    ]
    reconciled, lost, low = changes[1], changes[3], changes[5]
    assert "reconciled_stop" in reconciled.transaction.flags and reconciled.transaction.meter_stop == 900.0
    assert lost.transaction.state == "Ended" and "started_event_missing" in lost.transaction.flags
    assert "meter_stop_below_start" in low.transaction.flags


async def test_a_change_committed_later_with_a_smaller_insert_order_is_not_skipped(
    cs: AllInOne, transactions: TransactionsServiceAsyncStub
) -> None:
    """Change ids follow commit order, not insert order: a reader that moved past a change
    committed first still gets the one that was inserted earlier and committed later."""
    await transactions.RecordTransactionEvent(event(STARTED, 0, "ORD", meter_register_wh=0.0))
    head = await read_all(transactions)
    async with cs.pool.acquire() as slow:
        tx = slow.transaction()
        await tx.start()
        await slow.execute(  # inserted first, committed last (like a slow writer)
            "INSERT INTO transaction_changes (transaction_id, kind, snapshot) "
            "SELECT id, 2, to_jsonb(t) FROM transactions t WHERE transaction_ref = 'ORD'"
        )
        await transactions.RecordTransactionEvent(event(UPDATED, 1, "ORD", minutes=1, meter_register_wh=50.0))
        fast = await read_all(transactions, head[-1].change_id)
        assert [c.meter_register_wh for c in fast] == [50.0]
        await tx.commit()
    late = await read_all(transactions, fast[-1].change_id)
    assert len(late) == 1 and late[0].change_id > fast[-1].change_id and not late[0].HasField("meter_register_wh")


async def test_concurrent_writers_and_a_reader_see_every_change_once(
    cs: AllInOne, transactions: TransactionsServiceAsyncStub
) -> None:
    n = 40

    async def session(i: int) -> None:
        ref = f"C-{i}"
        await transactions.RecordTransactionEvent(event(STARTED, 0, ref, meter_register_wh=0.0))
        await transactions.RecordTransactionEvent(event(ENDED, 1, ref, minutes=5, meter_register_wh=10.0))

    seen: list[pb.TransactionChange] = []

    async def reader() -> None:
        after = 0
        while len(seen) < 2 * n:
            page = await transactions.ListTransactionChanges(
                pb.ListTransactionChangesRequest(after_change_id=after, limit=7, wait_seconds=2)
            )
            seen.extend(page.changes)
            if page.changes:
                after = page.changes[-1].change_id

    read = asyncio.create_task(reader())
    await asyncio.gather(*(session(i) for i in range(n)))
    await asyncio.wait_for(read, 30)
    assert sorted(kinds(seen)) == sorted([(f"C-{i}", k) for i in range(n) for k in ("started", "ended")])
    ids = [c.change_id for c in seen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for i in range(n):  # each transaction's changes in their order
        mine = [KINDS[c.kind] for c in seen if c.transaction.transaction_ref == f"C-{i}"]
        assert mine == ["started", "ended"]


async def test_a_long_poll_answers_when_a_change_commits(
    cs: AllInOne, transactions: TransactionsServiceAsyncStub
) -> None:
    empty = await transactions.ListTransactionChanges(pb.ListTransactionChangesRequest(wait_seconds=0.2))
    assert list(empty.changes) == [] and empty.oldest_kept_change_id == 1
    poll = asyncio.ensure_future(
        transactions.ListTransactionChanges(pb.ListTransactionChangesRequest(wait_seconds=20), timeout=30)
    )
    await still(lambda: not poll.done(), 0.3)
    await transactions.RecordTransactionEvent(event(STARTED, 0, "LP", meter_register_wh=0.0))
    answer = await asyncio.wait_for(poll, 10)
    assert kinds(list(answer.changes)) == [("LP", "started")]


@pytest.fixture
async def slow_poll_cs(settings: Settings) -> AsyncIterator[AllInOne]:
    """A CSMS whose long polls re-read the table only every 60 s: only a hint wakes them sooner."""
    async with all_in_one(settings.model_copy(update={"transaction_changes_poll_interval": 60.0})) as running:
        yield running


async def test_a_hint_from_another_process_wakes_a_long_poll(slow_poll_cs: AllInOne, settings: Settings) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{slow_poll_cs.grpc_port}") as channel:
        stub: TransactionsServiceAsyncStub = TransactionsServiceStub(channel)
        await stub.RecordTransactionEvent(event(STARTED, 0, "HINT", meter_register_wh=0.0))
        after = (await read_all(stub))[-1].change_id
        poll = asyncio.ensure_future(
            stub.ListTransactionChanges(
                pb.ListTransactionChangesRequest(after_change_id=after, wait_seconds=50), timeout=55
            )
        )
        await still(lambda: not poll.done(), 0.3)
        # Another transactions process commits a change and publishes its hint.
        await slow_poll_cs.pool.execute(
            "INSERT INTO transaction_changes (transaction_id, kind, snapshot) "
            "SELECT id, 2, to_jsonb(t) FROM transactions t WHERE transaction_ref = 'HINT'"
        )
        client = aioredis.from_url(settings.redis_url)
        try:
            await client.publish(settings.transaction_changes_channel, b"1")
        finally:
            await client.aclose()
        answer = await asyncio.wait_for(poll, 20)  # well before the 60 s re-read
        assert [KINDS[c.kind] for c in answer.changes] == ["updated"]


async def test_retention_drops_old_changes_and_says_where_the_feed_starts(
    cs: AllInOne, transactions: TransactionsServiceAsyncStub
) -> None:
    for i in range(3):
        await transactions.RecordTransactionEvent(event(STARTED, 0, f"R-{i}", meter_register_wh=0.0))
    changes = await read_all(transactions)
    log = ChangeLog(cs.pool)
    assert await log.prune(7, now=datetime.now(UTC)) == 0  # young: kept
    assert await log.prune(7, now=datetime.now(UTC) + timedelta(days=8)) == 3
    page = await transactions.ListTransactionChanges(pb.ListTransactionChangesRequest())
    assert list(page.changes) == [] and page.oldest_kept_change_id == changes[-1].change_id + 1
    await transactions.RecordTransactionEvent(event(STARTED, 0, "R-new", meter_register_wh=0.0))
    page = await transactions.ListTransactionChanges(pb.ListTransactionChangesRequest())
    assert page.oldest_kept_change_id == page.changes[0].change_id == changes[-1].change_id + 1


async def test_bad_feed_requests_are_invalid_arguments(transactions: TransactionsServiceAsyncStub) -> None:
    for request in (
        pb.ListTransactionChangesRequest(after_change_id=-1),
        pb.ListTransactionChangesRequest(limit=-5),
        pb.ListTransactionChangesRequest(wait_seconds=float("nan")),
        pb.ListTransactionChangesRequest(wait_seconds=-1),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await transactions.ListTransactionChanges(request)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_the_consumer_hands_over_every_change_in_order_and_keeps_its_cursor(
    cs: AllInOne, transactions: TransactionsServiceAsyncStub
) -> None:
    handled: list[tuple[str, int]] = []
    failures = {"left": 2}

    async def handler(change: pb.TransactionChange) -> None:
        if change.transaction.transaction_ref == "K-1" and change.kind == pb.CHANGE_KIND_ENDED and failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("a transient failure of the consumer")
        handled.append((change.transaction.transaction_ref, change.kind))

    options = FeedOptions(wait_seconds=1.0, backoff_base=0.01, backoff_max=0.05)
    store = PgCursorStore(cs.pool, "billing_feed_cursors", "test-consumer")
    feed = TransactionFeed(transactions, store, handler, name="test", options=options)
    feed.start()
    try:
        for i in range(3):
            await transactions.RecordTransactionEvent(event(STARTED, 0, f"K-{i}", meter_register_wh=0.0))
            await transactions.RecordTransactionEvent(event(ENDED, 1, f"K-{i}", minutes=3, meter_register_wh=9.0))
        expected = [(f"K-{i}", k) for i in range(3) for k in (pb.CHANGE_KIND_STARTED, pb.CHANGE_KIND_ENDED)]
        await eventually(lambda: handled == expected, timeout=20)
        last = (await read_all(transactions))[-1].change_id
        await eventually(lambda: _stored(cs, "test-consumer", last), timeout=10)
    finally:
        await feed.stop()
    assert failures["left"] == 0  # retried until it succeeded, nothing skipped
    # A restarted consumer resumes after its cursor.
    again: list[int] = []

    async def later(change: pb.TransactionChange) -> None:
        again.append(change.change_id)

    feed = TransactionFeed(transactions, store, later, name="test", options=options)
    feed.start()
    try:
        await transactions.RecordTransactionEvent(event(STARTED, 0, "K-new", meter_register_wh=0.0))
        await eventually(lambda: len(again) == 1, timeout=20)
        await still(lambda: len(again) == 1, 0.3)
    finally:
        await feed.stop()


async def _stored(cs: AllInOne, consumer: str, change_id: int) -> bool:
    value = await cs.pool.fetchval("SELECT change_id FROM billing_feed_cursors WHERE consumer = $1", consumer)
    return bool(value == change_id)


async def test_a_consumer_behind_the_retention_is_told_and_moves_on(
    cs: AllInOne, transactions: TransactionsServiceAsyncStub
) -> None:
    await transactions.RecordTransactionEvent(event(STARTED, 0, "G-1", meter_register_wh=0.0))
    await read_all(transactions)
    await ChangeLog(cs.pool).prune(1, now=datetime.now(UTC) + timedelta(days=2))
    await transactions.RecordTransactionEvent(event(STARTED, 0, "G-2", meter_register_wh=0.0))
    gaps: list[tuple[int, int]] = []
    handled: list[str] = []

    async def on_gap(position: int, oldest: int) -> None:
        gaps.append((position, oldest))

    async def handler(change: pb.TransactionChange) -> None:
        handled.append(change.transaction.transaction_ref)

    store = PgCursorStore(cs.pool, "billing_feed_cursors", "gap-consumer")
    feed = TransactionFeed(
        transactions, store, handler, name="gap", options=FeedOptions(wait_seconds=1.0), on_gap=on_gap
    )
    feed.start()
    try:
        await eventually(lambda: handled == ["G-2"], timeout=20)
    finally:
        await feed.stop()
    assert gaps == [(0, 2)]


def test_a_cursor_table_must_be_a_plain_name() -> None:
    with pytest.raises(ValueError, match="plain table name"):
        PgCursorStore(None, "x; DROP TABLE y", "c")  # type: ignore[arg-type]
