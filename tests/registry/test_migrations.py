"""Schema migrations: idempotent, and safe when several processes start at once."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import asyncpg
import pytest

from chargeplane.db.migrate import current, downgrade, upgrade
from chargeplane.embedded import EmbeddedPostgres

TABLES = {"api_tokens", "charge_points", "connectors", "commands", "device_variables", "desired_configuration"}


def head() -> str:
    """The newest revision shipped (later migrations keep adding to the chain)."""
    from alembic.script import ScriptDirectory

    from chargeplane.db.migrate import alembic_config

    revision = ScriptDirectory.from_config(alembic_config("postgresql://unused/x")).get_current_head()
    assert revision is not None
    return revision


@pytest.fixture
async def empty_db(pg_server: EmbeddedPostgres) -> AsyncIterator[str]:
    admin = await asyncpg.connect(pg_server.admin_url())
    try:
        await admin.execute('DROP DATABASE IF EXISTS "fresh" WITH (FORCE)')
        await admin.execute('CREATE DATABASE "fresh" TEMPLATE template0')
    finally:
        await admin.close()
    yield pg_server.admin_url("fresh")
    admin = await asyncpg.connect(pg_server.admin_url())
    try:
        await admin.execute('DROP DATABASE IF EXISTS "fresh" WITH (FORCE)')
    finally:
        await admin.close()


async def tables(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version' ORDER BY 1"
        )
    finally:
        await conn.close()
    return [r["tablename"] for r in rows]


async def test_upgrade_is_idempotent(empty_db: str) -> None:
    assert current(empty_db) is None
    upgrade(empty_db)
    upgrade(empty_db)
    assert current(empty_db) == head()
    assert set(await tables(empty_db)) >= TABLES


async def test_downgrade_then_upgrade(empty_db: str) -> None:
    upgrade(empty_db)
    downgrade(empty_db, "base")
    assert current(empty_db) is None
    assert await tables(empty_db) == []
    await asyncio.to_thread(upgrade, empty_db)
    assert current(empty_db) == head()


# Each child imports everything, reports ready, then waits for "go": the upgrades really
# overlap instead of being spread out by interpreter start-up times.
_CHILD = """
import sys
from chargeplane.db.migrate import upgrade
print("ready", flush=True)
sys.stdin.readline()
upgrade(sys.argv[1])
"""


async def test_concurrent_processes_upgrade_a_fresh_database(empty_db: str) -> None:
    pipe = asyncio.subprocess.PIPE
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", _CHILD, empty_db, stdin=pipe, stdout=pipe, stderr=pipe
        )
        for _ in range(3)
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert await proc.stdout.readline() == b"ready\n"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
    results = await asyncio.gather(*(p.communicate() for p in procs))
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err.decode()
    assert current(empty_db) == head()
    assert set(await tables(empty_db)) >= TABLES


async def test_concurrent_threads_in_one_process(empty_db: str) -> None:
    await asyncio.gather(asyncio.to_thread(upgrade, empty_db), asyncio.to_thread(upgrade, empty_db))
    assert current(empty_db) == head()


async def test_constraints_reject_bad_rows(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        for bad in ("", "a:b", "x" * 49):
            with pytest.raises(asyncpg.CheckViolationError):
                await conn.execute("INSERT INTO charge_points (id) VALUES ($1)", bad)
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute("INSERT INTO charge_points (id, allowed_protocols) VALUES ('a', '{ocpp9}')")
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await conn.execute(
                "INSERT INTO connectors (charge_point_id, evse_id, connector_id, status, availability, status_at)"
                " VALUES ('missing', 1, 1, 'Available', 'Available', now())"
            )
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute("INSERT INTO api_tokens (name, token_hash) VALUES ('t', 'not-a-hash')")
    finally:
        await conn.close()
