"""Shared harness of the transaction benchmarks (tx_g5/g6/g7/g11).

Server side on CPU 0: embedded PostgreSQL (fsync on, synchronous_commit on) and Redis, and
`chargeplane run` (every service + one gateway, one process). Load generator: this process,
on CPU 1, real OCPP frames over real WebSockets. Each benchmark prints one JSON object.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from chargeplane.embedded import EmbeddedPostgres, EmbeddedRedis
from chargeplane.embedded._process import free_port

CLI = str(Path(sys.executable).parent / "chargeplane")
SERVER_CPUS = {0}
LOADGEN_CPUS = {1}


def pin(pid: int, cpus: set[int]) -> None:
    with contextlib.suppress(psutil.Error, AttributeError, OSError):
        if len(os.sched_getaffinity(0) | cpus) > 1 or (psutil.cpu_count() or 1) > 1:
            psutil.Process(pid).cpu_affinity(sorted(cpus))


def percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "n": 0}
    ordered = sorted(samples)
    q = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else [ordered[0]] * 99
    return {"p50_ms": round(q[49] * 1000, 3), "p99_ms": round(q[98] * 1000, 3), "n": len(ordered)}


@dataclass
class Cluster:
    postgres_url: str
    redis_url: str
    ws_url: str
    api_url: str
    grpc_port: int
    token: str
    pids: list[int] = field(default_factory=list)

    def server_cpu(self) -> float:
        """CPU seconds used so far by every server process (chargeplane, postgres, redis)."""
        total = 0.0
        for pid in self.pids:
            with contextlib.suppress(psutil.Error):
                proc = psutil.Process(pid)
                for p in [proc, *proc.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        t = p.cpu_times()
                        total += t.user + t.system
        return total


@contextlib.contextmanager
def cluster(extra_env: dict[str, str] | None = None) -> Iterator[Cluster]:
    pin(os.getpid(), LOADGEN_CPUS)
    tmp = Path(tempfile.mkdtemp(prefix="cp-txbench-"))
    pg = EmbeddedPostgres(tmp / "pg", durable=True)
    redis = EmbeddedRedis(tmp / "redis", durable=True)
    proc: subprocess.Popen[str] | None = None
    try:
        pg_url = pg.start()
        redis_url = redis.start()
        for server in (pg, redis):
            if server._proc is not None:
                pin(server._proc.pid, SERVER_CPUS)
        ports = {k: free_port() for k in ("gw", "api", "grpc")}
        env = {**os.environ, "CHARGEPLANE_LOG_LEVEL": "WARNING", "CHARGEPLANE_LOG_JSON": "true", **(extra_env or {})}
        args = [CLI, "run", "--postgres-url", pg_url, "--redis-url", redis_url, "--data-dir", str(tmp / "data"),
                "--gateway-port", str(ports["gw"]), "--api-port", str(ports["api"]),
                "--grpc-port", str(ports["grpc"])]  # fmt: skip
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        pin(proc.pid, SERVER_CPUS)
        token = ""
        deadline = time.monotonic() + 120
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                raise RuntimeError("chargeplane run exited during start-up")
            found = re.search(r"API token:\s+(\S+)", line)
            if found:
                token = found.group(1)
                break
        if not token:
            raise RuntimeError("chargeplane run did not start in time")
        pids = [proc.pid] + [s._proc.pid for s in (pg, redis) if s._proc is not None]
        yield Cluster(
            pg_url,
            redis_url,
            f"ws://127.0.0.1:{ports['gw']}/ocpp",
            f"http://127.0.0.1:{ports['api']}",
            ports["grpc"],
            token,
            pids,
        )
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        redis.stop()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def command(module: str, quick: bool) -> str:
    return f".venv/bin/python -m bench.{module}" + (" --quick" if quick else "")


def result(bench_id: str, name: str, budget: dict[str, Any], measured: dict[str, Any], ok: bool, cmd: str) -> str:
    import orjson

    doc = {"id": bench_id, "benchmark": name, "budget": budget, "measured": measured, "pass": ok, "command": cmd}
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode()
