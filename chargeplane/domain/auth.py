"""Id tokens, authorization decisions and local authorization lists (both versions).

OCPP 1.6 authorizes an idTag (string, <= 20 chars) and answers idTagInfo; 2.0.1 authorizes
an IdTokenType (value + type) and answers idTokenInfo. One token model and one decision
serve both; the gateway renders each version's shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class IdTokenType(StrEnum):
    CENTRAL = "Central"
    EMAID = "eMAID"
    ISO14443 = "ISO14443"
    ISO15693 = "ISO15693"
    KEY_CODE = "KeyCode"
    LOCAL = "Local"
    MAC_ADDRESS = "MacAddress"
    NO_AUTHORIZATION = "NoAuthorization"


class AuthorizationStatus(StrEnum):
    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"
    UNKNOWN = "Unknown"  # 2.0.1 only; 1.6 says Invalid
    NOT_AT_THIS_LOCATION = "NotAtThisLocation"  # 2.0.1 only; 1.6 says Invalid


STORED_STATUSES = frozenset({"Accepted", "Blocked", "Expired", "Invalid"})
_V16 = frozenset({"Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"})

MAX_ID_TAG_16 = 20  # CiString20Type
MAX_ID_TOKEN_201 = 36  # identifierString 36


def status_v16(status: AuthorizationStatus) -> str:
    """1.6 AuthorizationStatus has no Unknown / NotAtThisLocation: both are Invalid."""
    return status.value if status.value in _V16 else AuthorizationStatus.INVALID.value


@dataclass(frozen=True, slots=True)
class Token:
    """An id token as stored (REST CRUD, bulk import)."""

    id_token: str
    type: IdTokenType = IdTokenType.CENTRAL
    status: AuthorizationStatus = AuthorizationStatus.ACCEPTED
    expiry: datetime | None = None
    group_id: str | None = None  # parent idTag (1.6) / groupIdToken (2.0.1)
    sites: tuple[str, ...] = ()  # empty: everywhere
    charge_points: tuple[str, ...] = ()  # empty: every charger


@dataclass(frozen=True, slots=True)
class AuthDecision:
    status: AuthorizationStatus
    expiry: datetime | None = None
    group_id: str | None = None


class TokenError(ValueError):
    """A token field is invalid (REST input, bulk import rows)."""


def validate_token(token: Token) -> Token:
    if not token.id_token or len(token.id_token) > MAX_ID_TOKEN_201:
        raise TokenError(f"id_token must be 1 to {MAX_ID_TOKEN_201} characters")
    if not token.id_token.isprintable():
        raise TokenError("id_token contains control characters")
    if token.status.value not in STORED_STATUSES:
        raise TokenError(f"status must be one of {sorted(STORED_STATUSES)}")
    if token.group_id is not None and not 1 <= len(token.group_id) <= MAX_ID_TOKEN_201:
        raise TokenError(f"group_id must be 1 to {MAX_ID_TOKEN_201} characters")
    if token.expiry is not None and token.expiry.tzinfo is None:
        raise TokenError("expiry must carry a UTC offset")
    return token


def decide(
    token: Token | None,
    *,
    now: datetime,
    charge_point_id: str,
    site: str | None,
    active_transactions: int,
    concurrent_tx: bool,
    token_type: IdTokenType | None = None,
) -> AuthDecision:
    """The answer to Authorize (and the idTagInfo of Start/Stop) for one token."""
    if token_type is IdTokenType.NO_AUTHORIZATION:
        return AuthDecision(AuthorizationStatus.ACCEPTED)
    if token is None:
        return AuthDecision(AuthorizationStatus.UNKNOWN if token_type is not None else AuthorizationStatus.INVALID)
    status = token.status
    if status is AuthorizationStatus.ACCEPTED:
        status = _refusal(token, now, charge_point_id, site, concurrent_tx and active_transactions > 0) or status
    return AuthDecision(status, token.expiry, token.group_id)


def _refusal(
    token: Token, now: datetime, charge_point_id: str, site: str | None, busy: bool
) -> AuthorizationStatus | None:
    """Why an Accepted token is refused here and now, if it is: expired, wrong place, in use."""
    if token.expiry is not None and token.expiry <= now:
        return AuthorizationStatus.EXPIRED
    if (token.charge_points and charge_point_id not in token.charge_points) or (
        token.sites and (site is None or site not in token.sites)
    ):
        return AuthorizationStatus.NOT_AT_THIS_LOCATION
    if busy:
        return AuthorizationStatus.CONCURRENT_TX
    return None


def cache_until(decision: AuthDecision, now: datetime, ttl: timedelta) -> datetime:
    """cacheExpiryDateTime: the cache TTL, never past the token's own expiry."""
    until = now + ttl
    return min(until, decision.expiry) if decision.expiry is not None else until


# -- local authorization lists -------------------------------------------------------------


class UpdateType(StrEnum):
    FULL = "Full"
    DIFFERENTIAL = "Differential"


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One entry of a charger's local list; `info` None means "remove" in a differential."""

    id_token: str
    type: IdTokenType
    info: AuthDecision | None


@dataclass(frozen=True, slots=True)
class LocalListUpdate:
    version: int
    update_type: UpdateType
    entries: tuple[ListEntry, ...]


@dataclass(frozen=True, slots=True)
class LocalListState:
    """What the charger holds: the version and the entries it confirmed (id_token -> entry)."""

    version: int = 0
    entries: Mapping[str, ListEntry] = field(default_factory=dict)


def list_entries(
    tokens: Iterable[Token], charge_point_id: str, site: str | None, now: datetime
) -> dict[str, ListEntry]:
    """The local list a charger should hold: every token usable at that charger, with the
    status it would get from the CSMS (expired tokens listed as Expired, blocked as Blocked)."""
    out: dict[str, ListEntry] = {}
    for t in tokens:
        d = decide(t, now=now, charge_point_id=charge_point_id, site=site, active_transactions=0, concurrent_tx=False)
        if d.status is AuthorizationStatus.NOT_AT_THIS_LOCATION:
            continue
        out[t.id_token] = ListEntry(t.id_token, t.type, d)
    return out


def plan_update(
    held: LocalListState, wanted: Mapping[str, ListEntry], *, max_differential: int
) -> LocalListUpdate | None:
    """The SendLocalList that takes the charger from `held` to `wanted`, or None when equal.

    A charger that holds no list (version 0, or <= 0 as returned by GetLocalListVersion)
    gets a Full update; so does one whose differential would exceed `max_differential`
    entries (the charger's LocalAuthListMaxLength / ItemsPerMessage). Removals in a
    differential update are entries without idTagInfo / idTokenInfo (both versions).
    The version always increases.
    """
    changes: list[ListEntry] = []
    for key, entry in wanted.items():
        if held.entries.get(key) != entry:
            changes.append(entry)
    for key, entry in held.entries.items():
        if key not in wanted:
            changes.append(ListEntry(entry.id_token, entry.type, None))
    version = max(held.version, 0) + 1
    if held.version <= 0:
        return LocalListUpdate(version, UpdateType.FULL, tuple(sorted(wanted.values(), key=_key)))
    if not changes:
        return None
    if len(changes) > max_differential:
        return LocalListUpdate(version, UpdateType.FULL, tuple(sorted(wanted.values(), key=_key)))
    return LocalListUpdate(version, UpdateType.DIFFERENTIAL, tuple(sorted(changes, key=_key)))


def apply_update(held: LocalListState, update: LocalListUpdate) -> LocalListState:
    """What the charger holds after accepting `update` (SendLocalList semantics)."""
    if update.update_type is UpdateType.FULL:
        return LocalListState(update.version, {e.id_token: e for e in update.entries if e.info is not None})
    entries = dict(held.entries)
    for e in update.entries:
        if e.info is None:
            entries.pop(e.id_token, None)
        else:
            entries[e.id_token] = e
    return LocalListState(update.version, entries)


def _key(entry: ListEntry) -> str:
    return entry.id_token


def active_key(id_token: str) -> str:
    """Redis set of the transactions a token runs, members "<charge_point_id>/<ref>".
    Kept by the transactions service, read by the auth service for ConcurrentTx."""
    return f"tx:active:{id_token}"


def transaction_member(charge_point_id: str, transaction_ref: str) -> str:
    return f"{charge_point_id}/{transaction_ref}"
