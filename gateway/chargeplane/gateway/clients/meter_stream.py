"""The meter-value stream in Redis: each message's samples as one entry, appended in
pipelines (one per event-loop turn, see stream_batcher), encoded with the one codec the
transactions service's writer decodes (chargeplane.domain.meter_stream)."""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from chargeplane.domain.meter import Sample
from chargeplane.domain.meter_stream import MeterStreamEntry, content_key
from chargeplane.gateway.stream_batcher import StreamBatcher


class RedisMeterStream:
    """Implements MeterStream (gateway/ports.py)."""

    def __init__(self, redis: Redis, stream: str, maxlen: int = 0) -> None:
        self._batcher = StreamBatcher(redis, stream, maxlen or None)

    async def publish(
        self,
        cp_id: str,
        evse_id: int | None,
        connector_id: int | None,
        transaction_ref: str | None,
        samples: Sequence[Sample],
        message_key: bytes,
    ) -> None:
        if not samples:
            return
        entry = MeterStreamEntry(
            key=content_key(cp_id, message_key),
            charge_point_id=cp_id,
            evse_id=evse_id,
            connector_id=connector_id,
            transaction_ref=transaction_ref,
            samples=tuple(samples),
        )
        await self._batcher.add(entry.encode())
