"""GET /v1/chargepoints[/{id}] against a real registry."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from redis.asyncio import Redis

from chargeplane.pb.registry.v1 import registry_pb2 as pb
from chargeplane.routing.presence import PresenceRegistry
from chargeplane.rpc.timestamps import to_timestamp

from .conftest import Api
from .problems import assert_problem


async def test_get_charge_point_with_connectors_and_connection(api: Api, redis: Redis) -> None:
    await api.registry.Boot(
        pb.BootRequest(
            charge_point_id="CP-1",
            protocol=pb.PROTOCOL_OCPP16,
            site="depot",
            station=pb.StationInfo(vendor="Acme", model="Volt", firmware_version="1.2"),
        )
    )
    at = to_timestamp(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    await api.registry.RecordStatus(
        pb.RecordStatusRequest(
            charge_point_id="CP-1",
            connector=pb.ConnectorRef(evse_id=1, connector_id=1),
            status="Charging",
            timestamp=at,
            error_code="NoError",
        )
    )
    lease, _ = await PresenceRegistry(redis, pod="gw-0", address="10.0.0.1:50052").claim("CP-1", "ocpp1.6")

    response = await api.client.get("/v1/chargepoints/CP-1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == "CP-1" and body["site"] == "depot" and body["registered"] is False
    assert body["protocol"] == "ocpp1.6" and body["boot_status"] == "Accepted"
    assert body["station"] == {
        "vendor": "Acme",
        "model": "Volt",
        "serial_number": None,
        "firmware_version": "1.2",
        "iccid": None,
        "imsi": None,
        "meter_type": None,
        "meter_serial_number": None,
    }
    assert body["last_boot_at"] and body["last_seen_at"] and body["created_at"]
    connection = body["connection"]
    assert (connection["gateway"], connection["address"], connection["epoch"], connection["protocol"]) == (
        "gw-0",
        "10.0.0.1:50052",
        lease.epoch,
        "ocpp1.6",
    )
    assert connection["connected_since"]
    assert body["connectors"] == [
        {
            "evse_id": 1,
            "connector_id": 1,
            "status": "Charging",
            "availability": "Occupied",
            "error_code": "NoError",
            "info": None,
            "vendor_error_code": None,
            "updated_at": "2026-11-23T12:00:00Z",
        }
    ]


async def test_not_connected_and_never_booted(api: Api) -> None:
    await api.registry.UpsertChargePoint(pb.UpsertChargePointRequest(charge_point_id="CP-2"))
    body = (await api.client.get("/v1/chargepoints/CP-2")).json()
    assert body["registered"] is True
    assert body["connection"] is None and body["station"] is None and body["boot_status"] is None


async def test_unknown_charge_point_is_404(api: Api) -> None:
    body = assert_problem(await api.client.get("/v1/chargepoints/NOPE"), 404)
    assert "NOPE" in body["detail"]


async def test_invalid_id_is_400(api: Api) -> None:
    body = assert_problem(await api.client.get("/v1/chargepoints/a:b"), 400)
    assert "':'" in body["detail"]


async def test_list_pages_with_cursor_and_site(api: Api, pool: asyncpg.Pool) -> None:
    await pool.executemany(
        "INSERT INTO charge_points (id, site) VALUES ($1, $2)",
        [(f"N-{i:02d}", "north") for i in range(25)] + [(f"S-{i:02d}", "south") for i in range(5)],
    )
    ids: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 10, "site": "north"}
        if cursor:
            params["cursor"] = cursor
        response = await api.client.get("/v1/chargepoints", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert ids == [f"N-{i:02d}" for i in range(25)]
    everything = (await api.client.get("/v1/chargepoints")).json()
    assert len(everything["items"]) == 30 and everything["next_cursor"] is None


async def test_limit_out_of_range_is_422(api: Api) -> None:
    body = assert_problem(await api.client.get("/v1/chargepoints", params={"limit": 0}), 422)
    assert body["errors"][0]["loc"] == ["query", "limit"]
    assert "limit" in body["detail"]
    assert_problem(await api.client.get("/v1/chargepoints", params={"limit": 1001}), 422)


async def test_bad_cursor_is_400(api: Api) -> None:
    body = assert_problem(await api.client.get("/v1/chargepoints", params={"cursor": "bogus"}), 400)
    assert "cursor" in body["detail"]


async def test_unknown_route_is_problem(api: Api) -> None:
    assert_problem(await api.client.get("/v1/nothing-here"), 404)
