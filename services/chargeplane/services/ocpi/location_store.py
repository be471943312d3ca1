"""The Locations we publish, as stored (ocpi_locations, ocpi_evses): read by the sender
interface, written by the projection in the same transaction as the pushes it causes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import asyncpg

from chargeplane.domain.ocpi.locations import LocationState, StoredEvse, location_object

if TYPE_CHECKING:
    from .db import Conn


@dataclass(frozen=True, slots=True)
class LocationFilter:
    date_from: datetime | None = None
    date_to: datetime | None = None


def _evse(row: Any) -> StoredEvse:
    return StoredEvse(
        uid=row["uid"],
        charge_point_id=row["charge_point_id"],
        evse_id=row["evse_id"],
        status=row["status"],
        body=json.loads(row["body"]),
        last_updated=row["last_updated"],
    )


_EVSE_COLUMNS = "uid, location_id, charge_point_id, evse_id, status, body, last_updated"


class LocationStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    # -- reads (sender interface) ---------------------------------------------------------

    async def page(self, where: LocationFilter, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Full Location objects, oldest first, and how many match in all."""
        async with self.pool.acquire() as conn:
            total = await conn.fetchval(
                """
                SELECT count(*) FROM ocpi_locations
                WHERE ($1::timestamptz IS NULL OR last_updated >= $1)
                  AND ($2::timestamptz IS NULL OR last_updated < $2)
                """,
                where.date_from,
                where.date_to,
            )
            rows = await conn.fetch(
                """
                SELECT id, body, last_updated FROM ocpi_locations
                WHERE ($1::timestamptz IS NULL OR last_updated >= $1)
                  AND ($2::timestamptz IS NULL OR last_updated < $2)
                ORDER BY created_at, id OFFSET $3 LIMIT $4
                """,
                where.date_from,
                where.date_to,
                offset,
                limit,
            )
            evse_rows = (
                await conn.fetch(
                    f"SELECT {_EVSE_COLUMNS} FROM ocpi_evses WHERE location_id = ANY($1::text[]) "
                    "ORDER BY created_at, uid",
                    [r["id"] for r in rows],
                )
                if rows
                else []
            )
        by_location: dict[str, list[StoredEvse]] = {r["id"]: [] for r in rows}
        for e in evse_rows:
            by_location[e["location_id"]].append(_evse(e))
        objects = [location_object(json.loads(r["body"]), by_location[r["id"]], r["last_updated"]) for r in rows]
        return objects, int(total)

    async def location(self, location_id: str) -> dict[str, Any] | None:
        state = await self.state(self.pool, location_id)
        return None if state is None else location_object(state.body, state.evses, state.last_updated)

    # -- the projection's reads and writes (inside its transaction) -----------------------

    async def state(self, conn: asyncpg.Pool | Conn, location_id: str) -> LocationState | None:
        row = await conn.fetchrow("SELECT body, last_updated FROM ocpi_locations WHERE id = $1", location_id)
        if row is None:
            return None
        evses = await conn.fetch(
            f"SELECT {_EVSE_COLUMNS} FROM ocpi_evses WHERE location_id = $1 ORDER BY created_at, uid", location_id
        )
        return LocationState(json.loads(row["body"]), row["last_updated"], [_evse(e) for e in evses])

    async def location_ids(self) -> list[str]:
        rows = await self.pool.fetch("SELECT id FROM ocpi_locations ORDER BY id")
        return [r["id"] for r in rows]

    async def locations_of_charge_point(self, charge_point_id: str) -> list[str]:
        rows = await self.pool.fetch(
            "SELECT DISTINCT location_id FROM ocpi_evses WHERE charge_point_id = $1", charge_point_id
        )
        return [r["location_id"] for r in rows]

    @staticmethod
    async def lock(conn: Conn, location_id: str) -> None:
        """Serialise the projection of one location (across replicas) for this transaction."""
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('ocpi-location:' || $1, 0))", location_id)

    @staticmethod
    async def save_location(conn: Conn, location_id: str, body: dict[str, Any], at: datetime) -> None:
        await conn.execute(
            """
            INSERT INTO ocpi_locations (id, body, last_updated) VALUES ($1, $2::jsonb, $3)
            ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body, last_updated = EXCLUDED.last_updated
            """,
            location_id,
            json.dumps(body),
            at,
        )

    @staticmethod
    async def touch_location(conn: Conn, location_id: str, at: datetime) -> None:
        """An EVSE changed: the location's last_updated follows (locations chapter, GET List)."""
        await conn.execute(
            "UPDATE ocpi_locations SET last_updated = GREATEST(last_updated, $2) WHERE id = $1", location_id, at
        )

    @staticmethod
    async def save_evses(conn: Conn, location_id: str, evses: Sequence[StoredEvse]) -> None:
        if not evses:
            return
        await conn.executemany(
            """
            INSERT INTO ocpi_evses (uid, location_id, charge_point_id, evse_id, status, body, last_updated)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
            ON CONFLICT (uid) DO UPDATE SET
                status = EXCLUDED.status, body = EXCLUDED.body, last_updated = EXCLUDED.last_updated
            """,
            [
                (e.uid, location_id, e.charge_point_id, e.evse_id, e.status, json.dumps(e.body), e.last_updated)
                for e in evses
            ],
        )
