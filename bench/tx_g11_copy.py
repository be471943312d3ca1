"""G11: meter-value rows into PostgreSQL with COPY, through the real stream writer's batch path.

Builds stream entries in the gateway's format (20 sampled values each, 4 measurands x
5 timestamps) and hands batches to `write_batch` (dedup insert of the entry keys + COPY
into the partitioned meter_values table, one transaction per batch, fsync and
synchronous_commit on). PostgreSQL on CPU 0, this process on CPU 1. Reports rows/s and
the on-disk bytes per row (heap + index). Budget (DESIGN.md §5): >= 150,000 rows/s,
<= 100 B/row.

    python -m bench.tx_g11_copy [--quick] [--batch-rows 10000] [--writers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import uvloop

from bench.tx_common import LOADGEN_CPUS, SERVER_CPUS, command, pin, result
from chargeplane.config import Settings
from chargeplane.db.migrate import upgrade
from chargeplane.db.pool import create_pool
from chargeplane.embedded import EmbeddedPostgres
from chargeplane.services.transactions.meter_writer import maintain_partitions, write_batch

BUDGET = {"rows_per_s": 150_000, "bytes_per_row": 100}
PER_ENTRY = 20
MEASURANDS = [
    ("Energy.Active.Import.Register", "Wh", None, "Wh"),
    ("Power.Active.Import", "W", None, "W"),
    ("Current.Import", "A", "L1", "A"),
    ("Voltage", "V", "L1-N", "V"),
]


def entries(start: int, count: int, t0: datetime) -> list[tuple[str, dict[bytes, bytes]]]:
    out = []
    for e in range(start, start + count):
        ts = t0 + timedelta(seconds=e)
        samples = []
        for k in range(PER_ENTRY // len(MEASURANDS)):
            stamp = (ts + timedelta(milliseconds=k)).isoformat()
            for m, unit, phase, base in MEASURANDS:
                value = float(e * 10 + k)
                samples.append([stamp, str(value), m, phase, unit, "Sample.Periodic", None, None, None, value, base])
        doc = {"k": f"k{e:012d}", "cp": f"CP-{e % 500:05d}", "evse": 1, "conn": 1, "tx": str(e % 1000), "s": samples}
        out.append((f"{e}-0", {b"d": orjson.dumps(doc)}))
    return out


async def run(url: str, total_rows: int, batch_rows: int, streams: int) -> dict[str, object]:
    settings = Settings(postgres_url=url)
    pool = await create_pool(url, min_size=1, max_size=streams + 1)
    try:
        t0 = datetime.now(UTC).replace(microsecond=0)
        await maintain_partitions(pool, settings, t0)
        per_batch = max(batch_rows // PER_ENTRY, 1)
        batches = [entries(i * per_batch, per_batch, t0) for i in range(max(total_rows // batch_rows, 1))]
        await write_batch(pool, entries(10**9, 50, t0))  # warm-up (connections, plans)
        await pool.execute("TRUNCATE meter_values, meter_stream_entries")
        began = time.perf_counter()
        # `streams` writers side by side (as several consumers of the group would run), so the
        # client encodes one batch while the server ingests and commits another.
        queue = list(batches)

        async def writer() -> int:
            n = 0
            while queue:
                n += await write_batch(pool, queue.pop())
            return n

        written = sum(await asyncio.gather(*(writer() for _ in range(streams))))
        elapsed = time.perf_counter() - began
        again = sum([await write_batch(pool, b) for b in batches[:2]])  # redelivered: writes nothing
        await pool.execute("VACUUM ANALYZE meter_values")
        size = await pool.fetchval(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'meter_values'::regclass"
        )
        rows = await pool.fetchval("SELECT count(*) FROM meter_values")
    finally:
        await pool.close()
    return {
        "rows": rows,
        "rows_per_batch": per_batch * PER_ENTRY,
        "writers": streams,
        "rows_per_s": round(written / elapsed),
        "bytes_per_row": round(float(size) / rows, 1),
        "redelivered_rows_written": again,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rows")
    parser.add_argument("--batch-rows", type=int, default=10_000)
    parser.add_argument("--writers", type=int, default=2, help="batches written side by side")
    args = parser.parse_args()
    total = 200_000 if args.quick else 1_000_000
    pin(os.getpid(), LOADGEN_CPUS)
    tmp = Path(tempfile.mkdtemp(prefix="cp-g11-"))
    pg = EmbeddedPostgres(tmp / "pg", durable=True)
    try:
        url = pg.start()
        if pg._proc is not None:
            pin(pg._proc.pid, SERVER_CPUS)
        upgrade(url)
        m = uvloop.run(run(url, total, args.batch_rows, args.writers))
    finally:
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    ok = m["rows_per_s"] >= BUDGET["rows_per_s"] and m["bytes_per_row"] <= BUDGET["bytes_per_row"]  # type: ignore[operator]
    ok = ok and m["redelivered_rows_written"] == 0
    cmd = command("tx_g11_copy", args.quick) + (f" --batch-rows {args.batch_rows}" if args.batch_rows != 10_000 else "")
    cmd += f" --writers {args.writers}" if args.writers != 2 else ""
    print(result("G11", "meter-value rows into PostgreSQL (COPY)", BUDGET, m, ok, cmd))


if __name__ == "__main__":
    main()
