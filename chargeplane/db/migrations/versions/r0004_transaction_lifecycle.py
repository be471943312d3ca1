"""One transaction lifecycle for both OCPP versions: the 1.6 specifics become data.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

- `transactions.id_assigned_by_csms`: the CSMS assigned the (integer) transaction id (1.6);
  an event naming such an id that is unknown cannot create a transaction.
- `transactions.idempotency_key` replaces the 1.6-only unique index
  (charger, connector, idTag, meterStart, timestamp): a retried start without a charger
  reference finds its transaction by (charger, key). Existing 1.6 rows get the key the
  gateway computes (gateway/ocpp16/transactions.py `idempotency_key`).
- `transaction_events` now hold every version's events (1.6 Started = seqNo 0, Ended =
  seqNo 1) with the event's meter register reading; a repeated seqNo is a duplicate when
  its type, timestamp and reading match, else a conflict. Existing 1.6 transactions get
  their synthetic events (and max_seq_no), so their stops keep deduplicating.
- `stop_anomalies` keep stops of both versions: the charger's reference as text, the
  meter reading in Wh (a 2.0.1 Ended event may carry none).
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The 1.6 start key: connector | idTag | meterStart | timestamp (UTC, microseconds, 'Z').
_KEY_16 = (
    "evse_id::text || '|' || id_tag || '|' || meter_start::bigint::text || '|' || "
    "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
)
_MIGRATED = """'{"migrated": "r0004"}'::jsonb"""

UPGRADE = [
    "ALTER TABLE transactions ADD COLUMN id_assigned_by_csms boolean NOT NULL DEFAULT false",
    "ALTER TABLE transactions ADD COLUMN idempotency_key text",
    f"UPDATE transactions SET id_assigned_by_csms = true, idempotency_key = {_KEY_16} WHERE protocol = 'ocpp1.6'",
    "ALTER TABLE transactions ADD CONSTRAINT transactions_idempotency_key UNIQUE (charge_point_id, idempotency_key)",
    "DROP INDEX transactions_start16_key",
    "CREATE INDEX transactions_csms_active_idx ON transactions (charge_point_id) "
    "WHERE state = 'Active' AND id_assigned_by_csms",
    "ALTER TABLE transaction_events ADD COLUMN meter_register_wh double precision",
    f"""
    INSERT INTO transaction_events (transaction_id, seq_no, event_type, trigger_reason, timestamp, meter_register_wh,
                                    payload)
    SELECT id, 0, 'Started', '', started_at, meter_start, {_MIGRATED}
    FROM transactions WHERE protocol = 'ocpp1.6' AND started_at IS NOT NULL
    ON CONFLICT DO NOTHING
    """,
    f"""
    INSERT INTO transaction_events (transaction_id, seq_no, event_type, trigger_reason, timestamp, meter_register_wh,
                                    payload)
    SELECT id, 1, 'Ended', '', stopped_at, meter_stop, {_MIGRATED}
    FROM transactions WHERE protocol = 'ocpp1.6' AND state = 'Ended' AND stopped_at IS NOT NULL
    ON CONFLICT DO NOTHING
    """,
    "UPDATE transactions SET max_seq_no = CASE WHEN state = 'Ended' THEN 1 ELSE 0 END WHERE protocol = 'ocpp1.6'",
    "ALTER TABLE stop_anomalies ADD COLUMN transaction_ref text",
    "UPDATE stop_anomalies SET transaction_ref = transaction_id::text",
    "ALTER TABLE stop_anomalies ALTER COLUMN transaction_ref SET NOT NULL",
    "ALTER TABLE stop_anomalies ALTER COLUMN transaction_id DROP NOT NULL",
    "ALTER TABLE stop_anomalies ALTER COLUMN meter_stop TYPE double precision",
    "ALTER TABLE stop_anomalies ALTER COLUMN meter_stop DROP NOT NULL",
    "ALTER TABLE stop_anomalies DROP CONSTRAINT stop_anomalies_dedup_key",
    "ALTER TABLE stop_anomalies ADD CONSTRAINT stop_anomalies_dedup_key "
    "UNIQUE NULLS NOT DISTINCT (charge_point_id, transaction_ref, timestamp, meter_stop)",
]

DOWNGRADE = [
    "DELETE FROM stop_anomalies WHERE transaction_id IS NULL OR meter_stop IS NULL",
    "ALTER TABLE stop_anomalies DROP CONSTRAINT stop_anomalies_dedup_key",
    "ALTER TABLE stop_anomalies ALTER COLUMN meter_stop TYPE bigint",
    "ALTER TABLE stop_anomalies ALTER COLUMN meter_stop SET NOT NULL",
    "ALTER TABLE stop_anomalies ALTER COLUMN transaction_id SET NOT NULL",
    "ALTER TABLE stop_anomalies DROP COLUMN transaction_ref",
    "ALTER TABLE stop_anomalies ADD CONSTRAINT stop_anomalies_dedup_key "
    "UNIQUE (charge_point_id, transaction_id, meter_stop, timestamp)",
    "DELETE FROM transaction_events e USING transactions t WHERE e.transaction_id = t.id AND t.protocol = 'ocpp1.6'",
    "UPDATE transactions SET max_seq_no = NULL WHERE protocol = 'ocpp1.6'",
    "ALTER TABLE transaction_events DROP COLUMN meter_register_wh",
    "DROP INDEX transactions_csms_active_idx",
    """
    CREATE UNIQUE INDEX transactions_start16_key
        ON transactions (charge_point_id, evse_id, id_tag, meter_start, started_at)
        WHERE protocol = 'ocpp1.6'
    """,
    "ALTER TABLE transactions DROP CONSTRAINT transactions_idempotency_key",
    "ALTER TABLE transactions DROP COLUMN idempotency_key",
    "ALTER TABLE transactions DROP COLUMN id_assigned_by_csms",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
