"""Probes, metrics, OpenAPI, request ids, and behaviour when the registry is gone."""

from __future__ import annotations

import asyncpg

from .conftest import Api
from .problems import assert_problem


async def test_healthz_and_readyz(api: Api) -> None:
    health = await api.anonymous.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = await api.anonymous.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "registry": "ok"}}


async def test_registry_down(api: Api) -> None:
    await api.registry_server.stop(None)
    ready = await api.anonymous.get("/readyz")
    body = assert_problem(ready, 503)
    assert body["checks"] == {"database": "ok", "registry": "failed"}
    assert "registry" in body["detail"]
    listing = await api.client.get("/v1/chargepoints")
    assert_problem(listing, 503)
    assert listing.headers["retry-after"]
    assert (await api.anonymous.get("/healthz")).status_code == 200  # alive, just not ready


async def test_metrics(api: Api) -> None:
    await api.client.get("/v1/chargepoints/CP-X")
    response = await api.anonymous.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert (
        'chargeplane_api_requests_total{method="GET",route="/v1/chargepoints/{charge_point_id}",status="404"}' in text
    )
    assert "CP-X" not in text


async def test_request_id_echoed_or_generated(api: Api) -> None:
    echoed = await api.anonymous.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = await api.anonymous.get("/v1/chargepoints")  # an error response carries it too
    assert len(generated.headers["x-request-id"]) == 32
    unsafe = await api.anonymous.get("/healthz", headers={"X-Request-ID": "x" * 500})
    assert unsafe.headers["x-request-id"] != "x" * 500


async def test_openapi_documents_the_api(api: Api) -> None:
    response = await api.anonymous.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    paths = schema["paths"]
    assert {"/v1/chargepoints", "/v1/chargepoints/{charge_point_id}", "/healthz", "/readyz"} <= set(paths)
    get_one = paths["/v1/chargepoints/{charge_point_id}"]["get"]
    assert get_one["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ChargePoint"
    }
    for code in ("401", "404", "422", "503"):
        assert get_one["responses"][code]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    assert {"ChargePoint", "ChargePointPage", "Connector", "Connection", "Problem"} <= set(
        schema["components"]["schemas"]
    )
    assert get_one["security"] == [{"HTTPBearer": []}]


async def test_database_down(api: Api, pool: asyncpg.Pool) -> None:
    await pool.close()
    ready = await api.anonymous.get("/readyz")
    assert assert_problem(ready, 503)["checks"]["database"] == "failed"
    # A token that is not cached yet needs the database: 503, not 401 or a stack trace.
    response = await api.anonymous.get("/v1/chargepoints", headers={"Authorization": "Bearer cpk_uncached"})
    body = assert_problem(response, 503)
    assert "database" in body["detail"]
