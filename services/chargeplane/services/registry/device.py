"""Device state reported by chargers and the configuration operators want on them.

Tables (migration 0002): charger_notifications, device_variables, desired_configuration.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.device import (
    FINAL_PUSH_RESULTS,
    DesiredSetting,
    DeviceVariable,
    Notification,
    UnknownKey,
    variable_of,
)
from chargeplane.rpc.errors import NotFound

_FINAL = sorted(FINAL_PUSH_RESULTS)

_INSERT_NOTIFICATION = """
    INSERT INTO charger_notifications (charge_point_id, kind, status, request_id, payload)
    VALUES ($1, $2, $3, $4, $5::jsonb)
    RETURNING id
"""

_UPSERT_VARIABLES = """
    INSERT INTO device_variables AS d (charge_point_id, component, component_instance, evse_id, connector_id,
                                       variable, variable_instance, attribute_type, value, readonly,
                                       characteristics, reported_at)
    SELECT $1, v.component, v.component_instance, v.evse_id, v.connector_id, v.variable, v.variable_instance,
           v.attribute_type, v.value, v.readonly, v.characteristics::jsonb, now()
    FROM unnest($2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[],
                $10::bool[], $11::text[])
         AS v(component, component_instance, evse_id, connector_id, variable, variable_instance, attribute_type,
              value, readonly, characteristics)
    ON CONFLICT (charge_point_id, component, component_instance, evse_id, connector_id, variable,
                 variable_instance, attribute_type) DO UPDATE SET
        value = EXCLUDED.value,
        readonly = COALESCE(EXCLUDED.readonly, d.readonly),
        characteristics = COALESCE(EXCLUDED.characteristics, d.characteristics),
        reported_at = EXCLUDED.reported_at
"""

_SELECT_VARIABLES = """
    SELECT component, component_instance, evse_id, connector_id, variable, variable_instance, attribute_type,
           value, readonly, characteristics, reported_at
    FROM device_variables WHERE charge_point_id = $1 AND ($2::text IS NULL OR component = $2)
    ORDER BY component, component_instance, evse_id, connector_id, variable, variable_instance, attribute_type
"""

# A changed value clears the last result, so it is pushed again; an unchanged one keeps it.
_UPSERT_DESIRED = """
    INSERT INTO desired_configuration AS d (charge_point_id, key, value)
    SELECT $1, s.key, s.value FROM unnest($2::text[], $3::text[]) AS s(key, value)
    ON CONFLICT (charge_point_id, key) DO UPDATE SET
        value = EXCLUDED.value, last_result = NULL, updated_at = now()
    WHERE d.value IS DISTINCT FROM EXCLUDED.value
"""

_PENDING = f"""
    (d.last_pushed_at IS NULL OR d.updated_at > d.last_pushed_at OR d.last_result IS NULL
     OR NOT (d.last_result = ANY('{{{",".join(_FINAL)}}}'::text[])))
"""

_SELECT_DESIRED = f"""
    SELECT key, value, last_result, last_pushed_at, updated_at, {_PENDING} AS pending
    FROM desired_configuration AS d WHERE charge_point_id = $1 AND ($2::bool IS FALSE OR {_PENDING})
    ORDER BY key
"""

# Only a result for the value that is still desired counts.
_RECORD_RESULTS = """
    UPDATE desired_configuration AS d SET last_result = r.result, last_pushed_at = now()
    FROM unnest($2::text[], $3::text[], $4::text[]) AS r(key, value, result)
    WHERE d.charge_point_id = $1 AND d.key = r.key AND d.value = r.value
"""


def _affected(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


def _variable(row: Any) -> DeviceVariable:
    characteristics = row["characteristics"]
    return DeviceVariable(
        component=row["component"],
        variable=row["variable"],
        component_instance=row["component_instance"],
        variable_instance=row["variable_instance"],
        evse_id=row["evse_id"],
        connector_id=row["connector_id"],
        attribute_type=row["attribute_type"],
        value=row["value"],
        readonly=row["readonly"],
        characteristics=json.loads(characteristics) if isinstance(characteristics, str) else characteristics,
    )


class DeviceRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def record_notification(self, n: Notification) -> int:
        try:
            new_id: int = await self.pool.fetchval(
                _INSERT_NOTIFICATION, n.charge_point_id, n.kind, n.status, n.request_id, json.dumps(n.payload)
            )
        except asyncpg.ForeignKeyViolationError:
            raise NotFound(f"charge point {n.charge_point_id!r} not found") from None
        return new_id

    async def list_notifications(
        self, cp_id: str, *, kind: str | None, before_id: int | None, limit: int
    ) -> list[Notification]:
        rows = await self.pool.fetch(
            """
            SELECT id, charge_point_id, kind, status, request_id, payload, received_at
            FROM charger_notifications
            WHERE charge_point_id = $1 AND ($2::text IS NULL OR kind = $2) AND ($3::bigint IS NULL OR id < $3)
            ORDER BY id DESC LIMIT $4
            """,
            cp_id,
            kind,
            before_id,
            limit,
        )
        return [
            Notification(
                charge_point_id=r["charge_point_id"],
                kind=r["kind"],
                status=r["status"],
                request_id=r["request_id"],
                payload=json.loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"],
                received_at=r["received_at"],
                id=r["id"],
            )
            for r in rows
        ]

    async def record_variables(self, cp_id: str, variables: Sequence[DeviceVariable]) -> int:
        if not variables:
            return 0
        # One row per primary key: a report naming an attribute twice keeps the last.
        latest = {
            (v.component, v.component_instance, v.evse_id, v.connector_id, v.variable, v.variable_instance,
             v.attribute_type): v
            for v in variables
        }  # fmt: skip
        rows = list(latest.values())
        try:
            await self.pool.execute(
                _UPSERT_VARIABLES,
                cp_id,
                [v.component for v in rows],
                [v.component_instance for v in rows],
                [v.evse_id for v in rows],
                [v.connector_id for v in rows],
                [v.variable for v in rows],
                [v.variable_instance for v in rows],
                [v.attribute_type for v in rows],
                [v.value for v in rows],
                [v.readonly for v in rows],
                [None if v.characteristics is None else json.dumps(v.characteristics) for v in rows],
            )
        except asyncpg.ForeignKeyViolationError:
            raise NotFound(f"charge point {cp_id!r} not found") from None
        return len(rows)

    async def variables(self, cp_id: str, component: str | None = None) -> list[tuple[DeviceVariable, datetime]]:
        rows = await self.pool.fetch(_SELECT_VARIABLES, cp_id, component)
        return [(_variable(r), r["reported_at"]) for r in rows]

    async def exists(self, cp_id: str) -> bool:
        return bool(await self.pool.fetchval("SELECT true FROM charge_points WHERE id = $1", cp_id))

    async def set_desired(
        self, cp_id: str, settings: Sequence[tuple[str, str]], remove: Sequence[str], *, replace: bool
    ) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval("SELECT true FROM charge_points WHERE id = $1 FOR UPDATE", cp_id):
                raise NotFound(f"charge point {cp_id!r} not found")
            keys = [k for k, _ in settings]
            if replace:
                await conn.execute(
                    "DELETE FROM desired_configuration WHERE charge_point_id = $1 AND NOT (key = ANY($2::text[]))",
                    cp_id,
                    keys,
                )
            if remove:
                await conn.execute(
                    "DELETE FROM desired_configuration WHERE charge_point_id = $1 AND key = ANY($2::text[])",
                    cp_id,
                    list(remove),
                )
            if settings:
                await conn.execute(_UPSERT_DESIRED, cp_id, keys, [v for _, v in settings])

    async def desired(self, cp_id: str, *, pending_only: bool = False) -> list[tuple[DesiredSetting, bool]]:
        rows = await self.pool.fetch(_SELECT_DESIRED, cp_id, pending_only)
        return [
            (
                DesiredSetting(
                    key=r["key"],
                    value=r["value"],
                    last_result=r["last_result"],
                    last_pushed_at=r["last_pushed_at"],
                    updated_at=r["updated_at"],
                ),
                r["pending"],
            )
            for r in rows
        ]

    async def record_push_results(
        self, cp_id: str, protocol: Protocol | None, results: Sequence[tuple[str, str, str]]
    ) -> int:
        """Store (key, pushed value, result) triples; accepted values also become the
        charger's reported configuration."""
        if not results:
            return 0
        accepted: list[DeviceVariable] = []
        if protocol is not None:
            for key, value, result in results:
                if result == "Accepted":
                    with contextlib.suppress(UnknownKey):
                        accepted.append(variable_of(key, protocol, value))
        if accepted:  # first, so whoever sees the result also sees the value
            await self.record_variables(cp_id, accepted)
        status: str = await self.pool.execute(
            _RECORD_RESULTS, cp_id, [r[0] for r in results], [r[1] for r in results], [r[2] for r in results]
        )
        return _affected(status)
