"""Who is calling: the credentials token in the Authorization header identifies the partner.

Missing or unknown token: HTTP 401. Token A (before registration) opens only the versions
and credentials modules; on any other module it is a 401 too (transport chapter 4.1.2).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from chargeplane.domain.ocpi.enums import StatusCode

from .credential_tokens import header_candidates, token_hash
from .envelope import OcpiError
from .partners import PartnerRepository, PartnerState, TokenScope
from .registration import Caller

_UNAUTHORIZED = {"WWW-Authenticate": "Token"}


async def _caller(request: Request, authorization: str | None, *, registration_allowed: bool) -> Caller:
    candidates = header_candidates(authorization)
    if not candidates:
        raise OcpiError(StatusCode.CLIENT_ERROR, "missing or malformed Authorization header", 401, _UNAUTHORIZED)
    hashes = {token_hash(t): t for t in candidates}
    partners: PartnerRepository = request.app.state.partners
    found = await partners.by_token(list(hashes))
    if found is None:
        raise OcpiError(StatusCode.CLIENT_ERROR, "unknown credentials token", 401, _UNAUTHORIZED)
    partner, matched = found.partner, found.matched_hash
    registration_only = partner.token_scope is TokenScope.REGISTRATION and not found.next_token
    if registration_only and not registration_allowed:
        raise OcpiError(StatusCode.CLIENT_ERROR, "this token only allows the credentials exchange", 401, _UNAUTHORIZED)
    if not registration_allowed and partner.state is not PartnerState.REGISTERED:
        raise OcpiError(StatusCode.CLIENT_ERROR, "not registered", 401, _UNAUTHORIZED)
    return Caller(partner=partner, token=hashes[matched], matched_hash=matched)


async def registration_caller(
    request: Request, authorization: Annotated[str | None, Header(include_in_schema=False)] = None
) -> Caller:
    """Versions and credentials: token A, B or C."""
    return await _caller(request, authorization, registration_allowed=True)


async def module_caller(
    request: Request, authorization: Annotated[str | None, Header(include_in_schema=False)] = None
) -> Caller:
    """Every functional module: a registered partner's full token."""
    return await _caller(request, authorization, registration_allowed=False)


RegistrationCaller = Annotated[Caller, Depends(registration_caller)]
ModuleCaller = Annotated[Caller, Depends(module_caller)]
