"""RegistryService RPCs for sites and EVSE hardware. Mixed into RegistryServicer."""

from __future__ import annotations

import logging
from typing import Any

from chargeplane.pb.registry.v1 import registry_pb2 as pb
from chargeplane.rpc.errors import InvalidArgument, NotFound, translate_errors

from . import messages, sites
from .changes import ChangePublisher
from .site_repository import SiteRepository

log = logging.getLogger(__name__)

MAX_LIST_CHARGE_POINTS = 1000


class SiteRpcs:
    """Expects `self.sites` (SiteRepository) and `self.changes` (ChangePublisher)."""

    sites: SiteRepository
    changes: ChangePublisher

    @translate_errors
    async def UpsertSite(self, request: pb.UpsertSiteRequest, context: Any) -> pb.UpsertSiteResponse:
        if not request.HasField("site"):
            raise InvalidArgument("site is required")
        stored, created = await self.sites.upsert(sites.site_record(request.site))
        log.info("site %s %s", stored.id, "created" if created else "updated")
        self.changes.site_changed(stored.id)
        return pb.UpsertSiteResponse(site=sites.site_message(stored), created=created)

    @translate_errors
    async def GetSite(self, request: pb.GetSiteRequest, context: Any) -> pb.GetSiteResponse:
        site_id = sites.site_id(request.site_id)
        found = await self.sites.get(site_id)
        if found is None:
            raise NotFound(f"site {site_id!r} not found")
        return pb.GetSiteResponse(site=sites.site_message(found))

    @translate_errors
    async def ListSites(self, request: pb.ListSitesRequest, context: Any) -> pb.ListSitesResponse:
        size = messages.page_size(request.page_size)
        after = messages.decode_page_token(request.page_token)
        found = await self.sites.page(after=after, limit=size + 1)
        page = found[:size]
        return pb.ListSitesResponse(
            sites=[sites.site_message(s) for s in page],
            next_page_token=messages.encode_page_token(page[-1].id) if len(found) > size else "",
        )

    @translate_errors
    async def DeleteSite(self, request: pb.DeleteSiteRequest, context: Any) -> pb.DeleteSiteResponse:
        site_id = sites.site_id(request.site_id)
        deleted = await self.sites.delete(site_id)
        if deleted:
            log.info("site %s deleted", site_id)
            self.changes.site_changed(site_id)
        return pb.DeleteSiteResponse(deleted=deleted)

    @translate_errors
    async def SetEvseSpecs(self, request: pb.SetEvseSpecsRequest, context: Any) -> pb.SetEvseSpecsResponse:
        cp_id = messages.charge_point_id(request.charge_point_id)
        records = sites.evse_records(list(request.evses))
        if not await self.sites.set_evses(cp_id, records, replace=request.replace):
            raise NotFound(f"charge point {cp_id!r} not found")
        self.changes.charge_point_changed(cp_id)
        stored = (await self.sites.evses([cp_id])).get(cp_id, [])
        return pb.SetEvseSpecsResponse(evses=[sites.evse_message(e) for e in stored])

    @translate_errors
    async def ListEvseSpecs(self, request: pb.ListEvseSpecsRequest, context: Any) -> pb.ListEvseSpecsResponse:
        ids = [messages.charge_point_id(i, "charge_point_ids") for i in request.charge_point_ids]
        if len(ids) > MAX_LIST_CHARGE_POINTS:
            raise InvalidArgument(f"at most {MAX_LIST_CHARGE_POINTS} charge_point_ids per call")
        found = await self.sites.evses(ids) if ids else {}
        return pb.ListEvseSpecsResponse(
            charge_points=[
                pb.ChargePointEvseSpecs(charge_point_id=cp, evses=[sites.evse_message(e) for e in evses])
                for cp, evses in found.items()
            ]
        )
