"""Commands through the REST API reach the charger and every one is recorded."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from chargeplane.routing.presence import PresenceRegistry
from chargeplane.runtime.components import AllInOne
from tests.chargers import RawCharger, raw_charger
from tests.eventually import eventually
from tests.routing.conftest import make_token


async def _registered(allinone: AllInOne, cp_id: str) -> None:
    presence = PresenceRegistry(allinone.redis)
    await eventually(lambda: presence.lookup(cp_id), timeout=5)


async def _answer(charger: RawCharger, reply: list[Any]) -> list[Any]:
    incoming = await charger.recv()
    await charger.send([reply[0], incoming[1], *reply[1:]])
    return incoming


async def test_raw_command_round_trip_and_audit(allinone: AllInOne, api: httpx.AsyncClient) -> None:
    url = f"ws://127.0.0.1:{allinone.gateway_port}/ocpp"
    async with raw_charger(url, "CMD-1", "1.6") as charger:
        await _registered(allinone, "CMD-1")
        request = asyncio.create_task(api.post("/v1/chargepoints/CMD-1/ocpp/Reset", json={"type": "Hard"}))
        incoming = await _answer(charger, [3, {"status": "Accepted"}])
        assert incoming[2:] == ["Reset", {"type": "Hard"}]
        response = await request
        assert response.status_code == 200, response.text
        command = response.json()
        assert command["status"] == "answered" and command["result"] == {"status": "Accepted"}
        assert command["gateway"] == allinone.settings.pod_name and command["protocol"] == "ocpp1.6"
        assert command["requested_by"] and command["message_id"] == incoming[1]
        stored = (await api.get(f"/v1/commands/{command['id']}")).json()
        assert stored == command

        request = asyncio.create_task(api.post("/v1/chargepoints/CMD-1/ocpp/ClearCache", json={}))
        await _answer(charger, [4, "NotSupported", "no cache", {}])
        failed = (await request).json()
        assert (failed["status"], failed["error_code"], failed["result"]) == ("call_error", "NotSupported", None)

    listing = (await api.get("/v1/commands", params={"charge_point_id": "CMD-1", "limit": 1})).json()
    assert len(listing["items"]) == 1 and listing["items"][0]["action"] == "ClearCache"
    older = (
        await api.get("/v1/commands", params={"charge_point_id": "CMD-1", "cursor": listing["next_cursor"]})
    ).json()
    assert [c["action"] for c in older["items"]] == ["Reset"] and older["next_cursor"] is None


async def test_offline_charger_is_a_fast_409(allinone: AllInOne, api: httpx.AsyncClient) -> None:
    started = time.monotonic()
    response = await api.post("/v1/chargepoints/NOT-HERE/ocpp/Reset", json={"type": "Soft"})
    assert time.monotonic() - started < 1.0
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert "not connected" in problem["detail"]
    record = (await api.get(f"/v1/commands/{problem['command_id']}")).json()
    assert record["status"] == "offline"


async def test_invalid_payload_timeout_and_scope(allinone: AllInOne, api: httpx.AsyncClient) -> None:
    url = f"ws://127.0.0.1:{allinone.gateway_port}/ocpp"
    async with raw_charger(url, "CMD-2", "2.0.1") as charger:
        await _registered(allinone, "CMD-2")
        invalid = await api.post("/v1/chargepoints/CMD-2/ocpp/Reset", json={"type": "Hard"})  # 2.0.1: Immediate/OnIdle
        assert invalid.status_code == 422, invalid.text
        assert "Reset" in invalid.json()["detail"]
        slow = await api.post("/v1/chargepoints/CMD-2/ocpp/ClearCache", json={}, params={"timeout": 0.3})
        assert slow.status_code == 504
        await charger.recv()  # the CALL did reach the charger
        reader = await make_token(allinone, "reader", ["read"])
        denied = await api.post(
            "/v1/chargepoints/CMD-2/ocpp/ClearCache", json={}, headers={"Authorization": f"Bearer {reader}"}
        )
        assert denied.status_code == 403
    unknown = await api.get("/v1/commands/00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404
