"""Issuing CDRs in batches: one transaction numbers and stores every CDR that is waiting.

Why: CDR numbers are gap-free per CPO, so an issuing transaction holds the CPO's counter row
until it commits. Issued one per transaction, 1,000 sessions ending together wait for 1,000
commits (each a durable WAL flush) in a row. Instead, IssueCdr calls queue up here and one
drain task per process takes everything pending (up to MAX_BATCH) at once:
1. without a lock: a transaction that already has its CDR is answered with it; the others
   are looked up in a few set-based queries (lookups.py), priced and their CDRs built;
2. in ONE transaction: lock the counter row, find CDRs another process issued meanwhile
   for the batch's transactions, number the rest consecutively, insert them, their outbox
   events and payment captures, advance the counter, commit (one flush for the batch).
The guarantees stay: exactly one CDR per transaction (the recheck under the lock, duplicate
calls in a batch answered with the first one's CDR, the partial unique index as backstop);
gap-free numbers (taken under the lock; a rollback returns them all); the cdr.issued event
in the same transaction as its CDR. A batch that fails is retried one transaction at a time,
so one bad session fails alone. Nothing waits for a timer: a lone call is issued at once,
and the calls arriving meanwhile form the next batch.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from chargeplane.config import Settings
from chargeplane.domain.billing.cdr import Cdr
from chargeplane.domain.billing.cdr_builder import build_cdr, vat_lines
from chargeplane.pb.billing.v1 import billing_pb2 as pb

from .convert import info_of, location_of, session_json, session_of
from .lookups import Lookups, VersionCache, load
from .metrics import CDR_BATCH, CDRS_ISSUED
from .outbox import emit_many
from .pricing import run
from .tariffs import zone

MAX_BATCH = 256
_PLACEHOLDER_ID = "CDR0000000000"  # replaced by the number once taken
COLUMNS = (
    "id, number, kind, transaction_id, charge_point_id, credit_reference_id, tariff_id, tariff_version, currency, "
    "total_excl_vat, total_incl_vat, body, created_at"
)


@dataclass(frozen=True, slots=True)
class Issued:
    row: Any  # the CDR row (COLUMNS)
    created: bool


@dataclass(slots=True)
class _Request:
    session: pb.Session
    done: asyncio.Future[Issued]


@dataclass(slots=True)
class _Prepared:
    """A priced, built CDR waiting for its number; `requests`: the calls for its transaction."""

    requests: list[_Request]
    cdr: Cdr
    body: dict[str, Any]
    session: str  # the stored session (JSON), for repricing
    vat: str
    contract: str
    tariff_id: str | None
    tariff_version: int | None


def _resolve(requests: list[_Request], row: Any, created: bool) -> None:
    for i, r in enumerate(requests):
        if not r.done.done():
            r.done.set_result(Issued(row, created and i == 0))


def _fail(requests: list[_Request], exc: BaseException) -> None:
    for r in requests:
        if not r.done.done():
            r.done.set_exception(exc)


class CdrIssuer:
    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self.pool = pool
        self.settings = settings
        self.series = f"cdr:{settings.billing_country_code}:{settings.billing_party_id}"
        self.cache = VersionCache()
        self._queue: list[_Request] = []
        self._drainer: asyncio.Task[None] | None = None

    async def issue(self, s: pb.Session) -> Issued:
        """The CDR of an ended transaction: the existing one, or a new one."""
        loop = asyncio.get_running_loop()
        request = _Request(s, loop.create_future())
        request.done.add_done_callback(_retrieved)
        self._queue.append(request)
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        # Shielded: a caller that gives up does not cancel the others' batch.
        return await asyncio.shield(request.done)

    async def _drain(self) -> None:
        batch: list[_Request] = []
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                await self._issue(batch)
        finally:
            self._drainer = None
            # Only when cancelled (shutdown) is anything left unanswered.
            _fail(batch + self._queue, ConnectionError("billing CDR issuer stopped"))
            self._queue = []

    async def _issue(self, batch: list[_Request]) -> None:
        try:
            async with self.pool.acquire() as conn:
                groups = _by_transaction(batch)
                existing = await _existing(conn, list(groups))
                for tx_id, row in existing.items():
                    _resolve(groups.pop(tx_id), row, False)
                if not groups:
                    return
                lookups = await load(conn, self.cache, self.settings, [g[0].session for g in groups.values()])
                prepared = [p for g in groups.values() if (p := self._prepare(g, lookups)) is not None]
                if prepared:
                    await self._store(conn, prepared)
        except Exception as exc:  # noqa: BLE001 - handed to the waiting callers, not swallowed
            left = [r for r in batch if not r.done.done()]
            if len(_by_transaction(left)) <= 1:
                _fail(left, exc)
                return
            for group in _by_transaction(left).values():  # one at a time: only the bad one fails
                await self._issue(group)

    def _prepare(self, requests: list[_Request], lookups: Lookups) -> _Prepared | None:
        s = requests[0].session
        try:
            session = session_of(s, require_end=True)
            version, tz_name = lookups.tariff_for(s, session.started_at)
            pricing = run(session, version, zone(tz_name))
            _, site = lookups.site(s.site_id)
            contract = lookups.contract(s)
            tariff = None if version is None else version.tariff
            cdr = build_cdr(
                cdr_id=_PLACEHOLDER_ID,
                country_code=self.settings.billing_country_code,
                party_id=self.settings.billing_party_id,
                info=info_of(s, location_of(s, site, self.settings), contract),
                session=session,
                pricing=pricing,
                tariff=tariff,
                issued_at=datetime.now(UTC),
            )
        except Exception as exc:  # noqa: BLE001 - this call's error (e.g. InvalidArgument), raised to its caller
            _fail(requests, exc)
            return None
        return _Prepared(
            requests=requests,
            cdr=cdr,
            body=cdr.ocpi(),
            session=orjson.dumps({**session_json(s), "time_zone": tz_name}).decode(),
            vat=orjson.dumps(vat_lines(pricing)).decode(),
            contract=contract,
            tariff_id=None if version is None else version.tariff.id,
            tariff_version=None if version is None else version.version,
        )

    async def _store(self, conn: Any, prepared: list[_Prepared]) -> None:
        async with conn.transaction():
            number = await self._lock_counter(conn)
            # Issued by another process while this one priced: answered with theirs.
            raced = await _existing(conn, [p.requests[0].session.transaction_id for p in prepared])
            fresh = [p for p in prepared if p.requests[0].session.transaction_id not in raced]
            rows = [self._row(p, number + i) for i, p in enumerate(fresh)]
            if rows:
                stored = await _insert(conn, self.settings, rows)
                for r in rows:  # answer with the JSON as stored (and as GetCdr returns it)
                    r["body"] = stored[r["id"]]
                await emit_many(
                    conn, [("cdr.issued", {"cdr": r["ocpi"], "transaction_id": r["transaction_id"]}) for r in rows]
                )
                await _capture_payments(conn, rows)
                await conn.execute(
                    "UPDATE billing_counters SET next_no = $2 WHERE series = $1", self.series, number + len(rows)
                )
        for p in prepared:
            found = raced.get(p.requests[0].session.transaction_id)
            if found is not None:
                _resolve(p.requests, found, False)
        for p, row in zip(fresh, rows, strict=True):
            _resolve(p.requests, row, True)
        CDRS_ISSUED.labels(kind="original").inc(len(rows))
        if rows:
            CDR_BATCH.observe(len(rows))

    async def _lock_counter(self, conn: Any) -> int:
        """The CPO's next CDR number; its row stays locked until the transaction ends."""
        sql = "SELECT next_no FROM billing_counters WHERE series = $1 FOR UPDATE"
        number = await conn.fetchval(sql, self.series)
        if number is None:
            await conn.execute("INSERT INTO billing_counters (series) VALUES ($1) ON CONFLICT DO NOTHING", self.series)
            number = await conn.fetchval(sql, self.series)
        return int(number)

    def _row(self, p: _Prepared, number: int) -> dict[str, Any]:
        cdr_id = f"CDR{number:010d}"
        body = {**p.body, "id": cdr_id}
        s = p.requests[0].session
        total = p.cdr.total_cost
        return {
            "id": cdr_id,
            "number": number,
            "kind": "original",
            "transaction_id": s.transaction_id,
            "charge_point_id": s.charge_point_id,
            "site_id": s.site_id,
            "contract_id": p.contract,
            "credit_reference_id": None,
            "tariff_id": p.tariff_id,
            "tariff_version": p.tariff_version,
            "currency": p.cdr.currency,
            "total_excl_vat": total.excl_vat,
            "total_incl_vat": total.incl_vat,
            "start_date_time": p.cdr.start_date_time,
            "end_date_time": p.cdr.end_date_time,
            "ocpi": body,
            "body": orjson.dumps(body).decode(),
            "session": p.session,
            "vat_lines": p.vat,
            "created_at": p.cdr.last_updated,
        }


def _retrieved(done: asyncio.Future[Issued]) -> None:
    # A caller that gave up (its deadline passed) no longer awaits its future: its error
    # is read here so asyncio does not report it as never retrieved.
    if not done.cancelled():
        done.exception()


def _by_transaction(requests: list[_Request]) -> dict[str, list[_Request]]:
    """Requests per transaction id, in arrival order (the first one's session is issued)."""
    out: dict[str, list[_Request]] = {}
    for r in requests:
        out.setdefault(r.session.transaction_id, []).append(r)
    return out


async def _existing(conn: Any, transaction_ids: list[str]) -> dict[str, Any]:
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM billing_cdrs WHERE transaction_id = ANY ($1::text[]) AND kind = 'original'",
        transaction_ids,
    )
    return {r["transaction_id"]: r for r in rows}


async def _insert(conn: Any, settings: Settings, rows: list[dict[str, Any]]) -> dict[str, str]:
    """Insert the CDRs; returns each one's body as stored (jsonb text) by id."""

    def column(name: str) -> list[Any]:
        return [r[name] for r in rows]

    stored = await conn.fetch(
        "INSERT INTO billing_cdrs (id, number, country_code, party_id, kind, transaction_id, charge_point_id, "
        "site_id, contract_id, tariff_id, tariff_version, currency, total_excl_vat, total_incl_vat, "
        "start_date_time, end_date_time, body, session, vat_lines, created_at) "
        "SELECT x.id, x.number, $1, $2, 'original', x.tx, x.cp, x.site, x.contract, x.tariff_id, x.tariff_version, "
        "x.currency, x.excl, x.incl, x.start_at, x.end_at, x.body::jsonb, x.session::jsonb, x.vat::jsonb, x.created "
        "FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], "
        "$10::int[], $11::text[], $12::numeric[], $13::numeric[], $14::timestamptz[], $15::timestamptz[], "
        "$16::text[], $17::text[], $18::text[], $19::timestamptz[]) "
        "AS x(id, number, tx, cp, site, contract, tariff_id, tariff_version, currency, excl, incl, start_at, "
        "end_at, body, session, vat, created) RETURNING id, body",
        settings.billing_country_code,
        settings.billing_party_id,
        column("id"),
        column("number"),
        column("transaction_id"),
        column("charge_point_id"),
        column("site_id"),
        column("contract_id"),
        column("tariff_id"),
        column("tariff_version"),
        column("currency"),
        column("total_excl_vat"),
        column("total_incl_vat"),
        column("start_date_time"),
        column("end_date_time"),
        column("body"),
        column("session"),
        column("vat_lines"),
        column("created_at"),
    )
    return {r["id"]: r["body"] for r in stored}


async def _capture_payments(conn: Any, rows: list[dict[str, Any]]) -> None:
    """An authorised payment of a transaction is captured by the payment worker."""
    pending = []
    for r in rows:
        total = r["total_incl_vat"] if r["total_incl_vat"] is not None else r["total_excl_vat"]
        pending.append(orjson.dumps({"op": "capture", "amount": str(total), "cdr_id": r["id"]}).decode())
    await conn.execute(
        "UPDATE billing_payments p SET pending = x.pending::jsonb, status = 'capture_pending', "
        "next_attempt_at = now(), updated_at = now() "
        "FROM unnest($1::text[], $2::text[]) AS x(transaction_id, pending) "
        "WHERE p.transaction_id = x.transaction_id AND p.status = 'authorized'",
        [r["transaction_id"] for r in rows],
        pending,
    )
