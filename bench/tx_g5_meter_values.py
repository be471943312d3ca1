"""G5: MeterValues durable in PostgreSQL, end to end, over real WebSockets.

`--chargers` 1.6 chargers each send MeterValues (4 sampled values: energy register, power,
current, voltage) back to back, one CALL in flight, for `--seconds`. The gateway answers
after XADD; the transactions service's consumer group COPYs into meter_values and acks after
commit. Measured: ack latency p50/p99, messages/s acknowledged, and the durable rate:
messages / (time until the last row was committed). Then every row is counted: 0 lost,
0 duplicated. Budget (DESIGN.md §5): >= 3,000 msg/s durable, p99 ack <= 50 ms, 0 lost.

    python -m bench.tx_g5_meter_values [--quick] [--chargers 20] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
import uvloop
import websockets

from bench.tx_common import Cluster, cluster, command, percentiles, result

BUDGET = {"durable_msgs_per_s": 3000, "ack_p99_ms": 50.0, "lost": 0}
SAMPLES = 4


def _frame(cp: int, i: int, t0: datetime) -> str:
    ts = (t0 + timedelta(milliseconds=i)).isoformat().replace("+00:00", "Z")
    payload = {
        "connectorId": 1,
        "meterValue": [
            {
                "timestamp": ts,
                "sampledValue": [
                    {"value": str(1000 + i), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                    {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
                    {"value": "16.0", "measurand": "Current.Import", "unit": "A", "phase": "L1"},
                    {"value": "230.1", "measurand": "Voltage", "unit": "V", "phase": "L1-N"},
                ],
            }
        ],
    }
    return orjson.dumps([2, f"{cp}-{i}", "MeterValues", payload]).decode()


async def _charger(c: Cluster, index: int, until: float, acks: list[float], t0: datetime) -> int:
    sent = 0
    async with websockets.connect(f"{c.ws_url}/G5-{index}", subprotocols=["ocpp1.6"]) as ws:  # type: ignore[list-item]
        await ws.send(
            orjson.dumps([2, "b", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]).decode()
        )
        await ws.recv()
        while time.perf_counter() < until:
            frame = _frame(index, sent, t0)
            start = time.perf_counter()
            await ws.send(frame)
            reply = orjson.loads(await ws.recv())
            acks.append(time.perf_counter() - start)
            assert reply[0] == 3, reply
            sent += 1
    return sent


async def run(c: Cluster, chargers: int, seconds: float) -> dict[str, object]:
    conn = await asyncpg.connect(c.postgres_url)
    try:
        acks: list[float] = []
        t0 = datetime.now(UTC).replace(microsecond=0)
        cpu0 = c.server_cpu()
        began = time.perf_counter()
        sent = sum(await asyncio.gather(*(_charger(c, i, began + seconds, acks, t0) for i in range(chargers))))
        acked_at = time.perf_counter()
        expected = sent * SAMPLES
        rows = 0
        while time.perf_counter() - acked_at < 60:
            rows = await conn.fetchval("SELECT count(*) FROM meter_values")
            if rows >= expected:
                break
            await asyncio.sleep(0.02)
        durable_at = time.perf_counter()
        cpu = c.server_cpu() - cpu0
        distinct = await conn.fetchval(
            "SELECT count(*) FROM (SELECT DISTINCT charge_point_id, ts, measurand FROM meter_values) d"
        )
        size = await conn.fetchval(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'meter_values'::regclass"
        )
    finally:
        await conn.close()
    return {
        "chargers": chargers,
        "messages": sent,
        "acked_msgs_per_s": round(sent / (acked_at - began)),
        "durable_msgs_per_s": round(sent / (durable_at - began)),
        "durable_rows_per_s": round(rows / (durable_at - began)),
        "drain_after_last_ack_ms": round((durable_at - acked_at) * 1000, 1),
        "ack": percentiles(acks),
        "rows": rows,
        "expected_rows": expected,
        "lost": expected - distinct,
        "duplicated": rows - distinct,
        "bytes_per_row": round(float(size) / rows, 1) if rows and size else None,
        "server_cpu_us_per_msg": round(cpu / sent * 1e6, 1) if sent else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--chargers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    seconds = 3.0 if args.quick else args.seconds
    with cluster() as c:
        m = uvloop.run(run(c, args.chargers, seconds))
    ack = m["ack"]
    assert isinstance(ack, dict)
    ok = (
        m["lost"] == 0
        and m["duplicated"] == 0
        and m["durable_msgs_per_s"] >= BUDGET["durable_msgs_per_s"]  # type: ignore[operator]
        and ack["p99_ms"] <= BUDGET["ack_p99_ms"]
    )
    cmd = command("tx_g5_meter_values", args.quick)
    if args.chargers != 20:
        cmd += f" --chargers {args.chargers}"
    if not args.quick and args.seconds != 10.0:
        cmd += f" --seconds {args.seconds}"
    print(result("G5", "MeterValues durable in PostgreSQL, end to end", BUDGET, m, ok, cmd))


if __name__ == "__main__":
    main()
