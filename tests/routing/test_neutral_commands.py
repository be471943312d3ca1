"""Version-neutral commands through the operator APIs: the request bodies are the command
models (documented in the OpenAPI schema, refused with the field's path), the gateway that
holds the charger translates them, and the record keeps what was actually sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import grpc
import httpx
import orjson
import pytest

from chargeplane.domain.commands import COMMANDS
from chargeplane.pb.api.v1 import api_pb2 as pb
from chargeplane.pb.api.v1.api_pb2_grpc import OperatorServiceStub
from chargeplane.runtime.components import AllInOne
from tests.chargers import raw_charger
from tests.routing.test_commands_api import _answer, _registered

if TYPE_CHECKING:
    from chargeplane.pb.api.v1.api_pb2_grpc import OperatorServiceAsyncStub


@pytest.fixture
async def operator(allinone: AllInOne) -> AsyncIterator[OperatorServiceAsyncStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{allinone.grpc_port}") as channel:
        yield OperatorServiceStub(channel)


async def test_openapi_documents_every_command(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/openapi.json")).json()
    for name, model in COMMANDS.items():
        operation = schema["paths"][f"/v1/chargepoints/{{charge_point_id}}/commands/{name}"]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        refs = [body.get("$ref")] + [s.get("$ref") for s in body.get("anyOf", [])]
        assert f"#/components/schemas/{model.__name__}" in refs, (name, body)
        assert operation["responses"]["422"]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    reset = schema["components"]["schemas"]["Reset"]["properties"]["type"]
    assert reset["enum"] == ["soft", "hard"]


async def test_bad_bodies_name_the_field(api: httpx.AsyncClient) -> None:
    async def problem(name: str, body: Any) -> str:
        response = await api.post(f"/v1/chargepoints/ANY/commands/{name}", json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        return str(response.json()["detail"])

    assert await problem("reset", {"type": "sideways"}) == "body.type: must be one of hard, soft"
    assert "body.nonsense: Extra inputs are not permitted" in await problem("reset", {"nonsense": 1})
    assert "body.id_token: Field required" in await problem("remote-start", {})
    detail = await problem(
        "set-charging-profile",
        {
            "evse_id": 1,
            "profile": {
                "id": 1,
                "stack_level": 0,
                "purpose": "TxProfile",
                "kind": "Absolute",
                "schedules": [{"rate_unit": "kW", "periods": [{"start_period": 0, "limit": 1}]}],
            },
        },
    )
    assert detail == "body.profile.schedules.0.rate_unit: must be one of A, W"
    unknown = await api.post("/v1/chargepoints/ANY/commands/self-destruct", json={})
    assert unknown.status_code == 404 and "known: cancel-reservation" in unknown.json()["detail"]


async def test_the_record_keeps_what_was_sent(allinone: AllInOne, api: httpx.AsyncClient) -> None:
    url = f"ws://127.0.0.1:{allinone.gateway_port}/ocpp"
    async with raw_charger(url, "NEUTRAL-REC", "2.0.1") as charger:
        await _registered(allinone, "NEUTRAL-REC")
        request = asyncio.create_task(
            api.post("/v1/chargepoints/NEUTRAL-REC/commands/remote-start", json={"id_token": "T", "remote_start_id": 7})
        )
        incoming = await _answer(charger, [3, {"status": "Accepted", "transactionId": "TX-9"}])
        body = (await request).json()
        assert (body["action"], body["payload"]) == tuple(incoming[2:])
        assert body["outcome"] == {"status": "Accepted", "details": {"remote_start_id": 7, "transaction_id": "TX-9"}}
        assert (await api.get(f"/v1/commands/{body['id']}")).json()["action"] == "RequestStartTransaction"
        # Sent and never answered: the record still says what was sent.
        slow = await api.post("/v1/chargepoints/NEUTRAL-REC/commands/clear-cache", params={"timeout": 0.3})
        assert slow.status_code == 504
        record = (await api.get(f"/v1/commands/{slow.json()['command_id']}")).json()
        assert (record["status"], record["action"], record["payload"]) == ("timeout", "ClearCache", {})
        assert (await charger.recv())[2] == "ClearCache"


async def test_grpc_errors(allinone: AllInOne, operator: OperatorServiceAsyncStub) -> None:
    admin = (("authorization", f"Bearer {allinone.api_token}"),)

    async def code_of(name: str, params: object) -> grpc.StatusCode:
        request = pb.SendCommandRequest(charge_point_id="GRPC-NEUTRAL", command=name, params_json=orjson.dumps(params))
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await operator.SendCommand(request, metadata=admin)
        return info.value.code()

    assert await code_of("reset", {"type": "sideways"}) == grpc.StatusCode.INVALID_ARGUMENT
    assert await code_of("self-destruct", {}) == grpc.StatusCode.NOT_FOUND
    assert await code_of("reset", {}) == grpc.StatusCode.FAILED_PRECONDITION  # offline
    url = f"ws://127.0.0.1:{allinone.gateway_port}/ocpp"
    async with raw_charger(url, "GRPC-NEUTRAL", "1.6"):
        await _registered(allinone, "GRPC-NEUTRAL")
        assert await code_of("reset", {"evse_id": 1}) == grpc.StatusCode.INVALID_ARGUMENT  # not expressible in 1.6
