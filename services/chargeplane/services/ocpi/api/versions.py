"""Versions module: the version information and version details endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Request

from chargeplane.domain.ocpi.enums import VERSION, InterfaceRole, ModuleID
from chargeplane.domain.ocpi.models import Endpoint, Envelope, Version, VersionDetails

from ..auth import RegistrationCaller
from ..envelope import OcpiJSONResponse, ok
from ..registration import base_url
from .docs import AUTH_ERRORS

router = APIRouter(prefix="/ocpi", tags=["versions"])

# (module, interface role, path under the base URL): what we implement in 2.2.1.
ENDPOINTS: tuple[tuple[ModuleID, InterfaceRole, str], ...] = (
    (ModuleID.CREDENTIALS, InterfaceRole.SENDER, f"/ocpi/{VERSION}/credentials"),
    (ModuleID.LOCATIONS, InterfaceRole.SENDER, f"/ocpi/cpo/{VERSION}/locations"),
    (ModuleID.TOKENS, InterfaceRole.RECEIVER, f"/ocpi/cpo/{VERSION}/tokens"),
    (ModuleID.HUB_CLIENT_INFO, InterfaceRole.RECEIVER, f"/ocpi/{VERSION}/clientinfo"),
    (ModuleID.HUB_CLIENT_INFO, InterfaceRole.SENDER, f"/ocpi/{VERSION}/hubclientinfo"),
)


@router.get("/versions", response_model=Envelope[list[Version]], responses=AUTH_ERRORS, summary="Supported versions")
async def versions(request: Request, caller: RegistrationCaller) -> OcpiJSONResponse:
    base = base_url(request.app.state.settings)
    return ok([{"version": VERSION, "url": f"{base}/ocpi/{VERSION}"}])


@router.get(f"/{VERSION}", response_model=Envelope[VersionDetails], responses=AUTH_ERRORS, summary="Endpoints of 2.2.1")
async def version_details(request: Request, caller: RegistrationCaller) -> OcpiJSONResponse:
    base = base_url(request.app.state.settings)
    endpoints = [Endpoint(identifier=m.value, role=r, url=f"{base}{path}") for m, r, path in ENDPOINTS]
    return ok({"version": VERSION, "endpoints": [e.model_dump(mode="json") for e in endpoints]})
