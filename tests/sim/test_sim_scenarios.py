"""Scenario behaviour: boot-storm ends when all are booted, churn, reconnect with back-off."""

from __future__ import annotations

import time
from typing import Any

from chargeplane.sim import Scenario, SimConfig, Simulation
from chargeplane.sim.config import Backoff


async def test_boot_storm_stops_once_everyone_is_booted(start_csms: Any, fake_csms_class: Any) -> None:
    csms = await start_csms(fake_csms_class())
    t0 = time.monotonic()
    sim = Simulation(SimConfig(url=csms.url, chargers=50, scenario=Scenario.BOOT_STORM, duration=30, connect_rate=0))
    report = await sim.run()
    assert time.monotonic() - t0 < 10
    assert report["booted"] == 50 and report["errors_total"] == 0
    assert report["footprint"]["all_booted_seconds"] > 0
    assert {cp for cp, _, a, _ in csms.calls if a == "BootNotification"} == {f"SIM{i}" for i in range(1, 51)}


async def test_status_churn_changes_status(start_csms: Any, fake_csms_class: Any) -> None:
    csms = await start_csms(fake_csms_class())
    config = SimConfig(url=csms.url, chargers=4, scenario=Scenario.STATUS_CHURN, duration=2.0, status_interval=0.1)
    report = await Simulation(config).run()
    statuses = {p["connectorStatus"] for _, _, a, p in csms.calls if a == "StatusNotification"}
    assert {"Available", "Occupied", "Unavailable"} <= statuses
    assert report["actions"]["StatusNotification"]["results"] > 4 * 5
    assert report["errors_total"] == 0


async def test_reconnect_uses_backoff_and_counts_reconnects(start_csms: Any, fake_csms_class: Any) -> None:
    csms = await start_csms(fake_csms_class())
    config = SimConfig(
        url=csms.url,
        chargers=3,
        scenario=Scenario.RECONNECT,
        duration=3.0,
        reconnect_interval=0.3,
        backoff=Backoff(wait_minimum=0.2, random_range=0.1, repeat_times=1),
    )
    report = await Simulation(config).run()
    assert report["reconnects"] >= 3
    assert report["disconnects"]["closed_by_sim"] >= 3 + 3  # drops, then the final close
    assert report["errors_total"] == 0
    boots = [p for _, _, a, p in csms.calls if a == "BootNotification"]
    assert len(boots) == report["connects"]
    assert {"PowerUp", "Unknown"} <= {b["reason"] for b in boots}
