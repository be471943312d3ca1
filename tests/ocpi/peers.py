"""Starting the independent OCPI peers (tests/ocpi/peer) as separate processes."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Peer:
    """A running peer and its control API."""

    def __init__(self, role: str, base_url: str) -> None:
        self.role = role
        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/ocpi/versions"

    async def control(self, action: str, **body: Any) -> Any:
        response = await self.http.post(f"/control/{action}", json=body)
        assert response.status_code == 200, f"control {action}: {response.status_code} {response.text}"
        return response.json()

    async def state(self) -> dict[str, Any]:
        state: dict[str, Any] = await self.control("state")
        assert not state["chargeplane_imported"], "the peer must not import chargeplane"
        return state


@contextlib.asynccontextmanager
async def peer(role: str) -> AsyncIterator[Peer]:
    port = free_port()
    with tempfile.TemporaryFile("w+") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            f"tests.ocpi.peer.{role}",
            "--port",
            str(port),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        try:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line.startswith(b"listening on"), f"peer {role} did not start: {line!r}"
            running = Peer(role, line.decode().split()[-1])
            yield running
            await running.http.aclose()
        except BaseException:
            log.seek(0)
            print(f"--- log of peer {role}:\n{log.read()[-5000:]}")
            raise
        finally:
            if proc.returncode is None:
                proc.terminate()
                await proc.wait()
