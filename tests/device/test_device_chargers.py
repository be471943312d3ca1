"""Real chargers over real sockets: device state they report is stored; desired
configuration is pushed after an accepted boot and the results recorded."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from chargeplane.pb.registry.v1 import registry_pb2 as pb
from tests.chargers import RawCharger, raw_charger

if TYPE_CHECKING:
    from chargeplane.pb.registry.v1.registry_pb2_grpc import RegistryServiceAsyncStub

BOOT16 = {"chargePointVendor": "Acme", "chargePointModel": "Volt"}
BOOT201 = {"reason": "PowerUp", "chargingStation": {"vendorName": "Acme", "model": "Volt"}}
NOW = "2026-11-23T20:00:00Z"


async def _boot(charger: RawCharger, version: str) -> list[Any]:
    reply = await charger.call("BootNotification", BOOT16 if version == "1.6" else BOOT201)
    assert reply[0] == 3 and reply[2]["status"] == "Accepted", reply
    return reply


async def _notifications(registry: RegistryServiceAsyncStub, cp_id: str) -> list[tuple[str, str, int | None]]:
    found = await registry.ListNotifications(pb.ListNotificationsRequest(charge_point_id=cp_id))
    return [
        (n.kind, n.status, n.request_id if n.HasField("request_id") else None) for n in reversed(found.notifications)
    ]


async def test_status_notifications_of_16_are_stored(ocpp_url: str, registry: RegistryServiceAsyncStub) -> None:
    async with raw_charger(ocpp_url, "DEV16", "1.6") as charger:
        await _boot(charger, "1.6")
        for action, payload in [
            ("FirmwareStatusNotification", {"status": "Downloading"}),
            ("FirmwareStatusNotification", {"status": "Installed"}),
            ("DiagnosticsStatusNotification", {"status": "Uploaded"}),
            ("LogStatusNotification", {"status": "Uploading", "requestId": 12}),
            ("SignedFirmwareStatusNotification", {"status": "SignatureVerified", "requestId": 3}),
            ("SecurityEventNotification", {"type": "FirmwareUpdated", "timestamp": NOW, "techInfo": "v2"}),
        ]:
            reply = await charger.call(action, payload)
            assert reply[0] == 3 and reply[2] == {}, reply
        # a malformed one is refused with the spec's error and nothing is stored
        bad = await charger.call("FirmwareStatusNotification", {"status": "Exploded"})
        assert bad[0] == 4 and bad[2] == "PropertyConstraintViolation"
    assert await _notifications(registry, "DEV16") == [
        ("FirmwareStatusNotification", "Downloading", None),
        ("FirmwareStatusNotification", "Installed", None),
        ("DiagnosticsStatusNotification", "Uploaded", None),
        ("LogStatusNotification", "Uploading", 12),
        ("SignedFirmwareStatusNotification", "SignatureVerified", 3),
        ("SecurityEventNotification", "FirmwareUpdated", None),
    ]


async def test_device_state_of_201_is_stored(ocpp_url: str, registry: RegistryServiceAsyncStub) -> None:
    part1 = {
        "requestId": 5,
        "generatedAt": NOW,
        "tbc": True,
        "seqNo": 0,
        "reportData": [
            {
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
                "variableAttribute": [{"type": "Actual", "value": "300", "mutability": "ReadWrite"}],
                "variableCharacteristics": {"dataType": "integer", "unit": "s", "supportsMonitoring": False},
            }
        ],
    }
    part2 = {
        "requestId": 5,
        "generatedAt": NOW,
        "tbc": False,
        "seqNo": 1,
        "reportData": [
            {
                "component": {"name": "EVSE", "evse": {"id": 1}},
                "variable": {"name": "Power"},
                "variableAttribute": [
                    {"type": "Actual", "value": "0", "mutability": "ReadOnly"},
                    {"type": "MaxSet", "value": "22000", "mutability": "ReadOnly"},
                ],
            },
            {
                "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
                "variable": {"name": "AvailabilityState"},
                "variableAttribute": [{"value": "Available"}],
            },
        ],
    }
    event = {
        "generatedAt": NOW,
        "seqNo": 0,
        "eventData": [
            {
                "eventId": 1,
                "timestamp": NOW,
                "trigger": "Delta",
                "actualValue": "Occupied",
                "eventNotificationType": "HardWiredNotification",
                "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
                "variable": {"name": "AvailabilityState"},
            }
        ],
    }
    async with raw_charger(ocpp_url, "DEV201", "2.0.1") as charger:
        await _boot(charger, "2.0.1")
        for action, payload in [
            ("NotifyReport", part1),
            ("NotifyReport", part2),
            ("NotifyEvent", event),
            ("FirmwareStatusNotification", {"status": "Installing", "requestId": 9}),
            ("LogStatusNotification", {"status": "UploadFailure", "requestId": 4}),
            ("SecurityEventNotification", {"type": "TamperDetectionActivated", "timestamp": NOW}),
        ]:
            reply = await charger.call(action, payload)
            assert reply[0] == 3 and reply[2] == {}, reply
    model = await registry.GetDeviceModel(pb.GetDeviceModelRequest(charge_point_id="DEV201"))
    values = {(v.key, v.attribute_type): (v.value, v.readonly) for v in model.variables}
    assert values == {
        ("OCPPCommCtrlr/HeartbeatInterval", "Actual"): ("300", False),
        ("EVSE[1]/Power", "Actual"): ("0", True),
        ("EVSE[1]/Power", "MaxSet"): ("22000", True),
        ("Connector[1.1]/AvailabilityState", "Actual"): ("Occupied", False),  # the event updated it
    }
    heartbeat = next(v for v in model.variables if v.variable == "HeartbeatInterval")
    assert json.loads(heartbeat.characteristics_json)["unit"] == "s"
    assert await _notifications(registry, "DEV201") == [
        ("NotifyEvent", "Delta", None),
        ("FirmwareStatusNotification", "Installing", 9),
        ("LogStatusNotification", "UploadFailure", 4),
        ("SecurityEventNotification", "TamperDetectionActivated", None),
    ]


async def _desire(registry: RegistryServiceAsyncStub, cp_id: str, settings: dict[str, str]) -> None:
    await registry.UpsertChargePoint(pb.UpsertChargePointRequest(charge_point_id=cp_id))
    await registry.SetDesiredConfiguration(
        pb.SetDesiredConfigurationRequest(
            charge_point_id=cp_id, settings=[pb.ConfigurationSetting(key=k, value=v) for k, v in settings.items()]
        )
    )


async def _results(registry: RegistryServiceAsyncStub, cp_id: str) -> dict[str, tuple[str, bool]]:
    for _ in range(100):
        found = await registry.GetDesiredConfiguration(pb.GetDesiredConfigurationRequest(charge_point_id=cp_id))
        if all(s.last_result for s in found.settings):
            return {s.key: (s.last_result, s.pending) for s in found.settings}
        await asyncio.sleep(0.05)
    raise AssertionError(f"results never recorded: {found}")


async def test_desired_configuration_is_pushed_to_a_16_charger(
    ocpp_url: str, registry: RegistryServiceAsyncStub
) -> None:
    await _desire(
        registry,
        "PUSH16",
        {
            "HeartbeatInterval": "120",
            "OCPPCommCtrlr/WebSocketPingInterval": "30",  # translated to the 1.6 key
            "MeterValuesSampledData": "Energy.Active.Import.Register,Power.Active.Import",
            "TxCtrlr/TxStartPoint": "PowerPathClosed",  # no 1.6 equivalent: never sent
            "VendorThing": "on",
            "Silent": "1",
        },
    )
    answers = {
        "HeartbeatInterval": "Accepted",
        "WebSocketPingInterval": "RebootRequired",
        "MeterValuesSampledData": "Rejected",
        "VendorThing": "NotSupported",
    }
    async with raw_charger(ocpp_url, "PUSH16", "1.6") as charger:
        await charger.send([2, "boot-1", "BootNotification", BOOT16])
        first = await charger.recv()
        assert first[:2] == [3, "boot-1"] and first[2]["status"] == "Accepted"  # the answer comes first
        sent = []
        for _ in range(5):
            call = await charger.recv()
            assert call[0] == 2 and call[2] == "ChangeConfiguration"
            sent.append(call[3])
            key = call[3]["key"]
            if key == "Silent":
                continue  # never answered: times out (call_timeout 1 s)
            await charger.send([3, call[1], {"status": answers[key]}])
        assert sorted(s["key"] for s in sent) == sorted([*answers, "Silent"])
        assert next(s for s in sent if s["key"] == "MeterValuesSampledData")["value"] == (
            "Energy.Active.Import.Register,Power.Active.Import"
        )
        results = await _results(registry, "PUSH16")
        assert results == {
            "HeartbeatInterval": ("Accepted", False),
            "OCPPCommCtrlr/WebSocketPingInterval": ("RebootRequired", True),
            "MeterValuesSampledData": ("Rejected", False),
            "TxCtrlr/TxStartPoint": ("Unsupported", False),
            "VendorThing": ("NotSupported", False),
            "Silent": ("Timeout", True),
        }
        model = await registry.GetDeviceModel(pb.GetDeviceModelRequest(charge_point_id="PUSH16"))
        assert [(v.key, v.value) for v in model.variables] == [("HeartbeatInterval", "120")]

        # the reboot: only what is still pending is pushed again
        await charger.send([2, "boot-2", "BootNotification", BOOT16])
        assert (await charger.recv())[1] == "boot-2"
        again = []
        for _ in range(2):
            call = await charger.recv()
            again.append(call[3]["key"])
            await charger.send([3, call[1], {"status": "Accepted"}])
        assert sorted(again) == ["Silent", "WebSocketPingInterval"]
        for _ in range(100):
            results = await _results(registry, "PUSH16")
            if results["Silent"][0] == "Accepted":
                break
            await asyncio.sleep(0.05)
        assert results["Silent"] == ("Accepted", False)
        assert results["OCPPCommCtrlr/WebSocketPingInterval"] == ("Accepted", False)
        # nothing else arrives
        try:
            extra = await charger.recv(timeout=0.3)
        except TimeoutError:
            extra = None
        assert extra is None


async def test_desired_configuration_is_pushed_to_a_201_charger(
    ocpp_url: str, registry: RegistryServiceAsyncStub
) -> None:
    await _desire(
        registry,
        "PUSH201",
        {
            "HeartbeatInterval": "120",  # the standard 1.6 key maps to OCPPCommCtrlr/HeartbeatInterval
            "TxCtrlr/TxStartPoint": "PowerPathClosed",
            "EVSE[1]/Power": "11000",
            "Vendor#a/Thing#b": "1",
            "VendorOnlyKey": "x",  # a 1.6 key with no 2.0.1 variable: not sent
        },
    )
    statuses = {
        "HeartbeatInterval": "Accepted",
        "TxStartPoint": "RebootRequired",
        "Power": "Rejected",
        "Thing": "UnknownComponent",
    }
    async with raw_charger(ocpp_url, "PUSH201", "2.0.1") as charger:
        await charger.send([2, "boot-1", "BootNotification", BOOT201])
        assert (await charger.recv())[:2] == [3, "boot-1"]
        call = await charger.recv()
        assert call[2] == "SetVariables"
        data = call[3]["setVariableData"]
        assert sorted((d["component"]["name"], d["variable"]["name"], d["attributeValue"]) for d in data) == [
            ("EVSE", "Power", "11000"),
            ("OCPPCommCtrlr", "HeartbeatInterval", "120"),
            ("TxCtrlr", "TxStartPoint", "PowerPathClosed"),
            ("Vendor", "Thing", "1"),
        ]
        vendor = next(d for d in data if d["component"]["name"] == "Vendor")
        assert vendor["component"]["instance"] == "a" and vendor["variable"]["instance"] == "b"
        answer = [
            {
                "attributeStatus": statuses[d["variable"]["name"]],
                "component": d["component"],
                "variable": d["variable"],
            }
            for d in data
        ]
        await charger.send([3, call[1], {"setVariableResult": answer}])
        results = await _results(registry, "PUSH201")
    assert results == {
        "HeartbeatInterval": ("Accepted", False),
        "TxCtrlr/TxStartPoint": ("RebootRequired", True),
        "EVSE[1]/Power": ("Rejected", False),
        "Vendor#a/Thing#b": ("UnknownComponent", False),
        "VendorOnlyKey": ("Unsupported", False),
    }
    model = await registry.GetDeviceModel(pb.GetDeviceModelRequest(charge_point_id="PUSH201"))
    assert [(v.key, v.value) for v in model.variables] == [("OCPPCommCtrlr/HeartbeatInterval", "120")]


async def test_nothing_is_pushed_when_the_boot_is_not_accepted(
    ocpp_url: str, registry: RegistryServiceAsyncStub
) -> None:
    await _desire(registry, "PUSH-REJ", {"HeartbeatInterval": "120"})
    await registry.UpsertChargePoint(
        pb.UpsertChargePointRequest(charge_point_id="PUSH-REJ", allowed_protocols=["ocpp2.0.1"])
    )
    async with raw_charger(ocpp_url, "PUSH-REJ", "1.6") as charger:
        reply = await charger.call("BootNotification", BOOT16)
        assert reply[2]["status"] != "Accepted"
        try:
            extra = await charger.recv(timeout=0.3)
        except TimeoutError:
            extra = None
        assert extra is None
    found = await registry.GetDesiredConfiguration(pb.GetDesiredConfigurationRequest(charge_point_id="PUSH-REJ"))
    assert [(s.key, s.pending, s.last_result) for s in found.settings] == [("HeartbeatInterval", True, "")]
