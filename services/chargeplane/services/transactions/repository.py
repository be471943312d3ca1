"""Transactions in PostgreSQL: idempotent by constraints, one SQL transaction per message.

`synchronous_commit` stays on (the server default) for everything here: the answer to the
charger is an external action that must not outlive a crash of the database (TX-07).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from chargeplane.domain.energy import Reading, energy_wh
from chargeplane.domain.meter import ENERGY_REGISTER
from chargeplane.domain.transaction_changes import change_kinds
from chargeplane.domain.transactions import (
    EventOutcome,
    EventRecorded,
    EventType,
    Flag,
    Sequence,
    TransactionEvent,
    TxSnapshot,
    TxState,
    apply_event,
    conflict_flag,
)

from .changes import FIRST_CHANGE_CTE, record_changes

log = logging.getLogger(__name__)

_TX_COLUMNS = (
    "id, charge_point_id, protocol, transaction_ref, site, evse_id, connector_id, id_tag, auth_status, "
    "group_id, meter_start, meter_stop, energy_wh, started_at, stopped_at, stop_reason, state, "
    "charging_state, max_seq_no, missing_seq_nos, flags, stop_id_tag, created_at, id_token_type, remote_start_id, "
    "reservation_id"
)

# A Started event without a charger reference: the CSMS assigns the id (the next value of
# the sequence, also the reference). A retry finds the row by its idempotency key; the
# no-op update locks it like SELECT ... FOR UPDATE.
_CREATE_ASSIGNED = f"""
    INSERT INTO transactions AS t (id, transaction_ref, charge_point_id, protocol, site, id_assigned_by_csms,
                                   idempotency_key)
    SELECT n.id, n.id::text, $1, $2, $3, true, $4
    FROM (SELECT nextval('transaction_id_seq')::integer AS id) AS n
    ON CONFLICT (charge_point_id, idempotency_key) DO UPDATE SET updated_at = t.updated_at
    RETURNING {_TX_COLUMNS}, (xmax = 0) AS created
"""
# A Started event that creates its transaction (the usual case), in ONE statement: the row
# with the lifecycle's state after the event, and the event. Nothing is inserted when the
# transaction exists already (a retry, or a later event came first): the locked path
# then applies the event. Like every insert here it draws a sequence value.
_CREATE_WITH_FIRST_EVENT = (
    """
    WITH created AS (
        INSERT INTO transactions (id, transaction_ref, charge_point_id, protocol, site, id_assigned_by_csms,
                                  idempotency_key, state, charging_state, started_at, evse_id, connector_id, id_tag,
                                  meter_start, max_seq_no, missing_seq_nos, flags, auth_status, group_id,
                                  id_token_type, remote_start_id, reservation_id)
        SELECT n.id, COALESCE($2, n.id::text), $1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
               $17, $18, $19, $20, $21
        FROM (SELECT nextval('transaction_id_seq')::integer AS id) AS n
        ON CONFLICT DO NOTHING
        RETURNING *
    ), event AS (
        INSERT INTO transaction_events (transaction_id, seq_no, event_type, trigger_reason, timestamp, offline,
                                        meter_register_wh, payload)
        SELECT id, $28, $22, $23, $24, $25, $26, $27::jsonb FROM created
    ), """
    + FIRST_CHANGE_CTE
    + """
    SELECT id, transaction_ref FROM created
"""
)
_SELECT_BY_REF = (
    f"SELECT {_TX_COLUMNS} FROM transactions WHERE charge_point_id = $1 AND transaction_ref = $2 FOR UPDATE"
)
_CREATE_NAMED = """
    INSERT INTO transactions (id, transaction_ref, charge_point_id, protocol, site)
    SELECT nextval('transaction_id_seq')::integer, $2, $1, $3, $4
    ON CONFLICT (charge_point_id, transaction_ref) DO NOTHING
    RETURNING id
"""
_INSERT_EVENT = """
    INSERT INTO transaction_events (transaction_id, seq_no, event_type, trigger_reason, timestamp, offline,
                                    meter_register_wh, payload)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
    ON CONFLICT (transaction_id, seq_no) DO NOTHING RETURNING true
"""
_UPDATE = """
    UPDATE transactions SET state = $2, charging_state = $3, started_at = $4, stopped_at = $5, stop_reason = $6,
        evse_id = $7, connector_id = $8, id_tag = $9, meter_start = $10, meter_stop = $11, max_seq_no = $12,
        missing_seq_nos = $13, flags = $14, energy_wh = $15, stop_id_tag = $16,
        auth_status = COALESCE(auth_status, $17), group_id = COALESCE(group_id, $18),
        id_token_type = COALESCE(id_token_type, $19), remote_start_id = COALESCE(remote_start_id, $20),
        reservation_id = COALESCE(reservation_id, $21), updated_at = now()
    WHERE id = $1
    RETURNING auth_status, group_id
"""
_ADD_FLAG = (
    "UPDATE transactions SET flags = array(SELECT DISTINCT unnest(flags || $2::text[])), updated_at = now() "
    "WHERE id = $1 RETURNING flags"
)
_ENERGY_READINGS = """
    SELECT ts, value FROM meter_values
    WHERE charge_point_id = $1 AND transaction_ref = $2 AND measurand = $3 AND base_unit = 'Wh'
      AND ts >= $4 AND ts <= $5 AND value IS NOT NULL
"""


@dataclass(frozen=True, slots=True)
class Recorded:
    """What recording an event did, plus what the service keeps in step with it."""

    event: EventRecorded
    ended_now: bool = False
    id_tag: str | None = None  # the transaction's id token (for the active-token set)
    changes: int = 0  # changes written to the change feed (changes.py)


@dataclass(frozen=True, slots=True)
class Authorized:
    """The authorization the gateway obtained for the event's token (stored on first sight)."""

    status: str | None = None
    group_id: str | None = None


class TransactionsRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    # ------------------------------------------------------------------ the lifecycle
    async def record_event(
        self, ev: TransactionEvent, *, site: str | None, auth: Authorized, payload_json: str, now: datetime
    ) -> Recorded:
        """Apply one event of either version in ONE database transaction (row locked)."""
        if ev.event_type is EventType.STARTED:
            fast = await self._create_with_first_event(ev, site, auth, payload_json, now)
            if fast is not None:
                return fast
        async with self.pool.acquire() as conn, conn.transaction():
            row, created = await self._find_or_create(conn, ev, site)
            if row is None:
                return await self._unknown_reference(conn, ev, auth, payload_json, now)
            return await self._apply(conn, row, ev, created, auth, payload_json, now)

    async def _create_with_first_event(
        self, ev: TransactionEvent, site: str | None, auth: Authorized, payload_json: str, now: datetime
    ) -> Recorded | None:
        """The fast path of the same rules: a new transaction's state is the first event
        applied to an empty one. None when the transaction already exists."""
        after, verdict = apply_event(TxSnapshot(), ev, fresh=True, now=now)
        row = await self.pool.fetchrow(
            _CREATE_WITH_FIRST_EVENT,
            ev.charge_point_id,
            ev.transaction_ref,
            ev.protocol,
            site,
            ev.id_assigned_by_csms,
            ev.idempotency_key,
            after.state.value,
            after.charging_state,
            after.started_at,
            after.evse_id,
            after.connector_id,
            after.id_token,
            after.meter_start_wh,
            after.sequence.max_seq,
            list(after.sequence.missing),
            sorted(after.flags),
            auth.status,
            auth.group_id,
            ev.id_token_type,
            ev.remote_start_id,
            ev.reservation_id,
            ev.event_type.value,
            ev.trigger_reason,
            ev.timestamp,
            ev.offline,
            ev.meter_register_wh,
            payload_json,
            ev.seq_no,
            ev.charging_state,
        )
        if row is None:
            return None
        recorded = EventRecorded(
            transaction_id=row["id"],
            transaction_ref=row["transaction_ref"],
            outcome=EventOutcome.APPLIED,
            created=True,
            state=after.state,
            auth_status=auth.status,
            group_id=auth.group_id,
            gap=verdict.gap,
            flags=after.flags,
        )
        return Recorded(recorded, ended_now=False, id_tag=after.id_token, changes=1)

    async def _find_or_create(self, conn: Any, ev: TransactionEvent, site: str | None) -> tuple[Any, bool]:
        """The event's transaction, locked, and whether this event created it; no row for
        an unknown reference to a CSMS-assigned id (such an event cannot create one)."""
        if ev.transaction_ref is None:
            row = await conn.fetchrow(_CREATE_ASSIGNED, ev.charge_point_id, ev.protocol, site, ev.idempotency_key)
            return row, bool(row["created"])
        row = await conn.fetchrow(_SELECT_BY_REF, ev.charge_point_id, ev.transaction_ref)
        if row is not None or ev.id_assigned_by_csms:
            return row, False
        # Select first, insert only when absent: later events must not burn sequence values.
        created = await conn.fetchval(_CREATE_NAMED, ev.charge_point_id, ev.transaction_ref, ev.protocol, site)
        return await conn.fetchrow(_SELECT_BY_REF, ev.charge_point_id, ev.transaction_ref), created is not None

    async def _apply(
        self,
        conn: Any,
        row: Any,
        ev: TransactionEvent,
        created: bool,
        auth: Authorized,
        payload_json: str,
        now: datetime,
        *,
        extra_flags: frozenset[str] = frozenset(),
        outcome: EventOutcome = EventOutcome.APPLIED,
    ) -> Recorded:
        inserted = await conn.fetchval(
            _INSERT_EVENT,
            row["id"],
            ev.seq_no,
            ev.event_type.value,
            ev.trigger_reason,
            ev.timestamp,
            ev.offline,
            ev.meter_register_wh,
            payload_json,
        )
        if not inserted:
            return await self._repeated(conn, row, ev, payload_json)
        before = _snapshot(row)
        after, verdict = apply_event(
            replace(before, flags=before.flags | extra_flags), ev, fresh=created and row["max_seq_no"] is None, now=now
        )
        energy = row["energy_wh"]
        if after.state is TxState.ENDED and after.started_at is not None and after.stopped_at is not None:
            energy = await self._energy(conn, row, after)
        stored = await conn.fetchrow(
            _UPDATE,
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
            after.stop_id_token,
            auth.status,
            auth.group_id,
            ev.id_token_type,
            ev.remote_start_id,
            ev.reservation_id,
        )
        recorded = EventRecorded(
            transaction_id=row["id"],
            transaction_ref=row["transaction_ref"],
            outcome=outcome,
            created=created,
            state=after.state,
            auth_status=stored["auth_status"],
            group_id=stored["group_id"],
            gap=verdict.gap,
            flags=after.flags,
        )
        ended_now = before.state is TxState.ACTIVE and after.state is TxState.ENDED
        auth_changed = (stored["auth_status"], stored["group_id"]) != (row["auth_status"], row["group_id"])
        kinds = change_kinds(before, after, ev, created=created, auth_changed=auth_changed)
        changes = await record_changes(conn, row["id"], kinds, ev)  # the change feed's outbox
        return Recorded(recorded, ended_now, after.id_token, changes)

    async def _repeated(self, conn: Any, row: Any, ev: TransactionEvent, payload_json: str) -> Recorded:
        """The seqNo was recorded before: the same event again is a duplicate (answered,
        nothing changes); other content is a conflict, flagged and kept if it is a stop."""
        first = await conn.fetchrow(
            "SELECT event_type, timestamp, meter_register_wh FROM transaction_events "
            "WHERE transaction_id = $1 AND seq_no = $2",
            row["id"],
            ev.seq_no,
        )
        same = (first["event_type"], first["timestamp"], first["meter_register_wh"]) == (
            ev.event_type.value,
            ev.timestamp,
            ev.meter_register_wh,
        )
        flags = frozenset(row["flags"])
        outcome = EventOutcome.DUPLICATE
        if not same:
            outcome = EventOutcome.CONFLICT
            flags = frozenset(await conn.fetchval(_ADD_FLAG, row["id"], [conflict_flag(ev.event_type).value]))
            if ev.event_type is EventType.ENDED:
                await self._anomaly(conn, ev, payload_json, outcome, row["id"], row["id"])
        recorded = EventRecorded(
            transaction_id=row["id"],
            transaction_ref=row["transaction_ref"],
            outcome=outcome,
            created=False,
            state=TxState(row["state"]),
            auth_status=row["auth_status"],
            group_id=row["group_id"],
            flags=flags,
        )
        return Recorded(recorded)

    async def _unknown_reference(
        self, conn: Any, ev: TransactionEvent, auth: Authorized, payload_json: str, now: datetime
    ) -> Recorded:
        """An event naming a CSMS-assigned id this charger has no transaction of (-1 from a
        charger that started offline, another charger's id, an id we never gave). Always
        answered; a stop is reconciled with the charger's only open transaction that fits,
        or kept as an anomaly."""
        ref = ev.transaction_ref or ""
        named = int(ref) if ref.lstrip("-").isdigit() else None
        state = TxState.ENDED if ev.event_type is EventType.ENDED else TxState.ACTIVE
        if ev.event_type is not EventType.ENDED:
            log.warning("%s event for unknown transaction %s ignored", ev.event_type.value, ref)
            return Recorded(EventRecorded(0, ref, EventOutcome.UNKNOWN, False, state))
        seen = await conn.fetchrow(
            "SELECT outcome, matched_transaction_id FROM stop_anomalies WHERE charge_point_id = $1 "
            "AND transaction_ref = $2 AND timestamp = $3 AND meter_stop IS NOT DISTINCT FROM $4",
            ev.charge_point_id,
            ref,
            ev.timestamp,
            ev.meter_register_wh,
        )
        if seen is not None:  # the same stop replayed
            return Recorded(
                EventRecorded(seen["matched_transaction_id"] or 0, ref, EventOutcome.DUPLICATE, False, state)
            )
        candidates = await conn.fetch(
            f"SELECT {_TX_COLUMNS} FROM transactions WHERE charge_point_id = $1 AND state = 'Active' "
            "AND id_assigned_by_csms AND started_at <= $2 AND ($3::float8 IS NULL OR meter_start <= $3) FOR UPDATE",
            ev.charge_point_id,
            ev.timestamp,
            ev.meter_register_wh,
        )
        if ev.id_token:
            candidates = [c for c in candidates if c["id_tag"] == ev.id_token] or candidates
        if len(candidates) != 1:
            await self._anomaly(conn, ev, payload_json, EventOutcome.UNKNOWN, named, None)
            return Recorded(EventRecorded(0, ref, EventOutcome.UNKNOWN, False, state))
        match = candidates[0]
        await self._anomaly(conn, ev, payload_json, EventOutcome.RECONCILED, named, match["id"])
        return await self._apply(
            conn,
            match,
            ev,
            False,
            auth,
            payload_json,
            now,
            extra_flags=frozenset({Flag.RECONCILED_STOP.value}),
            outcome=EventOutcome.RECONCILED,
        )

    async def _energy(self, conn: Any, row: Any, after: TxSnapshot) -> float:
        assert after.started_at is not None and after.stopped_at is not None
        start = Reading(after.started_at, after.meter_start_wh) if after.meter_start_wh is not None else None
        stop = Reading(after.stopped_at, after.meter_stop_wh) if after.meter_stop_wh is not None else None
        readings = await conn.fetch(
            _ENERGY_READINGS,
            row["charge_point_id"],
            row["transaction_ref"],
            ENERGY_REGISTER,
            min(after.started_at, after.stopped_at),
            max(after.started_at, after.stopped_at),
        )
        return energy_wh((Reading(r["ts"], r["value"]) for r in readings), start=start, stop=stop).wh

    async def _anomaly(
        self,
        conn: Any,
        ev: TransactionEvent,
        payload_json: str,
        outcome: EventOutcome,
        transaction_id: int | None,
        matched: int | None,
    ) -> None:
        await conn.execute(
            "INSERT INTO stop_anomalies (charge_point_id, transaction_ref, transaction_id, meter_stop, timestamp, "
            "id_tag, reason, outcome, matched_transaction_id, payload) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb) "
            "ON CONFLICT ON CONSTRAINT stop_anomalies_dedup_key DO NOTHING",
            ev.charge_point_id,
            ev.transaction_ref or "",
            transaction_id,
            ev.meter_register_wh,
            ev.timestamp,
            ev.id_token,
            ev.stopped_reason,
            outcome.value,
            matched,
            payload_json,
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
        stop_id_token=row["stop_id_tag"],
        meter_start_wh=row["meter_start"],
        meter_stop_wh=row["meter_stop"],
        sequence=Sequence(row["max_seq_no"], tuple(row["missing_seq_nos"])),
        flags=frozenset(row["flags"]),
    )


__all__ = ["Authorized", "Recorded", "TransactionsRepository"]
