"""How long an OCPP StatusNotification takes to reach a partner's Locations receiver: the
registry's change stream, the projection, the outbox, the HTTP PATCH. Prints the figures
(`pytest tests/ocpi/test_push_latency.py -s`); asserts only that every change arrives."""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING

import pytest
from ocpp.v16 import call as call16
from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus

from chargeplane.runtime.components import AllInOne
from tests.chargers import library_charger
from tests.eventually import eventually

from .cpo_setup import install, registered_emsp, registry_of

if TYPE_CHECKING:
    from chargeplane.pb.ocpi.v1.ocpi_pb2_grpc import OcpiServiceAsyncStub

CHANGES = 20


@pytest.mark.slow
async def test_status_push_latency(allinone: AllInOne, ocpi_admin: OcpiServiceAsyncStub) -> None:
    key = f"{allinone.settings.ocpi_country_code}/{allinone.settings.ocpi_party_id}/SITE-LAT"
    async with registered_emsp(ocpi_admin) as (p, _), registry_of(allinone) as registry:
        await install(registry, "SITE-LAT", ["CP-LAT"])
        url = f"ws://127.0.0.1:{allinone.gateway_port}/ocpp"
        async with library_charger(url, "CP-LAT", "1.6") as cp:
            await cp.call(call16.BootNotification(charge_point_vendor="V", charge_point_model="M"))
            latencies: list[float] = []
            for n in range(CHANGES):
                status, expected = (
                    (ChargePointStatus.charging, "CHARGING") if n % 2 else (ChargePointStatus.available, "AVAILABLE")
                )
                start = time.perf_counter()
                await cp.call(call16.StatusNotification(connector_id=1, error_code=ChargePointErrorCode.no_error,
                                                        status=status))  # fmt: skip

                async def arrived(expected: str = expected) -> bool:
                    state = await p.state()
                    return bool(state["locations"].get(key, {}).get("evses", [{}])[0].get("status") == expected)

                await eventually(arrived, 15, interval=0.005)
                latencies.append(time.perf_counter() - start)
        ms = sorted(x * 1000 for x in latencies)
        print(
            f"\nStatusNotification -> partner PATCH: median {statistics.median(ms):.0f} ms, "
            f"p90 {ms[int(len(ms) * 0.9) - 1]:.0f} ms, max {ms[-1]:.0f} ms over {CHANGES} changes"
        )
        assert (await p.state())["violations"] == []
