"""Migration 0004: transactions stored by the two-lifecycle schema (0003) keep every
guarantee in the one lifecycle: a retried 1.6 start finds its row by the idempotency key
the gateway computes, a repeated stop stays a duplicate, a conflicting one a conflict."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from chargeplane.config import Settings
from chargeplane.db.migrate import current, downgrade, head_revision, upgrade
from chargeplane.embedded import EmbeddedPostgres
from chargeplane.gateway.ocpp16.transactions import idempotency_key
from chargeplane.runtime.components import all_in_one
from tests.chargers import raw_charger
from tests.db import one

START = datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
async def old_db(pg_server: EmbeddedPostgres) -> AsyncIterator[str]:
    admin = await asyncpg.connect(pg_server.admin_url())
    try:
        await admin.execute('DROP DATABASE IF EXISTS "r0003" WITH (FORCE)')
        await admin.execute('CREATE DATABASE "r0003" TEMPLATE template0')
    finally:
        await admin.close()
    url = pg_server.admin_url("r0003")
    await asyncio.to_thread(upgrade, url, "0003")
    yield url
    admin = await asyncpg.connect(pg_server.admin_url())
    try:
        await admin.execute('DROP DATABASE IF EXISTS "r0003" WITH (FORCE)')
    finally:
        await admin.close()


async def _seed_0003(url: str) -> None:
    """Rows as the 0003 code wrote them: an open and an ended 1.6 transaction, a 2.0.1 one,
    a stop anomaly."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SELECT setval('transaction_id_seq', 10)")
        await conn.execute(
            "INSERT INTO transactions (id, transaction_ref, charge_point_id, protocol, evse_id, connector_id, id_tag, "
            "auth_status, meter_start, started_at) VALUES (7, '7', 'CP-OLD', 'ocpp1.6', 1, 1, 'TAG', 'Accepted', "
            "1000, $1)",
            START,
        )
        await conn.execute(
            "INSERT INTO transactions (id, transaction_ref, charge_point_id, protocol, evse_id, connector_id, id_tag, "
            "auth_status, meter_start, started_at, meter_stop, stopped_at, state, energy_wh) VALUES "
            "(8, '8', 'CP-OLD', 'ocpp1.6', 2, 1, 'TAG2', 'Accepted', 50, $1, 150, $2, 'Ended', 100)",
            START,
            datetime(2026, 11, 23, 11, tzinfo=UTC),
        )
        await conn.execute(
            "INSERT INTO transactions (id, transaction_ref, charge_point_id, protocol, max_seq_no) "
            "VALUES (9, 'TX-201', 'CP-201', 'ocpp2.0.1', 3)"
        )
        await conn.execute(
            "INSERT INTO stop_anomalies (charge_point_id, transaction_id, meter_stop, timestamp, outcome, payload) "
            "VALUES ('CP-OLD', 424242, 5, $1, 'unknown', '{}')",
            START,
        )
    finally:
        await conn.close()


async def test_data_migrates_and_keeps_its_guarantees(old_db: str, settings: Settings) -> None:
    await _seed_0003(old_db)
    await asyncio.to_thread(upgrade, old_db)
    assert current(old_db) == head_revision()
    conn = await asyncpg.connect(old_db)
    try:
        rows = {r["id"]: r for r in await conn.fetch("SELECT * FROM transactions")}
        assert rows[7]["idempotency_key"] == idempotency_key(1, "TAG", 1000, START)
        assert (rows[7]["id_assigned_by_csms"], rows[7]["max_seq_no"]) == (True, 0)
        assert (rows[8]["id_assigned_by_csms"], rows[8]["max_seq_no"]) == (True, 1)
        assert (rows[9]["id_assigned_by_csms"], rows[9]["idempotency_key"], rows[9]["max_seq_no"]) == (False, None, 3)
        events = await conn.fetch("SELECT transaction_id, seq_no, event_type FROM transaction_events ORDER BY 1, 2")
        assert [tuple(e) for e in events] == [(7, 0, "Started"), (8, 0, "Started"), (8, 1, "Ended")]
        anomaly = await one(conn, "SELECT transaction_ref, transaction_id FROM stop_anomalies")
        assert tuple(anomaly) == ("424242", 424242)
    finally:
        await conn.close()

    start = {"connectorId": 1, "idTag": "TAG", "meterStart": 1000, "timestamp": "2026-11-23T10:00:00.123456Z"}
    stop8 = {"transactionId": 8, "meterStop": 150, "timestamp": "2026-11-23T11:00:00Z"}
    async with all_in_one(settings.model_copy(update={"postgres_url": old_db})) as cs:
        async with raw_charger(f"ws://127.0.0.1:{cs.gateway_port}/ocpp", "CP-OLD", "1.6") as c:
            retried = await c.call("StartTransaction", start)
            assert retried[2]["transactionId"] == 7  # found by the migrated key, not a new row
            assert (await c.call("StopTransaction", stop8))[0] == 3  # the same stop again
            conflicting = {**stop8, "meterStop": 999}
            assert (await c.call("StopTransaction", conflicting))[0] == 3
        assert await cs.pool.fetchval("SELECT count(*) FROM transactions WHERE charge_point_id = 'CP-OLD'") == 2
        flags = await cs.pool.fetchval("SELECT flags FROM transactions WHERE id = 8")
        assert "duplicate_stop_conflict" in flags and "seq_gap" not in flags
        outcomes = await cs.pool.fetch("SELECT transaction_id, outcome FROM stop_anomalies ORDER BY id")
        assert [tuple(o) for o in outcomes] == [(424242, "unknown"), (8, "conflict")]


async def test_downgrade_to_0003_and_back(old_db: str) -> None:
    await _seed_0003(old_db)
    await asyncio.to_thread(upgrade, old_db)
    await asyncio.to_thread(downgrade, old_db, "0003")
    assert current(old_db) == "0003"
    await asyncio.to_thread(upgrade, old_db)
    assert current(old_db) == head_revision()
