"""The smart-charging gRPC service on real PostgreSQL, Redis and gRPC, with virtual chargers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health
from redis.asyncio import Redis

from chargeplane.db.pool import create_pool
from chargeplane.domain.chargepoints import Protocol
from chargeplane.pb.smartcharging.v1 import smartcharging_pb2 as pb
from chargeplane.pb.smartcharging.v1.smartcharging_pb2_grpc import SmartChargingServiceStub
from chargeplane.services.smartcharging import Engine, add_to_server
from tests.eventually import eventually

from .doubles import FakeChargers

CHARGERS = [
    ("CP16-A", Protocol.OCPP16),
    ("CP16-B", Protocol.OCPP16),
    ("CP201-A", Protocol.OCPP201),
    ("CP201-B", Protocol.OCPP201),
]


def ts(value: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value)
    return out


class Service:
    def __init__(self, stub: SmartChargingServiceStub, engine: Engine, fake: FakeChargers) -> None:
        self.stub = stub
        self.engine = engine
        self.fake = fake


@pytest.fixture
async def service(db_url: str, redis_url: str) -> AsyncIterator[Service]:
    pool: asyncpg.Pool = await create_pool(db_url, min_size=1, max_size=4)
    redis = Redis.from_url(redis_url)
    fake = FakeChargers()
    server = grpc.aio.server()
    engine = await add_to_server(
        server, pool, redis, fake, health_servicer=health.aio.HealthServicer(), push_timeout=2.0
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    await engine.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Service(SmartChargingServiceStub(channel), engine, fake)
    finally:
        await channel.close()
        await engine.stop()
        await server.stop(None)
        await redis.aclose()
        await pool.close()


async def four_chargers_on_32_a(svc: Service, **site: Any) -> None:
    await svc.stub.PutSite(pb.PutSiteRequest(site=pb.Site(id="depot", grid_limit=32, grid_unit="A", phases=3, **site)))
    for cp, protocol in CHARGERS:
        svc.fake.add(cp, protocol, [1])
        await svc.stub.UpsertCharger(
            pb.UpsertChargerRequest(
                charge_point_id=cp,
                site_id="depot",
                protocol=protocol.value,
                evses=[pb.Evse(evse_id=1, phases=[1, 2, 3], max_a=32, min_a=6)],
            )
        )
        await svc.stub.SetChargerOnline(pb.SetChargerOnlineRequest(charge_point_id=cp, online=True))


async def start(svc: Service, cp: str, tx: str, **needs: Any) -> None:
    svc.fake.start(cp, 1, tx)
    await svc.stub.ReportSession(
        pb.ReportSessionRequest(charge_point_id=cp, evse_id=1, transaction_id=tx, event="started", **needs)
    )


async def stop(svc: Service, cp: str, tx: str) -> None:
    svc.fake.stop(cp, 1)
    await svc.stub.ReportSession(
        pb.ReportSessionRequest(charge_point_id=cp, evse_id=1, transaction_id=tx, event="ended")
    )


def applied(svc: Service) -> dict[str, float]:
    now = datetime.now(UTC)
    return {cp: svc.fake.chargers[cp].applied_a(1, now) for cp, _ in CHARGERS}


async def test_four_chargers_share_32_a_and_never_exceed_it(service: Service) -> None:
    svc = service
    await four_chargers_on_32_a(svc)
    # Every charger first gets the site's TxDefaultProfile (0 A): nothing runs unplanned.
    # (Before that, chargers that joined without one could draw their maximum: the site
    # plan reports it as overcommitted; from here on the limits are ours.)
    await eventually(lambda: applied(svc) == dict.fromkeys(applied(svc), 0.0), 10)
    svc.fake.totals.clear()
    for i, (cp, protocol) in enumerate(CHARGERS):
        await start(svc, cp, str(100 + i) if protocol is Protocol.OCPP16 else f"tx-{i}")
    await eventually(lambda: applied(svc) == dict.fromkeys(applied(svc), 8.0), 10)
    await stop(svc, "CP16-A", "100")
    await eventually(lambda: sorted(applied(svc).values()) == [0.0, 10.6, 10.6, 10.6], 10)
    # A grid-operator limit of 12 A from now on: one charger at a time at its 6 A minimum... two fit.
    await svc.stub.SetExternalLimits(
        pb.SetExternalLimitsRequest(
            site_id="depot",
            source="grid-operator",
            steps=[pb.LimitStep(start=ts(datetime.now(UTC) - timedelta(seconds=1)), limit=12, unit="A")],
        )
    )
    await eventually(lambda: sum(applied(svc).values()) <= 12.0 and max(applied(svc).values()) == 6.0, 10)
    # What the chargers may draw never added up to more than 32 A; after the limit, 12 A.
    assert max(total for _, total in svc.fake.totals) <= 32.0

    async def plan_settled() -> bool:
        plan = await svc.stub.GetSitePlan(pb.GetSitePlanRequest(site_id="depot"))
        return plan.headroom_a >= 0 and sum(e.reserved_a for e in plan.evses) <= 12.0

    await eventually(plan_settled, 10)
    pushes = await svc.stub.ListPushes(pb.ListPushesRequest(charge_point_id="CP201-A"))
    assert pushes.pushes and all(p.status == "Accepted" for p in pushes.pushes)
    assert {p.source for p in pushes.pushes} == {"planner"}


async def test_rule_violations_name_the_rule(service: Service) -> None:
    svc = service
    await four_chargers_on_32_a(svc)
    profile = pb.ChargingProfile(
        id=7,
        stack_level=0,
        purpose="TxProfile",
        kind="Relative",
        transaction_id="nope",
        schedules=[pb.ChargingSchedule(rate_unit="A", periods=[pb.SchedulePeriod(start_period=0, limit=10)])],
    )
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await svc.stub.SetChargingProfile(
            pb.SetChargingProfileRequest(charge_point_id="CP201-A", evse_id=1, profile=profile)
        )
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details().startswith("K01.FR.09")
    profile.transaction_id = "5"
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await svc.stub.SetChargingProfile(
            pb.SetChargingProfileRequest(charge_point_id="CP16-A", evse_id=0, profile=profile)
        )
    assert info.value.details().startswith("1.6 §3.13.2 TxProfile")
    bad = pb.ChargingProfile(
        id=8,
        stack_level=0,
        purpose="TxDefaultProfile",
        kind="Absolute",
        schedules=[pb.ChargingSchedule(rate_unit="A", periods=[pb.SchedulePeriod(start_period=3, limit=1)])],
    )
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await svc.stub.SetChargingProfile(
            pb.SetChargingProfileRequest(charge_point_id="CP201-A", evse_id=1, profile=bad)
        )
    assert info.value.details().startswith("K01.FR.31")


async def test_operator_profiles_history_composite_and_rejections(service: Service) -> None:
    svc = service
    svc.fake.add("SOLO", Protocol.OCPP201, [1, 2])
    await svc.stub.UpsertCharger(
        pb.UpsertChargerRequest(
            charge_point_id="SOLO",
            protocol="ocpp2.0.1",
            evses=[pb.Evse(evse_id=1, phases=[1, 2, 3], max_a=32), pb.Evse(evse_id=2, phases=[1, 2, 3], max_a=32)],
        )
    )
    start_at = datetime.now(UTC).replace(microsecond=0)
    station_max = pb.ChargingProfile(
        id=1,
        stack_level=0,
        purpose="ChargingStationMaxProfile",
        kind="Absolute",
        schedules=[
            pb.ChargingSchedule(
                rate_unit="W",
                start=ts(start_at),
                periods=[
                    pb.SchedulePeriod(start_period=0, limit=11040),
                    pb.SchedulePeriod(start_period=600, limit=4600),
                ],
            )
        ],
    )
    answer = await svc.stub.SetChargingProfile(
        pb.SetChargingProfileRequest(charge_point_id="SOLO", evse_id=0, profile=station_max)
    )
    assert answer.installed and answer.push.status == "Accepted"
    default = pb.ChargingProfile(
        id=2,
        stack_level=0,
        purpose="TxDefaultProfile",
        kind="Absolute",
        schedules=[
            pb.ChargingSchedule(
                rate_unit="A", start=ts(start_at), periods=[pb.SchedulePeriod(start_period=0, limit=10)]
            )
        ],
    )
    await svc.stub.SetChargingProfile(pb.SetChargingProfileRequest(charge_point_id="SOLO", evse_id=0, profile=default))
    composite = await svc.stub.GetCompositeSchedule(
        pb.GetCompositeScheduleRequest(
            charge_point_id="SOLO", evse_id=1, duration=1200, rate_unit="A", start=ts(start_at)
        )
    )
    limits = [(p.start_period, round(p.limit, 3)) for p in composite.periods]
    assert limits == [(0, 10.0), (600, round(4600 / 690, 3))]
    # The same stack level and purpose on EVSE 0 again (another id): refused, naming K01.FR.06.
    again = pb.ChargingProfile()
    again.CopyFrom(default)
    again.id = 3
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await svc.stub.SetChargingProfile(
            pb.SetChargingProfileRequest(charge_point_id="SOLO", evse_id=0, profile=again)
        )
    assert info.value.details().startswith("K01.FR.06")
    # A charger that says no: recorded, not installed.
    svc.fake.chargers["SOLO"].reject = True
    again.stack_level = 1
    answer = await svc.stub.SetChargingProfile(
        pb.SetChargingProfileRequest(charge_point_id="SOLO", evse_id=0, profile=again)
    )
    assert not answer.installed and answer.push.status == "Rejected"
    svc.fake.chargers["SOLO"].reject = False
    active = await svc.stub.ListChargingProfiles(pb.ListChargingProfilesRequest(charge_point_id="SOLO"))
    assert sorted(p.profile.id for p in active.profiles) == [1, 2]
    cleared = await svc.stub.ClearChargingProfiles(
        pb.ClearChargingProfilesRequest(charge_point_id="SOLO", profile_id=2)
    )
    assert list(cleared.cleared_profile_ids) == [2]
    history = await svc.stub.ListChargingProfiles(pb.ListChargingProfilesRequest(charge_point_id="SOLO", history=True))
    assert [(p.profile.id, p.cleared_reason) for p in history.profiles] == [(2, "cleared"), (1, "")]
    # Redis lost: the active set comes back from PostgreSQL.
    await svc.engine.store.redis.flushall()
    active = await svc.stub.ListChargingProfiles(pb.ListChargingProfilesRequest(charge_point_id="SOLO"))
    assert [p.profile.id for p in active.profiles] == [1]
    pushes = await svc.stub.ListPushes(pb.ListPushesRequest(charge_point_id="SOLO"))
    assert [p.status for p in pushes.pushes] == ["Accepted", "Rejected", "Accepted", "Accepted"]


async def test_offline_and_silent_chargers_are_counted_at_what_they_may_draw(service: Service) -> None:
    svc = service
    await four_chargers_on_32_a(svc)
    await eventually(lambda: applied(svc) == dict.fromkeys(applied(svc), 0.0), 10)
    svc.fake.totals.clear()
    await start(svc, "CP201-A", "a")
    await start(svc, "CP201-B", "b")
    await eventually(lambda: applied(svc)["CP201-A"] == 16.0 and applied(svc)["CP201-B"] == 16.0, 10)
    # CP201-A stops answering; a third session starts. A keeps counting at 16 A.
    svc.fake.chargers["CP201-A"].silent = True
    await start(svc, "CP16-A", "7")
    await eventually(lambda: applied(svc)["CP201-B"] == 8.0 and applied(svc)["CP16-A"] == 8.0, 10)
    assert applied(svc)["CP201-A"] == 16.0
    assert max(total for _, total in svc.fake.totals) <= 32.0


async def test_charger_reported_limits_enter_the_composite(service: Service) -> None:
    svc = service
    svc.fake.add("EMS-1", Protocol.OCPP201, [1])
    await svc.stub.UpsertCharger(
        pb.UpsertChargerRequest(
            charge_point_id="EMS-1", protocol="ocpp2.0.1", evses=[pb.Evse(evse_id=1, phases=[1, 2, 3], max_a=32)]
        )
    )
    # NotifyChargingLimit from the charger's energy manager: 10 A from now on.
    limit = pb.ChargingSchedule(rate_unit="A", id=1, periods=[pb.SchedulePeriod(start_period=0, limit=10)])
    await svc.stub.ReportChargingLimit(
        pb.ReportChargingLimitRequest(
            charge_point_id="EMS-1", evse_id=0, charging_limit_source="EMS", schedules=[limit]
        )
    )
    composite = await svc.stub.GetCompositeSchedule(
        pb.GetCompositeScheduleRequest(charge_point_id="EMS-1", evse_id=1, duration=600)
    )
    assert [(p.start_period, p.limit) for p in composite.periods] == [(0, 10.0)]
    active = await svc.stub.ListChargingProfiles(pb.ListChargingProfilesRequest(charge_point_id="EMS-1"))
    assert [(p.source, p.profile.purpose) for p in active.profiles] == [
        ("charger", "ChargingStationExternalConstraints")
    ]
    # The CSMS never clears it itself (K10); ClearedChargingLimit does.
    cleared = await svc.stub.ClearChargingProfiles(pb.ClearChargingProfilesRequest(charge_point_id="EMS-1"))
    assert list(cleared.cleared_profile_ids) == []
    await svc.stub.ClearChargingLimit(
        pb.ClearChargingLimitRequest(charge_point_id="EMS-1", charging_limit_source="EMS")
    )
    composite = await svc.stub.GetCompositeSchedule(
        pb.GetCompositeScheduleRequest(charge_point_id="EMS-1", evse_id=1, duration=600)
    )
    assert [p.HasField("limit") for p in composite.periods] == [False]
