"""The runtimes as a user starts them: `chargeplane run` and `chargeplane serve <component>`."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from ocpp.v16 import call as call16
from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus
from ocpp.v201 import call as call201
from ocpp.v201.datatypes import ChargingStationType

from chargeplane.embedded._process import free_port
from tests.chargers import library_charger, raw_charger
from tests.eventually import TRANSIENT, eventually

CLI = str(Path(sys.executable).parent / "chargeplane")


def _wait_for_line(proc: subprocess.Popen[str], pattern: str, timeout: float = 120) -> re.Match[str]:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError(f"{pattern!r} not printed (exit code {proc.poll()}); output so far:\n{''.join(seen)}")


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[str]]:
    """Run a chargeplane process; its log (stderr) is printed if the test fails."""
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True, env={**os.environ, **(env or {})})
        try:
            yield proc
        except BaseException:
            log.seek(0)
            print(f"--- log of {' '.join(args[:3])}:\n{log.read()[-5000:]}")
            raise
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


async def _boot_both(url: str) -> None:
    async with library_charger(url, "RUN-16", "1.6") as cp16, library_charger(url, "RUN-201", "2.0.1") as cp201:
        boot = await cp16.call(call16.BootNotification(charge_point_vendor="V16", charge_point_model="M16"))
        assert boot.status == "Accepted"
        await cp16.call(call16.Heartbeat())
        await cp16.call(
            call16.StatusNotification(
                connector_id=1, error_code=ChargePointErrorCode.no_error, status=ChargePointStatus.available
            )
        )
        boot2 = await cp201.call(
            call201.BootNotification(
                charging_station=ChargingStationType(vendor_name="V201", model="M201"), reason="PowerUp"
            )
        )
        assert boot2.status == "Accepted"
        await cp201.call(call201.Heartbeat())
        await cp201.call(
            call201.StatusNotification(
                timestamp="2026-11-23T10:00:00Z", connector_status="Occupied", evse_id=1, connector_id=1
            )
        )
        async with raw_charger(url, "RUN-201-BAD", "2.0.1") as bad:
            await bad.send("{not json")
            assert (await bad.recv())[:3] == [4, "-1", "RpcFrameworkError"]
            assert (await bad.call("Heartbeat", {}))[0] == 3


@pytest.mark.slow
async def test_chargeplane_run_end_to_end(server_data_dir: Path) -> None:
    ports = {name: free_port() for name in ("gateway", "api", "grpc")}
    args = [CLI, "run", "--data-dir", str(server_data_dir), "--gateway-port", str(ports["gateway"]),
            "--api-port", str(ports["api"]), "--grpc-port", str(ports["grpc"])]  # fmt: skip
    with process(args, env={"CHARGEPLANE_LOG_JSON": "true"}) as proc:
        charger_url = _wait_for_line(proc, r"charger URL:\s+(\S+)/<chargePointId>").group(1)
        token = _wait_for_line(proc, r"API token:\s+(\S+)").group(1)
        assert charger_url == f"ws://127.0.0.1:{ports['gateway']}/ocpp"
        children = psutil.Process(proc.pid).children(recursive=True)
        assert {c.name() for c in children} >= {"postgres", "redis-server"}
        await _boot_both(charger_url)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports['api']}") as http:
            assert (await http.get("/readyz")).status_code == 200
            listing = (await http.get("/v1/chargepoints", headers={"Authorization": f"Bearer {token}"})).json()
            by_id = {cp["id"]: cp for cp in listing["items"]}
            assert by_id["RUN-16"]["protocol"] == "ocpp1.6"
            assert by_id["RUN-16"]["connectors"][0]["status"] == "Available"
            assert by_id["RUN-201"]["station"]["vendor"] == "V201"
            assert by_id["RUN-201"]["connectors"][0]["availability"] == "Occupied"
            assert (await http.get("/v1/chargepoints")).status_code == 401
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children)


@pytest.mark.slow
async def test_components_in_separate_processes(db_url: str, redis_url: str, tmp_path: Path) -> None:
    grpc_port, gateway_port, gateway_grpc, api_port = (free_port() for _ in range(4))
    common = {
        "CHARGEPLANE_POSTGRES_URL": db_url,
        "CHARGEPLANE_REDIS_URL": redis_url,
        "CHARGEPLANE_DATA_DIR": str(tmp_path),
        "CHARGEPLANE_REGISTRY_ADDRESS": f"127.0.0.1:{grpc_port}",
        "CHARGEPLANE_LOG_JSON": "false",
    }
    registry_env = {**common, "CHARGEPLANE_GRPC_PORT": str(grpc_port)}
    gateway_env = {
        **common,
        "CHARGEPLANE_GATEWAY_PORT": str(gateway_port),
        "CHARGEPLANE_GATEWAY_GRPC_PORT": str(gateway_grpc),
        "CHARGEPLANE_POD_NAME": "gw-proc",
    }
    api_env = {**common, "CHARGEPLANE_API_PORT": str(api_port), "CHARGEPLANE_API_TOKEN": "cpk_test-token-for-serve"}
    with (
        process([CLI, "serve", "registry"], registry_env),
        process([CLI, "serve", "gateway"], gateway_env),
        process([CLI, "serve", "api"], api_env),
    ):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}") as http:

            async def components_ready() -> bool:
                gateway = await http.get(f"http://127.0.0.1:{gateway_port}/readyz")
                return gateway.status_code == 200 and (await http.get("/readyz")).status_code == 200

            # Connection refused while a process is still starting: httpx.TransportError.
            await eventually(components_ready, timeout=60, interval=0.1, transient=(*TRANSIENT, httpx.TransportError))
            await _boot_both(f"ws://127.0.0.1:{gateway_port}/ocpp")
            headers = {"Authorization": "Bearer cpk_test-token-for-serve"}
            async with library_charger(f"ws://127.0.0.1:{gateway_port}/ocpp", "RUN-LIVE", "2.0.1") as cp:
                await cp.call(
                    call201.BootNotification(
                        charging_station=ChargingStationType(vendor_name="V", model="M"), reason="PowerUp"
                    )
                )
                live = (await http.get("/v1/chargepoints/RUN-LIVE", headers=headers)).json()
            assert live["connection"]["gateway"] == "gw-proc"
            assert live["connection"]["address"].endswith(f":{gateway_grpc}")
            assert (await http.get("/v1/chargepoints/RUN-16", headers=headers)).json()["protocol"] == "ocpp1.6"
