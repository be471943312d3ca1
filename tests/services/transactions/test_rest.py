"""REST: /v1/transactions (filters, cursor pagination), /v1/transactions/{id}, meter values."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from chargeplane.runtime.components import AllInOne
from tests.chargers import raw_charger
from tests.eventually import eventually

AddToken = Callable[..., Awaitable[Any]]


@pytest.fixture
async def http(cs: AllInOne) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{cs.api_port}", headers={"Authorization": f"Bearer {cs.api_token}"}
    ) as client:
        yield client


async def test_transactions_and_meter_values_over_rest(
    cs: AllInOne, ocpp_url: str, add_token: AddToken, http: httpx.AsyncClient
) -> None:
    await add_token("R1")
    await add_token("R2")
    async with raw_charger(ocpp_url, "site-a/CP-REST", "1.6") as c:
        await c.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
        ids = []
        for i in range(5):
            tag = "R1" if i % 2 == 0 else "R2"
            start = {"connectorId": 1 + i, "idTag": tag, "meterStart": 1000 * i, "timestamp": f"2026-11-23T1{i}:00:00Z"}
            ids.append((await c.call("StartTransaction", start))[2]["transactionId"])
        mv = {
            "connectorId": 1,
            "transactionId": ids[0],
            "meterValue": [
                {"timestamp": f"2026-11-23T10:{m:02d}:00Z", "sampledValue": [{"value": str(10 + m), "unit": "Wh"}]}
                for m in range(1, 31)
            ],
        }
        assert (await c.call("MeterValues", mv))[0] == 3
        stop = {"transactionId": ids[0], "meterStop": 1000, "timestamp": "2026-11-23T10:45:00Z"}
        assert (await c.call("StopTransaction", stop))[0] == 3
    async with raw_charger(ocpp_url, "CP-REST-2", "2.0.1") as c2:
        await c2.call("BootNotification", {"chargingStation": {"vendorName": "V", "model": "M"}, "reason": "PowerUp"})
        ev = {
            "eventType": "Started",
            "timestamp": "2026-11-23T09:00:00Z",
            "triggerReason": "CablePluggedIn",
            "seqNo": 0,
            "transactionInfo": {"transactionId": "abc-201"},
        }
        assert (await c2.call("TransactionEvent", ev))[0] == 3

    async def stored() -> bool:
        n = await cs.pool.fetchval("SELECT count(*) FROM meter_values WHERE charge_point_id = 'CP-REST'")
        return bool(n == 30)

    await eventually(stored)

    everything = (await http.get("/v1/transactions")).json()
    assert [t["id"] for t in everything["items"]][:5] == list(reversed(ids))  # newest start first
    assert everything["items"][-1]["transaction_ref"] == "abc-201"
    # Cursor pagination walks everything once.
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await http.get("/v1/transactions", params=params)).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(t["id"] for t in everything["items"]) and len(seen) == 6
    by_tag = (await http.get("/v1/transactions", params={"id_tag": "R2"})).json()["items"]
    assert {t["id"] for t in by_tag} == {ids[1], ids[3]}
    ended = (await http.get("/v1/transactions", params={"state": "Ended"})).json()["items"]
    assert [t["id"] for t in ended] == [ids[0]]
    site = (await http.get("/v1/transactions", params={"site": "site-a", "charge_point_id": "CP-REST"})).json()
    assert len(site["items"]) == 5
    window = await http.get("/v1/transactions", params={"from": "2026-11-23T11:00:00Z", "to": "2026-11-23T13:00:00Z"})
    assert [t["id"] for t in window.json()["items"]] == [ids[2], ids[1]]
    assert (await http.get("/v1/transactions", params={"cursor": "garbage"})).status_code == 400
    assert (await http.get("/v1/transactions", params={"state": "Open"})).status_code == 422

    detail = (await http.get(f"/v1/transactions/{ids[0]}")).json()
    assert detail["state"] == "Ended" and detail["energy_wh"] == 1000.0 and detail["site"] == "site-a"
    assert len(detail["meter_values"]) == 30
    assert detail["meter_values"][0]["value"] == 11.0 and detail["meter_values"][0]["raw_value"] == "11"
    missing = await http.get("/v1/transactions/999999")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")

    url = "/v1/chargepoints/CP-REST/meter-values"
    values = (await http.get(url, params={"from": "2026-11-23T10:00:00Z", "to": "2026-11-23T10:10:00Z"})).json()
    assert [v["raw_value"] for v in values["items"]] == [str(10 + m) for m in range(1, 10)]
    pages: list[str] = []
    cursor = None
    while True:
        params = {"from": "2026-11-23T00:00:00Z", "to": "2026-11-24T00:00:00Z", "limit": 7}
        if cursor:
            params["cursor"] = cursor
        page = (await http.get(url, params=params)).json()
        pages += [v["raw_value"] for v in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [str(10 + m) for m in range(1, 31)]
    backwards = await http.get(url, params={"from": "2026-11-24T00:00:00Z", "to": "2026-11-23T00:00:00Z"})
    assert backwards.status_code == 400
    assert (await http.get(url, params={"from": "2026-11-23T00:00:00Z"})).status_code == 422
    assert (await http.get("/v1/transactions", headers={"Authorization": "Bearer bad"})).status_code == 401
