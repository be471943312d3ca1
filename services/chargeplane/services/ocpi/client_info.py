"""HubClientInfo: what a hub tells us about the parties connected to it (receiver side),
and our own view of our partners' connections (sender side)."""

from __future__ import annotations

import uuid

import asyncpg

from chargeplane.domain.ocpi.enums import ConnectionStatus
from chargeplane.domain.ocpi.models import ClientInfo

from .partners import Partner, PartnerState


class ClientInfoStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def get(self, partner_id: uuid.UUID, country_code: str, party_id: str) -> ClientInfo | None:
        row = await self.pool.fetchrow(
            """
            SELECT country_code, party_id, role, status, last_updated FROM ocpi_client_info
            WHERE partner_id = $1 AND country_code = $2 AND party_id = $3
            """,
            partner_id,
            country_code.upper(),
            party_id.upper(),
        )
        return None if row is None else ClientInfo.model_validate(dict(row))

    async def put(self, partner_id: uuid.UUID, info: ClientInfo) -> bool:
        """Store what the hub says; True when new. An older update is ignored."""
        created = await self.pool.fetchval(
            """
            INSERT INTO ocpi_client_info (partner_id, country_code, party_id, role, status, last_updated)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (partner_id, country_code, party_id) DO UPDATE SET
                role = EXCLUDED.role, status = EXCLUDED.status, last_updated = EXCLUDED.last_updated,
                received_at = now()
            WHERE ocpi_client_info.last_updated <= EXCLUDED.last_updated
            RETURNING (xmax = 0)
            """,
            partner_id,
            info.country_code,
            info.party_id,
            info.role.value,
            info.status.value,
            info.last_updated,
        )
        return bool(created)


def partner_status(p: Partner) -> ConnectionStatus:
    if p.state is PartnerState.PLANNED:
        return ConnectionStatus.PLANNED
    if p.state is PartnerState.UNREGISTERED:
        return ConnectionStatus.SUSPENDED
    failing = p.last_push_error_at is not None and (p.last_push_at is None or p.last_push_error_at > p.last_push_at)
    return ConnectionStatus.OFFLINE if failing else ConnectionStatus.CONNECTED


def our_client_infos(partners: list[Partner]) -> list[ClientInfo]:
    """One ClientInfo per role of every partner we know the roles of."""
    out: list[ClientInfo] = []
    for p in partners:
        stamps = [t for t in (p.updated_at, p.last_push_at, p.last_push_error_at) if t is not None]
        for role in p.roles:
            info = ClientInfo(
                party_id=role.party_id,
                country_code=role.country_code,
                role=role.role,
                status=partner_status(p),
                last_updated=max(stamps),
            )
            out.append(info)
    return out
