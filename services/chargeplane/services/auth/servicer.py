"""The AuthService gRPC servicer: Authorize (Redis-cached), token CRUD, local lists."""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from chargeplane.config import Settings
from chargeplane.domain.auth import (
    AuthDecision,
    AuthorizationStatus,
    IdTokenType,
    ListEntry,
    LocalListUpdate,
    Token,
    TokenError,
    UpdateType,
    active_key,
    apply_update,
    cache_until,
    decide,
    list_entries,
    plan_update,
    validate_token,
)
from chargeplane.pb.auth.v1 import auth_pb2 as pb
from chargeplane.pb.auth.v1 import auth_pb2_grpc as pb_grpc
from chargeplane.rpc.errors import InvalidArgument, NotFound, translate_errors
from chargeplane.rpc.timestamps import optional_datetime, to_timestamp

from .repository import AuthRepository, decode, encode

log = logging.getLogger(__name__)

CACHE_PREFIX = "auth:tok:"
GEN_PREFIX = "auth:gen:"
# KEYS: cache key, generation key; ARGV: record, ttl, generation seen before the database read.
_FILL = """
local gen = redis.call('GET', KEYS[2]) or ''
if gen == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
return 0
"""
MAX_IMPORT = 100_000
DEFAULT_PAGE = 100
MAX_PAGE = 1000

STATUS_PB = {
    AuthorizationStatus.ACCEPTED: pb.AUTHORIZATION_STATUS_ACCEPTED,
    AuthorizationStatus.BLOCKED: pb.AUTHORIZATION_STATUS_BLOCKED,
    AuthorizationStatus.EXPIRED: pb.AUTHORIZATION_STATUS_EXPIRED,
    AuthorizationStatus.INVALID: pb.AUTHORIZATION_STATUS_INVALID,
    AuthorizationStatus.CONCURRENT_TX: pb.AUTHORIZATION_STATUS_CONCURRENT_TX,
    AuthorizationStatus.UNKNOWN: pb.AUTHORIZATION_STATUS_UNKNOWN,
    AuthorizationStatus.NOT_AT_THIS_LOCATION: pb.AUTHORIZATION_STATUS_NOT_AT_THIS_LOCATION,
}
PB_STATUS = {v: k for k, v in STATUS_PB.items()}
_TYPES = {t.value: t for t in IdTokenType}


def token_pb(t: Token) -> pb.Token:
    return pb.Token(
        id_token=t.id_token,
        type=t.type.value,
        status=STATUS_PB[t.status],
        expiry=to_timestamp(t.expiry),
        group_id=t.group_id or "",
        sites=list(t.sites),
        charge_points=list(t.charge_points),
    )


def token_of(msg: pb.Token) -> Token:
    """Validate and convert; raises TokenError with a message naming the field."""
    if msg.type and msg.type not in _TYPES:
        raise TokenError(f"type must be one of {sorted(_TYPES)}")
    status = PB_STATUS.get(msg.status) if msg.status else AuthorizationStatus.ACCEPTED
    if status is None:
        raise TokenError("status is not a known AuthorizationStatus")
    return validate_token(
        Token(
            id_token=msg.id_token,
            type=_TYPES[msg.type] if msg.type else IdTokenType.CENTRAL,
            status=status,
            expiry=optional_datetime(msg, "expiry"),
            group_id=msg.group_id or None,
            sites=tuple(msg.sites),
            charge_points=tuple(msg.charge_points),
        )
    )


def decision_pb(d: AuthDecision, cache_expiry: datetime | None, hit: bool = False) -> pb.AuthorizeResponse:
    return pb.AuthorizeResponse(
        status=STATUS_PB[d.status],
        expiry=to_timestamp(d.expiry),
        group_id=d.group_id or "",
        cache_expiry=to_timestamp(cache_expiry),
        cache_hit=hit,
    )


def _entry_pb(e: ListEntry) -> pb.LocalListEntry:
    return pb.LocalListEntry(
        id_token=e.id_token, type=e.type.value, info=decision_pb(e.info, None) if e.info is not None else None
    )


def _entry_of(msg: pb.LocalListEntry) -> ListEntry:
    if msg.type not in _TYPES:
        raise InvalidArgument(f"entry {msg.id_token!r}: unknown type {msg.type!r}")
    info = None
    if msg.HasField("info"):
        info = AuthDecision(
            PB_STATUS.get(msg.info.status, AuthorizationStatus.INVALID),
            optional_datetime(msg.info, "expiry"),
            msg.info.group_id or None,
        )
    return ListEntry(msg.id_token, _TYPES[msg.type], info)


class AuthServicer(pb_grpc.AuthServiceServicer):
    def __init__(self, pool: asyncpg.Pool, redis: Redis, settings: Settings) -> None:
        self.repo = AuthRepository(pool)
        self.redis = redis
        self.settings = settings
        self.ttl = timedelta(seconds=settings.auth_cache_ttl)

    async def _lookup(self, id_token: str) -> tuple[Token | None, set[str], bool]:
        """(token record, transactions it runs, cache hit) in one Redis round trip.

        A miss fills the cache only if the token's generation did not change since it was
        read (Lua compare-and-set): a fill racing a change never re-caches the old record."""
        cached: bytes | None = None
        generation: bytes | None = None
        active: set[str] = set()
        redis_ok = True
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.get(CACHE_PREFIX + id_token)
                pipe.get(GEN_PREFIX + id_token)
                pipe.smembers(active_key(id_token))
                cached, generation, members = await pipe.execute()
            active = {m.decode() if isinstance(m, bytes) else m for m in members}
        except RedisError:
            redis_ok = False
            log.warning("auth cache unavailable; reading the database", exc_info=True)
        if cached is not None:
            return decode(cached), active, True
        token = await self.repo.get(id_token)
        if redis_ok and self.settings.auth_cache_ttl > 0:
            with contextlib.suppress(RedisError):
                await self.redis.eval(
                    _FILL,
                    2,
                    CACHE_PREFIX + id_token,
                    GEN_PREFIX + id_token,
                    encode(token),
                    max(int(self.settings.auth_cache_ttl), 1),
                    generation or b"",
                )
        return token, active, False

    async def _invalidate(self, *id_tokens: str) -> None:
        if not id_tokens:
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for t in id_tokens:
                    pipe.incr(GEN_PREFIX + t)
                    pipe.expire(GEN_PREFIX + t, 86_400)
                pipe.delete(*(CACHE_PREFIX + t for t in id_tokens))
                await pipe.execute()
        except RedisError:
            # A stale entry would outlive the change: fail loudly rather than authorize wrongly.
            log.exception("could not invalidate the auth cache of %d tokens", len(id_tokens))
            raise

    @translate_errors
    async def Authorize(self, request: pb.AuthorizeRequest, context: Any) -> pb.AuthorizeResponse:
        if not request.id_token or len(request.id_token) > 36:
            raise InvalidArgument("id_token must be 1 to 36 characters")
        if request.type and request.type not in _TYPES:
            raise InvalidArgument(f"type must be one of {sorted(_TYPES)}")
        kind = _TYPES[request.type] if request.type else None
        now = datetime.now(UTC)
        if kind is IdTokenType.NO_AUTHORIZATION:
            return decision_pb(AuthDecision(AuthorizationStatus.ACCEPTED), None)
        token, active, hit = await self._lookup(request.id_token)
        active.discard(request.own_transaction)
        if token is None and request.record_unknown:
            # Used offline (or simply unknown): kept, never dropped; the answer stays Invalid/Unknown.
            blocked = Token(request.id_token, kind or IdTokenType.CENTRAL, AuthorizationStatus.BLOCKED)
            if await self.repo.insert_if_absent(blocked):
                await self._invalidate(request.id_token)
                log.warning(
                    "unknown id token %s used at %s: recorded as Blocked", request.id_token, request.charge_point_id
                )
        decision = decide(
            token,
            now=now,
            charge_point_id=request.charge_point_id,
            site=request.site or None,
            active_transactions=len(active),
            concurrent_tx=self.settings.concurrent_tx,
            token_type=kind,
        )
        cache_expiry = cache_until(decision, now, self.ttl) if decision.status is AuthorizationStatus.ACCEPTED else None
        return decision_pb(decision, cache_expiry, hit)

    @translate_errors
    async def UpsertToken(self, request: pb.UpsertTokenRequest, context: Any) -> pb.UpsertTokenResponse:
        try:
            token = token_of(request.token)
        except TokenError as exc:
            raise InvalidArgument(str(exc)) from None
        created = await self.repo.upsert(token)
        await self._invalidate(token.id_token)
        return pb.UpsertTokenResponse(token=token_pb(token), created=created)

    @translate_errors
    async def GetToken(self, request: pb.GetTokenRequest, context: Any) -> pb.GetTokenResponse:
        token = await self.repo.get(request.id_token)
        if token is None:
            raise NotFound(f"token {request.id_token!r} not found")
        return pb.GetTokenResponse(token=token_pb(token))

    @translate_errors
    async def ListTokens(self, request: pb.ListTokensRequest, context: Any) -> pb.ListTokensResponse:
        if request.page_size < 0:
            raise InvalidArgument("page_size must not be negative")
        size = min(request.page_size or DEFAULT_PAGE, MAX_PAGE)
        after = None
        if request.page_token:
            try:
                after = base64.urlsafe_b64decode(request.page_token.encode()).decode()
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise InvalidArgument("page_token is not a value returned by this service") from None
        found = await self.repo.list_tokens(after, size + 1)
        page = found[:size]
        token = base64.urlsafe_b64encode(page[-1].id_token.encode()).decode() if len(found) > size else ""
        return pb.ListTokensResponse(tokens=[token_pb(t) for t in page], next_page_token=token)

    @translate_errors
    async def DeleteToken(self, request: pb.DeleteTokenRequest, context: Any) -> pb.DeleteTokenResponse:
        deleted = await self.repo.delete(request.id_token)
        await self._invalidate(request.id_token)
        return pb.DeleteTokenResponse(deleted=deleted)

    @translate_errors
    async def ImportTokens(self, request: pb.ImportTokensRequest, context: Any) -> pb.ImportTokensResponse:
        if len(request.tokens) > MAX_IMPORT:
            raise InvalidArgument(f"at most {MAX_IMPORT} tokens per import")
        good: list[Token] = []
        errors: list[pb.RowError] = []
        seen: dict[str, int] = {}
        for i, msg in enumerate(request.tokens):
            try:
                token = token_of(msg)
            except TokenError as exc:
                errors.append(pb.RowError(row=i, message=str(exc)))
                continue
            if token.id_token in seen:
                errors.append(pb.RowError(row=i, message=f"id_token repeats row {seen[token.id_token]}"))
                continue
            seen[token.id_token] = i
            good.append(token)
        created = await self.repo.upsert_many(good) if good else []
        await self._invalidate(*(t.id_token for t in good))
        n_created = sum(created)
        return pb.ImportTokensResponse(created=n_created, updated=len(created) - n_created, errors=errors)

    @translate_errors
    async def PlanLocalList(self, request: pb.PlanLocalListRequest, context: Any) -> pb.PlanLocalListResponse:
        cp = request.charge_point_id
        if not cp:
            raise InvalidArgument("charge_point_id is required")
        held = await self.repo.local_list(cp)
        wanted = list_entries(await self.repo.all_tokens(), cp, request.site or None, datetime.now(UTC))
        update = plan_update(held, wanted, max_differential=request.max_differential or 1000)
        if update is None:
            return pb.PlanLocalListResponse(needed=False, version=held.version)
        return pb.PlanLocalListResponse(
            needed=True,
            version=update.version,
            update_type=update.update_type.value,
            entries=[_entry_pb(e) for e in update.entries],
        )

    @translate_errors
    async def ConfirmLocalList(self, request: pb.ConfirmLocalListRequest, context: Any) -> pb.ConfirmLocalListResponse:
        cp = request.charge_point_id
        if not cp:
            raise InvalidArgument("charge_point_id is required")
        try:
            kind = UpdateType(request.update_type)
        except ValueError:
            raise InvalidArgument("update_type must be Full or Differential") from None
        held = await self.repo.local_list(cp)
        if request.version <= held.version:
            return pb.ConfirmLocalListResponse(version=held.version)  # a late or repeated confirmation
        update = LocalListUpdate(request.version, kind, tuple(_entry_of(e) for e in request.entries))
        state = apply_update(held, update)
        await self.repo.save_local_list(cp, state)
        return pb.ConfirmLocalListResponse(version=state.version)
