"""Transactions in PostgreSQL: idempotent by constraints, one SQL transaction per message.

`synchronous_commit` stays on (the server default) for everything here: the answer to the
charger is an external action that must not outlive a crash of the database (TX-07).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from chargeplane.domain.energy import Reading, energy_wh
from chargeplane.domain.meter import ENERGY_REGISTER
from chargeplane.domain.transactions import (
    EventType,
    Flag,
    Sequence,
    StartTransaction16,
    StopOutcome,
    StopTransaction16,
    TransactionEvent,
    TxSnapshot,
    TxState,
    apply_event,
    start_flags,
    stop_flags,
)

_TX_COLUMNS = (
    "id, charge_point_id, protocol, transaction_ref, site, evse_id, connector_id, id_tag, auth_status, "
    "group_id, meter_start, meter_stop, energy_wh, started_at, stopped_at, stop_reason, state, "
    "charging_state, max_seq_no, missing_seq_nos, flags, stop_id_tag, created_at"
)

_START16 = """
    INSERT INTO transactions AS t (id, transaction_ref, charge_point_id, protocol, site, evse_id,
                                   connector_id, id_tag, auth_status, group_id, reservation_id,
                                   meter_start, started_at, flags)
    SELECT n.id, n.id::text, $1, 'ocpp1.6', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
    FROM (SELECT nextval('transaction_id_seq')::integer AS id) AS n
    ON CONFLICT (charge_point_id, evse_id, id_tag, meter_start, started_at) WHERE protocol = 'ocpp1.6'
    DO UPDATE SET updated_at = t.updated_at
    RETURNING id, (xmax = 0) AS created, auth_status, group_id
"""

_INSERT201 = """
    INSERT INTO transactions (id, transaction_ref, charge_point_id, protocol, site)
    SELECT nextval('transaction_id_seq')::integer, $2, $1, 'ocpp2.0.1', $3
    ON CONFLICT (charge_point_id, transaction_ref) DO NOTHING
    RETURNING id
"""

_ENERGY_READINGS = """
    SELECT ts, value FROM meter_values
    WHERE charge_point_id = $1 AND transaction_ref = $2 AND measurand = $3 AND base_unit = 'Wh'
      AND ts >= $4 AND ts <= $5 AND value IS NOT NULL
"""


@dataclass(frozen=True, slots=True)
class StartResult:
    transaction_id: int
    created: bool
    auth_status: str | None
    group_id: str | None


@dataclass(frozen=True, slots=True)
class StopResult:
    outcome: StopOutcome
    transaction_id: int
    flags: frozenset[str]
    id_tag: str | None  # the id tag of the transaction that ended (for the active set)
    ref: str | None


@dataclass(frozen=True, slots=True)
class EventResult:
    transaction_id: int
    duplicate: bool
    state: TxState
    gap: tuple[int, ...]
    flags: frozenset[str]
    id_tag: str | None
    ended_now: bool
    started_now: bool


class TransactionsRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    # ------------------------------------------------------------------ OCPP 1.6
    async def start16(
        self, start: StartTransaction16, *, site: str | None, auth_status: str, group_id: str | None, now: datetime
    ) -> StartResult:
        evse = start.connector_id  # 1.6 connector N is EVSE N, connector 1
        connector = 0 if start.connector_id == 0 else 1
        row: Any = await self.pool.fetchrow(
            _START16,
            start.charge_point_id,
            site,
            evse,
            connector,
            start.id_tag,
            auth_status,
            group_id,
            start.reservation_id,
            float(start.meter_start),
            start.timestamp,
            sorted(start_flags(start, now)),
        )
        return StartResult(row["id"], row["created"], row["auth_status"], row["group_id"])

    async def stop16(self, stop: StopTransaction16, payload: dict[str, Any], now: datetime) -> StopResult:
        async with self.pool.acquire() as conn, conn.transaction():
            row: Any = await conn.fetchrow(
                f"SELECT {_TX_COLUMNS} FROM transactions WHERE charge_point_id = $1 AND id = $2 "
                "AND protocol = 'ocpp1.6' FOR UPDATE",
                stop.charge_point_id,
                stop.transaction_id,
            )
            if row is not None:
                if row["state"] == TxState.ACTIVE:
                    flags = await self._end16(conn, row, stop, now, set())
                    return StopResult(StopOutcome.STOPPED, row["id"], flags, row["id_tag"], row["transaction_ref"])
                same = row["meter_stop"] == float(stop.meter_stop) and row["stopped_at"] == stop.timestamp
                if same:
                    return StopResult(StopOutcome.DUPLICATE, row["id"], frozenset(row["flags"]), None, None)
                await self._anomaly(conn, stop, payload, StopOutcome.CONFLICT, row["id"])
                await conn.execute(
                    "UPDATE transactions SET flags = array(SELECT DISTINCT unnest(flags || $2::text[])), "
                    "updated_at = now() WHERE id = $1",
                    row["id"],
                    [Flag.DUPLICATE_STOP_CONFLICT.value],
                )
                return StopResult(StopOutcome.CONFLICT, row["id"], frozenset(row["flags"]), None, None)
            # Not this charger's transaction (unknown, -1, a locally generated id, or another
            # charger's): answered anyway, recorded, reconciled when unambiguous.
            seen: Any = await conn.fetchrow(
                "SELECT outcome, matched_transaction_id FROM stop_anomalies "
                "WHERE charge_point_id = $1 AND transaction_id = $2 AND meter_stop = $3 AND timestamp = $4",
                stop.charge_point_id,
                stop.transaction_id,
                stop.meter_stop,
                stop.timestamp,
            )
            if seen is not None:
                return StopResult(StopOutcome.DUPLICATE, seen["matched_transaction_id"] or 0, frozenset(), None, None)
            candidates = await conn.fetch(
                f"SELECT {_TX_COLUMNS} FROM transactions WHERE charge_point_id = $1 AND state = 'Active' "
                "AND protocol = 'ocpp1.6' AND started_at <= $2 AND meter_start <= $3 FOR UPDATE",
                stop.charge_point_id,
                stop.timestamp,
                float(stop.meter_stop),
            )
            if stop.id_tag:
                candidates = [c for c in candidates if c["id_tag"] == stop.id_tag] or candidates
            if len(candidates) == 1:
                match = candidates[0]
                flags = await self._end16(conn, match, stop, now, {Flag.RECONCILED_STOP})
                await self._anomaly(conn, stop, payload, StopOutcome.RECONCILED, match["id"])
                return StopResult(StopOutcome.RECONCILED, match["id"], flags, match["id_tag"], match["transaction_ref"])
            await self._anomaly(conn, stop, payload, StopOutcome.UNKNOWN, None)
            return StopResult(StopOutcome.UNKNOWN, 0, frozenset(), None, None)

    async def _end16(
        self, conn: Any, row: Any, stop: StopTransaction16, now: datetime, extra: set[str]
    ) -> frozenset[str]:
        flags = set(row["flags"]) | extra | stop_flags(int(row["meter_start"]), stop, now)
        start = Reading(row["started_at"], float(row["meter_start"]))
        end = Reading(stop.timestamp, float(stop.meter_stop))
        readings = await conn.fetch(
            _ENERGY_READINGS,
            row["charge_point_id"],
            row["transaction_ref"],
            ENERGY_REGISTER,
            min(start.timestamp, end.timestamp),
            max(start.timestamp, end.timestamp),
        )
        energy = energy_wh((Reading(r["ts"], r["value"]) for r in readings), start=start, stop=end)
        await conn.execute(
            "UPDATE transactions SET state = 'Ended', meter_stop = $2, stopped_at = $3, stop_reason = $4, "
            "stop_id_tag = $5, energy_wh = $6, flags = $7, updated_at = now() WHERE id = $1",
            row["id"],
            float(stop.meter_stop),
            stop.timestamp,
            stop.reason or "Local",
            stop.id_tag,
            energy.wh,
            sorted(flags),
        )
        return frozenset(flags)

    async def _anomaly(
        self, conn: Any, stop: StopTransaction16, payload: dict[str, Any], outcome: StopOutcome, matched: int | None
    ) -> None:
        await conn.execute(
            "INSERT INTO stop_anomalies (charge_point_id, transaction_id, meter_stop, timestamp, id_tag, reason, "
            "outcome, matched_transaction_id, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) "
            "ON CONFLICT ON CONSTRAINT stop_anomalies_dedup_key DO NOTHING",
            stop.charge_point_id,
            stop.transaction_id,
            stop.meter_stop,
            stop.timestamp,
            stop.id_tag,
            stop.reason,
            outcome.value,
            matched,
            orjson.dumps(payload).decode(),
        )

    async def charger_booted(self, charge_point_id: str) -> list[tuple[int, str | None]]:
        """Flag the charger's open transactions (a stop queued offline may still come)."""
        rows = await self.pool.fetch(
            "UPDATE transactions SET flags = array(SELECT DISTINCT unnest(flags || $2::text[])), updated_at = now() "
            "WHERE charge_point_id = $1 AND state = 'Active' RETURNING id, id_tag",
            charge_point_id,
            [Flag.OPEN_AT_REBOOT.value],
        )
        return [(r["id"], r["id_tag"]) for r in rows]

    # ------------------------------------------------------------------ OCPP 2.0.1
    async def transaction_event(
        self, ev: TransactionEvent, *, site: str | None, auth_status: str | None, payload_json: str
    ) -> EventResult:
        async with self.pool.acquire() as conn, conn.transaction():
            select = (
                f"SELECT {_TX_COLUMNS} FROM transactions WHERE charge_point_id = $1 AND transaction_ref = $2 FOR UPDATE"
            )
            row: Any = await conn.fetchrow(select, ev.charge_point_id, ev.transaction_ref)
            fresh = False
            if row is None:
                # Select first, insert only when absent: Updated events must not burn sequence values.
                fresh = await conn.fetchval(_INSERT201, ev.charge_point_id, ev.transaction_ref, site) is not None
                row = await conn.fetchrow(select, ev.charge_point_id, ev.transaction_ref)
            inserted = await conn.fetchval(
                "INSERT INTO transaction_events (transaction_id, seq_no, event_type, trigger_reason, timestamp, "
                "offline, payload) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) "
                "ON CONFLICT (transaction_id, seq_no) DO NOTHING RETURNING true",
                row["id"],
                ev.seq_no,
                ev.event_type.value,
                ev.trigger_reason,
                ev.timestamp,
                ev.offline,
                payload_json,
            )
            if not inserted:
                return EventResult(
                    row["id"], True, TxState(row["state"]), (), frozenset(row["flags"]), None, False, False
                )
            before = _snapshot(row)
            after, verdict = apply_event(before, ev, fresh=fresh and row["max_seq_no"] is None)
            energy = row["energy_wh"]
            if after.state is TxState.ENDED and after.started_at is not None and after.stopped_at is not None:
                start = Reading(after.started_at, after.meter_start_wh) if after.meter_start_wh is not None else None
                stop = Reading(after.stopped_at, after.meter_stop_wh) if after.meter_stop_wh is not None else None
                readings = await conn.fetch(
                    _ENERGY_READINGS,
                    ev.charge_point_id,
                    ev.transaction_ref,
                    ENERGY_REGISTER,
                    after.started_at,
                    after.stopped_at,
                )
                energy = energy_wh((Reading(r["ts"], r["value"]) for r in readings), start=start, stop=stop).wh
            await conn.execute(
                "UPDATE transactions SET state = $2, charging_state = $3, started_at = $4, stopped_at = $5, "
                "stop_reason = $6, evse_id = $7, connector_id = $8, id_tag = $9, meter_start = $10, meter_stop = $11, "
                "max_seq_no = $12, missing_seq_nos = $13, flags = $14, energy_wh = $15, "
                "auth_status = COALESCE(auth_status, $16), id_token_type = COALESCE(id_token_type, $17), "
                "remote_start_id = COALESCE(remote_start_id, $18), updated_at = now() WHERE id = $1",
                row["id"],
                after.state.value,
                after.charging_state,
                after.started_at,
                after.stopped_at,
                after.stopped_reason,
                after.evse_id,
                after.connector_id,
                after.id_token,
                after.meter_start_wh,
                after.meter_stop_wh,
                after.sequence.max_seq,
                list(after.sequence.missing),
                sorted(after.flags),
                energy,
                auth_status,
                ev.id_token_type,
                ev.remote_start_id,
            )
            return EventResult(
                row["id"],
                False,
                after.state,
                verdict.gap,
                after.flags,
                after.id_token,
                ended_now=before.state is TxState.ACTIVE and after.state is TxState.ENDED,
                started_now=fresh and after.state is TxState.ACTIVE,
            )

    # ------------------------------------------------------------------ reads
    async def get(self, transaction_id: int) -> Any:
        return await self.pool.fetchrow(f"SELECT {_TX_COLUMNS} FROM transactions WHERE id = $1", transaction_id)

    async def series(self, tx: Any, limit: int) -> list[Any]:
        """The transaction's meter values. Bounded in time (samples may be stamped a little
        outside the transaction), so only the partitions of its days are read."""
        slack = timedelta(days=1)
        start = (tx["started_at"] or tx["created_at"]) - slack
        stop = (tx["stopped_at"] or datetime.now(UTC)) + slack
        return list(
            await self.pool.fetch(
                "SELECT * FROM meter_values WHERE charge_point_id = $1 AND transaction_ref = $2 "
                "AND ts >= $3 AND ts <= $4 ORDER BY ts, measurand, phase LIMIT $5",
                tx["charge_point_id"],
                tx["transaction_ref"],
                min(start, stop),
                max(start, stop),
                limit,
            )
        )

    async def list_transactions(
        self,
        *,
        after: tuple[datetime, int] | None,
        charge_point_id: str | None,
        id_tag: str | None,
        site: str | None,
        state: str | None,
        started_from: datetime | None,
        started_to: datetime | None,
        limit: int,
    ) -> list[Any]:
        where = ["started_at IS NOT NULL"]
        args: list[Any] = []

        def arg(value: Any) -> str:
            args.append(value)
            return f"${len(args)}"

        if after is not None:
            where.append(f"(started_at, id) < ({arg(after[0])}, {arg(after[1])})")
        if charge_point_id:
            where.append(f"charge_point_id = {arg(charge_point_id)}")
        if id_tag:
            where.append(f"id_tag = {arg(id_tag)}")
        if site:
            where.append(f"site = {arg(site)}")
        if state:
            where.append(f"state = {arg(state)}")
        if started_from is not None:
            where.append(f"started_at >= {arg(started_from)}")
        if started_to is not None:
            where.append(f"started_at < {arg(started_to)}")
        sql = (
            f"SELECT {_TX_COLUMNS} FROM transactions WHERE {' AND '.join(where)} "
            f"ORDER BY started_at DESC, id DESC LIMIT {arg(limit)}"
        )
        return list(await self.pool.fetch(sql, *args))

    async def meter_values(
        self, charge_point_id: str, start: datetime, end: datetime, after: list[Any] | None, limit: int
    ) -> list[Any]:
        """Keyset pagination over the full sort key (ts, stream entry, measurand, phase,
        location, context); `after` is that key of the previous page's last row."""
        if after is None:
            return list(
                await self.pool.fetch(
                    f"SELECT * FROM meter_values WHERE charge_point_id = $1 AND ts >= $2 AND ts < $3 "
                    f"ORDER BY {_MV_KEY} LIMIT $4",
                    charge_point_id,
                    start,
                    end,
                    limit,
                )
            )
        return list(
            await self.pool.fetch(
                f"SELECT * FROM meter_values WHERE charge_point_id = $1 AND ts >= $2 AND ts < $3 "
                f"AND ({_MV_KEY}) > ($5, $6, $7, $8, $9, $10) ORDER BY {_MV_KEY} LIMIT $4",
                charge_point_id,
                start,
                end,
                limit,
                *after,
            )
        )


_MV_KEY = (
    "ts, stream_id, measurand::text, COALESCE(phase::text, ''), COALESCE(location::text, ''), "
    "COALESCE(context::text, '')"
)


def mv_key(row: Any) -> list[Any]:
    return [
        row["ts"],
        row["stream_id"],
        row["measurand"],
        row["phase"] or "",
        row["location"] or "",
        row["context"] or "",
    ]


def _snapshot(row: Any) -> TxSnapshot:
    return TxSnapshot(
        state=TxState(row["state"]),
        charging_state=row["charging_state"],
        started_at=row["started_at"],
        stopped_at=row["stopped_at"],
        stopped_reason=row["stop_reason"],
        evse_id=row["evse_id"],
        connector_id=row["connector_id"],
        id_token=row["id_tag"],
        meter_start_wh=row["meter_start"],
        meter_stop_wh=row["meter_stop"],
        sequence=Sequence(row["max_seq_no"], tuple(row["missing_seq_nos"])),
        flags=frozenset(row["flags"]),
    )


__all__ = ["EventResult", "EventType", "StartResult", "StopResult", "TransactionsRepository"]
