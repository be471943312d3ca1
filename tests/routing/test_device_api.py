"""Desired configuration pushed at boot, reported configuration and notifications over REST."""

from __future__ import annotations

import asyncio

import httpx

from chargeplane.runtime.components import AllInOne
from tests.chargers import raw_charger
from tests.eventually import eventually
from tests.routing.test_commands_api import _answer, _registered


async def test_configuration_device_model_and_notifications(allinone: AllInOne, api: httpx.AsyncClient) -> None:
    put = await api.put(
        "/v1/chargepoints/DEV-1/configuration", json={"settings": [{"key": "HeartbeatInterval", "value": "120"}]}
    )
    assert put.status_code == 404  # not registered yet: nothing to configure
    assert (await api.put("/v1/chargepoints/DEV-1", json={})).status_code == 201
    put = await api.put(
        "/v1/chargepoints/DEV-1/configuration", json={"settings": [{"key": "HeartbeatInterval", "value": "120"}]}
    )
    assert put.status_code == 200, put.text
    assert [(s["key"], s["value"], s["pending"]) for s in put.json()] == [("HeartbeatInterval", "120", True)]

    url = f"ws://127.0.0.1:{allinone.gateway_port}/ocpp"
    async with raw_charger(url, "DEV-1", "1.6") as charger:
        boot = await charger.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
        assert boot[2]["status"] == "Accepted"
        pushed = await _answer(charger, [3, {"status": "Accepted"}])
        assert pushed[2:] == ["ChangeConfiguration", {"key": "HeartbeatInterval", "value": "120"}]

        async def pushed_ok() -> bool:
            settings = (await api.get("/v1/chargepoints/DEV-1/configuration")).json()
            return settings[0]["last_result"] == "Accepted" and not settings[0]["pending"]

        await eventually(pushed_ok, timeout=5)

        await _registered(allinone, "DEV-1")
        request = asyncio.create_task(api.post("/v1/chargepoints/DEV-1/commands/get-configuration", json={}))
        keys = [
            {"key": "MeterValueSampleInterval", "readonly": False, "value": "60"},
            {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
        ]
        await _answer(charger, [3, {"configurationKey": keys, "unknownKey": []}])
        assert (await request).status_code == 200

        reply = await charger.call("FirmwareStatusNotification", {"status": "Downloading"})
        assert reply[0] == 3
    model = {v["key"]: v for v in (await api.get("/v1/chargepoints/DEV-1/device-model")).json()}
    assert model["HeartbeatInterval"]["value"] == "120"
    assert model["NumberOfConnectors"]["readonly"] is True and model["MeterValueSampleInterval"]["value"] == "60"
    notices = (await api.get("/v1/chargepoints/DEV-1/notifications")).json()["items"]
    assert [(n["kind"], n["status"]) for n in notices] == [("FirmwareStatusNotification", "Downloading")]


async def test_201_reports_are_acknowledged_and_kept(allinone: AllInOne, api: httpx.AsyncClient) -> None:
    reports = [
        ("ReservationStatusUpdate", {"reservationId": 7, "reservationUpdateStatus": "Expired"}, "Expired"),
        ("ClearedChargingLimit", {"chargingLimitSource": "EMS", "evseId": 1}, "EMS"),
        ("NotifyChargingLimit", {"chargingLimit": {"chargingLimitSource": "SO"}}, "SO"),
        ("PublishFirmwareStatusNotification", {"status": "Published"}, "Published"),
        ("NotifyDisplayMessages", {"requestId": 3}, "Report"),
        (
            "NotifyCustomerInformation",
            {"data": "x", "seqNo": 0, "generatedAt": "2026-11-23T10:00:00Z", "requestId": 4},
            "Report",
        ),
        ("NotifyMonitoringReport", {"requestId": 5, "seqNo": 0, "generatedAt": "2026-11-23T10:00:00Z"}, "Report"),
    ]
    url = f"ws://127.0.0.1:{allinone.gateway_port}/ocpp"
    async with raw_charger(url, "DEV-2", "2.0.1") as charger:
        boot = {"reason": "PowerUp", "chargingStation": {"vendorName": "V", "model": "M"}}
        assert (await charger.call("BootNotification", boot))[2]["status"] == "Accepted"
        for action, payload, _ in reports:
            reply = await charger.call(action, payload)
            assert reply[:3] == [3, reply[1], {}], (action, reply)
        bad = await charger.call("ReservationStatusUpdate", {"reservationId": 7, "reservationUpdateStatus": "Gone"})
        assert bad[0] == 4 and bad[2] == "PropertyConstraintViolation"
    notices = (await api.get("/v1/chargepoints/DEV-2/notifications")).json()["items"]
    assert sorted((n["kind"], n["status"]) for n in notices) == sorted((a, s) for a, _, s in reports)
