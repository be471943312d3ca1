"""The RegistryService gRPC servicer: validation, policy and storage wired together."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import asyncpg
from redis.asyncio import Redis

from chargeplane.config import BootPolicy, Settings
from chargeplane.domain.chargepoints import RegistrationStatus
from chargeplane.pb.registry.v1 import registry_pb2 as pb
from chargeplane.pb.registry.v1 import registry_pb2_grpc as pb_grpc
from chargeplane.routing.presence import PresenceRegistry
from chargeplane.rpc.errors import NotFound, translate_errors

from . import messages
from .changes import ChangePublisher
from .device import DeviceRepository
from .device_servicer import DeviceRpcs
from .policy import decide_boot
from .repository import RegistryRepository
from .site_repository import SiteRepository
from .site_servicer import SiteRpcs

log = logging.getLogger(__name__)


class RegistryServicer(DeviceRpcs, SiteRpcs, pb_grpc.RegistryServiceServicer):
    def __init__(self, pool: asyncpg.Pool, redis: Redis, settings: Settings) -> None:
        self.repo = RegistryRepository(pool)
        self.device = DeviceRepository(pool)
        self.presence = PresenceRegistry(redis)
        self.settings = settings
        self.sites = SiteRepository(pool)
        self.changes = ChangePublisher(redis, settings)

    @property
    def _dev(self) -> bool:
        return self.settings.boot_policy == BootPolicy.DEV

    @translate_errors
    async def Boot(self, request: pb.BootRequest, context: Any) -> pb.BootResponse:
        boot = messages.boot_request(request)
        known = await self.repo.registration(boot.charge_point_id)
        now = datetime.now(UTC)
        outcome = decide_boot(self.settings, boot, known, now)
        if outcome.record:
            await self.repo.record_boot(boot, outcome.decision.status, now, create=outcome.create)
        else:
            log.warning(
                "boot of unknown charge point %s answered %s (boot policy %s)",
                boot.charge_point_id,
                outcome.decision.status.value,
                self.settings.boot_policy.value,
                extra={"cp_id": boot.charge_point_id},
            )
        decision = outcome.decision
        if outcome.record and decision.status is RegistrationStatus.ACCEPTED:
            # The decision carries what the gateway pushes after answering the boot.
            decision = replace(decision, pending_configuration=await self.pending_configuration(boot.charge_point_id))
        return messages.boot_response(decision)

    @translate_errors
    async def RecordStatus(self, request: pb.RecordStatusRequest, context: Any) -> pb.RecordStatusResponse:
        report = messages.status_report(request, datetime.now(UTC))
        applied = await self.repo.record_status(report, create_missing=self._dev)
        if applied:
            self.changes.status_changed(report.charge_point_id)
        return pb.RecordStatusResponse(applied=applied)

    @translate_errors
    async def RecordActivity(self, request: pb.RecordActivityRequest, context: Any) -> pb.RecordActivityResponse:
        updated = await self.repo.record_activity(messages.activities(request, datetime.now(UTC)))
        return pb.RecordActivityResponse(updated=updated)

    @translate_errors
    async def GetChargePoint(self, request: pb.GetChargePointRequest, context: Any) -> pb.GetChargePointResponse:
        return pb.GetChargePointResponse(charge_point=await self._read(request.charge_point_id))

    @translate_errors
    async def ListChargePoints(self, request: pb.ListChargePointsRequest, context: Any) -> pb.ListChargePointsResponse:
        size = messages.page_size(request.page_size)
        after = messages.decode_page_token(request.page_token)
        # One extra row tells whether another page follows, without a COUNT.
        found = await self.repo.list(after=after, site=messages.site(request.site), limit=size + 1)
        page = found[:size]
        owners = await self.presence.lookup_many(cp.id for cp in page)  # one Redis round trip
        return pb.ListChargePointsResponse(
            charge_points=[messages.charge_point(cp, owners.get(cp.id)) for cp in page],
            next_page_token=messages.encode_page_token(page[-1].id) if len(found) > size else "",
        )

    @translate_errors
    async def UpsertChargePoint(
        self, request: pb.UpsertChargePointRequest, context: Any
    ) -> pb.UpsertChargePointResponse:
        cp_id = messages.charge_point_id(request.charge_point_id)
        created = await self.repo.register(
            cp_id, messages.site(request.site), messages.allowed_protocols(request.allowed_protocols)
        )
        log.info("charge point %s %s", cp_id, "registered" if created else "updated", extra={"cp_id": cp_id})
        self.changes.charge_point_changed(cp_id)
        return pb.UpsertChargePointResponse(charge_point=await self._read(cp_id), created=created)

    @translate_errors
    async def DeleteChargePoint(
        self, request: pb.DeleteChargePointRequest, context: Any
    ) -> pb.DeleteChargePointResponse:
        cp_id = messages.charge_point_id(request.charge_point_id)
        deleted = await self.repo.delete(cp_id)  # idempotent: deleting twice is not an error
        if deleted:
            log.info("charge point %s deregistered", cp_id, extra={"cp_id": cp_id})
            self.changes.charge_point_changed(cp_id)
        return pb.DeleteChargePointResponse(deleted=deleted)

    async def _read(self, raw_id: str) -> pb.ChargePoint:
        cp_id = messages.charge_point_id(raw_id)
        cp = await self.repo.get(cp_id)
        if cp is None:
            raise NotFound(f"charge point {cp_id!r} not found")
        return messages.charge_point(cp, await self.presence.lookup(cp_id))
