"""Partner tokens (Tokens module, receiver side) in PostgreSQL.

A token is identified by its owner (country_code, party_id), uid and type; uid is a CiString,
so case does not make a second token. An update older than the stored one (by last_updated)
is acknowledged and ignored: a retried or reordered push cannot roll a token back.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg

from chargeplane.domain.ocpi.enums import TokenType
from chargeplane.domain.ocpi.models import EnergyContract, Token

_COLUMNS = (
    "partner_id, country_code, party_id, uid, type, contract_id, visual_number, issuer, group_id, valid, "
    "whitelist, language, default_profile_type, energy_contract, last_updated"
)


def _token(row: Any) -> Token:
    contract = row["energy_contract"]
    return Token(
        country_code=row["country_code"],
        party_id=row["party_id"],
        uid=row["uid"],
        type=row["type"],
        contract_id=row["contract_id"],
        visual_number=row["visual_number"],
        issuer=row["issuer"],
        group_id=row["group_id"],
        valid=row["valid"],
        whitelist=row["whitelist"],
        language=row["language"],
        default_profile_type=row["default_profile_type"],
        energy_contract=EnergyContract.model_validate(json.loads(contract)) if contract else None,
        last_updated=row["last_updated"],
    )


class TokenStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def get(self, country_code: str, party_id: str, uid: str, token_type: str) -> Token | None:
        row = await self.pool.fetchrow(
            f"""
            SELECT {_COLUMNS} FROM ocpi_tokens
            WHERE country_code = $1 AND party_id = $2 AND upper(uid) = upper($3) AND type = $4
            """,
            country_code.upper(),
            party_id.upper(),
            uid,
            token_type,
        )
        return None if row is None else _token(row)

    async def put(self, partner_id: uuid.UUID, token: Token) -> bool:
        """Store the token; True when it was new."""
        contract = token.energy_contract.model_dump(mode="json", exclude_none=True) if token.energy_contract else None
        # An older update (by last_updated) matches no row to update: acknowledged, ignored.
        created = await self.pool.fetchval(
            f"""
            INSERT INTO ocpi_tokens ({_COLUMNS})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15)
            ON CONFLICT (country_code, party_id, upper(uid), type) DO UPDATE SET
                partner_id = EXCLUDED.partner_id, uid = EXCLUDED.uid, contract_id = EXCLUDED.contract_id,
                visual_number = EXCLUDED.visual_number, issuer = EXCLUDED.issuer, group_id = EXCLUDED.group_id,
                valid = EXCLUDED.valid, whitelist = EXCLUDED.whitelist, language = EXCLUDED.language,
                default_profile_type = EXCLUDED.default_profile_type, energy_contract = EXCLUDED.energy_contract,
                last_updated = EXCLUDED.last_updated, received_at = now()
            WHERE ocpi_tokens.last_updated <= EXCLUDED.last_updated
            RETURNING (xmax = 0)
            """,
            partner_id,
            token.country_code,
            token.party_id,
            token.uid,
            token.type.value,
            token.contract_id,
            token.visual_number,
            token.issuer,
            token.group_id,
            token.valid,
            token.whitelist.value,
            token.language,
            token.default_profile_type.value if token.default_profile_type else None,
            json.dumps(contract) if contract is not None else None,
            token.last_updated,
        )
        return bool(created)

    async def find(self, uid: str, types: list[TokenType]) -> list[tuple[Token, uuid.UUID]]:
        """Tokens a charger may be presenting: by uid (any owner), valid and newest first."""
        rows = await self.pool.fetch(
            f"""
            SELECT {_COLUMNS} FROM ocpi_tokens WHERE upper(uid) = upper($1) AND type = ANY($2::text[])
            ORDER BY valid DESC, last_updated DESC LIMIT 10
            """,
            uid,
            [t.value for t in types],
        )
        return [(_token(r), r["partner_id"]) for r in rows]

    async def find_by_contract(self, contract_id: str) -> list[tuple[Token, uuid.UUID]]:
        """ISO 15118 Plug & Charge presents the eMAID (the token's contract_id)."""
        rows = await self.pool.fetch(
            f"""
            SELECT {_COLUMNS} FROM ocpi_tokens WHERE upper(contract_id) = upper($1)
            ORDER BY valid DESC, last_updated DESC LIMIT 10
            """,
            contract_id,
        )
        return [(_token(r), r["partner_id"]) for r in rows]
