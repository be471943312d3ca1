"""The one transaction lifecycle, through its RPC (RecordTransactionEvent): the same rules
for both versions, the version differences as data (id assigned by the CSMS, idempotency
key). The charger-level guarantees are tested through real chargers in
test_ocpp16_chargers.py and test_ocpp201_chargers.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import grpc
import orjson
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from chargeplane.pb.transactions.v1 import transactions_pb2 as pb
from chargeplane.runtime.components import AllInOne
from tests.db import one

if TYPE_CHECKING:
    from chargeplane.pb.transactions.v1.transactions_pb2_grpc import TransactionsServiceAsyncStub

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def ts(value: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value)
    return out


def event(kind: int, seq: int, ref: str = "", *, minutes: int = 0, **fields: Any) -> pb.RecordTransactionEventRequest:
    return pb.RecordTransactionEventRequest(
        charge_point_id=fields.pop("cp", "CP-LIFE"),
        protocol=fields.pop("protocol", "ocpp2.0.1"),
        event_type=kind,  # type: ignore[arg-type]
        transaction_ref=ref,
        seq_no=seq,
        timestamp=ts(fields.pop("when", T0 + timedelta(minutes=minutes))),
        payload_json=orjson.dumps({"seq": seq, **fields.pop("payload", {})}),
        **fields,
    )


STARTED, UPDATED, ENDED = pb.EVENT_TYPE_STARTED, pb.EVENT_TYPE_UPDATED, pb.EVENT_TYPE_ENDED


async def test_a_csms_assigned_start_is_found_again_by_its_idempotency_key(
    cs: AllInOne, transactions: TransactionsServiceAsyncStub
) -> None:
    start = event(
        STARTED,
        0,
        protocol="ocpp1.6",
        id_assigned_by_csms=True,
        idempotency_key="1|TAG|100|2026-11-23T10:00:00.000000Z",
        meter_register_wh=100.0,
        id_token="TAG",
        auth=pb.EventAuthorization(status="Accepted", group_id="G"),
    )
    first = await transactions.RecordTransactionEvent(start)
    assert (first.outcome, first.created, first.state, first.auth_status) == ("applied", True, "Active", "Accepted")
    assert first.transaction_ref == str(first.transaction_id)
    # A retry: asked again the token is busy with this very transaction; the first answer stands.
    start.auth.status = "ConcurrentTx"
    again = await transactions.RecordTransactionEvent(start)
    assert (again.transaction_id, again.outcome, again.created, again.auth_status) == (
        first.transaction_id,
        "duplicate",
        False,
        "Accepted",
    )
    stop = event(ENDED, 1, first.transaction_ref, minutes=30, protocol="ocpp1.6", id_assigned_by_csms=True)
    stop.meter_register_wh = 2100.0
    ended = await transactions.RecordTransactionEvent(stop)
    assert (ended.outcome, ended.state) == ("applied", "Ended")
    row = await one(cs.pool, "SELECT * FROM transactions WHERE id = $1", first.transaction_id)
    assert (row["energy_wh"], row["max_seq_no"], row["group_id"], row["stop_reason"]) == (2000.0, 1, "G", "Local")


async def test_an_unknown_csms_assigned_id_never_creates_a_transaction(
    cs: AllInOne, transactions: TransactionsServiceAsyncStub
) -> None:
    common: dict[str, Any] = {"protocol": "ocpp1.6", "id_assigned_by_csms": True, "cp": "CP-UNKNOWN"}
    updated = await transactions.RecordTransactionEvent(event(UPDATED, 1, "4242", **common))
    assert (updated.outcome, updated.transaction_id) == ("unknown", 0)
    stop = event(ENDED, 1, "4242", minutes=5, meter_register_wh=10.0, **common)
    assert (await transactions.RecordTransactionEvent(stop)).outcome == "unknown"
    assert (await transactions.RecordTransactionEvent(stop)).outcome == "duplicate"  # replayed: once
    assert await cs.pool.fetchval("SELECT count(*) FROM transactions WHERE charge_point_id = 'CP-UNKNOWN'") == 0
    anomalies = await cs.pool.fetch("SELECT transaction_ref, transaction_id, outcome FROM stop_anomalies")
    assert [tuple(a) for a in anomalies] == [("4242", 4242, "unknown")]


async def test_a_repeated_seq_no_with_other_content_is_a_conflict_in_both_versions(
    cs: AllInOne, transactions: TransactionsServiceAsyncStub
) -> None:
    await transactions.RecordTransactionEvent(event(STARTED, 0, "C-1", meter_register_wh=0.0))
    ended = event(ENDED, 1, "C-1", minutes=10, meter_register_wh=500.0)
    assert (await transactions.RecordTransactionEvent(ended)).outcome == "applied"
    assert (await transactions.RecordTransactionEvent(ended)).outcome == "duplicate"
    other = event(ENDED, 1, "C-1", minutes=12, meter_register_wh=700.0)
    conflict = await transactions.RecordTransactionEvent(other)
    assert conflict.outcome == "conflict" and "duplicate_stop_conflict" in conflict.flags
    updated = event(UPDATED, 0, "C-1", minutes=1)  # seqNo 0 again, as an Updated
    assert "duplicate_event_conflict" in (await transactions.RecordTransactionEvent(updated)).flags
    row = await one(cs.pool, "SELECT * FROM transactions WHERE transaction_ref = 'C-1'")
    assert (row["state"], row["meter_stop"], row["energy_wh"]) == ("Ended", 500.0, 500.0)  # the first stop stands
    anomaly = await one(cs.pool, "SELECT * FROM stop_anomalies")
    assert (anomaly["transaction_ref"], anomaly["outcome"], anomaly["meter_stop"]) == ("C-1", "conflict", 700.0)


async def test_one_rule_set_flags_anomalies_of_either_version(
    cs: AllInOne, transactions: TransactionsServiceAsyncStub
) -> None:
    future = datetime.now(UTC) + timedelta(hours=1)
    started = await transactions.RecordTransactionEvent(event(STARTED, 0, "F-1", when=future, meter_register_wh=900.0))
    assert "future_timestamp" in started.flags
    ended = await transactions.RecordTransactionEvent(event(ENDED, 1, "F-1", when=future, meter_register_wh=100.0))
    assert {"future_timestamp", "meter_stop_below_start"} <= set(ended.flags)
    huge = await transactions.RecordTransactionEvent(event(UPDATED, 2**31 - 1, "F-2"))
    assert len(huge.gap) == 0  # a first event far along: the range is unknown, not billions of gaps
    row = await one(cs.pool, "SELECT missing_seq_nos, flags FROM transactions WHERE transaction_ref = 'F-2'")
    assert len(row["missing_seq_nos"]) == 64 and "started_event_missing" in row["flags"]


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (event(STARTED, 0, ""), "transaction_ref is required"),
        (event(STARTED, 0, "", protocol="ocpp1.6", id_assigned_by_csms=True), "transaction_ref is required"),
        (event(STARTED, 0, "x" * 37), "at most 36 characters"),
        (event(STARTED, -1, "R"), "seq_no must not be negative"),
        (event(STARTED, 0, "R", protocol="ocpp9"), "protocol must be one of"),
        (event(pb.EVENT_TYPE_UNSPECIFIED, 0, "R"), "event_type must be"),
        (event(STARTED, 0, "R", cp=""), "charge_point_id"),
    ],
)
async def test_bad_requests_are_invalid_arguments(
    transactions: TransactionsServiceAsyncStub, request_: pb.RecordTransactionEventRequest, message: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await transactions.RecordTransactionEvent(request_)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in (info.value.details() or "")
