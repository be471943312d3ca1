"""The ocpi service as users start it: `chargeplane serve ocpi` in its own process next to
`serve registry`, and its line in `chargeplane run`'s banner."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import httpx
import pytest

from chargeplane.pb.ocpi.v1 import ocpi_pb2 as pb
from chargeplane.pb.ocpi.v1 import ocpi_pb2_grpc
from tests.eventually import eventually

from .conftest import token_header
from .peers import free_port

CLI = str(Path(sys.executable).parent / "chargeplane")


@contextlib.asynccontextmanager
async def process(args: list[str], env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    with tempfile.TemporaryFile("w+") as log:
        proc = await asyncio.create_subprocess_exec(
            *args, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=log
        )
        try:
            yield proc
        except BaseException:
            log.seek(0)
            print(f"--- log of {' '.join(args[:3])}:\n{log.read()[-5000:]}")
            raise
        finally:
            if proc.returncode is None:
                proc.terminate()
                await proc.wait()


@pytest.mark.slow
async def test_serve_ocpi_in_its_own_process(db_url: str, redis_url: str) -> None:
    registry_port, ocpi_port, ocpi_grpc = free_port(), free_port(), free_port()
    common = {"CHARGEPLANE_POSTGRES_URL": db_url, "CHARGEPLANE_REDIS_URL": redis_url, "CHARGEPLANE_LOG_JSON": "true"}
    ocpi_env = {
        **common,
        "CHARGEPLANE_REGISTRY_ADDRESS": f"127.0.0.1:{registry_port}",
        "CHARGEPLANE_OCPI_PORT": str(ocpi_port),
        "CHARGEPLANE_OCPI_GRPC_PORT": str(ocpi_grpc),
    }
    no_key = await asyncio.create_subprocess_exec(
        CLI, "serve", "ocpi", env={**os.environ, **ocpi_env}, stderr=subprocess.PIPE
    )
    _, err = await asyncio.wait_for(no_key.communicate(), 60)
    assert no_key.returncode != 0 and b"CHARGEPLANE_OCPI_SECRET_KEY" in err
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    async with (
        process([CLI, "serve", "registry"], {**common, "CHARGEPLANE_GRPC_PORT": str(registry_port)}),
        process([CLI, "serve", "ocpi"], {**ocpi_env, "CHARGEPLANE_OCPI_SECRET_KEY": key}),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{ocpi_port}") as http,
        grpc.aio.insecure_channel(f"127.0.0.1:{ocpi_grpc}") as channel,
    ):

        async def ready() -> bool:
            try:
                return (await http.get("/readyz")).status_code == 200
            except httpx.TransportError:  # not listening yet
                return False

        await eventually(ready, 60)
        created = await ocpi_pb2_grpc.OcpiServiceStub(channel).CreatePartner(pb.CreatePartnerRequest(name="p"))
        assert created.versions_url == f"http://127.0.0.1:{ocpi_port}/ocpi/versions"
        versions = await http.get("/ocpi/versions", headers=token_header(created.token_a))
        assert versions.status_code == 200 and versions.json()["data"][0]["version"] == "2.2.1"


@pytest.mark.slow
async def test_run_prints_the_ocpi_url() -> None:
    # Not under pytest's temp root: a concurrent pytest session resets its permissions, which
    # would cut the unprivileged PostgreSQL user off its data (see tests/conftest.py).
    tmp_path = Path(tempfile.mkdtemp(prefix="chargeplane-run-ocpi-"))
    ports = {name: free_port() for name in ("gateway", "api", "grpc", "ocpi")}
    args = [CLI, "run", "--data-dir", str(tmp_path / "data"), "--gateway-port", str(ports["gateway"]),
            "--api-port", str(ports["api"]), "--grpc-port", str(ports["grpc"]),
            "--ocpi-port", str(ports["ocpi"])]  # fmt: skip
    async with process(args, {"CHARGEPLANE_LOG_JSON": "true"}) as proc:
        assert proc.stdout is not None
        url = None
        while url is None:
            line = (await asyncio.wait_for(proc.stdout.readline(), 120)).decode()
            assert line, "chargeplane run ended before printing the OCPI URL"
            match = re.search(r"OCPI 2\.2\.1:\s+(\S+)", line)
            url = match.group(1) if match else None
        assert url == f"http://127.0.0.1:{ports['ocpi']}/ocpi/versions"
        async with httpx.AsyncClient() as http:
            answer = await http.get(url)
        assert answer.status_code == 401 and answer.json()["status_code"] == 2000
        assert (tmp_path / "data" / "ocpi-secret-key").stat().st_mode & 0o077 == 0
    shutil.rmtree(tmp_path, ignore_errors=True)
