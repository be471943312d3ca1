"""Verify an API token (an operator's bearer token, `cpk_...`): a sha256 lookup in
api_tokens behind a small in-process TTL cache. Shared by the REST and the gRPC API."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import asyncpg

SCOPES = ("read", "operate", "admin")
MAX_TOKEN_LENGTH = 256

# The row is touched on every cache miss, which bounds last_used_at writes per token.
_LOOKUP = """
    UPDATE api_tokens SET last_used_at = now()
    WHERE token_hash = $1 AND revoked_at IS NULL
    RETURNING id, name, scopes
"""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    token_id: str
    name: str
    scopes: frozenset[str]


class TokenVerifier:
    """Caches answers (unknown tokens too, briefly) so auth costs no query per request.
    A revoked token keeps working for at most `ttl` seconds."""

    def __init__(
        self, pool: asyncpg.Pool, *, ttl: float = 30.0, negative_ttl: float = 5.0, max_entries: int = 10_000
    ) -> None:
        self.pool = pool
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.max_entries = max_entries
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    async def verify(self, token: str) -> Principal | None:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        digest = token_hash(token)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        row = await self.pool.fetchrow(_LOOKUP, digest)
        principal = None if row is None else Principal(str(row["id"]), row["name"], frozenset(row["scopes"]))
        if len(self._cache) >= self.max_entries:
            self._cache.clear()  # crude but bounded; a full cache is rare and refills quickly
        self._cache[digest] = (now + (self.ttl if principal else self.negative_ttl), principal)
        return principal
