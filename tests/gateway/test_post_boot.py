"""Post-boot hooks: registered once for both versions, run after an accepted boot is
answered (never for a Pending or Rejected one); a failing hook harms neither the answer
nor the other hooks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from chargeplane.config import BootPolicy, Settings
from chargeplane.domain.chargepoints import BootDecision, RegistrationStatus
from chargeplane.gateway.clients.registry import RegistryClient
from chargeplane.gateway.connection import OcppConnection
from chargeplane.gateway.dependencies import dependencies
from chargeplane.gateway.server import GatewayServer
from chargeplane.runtime.components import AllInOne, all_in_one
from tests.chargers import raw_charger
from tests.eventually import eventually, still

BOOT = {
    "1.6": {"chargePointVendor": "V", "chargePointModel": "M"},
    "2.0.1": {"reason": "PowerUp", "chargingStation": {"vendorName": "V", "model": "M"}},
}


@pytest.fixture
async def production(settings: Settings) -> AsyncIterator[AllInOne]:
    """The CSMS with the production boot policy: unknown chargers are answered Rejected."""
    async with all_in_one(settings.model_copy(update={"boot_policy": BootPolicy.PRODUCTION})) as running:
        yield running


async def _gateway_with_hooks(cs: AllInOne, channel: grpc.aio.Channel, ran: list[tuple[str, str]]) -> GatewayServer:
    registry = RegistryClient(channel, deadline=5, flush_interval=0.2)
    deps = dependencies(registry)

    async def failing(conn: OcppConnection, decision: BootDecision) -> None:
        raise RuntimeError("this hook always fails")

    async def recording(conn: OcppConnection, decision: BootDecision) -> None:
        ran.append((conn.cp_id, decision.status.value))

    deps.after_boot.register("failing", failing)
    deps.after_boot.register("recording", recording)
    settings = cs.settings.model_copy(update={"pod_name": "gw-hooks", "gateway_port": 0})
    gateway = GatewayServer(settings, registry, cs.redis, deps)
    await gateway.start()
    return gateway


def test_the_all_in_one_gateway_registers_each_hook_once(allinone: AllInOne) -> None:
    assert allinone.gateway.deps.after_boot.names == ["flag open transactions", "push desired configuration"]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_hooks_run_after_an_accepted_boot(allinone: AllInOne, version: str) -> None:
    ran: list[tuple[str, str]] = []
    async with grpc.aio.insecure_channel(f"127.0.0.1:{allinone.grpc_port}") as channel:
        gateway = await _gateway_with_hooks(allinone, channel, ran)
        try:
            async with raw_charger(f"ws://127.0.0.1:{gateway.port}/ocpp", f"HOOK-{version}", version) as c:
                assert (await c.call("BootNotification", BOOT[version]))[2]["status"] == "Accepted"
                await eventually(lambda: ran == [(f"HOOK-{version}", RegistrationStatus.ACCEPTED.value)])
                assert (await c.call("Heartbeat", {}))[0] == 3  # the failing hook harmed nothing
        finally:
            await gateway.stop()


async def test_no_hooks_unless_the_boot_is_accepted(production: AllInOne) -> None:
    ran: list[tuple[str, str]] = []
    async with grpc.aio.insecure_channel(f"127.0.0.1:{production.grpc_port}") as channel:
        gateway = await _gateway_with_hooks(production, channel, ran)
        try:
            async with raw_charger(f"ws://127.0.0.1:{gateway.port}/ocpp", "HOOK-REJECTED", "2.0.1") as c:
                assert (await c.call("BootNotification", BOOT["2.0.1"]))[2]["status"] == "Rejected"
                await still(lambda: ran == [], 0.5)
        finally:
            await gateway.stop()
