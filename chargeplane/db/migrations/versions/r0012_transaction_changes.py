"""The transaction change feed (an outbox) and billing's cursor on it.

- `transaction_changes`: one row per committed lifecycle change of a transaction (started;
  updated where the charging state, the meter register or the authorization changed;
  ended), inserted in the SAME database transaction as the change, with the transaction
  as it stood right after it (`snapshot`, the row as JSON) and what the charger said
  (event time, seqNo, meter register, trigger).
  `id` is the insert order. `change_id`, the feed's cursor, is given after the commit by
  one sequencer at a time (the counter row below is its lock), so change ids increase in
  commit order: a change that commits later never gets a smaller id than one a consumer
  has already read (a bigserial alone would: ids are drawn at insert, not at commit).
- `transaction_change_counter`: the last change id given (one row).
- `billing_feed_cursors`: where billing's consumer of the feed stands (each consumer of the
  feed keeps its cursor in a table of its own, written after handling).

Revision ID: 0012
Revises: 0008 (billing phase 2; the lead re-chains the revisions of this round at merge)
Create Date: 2027-01-10
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0008"
branch_labels = None
depends_on = None

UPGRADE = [
    """
    CREATE TABLE transaction_changes (
        id                 bigserial PRIMARY KEY,
        change_id          bigint CONSTRAINT transaction_changes_change_id_key UNIQUE,
        transaction_id     integer NOT NULL,
        -- 1 started, 2 updated, 3 ended (chargeplane.transactions.v1.ChangeKind)
        kind               smallint NOT NULL CONSTRAINT transaction_changes_kind_known CHECK (kind IN (1, 2, 3)),
        event_timestamp    timestamptz,
        seq_no             integer,
        meter_register_wh  double precision,
        trigger_reason     text,
        -- the charging state the charger reported with this event (also when offline)
        charging_state     text,
        snapshot           jsonb NOT NULL,
        recorded_at        timestamptz NOT NULL DEFAULT now()
    )
    """,
    # The sequencer's work list, and the reads of a transaction's changes (charging states).
    "CREATE INDEX transaction_changes_unsequenced_idx ON transaction_changes (id) WHERE change_id IS NULL",
    "CREATE INDEX transaction_changes_transaction_idx ON transaction_changes (transaction_id, id)",
    # Retention deletes by age; rows are appended in time order, so a BRIN index is enough.
    "CREATE INDEX transaction_changes_recorded_idx ON transaction_changes USING brin (recorded_at)",
    """
    CREATE TABLE transaction_change_counter (
        only_row   boolean PRIMARY KEY DEFAULT true CONSTRAINT transaction_change_counter_one_row CHECK (only_row),
        last_id    bigint NOT NULL DEFAULT 0
    )
    """,
    "INSERT INTO transaction_change_counter DEFAULT VALUES",
    """
    CREATE TABLE billing_feed_cursors (
        consumer    text PRIMARY KEY,
        change_id   bigint NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now()
    )
    """,
]

DOWNGRADE = [
    "DROP TABLE billing_feed_cursors",
    "DROP TABLE transaction_change_counter",
    "DROP TABLE transaction_changes",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
