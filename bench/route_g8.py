"""G8 across processes: command API -> owning gateway -> charger -> API.

Separate OS processes: embedded PostgreSQL and Redis, `chargeplane serve registry`, `serve
api` and two `serve gateway` pods. Virtual chargers (in this process) answer every
DataTransfer. Two phases, one JSON document on stdout:

- round trip: open-loop commands at a fixed rate (200/s) through the REST API to chargers
  spread over both gateways; latency p50/p99 and the servers' CPU per command;
- hops: 1,000 commands at the same rate while the chargers keep reconnecting to the other
  gateway. Each command carries a unique sequence number, so every one is accounted for:
  answered by the right pod, or a typed error (offline, disconnected-after-delivery,
  timeout); never lost, never delivered twice.

    python -m bench.route_g8 [--quick] [--rate 200] [--seconds 10] [--hop-commands 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
import websockets

from chargeplane.embedded import EmbeddedPostgres, EmbeddedRedis
from chargeplane.embedded._process import free_port

CLI = str(Path(sys.executable).parent / "chargeplane")
TOKEN = "cpk_bench-g8-token-0123456789abcdef"
BUDGET = {"p50_ms": 3.0, "p99_ms": 10.0, "delivered": 1.0}


@dataclass
class Charger:
    """A virtual 2.0.1 charger that answers DataTransfer and remembers what it received."""

    cp_id: str
    received: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # seq -> gateways
    gateway: str = ""
    ws: Any = None

    async def connect(self, pod: str, url: str) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        self.ws = await websockets.connect(f"{url}/{self.cp_id}", subprotocols=["ocpp2.0.1"], compression=None)  # type: ignore[list-item]
        self.gateway = pod
        asyncio.get_running_loop().create_task(self._answer(self.ws, pod))

    async def _answer(self, ws: Any, pod: str) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in ws:
                msg = orjson.loads(raw)
                if msg[0] == 2:
                    self.received[msg[3].get("data", "")].append(pod)
                    await ws.send(orjson.dumps([3, msg[1], {"status": "Accepted"}]).decode())


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


async def _fire(
    http: httpx.AsyncClient, cp_id: str, seq: str, out: list[tuple[str, str, int, float, dict[str, Any]]]
) -> None:
    started = time.perf_counter()
    response = await http.post(
        f"/v1/chargepoints/{cp_id}/ocpp/DataTransfer", json={"vendorId": "bench", "data": seq}, params={"timeout": 5}
    )
    out.append((cp_id, seq, response.status_code, time.perf_counter() - started, response.json()))


async def _open_loop(http: httpx.AsyncClient, chargers: list[Charger], rate: float, count: int, tag: str) -> list[Any]:
    results: list[Any] = []
    tasks = []
    start = time.perf_counter()
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        charger = chargers[i % len(chargers)]
        tasks.append(asyncio.create_task(_fire(http, charger.cp_id, f"{tag}-{i}", results)))
    await asyncio.gather(*tasks)
    return results


async def _hop_forever(chargers: list[Charger], urls: dict[str, str], stop: asyncio.Event) -> int:
    hops = 0
    while not stop.is_set():
        charger = random.choice(chargers)
        target = "gw-b" if charger.gateway == "gw-a" else "gw-a"
        with contextlib.suppress(Exception):
            await charger.connect(target, urls[target])
            hops += 1
        await asyncio.sleep(0.05)
    return hops


def _cpu(pids: list[int]) -> list[float]:
    seconds = []
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            seconds.append(t.user + t.system)
        except psutil.NoSuchProcess:
            seconds.append(0.0)
    return seconds


async def run(rate: float, seconds: float, hop_commands: int, chargers_n: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="chargeplane-g8-"))
    pg = EmbeddedPostgres(work / "pg", durable=True)
    redis = EmbeddedRedis(work / "redis", durable=False)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        common = {
            **os.environ,
            "CHARGEPLANE_POSTGRES_URL": pg.start(),
            "CHARGEPLANE_REDIS_URL": redis.start(),
            "CHARGEPLANE_DATA_DIR": str(work),
            "CHARGEPLANE_LOG_LEVEL": "WARNING",
            "CHARGEPLANE_PRESENCE_TTL": "10",
        }
        grpc_port, api_port = free_port(), free_port()
        common["CHARGEPLANE_REGISTRY_ADDRESS"] = f"127.0.0.1:{grpc_port}"
        urls: dict[str, str] = {}
        specs = [("registry", {"CHARGEPLANE_GRPC_PORT": str(grpc_port)}),
                 ("api", {"CHARGEPLANE_API_PORT": str(api_port), "CHARGEPLANE_API_TOKEN": TOKEN,
                          "CHARGEPLANE_API_GRPC_PORT": str(free_port())})]  # fmt: skip
        for pod in ("gw-a", "gw-b"):
            ws_port, rpc_port = free_port(), free_port()
            urls[pod] = f"ws://127.0.0.1:{ws_port}/ocpp"
            specs.append(("gateway", {"CHARGEPLANE_POD_NAME": pod, "CHARGEPLANE_GATEWAY_PORT": str(ws_port),
                                      "CHARGEPLANE_GATEWAY_GRPC_PORT": str(rpc_port),
                                      "CHARGEPLANE_GATEWAY_GRPC_ADDRESS": f"127.0.0.1:{rpc_port}"}))  # fmt: skip
        for component, env in specs:
            procs.append(subprocess.Popen([CLI, "serve", component], env={**common, **env}, stderr=subprocess.DEVNULL))  # noqa: ASYNC220 - start-up, not the measured path
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{api_port}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=200),
        ) as http:
            for _ in range(600):
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            chargers = [Charger(f"G8-{i:03d}") for i in range(chargers_n)]
            for i, charger in enumerate(chargers):
                pod = "gw-a" if i % 2 else "gw-b"
                await charger.connect(pod, urls[pod])
            await asyncio.sleep(0.5)
            await _open_loop(http, chargers, rate, 50, "warm")  # connections, caches, prepared statements

            pids = [p.pid for p in procs]
            names = ["registry", "api", "gateway-a", "gateway-b"]
            cpu0, wall0 = _cpu(pids), time.perf_counter()
            count = int(rate * seconds)
            results = await _open_loop(http, chargers, rate, count, "rt")
            cpu1, wall1 = _cpu(pids), time.perf_counter()
            ok = [r for r in results if r[2] == 200 and r[4]["status"] == "answered"]
            latencies = [r[3] * 1000 for r in ok]
            p50 = round(statistics.median(latencies), 2) if latencies else None
            p99 = round(_percentile(latencies, 0.99), 2) if latencies else None
            round_trip: dict[str, object] = {
                "commands": count,
                "answered": len(ok),
                "rate_per_s": round(count / (wall1 - wall0), 1),
                "p50_ms": p50,
                "p99_ms": p99,
                "server_cpu_us_per_command": round((sum(cpu1) - sum(cpu0)) / count * 1e6, 1),
                "cpu_us_per_command_by_process": {
                    name: round((after - before) / count * 1e6, 1)
                    for name, before, after in zip(names, cpu0, cpu1, strict=True)
                },
            }

            stop = asyncio.Event()
            hopper = asyncio.create_task(_hop_forever(chargers, urls, stop))
            hop_results = await _open_loop(http, chargers, rate, hop_commands, "hop")
            stop.set()
            hops = await hopper
            await asyncio.sleep(0.5)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
        redis.stop()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)

    received = {seq: pods for charger in chargers for seq, pods in charger.received.items()}
    outcomes: Counter[str] = Counter()
    wrong_pod = duplicated = lost = 0
    for _cp_id, seq, status, _, body in hop_results:
        pods = received.get(seq, [])
        if len(pods) > 1:
            duplicated += 1
        if status == 200 and body.get("status") == "answered":
            outcomes["answered"] += 1
            if pods != [body.get("gateway")]:
                wrong_pod += 1
        elif status in (409, 502, 504):
            outcomes[{409: "offline", 502: "disconnected_after_delivery", 504: "timeout"}[status]] += 1
        else:
            lost += 1
            outcomes[f"http_{status}"] += 1
    accounted = sum(v for k, v in outcomes.items() if not k.startswith("http_"))
    hop = {
        "commands": hop_commands,
        "hops": hops,
        "outcomes": dict(outcomes),
        "accounted_for": accounted,
        "wrong_pod": wrong_pod,
        "duplicated": duplicated,
        "lost": lost,
    }
    passed = (
        p50 is not None
        and p99 is not None
        and p50 <= BUDGET["p50_ms"]
        and p99 <= BUDGET["p99_ms"]
        and len(ok) == count
        and accounted == hop_commands
        and wrong_pod == duplicated == lost == 0
    )
    return {
        "id": "G8",
        "benchmark": "command API -> owning gateway -> charger -> API, across processes",
        "budget": "p50 <= 3 ms, p99 <= 10 ms at 200 commands/s; 100% delivered or a clear error while chargers hop",
        "round_trip": round_trip,
        "hop": hop,
        "pass": passed,
        "method": f"REST POST /v1/chargepoints/{{id}}/ocpp/DataTransfer, {chargers_n} chargers on 2 gateway processes",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.route_g8", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2 s round trip, 200 hop commands")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--hop-commands", type=int, default=1000)
    parser.add_argument("--chargers", type=int, default=20)
    args = parser.parse_args(argv)
    seconds, hop_commands = (2.0, 200) if args.quick else (args.seconds, args.hop_commands)
    result = asyncio.run(run(args.rate, seconds, hop_commands, args.chargers))
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
