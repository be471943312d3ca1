"""Reading charge points: connectors, live connections from Redis, cursor pagination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import asyncpg
import grpc
import pytest
from redis.asyncio import Redis

from chargeplane.pb.registry.v1 import registry_pb2 as pb
from chargeplane.routing.presence import PresenceRegistry

from .helpers import boot

if TYPE_CHECKING:
    from chargeplane.pb.registry.v1.registry_pb2_grpc import RegistryServiceAsyncStub


async def test_get_merges_live_connection_from_redis(registry: RegistryServiceAsyncStub, redis: Redis) -> None:
    await registry.Boot(boot("CP-1", site="depot", serial_number="SN"))
    before = datetime.now(UTC)
    lease, _ = await PresenceRegistry(redis, pod="gw-0", address="10.0.0.1:50052").claim("CP-1", "ocpp2.0.1")

    cp = (await registry.GetChargePoint(pb.GetChargePointRequest(charge_point_id="CP-1"))).charge_point
    assert (cp.id, cp.site, cp.registered, cp.protocol, cp.boot_status) == (
        "CP-1",
        "depot",
        False,
        "ocpp2.0.1",
        "Accepted",
    )
    assert (cp.station.vendor, cp.station.serial_number) == ("Acme", "SN")
    assert not cp.station.HasField("firmware_version")
    assert cp.HasField("last_boot_at") and cp.HasField("last_seen_at") and cp.HasField("created_at")
    conn = cp.connection
    assert (conn.gateway, conn.address, conn.epoch, conn.protocol) == (
        "gw-0",
        "10.0.0.1:50052",
        lease.epoch,
        "ocpp2.0.1",
    )
    assert abs(conn.connected_since.ToDatetime(tzinfo=UTC) - before) < timedelta(seconds=5)

    await PresenceRegistry(redis, pod="gw-0").release(lease)
    cp = (await registry.GetChargePoint(pb.GetChargePointRequest(charge_point_id="CP-1"))).charge_point
    assert not cp.HasField("connection")


async def test_registered_but_never_booted(registry: RegistryServiceAsyncStub) -> None:
    await registry.UpsertChargePoint(pb.UpsertChargePointRequest(charge_point_id="CP-2"))
    cp = (await registry.GetChargePoint(pb.GetChargePointRequest(charge_point_id="CP-2"))).charge_point
    assert cp.registered
    assert not cp.HasField("station") and not cp.HasField("last_boot_at") and not cp.connectors
    assert cp.site == "" and cp.boot_status == ""


async def test_get_unknown_is_not_found(registry: RegistryServiceAsyncStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await registry.GetChargePoint(pb.GetChargePointRequest(charge_point_id="NOPE"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert "NOPE" in (err.value.details() or "")


async def test_list_pages_through_a_site_in_id_order(
    registry: RegistryServiceAsyncStub, pool: asyncpg.Pool, redis: Redis
) -> None:
    rows = [(f"A-{i:03d}", "north") for i in range(250)] + [(f"B-{i:03d}", "south") for i in range(50)]
    await pool.executemany("INSERT INTO charge_points (id, site) VALUES ($1, $2)", rows)
    await pool.execute(
        "INSERT INTO connectors (charge_point_id, evse_id, connector_id, status, availability, status_at)"
        " VALUES ('A-007', 1, 1, 'Charging', 'Occupied', now())"
    )
    presence = PresenceRegistry(redis, pod="gw-1", address="10.0.0.2:50052")
    await presence.claim("A-150", "ocpp1.6")

    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = await registry.ListChargePoints(
            pb.ListChargePointsRequest(page_size=100, page_token=token, site="north")
        )
        pages += 1
        seen += [cp.id for cp in page.charge_points]
        assert all(cp.site == "north" for cp in page.charge_points)
        for cp in page.charge_points:
            assert cp.HasField("connection") == (cp.id == "A-150")
            assert len(cp.connectors) == (1 if cp.id == "A-007" else 0)
        if not page.next_page_token:
            break
        token = page.next_page_token
    assert pages == 3
    assert seen == [f"A-{i:03d}" for i in range(250)]

    everything = await registry.ListChargePoints(pb.ListChargePointsRequest())
    assert len(everything.charge_points) == 100  # the default page size
    assert everything.next_page_token


async def test_list_exact_page_has_no_next_token(registry: RegistryServiceAsyncStub, pool: asyncpg.Pool) -> None:
    await pool.executemany("INSERT INTO charge_points (id) VALUES ($1)", [(f"C{i}",) for i in range(5)])
    page = await registry.ListChargePoints(pb.ListChargePointsRequest(page_size=5))
    assert len(page.charge_points) == 5 and page.next_page_token == ""
    empty = await registry.ListChargePoints(pb.ListChargePointsRequest(site="nowhere"))
    assert not empty.charge_points and empty.next_page_token == ""


async def test_page_size_is_capped(registry: RegistryServiceAsyncStub, pool: asyncpg.Pool) -> None:
    await pool.executemany("INSERT INTO charge_points (id) VALUES ($1)", [(f"C{i:04d}",) for i in range(1001)])
    page = await registry.ListChargePoints(pb.ListChargePointsRequest(page_size=5000))
    assert len(page.charge_points) == 1000 and page.next_page_token


async def test_upsert_and_delete(registry: RegistryServiceAsyncStub, pool: asyncpg.Pool) -> None:
    first = await registry.UpsertChargePoint(
        pb.UpsertChargePointRequest(charge_point_id="CP-1", site="a", allowed_protocols=["ocpp1.6", "ocpp1.6"])
    )
    assert first.created and first.charge_point.registered and first.charge_point.site == "a"
    again = await registry.UpsertChargePoint(pb.UpsertChargePointRequest(charge_point_id="CP-1", site="b"))
    assert not again.created and again.charge_point.site == "b"
    assert await pool.fetchval("SELECT allowed_protocols FROM charge_points") == []

    await registry.Boot(boot("CP-1"))
    await pool.execute(
        "INSERT INTO connectors (charge_point_id, evse_id, connector_id, status, availability, status_at)"
        " VALUES ('CP-1', 1, 1, 'Available', 'Available', now())"
    )
    assert (await registry.DeleteChargePoint(pb.DeleteChargePointRequest(charge_point_id="CP-1"))).deleted
    assert await pool.fetchval("SELECT count(*) FROM connectors") == 0  # cascaded
    assert not (await registry.DeleteChargePoint(pb.DeleteChargePointRequest(charge_point_id="CP-1"))).deleted


async def test_upsert_turns_discovered_into_registered(registry: RegistryServiceAsyncStub) -> None:
    await registry.Boot(boot("CP-1", site="from-url"))
    reply = await registry.UpsertChargePoint(pb.UpsertChargePointRequest(charge_point_id="CP-1", site="hq"))
    assert not reply.created
    assert reply.charge_point.registered and reply.charge_point.site == "hq"
    assert reply.charge_point.station.vendor == "Acme"  # what the charger said is kept


async def test_storage_outage_is_unavailable_without_details(
    registry: RegistryServiceAsyncStub, pool: asyncpg.Pool
) -> None:
    await pool.close()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await registry.GetChargePoint(pb.GetChargePointRequest(charge_point_id="CP-1"))
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    assert err.value.details() == "storage temporarily unavailable"


async def test_health_reports_serving(pool: asyncpg.Pool, redis: Redis) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from chargeplane.config import Settings
    from chargeplane.services.registry import SERVICE_NAME, add_to_server

    server = grpc.aio.server()
    add_to_server(server, pool, redis, Settings())
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME))
            assert SERVICE_NAME == "chargeplane.registry.v1.RegistryService"
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        await server.stop(None)
