"""Operator tests.

Real: the kopf operator (kopf.operator in its own thread, or the `chargeplane operator`
process), kmock's stateful Kubernetes API emulator served over real HTTP, our aiohttp client,
gRPC to a real registry server on real PostgreSQL and Redis (fixtures from tests/conftest.py),
and a real OCPP charger on a real gateway (`allinone`).
Not real: the apiserver's schema/CEL admission (crdcheck.py checks it statically), garbage
collection and controllers (StatefulSet status); emulator.py adds the apiserver bookkeeping
kopf relies on and lists what it still lacks.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import kmock
import kopf
import pytest
import yaml

from chargeplane.operator import bootstrap  # noqa: F401  (registers our kinds' plurals)
from chargeplane.operator.handlers import REGISTRY
from chargeplane.operator.kube import Credentials, KubeClient
from chargeplane.operator.options import OperatorOptions
from tests.operator.emulator import ApiServerEmulator, kubeconfig

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "manifests" / "examples"


def load_examples() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


@pytest.fixture(scope="session")
def examples() -> list[dict[str, Any]]:
    return load_examples()


@pytest.fixture
async def k8s(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ApiServerEmulator]:
    """The emulated API server over real HTTP; KUBECONFIG points at it, as for any client."""
    async with ApiServerEmulator() as emulator, kmock.Server(emulator) as server:
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig(tmp_path / "kubeconfig", str(server.url))))
        yield emulator


@pytest.fixture
async def api(k8s: ApiServerEmulator) -> AsyncIterator[KubeClient]:
    """What `kubectl` would be in these tests: an HTTP client of the emulated API server."""
    info = kopf.login_with_kubeconfig(settings=kopf.OperatorSettings())
    assert info is not None
    client = KubeClient(Credentials(server=info.server, token=info.token))
    yield client
    await client.close()


@dataclasses.dataclass
class RunningOperator:
    thread: threading.Thread
    loop: asyncio.AbstractEventLoop
    stop: threading.Event


class OperatorRunner:
    """Runs the real operator (our REGISTRY of handlers) with kopf.operator in its own thread.

    Its own thread and event loop, as kopf's KopfRunner does: at exit kopf cancels every task
    of its loop that it did not start with, which in a shared loop would include the test's own.
    """

    def __init__(self) -> None:
        self._running: list[RunningOperator] = []

    async def start(self, registry_address: str = "127.0.0.1:9", **options: float) -> RunningOperator:
        opts = OperatorOptions(
            registry_address=registry_address,
            **{"status_interval": 0.3, "site_interval": 0.3, "retry_delay": 0.3, "registry_deadline": 2.0, **options},
        )
        stop, ready = threading.Event(), threading.Event()
        loop = asyncio.new_event_loop()

        def run() -> None:
            coro = kopf.operator(
                registry=REGISTRY,
                clusterwide=True,
                standalone=True,
                stop_flag=stop,
                ready_flag=ready,
                memo=kopf.Memo(options=opts),
            )
            try:
                loop.run_until_complete(coro)
            finally:
                loop.close()

        thread = threading.Thread(target=run, name="operator", daemon=True)
        thread.start()
        running = RunningOperator(thread, loop, stop)
        self._running.append(running)
        assert await asyncio.to_thread(ready.wait, 10), "the operator did not get ready"
        return running

    async def stop_all(self) -> None:
        for running in self._running:
            running.stop.set()
        for running in self._running:
            await asyncio.to_thread(running.thread.join, 15)
            assert not running.thread.is_alive(), "the operator did not stop"


@pytest.fixture
async def operator(k8s: ApiServerEmulator) -> AsyncIterator[OperatorRunner]:
    runner = OperatorRunner()
    yield runner
    await runner.stop_all()


@pytest.fixture
async def registry_address(db_url: str, redis_url: str) -> AsyncIterator[str]:
    """A real registry gRPC server on real PostgreSQL and Redis (tests/conftest.py fixtures)."""
    from redis.asyncio import Redis

    from chargeplane.config import Settings
    from chargeplane.db.pool import create_pool
    from chargeplane.services.registry import add_to_server

    pool = await create_pool(db_url)
    redis = Redis.from_url(redis_url)
    server = grpc.aio.server()
    add_to_server(server, pool, redis, Settings(postgres_url=db_url, redis_url=redis_url))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(1)
        await redis.aclose()
        await pool.close()
