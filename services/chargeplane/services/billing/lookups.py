"""What pricing a batch of ended sessions needs from the database, read in a few set-based
queries instead of several per session: pinned tariff versions, assignments, the versions
of the tariffs they name, sites (time zone, CDR location) and contracts of id tokens.

Tariff versions are immutable (a trigger refuses UPDATE and DELETE), so a parsed version is
cached for the life of the process; only which versions exist and whether their tariff was
deleted is read per batch. The resolution rules are TariffStore's (pinned version first,
else the most specific assignment whose version in force at the session start covers it).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from chargeplane.config import Settings
from chargeplane.domain.billing.assignment import Assignment, Scope, ranked
from chargeplane.domain.billing.tariff import Tariff
from chargeplane.pb.billing.v1 import billing_pb2 as pb
from chargeplane.rpc.errors import NotFound

from .tariffs import TariffVersion

_CACHE_SIZE = 1024


class VersionCache:
    """Parsed tariff versions (the Tariff and its creation time) by (tariff id, version),
    least recently used dropped first."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self.size = size
        self.parsed: OrderedDict[tuple[str, int], tuple[Tariff, datetime]] = OrderedDict()

    def get(self, key: tuple[str, int]) -> tuple[Tariff, datetime] | None:
        found = self.parsed.get(key)
        if found is not None:
            self.parsed.move_to_end(key)
        return found

    def put(self, key: tuple[str, int], value: tuple[Tariff, datetime]) -> None:
        self.parsed[key] = value
        while len(self.parsed) > self.size:
            self.parsed.popitem(last=False)


@dataclass(frozen=True, slots=True)
class _Version:
    version: int
    created_at: datetime


@dataclass
class Lookups:
    settings: Settings
    pinned: dict[str, tuple[str | None, int | None, str]] = field(default_factory=dict)
    sites: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    assignments: list[Assignment] = field(default_factory=list)
    versions: dict[str, list[_Version]] = field(default_factory=dict)  # live (not deleted) tariffs
    tariffs: dict[tuple[str, int], TariffVersion] = field(default_factory=dict)
    contracts: dict[str, str] = field(default_factory=dict)  # id token -> contract id

    def site(self, site_id: str) -> tuple[str, dict[str, Any]]:
        if not site_id:
            return self.settings.billing_time_zone, {}
        return self.sites.get(site_id, (self.settings.billing_time_zone, {}))

    def version_at(self, tariff_id: str, moment: datetime) -> TariffVersion | None:
        """TariffStore.version_at: the last version created at or before `moment`, else
        the first one; None for a deleted tariff."""
        versions = self.versions.get(tariff_id)
        if not versions:
            return None
        before = [v for v in versions if v.created_at <= moment]
        chosen = max(before, key=lambda v: v.version) if before else min(versions, key=lambda v: v.version)
        return self.tariffs[(tariff_id, chosen.version)]

    def tariff_for(self, s: pb.Session, started_at: datetime) -> tuple[TariffVersion | None, str]:
        """pricing.tariff_for, from what was loaded."""
        pin = self.pinned.get(s.transaction_id)
        if pin is not None:
            tariff_id, version, zone = pin
            if tariff_id is None or version is None:
                return None, zone
            found = self.tariffs.get((tariff_id, version))
            if found is None:
                raise NotFound(f"tariff {tariff_id!r} version {version} not found")
            return found, zone
        site_zone, _ = self.site(s.site_id)
        for a in ranked(self.assignments, s.site_id, s.charge_point_id, s.evse_id, s.id_token_group):
            v = self.version_at(a.tariff_id, started_at)
            if v is not None and v.tariff.in_force_at(started_at):
                return v, s.time_zone or site_zone
        return None, s.time_zone or site_zone

    def contract(self, s: pb.Session) -> str:
        return s.contract_id or self.contracts.get(s.id_token, "")


async def load(conn: Any, cache: VersionCache, settings: Settings, sessions: Sequence[pb.Session]) -> Lookups:
    out = Lookups(settings)
    tx_ids = [s.transaction_id for s in sessions]
    for r in await conn.fetch(
        "SELECT transaction_id, tariff_id, version, time_zone FROM billing_session_tariffs "
        "WHERE transaction_id = ANY ($1::text[])",
        tx_ids,
    ):
        out.pinned[r["transaction_id"]] = (r["tariff_id"], r["version"], r["time_zone"])
    site_ids = sorted({s.site_id for s in sessions if s.site_id})
    if site_ids:
        for r in await conn.fetch(
            "SELECT site_id, time_zone, location FROM billing_sites WHERE site_id = ANY ($1::text[])", site_ids
        ):
            out.sites[r["site_id"]] = (r["time_zone"], orjson.loads(r["location"]))
    unpinned = [s for s in sessions if s.transaction_id not in out.pinned]
    if unpinned:
        rows = await conn.fetch(
            "SELECT scope, site_id, charge_point_id, evse_id, id_token_group, tariff_id "
            "FROM billing_tariff_assignments WHERE scope = 'default' "
            "OR (scope = 'site' AND site_id = ANY ($1::text[])) OR charge_point_id = ANY ($2::text[])",
            site_ids,
            sorted({s.charge_point_id for s in unpinned}),
        )
        out.assignments = [
            Assignment(
                Scope(r["scope"]), r["tariff_id"], r["site_id"], r["charge_point_id"], r["evse_id"], r["id_token_group"]
            )
            for r in rows
        ]
    wanted = {a.tariff_id for a in out.assignments}
    pinned_versions = {(t, v) for t, v, _ in out.pinned.values() if t is not None and v is not None}
    if wanted:
        for r in await conn.fetch(
            "SELECT v.tariff_id, v.version, v.created_at FROM billing_tariffs t "
            "JOIN billing_tariff_versions v ON v.tariff_id = t.id "
            "WHERE t.id = ANY ($1::text[]) AND t.deleted_at IS NULL",
            sorted(wanted),
        ):
            out.versions.setdefault(r["tariff_id"], []).append(_Version(r["version"], r["created_at"]))
    await _parse_versions(conn, cache, out, pinned_versions)
    tokens = sorted({s.id_token for s in sessions if s.id_token and not s.contract_id})
    if tokens:
        for r in await conn.fetch(
            "SELECT contract_id, id_tokens FROM billing_contracts WHERE id_tokens && $1::text[] "
            "ORDER BY contract_id DESC",
            tokens,
        ):
            for token in r["id_tokens"]:
                out.contracts[token] = r["contract_id"]  # descending: the smallest id wins, as before
    return out


async def _parse_versions(conn: Any, cache: VersionCache, out: Lookups, pinned: set[tuple[str, int]]) -> None:
    """Every version a session of the batch may be priced with, parsed (from the cache)."""
    keys = {(tariff_id, v.version) for tariff_id, versions in out.versions.items() for v in versions} | pinned
    missing = sorted(k for k in keys if cache.get(k) is None)
    if missing:
        for r in await conn.fetch(
            "SELECT v.tariff_id, v.version, v.created_at, v.body FROM billing_tariff_versions v "
            "JOIN unnest($1::text[], $2::int[]) AS k(tariff_id, version) "
            "ON v.tariff_id = k.tariff_id AND v.version = k.version",
            [k[0] for k in missing],
            [k[1] for k in missing],
        ):
            cache.put((r["tariff_id"], r["version"]), (Tariff.model_validate(orjson.loads(r["body"])), r["created_at"]))
    for key in keys:
        found = cache.get(key)
        if found is not None:
            out.tariffs[key] = TariffVersion(found[0], key[1], found[1])
