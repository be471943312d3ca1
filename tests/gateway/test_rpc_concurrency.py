"""One outstanding CSMS CALL, crossing calls, and queued charger CALLs (OCPP-J §4.1.1)."""

from __future__ import annotations

import asyncio

import pytest

from chargeplane.gateway.connection import CallErrorReply, CallRejected, CallResult, ChargerTimeout
from chargeplane.runtime.components import AllInOne
from tests.chargers import raw_charger


async def _connection(allinone: AllInOne, cp_id: str):  # type: ignore[no-untyped-def]
    for _ in range(100):
        conn = allinone.gateway.connections.get(cp_id)
        if conn is not None:
            return conn
        await asyncio.sleep(0.01)
    raise AssertionError(f"{cp_id} never connected")


async def test_calls_cross(allinone: AllInOne, ocpp_url: str) -> None:
    """The charger's CALL arriving while our CALL waits is answered at once."""
    async with raw_charger(ocpp_url, "CROSS-1", "2.0.1") as charger:
        conn = await _connection(allinone, "CROSS-1")
        ours = asyncio.create_task(conn.call("ClearCache", {}))
        incoming = await charger.recv()
        assert incoming[0] == 2 and incoming[2] == "ClearCache"
        heartbeat = await charger.call("Heartbeat", {})  # while our CALL is outstanding
        assert heartbeat[0] == 3
        await charger.send([3, incoming[1], {"status": "Accepted"}])
        result = await ours
        assert isinstance(result, CallResult) and result.payload == {"status": "Accepted"}


async def test_one_outstanding_csms_call(allinone: AllInOne, ocpp_url: str) -> None:
    async with raw_charger(ocpp_url, "ONE-1", "1.6") as charger:
        conn = await _connection(allinone, "ONE-1")
        calls = [asyncio.create_task(conn.call("ClearCache", {})) for _ in range(3)]
        for _ in range(3):
            incoming = await charger.recv()
            # Nothing else may arrive while this CALL is unanswered.
            with pytest.raises(TimeoutError):
                await charger.recv(timeout=0.2)
            await charger.send([3, incoming[1], {"status": "Accepted"}])
        results = await asyncio.gather(*calls)
        assert all(isinstance(r, CallResult) for r in results)


async def test_charger_calls_back_to_back_are_queued(allinone: AllInOne, ocpp_url: str) -> None:
    """A multi-connector 1.6 charger sends several CALLs without waiting: all answered in order."""
    async with raw_charger(ocpp_url, "BURST-1", "1.6") as charger:
        await charger.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
        ids = [f"b{i}" for i in range(5)]
        for i, message_id in enumerate(ids):
            await charger.send(
                [
                    2,
                    message_id,
                    "StatusNotification",
                    {"connectorId": i + 1, "errorCode": "NoError", "status": "Available"},
                ]
            )
        replies = [await charger.recv() for _ in ids]
        assert [r[1] for r in replies] == ids
        assert all(r[0] == 3 for r in replies)


async def test_charger_callerror_and_bad_result_reach_the_caller(allinone: AllInOne, ocpp_url: str) -> None:
    async with raw_charger(ocpp_url, "ANS-1", "2.0.1") as charger:
        conn = await _connection(allinone, "ANS-1")
        ours = asyncio.create_task(conn.call("ClearCache", {}))
        incoming = await charger.recv()
        await charger.send([4, incoming[1], "NotSupported", "no cache here", {"why": "none"}])
        error = await ours
        assert isinstance(error, CallErrorReply)
        assert (error.code, error.description, error.details) == (
            "NotSupported",
            "no cache here",
            {"why": "none"},
        )
        ours = asyncio.create_task(conn.call("ClearCache", {}))
        incoming = await charger.recv()
        await charger.send([3, incoming[1], {"status": "Maybe"}])  # violates the response schema
        invalid = await ours
        assert isinstance(invalid, CallErrorReply) and invalid.code == "PropertyConstraintViolation"


async def test_csms_call_timeout_frees_the_slot(allinone: AllInOne, ocpp_url: str) -> None:
    async with raw_charger(ocpp_url, "SLOW-1", "2.0.1") as charger:
        conn = await _connection(allinone, "SLOW-1")
        with pytest.raises(ChargerTimeout):
            await conn.call("ClearCache", {}, timeout=0.2)
        stale = await charger.recv()
        nxt = asyncio.create_task(conn.call("ClearCache", {}, timeout=2))
        fresh = await charger.recv()
        await charger.send([3, stale[1], {"status": "Rejected"}])  # late answer to the old CALL: ignored
        await charger.send([3, fresh[1], {"status": "Accepted"}])
        result = await nxt
        assert isinstance(result, CallResult) and result.payload["status"] == "Accepted"


async def test_invalid_csms_payload_is_refused_before_sending(allinone: AllInOne, ocpp_url: str) -> None:
    async with raw_charger(ocpp_url, "VAL-1", "1.6"):
        conn = await _connection(allinone, "VAL-1")
        with pytest.raises(CallRejected):
            await conn.call("Reset", {"type": "Sideways"})
        with pytest.raises(CallRejected):
            await conn.call("NoSuchAction", {})
