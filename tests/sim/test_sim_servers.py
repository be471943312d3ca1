"""Small simulator runs against real servers: the baseline and `chargeplane run`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bench.servers import BaselineServer, ChargeplaneServer, chargeplane_run_available
from chargeplane.sim import Scenario, SimConfig, Simulation
from chargeplane.sim.config import Protocol
from chargeplane.sim.messages import V16


@pytest.fixture(scope="module")
def baseline() -> Iterator[BaselineServer]:
    server = BaselineServer()
    with server:
        yield server


async def test_200_chargers_against_the_baseline(baseline: BaselineServer) -> None:
    config = SimConfig(url=baseline.url, chargers=200, protocol=Protocol.MIX, duration=3.0, connect_rate=500)
    sim = Simulation(config)
    report = await sim.run()
    assert report["booted"] == 200
    assert report["boot_status"] == {"Accepted": 200}
    v16 = sum(1 for c in sim.chargers if c.dialect is V16)
    assert 0 < v16 < 200
    assert report["actions"]["StatusNotification"]["results"] == 200 + v16  # 1.6 also reports connector 0
    assert report["errors_total"] == 0, report


async def test_baseline_answers_unsupported_actions_with_callerrors(baseline: BaselineServer) -> None:
    config = SimConfig(url=baseline.url, chargers=4, duration=2.0, scenario=Scenario.SESSIONS, session_interval=0.2)
    report = await Simulation(config).run()
    assert report["call_errors"].get("Authorize:NotImplemented", 0) >= 1
    assert report["call_errors"].get("TransactionEvent:NotImplemented", 0) >= 1
    assert report["sessions"]["failed"] >= 1


@pytest.fixture(scope="module")
def chargeplane_server() -> Iterator[ChargeplaneServer]:
    # `chargeplane run` is built: a start-up failure is a real failure, never a skip.
    available, exe = chargeplane_run_available()
    assert available, exe
    server = ChargeplaneServer(exe)
    try:
        server.start(timeout=120)
    except RuntimeError:
        server.stop()
        raise
    yield server
    server.stop()


@pytest.mark.slow
async def test_200_chargers_against_chargeplane_run(chargeplane_server: ChargeplaneServer) -> None:
    config = SimConfig(
        url=chargeplane_server.url, chargers=200, protocol=Protocol.MIX, duration=4.0, connect_rate=500, call_timeout=10
    )
    report = await Simulation(config).run()
    assert report["booted"] == 200, report
    assert report["errors_total"] == 0, report
    await asyncio.sleep(0)
