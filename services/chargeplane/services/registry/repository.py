"""Charge points and connectors in PostgreSQL (asyncpg, hand-written SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from chargeplane.domain.chargepoints import (
    Activity,
    BootRequest,
    ChargePoint,
    ConnectorState,
    RegistrationStatus,
    StationInfo,
    StatusReport,
    availability_of,
)

from .policy import Registration

_STATION_COLUMNS = "vendor, model, serial_number, firmware_version, iccid, imsi, meter_type, meter_serial_number"
_CP_COLUMNS = "id, site, registered, protocol, boot_status, last_boot_at, last_seen_at, created_at, " + _STATION_COLUMNS

# $1 id, $2 site, $3..$10 station, $11 protocol, $12 boot_status, $13 boot_reason, $14 now
_BOOT_VALUES = "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13"
_BOOT_SET = """
    vendor = $3, model = $4, serial_number = $5, firmware_version = $6, iccid = $7, imsi = $8,
    meter_type = $9, meter_serial_number = $10, protocol = $11, boot_status = $12,
    boot_reason = $13, last_boot_at = $14,
    last_seen_at = GREATEST(charge_points.last_seen_at, $14),
    site = COALESCE(charge_points.site, $2),  -- an operator's site wins over the URL's
    updated_at = now()
"""
_BOOT_INSERT = f"""
    INSERT INTO charge_points (id, site, {_STATION_COLUMNS}, protocol, boot_status, boot_reason,
                               last_boot_at, last_seen_at)
    VALUES ($1, $2, {_BOOT_VALUES}, $14, $14)
    ON CONFLICT (id) DO UPDATE SET {_BOOT_SET}
"""
_BOOT_UPDATE = f"UPDATE charge_points SET {_BOOT_SET} WHERE id = $1"

# The WHERE on DO UPDATE is the ordering rule: an offline replay that arrives after a newer
# status leaves the stored row alone (no row is returned, so applied=false).
_STATUS_UPSERT = """
    INSERT INTO connectors AS c (charge_point_id, evse_id, connector_id, status, availability,
                                 error_code, info, vendor_id, vendor_error_code, status_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    ON CONFLICT (charge_point_id, evse_id, connector_id) DO UPDATE SET
        status = EXCLUDED.status, availability = EXCLUDED.availability,
        error_code = EXCLUDED.error_code, info = EXCLUDED.info, vendor_id = EXCLUDED.vendor_id,
        vendor_error_code = EXCLUDED.vendor_error_code, status_at = EXCLUDED.status_at,
        updated_at = now()
    WHERE c.status_at <= EXCLUDED.status_at
    RETURNING true
"""

# One statement per batch however large: this is what keeps heartbeats off the write path.
# Rows whose stored time is already newer are skipped, so they cost no new tuple either.
_ACTIVITY_UPDATE = """
    UPDATE charge_points AS cp
    SET last_seen_at = a.seen_at
    FROM unnest($1::text[], $2::timestamptz[]) AS a(id, seen_at)
    WHERE cp.id = a.id AND (cp.last_seen_at IS NULL OR cp.last_seen_at < a.seen_at)
"""

_CONNECTORS = """
    SELECT charge_point_id, evse_id, connector_id, status, availability, error_code, info,
           vendor_error_code, status_at
    FROM connectors WHERE charge_point_id = ANY($1::text[])
    ORDER BY charge_point_id, evse_id, connector_id
"""

_REGISTER = """
    INSERT INTO charge_points (id, site, registered, allowed_protocols) VALUES ($1, $2, true, $3)
    ON CONFLICT (id) DO UPDATE SET
        site = EXCLUDED.site, registered = true,
        allowed_protocols = EXCLUDED.allowed_protocols, updated_at = now()
    RETURNING (xmax = 0) AS created
"""


def _affected(status: str) -> int:
    """Row count from an asyncpg command tag such as 'UPDATE 3'."""
    return int(status.rsplit(" ", 1)[-1])


def _charge_point(row: Any, connectors: list[ConnectorState]) -> ChargePoint:
    station = None
    if row["vendor"] is not None:  # only after a first boot
        station = StationInfo(
            vendor=row["vendor"],
            model=row["model"],
            serial_number=row["serial_number"],
            firmware_version=row["firmware_version"],
            iccid=row["iccid"],
            imsi=row["imsi"],
            meter_type=row["meter_type"],
            meter_serial_number=row["meter_serial_number"],
        )
    return ChargePoint(
        id=row["id"],
        site=row["site"],
        registered=row["registered"],
        protocol=row["protocol"],
        station=station,
        boot_status=row["boot_status"],
        last_boot_at=row["last_boot_at"],
        last_seen_at=row["last_seen_at"],
        created_at=row["created_at"],
        connectors=connectors,
    )


def _connector(row: Any) -> ConnectorState:
    return ConnectorState(
        evse_id=row["evse_id"],
        connector_id=row["connector_id"],
        status=row["status"],
        availability=availability_of(row["availability"]),
        error_code=row["error_code"],
        info=row["info"],
        vendor_error_code=row["vendor_error_code"],
        updated_at=row["status_at"],  # when the state took effect, by the charger's clock
    )


class RegistryRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def registration(self, cp_id: str) -> Registration | None:
        row = await self.pool.fetchrow("SELECT registered, allowed_protocols FROM charge_points WHERE id = $1", cp_id)
        if row is None:
            return None
        return Registration(registered=row["registered"], allowed_protocols=tuple(row["allowed_protocols"]))

    async def record_boot(self, boot: BootRequest, status: RegistrationStatus, at: datetime, *, create: bool) -> bool:
        """Store what the charger said at boot. Returns False if the row did not exist
        (and `create` was False)."""
        s = boot.station
        result: str = await self.pool.execute(
            _BOOT_INSERT if create else _BOOT_UPDATE,
            boot.charge_point_id,
            boot.site,
            s.vendor,
            s.model,
            s.serial_number,
            s.firmware_version,
            s.iccid,
            s.imsi,
            s.meter_type,
            s.meter_serial_number,
            boot.protocol.value,
            status.value,
            boot.reason,
            at,
        )
        return _affected(result) > 0

    async def record_status(self, report: StatusReport, *, create_missing: bool) -> bool:
        """Upsert the connector's state unless a newer one is stored. A charge point that
        does not exist is created first when `create_missing`, else nothing is written."""
        args = (
            report.charge_point_id,
            report.connector.evse_id,
            report.connector.connector_id,
            report.status,
            report.availability.value,
            report.error_code,
            report.info,
            report.vendor_id,
            report.vendor_error_code,
            report.timestamp,
        )
        try:
            return bool(await self.pool.fetchval(_STATUS_UPSERT, *args))
        except asyncpg.ForeignKeyViolationError:
            # Rare (status before any boot), so it costs nothing on the common path.
            if not create_missing:
                return False
        await self.pool.execute(
            "INSERT INTO charge_points (id) VALUES ($1) ON CONFLICT (id) DO NOTHING",
            report.charge_point_id,
        )
        return bool(await self.pool.fetchval(_STATUS_UPSERT, *args))

    async def record_activity(self, activities: Sequence[Activity]) -> int:
        """Raise last_seen_at of many charge points in one statement; returns rows changed."""
        latest: dict[str, datetime] = {}
        for a in activities:  # one row per id: UPDATE ... FROM applies only one match per row
            seen = latest.get(a.charge_point_id)
            if seen is None or a.seen_at > seen:
                latest[a.charge_point_id] = a.seen_at
        if not latest:
            return 0
        ids = list(latest)
        result: str = await self.pool.execute(_ACTIVITY_UPDATE, ids, [latest[i] for i in ids])
        return _affected(result)

    async def get(self, cp_id: str) -> ChargePoint | None:
        found = await self.list(ids=[cp_id], limit=1)
        return found[0] if found else None

    async def list(
        self,
        *,
        after: str | None = None,
        site: str | None = None,
        ids: Sequence[str] | None = None,
        limit: int,
    ) -> list[ChargePoint]:
        """Charge points ordered by id, with their connectors (two queries per page)."""
        conditions: list[str] = []
        args: list[Any] = []
        # Only fixed SQL fragments are concatenated; every value is a bind parameter.
        if after is not None:
            args.append(after)
            conditions.append(f"id > ${len(args)}")
        if site is not None:
            args.append(site)
            conditions.append(f"site = ${len(args)}")
        if ids is not None:
            args.append(list(ids))
            conditions.append(f"id = ANY(${len(args)}::text[])")
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        args.append(limit)
        query = f"SELECT {_CP_COLUMNS} FROM charge_points {where} ORDER BY id LIMIT ${len(args)}"
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(query, *args)
            if not rows:
                return []
            connector_rows = await conn.fetch(_CONNECTORS, [r["id"] for r in rows])
        by_cp: dict[str, list[ConnectorState]] = {r["id"]: [] for r in rows}
        for c in connector_rows:
            by_cp[c["charge_point_id"]].append(_connector(c))
        return [_charge_point(r, by_cp[r["id"]]) for r in rows]

    async def register(self, cp_id: str, site: str | None, allowed_protocols: Sequence[str]) -> bool:
        """Pre-register (or update) a charge point; True when it was created."""
        return bool(await self.pool.fetchval(_REGISTER, cp_id, site, list(allowed_protocols)))

    async def delete(self, cp_id: str) -> bool:
        result: str = await self.pool.execute("DELETE FROM charge_points WHERE id = $1", cp_id)
        return _affected(result) > 0
