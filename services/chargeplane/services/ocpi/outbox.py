"""The outbox every push to a partner goes through (ocpi_outbox).

Enqueued in the same transaction as the change that causes it. Delivered one at a time per
(partner, ordering key) in id order: the head of each key is claimed with a lease, so a
crashed worker's rows are taken over when the lease runs out. Delivered rows are deleted;
failures come back with exponential backoff and jitter; after too many attempts a row is
dead (kept for inspection) and no longer holds up its key. An undelivered row is replaced
by a newer one that carries everything it did (a location PUT replaces what is queued for
the location; an EVSE PUT replaces that EVSE's PUTs and PATCHes; a PATCH replaces PATCHes).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import asyncpg

from chargeplane.domain.ocpi.locations import Push

_UNLOCKED = "dead_at IS NULL AND (locked_until IS NULL OR locked_until < now())"
_SUPERSEDE = {
    "location": f"DELETE FROM ocpi_outbox WHERE partner_id = $1 AND ordering_key = $2 AND {_UNLOCKED}",
    "evse": f"DELETE FROM ocpi_outbox WHERE partner_id = $1 AND supersede_key = $2 AND {_UNLOCKED}",
    "evse_patch": (
        f"DELETE FROM ocpi_outbox WHERE partner_id = $1 AND supersede_key = $2 AND method = 'PATCH' AND {_UNLOCKED}"
    ),
}

_CLAIM = """
    WITH heads AS (
        SELECT DISTINCT ON (partner_id, ordering_key) id, partner_id, next_attempt_at, locked_until
        FROM ocpi_outbox WHERE dead_at IS NULL
        ORDER BY partner_id, ordering_key, id
    ), due AS (
        SELECT h.id, row_number() OVER (PARTITION BY h.partner_id ORDER BY h.id) AS n,
               COALESCE(f.free, $2) AS free
        FROM heads h LEFT JOIN unnest($3::uuid[], $4::int[]) AS f(partner_id, free) ON f.partner_id = h.partner_id
        WHERE h.next_attempt_at <= now() AND (h.locked_until IS NULL OR h.locked_until < now())
    ), chosen AS (
        SELECT id FROM due WHERE n <= free ORDER BY id LIMIT $5
    )
    UPDATE ocpi_outbox o SET locked_until = now() + make_interval(secs => $1), attempts = o.attempts + 1
    FROM chosen c
    WHERE o.id = c.id AND (o.locked_until IS NULL OR o.locked_until < now()) AND o.dead_at IS NULL
    RETURNING o.id, o.partner_id, o.module, o.method, o.path, o.body, o.ordering_key, o.correlation_id,
              o.attempts, o.created_at
"""

if TYPE_CHECKING:
    from .db import Conn


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    partner_id: uuid.UUID
    module: str
    method: str
    path: str
    body: Any
    ordering_key: str
    correlation_id: uuid.UUID
    attempts: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PushStats:
    pending: int
    dead: int
    oldest_pending_at: datetime | None


def backoff(attempts: int, maximum: float) -> float:
    """Seconds before the next attempt: exponential from 1 s, capped, with full jitter on
    the upper half (retries of many rows do not come back in lockstep)."""
    ceiling = min(maximum, 2.0 ** min(attempts, 30))
    return random.uniform(ceiling / 2, ceiling)


class Outbox:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @staticmethod
    async def enqueue(conn: Conn, partner_id: uuid.UUID, module: str, push: Push, key: str) -> None:
        await conn.execute(
            _SUPERSEDE[push.replaces], partner_id, key if push.replaces == "location" else push.supersede_key
        )
        await conn.execute(
            """
            INSERT INTO ocpi_outbox (partner_id, module, method, path, body, ordering_key, supersede_key)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
            """,
            partner_id,
            module,
            push.method,
            push.path,
            json.dumps(push.body),
            key,
            push.supersede_key,
        )

    async def claim(
        self, *, lease: float, limit: int, per_partner: int, free: Mapping[uuid.UUID, int]
    ) -> list[OutboxItem]:
        """Lease the due heads of their ordering keys, at most `free[partner]` (default
        `per_partner`) per partner and `limit` in all."""
        rows = await self.pool.fetch(_CLAIM, lease, per_partner, list(free), [max(0, n) for n in free.values()], limit)
        return [
            OutboxItem(
                id=r["id"],
                partner_id=r["partner_id"],
                module=r["module"],
                method=r["method"],
                path=r["path"],
                body=json.loads(r["body"]) if r["body"] is not None else None,
                ordering_key=r["ordering_key"],
                correlation_id=r["correlation_id"],
                attempts=r["attempts"],
                created_at=r["created_at"],
            )
            for r in rows
        ]

    async def delivered(self, item: OutboxItem) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("DELETE FROM ocpi_outbox WHERE id = $1", item.id)
            await conn.execute(
                """
                UPDATE ocpi_partners SET pushes_delivered = pushes_delivered + 1, last_push_at = now()
                WHERE id = $1
                """,
                item.partner_id,
            )

    async def failed(self, item: OutboxItem, message: str, *, retry_in: float | None) -> bool:
        """Record a failed attempt; `retry_in` None (or too many attempts) makes it dead.
        Returns True when the row is now dead."""
        async with self.pool.acquire() as conn, conn.transaction():
            dead = bool(
                await conn.fetchval(
                    """
                    UPDATE ocpi_outbox SET locked_until = NULL, last_error = $2,
                        next_attempt_at = now() + make_interval(secs => COALESCE($3, 0)),
                        dead_at = CASE WHEN $3::float8 IS NULL THEN now() END
                    WHERE id = $1 RETURNING dead_at IS NOT NULL
                    """,
                    item.id,
                    message[:1000],
                    retry_in,
                )
            )
            await conn.execute(
                """
                UPDATE ocpi_partners SET pushes_failed = pushes_failed + 1, last_push_error = $2,
                    last_push_error_at = now()
                WHERE id = $1
                """,
                item.partner_id,
                message[:1000],
            )
        return dead

    async def drop(self, item: OutboxItem) -> None:
        await self.pool.execute("DELETE FROM ocpi_outbox WHERE id = $1", item.id)

    async def prune_dead(self, older_than_days: int = 7) -> int:
        """Dead rows are kept for inspection for a week, then deleted."""
        result: str = await self.pool.execute(
            "DELETE FROM ocpi_outbox WHERE dead_at < now() - make_interval(days => $1)", older_than_days
        )
        return int(result.rsplit(" ", 1)[-1])

    async def stats(self) -> dict[uuid.UUID, PushStats]:
        rows = await self.pool.fetch(
            """
            SELECT partner_id, count(*) FILTER (WHERE dead_at IS NULL) AS pending,
                   count(*) FILTER (WHERE dead_at IS NOT NULL) AS dead,
                   min(created_at) FILTER (WHERE dead_at IS NULL) AS oldest
            FROM ocpi_outbox GROUP BY partner_id
            """
        )
        return {r["partner_id"]: PushStats(r["pending"], r["dead"], r["oldest"]) for r in rows}
