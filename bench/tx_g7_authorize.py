"""G7: Authorize latency over a real WebSocket, cache hit and cache miss (OCPP 1.6 and 2.0.1).

One charger, one CALL in flight (latency, not throughput). Cache hit: the same token again
and again (its record is in Redis). Cache miss: a fresh token every time (a database read,
then a cache fill). Budget (DESIGN.md §5): cache hit p50 <= 1 ms, p99 <= 5 ms.

    python -m bench.tx_g7_authorize [--quick]
"""

from __future__ import annotations

import argparse
import time

import httpx
import orjson
import uvloop
import websockets

from bench.tx_common import Cluster, cluster, command, percentiles, result

BUDGET = {"hit_p50_ms": 1.0, "hit_p99_ms": 5.0}


async def _calls(ws: websockets.ClientConnection, frames: list[str]) -> list[float]:
    out = []
    for frame in frames:
        t0 = time.perf_counter()
        await ws.send(frame)
        reply = orjson.loads(await ws.recv())
        out.append(time.perf_counter() - t0)
        assert reply[0] == 3, reply
    return out


async def run(c: Cluster, n: int) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=c.api_url, headers={"Authorization": f"Bearer {c.token}"}) as http:
        tokens = [{"id_token": "HOT"}] + [{"id_token": f"COLD-{i}"} for i in range(2 * n)]
        reply = await http.post("/v1/id-tokens/import", json=tokens, timeout=60)
        assert reply.status_code == 200 and not reply.json()["errors"], reply.text
    out: dict[str, object] = {}
    async with websockets.connect(f"{c.ws_url}/BENCH-G7-16", subprotocols=["ocpp1.6"]) as ws:  # type: ignore[list-item]
        await _calls(
            ws,
            [orjson.dumps([2, "b", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]).decode()],
        )
        hot = orjson.dumps([2, "a", "Authorize", {"idTag": "HOT"}]).decode()
        await _calls(ws, [hot] * 200)  # warm-up (and fills the cache)
        cpu0 = c.server_cpu()
        hit = await _calls(ws, [hot] * n)
        cpu_hit = (c.server_cpu() - cpu0) / n
        miss = await _calls(
            ws, [orjson.dumps([2, "a", "Authorize", {"idTag": f"COLD-{i}"}]).decode() for i in range(n)]
        )
        out["ocpp16_hit"] = {**percentiles(hit), "server_cpu_us": round(cpu_hit * 1e6, 1)}
        out["ocpp16_miss"] = percentiles(miss)
    async with websockets.connect(f"{c.ws_url}/BENCH-G7-201", subprotocols=["ocpp2.0.1"]) as ws:  # type: ignore[list-item]
        boot = {"chargingStation": {"vendorName": "V", "model": "M"}, "reason": "PowerUp"}
        await _calls(ws, [orjson.dumps([2, "b", "BootNotification", boot]).decode()])
        hot = orjson.dumps([2, "a", "Authorize", {"idToken": {"idToken": "HOT", "type": "ISO14443"}}]).decode()
        await _calls(ws, [hot] * 200)
        hit = await _calls(ws, [hot] * n)
        frames = [
            orjson.dumps([2, "a", "Authorize", {"idToken": {"idToken": f"COLD-{n + i}", "type": "ISO14443"}}]).decode()
            for i in range(n)
        ]
        miss = await _calls(ws, frames)
        out["ocpp201_hit"] = percentiles(hit)
        out["ocpp201_miss"] = percentiles(miss)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer calls (a smoke run)")
    args = parser.parse_args()
    n = 300 if args.quick else 3000
    with cluster() as c:
        measured = uvloop.run(run(c, n))
    hit = measured["ocpp16_hit"]
    assert isinstance(hit, dict)
    ok = hit["p50_ms"] <= BUDGET["hit_p50_ms"] and hit["p99_ms"] <= BUDGET["hit_p99_ms"]
    print(result("G7", "Authorize, cache hit / miss", BUDGET, measured, ok, command("tx_g7_authorize", args.quick)))


if __name__ == "__main__":
    main()
