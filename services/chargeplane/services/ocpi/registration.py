"""The credentials module in both directions (2.2.1 chapter 7).

They register at us: we issued token A offline; they POST their credentials (token B and
their versions URL) with token A; we fetch their versions and version details with token
B, pick the highest mutual version (2.2.1), store their roles and endpoints, and answer
with a new token C, which replaces token A. PUT does the same for a registered partner
(new token, endpoints fetched again); DELETE unregisters.

We register at them: an operator gives us their versions URL and their token A; we fetch
their versions and details with it, generate token B (accepted at once, they call our
versions with it while our POST is open), POST our credentials, and keep the token C they
answer with. Update (PUT) and unregistration (DELETE) the same way.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from chargeplane.config import Settings
from chargeplane.domain.ocpi.credentials import SUPPORTED_VERSIONS, endpoint_url, pick_version
from chargeplane.domain.ocpi.enums import InterfaceRole, ModuleID, Role, StatusCode
from chargeplane.domain.ocpi.locations import Party
from chargeplane.domain.ocpi.models import BusinessDetails, Credentials, CredentialsRole, VersionDetails

from .client import OcpiClient, PeerError
from .credential_tokens import TokenCipher, new_token, token_hash
from .envelope import OcpiError
from .partners import Partner, PartnerRepository, PartnerState

log = logging.getLogger(__name__)


class RegistrationFailed(Exception):
    """A credentials exchange could not be completed; the OCPI status says why."""

    def __init__(self, status_code: StatusCode, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True, slots=True)
class Caller:
    """The partner a request comes from, and the token it presented (already checked)."""

    partner: Partner
    token: str
    matched_hash: str


def base_url(settings: Settings) -> str:
    if settings.ocpi_public_url:
        return settings.ocpi_public_url.rstrip("/")
    host = "127.0.0.1" if settings.ocpi_host in ("0.0.0.0", "::") else settings.ocpi_host
    return f"http://{host}:{settings.ocpi_port}"


class Registration:
    def __init__(
        self,
        settings: Settings,
        partners: PartnerRepository,
        client: OcpiClient,
        cipher: TokenCipher,
        party: Party,
    ) -> None:
        self.settings = settings
        self.partners = partners
        self.client = client
        self.cipher = cipher
        self.party = party

    def versions_url(self) -> str:
        return f"{base_url(self.settings)}/ocpi/versions"

    def our_credentials(self, token: str) -> Credentials:
        details = BusinessDetails(
            name=self.settings.ocpi_business_name, website=self.settings.ocpi_business_website or None
        )
        role = CredentialsRole(
            role=Role.CPO,
            business_details=details,
            party_id=self.party.party_id,
            country_code=self.party.country_code,
        )
        return Credentials(token=token, url=self.versions_url(), roles=[role])

    async def discover(self, versions_url: str, token: str) -> tuple[str, VersionDetails]:
        """Their version (the highest we share) and its endpoints."""
        try:
            versions = await self.client.versions(versions_url, token)
        except PeerError as exc:
            raise RegistrationFailed(StatusCode.UNABLE_TO_USE_CLIENT_API, f"versions not readable: {exc}") from None
        chosen = pick_version(versions)
        if chosen is None:
            offered = ", ".join(v.version for v in versions) or "none"
            raise RegistrationFailed(
                StatusCode.UNSUPPORTED_VERSION, f"no mutual version: we speak {SUPPORTED_VERSIONS}, offered: {offered}"
            )
        try:
            details = await self.client.version_details(chosen.url, token)
        except PeerError as exc:
            raise RegistrationFailed(
                StatusCode.UNABLE_TO_USE_CLIENT_API, f"version details not readable: {exc}"
            ) from None
        if endpoint_url(details.endpoints, ModuleID.CREDENTIALS, InterfaceRole.SENDER) is None:
            raise RegistrationFailed(StatusCode.NO_MATCHING_ENDPOINTS, "their version details have no credentials")
        return chosen.version, details

    # -- they call us ---------------------------------------------------------------------

    async def accept(self, caller: Caller, theirs: Credentials, *, update: bool) -> Credentials:
        """POST (update=False) or PUT (update=True) of their credentials."""
        registered = caller.partner.state is PartnerState.REGISTERED
        if update and not registered:
            raise OcpiError(StatusCode.CLIENT_ERROR, "not registered: register with POST first", 405)
        if not update and registered:
            raise OcpiError(StatusCode.CLIENT_ERROR, "already registered: update with PUT", 405)
        try:
            version, details = await self.discover(theirs.url, theirs.token)
        except RegistrationFailed as exc:
            log.warning("credentials of partner %s not accepted: %s", caller.partner.name, exc)
            # Valid JSON to an existing resource: an OCPI status, not an HTTP error.
            raise OcpiError(exc.status_code, str(exc), 200) from None
        token_c = new_token()
        stored = await self.partners.store_registration(
            caller.partner.id,
            expected_hash=caller.matched_hash,
            new_hash=token_hash(token_c),
            peer_token=self.cipher.encrypt(theirs.token),
            version=version,
            versions_url=theirs.url,
            roles=theirs.roles,
            endpoints=details.endpoints,
        )
        if not stored:
            raise OcpiError(StatusCode.CLIENT_ERROR, "the credentials changed meanwhile; retry", 409)
        log.info(
            "partner %s %s (OCPI %s, roles %s)",
            caller.partner.name,
            "updated its credentials" if update else "registered",
            version,
            ", ".join(f"{r.role.value} {r.country_code}-{r.party_id}" for r in theirs.roles),
        )
        return self.our_credentials(token_c)

    async def withdraw(self, caller: Caller) -> None:
        """DELETE: they unregister."""
        if caller.partner.state is not PartnerState.REGISTERED:
            raise OcpiError(StatusCode.CLIENT_ERROR, "not registered", 405)
        await self.partners.unregister(caller.partner.id)
        log.info("partner %s unregistered", caller.partner.name)

    # -- we call them ---------------------------------------------------------------------

    async def register_at(self, partner_id: uuid.UUID, versions_url: str, token_a: str) -> Partner:
        partner = await self._partner(partner_id)
        if partner.state is PartnerState.REGISTERED:
            raise RegistrationFailed(StatusCode.CLIENT_ERROR, "already registered: update instead")
        version, details = await self.discover(versions_url, token_a)
        return await self._exchange(partner, "POST", versions_url, token_a, version, details)

    async def update_at(self, partner_id: uuid.UUID) -> Partner:
        partner = await self._partner(partner_id)
        if partner.state is not PartnerState.REGISTERED or partner.versions_url is None:
            raise RegistrationFailed(StatusCode.CLIENT_ERROR, "not registered")
        token = await self._peer_token(partner.id)
        version, details = await self.discover(partner.versions_url, token)
        return await self._exchange(partner, "PUT", partner.versions_url, token, version, details)

    async def unregister_at(self, partner_id: uuid.UUID) -> Partner:
        partner = await self._partner(partner_id)
        if partner.state is PartnerState.REGISTERED:
            url = endpoint_url(partner.endpoints, ModuleID.CREDENTIALS, InterfaceRole.SENDER)
            if url is not None:
                try:
                    await self.client.credentials("DELETE", url, await self._peer_token(partner.id), None)
                except PeerError as exc:
                    # We stop talking to them either way (the spec: both end communication).
                    log.warning("partner %s: DELETE of our credentials failed: %s", partner.name, exc)
        await self.partners.unregister(partner.id)
        log.info("partner %s unregistered", partner.name)
        return await self._partner(partner_id)

    async def _exchange(
        self, partner: Partner, method: str, versions_url: str, token: str, version: str, details: VersionDetails
    ) -> Partner:
        url = endpoint_url(details.endpoints, ModuleID.CREDENTIALS, InterfaceRole.SENDER)
        assert url is not None  # discover() checked it
        token_b = new_token()
        # Valid before the request: they fetch our versions with it while it is open.
        await self.partners.set_next_token(partner.id, token_hash(token_b))
        try:
            theirs = await self.client.credentials(method, url, token, self.our_credentials(token_b))
        except PeerError as exc:
            await self.partners.set_next_token(partner.id, None)
            code = StatusCode.CLIENT_ERROR
            if exc.status_code is not None and exc.status_code in StatusCode._value2member_map_:
                code = StatusCode(exc.status_code)
            raise RegistrationFailed(code, f"{method} credentials refused: {exc}") from None
        assert theirs is not None
        endpoints = details.endpoints
        if theirs.url != versions_url:  # they moved: read the endpoints where they say
            version, moved = await self.discover(theirs.url, theirs.token)
            endpoints = moved.endpoints
        stored = await self.partners.store_registration(
            partner.id,
            expected_hash=token_hash(token_b),
            new_hash=token_hash(token_b),
            peer_token=self.cipher.encrypt(theirs.token),
            version=version,
            versions_url=theirs.url,
            roles=theirs.roles,
            endpoints=endpoints,
        )
        if not stored:
            raise RegistrationFailed(StatusCode.CLIENT_ERROR, "the partner changed meanwhile")
        log.info("registered at partner %s (OCPI %s)", partner.name, version)
        return await self._partner(partner.id)

    async def _partner(self, partner_id: uuid.UUID) -> Partner:
        partner = await self.partners.get(partner_id)
        if partner is None:
            raise LookupError(f"partner {partner_id} not found")
        return partner

    async def _peer_token(self, partner_id: uuid.UUID) -> str:
        blob = await self.partners.peer_token(partner_id)
        if blob is None:
            raise RegistrationFailed(StatusCode.CLIENT_ERROR, "no credentials token for this partner")
        return self.cipher.decrypt(blob)
