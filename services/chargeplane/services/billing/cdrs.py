"""CDRs: issued once per transaction, numbered gap-free per CPO, never changed.

Exactly one CDR per ended transaction: a partial unique index allows one `original` CDR
per transaction id, and every transaction that numbers CDRs (the batch issuer, issuer.py,
and a repricing here) holds the CPO's counter row until it commits, so issuers are
serialised: a later one finds the earlier one's CDR, and a rollback returns the numbers it
took (no gap).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from chargeplane.config import Settings
from chargeplane.domain.billing.cdr import Cdr
from chargeplane.domain.billing.cdr_builder import build_cdr, credit_cdr, vat_lines
from chargeplane.pb.billing.v1 import billing_pb2 as pb
from chargeplane.rpc.errors import InvalidArgument, NotFound

from .convert import info_of, location_of, session_from_json, session_json, session_of, ts
from .issuer import COLUMNS, CdrIssuer, Issued
from .metrics import CDRS_ISSUED
from .outbox import emit
from .pricing import Priced, run
from .tariffs import TariffStore, zone


def cdr_pb(r: Any) -> pb.Cdr:
    return pb.Cdr(
        id=r["id"],
        number=r["number"],
        transaction_id=r["transaction_id"],
        kind=r["kind"],
        credit_reference_id=r["credit_reference_id"] or "",
        charge_point_id=r["charge_point_id"],
        tariff_id=r["tariff_id"] or "",
        tariff_version=r["tariff_version"] or 0,
        currency=r["currency"],
        total_cost=pb.Price(
            excl_vat=str(r["total_excl_vat"]),
            incl_vat="" if r["total_incl_vat"] is None else str(r["total_incl_vat"]),
        ),
        ocpi_json=r["body"],
        created_at=ts(r["created_at"]),
    )


class CdrStore:
    def __init__(self, pool: asyncpg.Pool, tariffs: TariffStore, settings: Settings) -> None:
        self.pool = pool
        self.tariffs = tariffs
        self.settings = settings
        self.series = f"cdr:{settings.billing_country_code}:{settings.billing_party_id}"
        self.issuer = CdrIssuer(pool, settings)

    async def issue(self, s: pb.Session) -> Issued:
        """The CDR of an ended transaction: the existing one, or a new one (issuer.py)."""
        return await self.issuer.issue(s)

    async def _next_number(self, conn: Any) -> int:
        """Take the next CDR number; the row lock is held until this transaction ends."""
        await conn.execute("INSERT INTO billing_counters (series) VALUES ($1) ON CONFLICT DO NOTHING", self.series)
        number: int = await conn.fetchval(
            "UPDATE billing_counters SET next_no = next_no + 1 WHERE series = $1 RETURNING next_no - 1", self.series
        )
        return number

    def _build(self, cdr_id: str, s: pb.Session, p: Priced, site: dict[str, Any], contract: str, now: datetime) -> Cdr:
        info = info_of(s, location_of(s, site, self.settings), contract)
        return build_cdr(
            cdr_id=cdr_id,
            country_code=self.settings.billing_country_code,
            party_id=self.settings.billing_party_id,
            info=info,
            session=p.session,
            pricing=p.pricing,
            tariff=p.tariff,
            issued_at=now,
        )

    async def _insert(
        self, conn: Any, cdr: Cdr, number: int, kind: str, s: pb.Session, p: Priced, contract: str
    ) -> Any:
        total = cdr.total_cost
        return await conn.fetchrow(
            "INSERT INTO billing_cdrs (id, number, country_code, party_id, kind, transaction_id, charge_point_id, "
            "site_id, contract_id, credit_reference_id, tariff_id, tariff_version, currency, total_excl_vat, "
            "total_incl_vat, start_date_time, end_date_time, body, session, vat_lines, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) "
            f"RETURNING {COLUMNS}",
            cdr.id,
            number,
            cdr.country_code,
            cdr.party_id,
            kind,
            s.transaction_id,
            s.charge_point_id,
            s.site_id,
            contract,
            cdr.credit_reference_id,
            None if p.version is None else p.version.tariff.id,
            None if p.version is None else p.version.version,
            cdr.currency,
            total.excl_vat,
            total.incl_vat,
            cdr.start_date_time,
            cdr.end_date_time,
            orjson.dumps(cdr.ocpi()).decode(),
            orjson.dumps({**session_json(s), "time_zone": p.time_zone}).decode(),
            orjson.dumps(vat_lines(p.pricing) if not cdr.credit else []).decode(),
            cdr.last_updated,
        )

    async def get(self, cdr_id: str) -> Any:
        row = await self.pool.fetchrow(f"SELECT {COLUMNS} FROM billing_cdrs WHERE id = $1", cdr_id)
        if row is None:
            raise NotFound(f"CDR {cdr_id!r} not found")
        return row

    async def list(
        self, transaction_id: str, cp: str, ended_from: datetime | None, ended_to: datetime | None,
        after: tuple[datetime, str] | None, limit: int,
    ) -> list[Any]:  # fmt: skip
        where: list[str] = []
        args: list[Any] = []
        for clause, value in (
            ("transaction_id = ${}", transaction_id or None),
            ("charge_point_id = ${}", cp or None),
            ("end_date_time >= ${}", ended_from),
            ("end_date_time < ${}", ended_to),
        ):
            if value is not None:
                args.append(value)
                where.append(clause.format(len(args)))
        if after is not None:
            args.extend(after)
            where.append(f"(end_date_time, id) < (${len(args) - 1}, ${len(args)})")
        args.append(limit)
        sql = f"SELECT {COLUMNS}, end_date_time FROM billing_cdrs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return list(await self.pool.fetch(sql + f" ORDER BY end_date_time DESC, id DESC LIMIT ${len(args)}", *args))

    async def reprice(self, cdr_id: str, tariff_id: str, version: int, reason: str, actor: str) -> tuple[Any, Any]:
        """Credit CDR + replacement CDR priced with another tariff version, audited."""
        if not reason or not actor:
            raise InvalidArgument("a repricing needs a reason and an actor (it is audited)")
        async with self.pool.acquire() as conn, conn.transaction():
            number = await self._next_number(conn)  # serialises with issuers and other repricings
            row = await conn.fetchrow(
                "SELECT c.*, EXISTS (SELECT 1 FROM billing_cdrs x WHERE x.credit_reference_id = c.id) AS credited "
                "FROM billing_cdrs c WHERE c.id = $1",
                cdr_id,
            )
            if row is None:
                raise NotFound(f"CDR {cdr_id!r} not found")
            if row["kind"] == "credit" or row["credited"]:
                raise InvalidArgument(f"CDR {cdr_id!r} is a credit or was already credited; reprice its replacement")
            tariff = await self.tariffs.get(tariff_id or row["tariff_id"] or "", version)
            stored = orjson.loads(row["session"])
            tz_name = stored.pop("time_zone", self.settings.billing_time_zone)
            s = session_from_json(stored)
            session = session_of(s, require_end=True)
            p = Priced(session, tariff, tz_name, run(session, tariff, zone(tz_name)))
            now = datetime.now(UTC)
            original = Cdr.model_validate_json(row["body"])
            credit = credit_cdr(original, f"{original.id}-C", now)
            credit_row = await self._insert(conn, credit, number, "credit", s, p, row["contract_id"])
            replacement_no = await self._next_number(conn)
            site_id = s.site_id
            _, site = await self.tariffs.site(site_id) if site_id else ("", {})
            new = self._build(f"CDR{replacement_no:010d}", s, p, site, row["contract_id"], now)
            new_row = await self._insert(conn, new, replacement_no, "replacement", s, p, row["contract_id"])
            await conn.execute(
                "INSERT INTO billing_audit (action, actor, reason, details) VALUES ('reprice', $1, $2, $3)",
                actor,
                reason,
                orjson.dumps(
                    {
                        "cdr": cdr_id,
                        "credit": credit.id,
                        "replacement": new.id,
                        "from": [row["tariff_id"], row["tariff_version"]],
                        "to": [tariff.tariff.id, tariff.version],
                    }
                ).decode(),
            )
            await emit(conn, "cdr.credited", {"cdr": credit.ocpi(), "transaction_id": s.transaction_id})
            await emit(conn, "cdr.issued", {"cdr": new.ocpi(), "transaction_id": s.transaction_id})
        CDRS_ISSUED.labels(kind="credit").inc()
        CDRS_ISSUED.labels(kind="replacement").inc()
        return credit_row, new_row
