"""OCPP 1.6 Authorize / StartTransaction / StopTransaction over real sockets, real services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from chargeplane.runtime.components import AllInOne
from tests.chargers import RawCharger, raw_charger
from tests.db import one
from tests.eventually import eventually

AddToken = Callable[..., Awaitable[Any]]


def ts(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def boot(c: RawCharger) -> None:
    reply = await c.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
    assert reply[2]["status"] == "Accepted"


def start_payload(
    id_tag: str = "TAG1", meter: int = 1000, when: str = "2026-11-23T10:00:00Z", connector: int = 1
) -> dict[str, Any]:
    return {"connectorId": connector, "idTag": id_tag, "meterStart": meter, "timestamp": when}


async def test_retried_start_gets_the_same_transaction_id(cs: AllInOne, ocpp_url: str, add_token: AddToken) -> None:
    await add_token("TAG1")
    async with raw_charger(ocpp_url, "CP16-A", "1.6") as c:
        await boot(c)
        first = await c.call("StartTransaction", start_payload(), message_id="start-1")
        assert first[0] == 3
        tx_id = first[2]["transactionId"]
        assert first[2]["idTagInfo"]["status"] == "Accepted"
        # The charger lost the answer and retries with a new message id (TX-01).
        again = await c.call("StartTransaction", start_payload(), message_id="start-1-retry")
        assert again[2]["transactionId"] == tx_id
        assert again[2]["idTagInfo"]["status"] == "Accepted"  # the first answer, not ConcurrentTx
        # A different start (other meterStart) is another transaction ...
        other = await c.call("StartTransaction", start_payload(meter=5000, connector=2))
        assert other[2]["transactionId"] != tx_id
        # ... for which the token is already busy (ConcurrentTx is on by default).
        assert other[2]["idTagInfo"]["status"] == "ConcurrentTx"
        auth = await c.call("Authorize", {"idTag": "TAG1"})
        assert auth[2]["idTagInfo"]["status"] == "ConcurrentTx"
    rows = await cs.pool.fetch("SELECT id, state, meter_start FROM transactions WHERE charge_point_id = 'CP16-A'")
    assert sorted(r["meter_start"] for r in rows) == [1000.0, 5000.0]
    assert {r["id"] for r in rows} == {tx_id, other[2]["transactionId"]}


async def test_stop_is_always_answered_and_matched_to_the_own_charger(
    cs: AllInOne, ocpp_url: str, add_token: AddToken
) -> None:
    await add_token("TAG2")
    async with raw_charger(ocpp_url, "CP16-B", "1.6") as b, raw_charger(ocpp_url, "CP16-C", "1.6") as other:
        await boot(b)
        await boot(other)
        tx_id = (await b.call("StartTransaction", start_payload("TAG2", meter=100)))[2]["transactionId"]
        foreign = (await other.call("StartTransaction", start_payload("TAG2", meter=7)))[2]["transactionId"]
        stop = {"transactionId": tx_id, "meterStop": 2600, "timestamp": "2026-11-23T11:00:00Z", "idTag": "TAG2"}
        first = await b.call("StopTransaction", stop)
        assert first[0] == 3 and first[2]["idTagInfo"]["status"] == "Accepted"
        assert (await b.call("StopTransaction", stop))[0] == 3  # duplicate: answered (TX-03)
        conflicting = {**stop, "meterStop": 9999, "timestamp": "2026-11-23T11:05:00Z"}
        assert (await b.call("StopTransaction", conflicting))[0] == 3
        # Another charger's transaction id: answered, never stops that transaction (TX-06).
        steal = {"transactionId": foreign, "meterStop": 50, "timestamp": "2026-11-23T11:00:00Z"}
        stolen = await b.call("StopTransaction", steal)
        assert stolen[0] == 3 and stolen[2] == {}
        unknown = {"transactionId": 424242, "meterStop": 1, "timestamp": "2026-11-23T12:00:00Z"}
        assert (await b.call("StopTransaction", unknown))[0] == 3
    tx = await one(cs.pool, "SELECT * FROM transactions WHERE id = $1", tx_id)
    assert tx["state"] == "Ended" and tx["meter_stop"] == 2600 and tx["energy_wh"] == 2500
    assert "duplicate_stop_conflict" in tx["flags"]
    assert (await cs.pool.fetchval("SELECT state FROM transactions WHERE id = $1", foreign)) == "Active"
    anomalies = await cs.pool.fetch("SELECT transaction_id, outcome FROM stop_anomalies ORDER BY id")
    assert [(a["transaction_id"], a["outcome"]) for a in anomalies] == [
        (tx_id, "conflict"),
        (foreign, "unknown"),
        (424242, "unknown"),
    ]


async def test_offline_session_replay_reconciles(cs: AllInOne, ocpp_url: str, add_token: AddToken) -> None:
    """TX-04: start, 20 meter values and a stop (transactionId -1) queued offline, replayed in
    order, then the whole queue replayed again after a lost connection."""
    await add_token("TAG3")
    t0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    queue: list[tuple[str, dict[str, Any]]] = [("StartTransaction", start_payload("TAG3", 10_000, ts(t0)))]
    for i in range(1, 21):
        queue.append(
            (
                "MeterValues",
                {
                    "connectorId": 1,
                    "meterValue": [
                        {
                            "timestamp": ts(t0 + timedelta(minutes=i)),
                            "sampledValue": [{"value": str(10 + i * 0.5), "unit": "kWh"}],
                        }
                    ],
                },
            )
        )
    stop = {"transactionId": -1, "meterStop": 20_000, "timestamp": ts(t0 + timedelta(minutes=21)), "idTag": "TAG3"}
    queue.append(("StopTransaction", stop))
    for _replay in range(2):
        async with raw_charger(ocpp_url, "CP16-OFF", "1.6") as c:
            await boot(c)
            for action, payload in queue:  # FIFO, one at a time, each answered
                reply = await c.call(action, payload)
                assert reply[0] == 3, reply
    txs = await cs.pool.fetch("SELECT * FROM transactions WHERE charge_point_id = 'CP16-OFF'")
    assert len(txs) == 1
    tx = txs[0]
    assert tx["state"] == "Ended" and tx["meter_stop"] == 20_000
    assert "reconciled_stop" in tx["flags"]
    anomalies = await cs.pool.fetch("SELECT outcome, matched_transaction_id FROM stop_anomalies")
    assert [(a["outcome"], a["matched_transaction_id"]) for a in anomalies] == [("reconciled", tx["id"])]

    async def all_rows() -> bool:
        n = await cs.pool.fetchval("SELECT count(*) FROM meter_values WHERE charge_point_id = 'CP16-OFF'")
        return bool(n >= 20)

    await eventually(all_rows)
    values = await cs.pool.fetch(
        "SELECT value, base_unit, raw_value, unit FROM meter_values WHERE charge_point_id = 'CP16-OFF' ORDER BY ts"
    )
    assert len(values) == 20  # the replayed copies are stored once
    assert values[0]["value"] == 10_500.0 and values[0]["base_unit"] == "Wh"
    assert values[0]["raw_value"] == "10.5" and values[0]["unit"] == "kWh"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("GOOD", "Accepted"), ("BLOCKED", "Blocked"), ("OLD", "Expired"), ("NOBODY", "Invalid"), ("ELSEWHERE", "Invalid")],
)
async def test_authorize_statuses(ocpp_url: str, add_token: AddToken, tag: str, expected: str) -> None:
    past = Timestamp()
    past.FromDatetime(datetime.now(UTC) - timedelta(days=1))
    future = Timestamp()
    future.FromDatetime(datetime(2030, 1, 1, tzinfo=UTC))
    await add_token("GOOD", expiry=future, group_id="FLEET-1")
    await add_token("BLOCKED", "Blocked")
    await add_token("OLD", expiry=past)
    await add_token("ELSEWHERE", charge_points=["SOME-OTHER-CP"])
    async with raw_charger(ocpp_url, "CP16-AUTH", "1.6") as c:
        await boot(c)
        reply = await c.call("Authorize", {"idTag": tag})
        info = reply[2]["idTagInfo"]
        assert info["status"] == expected
        if tag == "GOOD":
            assert info["parentIdTag"] == "FLEET-1"
            assert info["expiryDate"].startswith("2030-01-01T00:00:00")
        # A StartTransaction with a refused tag still gets a transactionId (1.6 §5.14),
        # and the charger learns the status.
        started = await c.call("StartTransaction", start_payload(tag))
        assert started[2]["idTagInfo"]["status"] == expected


async def test_token_change_invalidates_the_cache(ocpp_url: str, add_token: AddToken) -> None:
    await add_token("FLIP")
    async with raw_charger(ocpp_url, "CP16-FLIP", "1.6") as c:
        await boot(c)
        assert (await c.call("Authorize", {"idTag": "FLIP"}))[2]["idTagInfo"]["status"] == "Accepted"
        assert (await c.call("Authorize", {"idTag": "FLIP"}))[2]["idTagInfo"]["status"] == "Accepted"  # cached
        await add_token("FLIP", "Blocked")
        assert (await c.call("Authorize", {"idTag": "FLIP"}))[2]["idTagInfo"]["status"] == "Blocked"


async def test_meter_values_with_hundreds_of_samples(cs: AllInOne, ocpp_url: str) -> None:
    t0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    measurands = [
        ("Energy.Active.Import.Register", "kWh", "12.345", 12_345.0, "Wh"),
        ("Power.Active.Import", "kW", "7.2", 7_200.0, "W"),
        ("Current.Import", "A", "16.1", 16.1, "A"),
        ("Voltage", "V", "229.5", 229.5, "V"),
        ("SoC", "Percent", "55", 55.0, "Percent"),
    ]
    meter_value = []
    for i in range(60):  # 60 timestamps x 5 measurands = 300 sampled values
        meter_value.append(
            {
                "timestamp": ts(t0 + timedelta(seconds=i)),
                "sampledValue": [
                    {"value": raw, "measurand": m, "unit": unit, "context": "Sample.Periodic", "location": "Outlet"}
                    for m, unit, raw, _, _ in measurands
                ],
            }
        )
    payload = {"connectorId": 1, "meterValue": meter_value}
    async with raw_charger(ocpp_url, "CP16-MANY", "1.6") as c:
        await boot(c)
        first = await c.call("MeterValues", payload)
        assert first[0] == 3 and first[2] == {}
        assert (await c.call("MeterValues", payload))[0] == 3  # a retry: stored once

    async def stored() -> bool:
        n = await cs.pool.fetchval("SELECT count(*) FROM meter_values WHERE charge_point_id = 'CP16-MANY'")
        return bool(n >= 300)

    await eventually(stored)
    rows = await cs.pool.fetch(
        "SELECT measurand, value, base_unit, context, location FROM meter_values "
        "WHERE charge_point_id = 'CP16-MANY' AND ts = $1 ORDER BY measurand",
        t0,
    )
    assert {(r["measurand"], r["value"], r["base_unit"]) for r in rows} == {(m, v, b) for m, _, _, v, b in measurands}
    assert {(r["context"], r["location"]) for r in rows} == {("Sample.Periodic", "Outlet")}
    assert await cs.pool.fetchval("SELECT count(*) FROM meter_values WHERE charge_point_id = 'CP16-MANY'") == 300


async def test_malformed_values_get_a_callerror_and_the_connection_stays(ocpp_url: str) -> None:
    async with raw_charger(ocpp_url, "CP16-BAD", "1.6") as c:
        await boot(c)
        bad_value = {
            "connectorId": 1,
            "meterValue": [{"timestamp": "2026-11-23T10:00:00Z", "sampledValue": [{"value": "12,5kWh"}]}],
        }
        reply = await c.call("MeterValues", bad_value)
        assert reply[0] == 4 and reply[2] == "PropertyConstraintViolation", reply
        bad_time = {"connectorId": 1, "meterValue": [{"timestamp": "yesterday", "sampledValue": [{"value": "1"}]}]}
        assert (await c.call("MeterValues", bad_time))[0] == 4
        connector0 = await c.call("StartTransaction", start_payload(connector=0))
        assert connector0[0] == 4 and connector0[2] == "PropertyConstraintViolation"
        missing = await c.call(
            "StartTransaction", {"connectorId": 1, "meterStart": 1, "timestamp": "2026-11-23T10:00:00Z"}
        )
        assert missing[0] == 4 and missing[2] == "OccurenceConstraintViolation"
        wrong_type = await c.call(
            "StopTransaction", {"transactionId": "one", "meterStop": 1, "timestamp": "2026-11-23T10:00:00Z"}
        )
        assert wrong_type[0] == 4 and wrong_type[2] == "TypeConstraintViolation"
        bad_stop_data = {
            "transactionId": 1,
            "meterStop": 1,
            "timestamp": "2026-11-23T10:00:00Z",
            "transactionData": [{"timestamp": "2026-11-23T10:00:00Z", "sampledValue": [{"value": "NaN"}]}],
        }
        assert (await c.call("StopTransaction", bad_stop_data))[2] == "PropertyConstraintViolation"
        huge = await c.call("StartTransaction", start_payload(connector=2**40))
        assert huge[0] == 4 and huge[2] == "PropertyConstraintViolation"
        # A stop for an id no transaction can have is still answered (and recorded).
        beyond = {"transactionId": 2**40, "meterStop": 1, "timestamp": "2026-11-23T10:00:00Z"}
        assert (await c.call("StopTransaction", beyond))[0] == 3
        assert (await c.call("Heartbeat", {}))[0] == 3


async def test_boot_flags_open_transactions(cs: AllInOne, ocpp_url: str, add_token: AddToken) -> None:
    await add_token("TAG4")
    async with raw_charger(ocpp_url, "CP16-REBOOT", "1.6") as c:
        await boot(c)
        tx_id = (await c.call("StartTransaction", start_payload("TAG4")))[2]["transactionId"]
        await boot(c)  # the charger rebooted

        async def flagged() -> bool:  # a post-boot hook: runs once the boot is answered
            return "open_at_reboot" in await cs.pool.fetchval("SELECT flags FROM transactions WHERE id = $1", tx_id)

        await eventually(flagged)
        # The stop it had queued still ends the transaction.
        stop = {"transactionId": tx_id, "meterStop": 1500, "timestamp": "2026-11-23T10:30:00Z", "reason": "Reboot"}
        assert (await c.call("StopTransaction", stop))[0] == 3
    row = await one(cs.pool, "SELECT state, stop_reason FROM transactions WHERE id = $1", tx_id)
    assert (row["state"], row["stop_reason"]) == ("Ended", "Reboot")


async def test_unknown_tag_used_offline_is_kept_as_blocked(cs: AllInOne, ocpp_url: str) -> None:
    """TX-04: a start with a tag the CSMS never saw (authorized locally while offline)."""
    async with raw_charger(ocpp_url, "CP16-UNKNOWN", "1.6") as c:
        await boot(c)
        first = await c.call("StartTransaction", start_payload("NEVER-SEEN"))
        assert first[2]["idTagInfo"]["status"] == "Invalid"
        retry = await c.call("StartTransaction", start_payload("NEVER-SEEN"))
        assert retry[2] == first[2]  # the same id and the first answer
        assert (await c.call("Authorize", {"idTag": "NEVER-SEEN"}))[2]["idTagInfo"]["status"] == "Blocked"
    row = await one(cs.pool, "SELECT status, type FROM id_tokens WHERE id_token = 'NEVER-SEEN'")
    assert (row["status"], row["type"]) == ("Blocked", "Central")
    tx = await one(cs.pool, "SELECT auth_status, state FROM transactions WHERE charge_point_id = 'CP16-UNKNOWN'")
    assert (tx["auth_status"], tx["state"]) == ("Invalid", "Active")
