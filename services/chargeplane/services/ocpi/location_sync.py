"""The Locations projection: reads sites and charge points from the registry (gRPC only),
works out what changed against what is published, and in ONE transaction stores the new
published state and the pushes it causes (the outbox), so a push is never lost nor sent for
a change that was not stored.

One location is projected at a time (a transaction-scoped advisory lock), and the registry
is read after the lock is taken: whoever takes the lock later reads a later state, so two
replicas working on the same location cannot publish an older state last.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import asyncpg
import grpc

from chargeplane.config import Settings
from chargeplane.domain.ocpi.credentials import endpoint_url
from chargeplane.domain.ocpi.enums import InterfaceRole, ModuleID
from chargeplane.domain.ocpi.locations import (
    ChargerView,
    Party,
    SiteView,
    StoredEvse,
    computed_evses,
    location_body,
    location_changed,
    location_object,
    ordering_key,
    plan_evses,
    plan_pushes,
)
from chargeplane.domain.ocpi.models import Endpoint
from chargeplane.pb.registry.v1 import registry_pb2 as pb

from .location_store import LocationStore
from .outbox import Outbox
from .registry_view import charger_view, site_view

log = logging.getLogger(__name__)

_PAGE = 500
_SPECS_BATCH = 1000

if TYPE_CHECKING:
    from .db import Conn


def _new_uid() -> str:
    return str(uuid.uuid4())


class LocationSync:
    def __init__(
        self,
        settings: Settings,
        pool: asyncpg.Pool,
        registry: Any,  # RegistryServiceAsyncStub
        store: LocationStore,
        party: Party,
        on_enqueued: Callable[[], None],
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.registry = registry
        self.store = store
        self.party = party
        self.on_enqueued = on_enqueued
        self.deadline = settings.service_deadline

    # -- registry reads -------------------------------------------------------------------

    async def _site(self, site_id: str) -> SiteView | None:
        try:
            reply = await self.registry.GetSite(pb.GetSiteRequest(site_id=site_id), timeout=self.deadline)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                return None
            raise
        return site_view(reply.site)

    async def _specs(self, cp_ids: Sequence[str]) -> dict[str, list[pb.EvseSpec]]:
        out: dict[str, list[pb.EvseSpec]] = {}
        for i in range(0, len(cp_ids), _SPECS_BATCH):
            reply = await self.registry.ListEvseSpecs(
                pb.ListEvseSpecsRequest(charge_point_ids=list(cp_ids[i : i + _SPECS_BATCH])), timeout=self.deadline
            )
            for cp in reply.charge_points:
                out[cp.charge_point_id] = list(cp.evses)
        return out

    async def _chargers_at(self, site_id: str) -> list[ChargerView]:
        found: list[pb.ChargePoint] = []
        token = ""
        while True:
            reply = await self.registry.ListChargePoints(
                pb.ListChargePointsRequest(site=site_id, page_size=_PAGE, page_token=token), timeout=self.deadline
            )
            found.extend(reply.charge_points)
            token = reply.next_page_token
            if not token:
                break
        specs = await self._specs([cp.id for cp in found])
        return [charger_view(cp, specs.get(cp.id, [])) for cp in found]

    async def _charger(self, cp_id: str) -> pb.ChargePoint | None:
        try:
            reply = await self.registry.GetChargePoint(
                pb.GetChargePointRequest(charge_point_id=cp_id), timeout=self.deadline
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                return None
            raise
        charge_point: pb.ChargePoint = reply.charge_point
        return charge_point

    # -- entry points ---------------------------------------------------------------------

    async def sync_site(self, site_id: str) -> None:
        """Re-read a site and every charge point at it."""
        await self._apply(site_id, only=None)

    async def sync_charge_point(self, cp_id: str) -> None:
        """Re-read one charge point: its EVSEs at its site, and removal from a site it left."""
        published_at = set(await self.store.locations_of_charge_point(cp_id))
        cp = await self._charger(cp_id)
        target = cp.site if cp is not None and cp.site else None
        for location_id in published_at - {target}:
            await self._apply(location_id, only=cp_id, leaving=True)
        if target is not None:
            await self._apply(target, only=cp_id)

    async def sync_all(self) -> None:
        """Every site and every published location (lost hints, chargers gone offline)."""
        seen: set[str] = set()
        token = ""
        while True:
            reply = await self.registry.ListSites(
                pb.ListSitesRequest(page_size=_PAGE, page_token=token), timeout=self.deadline
            )
            for s in reply.sites:
                seen.add(s.id)
                await self._apply(s.id, only=None)
            token = reply.next_page_token
            if not token:
                break
        for location_id in await self.store.location_ids():
            if location_id not in seen:
                await self._apply(location_id, only=None)

    # -- the projection -------------------------------------------------------------------

    async def _apply(self, location_id: str, *, only: str | None, leaving: bool = False) -> None:
        enqueued = False
        async with self.pool.acquire() as conn, conn.transaction():
            await self.store.lock(conn, location_id)
            state = await self.store.state(conn, location_id)
            site = await self._site(location_id)
            shared = site is not None and site.roaming
            if not shared and state is None:
                return  # never published, nothing to take back
            if state is None and not leaving:
                only = None  # a location published for the first time: with every charger at it
            if shared and not leaving:
                assert site is not None
                if only is None:
                    chargers = await self._chargers_at(location_id)
                else:
                    cp = await self._charger(only)
                    chargers = [] if cp is None else [charger_view(cp, (await self._specs([only])).get(only, []))]
                computed = [e for c in chargers for e in computed_evses(c)]
            else:
                computed = []  # private, deleted, or the charge point left: its EVSEs are REMOVED
            body = location_body(self.party, site) if shared and site is not None else (state.body if state else {})
            published: list[StoredEvse] = state.evses if state else []
            in_scope = [e for e in published if only is None or e.charge_point_id == only]
            now = datetime.now(UTC)
            changes = plan_evses(in_scope, computed, now, _new_uid)
            body_changed = location_changed(state.body if state else None, body)
            if state is None and not computed:
                return  # a site without described EVSEs is not published (yet)
            if not changes and not body_changed:
                return
            if body_changed:
                await self.store.save_location(conn, location_id, body, now)
            else:
                await self.store.touch_location(conn, location_id, now)
            await self.store.save_evses(conn, location_id, [c.evse for c in changes])
            updated = {c.evse.uid: c.evse for c in changes}
            evses = [updated.pop(e.uid, e) for e in published] + list(updated.values())
            full = location_object(body, evses, now) if body_changed else None
            pushes = plan_pushes(self.party, location_id, full, changes)
            for partner_id in await self._receivers(conn):
                for push in pushes:
                    await Outbox.enqueue(conn, partner_id, ModuleID.LOCATIONS.value, push, ordering_key(location_id))
                    enqueued = True
        if changes or body_changed:
            log.info(
                "location %s: %s%d EVSE change(s)",
                location_id,
                "location changed, " if body_changed else "",
                len(changes),
            )
        if enqueued:
            self.on_enqueued()

    @staticmethod
    async def _receivers(conn: Conn) -> list[uuid.UUID]:
        """Registered partners that implement the Locations receiver interface."""
        rows = await conn.fetch("SELECT id, endpoints FROM ocpi_partners WHERE state = 'registered'")
        out: list[uuid.UUID] = []
        for r in rows:
            endpoints = [Endpoint.model_validate(e) for e in json.loads(r["endpoints"])]
            if endpoint_url(endpoints, ModuleID.LOCATIONS, InterfaceRole.RECEIVER) is not None:
                out.append(r["id"])
        return out
