"""Registry RPCs for notifications, the device model and desired configuration, on real
PostgreSQL through the real gRPC server."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import grpc
import pytest

from chargeplane.pb.registry.v1 import registry_pb2 as pb
from tests.registry.helpers import boot

if TYPE_CHECKING:
    from chargeplane.pb.registry.v1.registry_pb2_grpc import RegistryServiceAsyncStub


async def _code(call: object) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call  # type: ignore[misc]
    return info.value.code()


async def test_notifications_are_stored_and_listed(registry: RegistryServiceAsyncStub) -> None:
    await registry.UpsertChargePoint(pb.UpsertChargePointRequest(charge_point_id="DEV-N"))
    for i, status in enumerate(["Downloading", "Downloaded", "Installing", "Installed"]):
        await registry.RecordNotification(
            pb.RecordNotificationRequest(
                charge_point_id="DEV-N",
                kind="FirmwareStatusNotification",
                status=status,
                request_id=7,
                payload_json=json.dumps({"status": status, "requestId": 7, "i": i}).encode(),
            )
        )
    await registry.RecordNotification(
        pb.RecordNotificationRequest(charge_point_id="DEV-N", kind="LogStatusNotification", status="Uploaded")
    )
    first = await registry.ListNotifications(pb.ListNotificationsRequest(charge_point_id="DEV-N", page_size=3))
    assert [n.status for n in first.notifications] == ["Uploaded", "Installed", "Installing"]
    assert not first.notifications[0].HasField("request_id")
    rest = await registry.ListNotifications(
        pb.ListNotificationsRequest(charge_point_id="DEV-N", page_size=3, page_token=first.next_page_token)
    )
    assert [n.status for n in rest.notifications] == ["Downloaded", "Downloading"] and not rest.next_page_token
    assert json.loads(rest.notifications[1].payload_json) == {"status": "Downloading", "requestId": 7, "i": 0}
    firmware = await registry.ListNotifications(
        pb.ListNotificationsRequest(charge_point_id="DEV-N", kind="FirmwareStatusNotification")
    )
    assert len(firmware.notifications) == 4 and all(n.request_id == 7 for n in firmware.notifications)

    assert (
        await _code(
            registry.RecordNotification(pb.RecordNotificationRequest(charge_point_id="NOBODY", kind="K", status="S"))
        )
        == grpc.StatusCode.NOT_FOUND
    )
    assert (
        await _code(
            registry.RecordNotification(
                pb.RecordNotificationRequest(charge_point_id="DEV-N", kind="K", status="S", payload_json=b"{no")
            )
        )
        == grpc.StatusCode.INVALID_ARGUMENT
    )
    assert (
        await _code(
            registry.ListNotifications(pb.ListNotificationsRequest(charge_point_id="DEV-N", page_token="garbage"))
        )
        == grpc.StatusCode.INVALID_ARGUMENT
    )


async def test_device_variables_upsert_and_read(registry: RegistryServiceAsyncStub) -> None:
    await registry.UpsertChargePoint(pb.UpsertChargePointRequest(charge_point_id="DEV-V"))
    first = [
        pb.DeviceVariable(component="OCPPCommCtrlr", variable="HeartbeatInterval", value="300", readonly=False),
        pb.DeviceVariable(
            component="EVSE", evse_id=1, variable="Power", attribute_type="MaxSet", value="22000",
            characteristics_json=b'{"unit": "W", "dataType": "decimal"}',
        ),
        pb.DeviceVariable(component="", variable="NumberOfConnectors", value="2", readonly=True),
    ]  # fmt: skip
    assert (
        await registry.RecordDeviceVariables(pb.RecordDeviceVariablesRequest(charge_point_id="DEV-V", variables=first))
    ).stored == 3
    update = [pb.DeviceVariable(component="OCPPCommCtrlr", variable="HeartbeatInterval", value="60")]
    await registry.RecordDeviceVariables(pb.RecordDeviceVariablesRequest(charge_point_id="DEV-V", variables=update))
    model = await registry.GetDeviceModel(pb.GetDeviceModelRequest(charge_point_id="DEV-V"))
    by_key = {(v.key, v.attribute_type): v for v in model.variables}
    assert set(by_key) == {
        ("NumberOfConnectors", "Actual"),
        ("EVSE[1]/Power", "MaxSet"),
        ("OCPPCommCtrlr/HeartbeatInterval", "Actual"),
    }
    heartbeat = by_key[("OCPPCommCtrlr/HeartbeatInterval", "Actual")]
    assert heartbeat.value == "60" and heartbeat.readonly is False  # readonly kept from the first report
    power = by_key[("EVSE[1]/Power", "MaxSet")]
    assert power.evse_id == 1 and not power.HasField("connector_id")
    assert json.loads(power.characteristics_json) == {"unit": "W", "dataType": "decimal"}
    only_evse = await registry.GetDeviceModel(pb.GetDeviceModelRequest(charge_point_id="DEV-V", component="EVSE"))
    assert [v.key for v in only_evse.variables] == ["EVSE[1]/Power"]
    assert await _code(registry.GetDeviceModel(pb.GetDeviceModelRequest(charge_point_id="NOBODY"))) == (
        grpc.StatusCode.NOT_FOUND
    )
    bad = [pb.DeviceVariable(component="C", variable="")]
    assert (
        await _code(
            registry.RecordDeviceVariables(pb.RecordDeviceVariablesRequest(charge_point_id="DEV-V", variables=bad))
        )
        == grpc.StatusCode.INVALID_ARGUMENT
    )


async def test_desired_configuration_lifecycle(registry: RegistryServiceAsyncStub) -> None:
    await registry.UpsertChargePoint(pb.UpsertChargePointRequest(charge_point_id="DEV-D"))

    def setting(key: str, value: str) -> pb.ConfigurationSetting:
        return pb.ConfigurationSetting(key=key, value=value)

    reply = await registry.SetDesiredConfiguration(
        pb.SetDesiredConfigurationRequest(
            charge_point_id="DEV-D",
            settings=[
                setting("HeartbeatInterval", "120"),
                setting("MeterValueSampleInterval", "30"),
                setting("X", "1"),
            ],
        )
    )
    assert [(s.key, s.pending, s.last_result) for s in reply.settings] == [
        ("HeartbeatInterval", True, ""),
        ("MeterValueSampleInterval", True, ""),
        ("X", True, ""),
    ]
    await registry.RecordConfigurationResults(
        pb.RecordConfigurationResultsRequest(
            charge_point_id="DEV-D",
            protocol=pb.PROTOCOL_OCPP16,
            results=[
                pb.ConfigurationResult(key="HeartbeatInterval", value="120", result="Accepted"),
                pb.ConfigurationResult(key="MeterValueSampleInterval", value="30", result="RebootRequired"),
                pb.ConfigurationResult(key="X", value="1", result="NotSupported"),
            ],
        )
    )
    pending = await registry.GetDesiredConfiguration(
        pb.GetDesiredConfigurationRequest(charge_point_id="DEV-D", pending_only=True)
    )
    assert [(s.key, s.last_result) for s in pending.settings] == [("MeterValueSampleInterval", "RebootRequired")]
    # the accepted value is now the charger's configuration
    model = await registry.GetDeviceModel(pb.GetDeviceModelRequest(charge_point_id="DEV-D"))
    assert [(v.key, v.value) for v in model.variables] == [("HeartbeatInterval", "120")]

    # a changed value is pending again; an unchanged one keeps its result
    await registry.SetDesiredConfiguration(
        pb.SetDesiredConfigurationRequest(
            charge_point_id="DEV-D", settings=[setting("HeartbeatInterval", "120"), setting("X", "2")]
        )
    )
    every = await registry.GetDesiredConfiguration(pb.GetDesiredConfigurationRequest(charge_point_id="DEV-D"))
    assert [(s.key, s.value, s.pending, s.last_result) for s in every.settings] == [
        ("HeartbeatInterval", "120", False, "Accepted"),
        ("MeterValueSampleInterval", "30", True, "RebootRequired"),
        ("X", "2", True, ""),
    ]
    # a late result for the old value of X is ignored
    late = await registry.RecordConfigurationResults(
        pb.RecordConfigurationResultsRequest(
            charge_point_id="DEV-D", results=[pb.ConfigurationResult(key="X", value="1", result="Rejected")]
        )
    )
    assert late.updated == 0

    # the Boot reply carries what is pending, only when accepted
    reply_boot = await registry.Boot(boot("DEV-D", pb.PROTOCOL_OCPP16))
    assert [(s.key, s.value) for s in reply_boot.pending_configuration] == [
        ("MeterValueSampleInterval", "30"),
        ("X", "2"),
    ]

    # declarative replace, and removal
    replaced = await registry.SetDesiredConfiguration(
        pb.SetDesiredConfigurationRequest(
            charge_point_id="DEV-D", settings=[setting("OCPPCommCtrlr/HeartbeatInterval", "90")], replace=True
        )
    )
    assert [s.key for s in replaced.settings] == ["OCPPCommCtrlr/HeartbeatInterval"]
    removed = await registry.SetDesiredConfiguration(
        pb.SetDesiredConfigurationRequest(charge_point_id="DEV-D", remove_keys=["OCPPCommCtrlr/HeartbeatInterval"])
    )
    assert list(removed.settings) == []

    for bad in (
        pb.SetDesiredConfigurationRequest(charge_point_id="DEV-D", settings=[setting("A/B/C", "1")]),
        pb.SetDesiredConfigurationRequest(charge_point_id="DEV-D", settings=[setting("", "1")]),
        pb.SetDesiredConfigurationRequest(charge_point_id="DEV-D", settings=[setting("K", "1"), setting("K", "2")]),
        pb.SetDesiredConfigurationRequest(charge_point_id="DEV-D", settings=[setting("K", "x" * 1001)]),
    ):
        assert await _code(registry.SetDesiredConfiguration(bad)) == grpc.StatusCode.INVALID_ARGUMENT
    assert (
        await _code(
            registry.SetDesiredConfiguration(
                pb.SetDesiredConfigurationRequest(charge_point_id="NOBODY", settings=[setting("K", "1")])
            )
        )
        == grpc.StatusCode.NOT_FOUND
    )
