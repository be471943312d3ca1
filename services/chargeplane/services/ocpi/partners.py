"""Roaming partners in PostgreSQL: roles, endpoints, credentials tokens, push health.

Token columns: `token_hash` is the token the partner presents to us (sha256 only);
`next_token_hash` is the new one while we update our credentials at the partner (both are
accepted until the update ends); `peer_token` is the token we present to them, encrypted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import asyncpg

from chargeplane.domain.ocpi.models import CredentialsRole, Endpoint


class PartnerState(StrEnum):
    PLANNED = "planned"
    REGISTERED = "registered"
    UNREGISTERED = "unregistered"


class TokenScope(StrEnum):
    REGISTRATION = "A"  # token A: versions and credentials only
    FULL = "full"


@dataclass(slots=True)
class Partner:
    id: uuid.UUID
    name: str
    state: PartnerState
    version: str | None = None
    versions_url: str | None = None
    roles: list[CredentialsRole] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)
    token_scope: TokenScope | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    registered_at: datetime | None = None
    pushes_delivered: int = 0
    pushes_failed: int = 0
    last_push_at: datetime | None = None
    last_push_error: str | None = None
    last_push_error_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TokenMatch:
    partner: Partner
    matched_hash: str
    # the second token, accepted while we register or update at the partner (always full)
    next_token: bool


_COLUMNS = (
    "id, name, state, version, versions_url, roles, endpoints, token_scope, created_at, updated_at, "
    "registered_at, pushes_delivered, pushes_failed, last_push_at, last_push_error, last_push_error_at"
)


def _partner(row: Any) -> Partner:
    return Partner(
        id=row["id"],
        name=row["name"],
        state=PartnerState(row["state"]),
        version=row["version"],
        versions_url=row["versions_url"],
        roles=[CredentialsRole.model_validate(r) for r in json.loads(row["roles"])],
        endpoints=[Endpoint.model_validate(e) for e in json.loads(row["endpoints"])],
        token_scope=TokenScope(row["token_scope"]) if row["token_scope"] else None,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        registered_at=row["registered_at"],
        pushes_delivered=row["pushes_delivered"],
        pushes_failed=row["pushes_failed"],
        last_push_at=row["last_push_at"],
        last_push_error=row["last_push_error"],
        last_push_error_at=row["last_push_error_at"],
    )


def _roles_json(roles: Sequence[CredentialsRole]) -> str:
    return json.dumps([r.model_dump(mode="json", exclude_none=True) for r in roles])


def _endpoints_json(endpoints: Sequence[Endpoint]) -> str:
    return json.dumps([e.model_dump(mode="json") for e in endpoints])


class PartnerRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create(self, name: str, token_hash: str | None) -> Partner | None:
        """A new partner, with the hash of the token A we issue (None: we will register at
        them). None when the name is taken."""
        row = await self.pool.fetchrow(
            f"""
            INSERT INTO ocpi_partners (name, token_hash, token_scope) VALUES ($1, $2, $3)
            ON CONFLICT (name) DO NOTHING RETURNING {_COLUMNS}
            """,
            name,
            token_hash,
            TokenScope.REGISTRATION.value if token_hash else None,
        )
        return None if row is None else _partner(row)

    async def get(self, partner_id: uuid.UUID) -> Partner | None:
        row = await self.pool.fetchrow(f"SELECT {_COLUMNS} FROM ocpi_partners WHERE id = $1", partner_id)
        return None if row is None else _partner(row)

    async def by_name(self, name: str) -> Partner | None:
        row = await self.pool.fetchrow(f"SELECT {_COLUMNS} FROM ocpi_partners WHERE name = $1", name)
        return None if row is None else _partner(row)

    async def by_token(self, hashes: Sequence[str]) -> TokenMatch | None:
        """The partner presenting one of these token hashes, and which one matched."""
        row = await self.pool.fetchrow(
            f"""
            SELECT {_COLUMNS}, token_hash AS current_hash, next_token_hash FROM ocpi_partners
            WHERE (token_hash = ANY($1::text[]) OR next_token_hash = ANY($1::text[]))
              AND state <> 'unregistered'
            """,
            list(hashes),
        )
        if row is None:
            return None
        if row["current_hash"] in hashes:
            return TokenMatch(_partner(row), row["current_hash"], next_token=False)
        return TokenMatch(_partner(row), row["next_token_hash"], next_token=True)

    async def page(self, *, after: uuid.UUID | None, limit: int) -> list[Partner]:
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM ocpi_partners WHERE $1::uuid IS NULL OR id > $1 ORDER BY id LIMIT $2",
            after,
            limit,
        )
        return [_partner(r) for r in rows]

    async def all(self) -> list[Partner]:
        rows = await self.pool.fetch(f"SELECT {_COLUMNS} FROM ocpi_partners ORDER BY created_at, id")
        return [_partner(r) for r in rows]

    async def peer_token(self, partner_id: uuid.UUID) -> bytes | None:
        value: bytes | None = await self.pool.fetchval("SELECT peer_token FROM ocpi_partners WHERE id = $1", partner_id)
        return value

    async def store_registration(
        self,
        partner_id: uuid.UUID,
        *,
        expected_hash: str | None,
        new_hash: str,
        peer_token: bytes,
        version: str,
        versions_url: str,
        roles: Sequence[CredentialsRole],
        endpoints: Sequence[Endpoint],
    ) -> bool:
        """The credentials exchange succeeded: the partner is registered with these roles,
        endpoints and tokens. `expected_hash` (the token the exchange was authorized with,
        or the new token we sent) must still be current: two exchanges cannot both win."""
        result: str = await self.pool.execute(
            """
            UPDATE ocpi_partners SET
                state = 'registered', version = $4, versions_url = $5, roles = $6::jsonb,
                endpoints = $7::jsonb, token_hash = $2, token_scope = 'full', next_token_hash = NULL,
                peer_token = $3, registered_at = COALESCE(registered_at, now()), updated_at = now()
            WHERE id = $1 AND (token_hash IS NOT DISTINCT FROM $8 OR next_token_hash = $8)
            """,
            partner_id,
            new_hash,
            peer_token,
            version,
            versions_url,
            _roles_json(roles),
            _endpoints_json(endpoints),
            expected_hash,
        )
        return result.endswith(" 1")

    async def set_next_token(self, partner_id: uuid.UUID, next_hash: str | None) -> None:
        """Accept a second token while we register or update at the partner (None: drop it)."""
        await self.pool.execute(
            "UPDATE ocpi_partners SET next_token_hash = $2, updated_at = now() WHERE id = $1", partner_id, next_hash
        )

    async def unregister(self, partner_id: uuid.UUID) -> bool:
        """Both sides end automated communication: tokens and pending pushes are dropped."""
        async with self.pool.acquire() as conn, conn.transaction():
            result: str = await conn.execute(
                """
                UPDATE ocpi_partners SET state = 'unregistered', token_hash = NULL, token_scope = NULL,
                    next_token_hash = NULL, peer_token = NULL, updated_at = now()
                WHERE id = $1 AND state <> 'unregistered'
                """,
                partner_id,
            )
            await conn.execute("DELETE FROM ocpi_outbox WHERE partner_id = $1", partner_id)
        return result.endswith(" 1")

    async def reissue_token_a(self, partner_id: uuid.UUID, token_hash: str) -> bool:
        """A new token A for a partner that is not registered (any more)."""
        result: str = await self.pool.execute(
            """
            UPDATE ocpi_partners SET state = 'planned', token_hash = $2, token_scope = 'A',
                next_token_hash = NULL, updated_at = now()
            WHERE id = $1 AND state <> 'registered'
            """,
            partner_id,
            token_hash,
        )
        return result.endswith(" 1")

    async def delete(self, partner_id: uuid.UUID) -> bool:
        result: str = await self.pool.execute("DELETE FROM ocpi_partners WHERE id = $1", partner_id)
        return result.endswith(" 1")
