"""Id tokens and local-list state in PostgreSQL; token records cached in Redis.

The cache holds token records, not decisions: expiry, location and ConcurrentTx are
decided at every Authorize from the cached record (so a cached token still expires on
time). Any change to a token deletes its cache entry after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from chargeplane.domain.auth import (
    AuthDecision,
    AuthorizationStatus,
    IdTokenType,
    ListEntry,
    LocalListState,
    Token,
)

_COLUMNS = "id_token, type, status, expiry, group_id, sites, charge_points"

_UPSERT = f"""
    INSERT INTO id_tokens AS t ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (id_token) DO UPDATE SET
        type = EXCLUDED.type, status = EXCLUDED.status, expiry = EXCLUDED.expiry,
        group_id = EXCLUDED.group_id, sites = EXCLUDED.sites, charge_points = EXCLUDED.charge_points,
        updated_at = now()
    RETURNING (xmax = 0) AS created
"""


def token_of(row: Any) -> Token:
    return Token(
        id_token=row["id_token"],
        type=IdTokenType(row["type"]),
        status=AuthorizationStatus(row["status"]),
        expiry=row["expiry"],
        group_id=row["group_id"],
        sites=tuple(row["sites"]),
        charge_points=tuple(row["charge_points"]),
    )


def _args(t: Token) -> tuple[Any, ...]:
    return (t.id_token, t.type.value, t.status.value, t.expiry, t.group_id, list(t.sites), list(t.charge_points))


def encode(token: Token | None) -> bytes:
    if token is None:
        return b"null"
    return orjson.dumps(
        [
            token.id_token,
            token.type.value,
            token.status.value,
            token.expiry.isoformat() if token.expiry else None,
            token.group_id,
            token.sites,
            token.charge_points,
        ]
    )


def decode(raw: bytes) -> Token | None:
    doc = orjson.loads(raw)
    if doc is None:
        return None
    value, kind, status, expiry, group, sites, cps = doc
    return Token(
        value,
        IdTokenType(kind),
        AuthorizationStatus(status),
        datetime.fromisoformat(expiry) if expiry else None,
        group,
        tuple(sites),
        tuple(cps),
    )


def _entry_json(e: ListEntry) -> dict[str, Any]:
    info = e.info
    return {
        "type": e.type.value,
        "status": info.status.value if info else None,
        "expiry": info.expiry.isoformat() if info and info.expiry else None,
        "group_id": info.group_id if info else None,
    }


def _entry_of(key: str, doc: dict[str, Any]) -> ListEntry:
    info = (
        AuthDecision(
            AuthorizationStatus(doc["status"]),
            datetime.fromisoformat(doc["expiry"]) if doc["expiry"] else None,
            doc["group_id"],
        )
        if doc["status"]
        else None
    )
    return ListEntry(key, IdTokenType(doc["type"]), info)


class AuthRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def get(self, id_token: str) -> Token | None:
        row = await self.pool.fetchrow(f"SELECT {_COLUMNS} FROM id_tokens WHERE id_token = $1", id_token)
        return None if row is None else token_of(row)

    async def upsert(self, token: Token) -> bool:
        return bool(await self.pool.fetchval(_UPSERT, *_args(token)))

    async def insert_if_absent(self, token: Token) -> bool:
        inserted = await self.pool.fetchval(
            f"INSERT INTO id_tokens ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            "ON CONFLICT (id_token) DO NOTHING RETURNING true",
            *_args(token),
        )
        return inserted is True

    async def upsert_many(self, tokens: Sequence[Token]) -> list[bool]:
        async with self.pool.acquire() as conn, conn.transaction():
            return [bool(await conn.fetchval(_UPSERT, *_args(t))) for t in tokens]

    async def delete(self, id_token: str) -> bool:
        return await self.pool.fetchval("DELETE FROM id_tokens WHERE id_token = $1 RETURNING true", id_token) is True

    async def list_tokens(self, after: str | None, limit: int) -> list[Token]:
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM id_tokens WHERE $1::text IS NULL OR id_token > $1 ORDER BY id_token LIMIT $2",
            after,
            limit,
        )
        return [token_of(r) for r in rows]

    async def all_tokens(self) -> list[Token]:
        return [token_of(r) for r in await self.pool.fetch(f"SELECT {_COLUMNS} FROM id_tokens ORDER BY id_token")]

    async def local_list(self, charge_point_id: str) -> LocalListState:
        row = await self.pool.fetchrow(
            "SELECT version, entries FROM local_auth_lists WHERE charge_point_id = $1", charge_point_id
        )
        if row is None:
            return LocalListState()
        entries = orjson.loads(row["entries"])
        return LocalListState(row["version"], {k: _entry_of(k, v) for k, v in entries.items()})

    async def save_local_list(self, charge_point_id: str, state: LocalListState) -> None:
        await self.pool.execute(
            "INSERT INTO local_auth_lists (charge_point_id, version, entries) VALUES ($1, $2, $3::jsonb) "
            "ON CONFLICT (charge_point_id) DO UPDATE SET version = EXCLUDED.version, entries = EXCLUDED.entries, "
            "updated_at = now()",
            charge_point_id,
            state.version,
            orjson.dumps({k: _entry_json(e) for k, e in state.entries.items()}).decode(),
        )
