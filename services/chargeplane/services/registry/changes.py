"""The registry's change stream: a Redis Stream entry per state change, for consumers that
mirror registry state elsewhere (OCPI pushes EVSE status to roaming partners).

An entry is a hint ("charge point X changed"), not the state: consumers re-read the state
through the RegistryService. Publishing never fails the RPC that changed the state (the
change is already durable in PostgreSQL) and never delays it (a background task); a lost
entry only delays a consumer until its periodic re-read.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from redis.asyncio import Redis
from redis.exceptions import RedisError

from chargeplane.config import Settings
from chargeplane.pb.registry.v1 import registry_pb2 as pb
from chargeplane.tasks import spawn

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 2.0


class ChangePublisher:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.stream = settings.registry_change_stream
        self.maxlen = settings.registry_change_stream_maxlen

    def status_changed(self, charge_point_id: str) -> None:
        self._publish(pb.REGISTRY_CHANGE_KIND_STATUS, charge_point_id=charge_point_id)

    def charge_point_changed(self, charge_point_id: str) -> None:
        self._publish(pb.REGISTRY_CHANGE_KIND_CHARGE_POINT, charge_point_id=charge_point_id)

    def site_changed(self, site_id: str) -> None:
        self._publish(pb.REGISTRY_CHANGE_KIND_SITE, site_id=site_id)

    def _publish(self, kind: pb.RegistryChangeKind.ValueType, *, charge_point_id: str = "", site_id: str = "") -> None:
        if not self.stream:
            return
        at = Timestamp()
        at.FromDatetime(datetime.now(UTC))
        change = pb.RegistryChange(kind=kind, charge_point_id=charge_point_id, site_id=site_id, at=at)
        spawn(self._add(change.SerializeToString()))

    async def _add(self, entry: bytes) -> None:
        try:
            await asyncio.wait_for(
                self.redis.xadd(self.stream, {b"m": entry}, maxlen=self.maxlen or None, approximate=True),
                PUBLISH_TIMEOUT,
            )
        except (RedisError, OSError, TimeoutError):
            log.warning("registry change not published (consumers catch up on their next re-read)", exc_info=True)
