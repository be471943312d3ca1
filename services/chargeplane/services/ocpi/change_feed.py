"""Keeps the Locations projection current: the registry's change stream for low latency,
and a periodic full re-read for what no hint announces (a charger going offline) and for
hints that were lost.

The stream is read in a consumer group, so several ocpi replicas share the work; an entry
is acknowledged only after its projection committed, and entries a crashed replica left
pending are claimed again. Only one replica at a time runs the full re-read (a Redis lock).
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Coroutine
from typing import Any

import asyncpg
import grpc
from google.protobuf.message import DecodeError
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from chargeplane.config import Settings
from chargeplane.pb.registry.v1 import registry_pb2 as pb

from .location_sync import LocationSync

log = logging.getLogger(__name__)

GROUP = "ocpi"
BATCH = 100
BLOCK_MS = 1000
CLAIM_IDLE_MS = 30_000
SWEEP_LOCK = "ocpi:sweep-lock"
_FAILURES = (grpc.aio.AioRpcError, RedisError, OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class ChangeFeed:
    def __init__(self, settings: Settings, redis: Redis, sync: LocationSync) -> None:
        self.settings = settings
        self.redis = redis
        self.sync = sync
        self.stream = settings.registry_change_stream
        self.consumer = f"{settings.pod_name}-{os.getpid()}"
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """The consumer group exists before the first full re-read starts: every change is
        either read from the stream or covered by that re-read."""
        group_ready = False
        if self.stream:
            try:
                await self._ensure_group()
                group_ready = True
            except (RedisError, OSError):
                log.warning("OCPI change feed: Redis unavailable at start; retrying in the background")
            self._tasks.append(asyncio.create_task(self._consume(group_ready), name="ocpi-change-feed"))
        self._tasks.append(asyncio.create_task(self._sweep(), name="ocpi-sweep"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _ensure_group(self) -> None:
        try:
            # "$": what happened before is covered by the first full re-read.
            await self.redis.xgroup_create(self.stream, GROUP, id="$", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def _consume(self, group_ready: bool) -> None:
        delay = 0.5
        while True:
            try:
                if not group_ready:
                    await self._ensure_group()
                    group_ready = True
                entries = await self._read()
                if entries:
                    await self._handle(entries)
                delay = 0.5
            except ResponseError as exc:
                if "NOGROUP" in str(exc):  # Redis was flushed or restarted empty
                    group_ready = False
                log.warning("OCPI change feed: %s", exc)
                await asyncio.sleep(delay)
            except _FAILURES:
                log.warning("OCPI change feed: dependency unavailable, retrying in %.1fs", delay, exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _read(self) -> list[tuple[bytes, dict[bytes, bytes]]]:
        # Entries a dead consumer left pending come first.
        autoclaimed: Any = await self.redis.xautoclaim(
            self.stream, GROUP, self.consumer, min_idle_time=CLAIM_IDLE_MS, start_id="0-0", count=BATCH
        )
        claimed: list[tuple[bytes, dict[bytes, bytes] | None]] = autoclaimed[1]
        if claimed:
            return [(entry_id, fields) for entry_id, fields in claimed if fields is not None]
        reply: Any = await self.redis.xreadgroup(GROUP, self.consumer, {self.stream: ">"}, count=BATCH, block=BLOCK_MS)
        return [entry for _, entries in reply for entry in entries] if reply else []

    async def _handle(self, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        charge_points: dict[str, None] = {}
        sites: dict[str, None] = {}
        for _, fields in entries:
            try:
                change = pb.RegistryChange.FromString(fields.get(b"m", b""))
            except DecodeError:  # a foreign or damaged entry must not stop the feed
                log.warning("OCPI change feed: unreadable entry skipped")
                continue
            if change.kind == pb.REGISTRY_CHANGE_KIND_SITE and change.site_id:
                sites[change.site_id] = None
            elif change.charge_point_id:
                charge_points[change.charge_point_id] = None
        # A batch collapses repeated hints: each object is re-read once, in arrival order.
        for site_id in sites:
            await self._guarded(self.sync.sync_site(site_id), f"site {site_id}")
        for cp_id in charge_points:
            await self._guarded(self.sync.sync_charge_point(cp_id), f"charge point {cp_id}")
        await self.redis.xack(self.stream, GROUP, *[entry_id for entry_id, _ in entries])

    @staticmethod
    async def _guarded(work: Coroutine[Any, Any, None], what: str) -> None:
        """Dependency failures propagate (the batch is retried); a bug in one object's
        projection is logged and skipped, so it cannot block the feed (the periodic
        re-read tries it again)."""
        try:
            await work
        except _FAILURES:
            raise
        except Exception:
            log.exception("OCPI projection of %s failed", what)

    async def _sweep(self) -> None:
        interval = self.settings.ocpi_sync_interval
        token = uuid.uuid4().hex
        while True:
            try:
                if await self.redis.set(SWEEP_LOCK, token, nx=True, px=int(interval * 900)):
                    await self.sync.sync_all()
            except _FAILURES:
                log.warning("OCPI location re-read failed; next try in %.0fs", interval, exc_info=True)
            await asyncio.sleep(interval)
