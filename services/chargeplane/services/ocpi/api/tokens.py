"""Tokens module, receiver interface (CPO): the eMSP pushes its tokens (PUT, PATCH) and
checks what we hold (GET). A partner may only touch tokens under a (country_code,
party_id) it announced in the credentials exchange (others: 404, as the transport
chapter allows)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import ValidationError

from chargeplane.domain.ocpi.credentials import owns
from chargeplane.domain.ocpi.enums import VERSION, StatusCode, TokenType
from chargeplane.domain.ocpi.models import Envelope, Token, TokenPatch

from ..auth import ModuleCaller
from ..envelope import OcpiError, OcpiJSONResponse, ok
from ..registration import Caller
from ..token_store import TokenStore
from .docs import AUTH_ERRORS, NOT_FOUND

router = APIRouter(prefix=f"/ocpi/cpo/{VERSION}/tokens", tags=["tokens"])

CountryCode = Annotated[str, Path(pattern=r"^[A-Za-z]{2}$")]
PartyId = Annotated[str, Path(pattern=r"^[A-Za-z0-9]{3}$")]
TokenUid = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[ -~]+$")]
TypeParam = Annotated[TokenType, Query(alias="type", description="Token.type; RFID when omitted.")]


def _store(request: Request) -> TokenStore:
    store: TokenStore = request.app.state.tokens
    return store


def _own(caller: Caller, country_code: str, party_id: str) -> None:
    if not owns(caller.partner.roles, country_code, party_id):
        raise OcpiError(StatusCode.CLIENT_ERROR, f"{country_code}/{party_id} is not one of your parties", 404)


def _same_identity(token: Token, country_code: str, party_id: str, uid: str, token_type: TokenType) -> None:
    if (token.country_code, token.party_id) != (country_code.upper(), party_id.upper()):
        raise OcpiError(StatusCode.INVALID_PARAMETERS, "country_code/party_id differ between URL and token")
    if token.uid.upper() != uid.upper() or token.type != token_type:
        raise OcpiError(StatusCode.INVALID_PARAMETERS, "uid/type differ between URL and token")


@router.get(
    "/{country_code}/{party_id}/{token_uid}",
    response_model=Envelope[Token],
    responses={**AUTH_ERRORS, **NOT_FOUND},
    summary="A token as we hold it",
)
async def get_token(
    request: Request,
    caller: ModuleCaller,
    country_code: CountryCode,
    party_id: PartyId,
    token_uid: TokenUid,
    token_type: TypeParam = TokenType.RFID,
) -> OcpiJSONResponse:
    _own(caller, country_code, party_id)
    token = await _store(request).get(country_code, party_id, token_uid, token_type.value)
    if token is None:
        raise OcpiError(StatusCode.UNKNOWN_TOKEN, f"unknown token {token_uid!r}", 404)
    return ok(token.model_dump(mode="json", exclude_none=True))


@router.put(
    "/{country_code}/{party_id}/{token_uid}",
    response_model=Envelope[None],
    status_code=200,
    responses={**AUTH_ERRORS, **NOT_FOUND, 201: {"model": Envelope[None], "description": "Created."}},
    summary="Push a new or updated token",
)
async def put_token(
    request: Request,
    caller: ModuleCaller,
    country_code: CountryCode,
    party_id: PartyId,
    token_uid: TokenUid,
    token: Token,
    token_type: TypeParam = TokenType.RFID,
) -> OcpiJSONResponse:
    _own(caller, country_code, party_id)
    _same_identity(token, country_code, party_id, token_uid, token_type)
    created = await _store(request).put(caller.partner.id, token)
    return ok(http_status=201 if created else 200)


@router.patch(
    "/{country_code}/{party_id}/{token_uid}",
    response_model=Envelope[None],
    responses={**AUTH_ERRORS, **NOT_FOUND},
    summary="Update some fields of a token (last_updated required)",
)
async def patch_token(
    request: Request,
    caller: ModuleCaller,
    country_code: CountryCode,
    party_id: PartyId,
    token_uid: TokenUid,
    patch: TokenPatch,
    token_type: TypeParam = TokenType.RFID,
) -> OcpiJSONResponse:
    _own(caller, country_code, party_id)
    store = _store(request)
    current = await store.get(country_code, party_id, token_uid, token_type.value)
    if current is None:
        raise OcpiError(StatusCode.UNKNOWN_TOKEN, f"unknown token {token_uid!r}: PUT it first", 404)
    merged = current.model_dump() | patch.model_dump(exclude_unset=True)
    try:
        token = Token.model_validate(merged)
    except ValidationError as exc:
        raise OcpiError(
            StatusCode.INVALID_PARAMETERS, f"the patched token is invalid: {exc.errors()[0]['msg']}"
        ) from None
    _same_identity(token, country_code, party_id, token_uid, token_type)
    await store.put(caller.partner.id, token)
    return ok()
