"""The transaction change feed in PostgreSQL: an outbox written with every lifecycle change,
numbered in commit order, read from a cursor, kept for a number of days.

Writing: `record_changes` inserts the changes of one applied event inside the caller's
database transaction (the repository's), with the transaction row as it stands after
the change (`to_jsonb`). A rolled-back change leaves no trace; a committed one is in.

Numbering: the feed's cursor (`change_id`) must never let a consumer skip a change that
commits later with a smaller number, which a sequence drawn at insert time would do (two
writers insert 10 and 11, 11 commits first, a reader moves past 11, then 10 appears).
So change ids are given after the commit: `sequence` locks the one counter row, numbers
every change still without an id in insert order, and commits. Sequencers run one at a
time (the row lock), so ids become visible in increasing order; the changes of one
transaction are written under its row lock, so they are numbered in their order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from chargeplane.domain.transaction_changes import ChangeKind
from chargeplane.domain.transactions import TransactionEvent

SEQUENCE_BATCH = 5000
PRUNE_BATCH = 10_000

_RECORD = """
    INSERT INTO transaction_changes (transaction_id, kind, event_timestamp, seq_no, meter_register_wh,
                                     trigger_reason, charging_state, snapshot)
    SELECT t.id, k.kind, $3, $4, $5, $6, $7, to_jsonb(t)
    FROM transactions t, unnest($2::smallint[]) WITH ORDINALITY AS k(kind, n)
    WHERE t.id = $1
    ORDER BY k.n
"""
# The change of a transaction created (and started) by one statement: a CTE to add to that
# statement (repository._CREATE_WITH_FIRST_EVENT), its `created` CTE returning the row.
# Parameters: $23 trigger, $24 timestamp, $26 register, $28 seqNo, $29 reported state.
FIRST_CHANGE_CTE = """
    change AS (
        INSERT INTO transaction_changes (transaction_id, kind, event_timestamp, seq_no, meter_register_wh,
                                         trigger_reason, charging_state, snapshot)
        SELECT c.id, 1, $24, $28, $26, NULLIF($23, ''), $29, to_jsonb(c) FROM created c
    )
"""
_SEQUENCE = """
    WITH pending AS (
        SELECT id, row_number() OVER (ORDER BY id) AS n FROM transaction_changes
        WHERE change_id IS NULL ORDER BY id LIMIT $2
    ), numbered AS (
        UPDATE transaction_changes t SET change_id = $1 + p.n FROM pending p WHERE t.id = p.id RETURNING p.n
    )
    UPDATE transaction_change_counter SET last_id = $1 + (SELECT COALESCE(max(n), 0) FROM numbered)
    RETURNING last_id
"""
_COLUMNS = (
    "change_id, kind, recorded_at, event_timestamp, seq_no, meter_register_wh, trigger_reason, charging_state, snapshot"
)


async def record_changes(conn: Any, transaction_id: int, kinds: Sequence[ChangeKind], ev: TransactionEvent) -> int:
    """Write the feed's changes of `ev` (applied to transaction `transaction_id`) in the
    caller's database transaction, after the transaction row was updated. Returns how many."""
    if not kinds:
        return 0
    await conn.execute(
        _RECORD,
        transaction_id,
        [int(k) for k in kinds],
        ev.timestamp,
        ev.seq_no,
        ev.meter_register_wh,
        ev.trigger_reason or None,
        ev.charging_state,
    )
    return len(kinds)


def snapshot(raw: str | dict[str, Any]) -> dict[str, Any]:
    """A stored transaction row (to_jsonb) as the mapping transaction_pb reads."""
    row: dict[str, Any] = orjson.loads(raw) if isinstance(raw, str) else dict(raw)
    for name in ("started_at", "stopped_at", "created_at", "updated_at"):
        value = row.get(name)
        if isinstance(value, str):
            row[name] = datetime.fromisoformat(value)
    return row


class ChangeLog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def sequence(self) -> int:
        """Number the committed changes that have no change id yet; returns the last id."""
        async with self.pool.acquire() as conn:
            if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM transaction_changes WHERE change_id IS NULL)"):
                return 0
            async with conn.transaction():
                last = await conn.fetchval("SELECT last_id FROM transaction_change_counter FOR UPDATE")
                # A new statement, a new snapshot: it sees every change committed before the
                # lock was granted, including those a previous sequencer left unnumbered.
                done: int = await conn.fetchval(_SEQUENCE, last, SEQUENCE_BATCH)
                return done

    async def after(self, change_id: int, limit: int) -> list[Any]:
        return list(
            await self.pool.fetch(
                f"SELECT {_COLUMNS} FROM transaction_changes WHERE change_id > $1 ORDER BY change_id LIMIT $2",
                change_id,
                limit,
            )
        )

    async def oldest_kept(self) -> int:
        """The oldest change id still kept; with none kept, the next one to be given."""
        return int(
            await self.pool.fetchval(
                "SELECT COALESCE((SELECT min(change_id) FROM transaction_changes WHERE change_id IS NOT NULL), "
                "(SELECT last_id + 1 FROM transaction_change_counter))"
            )
        )

    async def charging_states(self, transaction_id: int) -> list[Any]:
        return list(
            await self.pool.fetch(
                "SELECT event_timestamp, charging_state FROM transaction_changes "
                "WHERE transaction_id = $1 AND charging_state IS NOT NULL AND event_timestamp IS NOT NULL ORDER BY id",
                transaction_id,
            )
        )

    async def prune(self, retention_days: float, now: datetime | None = None) -> int:
        """Delete numbered changes older than the retention; returns how many."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
        removed = 0
        while True:
            done = await self.pool.execute(
                "DELETE FROM transaction_changes WHERE id IN (SELECT id FROM transaction_changes "
                "WHERE recorded_at < $1 AND change_id IS NOT NULL LIMIT $2)",
                cutoff,
                PRUNE_BATCH,
            )
            count = int(done.split()[-1])
            removed += count
            if count < PRUNE_BATCH:
                return removed
