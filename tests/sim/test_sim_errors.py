"""The simulator reports every error it receives; it never hides one."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from chargeplane.sim import Scenario, SimConfig, Simulation
from chargeplane.sim.config import Backoff, Protocol
from chargeplane.sim.report import summary_table


def hostile(version: str, action: str, payload: dict[str, Any]) -> tuple[str, Any] | None:
    if action == "BootNotification":
        return ("result", {"currentTime": "2026-01-01T00:00:00Z", "interval": 1, "status": "Accepted"})
    if action == "StatusNotification":
        return ("error", "InternalError")
    if action == "Heartbeat":
        return ("error", "NotSupported" if version == "1.6" else "SecurityError")
    if action == "Authorize":
        return None  # never answered: must become a timeout
    return ("error", "NotImplemented")


async def test_callerrors_timeouts_and_garbage_are_counted(start_csms: Any, fake_csms_class: Any) -> None:
    csms = await start_csms(fake_csms_class(answer=hostile, garbage=True))
    config = SimConfig(
        url=csms.url,
        chargers=4,
        protocol=Protocol.MIX,
        seed=2,  # 2 chargers of each version with this seed
        scenario=Scenario.SESSIONS,
        duration=3.0,
        session_interval=0.2,
        call_timeout=0.5,
    )
    report = await Simulation(config).run()
    errors = report["call_errors"]
    assert errors.get("StatusNotification:InternalError", 0) >= 4
    assert errors.get("Heartbeat:NotSupported", 0) + errors.get("Heartbeat:SecurityError", 0) >= 4
    assert report["timeouts"].get("Authorize", 0) >= 1
    # After an unanswered Authorize the charger tries the transaction, which is refused.
    assert any(k.startswith(("StartTransaction:", "TransactionEvent:")) for k in errors)
    assert report["protocol_errors"]["unexpected_or_late_result"] >= 4
    assert report["protocol_errors"]["invalid_json"] >= 4
    assert report["sessions"]["failed"] >= 1
    total = sum(errors.values()) + sum(report["timeouts"].values()) + sum(report["protocol_errors"].values())
    assert report["errors_total"] == total
    text = summary_table(report)
    assert "StatusNotification:InternalError" in text
    assert f"ERRORS: {total}" in text


async def test_refused_connections_are_counted_and_retried_with_backoff() -> None:
    # Nothing listens on this port: every connect fails and is retried per the back-off.
    sim = Simulation(SimConfig(url="ws://127.0.0.1:9/ocpp", chargers=2, duration=1.5, backoff=Backoff(0.2, 0.1, 2)))
    report = await sim.run()
    assert report["connect_failures"]["ECONNREFUSED"] >= 4
    assert report["booted"] == 0
    assert report["errors_total"] >= 4


def test_backoff_follows_ocpp_201() -> None:
    b = Backoff(wait_minimum=3, random_range=10, repeat_times=2)
    assert b.delay(0, 0.0) == 3 and b.delay(0, 0.999) < 13
    assert b.delay(1, 0.0) == 6 and b.delay(2, 0.0) == 12
    assert b.delay(5, 0.0) == 12  # doubling stops after RepeatTimes


async def test_cli_strict_exits_nonzero_and_prints_json(start_csms: Any, fake_csms_class: Any) -> None:
    csms = await start_csms(fake_csms_class(answer=hostile))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from chargeplane.cli import main; main()",
        "sim", "--url", csms.url, "-n", "3", "--duration", "1.5", "--json", "--quiet", "--strict",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1, err.decode()
    doc = json.loads(out)
    assert doc["call_errors"]["StatusNotification:InternalError"] == 3
    assert doc["booted"] == 3
