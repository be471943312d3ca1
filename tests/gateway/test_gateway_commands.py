"""gRPC GatewayService.SendCommand: a version-neutral command translated by the gateway that
holds the charger, for the charger's OCPP version, and the answer read back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc
import orjson
import pytest

from chargeplane.pb.gateway.v1 import gateway_pb2 as pb
from chargeplane.pb.gateway.v1.gateway_pb2_grpc import GatewayServiceStub
from chargeplane.runtime.components import AllInOne
from tests.chargers import raw_charger
from tests.gateway.test_gateway_service import _answer, _epoch

if TYPE_CHECKING:
    from chargeplane.pb.gateway.v1.gateway_pb2_grpc import GatewayServiceAsyncStub

NotAnswered = pb.CommandNotAnswered


@pytest.fixture
async def stub(allinone: AllInOne) -> AsyncIterator[GatewayServiceAsyncStub]:
    async with grpc.aio.insecure_channel(allinone.settings.gateway_grpc_address) as channel:
        yield GatewayServiceStub(channel)


def command(
    cp_id: str, name: str, arguments: object, *, epoch: int = 0, timeout_seconds: float = 0
) -> pb.SendCommandRequest:
    return pb.SendCommandRequest(
        charge_point_id=cp_id,
        command=name,
        arguments_json=orjson.dumps(arguments),
        epoch=epoch,
        timeout_seconds=timeout_seconds,
    )


@pytest.mark.parametrize(("version", "sent"), [("1.6", {"type": "Hard"}), ("2.0.1", {"type": "Immediate"})])
async def test_one_command_for_both_versions(
    allinone: AllInOne, ocpp_url: str, stub: GatewayServiceAsyncStub, version: str, sent: dict[str, str]
) -> None:
    cp_id = f"GWCMD-{version}"
    async with raw_charger(ocpp_url, cp_id, version) as charger:
        epoch = await _epoch(allinone, cp_id)
        call = asyncio.ensure_future(stub.SendCommand(command(cp_id, "reset", {"type": "hard"}, epoch=epoch)))
        incoming = await _answer(charger, [3, {"status": "Rejected"}])
        assert incoming[2:] == ["Reset", sent]
        reply = await call
        assert (reply.protocol, reply.action, orjson.loads(reply.request_json)) == (f"ocpp{version}", "Reset", sent)
        assert reply.message_id == incoming[1] and orjson.loads(reply.result_json) == {"status": "Rejected"}
        assert orjson.loads(reply.outcome_json) == {"status": "Rejected", "details": {}}


async def test_answers_report_configuration_and_call_errors_come_back(
    allinone: AllInOne, ocpp_url: str, stub: GatewayServiceAsyncStub
) -> None:
    async with raw_charger(ocpp_url, "GWCMD-CFG", "1.6") as charger:
        await _epoch(allinone, "GWCMD-CFG")
        call = asyncio.ensure_future(stub.SendCommand(command("GWCMD-CFG", "get-configuration", {})))
        keys = [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]
        await _answer(charger, [3, {"configurationKey": keys}])
        reply = await call
        assert [(v.variable, v.value) for v in reply.reported_variables] == [("HeartbeatInterval", "300")]
        assert orjson.loads(reply.outcome_json)["details"]["results"][0]["value"] == "300"

        call = asyncio.ensure_future(stub.SendCommand(command("GWCMD-CFG", "clear-cache", {})))
        await _answer(charger, [4, "NotSupported", "no cache", {}])
        reply = await call
        assert reply.WhichOneof("outcome") == "error" and reply.error.code == "NotSupported"
        assert reply.action == "ClearCache" and not reply.outcome_json


async def test_what_is_not_answered_says_why(allinone: AllInOne, ocpp_url: str, stub: GatewayServiceAsyncStub) -> None:
    async with raw_charger(ocpp_url, "GWCMD-NO", "1.6") as charger:
        await _epoch(allinone, "GWCMD-NO")
        # 1.6 cannot reset one EVSE: nothing is sent, and the answer says so.
        reply = await stub.SendCommand(command("GWCMD-NO", "reset", {"evse_id": 1}))
        assert reply.not_answered.reason == NotAnswered.REASON_NOT_EXPRESSIBLE
        assert "OCPP 1.6 cannot express a reset of a single EVSE" in reply.not_answered.description
        assert reply.protocol == "ocpp1.6" and not reply.action
        # Sent, never answered: what was sent is reported with the timeout.
        reply = await stub.SendCommand(command("GWCMD-NO", "clear-cache", {}, timeout_seconds=0.2))
        assert reply.not_answered.reason == NotAnswered.REASON_TIMEOUT and reply.action == "ClearCache"
        assert (await charger.recv())[2] == "ClearCache"


async def test_bad_requests_are_typed(allinone: AllInOne, ocpp_url: str, stub: GatewayServiceAsyncStub) -> None:
    async def code_of(request: pb.SendCommandRequest) -> tuple[grpc.StatusCode, str]:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.SendCommand(request)
        return info.value.code(), info.value.details() or ""

    assert (await code_of(command("NOBODY", "clear-cache", {})))[0] == grpc.StatusCode.NOT_FOUND
    async with raw_charger(ocpp_url, "GWCMD-BAD", "2.0.1"):
        epoch = await _epoch(allinone, "GWCMD-BAD")
        assert (await code_of(command("GWCMD-BAD", "clear-cache", {}, epoch=epoch + 1)))[0] == grpc.StatusCode.NOT_FOUND
        code, detail = await code_of(command("GWCMD-BAD", "self-destruct", {}))
        assert code == grpc.StatusCode.INVALID_ARGUMENT and "unknown command" in detail
        code, detail = await code_of(command("GWCMD-BAD", "reset", {"type": "sideways"}))
        assert code == grpc.StatusCode.INVALID_ARGUMENT and detail == "type: must be one of hard, soft"
        garbage = pb.SendCommandRequest(charge_point_id="GWCMD-BAD", command="reset", arguments_json=b"{nope")
        assert (await code_of(garbage))[0] == grpc.StatusCode.INVALID_ARGUMENT
