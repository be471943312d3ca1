"""Local authorization lists computed from the id tokens and sent with SendLocalList."""

from __future__ import annotations

import asyncio

import httpx

from chargeplane.runtime.components import AllInOne
from tests.chargers import raw_charger
from tests.routing.test_commands_api import _answer, _registered


async def test_full_then_differential_local_list(allinone: AllInOne, api: httpx.AsyncClient) -> None:
    for token, status in (("TAG-A", "Accepted"), ("TAG-B", "Blocked")):
        assert (await api.put(f"/v1/id-tokens/{token}", json={"status": status})).status_code in (200, 201)
    url = f"ws://127.0.0.1:{allinone.gateway_port}/ocpp"
    async with raw_charger(url, "LL-1", "1.6") as charger:
        await charger.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
        await _registered(allinone, "LL-1")

        sync = asyncio.create_task(api.post("/v1/chargepoints/LL-1/local-list/sync"))
        sent = await _answer(charger, [3, {"status": "Accepted"}])
        assert sent[2] == "SendLocalList" and sent[3]["updateType"] == "Full"
        listed = {e["idTag"]: e["idTagInfo"]["status"] for e in sent[3]["localAuthorizationList"]}
        assert listed == {"TAG-A": "Accepted", "TAG-B": "Blocked"}
        first = (await sync).json()
        assert first["confirmed"] and first["entries"] == 2 and first["version"] == sent[3]["listVersion"]

        assert (await api.post("/v1/chargepoints/LL-1/local-list/sync")).json()["needed"] is False

        assert (await api.put("/v1/id-tokens/TAG-C", json={"status": "Accepted"})).status_code in (200, 201)
        sync = asyncio.create_task(api.post("/v1/chargepoints/LL-1/local-list/sync"))
        sent = await _answer(charger, [3, {"status": "Accepted"}])
        assert sent[3]["updateType"] == "Differential" and sent[3]["listVersion"] > first["version"]
        assert [e["idTag"] for e in sent[3]["localAuthorizationList"]] == ["TAG-C"]
        assert (await sync).json()["confirmed"]

        assert (await api.put("/v1/id-tokens/TAG-D", json={"status": "Accepted"})).status_code in (200, 201)
        sync = asyncio.create_task(api.post("/v1/chargepoints/LL-1/local-list/sync"))
        await _answer(charger, [3, {"status": "Failed"}])  # not accepted: the version is not recorded
        assert (await sync).json()["confirmed"] is False
        sync = asyncio.create_task(api.post("/v1/chargepoints/LL-1/local-list/sync"))
        again = await _answer(charger, [3, {"status": "Accepted"}])
        assert [e["idTag"] for e in again[3]["localAuthorizationList"]] == ["TAG-D"]
        assert (await sync).json()["confirmed"]
