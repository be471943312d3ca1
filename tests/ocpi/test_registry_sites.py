"""Sites and EVSE hardware in the registry: stored, validated, listed, and announced on the
change stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import grpc
import pytest
from redis.asyncio import Redis

from chargeplane.config import Settings
from chargeplane.pb.registry.v1 import registry_pb2 as pb
from tests.eventually import eventually

from .sites import evses, site

if TYPE_CHECKING:
    from chargeplane.pb.registry.v1.registry_pb2_grpc import RegistryServiceAsyncStub


async def test_site_round_trip(registry: RegistryServiceAsyncStub) -> None:
    opening = pb.OpeningTimes(
        twentyfourseven=False,
        regular_hours=[pb.RegularHours(weekday=d, period_begin="07:00", period_end="23:00") for d in range(1, 8)],
    )
    operator = pb.BusinessDetails(
        name="Chargeplane Operator",
        website="https://example.com",
        logo=pb.Image(url="https://example.com/logo.png", category="OPERATOR", type="png", width=512, height=512),
    )
    created = await registry.UpsertSite(
        pb.UpsertSiteRequest(
            site=site(
                opening_times=opening,
                operator=operator,
                directions=[pb.DisplayText(language="en", text="Level -1")],
                grid_connection=pb.GridConnection(max_current=250, phases=3, voltage=230),
                charging_when_closed=True,
            )
        )
    )
    assert created.created
    got = (await registry.GetSite(pb.GetSiteRequest(site_id="AMS-1"))).site
    assert got.address == "Stationsplein 1" and got.country == "NLD"
    assert got.coordinates.latitude == "52.378900"
    assert [h.period_begin for h in got.opening_times.regular_hours] == ["07:00"] * 7
    assert got.operator.logo.width == 512 and got.operator.website == "https://example.com"
    assert got.grid_connection.max_current == 250 and got.grid_connection.phases == 3
    assert got.charging_when_closed and got.publish and got.roaming
    assert got.directions[0].text == "Level -1"

    updated = await registry.UpsertSite(pb.UpsertSiteRequest(site=site(name="Renamed")))
    assert not updated.created and updated.site.name == "Renamed"
    assert not updated.site.HasField("opening_times")  # a replace, not a merge


async def test_sites_are_listed_by_id_in_pages(registry: RegistryServiceAsyncStub) -> None:
    for n in range(5):
        await registry.UpsertSite(pb.UpsertSiteRequest(site=site(f"S{n}")))
    seen: list[str] = []
    token = ""
    while True:
        page = await registry.ListSites(pb.ListSitesRequest(page_size=2, page_token=token))
        seen += [s.id for s in page.sites]
        token = page.next_page_token
        if not token:
            break
    assert seen == ["S0", "S1", "S2", "S3", "S4"]
    assert (await registry.DeleteSite(pb.DeleteSiteRequest(site_id="S0"))).deleted
    assert not (await registry.DeleteSite(pb.DeleteSiteRequest(site_id="S0"))).deleted
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await registry.GetSite(pb.GetSiteRequest(site_id="S0"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id": "has space"}, "site.id"),
        ({"id": "x" * 37}, "site.id"),
        ({"country": "NL"}, "alpha-3"),
        ({"coordinates": pb.GeoLocation(latitude="52.3", longitude="4.900600")}, "latitude"),
        ({"coordinates": pb.GeoLocation(latitude="95.000000", longitude="4.900600")}, "latitude"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"address": ""}, "address"),
        ({"address": "x" * 46}, "address"),
        ({"parking_type": "ROOFTOP"}, "parking_type"),
        ({"facilities": ["CASINO"]}, "facilities"),
        ({"opening_times": pb.OpeningTimes(twentyfourseven=False)}, "regular_hours"),
        (
            {
                "opening_times": pb.OpeningTimes(
                    regular_hours=[pb.RegularHours(weekday=8, period_begin="07:00", period_end="08:00")]
                )
            },
            "weekday",
        ),
        (
            {
                "opening_times": pb.OpeningTimes(
                    regular_hours=[pb.RegularHours(weekday=1, period_begin="09:00", period_end="08:00")]
                )
            },
            "period_end",
        ),
        ({"operator": pb.BusinessDetails(name="")}, "site.operator.name"),
        ({"directions": [pb.DisplayText(language="english", text="x")]}, "site.directions.0.language"),
        ({"grid_connection": pb.GridConnection(phases=4)}, "phases"),
    ],
)
async def test_bad_sites_are_rejected_with_the_field(
    registry: RegistryServiceAsyncStub, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await registry.UpsertSite(pb.UpsertSiteRequest(site=site(**overrides)))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in (err.value.details() or "")


async def test_evse_specs(registry: RegistryServiceAsyncStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await registry.SetEvseSpecs(pb.SetEvseSpecsRequest(charge_point_id="CP-1", evses=evses()))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    await registry.UpsertChargePoint(pb.UpsertChargePointRequest(charge_point_id="CP-1", site="AMS-1"))
    stored = await registry.SetEvseSpecs(pb.SetEvseSpecsRequest(charge_point_id="CP-1", evses=evses(2, connectors=2)))
    assert [(e.evse_id, [c.connector_id for c in e.connectors]) for e in stored.evses] == [(1, [1, 2]), (2, [1, 2])]
    # Declarative replace: EVSE 2 goes, EVSE 1 keeps one connector.
    stored = await registry.SetEvseSpecs(
        pb.SetEvseSpecsRequest(charge_point_id="CP-1", evses=evses(1, connectors=1), replace=True)
    )
    assert [(e.evse_id, len(e.connectors)) for e in stored.evses] == [(1, 1)]
    listed = await registry.ListEvseSpecs(pb.ListEvseSpecsRequest(charge_point_ids=["CP-1", "CP-2"]))
    assert [cp.charge_point_id for cp in listed.charge_points] == ["CP-1"]
    connector = listed.charge_points[0].evses[0].connectors[0]
    assert (connector.standard, connector.power_type, connector.max_electric_power) == (
        "IEC_62196_T2",
        "AC_3_PHASE",
        22000,
    )
    bad = evses()
    bad[0].connectors[0].standard = "TYPE_2"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await registry.SetEvseSpecs(pb.SetEvseSpecsRequest(charge_point_id="CP-1", evses=bad))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "evses.0.connectors.0.standard" in (err.value.details() or "")


async def test_changes_are_announced_on_the_stream(
    registry: RegistryServiceAsyncStub, redis: Redis, settings: Settings
) -> None:
    await registry.UpsertSite(pb.UpsertSiteRequest(site=site()))
    await registry.UpsertChargePoint(pb.UpsertChargePointRequest(charge_point_id="CP-9", site="AMS-1"))
    ts = pb.RecordStatusRequest(
        charge_point_id="CP-9", connector=pb.ConnectorRef(evse_id=1, connector_id=1), status="Charging"
    )
    ts.timestamp.GetCurrentTime()
    assert (await registry.RecordStatus(ts)).applied

    async def kinds() -> list[tuple[int, str, str]]:
        entries: Any = await redis.xrange(settings.registry_change_stream)
        changes = [pb.RegistryChange.FromString(fields[b"m"]) for _, fields in entries]
        got: list[tuple[int, str, str]] = [(c.kind, c.site_id, c.charge_point_id) for c in changes]
        assert len(got) == 3
        return got

    assert await eventually(kinds) == [
        (pb.REGISTRY_CHANGE_KIND_SITE, "AMS-1", ""),
        (pb.REGISTRY_CHANGE_KIND_CHARGE_POINT, "", "CP-9"),
        (pb.REGISTRY_CHANGE_KIND_STATUS, "", "CP-9"),
    ]
