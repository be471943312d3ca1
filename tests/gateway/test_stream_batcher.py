"""Meter-stream XADDs batched per loop turn: each caller still gets its own outcome."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from chargeplane.gateway.stream_batcher import StreamBatcher


async def test_concurrent_adds_share_a_pipeline_and_each_get_their_entry(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        batcher = StreamBatcher(redis, "meter:test", maxlen=None)
        ids = await asyncio.gather(*(batcher.add({"d": str(i)}) for i in range(1200)))
        assert len(set(ids)) == 1200
        entries = cast(list[tuple[bytes, dict[bytes, bytes]]], await redis.xrange("meter:test"))
        assert [e[1][b"d"] for e in entries] == [str(i).encode() for i in range(1200)]  # order kept
        assert dict(entries)[ids[7]] == {b"d": b"7"}
    finally:
        await redis.aclose()


async def test_a_failed_xadd_reaches_its_caller(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        await redis.set("not-a-stream", "x")
        batcher = StreamBatcher(redis, "not-a-stream", maxlen=None)
        results = await asyncio.gather(*(batcher.add({"d": "1"}) for _ in range(3)), return_exceptions=True)
        assert all(isinstance(r, ResponseError) for r in results)
        with pytest.raises(ResponseError):
            await batcher.add({"d": "2"})
    finally:
        await redis.aclose()
