"""Issue 4's shape test: Redis + PostgreSQL + registry + api + two gateways, all separate
OS processes on their own ports; a real charger hops between the gateways."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from chargeplane.embedded._process import free_port
from tests.chargers import RawCharger, raw_charger
from tests.eventually import TRANSIENT, eventually
from tests.test_runtime import CLI, process

TOKEN = "cpk_multiprocess-test-token-0123456789"


async def _until_ready(http: httpx.AsyncClient, urls: list[str], timeout: float = 60) -> None:
    async def all_ready() -> bool:
        codes = [(await http.get(url)).status_code for url in urls]
        return all(code == 200 for code in codes)

    # Connection refused while a process is still starting: httpx.TransportError.
    await eventually(all_ready, timeout=timeout, interval=0.1, transient=(*TRANSIENT, httpx.TransportError))


async def _command(http: httpx.AsyncClient, charger: RawCharger | None, cp_id: str) -> httpx.Response:
    request = asyncio.create_task(
        http.post(f"/v1/chargepoints/{cp_id}/ocpp/ClearCache", json={}, params={"timeout": 5})
    )
    if charger is not None:
        incoming = await charger.recv()
        assert incoming[2] == "ClearCache"
        await charger.send([3, incoming[1], {"status": "Accepted"}])
    return await request


async def _owned_by(http: httpx.AsyncClient, cp_id: str, pod: str | None) -> None:
    async def owner_is_pod() -> bool:
        response = await http.get(f"/v1/chargepoints/{cp_id}")
        connection = response.json().get("connection") if response.status_code == 200 else None
        return bool((connection or {}).get("gateway") == pod)

    await eventually(owner_is_pod, timeout=10)


@contextlib.asynccontextmanager
async def _booted(url: str, cp_id: str) -> AsyncIterator[RawCharger]:
    async with raw_charger(url, cp_id, "2.0.1") as charger:
        reply = await charger.call(
            "BootNotification", {"reason": "PowerUp", "chargingStation": {"vendorName": "V", "model": "M"}}
        )
        assert reply[2]["status"] == "Accepted"
        yield charger


@pytest.mark.slow
async def test_commands_follow_the_charger_across_gateway_processes(
    db_url: str, redis_url: str, tmp_path: Path
) -> None:
    grpc_port, api_port = free_port(), free_port()
    ports = {"gw-a": (free_port(), free_port()), "gw-b": (free_port(), free_port())}
    common = {
        "CHARGEPLANE_POSTGRES_URL": db_url,
        "CHARGEPLANE_REDIS_URL": redis_url,
        "CHARGEPLANE_DATA_DIR": str(tmp_path),
        "CHARGEPLANE_REGISTRY_ADDRESS": f"127.0.0.1:{grpc_port}",
        "CHARGEPLANE_PRESENCE_TTL": "2",
        "CHARGEPLANE_LOG_JSON": "false",
    }

    def gateway_env(pod: str) -> dict[str, str]:
        ws_port, rpc_port = ports[pod]
        return {
            **common,
            "CHARGEPLANE_POD_NAME": pod,
            "CHARGEPLANE_GATEWAY_PORT": str(ws_port),
            "CHARGEPLANE_GATEWAY_GRPC_PORT": str(rpc_port),
            "CHARGEPLANE_GATEWAY_GRPC_ADDRESS": f"127.0.0.1:{rpc_port}",
        }

    url = {pod: f"ws://127.0.0.1:{ws}/ocpp" for pod, (ws, _) in ports.items()}
    with (
        process([CLI, "serve", "registry"], {**common, "CHARGEPLANE_GRPC_PORT": str(grpc_port)}),
        process(
            [CLI, "serve", "api"], {**common, "CHARGEPLANE_API_PORT": str(api_port), "CHARGEPLANE_API_TOKEN": TOKEN}
        ),
        process([CLI, "serve", "gateway"], gateway_env("gw-a")),
        process([CLI, "serve", "gateway"], gateway_env("gw-b")) as gateway_b,
    ):
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{api_port}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        ) as http:
            await _until_ready(
                http, ["/readyz", *(u.replace("ws://", "http://").replace("/ocpp", "/readyz") for u in url.values())]
            )

            # 1. On gateway B: the command goes through the api to B and back.
            async with _booted(url["gw-b"], "HOPPER") as on_b:
                await _owned_by(http, "HOPPER", "gw-b")
                answered = await _command(http, on_b, "HOPPER")
                assert answered.status_code == 200, answered.text
                assert (answered.json()["gateway"], answered.json()["result"]) == ("gw-b", {"status": "Accepted"})

                # 2. It reconnects to A (B's stale socket is closed): the next command goes to A.
                async with _booted(url["gw-a"], "HOPPER") as on_a:
                    await _owned_by(http, "HOPPER", "gw-a")
                    answered = await _command(http, on_a, "HOPPER")
                    assert answered.json()["gateway"] == "gw-a"
                await asyncio.wait_for(on_b.ws.wait_closed(), 5)

            # 3. It disappears: a clear 409 within a second.
            await _owned_by(http, "HOPPER", None)
            started = time.monotonic()
            offline = await _command(http, None, "HOPPER")
            assert offline.status_code == 409 and time.monotonic() - started < 1.0

            # 4. Gateway B dies (SIGKILL) while holding the charger.
            async with _booted(url["gw-b"], "HOPPER"):
                await _owned_by(http, "HOPPER", "gw-b")
                gateway_b.send_signal(signal.SIGKILL)
                gateway_b.wait()
                started = time.monotonic()
                dead = await _command(http, None, "HOPPER")  # entry not lapsed yet: fast, typed
                assert dead.status_code == 409 and time.monotonic() - started < 1.0
            await _owned_by(http, "HOPPER", None)  # the entry lapses with its TTL (2 s)
            lapsed = await _command(http, None, "HOPPER")
            assert lapsed.status_code == 409
            audit = (await http.get(f"/v1/commands/{lapsed.json()['command_id']}")).json()
            assert audit["status"] == "offline" and audit["gateway"] is None  # never routed to the dead pod

            # 5. Reconnecting to A, it is reachable at once.
            async with _booted(url["gw-a"], "HOPPER") as back:
                answered = await _command(http, back, "HOPPER")
                assert answered.status_code == 200 and answered.json()["gateway"] == "gw-a"
