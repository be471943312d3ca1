"""API tokens in the database: created by an operator (`chargeplane token create`), stored
hashed, listed and revoked."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from .verifier import SCOPES, token_hash

TOKEN_PREFIX = "cpk_"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: str
    name: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def new_token() -> str:
    """A fresh random token; only its hash is ever stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f"scopes must be a non-empty subset of {', '.join(SCOPES)}; got {', '.join(scopes) or 'none'}")
    return sorted(set(scopes), key=SCOPES.index)


async def create_token(pool: asyncpg.Pool, name: str, scopes: list[str]) -> tuple[str, TokenInfo]:
    """A new token; only its sha256 is stored, so the caller must show it now or never."""
    if not name.strip():
        raise ValueError("a token needs a name")
    token = new_token()
    row = await pool.fetchrow(
        "INSERT INTO api_tokens (name, token_hash, scopes) VALUES ($1, $2, $3) RETURNING *",
        name.strip(),
        token_hash(token),
        check_scopes(scopes),
    )
    assert row is not None
    return token, _info(row)


async def list_tokens(pool: asyncpg.Pool) -> list[TokenInfo]:
    return [_info(r) for r in await pool.fetch("SELECT * FROM api_tokens ORDER BY created_at")]


async def revoke_token(pool: asyncpg.Pool, token_id: str) -> bool:
    result = await pool.execute(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1::uuid AND revoked_at IS NULL", token_id
    )
    return result.endswith(" 1")


def _info(row: asyncpg.Record) -> TokenInfo:
    return TokenInfo(
        id=str(row["id"]),
        name=row["name"],
        scopes=list(row["scopes"]),
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )
