"""gRPC GatewayService.Call: a CSMS CALL through the pod that holds the charger."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc
import orjson
import pytest

from chargeplane.pb.gateway.v1 import gateway_pb2 as pb
from chargeplane.pb.gateway.v1.gateway_pb2_grpc import GatewayServiceStub
from chargeplane.routing.presence import PresenceRegistry
from chargeplane.runtime.components import AllInOne
from tests.chargers import RawCharger, raw_charger

if TYPE_CHECKING:
    from chargeplane.pb.gateway.v1.gateway_pb2_grpc import GatewayServiceAsyncStub


@pytest.fixture
async def stub(allinone: AllInOne) -> AsyncIterator[GatewayServiceAsyncStub]:
    async with grpc.aio.insecure_channel(allinone.settings.gateway_grpc_address) as channel:
        yield GatewayServiceStub(channel)


async def _epoch(allinone: AllInOne, cp_id: str) -> int:
    presence = PresenceRegistry(allinone.redis)
    for _ in range(200):
        owner = await presence.lookup(cp_id)
        if owner is not None:
            return owner.epoch
        await asyncio.sleep(0.01)
    raise AssertionError("never registered")


async def _answer(charger: RawCharger, reply: list[object]) -> list[object]:
    incoming = await charger.recv()
    await charger.send([reply[0], incoming[1], *reply[1:]])
    return incoming


async def test_call_returns_the_chargers_result(
    allinone: AllInOne, ocpp_url: str, stub: GatewayServiceAsyncStub
) -> None:
    async with raw_charger(ocpp_url, "GRPC-1", "1.6") as charger:
        epoch = await _epoch(allinone, "GRPC-1")
        request = pb.CallRequest(
            charge_point_id="GRPC-1", epoch=epoch, action="Reset", payload_json=b'{"type":"Soft"}', timeout_seconds=5
        )
        call = asyncio.ensure_future(stub.Call(request))
        incoming = await _answer(charger, [3, {"status": "Accepted"}])
        assert incoming[2:] == ["Reset", {"type": "Soft"}]
        reply = await call
        assert orjson.loads(reply.result_json) == {"status": "Accepted"}
        assert reply.protocol == "ocpp1.6" and reply.message_id == incoming[1]

        call = asyncio.ensure_future(stub.Call(request))
        await _answer(charger, [4, "InternalError", "busy", {"a": 1}])
        reply = await call
        assert reply.WhichOneof("outcome") == "error"
        assert (reply.error.code, reply.error.description) == ("InternalError", "busy")
        assert orjson.loads(reply.error.details_json) == {"a": 1}


async def test_call_errors_are_typed(allinone: AllInOne, ocpp_url: str, stub: GatewayServiceAsyncStub) -> None:
    async def code_of(request: pb.CallRequest) -> grpc.StatusCode:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.Call(request)
        return info.value.code()

    assert await code_of(pb.CallRequest(charge_point_id="NOBODY", action="ClearCache", payload_json=b"{}")) == (
        grpc.StatusCode.NOT_FOUND
    )
    async with raw_charger(ocpp_url, "GRPC-2", "2.0.1"):
        epoch = await _epoch(allinone, "GRPC-2")
        stale = pb.CallRequest(charge_point_id="GRPC-2", epoch=epoch + 1, action="ClearCache", payload_json=b"{}")
        assert await code_of(stale) == grpc.StatusCode.NOT_FOUND
        invalid = pb.CallRequest(charge_point_id="GRPC-2", action="Reset", payload_json=b'{"type":"Sideways"}')
        assert await code_of(invalid) == grpc.StatusCode.INVALID_ARGUMENT
        garbage = pb.CallRequest(charge_point_id="GRPC-2", action="ClearCache", payload_json=b"{nope")
        assert await code_of(garbage) == grpc.StatusCode.INVALID_ARGUMENT
        silent = pb.CallRequest(charge_point_id="GRPC-2", action="ClearCache", payload_json=b"{}", timeout_seconds=0.2)
        assert await code_of(silent) == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_disconnect(allinone: AllInOne, ocpp_url: str, stub: GatewayServiceAsyncStub) -> None:
    async with raw_charger(ocpp_url, "GRPC-3", "2.0.1") as charger:
        epoch = await _epoch(allinone, "GRPC-3")
        reply = await stub.Disconnect(pb.DisconnectRequest(charge_point_id="GRPC-3", epoch=epoch + 5))
        assert not reply.disconnected
        reply = await stub.Disconnect(pb.DisconnectRequest(charge_point_id="GRPC-3", epoch=epoch, reason="test"))
        assert reply.disconnected
        await asyncio.wait_for(charger.ws.wait_closed(), 5)
        assert charger.ws.close_code == 1000


async def test_disconnect_after_the_call_was_sent_is_aborted(
    allinone: AllInOne, ocpp_url: str, stub: GatewayServiceAsyncStub
) -> None:
    """The charger got the CALL and vanished: ABORTED, so nobody sends it a second time."""
    async with raw_charger(ocpp_url, "GRPC-4", "2.0.1") as charger:
        epoch = await _epoch(allinone, "GRPC-4")
        call = asyncio.ensure_future(
            stub.Call(pb.CallRequest(charge_point_id="GRPC-4", epoch=epoch, action="ClearCache", payload_json=b"{}"))
        )
        assert (await charger.recv())[2] == "ClearCache"
        await charger.ws.close()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    assert info.value.code() == grpc.StatusCode.ABORTED
