"""Boot decisions over gRPC, for both boot policies, and what gets stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import asyncpg
import grpc
import pytest

from chargeplane.pb.registry.v1 import registry_pb2 as pb
from tests.db import one

from .conftest import StartRegistry
from .helpers import boot

if TYPE_CHECKING:
    from chargeplane.pb.registry.v1.registry_pb2_grpc import RegistryServiceAsyncStub


async def test_dev_policy_accepts_and_records_unknown_charger(
    start_registry: StartRegistry, pool: asyncpg.Pool
) -> None:
    registry = await start_registry(boot_policy="dev", heartbeat_interval=123)
    before = datetime.now(UTC)
    reply = await registry.Boot(
        boot(
            "CP-1",
            site="depot",
            serial_number="SN1",
            firmware_version="1.2.3",
            iccid="8931",
            imsi="2620",
            meter_type="DZG",
            meter_serial_number="M1",
        )
    )
    assert reply.status == pb.REGISTRATION_STATUS_ACCEPTED
    assert reply.interval == 123
    assert abs(reply.current_time.ToDatetime(tzinfo=UTC) - before) < timedelta(seconds=5)

    row = await one(pool, "SELECT * FROM charge_points WHERE id = 'CP-1'")
    assert row["registered"] is False
    assert row["site"] == "depot"
    assert (row["vendor"], row["model"], row["serial_number"], row["firmware_version"]) == (
        "Acme",
        "Volt 22",
        "SN1",
        "1.2.3",
    )
    assert (row["iccid"], row["imsi"], row["meter_type"], row["meter_serial_number"]) == (
        "8931",
        "2620",
        "DZG",
        "M1",
    )
    assert (row["protocol"], row["boot_status"], row["boot_reason"]) == ("ocpp2.0.1", "Accepted", "PowerUp")
    assert row["last_boot_at"] >= before
    assert row["last_seen_at"] == row["last_boot_at"]


async def test_reboot_replaces_station_info(registry: RegistryServiceAsyncStub, pool: asyncpg.Pool) -> None:
    await registry.Boot(boot("CP-1", firmware_version="1.0", serial_number="SN1"))
    await registry.Boot(boot("CP-1", protocol=pb.PROTOCOL_OCPP16, firmware_version="2.0"))
    row = await one(pool, "SELECT * FROM charge_points WHERE id = 'CP-1'")
    assert (row["firmware_version"], row["serial_number"], row["protocol"]) == ("2.0", None, "ocpp1.6")
    assert row["boot_reason"] is None  # 1.6 has none
    assert await pool.fetchval("SELECT count(*) FROM charge_points") == 1


@pytest.mark.parametrize(
    ("unknown_status", "expected"),
    [("Rejected", pb.REGISTRATION_STATUS_REJECTED), ("Pending", pb.REGISTRATION_STATUS_PENDING)],
)
async def test_production_policy_does_not_record_unknown_chargers(
    start_registry: StartRegistry,
    pool: asyncpg.Pool,
    caplog: pytest.LogCaptureFixture,
    unknown_status: str,
    expected: int,
) -> None:
    registry = await start_registry(
        boot_policy="production", unknown_boot_status=unknown_status, pending_retry_interval=42
    )
    reply = await registry.Boot(boot("STRANGER"))
    assert reply.status == expected
    assert reply.interval == 42
    assert await pool.fetchval("SELECT count(*) FROM charge_points") == 0
    assert any("STRANGER" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)


async def test_production_policy_accepts_registered_chargers(start_registry: StartRegistry, pool: asyncpg.Pool) -> None:
    registry = await start_registry(boot_policy="production", heartbeat_interval=300)
    created = await registry.UpsertChargePoint(pb.UpsertChargePointRequest(charge_point_id="CP-9", site="hq"))
    assert created.created
    reply = await registry.Boot(boot("CP-9", site="elsewhere", firmware_version="9"))
    assert reply.status == pb.REGISTRATION_STATUS_ACCEPTED
    assert reply.interval == 300
    row = await one(pool, "SELECT * FROM charge_points WHERE id = 'CP-9'")
    assert (row["registered"], row["site"], row["firmware_version"]) == (True, "hq", "9")
    assert row["boot_status"] == "Accepted"


async def test_production_policy_treats_discovered_rows_as_unknown(
    start_registry: StartRegistry, pool: asyncpg.Pool
) -> None:
    dev = await start_registry(boot_policy="dev")
    await dev.Boot(boot("FOUND"))
    prod = await start_registry(boot_policy="production", unknown_boot_status="Pending")
    reply = await prod.Boot(boot("FOUND", firmware_version="new"))
    assert reply.status == pb.REGISTRATION_STATUS_PENDING
    row = await one(pool, "SELECT boot_status, firmware_version FROM charge_points WHERE id = 'FOUND'")
    assert (row["boot_status"], row["firmware_version"]) == ("Pending", "new")  # the row exists: recorded


@pytest.mark.parametrize("policy", ["dev", "production"])
async def test_allowed_protocols_reject_other_protocols(
    start_registry: StartRegistry, pool: asyncpg.Pool, policy: str
) -> None:
    registry = await start_registry(boot_policy=policy)
    await registry.UpsertChargePoint(
        pb.UpsertChargePointRequest(charge_point_id="CP-201", allowed_protocols=["ocpp2.0.1"])
    )
    rejected = await registry.Boot(boot("CP-201", protocol=pb.PROTOCOL_OCPP16))
    assert rejected.status == pb.REGISTRATION_STATUS_REJECTED
    assert await pool.fetchval("SELECT boot_status FROM charge_points WHERE id = 'CP-201'") == "Rejected"
    accepted = await registry.Boot(boot("CP-201", protocol=pb.PROTOCOL_OCPP201))
    assert accepted.status == pb.REGISTRATION_STATUS_ACCEPTED


async def test_boot_without_protocol_is_invalid(registry: RegistryServiceAsyncStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await registry.Boot(pb.BootRequest(charge_point_id="CP-1", station=pb.StationInfo(vendor="x")))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "protocol" in (err.value.details() or "")
