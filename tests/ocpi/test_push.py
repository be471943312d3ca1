"""Reliable push through the outbox: a partner that is down is retried and catches up
without holding up the others; its lag and failures show in GetPartner and /metrics; a
partner that lost a location gets all of it again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
from ocpp.v16 import call as call16
from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus

from chargeplane.pb.ocpi.v1 import ocpi_pb2 as ocpi_pb
from chargeplane.pb.registry.v1 import registry_pb2 as pb
from chargeplane.runtime.components import AllInOne
from tests.chargers import library_charger
from tests.eventually import eventually

from .cpo_setup import install, registered_emsp, registry_of
from .sites import evses

if TYPE_CHECKING:
    from chargeplane.pb.ocpi.v1.ocpi_pb2_grpc import OcpiServiceAsyncStub

TIMEOUT = 20.0


async def test_a_partner_that_is_down_does_not_block_the_others(
    allinone: AllInOne, ocpi_admin: OcpiServiceAsyncStub, ocpi_http: httpx.AsyncClient
) -> None:
    key = f"{allinone.settings.ocpi_country_code}/{allinone.settings.ocpi_party_id}/SITE-D"
    async with (
        registered_emsp(ocpi_admin, "up") as (up, _),
        registered_emsp(ocpi_admin, "down") as (down, down_id),
        registry_of(allinone) as registry,
    ):
        await down.control("fail", http_status=503)
        await install(registry, "SITE-D", ["CP-D"])

        async def up_has_it() -> bool:
            return key in (await up.state())["locations"]

        await eventually(up_has_it, TIMEOUT)

        async def lagging() -> ocpi_pb.Partner:
            partner = (await ocpi_admin.GetPartner(ocpi_pb.GetPartnerRequest(partner_id=down_id))).partner
            assert partner.push.pending >= 1 and partner.push.failed >= 2, partner.push
            assert "503" in partner.push.last_error and partner.push.lag_seconds > 0
            return partner

        await eventually(lagging, TIMEOUT)

        async def metrics_show_it() -> bool:
            text = (await ocpi_http.get("/metrics")).text
            return 'chargeplane_ocpi_push_pending{partner="down"} 1.0' in text and (
                'chargeplane_ocpi_pushes_total{module="locations",outcome="retry",partner="down"}' in text
            )

        await eventually(metrics_show_it, TIMEOUT)
        await down.control("fail", http_status=None)

        async def caught_up() -> bool:
            partner = (await ocpi_admin.GetPartner(ocpi_pb.GetPartnerRequest(partner_id=down_id))).partner
            return key in (await down.state())["locations"] and partner.push.pending == 0

        await eventually(caught_up, TIMEOUT)
        partner = (await ocpi_admin.GetPartner(ocpi_pb.GetPartnerRequest(partner_id=down_id))).partner
        assert partner.push.delivered >= 1 and partner.push.dead == 0
        assert (await down.state())["violations"] == [] and (await up.state())["violations"] == []


async def test_a_partner_that_lost_the_location_gets_all_of_it(
    allinone: AllInOne, ocpi_admin: OcpiServiceAsyncStub
) -> None:
    key = f"{allinone.settings.ocpi_country_code}/{allinone.settings.ocpi_party_id}/SITE-L"
    async with registered_emsp(ocpi_admin) as (p, _), registry_of(allinone) as registry:
        await install(registry, "SITE-L", ["CP-L"])
        url = f"ws://127.0.0.1:{allinone.gateway_port}/ocpp"
        async with library_charger(url, "CP-L", "1.6") as cp:
            await cp.call(call16.BootNotification(charge_point_vendor="V", charge_point_model="M"))
            await cp.call(call16.StatusNotification(connector_id=1, error_code=ChargePointErrorCode.no_error,
                                                    status=ChargePointStatus.available))  # fmt: skip

            async def status(expected: str) -> dict[str, Any]:
                state = await p.state()
                assert state["locations"][key]["evses"][0]["status"] == expected
                return state

            await eventually(lambda: status("AVAILABLE"), TIMEOUT)
            await p.control("forget-locations")
            # The PATCH of the next status finds no location (404): the whole location follows.
            await cp.call(call16.StatusNotification(connector_id=1, error_code=ChargePointErrorCode.no_error,
                                                    status=ChargePointStatus.charging))  # fmt: skip
            state = await eventually(lambda: status("CHARGING"), TIMEOUT)
            methods = [(r["method"], r["path"].count("/")) for r in state["received"]]
            assert ("PATCH", 8) in methods and methods[-1] == ("PUT", 7)

        await p.control("forget-locations")
        # Hardware changed: a PUT of the EVSE, which also finds no location.
        changed = evses()
        changed[0].connectors[0].max_amperage = 16
        await registry.SetEvseSpecs(pb.SetEvseSpecsRequest(charge_point_id="CP-L", evses=changed))

        async def sixteen_amps() -> bool:
            state = await p.state()
            return bool(state["locations"][key]["evses"][0]["connectors"][0]["max_amperage"] == 16)

        await eventually(sixteen_amps, TIMEOUT)
        assert (await p.state())["violations"] == []
