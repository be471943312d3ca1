"""The load generator, run as its own process (pinned to its own core) by the suite.

It drives `chargeplane.sim` and reads the server's CPU and RSS from /proc itself, at
the exact moments that matter (before connecting, after the fleet is up, around the
measured window), then prints one JSON document.

    python -m bench.loadgen fleet --url ws://... --server-pid P --chargers 10000
    python -m bench.loadgen throughput --url ws://... --server-pid P --action Heartbeat
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import sys
import time
from typing import Any

import orjson
import uvloop

from bench import procstat
from chargeplane.sim import Scenario, SimConfig, Simulation
from chargeplane.sim.cli import raise_fd_limit
from chargeplane.sim.config import Protocol


def _sample(pid: int) -> tuple[float, procstat.CpuSample]:
    return time.monotonic(), procstat.cpu(pid)


async def fleet(args: argparse.Namespace) -> dict[str, Any]:
    """G1 (server KiB/connection), G12 (simulator footprint), G10 (reconnect storm)."""
    pid = args.server_pid
    gc.collect()
    rss0 = procstat.rss(pid)
    t0, cpu0 = _sample(pid)
    config = SimConfig(
        url=args.url,
        chargers=args.chargers,
        protocol=Protocol(args.protocol),
        scenario=Scenario.IDLE,
        connect_rate=args.connect_rate,
        heartbeat_interval=3600.0,  # idle means idle: keep heartbeats out of the window
        call_timeout=args.timeout,
        connect_timeout=args.timeout,
        prefix=args.prefix,
    )
    sim = Simulation(config)
    await sim.start()
    up = await sim.wait_ready(timeout=args.timeout * 3)
    t1, cpu1 = _sample(pid)
    await asyncio.sleep(args.settle)  # let the server finish post-boot work before RSS
    rss1 = procstat.rss(pid)
    report = sim.report()
    result: dict[str, Any] = {
        "chargers": args.chargers,
        "all_connected": up,
        "connected": sim.ready,
        "connect_seconds": round(t1 - t0, 3),
        "server_rss_before": rss0,
        "server_rss_after": rss1,
        "server_kib_per_connection": round((rss1 - rss0) / max(1, sim.ready) / 1024, 2),
        "server_cpu_ms_per_connect": round((cpu1.process - cpu0.process) * 1000 / max(1, sim.ready), 4),
        "server_tree_cpu_ms_per_connect": round((cpu1.tree - cpu0.tree) * 1000 / max(1, sim.ready), 4),
        "sim_footprint": report["footprint"],
        "errors_connect": report["errors_total"],
    }
    if args.storm and up:
        errors_before = sim.stats.error_total()
        connect_failures_before = sum(sim.stats.connect_failures.values())
        _, cpu2 = _sample(pid)
        elapsed = await sim.reconnect_storm(timeout=args.storm_timeout)
        _, cpu3 = _sample(pid)
        result["storm"] = {
            "seconds": None if elapsed is None else round(elapsed, 3),
            "all_accepted": elapsed is not None,
            "connected": sim.ready,
            "failures": sim.stats.error_total() - errors_before,
            "connect_failures": sum(sim.stats.connect_failures.values()) - connect_failures_before,
            "server_cpu_ms_per_reconnect": round((cpu3.process - cpu2.process) * 1000 / args.chargers, 4),
            "server_tree_cpu_seconds": round(cpu3.tree - cpu2.tree, 3),
        }
    elif args.storm:
        result["storm"] = {
            "ran": False,
            "all_accepted": False,
            "reason": f"the fleet did not come up: {sim.ready}/{args.chargers} booted in the connect phase",
        }
    await sim.stop()
    final = sim.report()
    result["errors"] = {
        k: final[k] for k in ("call_errors", "timeouts", "connect_failures", "protocol_errors", "lost_in_flight")
    }
    result["errors_total"] = final["errors_total"]
    result["boot_status"] = final["boot_status"]
    return result


async def throughput(args: argparse.Namespace) -> dict[str, Any]:
    """G2 / G3 / G7: closed-loop `action` from N chargers; server CPU per message."""
    pid = args.server_pid
    config = SimConfig(
        url=args.url,
        chargers=args.chargers,
        protocol=Protocol(args.protocol),
        scenario=Scenario.THROUGHPUT,
        load_action=args.action,
        heartbeat_interval=3600.0,
        call_timeout=args.timeout,
        warmup=3600.0,  # ended explicitly below, once everyone is up and warm
        prefix=args.prefix,
    )
    sim = Simulation(config)
    await sim.start()
    up = await sim.wait_ready(timeout=args.timeout)
    await asyncio.sleep(args.warmup)
    sim.end_warmup()
    t0, cpu0 = _sample(pid)
    await asyncio.sleep(args.measure)
    t1, cpu1 = _sample(pid)
    done = sim.stats.results.get(args.action, 0)
    errors = sum(n for (a, _), n in sim.stats.call_errors.items() if a == args.action)
    latency = sim.stats.latencies.get(args.action)
    await sim.stop()
    report = sim.report()
    wall = t1 - t0
    answered = done + errors
    return {
        "action": args.action,
        "chargers": args.chargers,
        "all_connected": up,
        "seconds": round(wall, 3),
        "results": done,
        "call_errors": errors,
        "msgs_per_second": round(answered / wall, 1) if wall > 0 else None,
        "server_cpu_us_per_msg": round((cpu1.process - cpu0.process) * 1e6 / answered, 2) if answered else None,
        "server_tree_cpu_us_per_msg": round((cpu1.tree - cpu0.tree) * 1e6 / answered, 2) if answered else None,
        "server_cpu_utilisation": round((cpu1.process - cpu0.process) / wall, 3) if wall > 0 else None,
        **(latency.percentiles() if latency else {}),
        "errors": {k: report[k] for k in ("call_errors", "timeouts", "connect_failures", "protocol_errors")},
        "errors_total": report["errors_total"],
    }


async def commands(args: argparse.Namespace) -> dict[str, Any]:
    """G8: operator API -> owning gateway -> charger -> API, through the REST passthrough."""
    import httpx

    config = SimConfig(
        url=args.url,
        chargers=args.chargers,
        protocol=Protocol(args.protocol),
        scenario=Scenario.IDLE,
        heartbeat_interval=3600.0,
        prefix=args.prefix,
    )
    sim = Simulation(config)
    await sim.start()
    up = await sim.wait_ready(timeout=args.timeout)
    pid = args.server_pid
    action, payload = "TriggerMessage", {"requestedMessage": "Heartbeat"}
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    interval = 1.0 / args.rate
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    _, cpu0 = _sample(pid)
    async with httpx.AsyncClient(base_url=args.api_url, headers=headers, timeout=30.0) as client:
        start = time.monotonic()
        for i in range(args.commands):
            # Open loop at `rate`, one request at a time (the budget is per-command latency).
            delay = start + i * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            cp_id = config.charger_id(i % args.chargers)
            t0 = time.perf_counter()
            try:
                resp = await client.post(f"/v1/chargepoints/{cp_id}/ocpp/{action}", json=payload)
                body = resp.json() if resp.headers.get("content-type", "").endswith("json") else {}
                key = (
                    f"http_{resp.status_code}:{body.get('status', '?')}"
                    if isinstance(body, dict)
                    else f"http_{resp.status_code}"
                )
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            latencies.append(time.perf_counter() - t0)
            outcomes[key] = outcomes.get(key, 0) + 1
    _, cpu1 = _sample(pid)
    await asyncio.sleep(0.5)  # the triggered Heartbeats
    delivered = sim.stats.csms_calls.get(action, 0)
    await sim.stop()
    ordered = sorted(latencies)
    n = len(ordered)
    return {
        "chargers": args.chargers,
        "all_connected": up,
        "commands": args.commands,
        "outcomes": outcomes,
        "answered": outcomes.get("http_200:answered", 0),
        "delivered_to_chargers": delivered,
        "p50_ms": round(ordered[n // 2] * 1000, 3) if n else None,
        "p99_ms": round(ordered[min(n - 1, int(n * 0.99))] * 1000, 3) if n else None,
        "server_tree_cpu_ms_per_command": round((cpu1.tree - cpu0.tree) * 1000 / max(1, n), 3),
        "errors_total": sim.report()["errors_total"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["fleet", "throughput", "commands"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--protocol", default="2.0.1", choices=["1.6", "2.0.1", "mix"])
    parser.add_argument("--chargers", type=int, default=1000)
    parser.add_argument("--prefix", default="BENCH")
    parser.add_argument("--cpu", type=int, default=None, help="pin this process to one core")
    parser.add_argument("--timeout", type=float, default=30.0)
    # fleet
    parser.add_argument("--connect-rate", type=float, default=2000.0)
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--storm", action="store_true")
    parser.add_argument("--storm-timeout", type=float, default=60.0)
    # throughput
    parser.add_argument("--action", default="Heartbeat")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--measure", type=float, default=8.0)
    # commands
    parser.add_argument("--api-url", default="")
    parser.add_argument("--token", default="")
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--rate", type=float, default=100.0)
    args = parser.parse_args(argv)
    if args.cpu is not None:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {args.cpu})
    raise_fd_limit()
    coro = {"fleet": fleet, "throughput": throughput, "commands": commands}[args.mode](args)
    result = uvloop.run(coro)
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
