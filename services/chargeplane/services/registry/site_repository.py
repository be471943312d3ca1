"""Sites and EVSE hardware in PostgreSQL (asyncpg, hand-written SQL)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from .sites import ConnectorRecord, EvseRecord, Grid, SiteRecord

_SITE_COLUMNS = (
    "id, name, address, city, postal_code, state, country, latitude, longitude, time_zone, parking_type, "
    "facilities, opening_times, charging_when_closed, operator, suboperator, owner, directions, publish, "
    "roaming, grid_max_current, grid_max_power, grid_phases, grid_voltage"
)
_UPSERT_SITE = f"""
    INSERT INTO sites AS s ({_SITE_COLUMNS})
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15::jsonb, $16::jsonb,
            $17::jsonb, $18::jsonb, $19, $20, $21, $22, $23, $24)
    ON CONFLICT (id) DO UPDATE SET
        name = EXCLUDED.name, address = EXCLUDED.address, city = EXCLUDED.city,
        postal_code = EXCLUDED.postal_code, state = EXCLUDED.state, country = EXCLUDED.country,
        latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, time_zone = EXCLUDED.time_zone,
        parking_type = EXCLUDED.parking_type, facilities = EXCLUDED.facilities,
        opening_times = EXCLUDED.opening_times, charging_when_closed = EXCLUDED.charging_when_closed,
        operator = EXCLUDED.operator, suboperator = EXCLUDED.suboperator, owner = EXCLUDED.owner,
        directions = EXCLUDED.directions, publish = EXCLUDED.publish, roaming = EXCLUDED.roaming,
        grid_max_current = EXCLUDED.grid_max_current, grid_max_power = EXCLUDED.grid_max_power,
        grid_phases = EXCLUDED.grid_phases, grid_voltage = EXCLUDED.grid_voltage, updated_at = now()
    RETURNING (xmax = 0) AS created, {_SITE_COLUMNS}, created_at, updated_at
"""

_EVSE_UPSERT = """
    INSERT INTO evse_specs (charge_point_id, evse_id, evse_code, physical_reference, floor_level)
    SELECT $1, e.evse_id, e.evse_code, e.physical_reference, e.floor_level
    FROM unnest($2::int[], $3::text[], $4::text[], $5::text[])
         AS e(evse_id, evse_code, physical_reference, floor_level)
    ON CONFLICT (charge_point_id, evse_id) DO UPDATE SET
        evse_code = EXCLUDED.evse_code, physical_reference = EXCLUDED.physical_reference,
        floor_level = EXCLUDED.floor_level, updated_at = now()
    WHERE (evse_specs.evse_code, evse_specs.physical_reference, evse_specs.floor_level)
          IS DISTINCT FROM (EXCLUDED.evse_code, EXCLUDED.physical_reference, EXCLUDED.floor_level)
"""
_CONNECTOR_UPSERT = """
    INSERT INTO connector_specs (charge_point_id, evse_id, connector_id, standard, format, power_type,
                                 max_voltage, max_amperage, max_electric_power, terms_and_conditions)
    SELECT $1, c.* FROM unnest($2::int[], $3::int[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[],
                               $9::int[], $10::text[])
    AS c(evse_id, connector_id, standard, format, power_type, max_voltage, max_amperage, max_electric_power,
         terms_and_conditions)
    ON CONFLICT (charge_point_id, evse_id, connector_id) DO UPDATE SET
        standard = EXCLUDED.standard, format = EXCLUDED.format, power_type = EXCLUDED.power_type,
        max_voltage = EXCLUDED.max_voltage, max_amperage = EXCLUDED.max_amperage,
        max_electric_power = EXCLUDED.max_electric_power,
        terms_and_conditions = EXCLUDED.terms_and_conditions, updated_at = now()
    WHERE (connector_specs.standard, connector_specs.format, connector_specs.power_type,
           connector_specs.max_voltage, connector_specs.max_amperage, connector_specs.max_electric_power,
           connector_specs.terms_and_conditions)
          IS DISTINCT FROM (EXCLUDED.standard, EXCLUDED.format, EXCLUDED.power_type, EXCLUDED.max_voltage,
                            EXCLUDED.max_amperage, EXCLUDED.max_electric_power, EXCLUDED.terms_and_conditions)
"""
_EVSES = """
    SELECT charge_point_id, evse_id, evse_code, physical_reference, floor_level, updated_at
    FROM evse_specs WHERE charge_point_id = ANY($1::text[]) ORDER BY charge_point_id, evse_id
"""
_CONNECTORS = """
    SELECT charge_point_id, evse_id, connector_id, standard, format, power_type, max_voltage, max_amperage,
           max_electric_power, terms_and_conditions, updated_at
    FROM connector_specs WHERE charge_point_id = ANY($1::text[])
    ORDER BY charge_point_id, evse_id, connector_id
"""


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _site(row: Any) -> SiteRecord:
    def num(value: Any) -> float | None:
        return None if value is None else float(value)

    return SiteRecord(
        id=row["id"],
        name=row["name"],
        address=row["address"],
        city=row["city"],
        postal_code=row["postal_code"],
        state=row["state"],
        country=row["country"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        time_zone=row["time_zone"],
        parking_type=row["parking_type"],
        facilities=list(row["facilities"]),
        opening_times=_loads(row["opening_times"]),
        charging_when_closed=row["charging_when_closed"],
        operator=_loads(row["operator"]),
        suboperator=_loads(row["suboperator"]),
        owner=_loads(row["owner"]),
        directions=_loads(row["directions"]),
        publish=row["publish"],
        roaming=row["roaming"],
        grid=Grid(
            num(row["grid_max_current"]), num(row["grid_max_power"]), row["grid_phases"], num(row["grid_voltage"])
        ),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class SiteRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def upsert(self, s: SiteRecord) -> tuple[SiteRecord, bool]:
        row = await self.pool.fetchrow(
            _UPSERT_SITE,
            s.id,
            s.name,
            s.address,
            s.city,
            s.postal_code,
            s.state,
            s.country,
            s.latitude,
            s.longitude,
            s.time_zone,
            s.parking_type,
            s.facilities,
            _json(s.opening_times),
            s.charging_when_closed,
            _json(s.operator),
            _json(s.suboperator),
            _json(s.owner),
            json.dumps(s.directions),
            s.publish,
            s.roaming,
            s.grid.max_current,
            s.grid.max_power,
            s.grid.phases,
            s.grid.voltage,
        )
        assert row is not None  # INSERT ... ON CONFLICT DO UPDATE always returns the row
        return _site(row), bool(row["created"])

    async def get(self, site_id: str) -> SiteRecord | None:
        row = await self.pool.fetchrow(
            f"SELECT {_SITE_COLUMNS}, created_at, updated_at FROM sites WHERE id = $1", site_id
        )
        return None if row is None else _site(row)

    async def page(self, *, after: str | None, limit: int) -> list[SiteRecord]:
        rows = await self.pool.fetch(
            f"SELECT {_SITE_COLUMNS}, created_at, updated_at FROM sites WHERE $1::text IS NULL OR id > $1 "
            "ORDER BY id LIMIT $2",
            after,
            limit,
        )
        return [_site(r) for r in rows]

    async def delete(self, site_id: str) -> bool:
        result: str = await self.pool.execute("DELETE FROM sites WHERE id = $1", site_id)
        return result.endswith(" 1")

    async def set_evses(self, cp_id: str, evses: Sequence[EvseRecord], *, replace: bool) -> bool:
        """Store the EVSE hardware of a charge point. False when the charge point does not exist."""
        connectors = [(e.evse_id, c) for e in evses for c in e.connectors]
        async with self.pool.acquire() as conn, conn.transaction():
            if await conn.fetchval("SELECT 1 FROM charge_points WHERE id = $1 FOR KEY SHARE", cp_id) is None:
                return False
            ids = [e.evse_id for e in evses]
            if replace:
                await conn.execute(
                    "DELETE FROM evse_specs WHERE charge_point_id = $1 AND NOT (evse_id = ANY($2::int[]))", cp_id, ids
                )
            await conn.execute(
                _EVSE_UPSERT,
                cp_id,
                ids,
                [e.evse_code for e in evses],
                [e.physical_reference for e in evses],
                [e.floor_level for e in evses],
            )
            # Connectors an EVSE no longer has.
            await conn.execute(
                """
                DELETE FROM connector_specs c
                USING unnest($2::int[]) AS e(evse_id)
                WHERE c.charge_point_id = $1 AND c.evse_id = e.evse_id
                  AND NOT ((c.evse_id, c.connector_id) IN (SELECT * FROM unnest($3::int[], $4::int[])))
                """,
                cp_id,
                ids,
                [evse for evse, _ in connectors],
                [c.connector_id for _, c in connectors],
            )
            await conn.execute(
                _CONNECTOR_UPSERT,
                cp_id,
                [evse for evse, _ in connectors],
                [c.connector_id for _, c in connectors],
                [c.standard for _, c in connectors],
                [c.format for _, c in connectors],
                [c.power_type for _, c in connectors],
                [c.max_voltage for _, c in connectors],
                [c.max_amperage for _, c in connectors],
                [c.max_electric_power for _, c in connectors],
                [c.terms_and_conditions for _, c in connectors],
            )
        return True

    async def evses(self, cp_ids: Sequence[str]) -> dict[str, list[EvseRecord]]:
        """EVSE hardware per charge point (only those that have some)."""
        async with self.pool.acquire() as conn:
            evse_rows = await conn.fetch(_EVSES, list(cp_ids))
            connector_rows = await conn.fetch(_CONNECTORS, list(cp_ids)) if evse_rows else []
        out: dict[str, list[EvseRecord]] = {}
        by_key: dict[tuple[str, int], EvseRecord] = {}
        for r in evse_rows:
            evse = EvseRecord(
                evse_id=r["evse_id"],
                connectors=[],
                evse_code=r["evse_code"],
                physical_reference=r["physical_reference"],
                floor_level=r["floor_level"],
                updated_at=r["updated_at"],
            )
            out.setdefault(r["charge_point_id"], []).append(evse)
            by_key[(r["charge_point_id"], r["evse_id"])] = evse
        for r in connector_rows:
            by_key[(r["charge_point_id"], r["evse_id"])].connectors.append(
                ConnectorRecord(
                    connector_id=r["connector_id"],
                    standard=r["standard"],
                    format=r["format"],
                    power_type=r["power_type"],
                    max_voltage=r["max_voltage"],
                    max_amperage=r["max_amperage"],
                    max_electric_power=r["max_electric_power"],
                    terms_and_conditions=r["terms_and_conditions"],
                    updated_at=r["updated_at"],
                )
            )
        return out
