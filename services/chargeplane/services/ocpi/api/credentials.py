"""Credentials module: GET, POST (register), PUT (update), DELETE (unregister)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from chargeplane.domain.ocpi.enums import VERSION
from chargeplane.domain.ocpi.models import Credentials, Envelope

from ..auth import RegistrationCaller
from ..envelope import OcpiJSONResponse, ok
from ..registration import Registration
from .docs import AUTH_ERRORS, NOT_ALLOWED

router = APIRouter(prefix=f"/ocpi/{VERSION}/credentials", tags=["credentials"])


def _registration(request: Request) -> Registration:
    registration: Registration = request.app.state.registration
    return registration


def _credentials(credentials: Credentials) -> OcpiJSONResponse:
    return ok(credentials.model_dump(mode="json", exclude_none=True))


@router.get("", response_model=Envelope[Credentials], responses=AUTH_ERRORS, summary="Our credentials")
async def get_credentials(request: Request, caller: RegistrationCaller) -> OcpiJSONResponse:
    # The token the caller uses to reach us, with our versions URL and roles.
    return _credentials(_registration(request).our_credentials(caller.token))


@router.post(
    "",
    response_model=Envelope[Credentials],
    responses={**AUTH_ERRORS, **NOT_ALLOWED},
    summary="Register: their credentials in, our new token out",
)
async def register(request: Request, caller: RegistrationCaller, credentials: Credentials) -> OcpiJSONResponse:
    return _credentials(await _registration(request).accept(caller, credentials, update=False))


@router.put(
    "",
    response_model=Envelope[Credentials],
    responses={**AUTH_ERRORS, **NOT_ALLOWED},
    summary="Update: new credentials and endpoints, a new token for them",
)
async def update(request: Request, caller: RegistrationCaller, credentials: Credentials) -> OcpiJSONResponse:
    return _credentials(await _registration(request).accept(caller, credentials, update=True))


@router.delete("", response_model=Envelope[None], responses={**AUTH_ERRORS, **NOT_ALLOWED}, summary="Unregister")
async def unregister(request: Request, caller: RegistrationCaller) -> OcpiJSONResponse:
    await _registration(request).withdraw(caller)
    return ok()
