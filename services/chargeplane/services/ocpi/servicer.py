"""The OcpiService gRPC servicer: partner administration and roaming token authorization."""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from chargeplane.domain.ocpi.tokens import Decision, Source
from chargeplane.pb.ocpi.v1 import ocpi_pb2 as pb
from chargeplane.pb.ocpi.v1 import ocpi_pb2_grpc as pb_grpc
from chargeplane.rpc.errors import InvalidArgument, NotFound, translate_errors

from .authorizer import Authorizer
from .credential_tokens import new_token, token_hash
from .outbox import Outbox, PushStats
from .partners import Partner, PartnerRepository, PartnerState
from .registration import Registration, RegistrationFailed

log = logging.getLogger(__name__)

SERVICE_NAME: str = pb.DESCRIPTOR.services_by_name["OcpiService"].full_name

_STATES = {
    PartnerState.PLANNED: pb.PARTNER_STATE_PLANNED,
    PartnerState.REGISTERED: pb.PARTNER_STATE_REGISTERED,
    PartnerState.UNREGISTERED: pb.PARTNER_STATE_UNREGISTERED,
}
_DECISIONS = {d: pb.AuthorizationDecision.Value(f"AUTHORIZATION_DECISION_{d.value}") for d in Decision}
_SOURCES = {s: pb.DecisionSource.Value(f"DECISION_SOURCE_{s.value}") for s in Source}
_URL = re.compile(r"^https?://[!-~]{1,250}$")
_PAGE_SIZE, _MAX_PAGE_SIZE = 100, 1000

_S = TypeVar("_S")
_Req = TypeVar("_Req")
_Resp = TypeVar("_Resp")


def _registration_errors(
    handler: Callable[[_S, _Req, Any], Awaitable[_Resp]],
) -> Callable[[_S, _Req, Any], Coroutine[Any, Any, _Resp]]:
    """A credentials exchange the partner refused or could not complete is a failed
    precondition, with the reason (never a token) in the message."""

    @functools.wraps(handler)
    async def rpc(self: _S, request: _Req, context: Any) -> _Resp:
        try:
            return await handler(self, request, context)
        except RegistrationFailed as exc:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"OCPI {int(exc.status_code)}: {exc}")
            raise AssertionError("abort returned") from None
        except LookupError as exc:
            raise NotFound(str(exc)) from None

    return rpc


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def _partner_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument("partner_id must be a UUID") from None


def _name(value: str) -> str:
    if not value or len(value) > 100 or not value.isprintable():
        raise InvalidArgument("name must be 1-100 printable characters")
    return value


def partner_message(p: Partner, stats: PushStats | None) -> pb.Partner:
    now = datetime.now(UTC)
    lag = (now - stats.oldest_pending_at).total_seconds() if stats and stats.oldest_pending_at else 0.0
    return pb.Partner(
        id=str(p.id),
        name=p.name,
        state=_STATES[p.state],
        version=p.version or "",
        versions_url=p.versions_url or "",
        roles=[
            pb.PartnerRole(
                role=r.role.value,
                country_code=r.country_code,
                party_id=r.party_id,
                name=r.business_details.name,
                website=r.business_details.website or "",
            )
            for r in p.roles
        ],
        endpoints=[pb.PartnerEndpoint(module=e.identifier, role=e.role.value, url=e.url) for e in p.endpoints],
        push=pb.PushHealth(
            pending=stats.pending if stats else 0,
            dead=stats.dead if stats else 0,
            lag_seconds=max(lag, 0.0),
            delivered=p.pushes_delivered,
            failed=p.pushes_failed,
            last_push_at=_ts(p.last_push_at),
            last_error=p.last_push_error or "",
            last_error_at=_ts(p.last_push_error_at),
        ),
        created_at=_ts(p.created_at),
        updated_at=_ts(p.updated_at),
        registered_at=_ts(p.registered_at),
    )


class OcpiServicer(pb_grpc.OcpiServiceServicer):
    def __init__(
        self, partners: PartnerRepository, outbox: Outbox, registration: Registration, authorizer: Authorizer
    ) -> None:
        self.partners = partners
        self.outbox = outbox
        self.registration = registration
        self.authorizer = authorizer

    async def _message(self, p: Partner) -> pb.Partner:
        return partner_message(p, (await self.outbox.stats()).get(p.id))

    async def _get(self, partner_id: uuid.UUID) -> Partner:
        found = await self.partners.get(partner_id)
        if found is None:
            raise NotFound(f"partner {partner_id} not found")
        return found

    @translate_errors
    async def CreatePartner(self, request: pb.CreatePartnerRequest, context: Any) -> pb.CreatePartnerResponse:
        token_a = new_token()
        created = await self.partners.create(_name(request.name), token_hash(token_a))
        if created is None:
            raise InvalidArgument(f"a partner named {request.name!r} exists")
        log.info("OCPI partner %s created; token A issued", created.name)
        return pb.CreatePartnerResponse(
            partner=await self._message(created), token_a=token_a, versions_url=self.registration.versions_url()
        )

    @translate_errors
    async def GetPartner(self, request: pb.GetPartnerRequest, context: Any) -> pb.GetPartnerResponse:
        return pb.GetPartnerResponse(partner=await self._message(await self._get(_partner_id(request.partner_id))))

    @translate_errors
    async def ListPartners(self, request: pb.ListPartnersRequest, context: Any) -> pb.ListPartnersResponse:
        size = min(request.page_size or _PAGE_SIZE, _MAX_PAGE_SIZE)
        if request.page_size < 0:
            raise InvalidArgument("page_size must not be negative")
        after = None
        if request.page_token:
            try:
                after = uuid.UUID(base64.urlsafe_b64decode(request.page_token.encode()).decode())
            except (ValueError, binascii.Error):
                raise InvalidArgument("page_token is not one this service issued") from None
        found = await self.partners.page(after=after, limit=size + 1)
        page = found[:size]
        stats = await self.outbox.stats()
        return pb.ListPartnersResponse(
            partners=[partner_message(p, stats.get(p.id)) for p in page],
            next_page_token=base64.urlsafe_b64encode(str(page[-1].id).encode()).decode() if len(found) > size else "",
        )

    @translate_errors
    @_registration_errors
    async def RegisterAtPartner(
        self, request: pb.RegisterAtPartnerRequest, context: Any
    ) -> pb.RegisterAtPartnerResponse:
        if not _URL.match(request.versions_url):
            raise InvalidArgument("versions_url must be an http(s) URL")
        if not request.token_a or len(request.token_a) > 64 or not re.fullmatch(r"[!-~]+", request.token_a):
            raise InvalidArgument("token_a must be 1-64 printable ASCII characters without spaces")
        if request.partner_id:
            partner = await self._get(_partner_id(request.partner_id))
        else:
            name = _name(request.name)
            partner = await self.partners.by_name(name) or await self.partners.create(name, None)  # type: ignore[assignment]
            if partner is None:
                raise InvalidArgument(f"could not create partner {name!r}")
        registered = await self.registration.register_at(partner.id, request.versions_url, request.token_a)
        return pb.RegisterAtPartnerResponse(partner=await self._message(registered))

    @translate_errors
    @_registration_errors
    async def UpdatePartnerCredentials(
        self, request: pb.UpdatePartnerCredentialsRequest, context: Any
    ) -> pb.UpdatePartnerCredentialsResponse:
        updated = await self.registration.update_at(_partner_id(request.partner_id))
        return pb.UpdatePartnerCredentialsResponse(partner=await self._message(updated))

    @translate_errors
    @_registration_errors
    async def UnregisterPartner(
        self, request: pb.UnregisterPartnerRequest, context: Any
    ) -> pb.UnregisterPartnerResponse:
        partner = await self.registration.unregister_at(_partner_id(request.partner_id))
        return pb.UnregisterPartnerResponse(partner=await self._message(partner))

    @translate_errors
    async def IssueTokenA(self, request: pb.IssueTokenARequest, context: Any) -> pb.IssueTokenAResponse:
        partner_id = _partner_id(request.partner_id)
        await self._get(partner_id)
        token_a = new_token()
        if not await self.partners.reissue_token_a(partner_id, token_hash(token_a)):
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "the partner is registered: unregister first")
        log.info("OCPI partner %s: new token A issued", partner_id)
        return pb.IssueTokenAResponse(
            partner=await self._message(await self._get(partner_id)),
            token_a=token_a,
            versions_url=self.registration.versions_url(),
        )

    @translate_errors
    async def DeletePartner(self, request: pb.DeletePartnerRequest, context: Any) -> pb.DeletePartnerResponse:
        return pb.DeletePartnerResponse(deleted=await self.partners.delete(_partner_id(request.partner_id)))

    @translate_errors
    async def AuthorizeToken(self, request: pb.AuthorizeTokenRequest, context: Any) -> pb.AuthorizeTokenResponse:
        if not request.id_token or len(request.id_token) > 255:
            raise InvalidArgument("id_token must be 1-255 characters")
        if not request.charge_point_id:
            raise InvalidArgument("charge_point_id is required")
        result = await self.authorizer.authorize(
            request.id_token,
            request.type,
            request.charge_point_id,
            request.evse_id if request.HasField("evse_id") else None,
        )
        token = result.token
        return pb.AuthorizeTokenResponse(
            decision=_DECISIONS[result.decision],
            source=_SOURCES[result.source],
            country_code=token.country_code if token else "",
            party_id=token.party_id if token else "",
            uid=token.uid if token else "",
            token_type=token.type.value if token else "",
            contract_id=token.contract_id if token else "",
            group_id=(token.group_id or "") if token else "",
            authorization_reference=result.authorization_reference or "",
            location_id=result.location_id or "",
            evse_uids=result.evse_uids,
            info=result.info or "",
            partner_id=str(result.partner_id) if result.partner_id else "",
        )
