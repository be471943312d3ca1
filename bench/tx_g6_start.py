"""G6: StartTransaction (1.6) and TransactionEvent Started (2.0.1), durable, over a real WebSocket.

Each answer is sent only after the row is committed (synchronous_commit on, fsync on).
Latency with one CALL in flight per charger; `--chargers` chargers run side by side (each
a separate connection) so commits also meet concurrency. Every start is new (distinct
meterStart / transactionId); at the end the rows are counted: exactly one per start.
Budget (DESIGN.md §5): p50 <= 3 ms, p99 <= 20 ms.

    python -m bench.tx_g6_start [--quick] [--chargers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import asyncpg
import httpx
import orjson
import uvloop
import websockets

from bench.tx_common import Cluster, cluster, command, percentiles, result

BUDGET = {"p50_ms": 3.0, "p99_ms": 20.0}


async def _charger(c: Cluster, version: str, index: int, n: int, out: list[float]) -> None:
    cp = f"G6-{version}-{index}"
    proto = "ocpp1.6" if version == "16" else "ocpp2.0.1"
    async with websockets.connect(f"{c.ws_url}/{cp}", subprotocols=[proto]) as ws:  # type: ignore[list-item]
        boot: dict[str, object]
        if version == "16":
            boot = {"chargePointVendor": "V", "chargePointModel": "M"}
        else:
            boot = {"chargingStation": {"vendorName": "V", "model": "M"}, "reason": "PowerUp"}
        await ws.send(orjson.dumps([2, "boot", "BootNotification", boot]).decode())
        await ws.recv()
        for i in range(n):
            if version == "16":
                payload = {"connectorId": 1, "idTag": f"T{index}", "meterStart": i, "timestamp": "2026-11-23T10:00:00Z"}
                frame = [2, f"s{i}", "StartTransaction", payload]
            else:
                payload = {
                    "eventType": "Started",
                    "timestamp": "2026-11-23T10:00:00Z",
                    "triggerReason": "CablePluggedIn",
                    "seqNo": 0,
                    "transactionInfo": {"transactionId": f"{cp}-{i}"},
                    "evse": {"id": 1, "connectorId": 1},
                }
                frame = [2, f"s{i}", "TransactionEvent", payload]
            t0 = time.perf_counter()
            await ws.send(orjson.dumps(frame).decode())
            reply = orjson.loads(await ws.recv())
            out.append(time.perf_counter() - t0)
            assert reply[0] == 3, reply


async def run(c: Cluster, n: int, chargers: int) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=c.api_url, headers={"Authorization": f"Bearer {c.token}"}) as http:
        reply = await http.post("/v1/id-tokens/import", json=[{"id_token": f"T{i}"} for i in range(chargers)])
        assert reply.status_code == 200
    measured: dict[str, object] = {}
    for version, name in (("16", "ocpp16_start_transaction"), ("201", "ocpp201_transaction_event_started")):
        await asyncio.gather(*(_charger(c, version + "w", i, 20, []) for i in range(chargers)))  # warm-up
        samples: list[float] = []
        cpu0 = c.server_cpu()
        t0 = time.perf_counter()
        await asyncio.gather(*(_charger(c, version, i, n, samples) for i in range(chargers)))
        wall = time.perf_counter() - t0
        cpu = c.server_cpu() - cpu0
        measured[name] = {
            **percentiles(samples),
            "per_s": round(len(samples) / wall),
            "server_cpu_us": round(cpu / len(samples) * 1e6, 1),
        }
    conn = await asyncpg.connect(c.postgres_url)
    try:
        rows = await conn.fetchval("SELECT count(*) FROM transactions WHERE charge_point_id NOT LIKE '%w-%'")
        sync = await conn.fetchval("SHOW synchronous_commit")
    finally:
        await conn.close()
    measured["rows"] = rows
    measured["expected_rows"] = 2 * n * chargers
    measured["synchronous_commit"] = sync
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer starts (a smoke run)")
    parser.add_argument("--chargers", type=int, default=1, help="connections side by side, one CALL in flight each")
    args = parser.parse_args()
    n = 100 if args.quick else 1000
    with cluster() as c:
        measured = uvloop.run(run(c, n, args.chargers))
    ok = measured["rows"] == measured["expected_rows"] and measured["synchronous_commit"] == "on"
    for key in ("ocpp16_start_transaction", "ocpp201_transaction_event_started"):
        m = measured[key]
        assert isinstance(m, dict)
        ok = ok and m["p50_ms"] <= BUDGET["p50_ms"] and m["p99_ms"] <= BUDGET["p99_ms"]
    cmd = command("tx_g6_start", args.quick) + (f" --chargers {args.chargers}" if args.chargers != 1 else "")
    print(result("G6", "StartTransaction / TransactionEvent Started, durable", BUDGET, measured, ok, cmd))


if __name__ == "__main__":
    main()
