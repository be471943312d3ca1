"""Smart-charging state in PostgreSQL (system of record, history) and Redis (active profiles).

Redis holds each charger's active profile set as a hash `sc:profiles:<cpId>` (profile id ->
JSON), written after every commit; losing it loses nothing: `load_active` rebuilds it from
the rows with `cleared_at IS NULL`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import asyncpg
import orjson
from redis.asyncio import Redis

from chargeplane.domain.smartcharging import ChargingProfile

__all__ = ["ActiveProfile", "PushRow", "Store"]


@dataclass(frozen=True, slots=True)
class ActiveProfile:
    charge_point_id: str
    evse_id: int
    profile: ChargingProfile
    source: str
    installed_at: datetime
    cleared_at: datetime | None = None
    cleared_reason: str | None = None


@dataclass(frozen=True, slots=True)
class PushRow:
    id: int
    charge_point_id: str
    evse_id: int
    action: str
    profile_id: int | None
    source: str
    status: str
    detail: str | None
    requested_at: datetime
    answered_at: datetime | None


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _profile_json(profile: ChargingProfile) -> str:
    return profile.model_dump_json(exclude_none=True)


def _active(row: Any) -> ActiveProfile:
    return ActiveProfile(
        row["charge_point_id"],
        row["evse_id"],
        ChargingProfile.model_validate_json(row["profile"]),
        row["source"],
        row["installed_at"],
        row["cleared_at"],
        row["cleared_reason"],
    )


def _push(row: Any) -> PushRow:
    return PushRow(
        row["id"],
        row["charge_point_id"],
        row["evse_id"],
        row["action"],
        row["profile_id"],
        row["source"],
        row["status"],
        row["detail"],
        row["requested_at"],
        row["answered_at"],
    )


class Store:
    def __init__(self, pool: asyncpg.Pool, redis: Redis) -> None:
        self.pool = pool
        self.redis = redis

    # -- sites, chargers, sessions, external limits ------------------------------------

    async def put_site(self, site_id: str, settings: dict[str, Any]) -> None:
        await self.pool.execute(
            "INSERT INTO sc_sites (id, settings) VALUES ($1, $2::jsonb) "
            "ON CONFLICT (id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = now()",
            site_id,
            _dumps(settings),
        )

    async def sites(self) -> dict[str, dict[str, Any]]:
        rows = await self.pool.fetch("SELECT id, settings FROM sc_sites")
        return {r["id"]: orjson.loads(r["settings"]) for r in rows}

    async def put_charger(self, cp: str, site_id: str | None, protocol: str, evses: list[dict[str, Any]]) -> None:
        await self.pool.execute(
            "INSERT INTO sc_chargers (charge_point_id, site_id, protocol, evses) VALUES ($1, $2, $3, $4::jsonb) "
            "ON CONFLICT (charge_point_id) DO UPDATE SET site_id = EXCLUDED.site_id, protocol = EXCLUDED.protocol, "
            "evses = EXCLUDED.evses, updated_at = now()",
            cp,
            site_id,
            protocol,
            _dumps(evses),
        )

    async def set_online(self, cp: str, online: bool) -> None:
        await self.pool.execute(
            "UPDATE sc_chargers SET online = $2, updated_at = now() WHERE charge_point_id = $1", cp, online
        )

    async def chargers(self) -> list[Any]:
        return list(await self.pool.fetch("SELECT charge_point_id, site_id, protocol, evses, online FROM sc_chargers"))

    async def start_session(self, cp: str, tx: str, evse_id: int, started_at: datetime, needs: dict[str, Any]) -> None:
        await self.pool.execute(
            "INSERT INTO sc_sessions (charge_point_id, transaction_id, evse_id, started_at, needs) "
            "VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (charge_point_id, transaction_id) DO UPDATE "
            "SET needs = sc_sessions.needs || EXCLUDED.needs",
            cp,
            tx,
            evse_id,
            started_at,
            _dumps(needs),
        )

    async def end_session(self, cp: str, tx: str, ended_at: datetime) -> None:
        await self.pool.execute(
            "UPDATE sc_sessions SET ended_at = $3 WHERE charge_point_id = $1 AND transaction_id = $2 "
            "AND ended_at IS NULL",
            cp,
            tx,
            ended_at,
        )

    async def active_sessions(self) -> list[Any]:
        return list(
            await self.pool.fetch(
                "SELECT charge_point_id, transaction_id, evse_id, started_at, needs FROM sc_sessions "
                "WHERE ended_at IS NULL"
            )
        )

    async def put_external(self, site_id: str, source: str, steps: list[dict[str, Any]]) -> None:
        await self.pool.execute(
            "INSERT INTO sc_external_limits (site_id, source, steps) VALUES ($1, $2, $3::jsonb) "
            "ON CONFLICT (site_id, source) DO UPDATE SET steps = EXCLUDED.steps, updated_at = now()",
            site_id,
            source,
            _dumps(steps),
        )

    async def external(self) -> list[Any]:
        return list(await self.pool.fetch("SELECT site_id, source, steps, updated_at FROM sc_external_limits"))

    # -- profiles ----------------------------------------------------------------------

    async def install(
        self,
        cp: str,
        evse_id: int,
        profile: ChargingProfile,
        source: str,
        replaced: Sequence[int],
        at: datetime,
    ) -> None:
        """Record that the charger holds `profile` (and dropped the `replaced` profile ids)."""
        async with self.pool.acquire() as conn, conn.transaction():
            if replaced:
                await conn.execute(
                    "UPDATE sc_profiles SET cleared_at = $3, cleared_reason = 'replaced' "
                    "WHERE charge_point_id = $1 AND profile_id = ANY($2::int[]) AND cleared_at IS NULL",
                    cp,
                    list(replaced),
                    at,
                )
            await conn.execute(
                "INSERT INTO sc_profiles (charge_point_id, evse_id, profile_id, purpose, stack_level, "
                "transaction_id, source, profile, installed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)",
                cp,
                evse_id,
                profile.id,
                profile.purpose.value,
                profile.stack_level,
                profile.transaction_id,
                source,
                _profile_json(profile),
                at,
            )
        pipe = self.redis.pipeline(transaction=True)
        if replaced:
            pipe.hdel(f"sc:profiles:{cp}", *[str(i) for i in replaced])
        pipe.hset(
            f"sc:profiles:{cp}",
            str(profile.id),
            _dumps(
                {
                    "evse_id": evse_id,
                    "source": source,
                    "installed_at": at.isoformat(),
                    "profile": profile.model_dump(mode="json", exclude_none=True),
                }
            ),
        )
        await pipe.execute()

    async def clear(self, cp: str, profile_ids: Sequence[int], reason: str, at: datetime) -> None:
        if not profile_ids:
            return
        await self.pool.execute(
            "UPDATE sc_profiles SET cleared_at = $3, cleared_reason = $4 "
            "WHERE charge_point_id = $1 AND profile_id = ANY($2::int[]) AND cleared_at IS NULL",
            cp,
            list(profile_ids),
            at,
            reason,
        )
        await self.redis.hdel(f"sc:profiles:{cp}", *[str(i) for i in profile_ids])

    async def load_active(self) -> list[ActiveProfile]:
        """Every active profile, from PostgreSQL; refreshes the Redis cache."""
        rows = await self.pool.fetch(
            "SELECT charge_point_id, evse_id, source, profile::text AS profile, installed_at, cleared_at, "
            "cleared_reason FROM sc_profiles WHERE cleared_at IS NULL ORDER BY seq"
        )
        out = [_active(r) for r in rows]
        by_cp: dict[str, dict[str, str]] = {}
        for a in out:
            by_cp.setdefault(a.charge_point_id, {})[str(a.profile.id)] = _dumps(
                {
                    "evse_id": a.evse_id,
                    "source": a.source,
                    "installed_at": a.installed_at.isoformat(),
                    "profile": a.profile.model_dump(mode="json", exclude_none=True),
                }
            )
        pipe = self.redis.pipeline(transaction=False)
        for cp, mapping in by_cp.items():
            pipe.delete(f"sc:profiles:{cp}")
            pipe.hset(f"sc:profiles:{cp}", mapping=cast(Any, mapping))
        await pipe.execute()
        return out

    async def active_from_cache(self, cp: str) -> list[ActiveProfile]:
        raw = await self.redis.hgetall(f"sc:profiles:{cp}")
        out = []
        for value in raw.values():
            data = orjson.loads(value)
            out.append(
                ActiveProfile(
                    cp,
                    data["evse_id"],
                    ChargingProfile.model_validate(data["profile"]),
                    data["source"],
                    datetime.fromisoformat(data["installed_at"]),
                )
            )
        return out

    async def history(self, cp: str, limit: int = 500) -> list[ActiveProfile]:
        rows = await self.pool.fetch(
            "SELECT charge_point_id, evse_id, source, profile::text AS profile, installed_at, cleared_at, "
            "cleared_reason FROM sc_profiles WHERE charge_point_id = $1 ORDER BY seq DESC LIMIT $2",
            cp,
            limit,
        )
        return [_active(r) for r in rows]

    # -- pushes ------------------------------------------------------------------------

    async def new_push(
        self, cp: str, evse_id: int, action: str, profile_id: int | None, source: str, payload: dict[str, Any]
    ) -> int:
        value = await self.pool.fetchval(
            "INSERT INTO sc_pushes (charge_point_id, evse_id, action, profile_id, source, payload) "
            "VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING id",
            cp,
            evse_id,
            action,
            profile_id,
            source,
            _dumps(payload),
        )
        return int(value)

    async def answer_push(self, push_id: int, status: str, detail: str | None) -> PushRow:
        row = await self.pool.fetchrow(
            "UPDATE sc_pushes SET status = $2, detail = $3, answered_at = now() WHERE id = $1 "
            "RETURNING id, charge_point_id, evse_id, action, profile_id, source, status, detail, requested_at, "
            "answered_at",
            push_id,
            status,
            detail,
        )
        return _push(row)

    async def pushes(self, cp: str, limit: int) -> list[PushRow]:
        rows = await self.pool.fetch(
            "SELECT id, charge_point_id, evse_id, action, profile_id, source, status, detail, requested_at, "
            "answered_at FROM sc_pushes WHERE charge_point_id = $1 ORDER BY id DESC LIMIT $2",
            cp,
            limit,
        )
        return [_push(r) for r in rows]
