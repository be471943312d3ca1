"""Tariffs (versioned OCPI objects), their assignment, site billing data, pinned sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
import orjson

from chargeplane.config import Settings
from chargeplane.domain.billing.assignment import Assignment, Scope, normalized, ranked, validate
from chargeplane.domain.billing.errors import FieldProblem, TariffInvalid
from chargeplane.domain.billing.tariff import Tariff, parse_tariff
from chargeplane.rpc.errors import InvalidArgument, NotFound

from .outbox import emit


@dataclass(frozen=True, slots=True)
class TariffVersion:
    tariff: Tariff
    version: int
    created_at: datetime
    deleted: bool = False


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(f"time zone {name!r} is not an IANA time zone") from None


def _version(row: Any) -> TariffVersion:
    body = row["body"]
    return TariffVersion(
        Tariff.model_validate(orjson.loads(body) if isinstance(body, str) else body),
        row["version"],
        row["created_at"],
        row["deleted_at"] is not None,
    )


class TariffStore:
    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self.pool = pool
        self.settings = settings

    def validate(self, tariff_id: str, raw: Any, now: datetime) -> Tariff:
        """The submitted Tariff, completed with what billing owns: its id, the CPO identity
        when absent, and last_updated (the moment billing stored it)."""
        if not isinstance(raw, dict):
            raise TariffInvalid([FieldProblem("(tariff)", "a Tariff must be a JSON object")])
        if not tariff_id or len(tariff_id) > 36:
            raise TariffInvalid([FieldProblem("id", "the tariff id must be 1 to 36 characters")])
        if raw.get("id", tariff_id) != tariff_id:
            raise TariffInvalid([FieldProblem("id", f"does not match the tariff addressed ({tariff_id!r})")])
        body = {
            "country_code": self.settings.billing_country_code,
            "party_id": self.settings.billing_party_id,
            **raw,
            "id": tariff_id,
            "last_updated": now.isoformat(),
        }
        return parse_tariff(body)

    async def put(self, tariff_id: str, raw: Any, actor: str) -> tuple[TariffVersion, bool]:
        now = datetime.now(UTC)
        tariff = self.validate(tariff_id, raw, now)
        comparable = {k: v for k, v in tariff.ocpi().items() if k != "last_updated"}
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "SELECT t.latest_version, v.body, t.deleted_at FROM billing_tariffs t "
                "JOIN billing_tariff_versions v ON v.tariff_id = t.id AND v.version = t.latest_version "
                "WHERE t.id = $1 FOR UPDATE OF t",
                tariff_id,
            )
            if row is not None and row["deleted_at"] is None:
                latest = orjson.loads(row["body"])
                latest.pop("last_updated", None)
                if latest == comparable:
                    return await self.get(tariff_id, conn=conn), False
            version = 1 if row is None else row["latest_version"] + 1
            if row is None:
                await conn.execute("INSERT INTO billing_tariffs (id, latest_version) VALUES ($1, 1)", tariff_id)
            else:
                await conn.execute(
                    "UPDATE billing_tariffs SET latest_version = $2, deleted_at = NULL WHERE id = $1",
                    tariff_id,
                    version,
                )
            await conn.execute(
                "INSERT INTO billing_tariff_versions (tariff_id, version, body, created_at, created_by) "
                "VALUES ($1, $2, $3, $4, $5)",
                tariff_id,
                version,
                orjson.dumps(tariff.ocpi()).decode(),
                now,
                actor,
            )
            await emit(conn, "tariff.updated", {"tariff_id": tariff_id, "version": version})
            return await self.get(tariff_id, conn=conn), True

    async def get(self, tariff_id: str, version: int = 0, *, conn: Any = None) -> TariffVersion:
        db = conn or self.pool
        row = await db.fetchrow(
            "SELECT v.body, v.version, v.created_at, t.deleted_at FROM billing_tariffs t "
            "JOIN billing_tariff_versions v ON v.tariff_id = t.id "
            "AND v.version = CASE WHEN $2 > 0 THEN $2 ELSE t.latest_version END WHERE t.id = $1",
            tariff_id,
            version,
        )
        if row is None:
            raise NotFound(f"tariff {tariff_id!r}" + (f" version {version}" if version else "") + " not found")
        return _version(row)

    async def latest(self, after: str, limit: int) -> list[TariffVersion]:
        rows = await self.pool.fetch(
            "SELECT v.body, v.version, v.created_at, t.deleted_at FROM billing_tariffs t "
            "JOIN billing_tariff_versions v ON v.tariff_id = t.id AND v.version = t.latest_version "
            "WHERE t.deleted_at IS NULL AND t.id > $1 ORDER BY t.id LIMIT $2",
            after,
            limit,
        )
        return [_version(r) for r in rows]

    async def delete(self, tariff_id: str) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            done = await conn.execute(
                "UPDATE billing_tariffs SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL", tariff_id
            )
            if done.endswith(" 1"):
                await emit(conn, "tariff.deleted", {"tariff_id": tariff_id})
                return True
            return False

    async def version_at(self, tariff_id: str, moment: datetime) -> TariffVersion | None:
        """The version in force at `moment`: the last one created before it. A session that
        started before the tariff's first version (an offline charger's old clock, a tariff
        assigned after the fact) gets the first version. None if the tariff is deleted."""
        row = await self.pool.fetchrow(
            "SELECT v.body, v.version, v.created_at, t.deleted_at FROM billing_tariffs t "
            "JOIN billing_tariff_versions v ON v.tariff_id = t.id "
            "WHERE t.id = $1 AND t.deleted_at IS NULL "
            "ORDER BY (v.created_at <= $2) DESC, CASE WHEN v.created_at <= $2 THEN -v.version ELSE v.version END "
            "LIMIT 1",
            tariff_id,
            moment,
        )
        return None if row is None else _version(row)

    # Assignments.

    async def assign(self, a: Assignment) -> Assignment:
        try:
            validate(a)
        except ValueError as exc:
            raise InvalidArgument(str(exc)) from None
        a = normalized(a)
        try:
            await self.pool.execute(
                "INSERT INTO billing_tariff_assignments (scope, site_id, charge_point_id, evse_id, id_token_group, "
                "tariff_id) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ON CONSTRAINT billing_assignment_key "
                "DO UPDATE SET tariff_id = EXCLUDED.tariff_id, updated_at = now()",
                *a.key(),
                a.tariff_id,
            )
        except asyncpg.ForeignKeyViolationError:
            raise NotFound(f"tariff {a.tariff_id!r} not found") from None
        return a

    async def unassign(self, a: Assignment) -> bool:
        a = normalized(a)
        done = await self.pool.execute(
            "DELETE FROM billing_tariff_assignments WHERE scope = $1 AND site_id = $2 AND charge_point_id = $3 "
            "AND evse_id = $4 AND id_token_group = $5",
            *a.key(),
        )
        return bool(done.endswith(" 1"))

    async def assignments(self) -> list[Assignment]:
        rows = await self.pool.fetch(
            "SELECT scope, site_id, charge_point_id, evse_id, id_token_group, tariff_id "
            "FROM billing_tariff_assignments ORDER BY scope, site_id, charge_point_id, evse_id, id_token_group"
        )
        return [
            Assignment(
                Scope(r["scope"]), r["tariff_id"], r["site_id"], r["charge_point_id"], r["evse_id"], r["id_token_group"]
            )
            for r in rows
        ]

    async def resolve(
        self, site_id: str, cp: str, evse: int, group: str, started_at: datetime
    ) -> tuple[TariffVersion | None, Assignment | None]:
        """The most specific assignment whose tariff had a version at `started_at` that
        OCPI-validity covers it (start_date_time/end_date_time); None: no tariff applies."""
        for a in ranked(await self.assignments(), site_id, cp, evse, group):
            version = await self.version_at(a.tariff_id, started_at)
            if version is not None and version.tariff.in_force_at(started_at):
                return version, a
        return None, None

    # Sites and pinned sessions.

    async def upsert_site(self, site_id: str, time_zone: str, location: dict[str, Any]) -> None:
        if not site_id:
            raise InvalidArgument("site_id is required")
        zone(time_zone)
        await self.pool.execute(
            "INSERT INTO billing_sites (site_id, time_zone, location) VALUES ($1, $2, $3) ON CONFLICT (site_id) "
            "DO UPDATE SET time_zone = EXCLUDED.time_zone, location = EXCLUDED.location, updated_at = now()",
            site_id,
            time_zone,
            orjson.dumps(location).decode(),
        )

    async def site(self, site_id: str) -> tuple[str, dict[str, Any]]:
        row = await self.pool.fetchrow("SELECT time_zone, location FROM billing_sites WHERE site_id = $1", site_id)
        if row is None:
            return self.settings.billing_time_zone, {}
        return row["time_zone"], orjson.loads(row["location"])

    async def pinned(self, transaction_id: str) -> tuple[TariffVersion | None, str] | None:
        row = await self.pool.fetchrow(
            "SELECT tariff_id, version, time_zone FROM billing_session_tariffs WHERE transaction_id = $1",
            transaction_id,
        )
        if row is None:
            return None
        if row["tariff_id"] is None:
            return None, row["time_zone"]
        return await self.get(row["tariff_id"], row["version"]), row["time_zone"]

    async def pin(self, transaction_id: str, version: TariffVersion | None, time_zone: str) -> None:
        """First sight wins: a session keeps the version it was first priced with."""
        await self.pool.execute(
            "INSERT INTO billing_session_tariffs (transaction_id, tariff_id, version, time_zone) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (transaction_id) DO NOTHING",
            transaction_id,
            None if version is None else version.tariff.id,
            None if version is None else version.version,
            time_zone,
        )
