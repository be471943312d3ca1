"""Waiting for the meter stream to be written up to now.

The gateway answers a charger once its meter values are in the Redis Stream, and queues an
event's meter values before it records the event; the writer (meter_writer.py) deletes
each entry from the stream once it is committed to PostgreSQL. So "every meter value
queued before this moment is written" is "the stream holds no entry up to the last id it
held at this moment": no clock is compared, only stream ids.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

_FIRST_DELAY, _MAX_DELAY = 0.01, 0.1


async def settle_meter_stream(redis: Redis, stream: str, timeout: float) -> bool:
    """True once every entry the stream held when called is written; False when `timeout`
    seconds pass first or Redis cannot be read (the caller decides what an unsettled
    series is worth)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        newest: Any = await redis.xrevrange(stream, "+", "-", count=1)
        if not newest:
            return True
        mark = newest[0][0]
        delay = _FIRST_DELAY
        while True:
            oldest: Any = await redis.xrange(stream, "-", mark, count=1)
            if not oldest:
                return True
            left = deadline - loop.time()
            if left <= 0:
                return False
            await asyncio.sleep(min(delay, left))
            delay = min(delay * 2, _MAX_DELAY)
    except (RedisError, OSError):
        return False
