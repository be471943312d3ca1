"""Shared fixtures: real PostgreSQL and Redis servers (embedded, from PyPI wheels).

One server of each per test session; every test gets a fresh database cloned from a
migrated template and a flushed Redis, so tests never see each other's data.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis

from chargeplane.config import Settings
from chargeplane.embedded import EmbeddedPostgres, EmbeddedRedis
from chargeplane.runtime.components import AllInOne, all_in_one

TEMPLATE_DB = "cp_template"
_db_counter = itertools.count()


def _outside_pytest_tmp(prefix: str) -> Path:
    """A fresh directory for data an embedded PostgreSQL keeps. Not under pytest's temp
    root: any pytest session that starts meanwhile (another xdist run, another checkout)
    resets that root to 0700, which would cut the unprivileged server user off its data."""
    return Path(tempfile.mkdtemp(prefix=prefix))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[EmbeddedPostgres]:
    from chargeplane.db.migrate import upgrade

    data_dir = _outside_pytest_tmp("chargeplane-pg-")
    server = EmbeddedPostgres(data_dir, durable=False, database=TEMPLATE_DB)
    server.start()
    upgrade(server.url)
    yield server
    server.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def server_data_dir() -> Iterator[Path]:
    """A data directory for a `chargeplane run` that starts its own embedded PostgreSQL."""
    data_dir = _outside_pytest_tmp("chargeplane-run-")
    yield data_dir
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(Path(tmp_path_factory.mktemp("redis")), durable=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def db_url(pg_server: EmbeddedPostgres) -> AsyncIterator[str]:
    """A fresh, migrated database for this test."""
    name = f"t{next(_db_counter)}"
    admin = await asyncpg.connect(pg_server.admin_url())
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
    finally:
        await admin.close()
    yield pg_server.admin_url(name)
    admin = await asyncpg.connect(pg_server.admin_url())
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def redis_url(redis_server: EmbeddedRedis) -> AsyncIterator[str]:
    """The session's Redis, flushed for this test."""
    client = aioredis.from_url(redis_server.url)
    try:
        await client.flushall()
    finally:
        await client.aclose()
    yield redis_server.url


@pytest.fixture
def settings(db_url: str, redis_url: str, tmp_path: Path) -> Settings:
    """Settings for an in-process CSMS on free ports, fast timers for tests."""
    return Settings(
        postgres_url=db_url,
        redis_url=redis_url,
        data_dir=tmp_path,
        gateway_port=0,
        grpc_port=0,
        api_port=0,
        ocpi_port=0,
        pod_name="gw-test",
        presence_ttl=3.0,
        activity_flush_interval=0.2,
        ping_interval=5.0,
        log_json=False,
    )


@pytest.fixture
async def allinone(settings: Settings) -> AsyncIterator[AllInOne]:
    """The whole CSMS in this process: registry gRPC, one gateway, REST API."""
    async with all_in_one(settings) as running:
        yield running


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `pytest -n N --dist loadgroup`, the slow multi-process tests share one worker:
    each starts several server processes, and two at once would starve a 2-core machine."""
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(pytest.mark.xdist_group("processes"))
