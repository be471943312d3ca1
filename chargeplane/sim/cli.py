"""`chargeplane sim`: run virtual chargers against a CSMS."""

from __future__ import annotations

import asyncio
import os
import resource
import sys
from typing import Any

import click
import orjson

from chargeplane.sim.config import Backoff, Protocol, Scenario, SimConfig
from chargeplane.sim.engine import Simulation
from chargeplane.sim.report import summary_table


def raise_fd_limit() -> int:
    """Lift the soft open-files limit to the hard limit (each charger is one socket)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else 1 << 20
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def run_simulation(config: SimConfig, *, progress: bool, use_uvloop: bool = True) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        sim = Simulation(config, progress=sys.stderr if progress else None)
        return await sim.run()

    if use_uvloop:
        import uvloop

        result: dict[str, Any] = uvloop.run(main())
        return result
    return asyncio.run(main())


@click.command("sim")
@click.option(
    "--url", default="ws://127.0.0.1:9000/ocpp", show_default=True, help="Base URL; charger i dials <url>/<prefix><i>."
)
@click.option("--chargers", "-n", default=10, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--protocol", type=click.Choice([p.value for p in Protocol]), default="2.0.1", show_default=True)
@click.option("--scenario", type=click.Choice([s.value for s in Scenario]), default="idle", show_default=True)
@click.option("--prefix", default="SIM", show_default=True, help="Charger identity prefix.")
@click.option("--first-index", default=1, show_default=True, type=int)
@click.option(
    "--password", default=None, envvar="CHARGEPLANE_SIM_PASSWORD", help="HTTP Basic password (user = charger id)."
)
@click.option("--seed", default=1, show_default=True, type=int, help="Random seed (protocol mix, timings).")
@click.option("--duration", default=30.0, show_default=True, type=float, help="Seconds to run.")
@click.option("--connect-rate", default=1000.0, show_default=True, type=float, help="Connections/s; 0 = unlimited.")
@click.option("--max-pending", default=1000, show_default=True, type=int, help="Handshakes in flight.")
@click.option("--connectors", default=1, show_default=True, type=click.IntRange(1, 16))
@click.option("--heartbeat-interval", type=float, default=None, help="Override the interval the CSMS returns.")
@click.option("--call-timeout", default=30.0, show_default=True, type=float)
@click.option("--compression/--no-compression", default=False, show_default=True, help="Offer permessage-deflate.")
@click.option("--source-addresses", default=0, show_default=True, type=int, help="Spread over 127.0.0.2..; 0 = auto.")
@click.option("--session-interval", default=60.0, show_default=True, type=float, help="Mean idle gap between sessions.")
@click.option("--session-duration", default=120.0, show_default=True, type=float)
@click.option("--meter-interval", default=15.0, show_default=True, type=float)
@click.option("--id-tag", default="SIMTAG", show_default=True)
@click.option("--status-interval", default=10.0, show_default=True, type=float, help="status-churn: mean gap.")
@click.option("--reconnect-interval", default=60.0, show_default=True, type=float, help="reconnect: mean uptime.")
@click.option("--backoff-min", default=3.0, show_default=True, type=float, help="RetryBackOffWaitMinimum (s).")
@click.option("--backoff-range", default=10.0, show_default=True, type=float, help="RetryBackOffRandomRange (s).")
@click.option("--backoff-repeat", default=3, show_default=True, type=int, help="RetryBackOffRepeatTimes.")
@click.option(
    "--load-action",
    type=click.Choice(["Heartbeat", "MeterValues", "StatusNotification", "Authorize"]),
    default="Heartbeat",
)
@click.option("--warmup", default=0.0, type=float, help="Seconds before latencies are recorded.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.option("--quiet", is_flag=True, help="No live progress line.")
@click.option("--strict", is_flag=True, help="Exit 1 if any error was recorded.")
@click.option("--cpu", "cpus", default=None, help="Pin to these CPUs, e.g. '1' or '0,1'.")
def sim(**opts: Any) -> None:
    """Run virtual OCPP 1.6J / 2.0.1 chargers against a CSMS.

    Errors are never hidden: every CALLERROR (by action and code), timeout, failed
    connect and unexpected disconnect is counted and printed in the summary.
    """
    if opts["cpus"]:
        os.sched_setaffinity(0, {int(c) for c in str(opts["cpus"]).split(",")})
    limit = raise_fd_limit()
    if opts["chargers"] + 64 > limit:
        raise click.UsageError(f"{opts['chargers']} chargers need more open files than the limit ({limit})")
    config = SimConfig(
        url=opts["url"],
        chargers=opts["chargers"],
        protocol=Protocol(opts["protocol"]),
        scenario=Scenario(opts["scenario"]),
        prefix=opts["prefix"],
        first_index=opts["first_index"],
        password=opts["password"],
        seed=opts["seed"],
        duration=opts["duration"],
        connect_rate=opts["connect_rate"],
        max_pending_connects=opts["max_pending"],
        connectors=opts["connectors"],
        heartbeat_interval=opts["heartbeat_interval"],
        call_timeout=opts["call_timeout"],
        compression=opts["compression"],
        source_addresses=opts["source_addresses"],
        session_interval=opts["session_interval"],
        session_duration=opts["session_duration"],
        meter_interval=opts["meter_interval"],
        id_tag=opts["id_tag"],
        status_interval=opts["status_interval"],
        reconnect_interval=opts["reconnect_interval"],
        backoff=Backoff(opts["backoff_min"], opts["backoff_range"], opts["backoff_repeat"]),
        load_action=opts["load_action"],
        warmup=opts["warmup"],
    )
    report = run_simulation(config, progress=not opts["quiet"])
    if opts["as_json"]:
        sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        click.echo(summary_table(report))
    if opts["strict"] and report["errors_total"]:
        sys.exit(1)
