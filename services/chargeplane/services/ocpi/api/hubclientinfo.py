"""HubClientInfo module: receiver (a hub pushes ClientInfo objects to us) and sender (our
view of the parties we are connected to, paginated)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from chargeplane.domain.ocpi.enums import VERSION, StatusCode
from chargeplane.domain.ocpi.models import ClientInfo, Envelope

from ..auth import ModuleCaller
from ..client_info import ClientInfoStore, our_client_infos
from ..envelope import OcpiError, OcpiJSONResponse, ok
from ..pagination import Page, paged
from ..partners import PartnerRepository
from .docs import AUTH_ERRORS, NOT_FOUND

router = APIRouter(prefix=f"/ocpi/{VERSION}", tags=["hubclientinfo"])

CountryCode = Annotated[str, Path(pattern=r"^[A-Za-z]{2}$")]
PartyId = Annotated[str, Path(pattern=r"^[A-Za-z0-9]{3}$")]


def _store(request: Request) -> ClientInfoStore:
    store: ClientInfoStore = request.app.state.client_info
    return store


@router.get(
    "/clientinfo/{country_code}/{party_id}",
    response_model=Envelope[ClientInfo],
    responses={**AUTH_ERRORS, **NOT_FOUND},
    summary="A ClientInfo object as we hold it",
)
async def get_client_info(
    request: Request, caller: ModuleCaller, country_code: CountryCode, party_id: PartyId
) -> OcpiJSONResponse:
    info = await _store(request).get(caller.partner.id, country_code, party_id)
    if info is None:
        raise OcpiError(StatusCode.CLIENT_ERROR, f"no ClientInfo for {country_code}/{party_id}", 404)
    return ok(info.model_dump(mode="json"))


@router.put(
    "/clientinfo/{country_code}/{party_id}",
    response_model=Envelope[None],
    responses={**AUTH_ERRORS, 201: {"model": Envelope[None], "description": "Created."}},
    summary="A hub pushes a new or updated ClientInfo",
)
async def put_client_info(
    request: Request, caller: ModuleCaller, country_code: CountryCode, party_id: PartyId, info: ClientInfo
) -> OcpiJSONResponse:
    if (info.country_code, info.party_id) != (country_code.upper(), party_id.upper()):
        raise OcpiError(StatusCode.INVALID_PARAMETERS, "country_code/party_id differ between URL and object")
    created = await _store(request).put(caller.partner.id, info)
    return ok(http_status=201 if created else 200)


@router.get(
    "/hubclientinfo",
    response_model=Envelope[list[ClientInfo]],
    responses=AUTH_ERRORS,
    summary="The parties we are connected to and their connection status, paginated",
)
async def list_client_info(request: Request, caller: ModuleCaller, page: Page) -> OcpiJSONResponse:
    partners: PartnerRepository = request.app.state.partners
    infos = [
        i
        for i in our_client_infos(await partners.all())
        if (page.date_from is None or i.last_updated >= page.date_from)
        and (page.date_to is None or i.last_updated < page.date_to)
    ]
    window = [i.model_dump(mode="json") for i in infos[page.offset : page.offset + page.limit]]
    return paged(request, page, window, len(infos))
