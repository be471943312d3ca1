"""ChargePoint status reflects a real charger connected to a real gateway.

The whole CSMS runs in-process (the `allinone` fixture: registry gRPC, one gateway, REST API
on real PostgreSQL and Redis); the operator runs against the API emulator and reads the
registry over gRPC; the charger is the `ocpp` library's 2.0.1 ChargePoint over a WebSocket.
"""

from __future__ import annotations

from typing import Any

from ocpp.v201 import call

from chargeplane.operator import resources as r
from chargeplane.operator.kube import KubeClient
from chargeplane.runtime.components import AllInOne
from tests.chargers import library_charger
from tests.eventually import eventually
from tests.operator.conftest import OperatorRunner
from tests.operator.emulator import ApiServerEmulator
from tests.operator.test_operator_chargepoints import charge_point, condition, setup_site
from tests.operator.test_operator_sites import CPS, NS, SITES, obj


def events(k8s: ApiServerEmulator, reason: str) -> list[dict[str, Any]]:
    return [
        o.raw
        for (res, _, _), o in k8s.objects.items()
        if res.plural == "events" and not o.deleted and o.get("reason") == reason
    ]


async def test_status_follows_a_live_charger(
    k8s: ApiServerEmulator,
    api: KubeClient,
    operator: OperatorRunner,
    examples: list[dict[str, Any]],
    allinone: AllInOne,
) -> None:
    await setup_site(api, examples)
    await operator.start(registry_address=f"127.0.0.1:{allinone.grpc_port}")
    await api.create(charge_point("live-1", identity="LIVE-CP-1", ocppVersions=["ocpp2.0.1"]), NS)
    assert await eventually(lambda: obj(k8s, CPS, "live-1")["status"]["registered"])
    assert obj(k8s, CPS, "live-1")["status"]["connected"] is False

    async with library_charger(f"ws://127.0.0.1:{allinone.gateway_port}/ocpp", "LIVE-CP-1", "2.0.1") as charger:
        boot = await charger.call(
            call.BootNotification(charging_station={"model": "DC150", "vendor_name": "ACME"}, reason="PowerUp")
        )
        assert boot.status == "Accepted"

        # Connected comes with the WebSocket, vendor/model with the recorded Boot: wait for both.
        def connected_and_booted() -> dict[str, Any] | None:
            status: dict[str, Any] = obj(k8s, CPS, "live-1")["status"]
            return status if status["connected"] and "vendor" in status else None

        status = await eventually(connected_and_booted)
        assert status is not None
        assert status["protocol"] == "ocpp2.0.1"
        assert status["gateway"] == allinone.settings.pod_name
        assert (status["vendor"], status["model"]) == ("ACME", "DC150")
        assert condition(k8s, CPS, "live-1", "Connected")["status"] == "True"
        accepted = await eventually(lambda: condition(k8s, CPS, "live-1", "Accepted"))
        assert (accepted["status"], accepted["reason"]) == ("True", "BootAccepted")
        (event,) = await eventually(lambda: events(k8s, "Connected"))
        assert event["involvedObject"]["name"] == "live-1" and event["type"] == "Normal"
        # The site sums up its chargers' live state.
        assert await eventually(lambda: obj(k8s, SITES, "depot-amsterdam")["status"].get("connected") == 1)

    assert await eventually(lambda: obj(k8s, CPS, "live-1")["status"]["connected"] is False)
    assert condition(k8s, CPS, "live-1", "Connected")["reason"] == "WebSocketDown"
    assert await eventually(lambda: events(k8s, "Disconnected"))
    assert await eventually(lambda: obj(k8s, SITES, "depot-amsterdam")["status"].get("connected") == 0)
    assert r.FINALIZER in obj(k8s, CPS, "live-1")["metadata"]["finalizers"]
