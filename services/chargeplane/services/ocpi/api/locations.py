"""Locations module, sender interface (CPO): GET list (paginated, date filters) and GET one
Location, EVSE or Connector."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from chargeplane.domain.ocpi.enums import VERSION, StatusCode
from chargeplane.domain.ocpi.location_models import Connector, Evse, Location
from chargeplane.domain.ocpi.models import Envelope

from ..auth import ModuleCaller
from ..envelope import OcpiError, OcpiJSONResponse, ok
from ..location_store import LocationFilter, LocationStore
from ..pagination import Page, paged
from .docs import AUTH_ERRORS, NOT_FOUND

router = APIRouter(prefix=f"/ocpi/cpo/{VERSION}/locations", tags=["locations"])

Id36 = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[ -~]+$")]


def _store(request: Request) -> LocationStore:
    store: LocationStore = request.app.state.locations
    return store


async def _location(request: Request, location_id: str) -> dict[str, Any]:
    found = await _store(request).location(location_id)
    if found is None:
        raise OcpiError(StatusCode.UNKNOWN_LOCATION, f"unknown location {location_id!r}", 404)
    return found


def _evse(location: dict[str, Any], evse_uid: str) -> dict[str, Any]:
    for evse in location["evses"]:
        if evse["uid"].upper() == evse_uid.upper():  # uid is a CiString
            found: dict[str, Any] = evse
            return found
    raise OcpiError(StatusCode.CLIENT_ERROR, f"unknown EVSE {evse_uid!r} at location {location['id']!r}", 404)


@router.get(
    "",
    response_model=Envelope[list[Location]],
    responses=AUTH_ERRORS,
    summary="Locations, oldest first, paginated (date_from inclusive, date_to exclusive)",
)
async def list_locations(request: Request, caller: ModuleCaller, page: Page) -> OcpiJSONResponse:
    items, total = await _store(request).page(LocationFilter(page.date_from, page.date_to), page.offset, page.limit)
    return paged(request, page, items, total)


@router.get(
    "/{location_id}", response_model=Envelope[Location], responses={**AUTH_ERRORS, **NOT_FOUND}, summary="A Location"
)
async def get_location(request: Request, caller: ModuleCaller, location_id: Id36) -> OcpiJSONResponse:
    return ok(await _location(request, location_id))


@router.get(
    "/{location_id}/{evse_uid}",
    response_model=Envelope[Evse],
    responses={**AUTH_ERRORS, **NOT_FOUND},
    summary="An EVSE of a Location",
)
async def get_evse(request: Request, caller: ModuleCaller, location_id: Id36, evse_uid: Id36) -> OcpiJSONResponse:
    return ok(_evse(await _location(request, location_id), evse_uid))


@router.get(
    "/{location_id}/{evse_uid}/{connector_id}",
    response_model=Envelope[Connector],
    responses={**AUTH_ERRORS, **NOT_FOUND},
    summary="A Connector of an EVSE",
)
async def get_connector(
    request: Request, caller: ModuleCaller, location_id: Id36, evse_uid: Id36, connector_id: Id36
) -> OcpiJSONResponse:
    evse = _evse(await _location(request, location_id), evse_uid)
    for connector in evse["connectors"]:
        if connector["id"].upper() == connector_id.upper():
            return ok(connector)
    raise OcpiError(StatusCode.CLIENT_ERROR, f"unknown connector {connector_id!r} of EVSE {evse_uid!r}", 404)
