"""Version-neutral commands through REST and gRPC; the operator gRPC API's auth and errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc
import httpx
import orjson
import pytest

from chargeplane.pb.api.v1 import api_pb2 as pb
from chargeplane.pb.api.v1.api_pb2_grpc import OperatorServiceStub
from chargeplane.runtime.components import AllInOne
from tests.chargers import raw_charger
from tests.routing.conftest import make_token
from tests.routing.test_commands_api import _answer, _registered

if TYPE_CHECKING:  # the grpc.aio stub type exists in the .pyi only
    from chargeplane.pb.api.v1.api_pb2_grpc import OperatorServiceAsyncStub


@pytest.fixture
async def operator(allinone: AllInOne) -> AsyncIterator[OperatorServiceAsyncStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{allinone.grpc_port}") as channel:
        yield OperatorServiceStub(channel)


@pytest.mark.parametrize(("version", "sent"), [("1.6", {"type": "Hard"}), ("2.0.1", {"type": "Immediate"})])
async def test_one_reset_command_for_both_versions(
    allinone: AllInOne, api: httpx.AsyncClient, version: str, sent: dict[str, str]
) -> None:
    url = f"ws://127.0.0.1:{allinone.gateway_port}/ocpp"
    async with raw_charger(url, f"NEUTRAL-{version}", version) as charger:
        await _registered(allinone, f"NEUTRAL-{version}")
        request = asyncio.create_task(
            api.post(f"/v1/chargepoints/NEUTRAL-{version}/commands/reset", json={"type": "hard"})
        )
        incoming = await _answer(charger, [3, {"status": "Rejected"}])
        assert incoming[2:] == ["Reset", sent]
        response = await request
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["outcome"]["status"] == "Rejected" and body["action"] == "Reset"
        unknown = await api.post(f"/v1/chargepoints/NEUTRAL-{version}/commands/self-destruct", json={})
        assert unknown.status_code == 404
        bad = await api.post(f"/v1/chargepoints/NEUTRAL-{version}/commands/reset", json={"type": "sideways"})
        assert bad.status_code == 422
    if version == "1.6":  # a 1.6 charger cannot reset one EVSE: refused before sending, and recorded
        async with raw_charger(url, "NEUTRAL-EVSE", "1.6"):
            await _registered(allinone, "NEUTRAL-EVSE")
            refused = await api.post(
                "/v1/chargepoints/NEUTRAL-EVSE/commands/reset", json={"type": "hard", "evse_id": 1}
            )
            assert refused.status_code == 422
            record = (await api.get(f"/v1/commands/{refused.json()['command_id']}")).json()
            assert record["status"] == "rejected"


async def test_operator_grpc_api(allinone: AllInOne, operator: OperatorServiceAsyncStub) -> None:
    admin = (("authorization", f"Bearer {allinone.api_token}"),)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await operator.ListChargePoints(pb.ListChargePointsRequest())
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    reader = await make_token(allinone, "grpc-reader", ["read"])
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await operator.RegisterChargePoint(
            pb.RegisterChargePointRequest(charge_point_id="PRE-1"), metadata=(("authorization", f"Bearer {reader}"),)
        )
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED

    registered = await operator.RegisterChargePoint(
        pb.RegisterChargePointRequest(charge_point_id="PRE-1", site="north"), metadata=admin
    )
    assert registered.created and registered.charge_point.registered
    listing = await operator.ListChargePoints(pb.ListChargePointsRequest(site="north"), metadata=admin)
    assert [cp.id for cp in listing.charge_points] == ["PRE-1"]

    with pytest.raises(grpc.aio.AioRpcError) as info:
        await operator.SendOcppCall(
            pb.SendOcppCallRequest(charge_point_id="PRE-1", action="ClearCache", payload_json=b"{}"), metadata=admin
        )
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION  # offline: REST's 409

    url = f"ws://127.0.0.1:{allinone.gateway_port}/ocpp"
    async with raw_charger(url, "PRE-1", "2.0.1") as charger:
        await _registered(allinone, "PRE-1")
        call = asyncio.ensure_future(
            operator.SendCommand(
                pb.SendCommandRequest(charge_point_id="PRE-1", command="clear-cache", params_json=b"{}"), metadata=admin
            )
        )
        await _answer(charger, [3, {"status": "Accepted"}])
        reply = await call
        assert reply.command.status == "answered" and reply.command.gateway == allinone.settings.pod_name
        assert orjson.loads(reply.command.outcome_json)["status"] == "Accepted"
        fetched = await operator.GetCommand(pb.GetCommandRequest(id=reply.command.id), metadata=admin)
        assert fetched.command.action == "ClearCache"
    history = await operator.ListCommands(pb.ListCommandsRequest(charge_point_id="PRE-1"), metadata=admin)
    assert [c.status for c in history.commands] == ["answered", "offline"]
    assert (
        await operator.DeregisterChargePoint(pb.DeregisterChargePointRequest(charge_point_id="PRE-1"), metadata=admin)
    ).deleted


async def test_rest_pre_registration(allinone: AllInOne, api: httpx.AsyncClient) -> None:
    created = await api.put("/v1/chargepoints/REG-1", json={"site": "west", "allowed_protocols": ["ocpp2.0.1"]})
    assert created.status_code == 201 and created.json()["registered"]
    updated = await api.put("/v1/chargepoints/REG-1", json={"site": "east"})
    assert updated.status_code == 200 and updated.json()["site"] == "east"
    assert (await api.put("/v1/chargepoints/REG-1", json={"allowed_protocols": ["ocpp9"]})).status_code == 422
    reader = await make_token(allinone, "rest-reader", ["read"])
    denied = await api.delete("/v1/chargepoints/REG-1", headers={"Authorization": f"Bearer {reader}"})
    assert denied.status_code == 403
    assert (await api.delete("/v1/chargepoints/REG-1")).status_code == 204
    assert (await api.delete("/v1/chargepoints/REG-1")).status_code == 404
