"""Connector states: both OCPP shapes, availability, and late replays never winning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import asyncpg

from chargeplane.domain.chargepoints import ConnectorRef
from chargeplane.pb.registry.v1 import registry_pb2 as pb
from tests.db import one

from .conftest import StartRegistry
from .helpers import boot, ts

if TYPE_CHECKING:
    from chargeplane.pb.registry.v1.registry_pb2_grpc import RegistryServiceAsyncStub

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def status_request(cp_id: str, ref: ConnectorRef, status: str, at: datetime, **extra: str) -> pb.RecordStatusRequest:
    return pb.RecordStatusRequest(
        charge_point_id=cp_id,
        connector=pb.ConnectorRef(evse_id=ref.evse_id, connector_id=ref.connector_id),
        status=status,
        timestamp=ts(at),
        **extra,
    )


async def test_v16_connector_maps_to_evse_and_availability(registry: RegistryServiceAsyncStub) -> None:
    await registry.Boot(boot("CP-16", protocol=pb.PROTOCOL_OCPP16))
    for number, status in ((0, "Available"), (1, "Charging"), (2, "Faulted")):
        reply = await registry.RecordStatus(
            status_request(
                "CP-16", ConnectorRef.from_v16(number), status, T0, error_code="NoError", vendor_error_code="E7"
            )
        )
        assert reply.applied
    cp = (await registry.GetChargePoint(pb.GetChargePointRequest(charge_point_id="CP-16"))).charge_point
    got = [(c.evse_id, c.connector_id, c.status, c.availability) for c in cp.connectors]
    assert got == [
        (0, 0, "Available", "Available"),
        (1, 1, "Charging", "Occupied"),
        (2, 1, "Faulted", "Faulted"),
    ]
    assert cp.connectors[1].error_code == "NoError"
    assert cp.connectors[1].vendor_error_code == "E7"
    assert cp.connectors[1].updated_at.ToDatetime(tzinfo=UTC) == T0


async def test_v201_evse_connector_shape(registry: RegistryServiceAsyncStub) -> None:
    await registry.Boot(boot("CP-201"))
    await registry.RecordStatus(status_request("CP-201", ConnectorRef(1, 2), "Occupied", T0))
    await registry.RecordStatus(status_request("CP-201", ConnectorRef(1, 1), "Reserved", T0))
    cp = (await registry.GetChargePoint(pb.GetChargePointRequest(charge_point_id="CP-201"))).charge_point
    got = [(c.evse_id, c.connector_id, c.status, c.availability) for c in cp.connectors]
    assert got == [(1, 1, "Reserved", "Reserved"), (1, 2, "Occupied", "Occupied")]
    assert not cp.connectors[0].HasField("error_code")


async def test_older_status_never_overwrites_newer(registry: RegistryServiceAsyncStub, pool: asyncpg.Pool) -> None:
    await registry.Boot(boot("CP-1"))
    ref = ConnectorRef(1, 1)
    assert (await registry.RecordStatus(status_request("CP-1", ref, "Occupied", T0))).applied
    # An offline-queued message replayed after the newer one: stays unapplied.
    late = await registry.RecordStatus(status_request("CP-1", ref, "Available", T0 - timedelta(minutes=5)))
    assert not late.applied
    row = await one(pool, "SELECT status, status_at FROM connectors WHERE charge_point_id = 'CP-1'")
    assert (row["status"], row["status_at"]) == ("Occupied", T0)
    newer = await registry.RecordStatus(status_request("CP-1", ref, "Faulted", T0 + timedelta(seconds=1)))
    assert newer.applied
    assert await pool.fetchval("SELECT status FROM connectors WHERE charge_point_id = 'CP-1'") == "Faulted"


async def test_unknown_status_maps_to_unavailable(registry: RegistryServiceAsyncStub, pool: asyncpg.Pool) -> None:
    await registry.Boot(boot("CP-1"))
    await registry.RecordStatus(status_request("CP-1", ConnectorRef(1, 1), "SomethingNew", T0))
    assert await pool.fetchval("SELECT availability FROM connectors") == "Unavailable"


async def test_missing_charge_point_created_in_dev(registry: RegistryServiceAsyncStub, pool: asyncpg.Pool) -> None:
    reply = await registry.RecordStatus(status_request("NEW", ConnectorRef(1, 1), "Available", T0))
    assert reply.applied
    assert await pool.fetchval("SELECT registered FROM charge_points WHERE id = 'NEW'") is False


async def test_missing_charge_point_ignored_in_production(start_registry: StartRegistry, pool: asyncpg.Pool) -> None:
    registry = await start_registry(boot_policy="production")
    reply = await registry.RecordStatus(status_request("NEW", ConnectorRef(1, 1), "Available", T0))
    assert not reply.applied
    assert await pool.fetchval("SELECT count(*) FROM charge_points") == 0
    assert await pool.fetchval("SELECT count(*) FROM connectors") == 0
