"""Locations (2.2.1 chapter 8), CPO side: the sender interface (paginated list with date
filters, single objects) and pushes to the partners' receivers, within seconds of an OCPP
StatusNotification from a real charger."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import grpc
import pytest
from ocpp.v16 import call as call16
from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus
from ocpp.v201 import call as call201
from ocpp.v201.datatypes import ChargingStationType

from chargeplane.config import Settings
from chargeplane.domain.ocpi.datetimes import format_datetime
from chargeplane.pb.ocpi.v1 import ocpi_pb2_grpc
from chargeplane.pb.registry.v1 import registry_pb2 as pb
from chargeplane.runtime.components import AllInOne, all_in_one
from tests.chargers import library_charger
from tests.eventually import eventually

from .cpo_setup import install, registered_emsp, registry_of
from .peers import Peer

if TYPE_CHECKING:
    from chargeplane.pb.ocpi.v1.ocpi_pb2_grpc import OcpiServiceAsyncStub

TIMEOUT = 15.0


def evse_of(state: dict[str, Any], location_key: str) -> dict[str, Any]:
    location = state["locations"][location_key]
    assert len(location["evses"]) == 1, location
    evse: dict[str, Any] = location["evses"][0]
    return evse


async def status_at_peer(p: Peer, location_key: str, expected: str) -> dict[str, Any]:
    async def check() -> dict[str, Any]:
        state = await p.state()
        assert evse_of(state, location_key)["status"] == expected
        return state

    return await eventually(check, TIMEOUT)


async def report_16(cp: Any, status: ChargePointStatus) -> None:
    await cp.call(call16.StatusNotification(connector_id=1, error_code=ChargePointErrorCode.no_error, status=status))


async def report_201(cp: Any, status: str) -> None:
    await cp.call(
        call201.StatusNotification(
            timestamp=format_datetime(datetime.now(UTC)), connector_status=status, evse_id=1, connector_id=1
        )
    )


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_status_change_on_a_real_charger_reaches_the_peer(
    version: str, allinone: AllInOne, ocpi_admin: OcpiServiceAsyncStub
) -> None:
    key = f"{allinone.settings.ocpi_country_code}/{allinone.settings.ocpi_party_id}/SITE-A"
    async with registered_emsp(ocpi_admin) as (p, _), registry_of(allinone) as registry:
        await install(registry, "SITE-A", ["CP-1"])
        # The new location is pushed whole; the charger is offline: UNKNOWN.
        await status_at_peer(p, key, "UNKNOWN")
        url = f"ws://127.0.0.1:{allinone.gateway_port}/ocpp"
        async with library_charger(url, "CP-1", version) as cp:
            if version == "1.6":
                await cp.call(call16.BootNotification(charge_point_vendor="V", charge_point_model="M"))
                await report_16(cp, ChargePointStatus.available)
                await status_at_peer(p, key, "AVAILABLE")
                await report_16(cp, ChargePointStatus.charging)
                await status_at_peer(p, key, "CHARGING")
                await report_16(cp, ChargePointStatus.finishing)
                state = await status_at_peer(p, key, "BLOCKED")
            else:
                station = ChargingStationType(vendor_name="V", model="M")
                await cp.call(call201.BootNotification(charging_station=station, reason="PowerUp"))
                await report_201(cp, "Available")
                await status_at_peer(p, key, "AVAILABLE")
                await report_201(cp, "Occupied")
                await status_at_peer(p, key, "CHARGING")
                await report_201(cp, "Faulted")
                state = await status_at_peer(p, key, "OUTOFORDER")
        assert state["violations"] == []
        received = [(r["method"], r["path"].count("/")) for r in state["received"]]
        assert received[0] == ("PUT", 7)  # /ocpi/emsp/2.2.1/locations/cc/pid/loc: the whole location
        patches = [r["body"] for r in state["received"] if r["method"] == "PATCH"]
        assert patches and all(set(b) == {"status", "last_updated"} for b in patches)


async def test_locations_are_pulled_page_by_page(allinone: AllInOne, ocpi_admin: OcpiServiceAsyncStub) -> None:
    async with registered_emsp(ocpi_admin) as (p, _), registry_of(allinone) as registry:
        for n in range(7):
            await install(registry, f"LOC-{n}", [f"CP-L{n}"])

        async def all_seven() -> dict[str, Any]:
            # Until the last location exists, a crawl may see the total grow between pages
            # (the spec's "X-Total-Count will be higher on the next call"): crawl again.
            pulled: dict[str, Any] = await p.control("pull-locations", limit=3)
            assert pulled["ok"] and len(pulled["locations"]) == 7, pulled
            assert {page["total"] for page in pulled["pages"]} == {7}, pulled["pages"]
            return pulled

        pulled = await eventually(all_seven, TIMEOUT)
        assert [page["count"] for page in pulled["pages"]] == [3, 3, 1]
        assert {page["total"] for page in pulled["pages"]} == {7}
        assert {page["limit"] for page in pulled["pages"]} == {3}
        assert [loc["id"] for loc in pulled["locations"]] == [f"LOC-{n}" for n in range(7)]  # oldest first
        capped = await p.control("pull-locations", limit=5000)
        assert capped["pages"] == [{"count": 7, "total": 7, "limit": allinone.settings.ocpi_page_limit}]

        # date_from (inclusive) / date_to (exclusive) on last_updated.
        cut = format_datetime(datetime.now(UTC))
        await registry.UpsertSite(pb.UpsertSiteRequest(site=_renamed("LOC-3")))

        async def only_the_renamed() -> dict[str, Any]:
            newer: dict[str, Any] = await p.control("pull-locations", date_from=cut)
            assert [loc["id"] for loc in newer["locations"]] == ["LOC-3"], newer
            return newer

        newer = await eventually(only_the_renamed, TIMEOUT)
        assert newer["locations"][0]["name"] == "Renamed"
        older = await p.control("pull-locations", date_to=cut)
        assert sorted(loc["id"] for loc in older["locations"]) == sorted(f"LOC-{n}" for n in range(7) if n != 3)

        # Single objects: Location, EVSE, Connector; unknown ones are 404 with 2003/2000.
        location = pulled["locations"][0]
        uid = location["evses"][0]["uid"]
        got = await p.control("get-location", path="LOC-0")
        assert got["http_status"] == 200 and got["envelope"]["data"]["id"] == "LOC-0"
        got = await p.control("get-location", path=f"LOC-0/{uid}")
        assert got["envelope"]["data"]["uid"] == uid
        got = await p.control("get-location", path=f"LOC-0/{uid}/1")
        assert got["envelope"]["data"]["standard"] == "IEC_62196_T2"
        missing = await p.control("get-location", path="NOPE")
        assert (missing["http_status"], missing["envelope"]["status_code"]) == (404, 2003)
        missing = await p.control("get-location", path=f"LOC-0/{uid}/9")
        assert missing["http_status"] == 404
        assert (await p.state())["violations"] == []


def _renamed(site_id: str) -> pb.Site:
    from .sites import site

    return site(site_id, name="Renamed")


async def test_evses_of_a_charge_point_that_moves_are_removed(
    allinone: AllInOne, ocpi_admin: OcpiServiceAsyncStub
) -> None:
    cc, pid = allinone.settings.ocpi_country_code, allinone.settings.ocpi_party_id
    async with registered_emsp(ocpi_admin) as (p, _), registry_of(allinone) as registry:
        await install(registry, "OLD", ["CP-M", "CP-STAY"])
        await install(registry, "NEW", [])

        async def both_at_old() -> bool:
            return len((await p.state())["locations"][f"{cc}/{pid}/OLD"]["evses"]) == 2

        await eventually(both_at_old, TIMEOUT)
        await registry.UpsertChargePoint(pb.UpsertChargePointRequest(charge_point_id="CP-M", site="NEW"))

        async def moved() -> dict[str, Any]:
            state = await p.state()
            old = {e["status"] for e in state["locations"][f"{cc}/{pid}/OLD"]["evses"]}
            assert old == {"REMOVED", "UNKNOWN"}
            assert len(state["locations"][f"{cc}/{pid}/NEW"]["evses"]) == 1
            return state

        state = await eventually(moved, TIMEOUT)
        new_uid = state["locations"][f"{cc}/{pid}/NEW"]["evses"][0]["uid"]
        assert new_uid not in {e["uid"] for e in state["locations"][f"{cc}/{pid}/OLD"]["evses"]}
        assert state["violations"] == []


async def test_a_charger_that_goes_offline_becomes_unknown(settings: Settings) -> None:
    """Nothing announces a lost connection: the periodic re-read finds it."""
    async with all_in_one(settings.model_copy(update={"ocpi_sync_interval": 1.0})) as running:
        key = f"{running.settings.ocpi_country_code}/{running.settings.ocpi_party_id}/SITE-O"
        async with (
            grpc.aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel,
            registered_emsp(ocpi_pb2_grpc.OcpiServiceStub(channel)) as (p, _),
            registry_of(running) as registry,
        ):
            await install(registry, "SITE-O", ["CP-O"])
            url = f"ws://127.0.0.1:{running.gateway_port}/ocpp"
            async with library_charger(url, "CP-O", "1.6") as cp:
                await cp.call(call16.BootNotification(charge_point_vendor="V", charge_point_model="M"))
                await report_16(cp, ChargePointStatus.available)
                await status_at_peer(p, key, "AVAILABLE")
            state = await status_at_peer(p, key, "UNKNOWN")
            assert state["violations"] == []
