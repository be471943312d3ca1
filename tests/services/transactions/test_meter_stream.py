"""Meter values through the Redis Stream: consumers SIGKILLed mid-batch lose and duplicate nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from redis.asyncio import Redis

from chargeplane.config import Settings
from chargeplane.db.pool import create_pool
from chargeplane.domain.meter import sample_v16
from chargeplane.gateway.clients.meter_stream import RedisMeterStream
from chargeplane.services.transactions.meter_writer import MeterWriter, maintain_partitions
from tests.eventually import eventually

ROOT = Path(__file__).resolve().parents[3]
MESSAGES = 30
SAMPLES = 10


def _consumer(db_url: str, redis_url: str, name: str, count: int, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.services.transactions.consumer_proc", db_url, redis_url, name, str(count), mode],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


async def _ready(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 30)
    assert line.startswith("READY"), line
    return line


@pytest.mark.slow
async def test_consumers_killed_mid_batch_lose_and_duplicate_nothing(db_url: str, redis_url: str) -> None:
    settings = Settings(
        postgres_url=db_url, redis_url=redis_url, meter_claim_idle_ms=300, meter_block_ms=20, meter_batch_size=7
    )
    redis = Redis.from_url(redis_url)
    pool = await create_pool(db_url)
    producer = RedisMeterStream(redis, settings.meter_stream, maxlen=10_000)
    try:
        await maintain_partitions(pool, settings, datetime.now(UTC))
        t0 = datetime.now(UTC).replace(microsecond=0)
        for m in range(MESSAGES):
            when = t0 + timedelta(seconds=m)
            samples = [
                sample_v16(when, {"value": str(m * 100 + s), "measurand": "Energy.Active.Import.Register"})
                if s == 0
                else sample_v16(when, {"value": str(s), "measurand": "Current.Import", "phase": f"L{s % 3 + 1}"})
                for s in range(SAMPLES)
            ]
            key = f"msg-{m}".encode()
            await producer.publish("CP-STREAM", 1, 1, "77", samples, key)
            if m % 10 == 0:  # the charger retried this message: the same content again
                await producer.publish("CP-STREAM", 1, 1, "77", samples, key)
        # Consumer A dies after reading 10 entries, before writing anything.
        a = _consumer(db_url, redis_url, "doomed-a", 10, "after-read")
        await _ready(a)
        a.send_signal(signal.SIGKILL)
        a.wait()
        # Consumer B dies after committing 10 entries, before acknowledging them.
        b = _consumer(db_url, redis_url, "doomed-b", 10, "after-commit")
        await _ready(b)
        b.send_signal(signal.SIGKILL)
        b.wait()
        written_by_b = await pool.fetchval("SELECT count(*) FROM meter_values")
        assert written_by_b > 0
        pending = await redis.xpending(settings.meter_stream, settings.meter_stream_group)
        assert pending["pending"] == 20

        survivor = MeterWriter(pool, redis, settings, name="survivor")
        survivor.start()
        try:

            async def drained() -> bool:
                info = await redis.xpending(settings.meter_stream, settings.meter_stream_group)
                return bool(info["pending"] == 0 and await redis.xlen(settings.meter_stream) == 0)

            await eventually(drained, timeout=20)
        finally:
            await survivor.stop()
        total = await pool.fetchval("SELECT count(*) FROM meter_values WHERE charge_point_id = 'CP-STREAM'")
        distinct = await pool.fetchval(
            "SELECT count(*) FROM (SELECT DISTINCT ts, stream_id, measurand, phase, value FROM meter_values) d"
        )
        assert total == distinct == MESSAGES * SAMPLES
        energy = await pool.fetch(
            "SELECT value FROM meter_values WHERE measurand = 'Energy.Active.Import.Register' ORDER BY ts"
        )
        assert [r["value"] for r in energy] == [float(m * 100) for m in range(MESSAGES)]
    finally:
        await pool.close()
        await redis.aclose()


async def test_partitions_and_retention(db_url: str) -> None:
    settings = Settings(postgres_url=db_url, meter_retention_days=30, meter_partitions_ahead=2)
    conn = await asyncpg.connect(db_url)
    pool = await create_pool(db_url)
    try:
        now = datetime(2026, 11, 23, 12, tzinfo=UTC)
        old = now - timedelta(days=40)
        # A charger with its clock 40 days behind: the row lands in the DEFAULT partition.
        await conn.execute(
            "INSERT INTO meter_values (ts, charge_point_id, measurand, raw_value, stream_id) "
            "VALUES ($1, 'CP', 'Voltage', '230', 'k1'), ($2, 'CP', 'Voltage', '231', 'k2')",
            old,
            now,
        )
        # ... until a partition for that day exists (made 40 days ago by an earlier run).
        await conn.execute(
            "CREATE TABLE meter_values_p20261013 PARTITION OF meter_values "
            "FOR VALUES FROM ('2026-10-13T00:00:00Z') TO ('2026-10-14T00:00:00Z')"
        )
        created, dropped = await maintain_partitions(pool, settings, now)
        # Today already has rows in DEFAULT: its partition cannot be made, the others can.
        assert created == ["meter_values_p20261122", "meter_values_p20261124", "meter_values_p20261125"]
        assert dropped == ["meter_values_p20261013"]
        assert await conn.fetchval("SELECT count(*) FROM meter_values WHERE ts < $1", now - timedelta(days=30)) == 0
        assert await conn.fetchval("SELECT count(*) FROM meter_values") == 1
        tomorrow = now + timedelta(days=1)
        await conn.execute(
            "INSERT INTO meter_values (ts, charge_point_id, measurand, raw_value, stream_id) "
            "VALUES ($1, 'CP', 'Voltage', '229', 'k3')",
            tomorrow,
        )
        where = await conn.fetchval("SELECT tableoid::regclass::text FROM meter_values WHERE stream_id = 'k3'")
        assert where == "meter_values_p20261124"
        assert await maintain_partitions(pool, settings, now) == ([], [])  # idempotent
    finally:
        await conn.close()
        await pool.close()
