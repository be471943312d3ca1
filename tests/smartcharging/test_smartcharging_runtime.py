"""The smart-charging service as deployed: alone (`chargeplane serve smartcharging`) and in
the all-in-one process."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from chargeplane.embedded._process import free_port
from chargeplane.pb.smartcharging.v1 import smartcharging_pb2 as pb
from chargeplane.pb.smartcharging.v1.smartcharging_pb2_grpc import SmartChargingServiceStub
from chargeplane.runtime.components import AllInOne
from tests.eventually import eventually
from tests.test_runtime import CLI, process

SERVICE = "chargeplane.smartcharging.v1.SmartChargingService"


async def _exercise(target: str) -> None:
    async with grpc.aio.insecure_channel(target) as channel:
        health = health_pb2_grpc.HealthStub(channel)

        async def serving() -> bool:
            try:
                answer = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=2)
            except grpc.aio.AioRpcError as exc:  # not listening yet (migrating, starting)
                raise ConnectionError(exc.details()) from None
            return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)

        await eventually(serving, 60)
        stub = SmartChargingServiceStub(channel)
        site = pb.Site(id="hall", grid_limit=63, grid_unit="A", phases=3, voltage=230, strategy="dynamic")
        await stub.PutSite(pb.PutSiteRequest(site=site))
        got = await stub.GetSite(pb.GetSiteRequest(id="hall"))
        assert got.site.grid_limit == 63 and got.site.strategy == "dynamic"
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.PutSite(pb.PutSiteRequest(site=pb.Site(id="bad", grid_limit=-1)))
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        await stub.UpsertCharger(
            pb.UpsertChargerRequest(
                charge_point_id="HALL-1",
                site_id="hall",
                protocol="ocpp2.0.1",
                evses=[pb.Evse(evse_id=1, phases=[1, 2, 3], max_a=32)],
            )
        )
        plan = await stub.GetSitePlan(pb.GetSitePlanRequest(site_id="hall"))
        assert [e.charge_point_id for e in plan.evses] == ["HALL-1"]


async def test_all_in_one_serves_smart_charging(allinone: AllInOne) -> None:
    await _exercise(f"127.0.0.1:{allinone.grpc_port}")


@pytest.mark.slow
async def test_serve_smartcharging_alone(db_url: str, redis_url: str) -> None:
    port = free_port()
    env = {
        "CHARGEPLANE_POSTGRES_URL": db_url,
        "CHARGEPLANE_REDIS_URL": redis_url,
        "CHARGEPLANE_GRPC_PORT": str(port),
        "CHARGEPLANE_LOG_JSON": "false",
    }
    with process([CLI, "serve", "smartcharging"], env):
        await _exercise(f"127.0.0.1:{port}")
