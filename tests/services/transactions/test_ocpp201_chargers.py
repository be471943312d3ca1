"""OCPP 2.0.1 Authorize / TransactionEvent / MeterValues over real sockets, real services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ocpp.v201 import call as call201
from ocpp.v201.datatypes import ChargingStationType, IdTokenType

from chargeplane.runtime.components import AllInOne
from tests.chargers import RawCharger, library_charger, raw_charger
from tests.db import one
from tests.eventually import eventually

AddToken = Callable[..., Awaitable[Any]]


async def boot(c: RawCharger) -> None:
    reply = await c.call(
        "BootNotification", {"chargingStation": {"vendorName": "V", "model": "M"}, "reason": "PowerUp"}
    )
    assert reply[2]["status"] == "Accepted"


def event(
    kind: str, seq: int, ref: str = "TX-1", *, when: str = "2026-11-23T10:00:00Z", **extra: Any
) -> dict[str, Any]:
    info = {"transactionId": ref, **extra.pop("info", {})}
    return {
        "eventType": kind,
        "timestamp": when,
        "triggerReason": extra.pop("trigger", "Authorized" if kind == "Started" else "MeterValuePeriodic"),
        "seqNo": seq,
        "transactionInfo": info,
        **extra,
    }


def register(wh: float, when: str, context: str = "Sample.Periodic") -> list[dict[str, Any]]:
    return [
        {
            "timestamp": when,
            "sampledValue": [
                {"value": wh / 1000, "context": context, "unitOfMeasure": {"unit": "kWh"}},
                {"value": 11, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W", "multiplier": 3}},
            ],
        }
    ]


async def test_library_charger_full_session(cs: AllInOne, ocpp_url: str, add_token: AddToken) -> None:
    await add_token("RFID-1", group_id="GROUP-9")
    async with library_charger(ocpp_url, "CP201-LIB", "2.0.1") as cp:
        await cp.call(
            call201.BootNotification(charging_station=ChargingStationType(vendor_name="V", model="M"), reason="PowerUp")
        )
        auth = await cp.call(call201.Authorize(id_token=IdTokenType(id_token="RFID-1", type="ISO14443")))
        assert auth.id_token_info["status"] == "Accepted"
        assert auth.id_token_info["group_id_token"] == {"id_token": "GROUP-9", "type": "Central"}
        assert "cache_expiry_date_time" in auth.id_token_info
        started = await cp.call(
            call201.TransactionEvent(
                event_type="Started",
                timestamp="2026-11-23T10:00:00Z",
                trigger_reason="Authorized",
                seq_no=0,
                transaction_info={"transaction_id": "LIB-TX", "charging_state": "Charging"},
                id_token={"id_token": "RFID-1", "type": "ISO14443"},
                evse={"id": 1, "connector_id": 1},
                meter_value=register(1000, "2026-11-23T10:00:00Z", "Transaction.Begin"),
            )
        )
        assert started.id_token_info["status"] == "Accepted"
        await cp.call(
            call201.TransactionEvent(
                event_type="Ended",
                timestamp="2026-11-23T10:30:00Z",
                trigger_reason="StopAuthorized",
                seq_no=1,
                transaction_info={"transaction_id": "LIB-TX", "stopped_reason": "Local"},
                meter_value=register(4500, "2026-11-23T10:30:00Z", "Transaction.End"),
            )
        )
    tx = await one(cs.pool, "SELECT * FROM transactions WHERE transaction_ref = 'LIB-TX'")
    assert tx["state"] == "Ended" and tx["stop_reason"] == "Local"
    assert (tx["evse_id"], tx["connector_id"], tx["id_tag"]) == (1, 1, "RFID-1")
    assert (tx["meter_start"], tx["meter_stop"], tx["energy_wh"]) == (1000.0, 4500.0, 3500.0)
    assert tx["missing_seq_nos"] == [] and tx["flags"] == []


async def test_sequence_rules(cs: AllInOne, ocpp_url: str, add_token: AddToken) -> None:
    """TX-05: duplicates, late and out-of-order events, gaps, offline events, Ended is terminal."""
    await add_token("SEQ")
    async with raw_charger(ocpp_url, "CP201-SEQ", "2.0.1") as c:
        await boot(c)
        started = await c.call(
            "TransactionEvent",
            event(
                "Started",
                0,
                "S-1",
                idToken={"idToken": "SEQ", "type": "Central"},
                info={"chargingState": "EVConnected"},
            ),
        )
        assert started[2]["idTokenInfo"]["status"] == "Accepted"
        upd = event("Updated", 1, "S-1", when="2026-11-23T10:01:00Z", info={"chargingState": "Charging"})
        assert (await c.call("TransactionEvent", upd))[2] == {}
        assert (await c.call("TransactionEvent", upd))[0] == 3  # duplicate: answered
        # seqNo 4: 2 and 3 are missing (a gap).
        suspended = event("Updated", 4, "S-1", when="2026-11-23T10:04:00Z", info={"chargingState": "SuspendedEV"})
        assert (await c.call("TransactionEvent", suspended))[0] == 3
        # The late seqNo 2 fills its gap but does not move the state back to Charging.
        late = event("Updated", 2, "S-1", when="2026-11-23T10:02:00Z", info={"chargingState": "Charging"})
        assert (await c.call("TransactionEvent", late))[0] == 3
        # An offline event does not change the live charging state.
        offline = event("Updated", 5, "S-1", when="2026-11-23T10:05:00Z", offline=True, info={"chargingState": "Idle"})
        assert (await c.call("TransactionEvent", offline))[0] == 3
        row = await one(cs.pool, "SELECT * FROM transactions WHERE transaction_ref = 'S-1'")
        assert row["charging_state"] == "SuspendedEV"
        assert row["missing_seq_nos"] == [3] and "seq_gap" in row["flags"] and "offline" in row["flags"]
        ended = event(
            "Ended",
            6,
            "S-1",
            when="2026-11-23T10:06:00Z",
            trigger="EVDeparted",
            info={"stoppedReason": "EVDisconnected"},
        )
        assert (await c.call("TransactionEvent", ended))[0] == 3
        # Nothing after Ended reopens the transaction.
        after = event("Updated", 7, "S-1", when="2026-11-23T10:07:00Z", info={"chargingState": "Charging"})
        assert (await c.call("TransactionEvent", after))[0] == 3
        # S-1 ended, so the token is free: a new transaction starts at seqNo 0; a third is concurrent.
        again = await c.call(
            "TransactionEvent", event("Started", 0, "S-2", idToken={"idToken": "SEQ", "type": "Central"})
        )
        assert again[2]["idTokenInfo"]["status"] == "Accepted"
        busy = await c.call(
            "TransactionEvent", event("Started", 0, "S-3", idToken={"idToken": "SEQ", "type": "Central"})
        )
        assert busy[2]["idTokenInfo"]["status"] == "ConcurrentTx"
        # The token's own transaction does not make it concurrent with itself.
        own = await c.call(
            "TransactionEvent",
            event("Updated", 1, "S-2", trigger="Authorized", idToken={"idToken": "SEQ", "type": "Central"}),
        )
        assert own[2]["idTokenInfo"]["status"] == "Accepted"
    row = await one(cs.pool, "SELECT * FROM transactions WHERE transaction_ref = 'S-1'")
    assert row["state"] == "Ended" and row["stop_reason"] == "EVDisconnected"
    assert "event_after_end" in row["flags"]
    assert row["max_seq_no"] == 7
    events = await cs.pool.fetchval("SELECT count(*) FROM transaction_events WHERE transaction_id = $1", row["id"])
    assert events == 7  # seqNo 0,1,2,4,5,6,7: the duplicate is not stored twice


async def test_events_before_started_and_retries_store_meter_values_once(cs: AllInOne, ocpp_url: str) -> None:
    async with raw_charger(ocpp_url, "CP201-MV", "2.0.1") as c:
        await boot(c)
        # The Started event was lost: the first event we see is an Updated with seqNo 3.
        upd = event("Updated", 3, "M-1", when="2026-11-23T10:03:00Z", meterValue=register(2000, "2026-11-23T10:03:00Z"))
        for _ in range(3):  # retried twice (answers lost)
            assert (await c.call("TransactionEvent", upd))[0] == 3
        ended = event(
            "Ended",
            4,
            "M-1",
            when="2026-11-23T10:09:00Z",
            meterValue=register(2600, "2026-11-23T10:09:00Z", "Transaction.End"),
        )
        assert (await c.call("TransactionEvent", ended))[0] == 3
        mv = {"evseId": 1, "meterValue": register(2100, "2026-11-23T10:04:00Z")}
        assert (await c.call("MeterValues", mv))[0] == 3
        bad = {"evseId": 1, "meterValue": [{"timestamp": "2026-11-23T10:04:00Z", "sampledValue": [{"value": "x"}]}]}
        assert (await c.call("MeterValues", bad))[2] == "TypeConstraintViolation"
        empty_ref = event("Started", 0, "")
        assert (await c.call("TransactionEvent", empty_ref))[0] == 4
        assert (await c.call("Heartbeat", {}))[0] == 3

    async def stored() -> bool:
        n = await cs.pool.fetchval("SELECT count(*) FROM meter_values WHERE charge_point_id = 'CP201-MV'")
        return bool(n >= 6)

    await eventually(stored)
    rows = await cs.pool.fetch(
        "SELECT transaction_ref, measurand, value FROM meter_values "
        "WHERE charge_point_id = 'CP201-MV' ORDER BY ts, measurand"
    )
    assert [(r["transaction_ref"], r["measurand"], r["value"]) for r in rows] == [
        ("M-1", "Energy.Active.Import.Register", 2000.0),
        ("M-1", "Power.Active.Import", 11_000.0),
        (None, "Energy.Active.Import.Register", 2100.0),
        (None, "Power.Active.Import", 11_000.0),
        ("M-1", "Energy.Active.Import.Register", 2600.0),
        ("M-1", "Power.Active.Import", 11_000.0),
    ]
    tx = await one(cs.pool, "SELECT * FROM transactions WHERE transaction_ref = 'M-1'")
    assert "started_event_missing" in tx["flags"] and tx["missing_seq_nos"] == [0, 1, 2]
    assert tx["state"] == "Ended"


async def test_authorize_201_statuses(ocpp_url: str, add_token: AddToken) -> None:
    await add_token("HERE", charge_points=["CP201-AUTH"])
    await add_token("THERE", charge_points=["ELSEWHERE"])
    async with raw_charger(ocpp_url, "CP201-AUTH", "2.0.1") as c:
        await boot(c)

        async def status(token: str, kind: str = "ISO14443") -> str:
            reply = await c.call("Authorize", {"idToken": {"idToken": token, "type": kind}})
            return str(reply[2]["idTokenInfo"]["status"])

        assert await status("HERE") == "Accepted"
        assert await status("THERE") == "NotAtThisLocation"
        assert await status("NOBODY") == "Unknown"
        assert await status("", "NoAuthorization") == "Accepted"
        bad = await c.call("Authorize", {"idToken": {"idToken": "X", "type": "Bogus"}})
        assert bad[0] == 4
