"""Both OCPP versions boot, heartbeat and report status through the same domain calls."""

from __future__ import annotations

import asyncio

import grpc
from ocpp.v16 import call as call16
from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus, RegistrationStatus
from ocpp.v201 import call as call201
from ocpp.v201.datatypes import ChargingStationType
from ocpp.v201.enums import BootReasonEnumType, ConnectorStatusEnumType

from chargeplane.pb.registry.v1 import registry_pb2 as pb
from chargeplane.pb.registry.v1.registry_pb2_grpc import RegistryServiceStub
from chargeplane.runtime.components import AllInOne
from tests.chargers import library_charger


async def _get(allinone: AllInOne, cp_id: str) -> pb.ChargePoint:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{allinone.grpc_port}") as channel:
        reply = await RegistryServiceStub(channel).GetChargePoint(pb.GetChargePointRequest(charge_point_id=cp_id))
        return reply.charge_point


async def test_ocpp16_boot_heartbeat_status(allinone: AllInOne, ocpp_url: str) -> None:
    async with library_charger(ocpp_url, "CP16-1", "1.6") as cp:
        boot = await cp.call(
            call16.BootNotification(
                charge_point_vendor="VendorX",
                charge_point_model="ModelY",
                charge_point_serial_number="SN-16",
                firmware_version="1.2.3",
            )
        )
        assert boot.status == RegistrationStatus.accepted
        assert boot.interval == allinone.settings.heartbeat_interval
        assert boot.current_time.endswith("Z")
        beat = await cp.call(call16.Heartbeat())
        assert beat.current_time
        await cp.call(
            call16.StatusNotification(
                connector_id=1,
                error_code=ChargePointErrorCode.no_error,
                status=ChargePointStatus.charging,
                timestamp="2026-11-23T10:00:00Z",
            )
        )
        await asyncio.sleep(allinone.settings.activity_flush_interval * 3)
        stored = await _get(allinone, "CP16-1")
    assert stored.station.vendor == "VendorX"
    assert stored.station.serial_number == "SN-16"
    assert stored.station.firmware_version == "1.2.3"
    assert stored.protocol == "ocpp1.6"
    assert stored.HasField("last_seen_at")
    [connector] = stored.connectors
    assert (connector.evse_id, connector.connector_id) == (1, 1)
    assert (connector.status, connector.availability) == ("Charging", "Occupied")


async def test_ocpp201_boot_heartbeat_status(allinone: AllInOne, ocpp_url: str) -> None:
    async with library_charger(ocpp_url, "CP201-1", "2.0.1") as cp:
        boot = await cp.call(
            call201.BootNotification(
                charging_station=ChargingStationType(
                    vendor_name="VendorZ", model="M2", serial_number="SN-201", firmware_version="9.9"
                ),
                reason=BootReasonEnumType.power_up,
            )
        )
        assert boot.status == "Accepted"
        await cp.call(call201.Heartbeat())
        await cp.call(
            call201.StatusNotification(
                timestamp="2026-11-23T10:00:00.000Z",
                connector_status=ConnectorStatusEnumType.occupied,
                evse_id=2,
                connector_id=1,
            )
        )
        stored = await _get(allinone, "CP201-1")
        assert stored.connection.protocol == "ocpp2.0.1"
        assert stored.connection.gateway == allinone.settings.pod_name
    assert stored.station.vendor == "VendorZ"
    assert stored.protocol == "ocpp2.0.1"
    [connector] = stored.connectors
    assert (connector.evse_id, connector.connector_id, connector.status) == (2, 1, "Occupied")


async def test_late_status_does_not_overwrite_newer(allinone: AllInOne, ocpp_url: str) -> None:
    async with library_charger(ocpp_url, "CP16-2", "1.6") as cp:
        await cp.call(call16.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        for status, ts in [
            (ChargePointStatus.faulted, "2026-11-23T10:05:00Z"),
            (ChargePointStatus.available, "2026-11-23T10:00:00Z"),
        ]:
            await cp.call(
                call16.StatusNotification(
                    connector_id=1, error_code=ChargePointErrorCode.no_error, status=status, timestamp=ts
                )
            )
    stored = await _get(allinone, "CP16-2")
    assert [c.status for c in stored.connectors] == ["Faulted"]
