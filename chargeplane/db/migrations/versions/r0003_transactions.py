"""Id tokens, local lists, transactions (both versions), stop anomalies, meter values.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Idempotency is in the constraints, not in process locks: a retried 1.6 StartTransaction
hits `transactions_start16_key`, a 2.0.1 event its (charge point, transactionId) key and
the (transaction, seqNo) primary key of transaction_events, a redelivered meter-value
stream entry the primary key of meter_stream_entries. meter_values is range-partitioned
by time (daily partitions made by the transactions service; a DEFAULT partition catches
timestamps outside them) or a TimescaleDB hypertable when that extension is available.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE = [
    """
    CREATE TABLE id_tokens (
        id_token       text PRIMARY KEY
                       CONSTRAINT id_tokens_id_token_valid CHECK (id_token <> '' AND length(id_token) <= 36),
        type           text NOT NULL DEFAULT 'Central' CONSTRAINT id_tokens_type_known
                       CHECK (type IN ('Central', 'eMAID', 'ISO14443', 'ISO15693', 'KeyCode', 'Local',
                                       'MacAddress', 'NoAuthorization')),
        status         text NOT NULL DEFAULT 'Accepted' CONSTRAINT id_tokens_status_known
                       CHECK (status IN ('Accepted', 'Blocked', 'Expired', 'Invalid')),
        expiry         timestamptz,
        group_id       text CONSTRAINT id_tokens_group_id_valid CHECK (group_id <> '' AND length(group_id) <= 36),
        sites          text[] NOT NULL DEFAULT '{}',
        charge_points  text[] NOT NULL DEFAULT '{}',
        created_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE TABLE local_auth_lists (
        charge_point_id text PRIMARY KEY,
        version         integer NOT NULL CONSTRAINT local_auth_lists_version_positive CHECK (version >= 0),
        -- the entries the charger confirmed (id_token -> {type, status, expiry, group_id})
        entries         jsonb NOT NULL DEFAULT '{}',
        updated_at      timestamptz NOT NULL DEFAULT now()
    )
    """,
    # OCPP 1.6 transactionId is a 32-bit integer: the sequence stays in range.
    "CREATE SEQUENCE transaction_id_seq AS integer MINVALUE 1 MAXVALUE 2147483647",
    """
    CREATE TABLE transactions (
        id               integer PRIMARY KEY,
        charge_point_id  text NOT NULL,
        protocol         text NOT NULL CONSTRAINT transactions_protocol_known
                         CHECK (protocol IN ('ocpp1.6', 'ocpp2.0.1', 'ocpp2.1')),
        -- the charger's transactionId: 2.0.1 its string, 1.6 our id as text
        transaction_ref  text NOT NULL CONSTRAINT transactions_ref_valid
                         CHECK (transaction_ref <> '' AND length(transaction_ref) <= 36),
        site             text,
        evse_id          integer,
        connector_id     integer,
        id_tag           text,
        id_token_type    text,
        auth_status      text,
        group_id         text,
        reservation_id   integer,
        remote_start_id  integer,
        meter_start      double precision,
        meter_stop       double precision,
        energy_wh        double precision,
        started_at       timestamptz,
        stopped_at       timestamptz,
        stop_reason      text,
        stop_id_tag      text,
        state            text NOT NULL DEFAULT 'Active'
                         CONSTRAINT transactions_state_known CHECK (state IN ('Active', 'Ended')),
        charging_state   text,
        max_seq_no       integer,
        missing_seq_nos  integer[] NOT NULL DEFAULT '{}',
        flags            text[] NOT NULL DEFAULT '{}',
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT transactions_ref_key UNIQUE (charge_point_id, transaction_ref)
    )
    """,
    # A retried 1.6 StartTransaction (new message id, same content) finds this row.
    """
    CREATE UNIQUE INDEX transactions_start16_key
        ON transactions (charge_point_id, evse_id, id_tag, meter_start, started_at)
        WHERE protocol = 'ocpp1.6'
    """,
    "CREATE INDEX transactions_active_idx ON transactions (charge_point_id) WHERE state = 'Active'",
    "CREATE INDEX transactions_id_tag_active_idx ON transactions (id_tag) WHERE state = 'Active'",
    "CREATE INDEX transactions_started_idx ON transactions (started_at DESC, id DESC)",
    """
    CREATE TABLE transaction_events (
        transaction_id   integer NOT NULL REFERENCES transactions (id) ON DELETE CASCADE,
        seq_no           integer NOT NULL CONSTRAINT transaction_events_seq_no_range CHECK (seq_no >= 0),
        event_type       text NOT NULL,
        trigger_reason   text NOT NULL,
        timestamp        timestamptz NOT NULL,
        offline          boolean NOT NULL DEFAULT false,
        payload          jsonb NOT NULL,
        received_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (transaction_id, seq_no)
    )
    """,
    # Stops that did not simply end an open transaction: never dropped, always answered.
    """
    CREATE TABLE stop_anomalies (
        id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        charge_point_id         text NOT NULL,
        transaction_id          integer NOT NULL,
        meter_stop              bigint NOT NULL,
        timestamp               timestamptz NOT NULL,
        id_tag                  text,
        reason                  text,
        outcome                 text NOT NULL CONSTRAINT stop_anomalies_outcome_known
                                CHECK (outcome IN ('unknown', 'reconciled', 'conflict')),
        matched_transaction_id  integer,
        payload                 jsonb NOT NULL,
        received_at             timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT stop_anomalies_dedup_key UNIQUE (charge_point_id, transaction_id, meter_stop, timestamp)
    )
    """,
    """
    CREATE TABLE meter_stream_entries (
        stream_id     text PRIMARY KEY,
        processed_at  timestamptz NOT NULL DEFAULT now()
    )
    """,
    "CREATE INDEX meter_stream_entries_processed_idx ON meter_stream_entries (processed_at)",
]

# The enumerations both OCPP versions' schemas allow (the gateway refuses anything else):
# 4 bytes a row each instead of up to 30 bytes of text.
MEASURANDS = (
    "Current.Export", "Current.Import", "Current.Offered", "Energy.Active.Export.Register",
    "Energy.Active.Import.Register", "Energy.Reactive.Export.Register", "Energy.Reactive.Import.Register",
    "Energy.Active.Export.Interval", "Energy.Active.Import.Interval", "Energy.Active.Net",
    "Energy.Reactive.Export.Interval", "Energy.Reactive.Import.Interval", "Energy.Reactive.Net",
    "Energy.Apparent.Net", "Energy.Apparent.Import", "Energy.Apparent.Export", "Frequency",
    "Power.Active.Export", "Power.Active.Import", "Power.Factor", "Power.Offered", "Power.Reactive.Export",
    "Power.Reactive.Import", "RPM", "SoC", "Temperature", "Voltage",
)  # fmt: skip
PHASES = ("L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1")
CONTEXTS = (
    "Interruption.Begin", "Interruption.End", "Other", "Sample.Clock", "Sample.Periodic",
    "Transaction.Begin", "Transaction.End", "Trigger",
)  # fmt: skip
LOCATIONS = ("Body", "Cable", "EV", "Inlet", "Outlet")
FORMATS = ("Raw", "SignedData")


def _enum(name: str, values: tuple[str, ...]) -> str:
    return f"CREATE TYPE {name} AS ENUM (" + ", ".join(f"'{v}'" for v in values) + ")"


ENUMS = [
    _enum("meter_measurand", MEASURANDS),
    _enum("meter_phase", PHASES),
    _enum("meter_context", CONTEXTS),
    _enum("meter_location", LOCATIONS),
    _enum("meter_format", FORMATS),
]

_METER_COLUMNS = """
        ts               timestamptz NOT NULL,
        charge_point_id  text NOT NULL,
        evse_id          integer,
        connector_id     integer,
        transaction_ref  text,
        measurand        meter_measurand NOT NULL,
        phase            meter_phase,
        unit             text,
        context          meter_context,
        location         meter_location,
        format           meter_format,
        raw_value        text NOT NULL,
        signed_data      text,
        value            double precision,
        base_unit        text,
        stream_id        text NOT NULL
"""

PARTITIONED = [
    f"CREATE TABLE meter_values ({_METER_COLUMNS}) PARTITION BY RANGE (ts)",
    "CREATE TABLE meter_values_default PARTITION OF meter_values DEFAULT",
    "CREATE INDEX meter_values_cp_ts_idx ON meter_values (charge_point_id, ts)",
]

HYPERTABLE = [
    "CREATE EXTENSION IF NOT EXISTS timescaledb",
    f"CREATE TABLE meter_values ({_METER_COLUMNS})",
    "SELECT create_hypertable('meter_values', 'ts', chunk_time_interval => interval '1 day')",
    "CREATE INDEX meter_values_cp_ts_idx ON meter_values (charge_point_id, ts)",
]

DOWNGRADE = [
    "DROP TABLE meter_values",
    "DROP TYPE meter_format",
    "DROP TYPE meter_location",
    "DROP TYPE meter_context",
    "DROP TYPE meter_phase",
    "DROP TYPE meter_measurand",
    "DROP TABLE meter_stream_entries",
    "DROP TABLE stop_anomalies",
    "DROP TABLE transaction_events",
    "DROP TABLE transactions",
    "DROP SEQUENCE transaction_id_seq",
    "DROP TABLE local_auth_lists",
    "DROP TABLE id_tokens",
]


def _timescale_available() -> bool:
    found = op.get_bind().execute(sa.text("SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'"))
    return bool(found.scalar())


def upgrade() -> None:
    for statement in UPGRADE + ENUMS:
        op.execute(statement)
    for statement in HYPERTABLE if _timescale_available() else PARTITIONED:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
