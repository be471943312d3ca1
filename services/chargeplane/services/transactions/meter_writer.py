"""Meter values from the Redis Stream into PostgreSQL: a consumer group, COPY, ack after commit.

The gateway answers MeterValues (and TransactionEvent meter values) once the samples are
in the stream. Here each batch of stream entries is written in ONE database transaction:
the entry ids go into meter_stream_entries (primary key) and only the entries that were
not there yet are COPYed into meter_values. After the commit the entries are XACKed and
deleted from the stream. So:
- a consumer that dies before the commit leaves its entries pending; another consumer
  reclaims them (XAUTOCLAIM after `meter_claim_idle_ms`) and writes them: nothing is lost;
- a consumer that dies after the commit but before the XACK gets its entries redelivered;
  their ids are already in meter_stream_entries, so nothing is written twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from chargeplane.config import Settings
from chargeplane.domain.meter_stream import MalformedEntry, MeterStreamEntry

log = logging.getLogger(__name__)

COLUMNS = (
    "ts",
    "charge_point_id",
    "evse_id",
    "connector_id",
    "transaction_ref",
    "measurand",
    "phase",
    "unit",
    "context",
    "location",
    "format",
    "raw_value",
    "signed_data",
    "value",
    "base_unit",
    "stream_id",
)
PARTITION_PREFIX = "meter_values_p"
PROCESSED_KEEP = timedelta(days=2)  # redelivery happens within the claim window; keep ids longer
_MAINTENANCE_LOCK = 0x6D65746572706172  # "meterpar"


def parse(stream_id: str, entry: dict[bytes, bytes]) -> tuple[str, list[tuple[Any, ...]]]:
    """(dedup key, meter_values rows) of one stream entry (chargeplane.domain.meter_stream).

    The key is the entry's content key (a hash of charger + message) when present, so a
    charger's retry of the same message dedups exactly like a redelivered entry; else the
    stream entry id. It is stored in the rows' stream_id column."""
    e = MeterStreamEntry.decode(entry, stream_id)
    cp, evse, conn, ref, key = e.charge_point_id, e.evse_id, e.connector_id, e.transaction_ref, e.key
    rows = [
        (ts, cp, evse, conn, ref, measurand, phase, unit, context, location, fmt, raw, signed, value, base, key)
        for ts, raw, measurand, phase, unit, context, location, fmt, signed, value, base in e.samples
    ]
    return e.key, rows


async def write_batch(pool: asyncpg.Pool, entries: list[tuple[str, dict[bytes, bytes]]]) -> int:
    """Write the entries not written before (by dedup key); returns the rows COPYed."""
    parsed: dict[str, list[tuple[Any, ...]]] = {}
    for sid, fields in entries:
        try:
            key, rows = parse(sid, fields)
        except MalformedEntry as exc:
            log.error("%s; acknowledged, not written", exc)
            continue
        parsed.setdefault(key, rows)  # the same message twice in one batch counts once
    if not parsed:
        return 0
    async with pool.acquire() as conn, conn.transaction():
        fresh = await conn.fetch(
            "INSERT INTO meter_stream_entries (stream_id) SELECT unnest($1::text[]) "
            "ON CONFLICT DO NOTHING RETURNING stream_id",
            list(parsed),
        )
        records = [row for r in fresh for row in parsed[r["stream_id"]]]
        if records:
            await conn.copy_records_to_table("meter_values", records=records, columns=COLUMNS)
        return len(records)


class MeterWriter:
    """One consumer of the meter stream's group (several may run, in several processes)."""

    def __init__(self, pool: asyncpg.Pool, redis: Redis, settings: Settings, name: str | None = None) -> None:
        self.pool = pool
        self.redis = redis
        self.settings = settings
        self.stream = settings.meter_stream
        self.group = settings.meter_stream_group
        self.name = name or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self.rows_written = 0
        self._tasks: list[asyncio.Task[None]] = []
        # Cancellation alone is not enough: a client library may turn a CancelledError that
        # races its own timeout into a TimeoutError, which the retry loop would swallow.
        self._stopping = False

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def start(self) -> None:
        """`meter_writers` consumers of the group side by side (one encodes a batch while the
        database commits another), and the partition maintenance."""
        for i in range(self.settings.meter_writers):
            name = self.name if self.settings.meter_writers == 1 else f"{self.name}-{i}"
            self._tasks.append(asyncio.create_task(self.run(name), name=f"meter-writer-{name}"))
        self._tasks.append(asyncio.create_task(self._maintain_forever(), name="meter-partitions"))

    async def stop(self) -> None:
        self._stopping = True
        pending = set(self._tasks)
        while pending:
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=1.0)
        self._tasks.clear()

    async def run(self, name: str | None = None) -> None:
        consumer = name or self.name
        backoff = 0.1
        claim_every = max(self.settings.meter_claim_idle_ms / 1000 / 2, 0.05)
        next_claim = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping:
            try:
                await self.ensure_group()
                while not self._stopping:
                    if loop.time() >= next_claim:
                        await self.reclaim(consumer)
                        next_claim = loop.time() + claim_every
                    await self.step(consumer)
                    backoff = 0.1
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                if self._stopping:
                    return
                log.warning("meter writer %s: %s; retrying in %.1fs", consumer, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def step(self, consumer: str | None = None) -> int:
        """Read one batch of new entries, write, ack. Returns the entries handled."""
        reply: Any = await self.redis.xreadgroup(
            self.group,
            consumer or self.name,
            {self.stream: ">"},
            count=self.settings.meter_batch_size,
            block=self.settings.meter_block_ms,
        )
        if not reply:
            return 0
        batch: Any = reply[0][1]
        entries = [(_s(sid), fields) for sid, fields in batch]
        await self.commit(entries)
        return len(entries)

    async def commit(self, entries: list[tuple[str, dict[bytes, bytes]]]) -> None:
        if not entries:
            return
        self.rows_written += await write_batch(self.pool, entries)
        ids = [sid for sid, _ in entries]
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xack(self.stream, self.group, *ids)
            pipe.xdel(self.stream, *ids)
            await pipe.execute()

    async def reclaim(self, consumer: str | None = None) -> int:
        """Take over entries a dead consumer read but never acknowledged."""
        consumer = consumer or self.name
        handled = 0
        start = "0-0"
        while True:
            reply: Any = await self.redis.xautoclaim(
                self.stream,
                self.group,
                consumer,
                min_idle_time=self.settings.meter_claim_idle_ms,
                start_id=start,
                count=self.settings.meter_batch_size,
            )
            start = _s(reply[0])
            # Entries deleted from the stream come back as None (Redis 7 lists their ids apart).
            entries = [(_s(sid), fields) for sid, fields in reply[1] if fields]
            if entries:
                log.info("meter writer %s reclaimed %d pending entries", consumer, len(entries))
                await self.commit(entries)
                handled += len(entries)
            if start == "0-0":
                return handled

    async def _maintain_forever(self) -> None:
        while not self._stopping:
            try:
                await maintain_partitions(self.pool, self.settings, datetime.now(UTC))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("meter partition maintenance failed")
            await asyncio.sleep(3600)


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def is_partitioned(conn: Any) -> bool:
    kind = await conn.fetchval("SELECT relkind::text FROM pg_class WHERE oid = 'meter_values'::regclass")
    return bool(kind == "p")


async def maintain_partitions(pool: asyncpg.Pool, settings: Settings, now: datetime) -> tuple[list[str], list[str]]:
    """Create the daily partitions from yesterday to `meter_partitions_ahead` days out; drop
    those wholly older than `meter_retention_days`. Returns (created, dropped). On a
    TimescaleDB hypertable, retention is drop_chunks instead."""
    created: list[str] = []
    dropped: list[str] = []
    cutoff = now - timedelta(days=settings.meter_retention_days)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MAINTENANCE_LOCK)
        await conn.execute("DELETE FROM meter_stream_entries WHERE processed_at < $1", now - PROCESSED_KEEP)
        if not await is_partitioned(conn):
            await conn.execute("SELECT drop_chunks('meter_values', older_than => $1::timestamptz)", cutoff)
            return created, dropped
        existing = {
            r["relname"]
            for r in await conn.fetch(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'meter_values'::regclass"
            )
        }
        today = now.astimezone(UTC).date()
        for offset in range(-1, settings.meter_partitions_ahead + 1):
            day = today + timedelta(days=offset)
            name = f"{PARTITION_PREFIX}{day:%Y%m%d}"
            if name in existing:
                continue
            nxt = day + timedelta(days=1)
            try:
                async with conn.transaction():  # a savepoint: one failure leaves the others
                    await conn.execute(
                        f"CREATE TABLE {name} PARTITION OF meter_values "
                        f"FOR VALUES FROM ('{day.isoformat()}T00:00:00Z') TO ('{nxt.isoformat()}T00:00:00Z')"
                    )
                created.append(name)
            except asyncpg.exceptions.CheckViolationError:
                # Rows for that day already sit in the DEFAULT partition (a charger clock
                # far ahead): they stay there, and so do that day's later rows.
                log.warning("meter partition %s not created: the default partition holds its rows", name)
        for name in sorted(existing):
            if not name.startswith(PARTITION_PREFIX):
                continue
            with contextlib.suppress(ValueError):
                day = datetime.strptime(name[len(PARTITION_PREFIX) :], "%Y%m%d").replace(tzinfo=UTC)
                if day + timedelta(days=1) <= cutoff:
                    await conn.execute(f"DROP TABLE {name}")
                    dropped.append(name)
        await conn.execute("DELETE FROM meter_values_default WHERE ts < $1", cutoff)
    return created, dropped
