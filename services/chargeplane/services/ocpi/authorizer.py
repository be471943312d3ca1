"""Authorization of roaming tokens presented at our chargers.

The token is looked up among the tokens partners pushed; its whitelist type decides
between a local decision and a real-time request to the owning eMSP
(`POST {tokens sender url}/{uid}/authorize?type=...` with the LocationReferences of the
charger), whose results are cached in Redis for `ocpi_auth_cache_ttl` seconds. When the
eMSP cannot be reached the whitelist type decides again (ALLOWED_OFFLINE: a valid token
is accepted; NEVER: refused).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from prometheus_client import Counter
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from chargeplane.config import Settings
from chargeplane.domain.ocpi.credentials import endpoint_url
from chargeplane.domain.ocpi.enums import InterfaceRole, ModuleID, StatusCode, TokenType
from chargeplane.domain.ocpi.locations import Party
from chargeplane.domain.ocpi.models import AuthorizationInfo, Token
from chargeplane.domain.ocpi.tokens import (
    Decision,
    Source,
    TokenRules,
    local_decision,
    needs_realtime,
    realtime_decision,
    unreachable_decision,
)

from .client import OcpiClient, PeerError, Routing
from .credential_tokens import TokenCipher
from .partners import PartnerRepository, PartnerState
from .token_store import TokenStore

log = logging.getLogger(__name__)

AUTHORIZATIONS = Counter(
    "chargeplane_ocpi_authorizations_total", "Roaming token authorizations.", ["decision", "source"]
)

# OCPP IdTokenEnumType (2.0.1; "" for a 1.6 idTag) -> the OCPI token types it may be.
_OCPP_TYPES: dict[str, list[TokenType]] = {
    "": [TokenType.RFID],
    "ISO14443": [TokenType.RFID],
    "ISO15693": [TokenType.RFID],
    "Local": [TokenType.RFID, TokenType.OTHER],
    "Central": [TokenType.APP_USER, TokenType.AD_HOC_USER],
    "KeyCode": [TokenType.OTHER],
    "MacAddress": [TokenType.OTHER],
}


@dataclass(slots=True)
class AuthorizationResult:
    decision: Decision
    source: Source
    token: Token | None = None
    partner_id: uuid.UUID | None = None
    authorization_reference: str | None = None
    location_id: str | None = None
    evse_uids: list[str] = field(default_factory=list)
    info: str | None = None


class Authorizer:
    def __init__(
        self,
        settings: Settings,
        tokens: TokenStore,
        partners: PartnerRepository,
        client: OcpiClient,
        cipher: TokenCipher,
        redis: Redis,
        party: Party,
    ) -> None:
        self.settings = settings
        self.tokens = tokens
        self.partners = partners
        self.client = client
        self.cipher = cipher
        self.redis = redis
        self.party = party

    async def authorize(
        self, id_token: str, ocpp_type: str, charge_point_id: str, evse_id: int | None
    ) -> AuthorizationResult:
        result = await self._decide(id_token, ocpp_type, charge_point_id, evse_id)
        AUTHORIZATIONS.labels(result.decision.value, result.source.value).inc()
        return result

    async def _decide(
        self, id_token: str, ocpp_type: str, charge_point_id: str, evse_id: int | None
    ) -> AuthorizationResult:
        if ocpp_type == "eMAID":
            found = await self.tokens.find_by_contract(id_token)
        else:
            found = await self.tokens.find(id_token, _OCPP_TYPES.get(ocpp_type, [TokenType.OTHER]))
        if not found:
            return AuthorizationResult(Decision.UNKNOWN, Source.NOT_FOUND)
        token, partner_id = found[0]
        rules = TokenRules(token.valid, token.whitelist)
        location_id, evse_uids = await self._location(charge_point_id, evse_id)
        result = AuthorizationResult(
            local_decision(rules), Source.WHITELIST, token, partner_id, location_id=location_id, evse_uids=evse_uids
        )
        if not needs_realtime(rules):
            return result
        key = f"ocpi:auth:{token.country_code}:{token.party_id}:{token.type.value}:{token.uid.upper()}:{location_id}"
        cached = await self._cached(key)
        if cached is not None:
            result.decision, result.source = Decision(cached["decision"]), Source.CACHE
            result.authorization_reference = cached.get("authorization_reference")
            return result
        try:
            info = await self._ask(partner_id, token, location_id, evse_uids)
        except PeerError as exc:
            answered = exc.http_status == 404 or exc.status_code in (StatusCode.UNKNOWN_TOKEN, 2002)
            if not answered:
                log.warning("real-time authorization at %s-%s unavailable: %s", token.country_code, token.party_id, exc)
                result.decision, result.source = unreachable_decision(rules), Source.OFFLINE_FALLBACK
                return result
            # The eMSP answered: unknown token (2004 / HTTP 404) or too little information.
            result.decision, result.source = Decision.INVALID, Source.REALTIME
            await self._cache(key, result)
            return result
        result.decision, result.source = realtime_decision(info.allowed), Source.REALTIME
        result.authorization_reference = info.authorization_reference
        result.info = info.info.text if info.info else None
        if info.location is not None:
            result.evse_uids = list(info.location.evse_uids)
        await self._cache(key, result)
        return result

    async def _location(self, charge_point_id: str, evse_id: int | None) -> tuple[str | None, list[str]]:
        """Where the charger is published: its location and EVSE uids (the requested EVSE,
        or every EVSE of the charger when it did not say)."""
        rows = await self.tokens.pool.fetch(
            """
            SELECT location_id, uid FROM ocpi_evses
            WHERE charge_point_id = $1 AND ($2::int IS NULL OR evse_id = $2) AND status <> 'REMOVED'
            ORDER BY evse_id
            """,
            charge_point_id,
            evse_id,
        )
        if not rows:
            return None, []
        location_id = rows[0]["location_id"]
        return location_id, [r["uid"] for r in rows if r["location_id"] == location_id]

    async def _ask(
        self, partner_id: uuid.UUID, token: Token, location_id: str | None, evse_uids: list[str]
    ) -> AuthorizationInfo:
        partner = await self.partners.get(partner_id)
        blob = await self.partners.peer_token(partner_id)
        url = endpoint_url(partner.endpoints, ModuleID.TOKENS, InterfaceRole.SENDER) if partner else None
        if partner is None or partner.state is not PartnerState.REGISTERED or url is None or blob is None:
            raise PeerError("the token's eMSP offers no real-time authorization", reachable=False)
        body: dict[str, Any] | None = None
        if location_id is not None:
            body = {"location_id": location_id, "evse_uids": evse_uids}
        reply = await self.client.request(
            "POST",
            f"{url.rstrip('/')}/{quote(token.uid, safe='')}/authorize",
            self.cipher.decrypt(blob),
            body=body,
            params={"type": token.type.value},
            routing=Routing(self.party, Party(token.country_code, token.party_id)),
            timeout=self.settings.ocpi_realtime_auth_timeout,
        )
        try:
            return AuthorizationInfo.model_validate(reply.data)
        except ValidationError:
            raise PeerError(
                "real-time authorization answer is not an AuthorizationInfo",
                reachable=True,
                status_code=int(StatusCode.UNABLE_TO_USE_CLIENT_API),
            ) from None

    async def _cached(self, key: str) -> dict[str, Any] | None:
        if not self.settings.ocpi_auth_cache_ttl:
            return None
        try:
            raw = await self.redis.get(key)
        except RedisError:
            return None
        if raw is None:
            return None
        value: dict[str, Any] = json.loads(raw)
        return value

    async def _cache(self, key: str, result: AuthorizationResult) -> None:
        ttl = self.settings.ocpi_auth_cache_ttl
        if not ttl:
            return
        value = {"decision": result.decision.value, "authorization_reference": result.authorization_reference}
        try:
            await self.redis.set(key, json.dumps(value), px=int(ttl * 1000))
        except RedisError:
            log.warning("real-time authorization result not cached", exc_info=True)
