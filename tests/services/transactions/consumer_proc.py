"""A meter-stream consumer that stops at a chosen point and waits to be SIGKILLed.

python -m tests.services.transactions.consumer_proc <postgres_url> <redis_url> <name> <count> <after-read|after-commit>
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from redis.asyncio import Redis

from chargeplane.config import Settings
from chargeplane.db.pool import create_pool
from chargeplane.services.transactions.meter_writer import MeterWriter, write_batch


async def main(pg: str, redis_url: str, name: str, count: int, mode: str) -> None:
    settings = Settings(postgres_url=pg, redis_url=redis_url)
    pool = await create_pool(pg)
    redis = Redis.from_url(redis_url)
    writer = MeterWriter(pool, redis, settings, name=name)
    await writer.ensure_group()
    reply: Any = await redis.xreadgroup(settings.meter_stream_group, name, {settings.meter_stream: ">"}, count=count)
    entries = [(sid.decode(), fields) for sid, fields in reply[0][1]]
    if mode == "after-commit":
        await write_batch(pool, entries)  # committed, never acknowledged
    print("READY", len(entries), flush=True)
    await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]))
