"""Smart charging: sites, their chargers and sessions, profiles (history), pushes, external limits.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-29

`sc_profiles` is the history of every profile a charger held: a row is installed when the
charger accepted it and closed (`cleared_at`, `cleared_reason`) when it was replaced,
cleared or its transaction ended; the rows with `cleared_at IS NULL` are the active set
(also cached in Redis). `sc_pushes` records every SetChargingProfile/ClearChargingProfile
sent with the charger's answer.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE = [
    """
    CREATE TABLE sc_sites (
        id          text PRIMARY KEY CONSTRAINT sc_sites_id_valid CHECK (id <> '' AND length(id) <= 64),
        settings    jsonb NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE TABLE sc_chargers (
        charge_point_id  text PRIMARY KEY,
        site_id          text,
        protocol         text NOT NULL CONSTRAINT sc_chargers_protocol_known
                         CHECK (protocol IN ('ocpp1.6', 'ocpp2.0.1', 'ocpp2.1')),
        evses            jsonb NOT NULL DEFAULT '[]',
        online           boolean NOT NULL DEFAULT false,
        updated_at       timestamptz NOT NULL DEFAULT now()
    )
    """,
    "CREATE INDEX sc_chargers_site ON sc_chargers (site_id) WHERE site_id IS NOT NULL",
    """
    CREATE TABLE sc_sessions (
        charge_point_id  text NOT NULL,
        transaction_id   text NOT NULL,
        evse_id          integer NOT NULL CONSTRAINT sc_sessions_evse_positive CHECK (evse_id > 0),
        started_at       timestamptz NOT NULL,
        ended_at         timestamptz,
        needs            jsonb NOT NULL DEFAULT '{}',
        PRIMARY KEY (charge_point_id, transaction_id)
    )
    """,
    "CREATE INDEX sc_sessions_active ON sc_sessions (charge_point_id) WHERE ended_at IS NULL",
    """
    CREATE TABLE sc_profiles (
        seq              bigserial PRIMARY KEY,
        charge_point_id  text NOT NULL,
        evse_id          integer NOT NULL CONSTRAINT sc_profiles_evse_valid CHECK (evse_id >= 0),
        profile_id       integer NOT NULL,
        purpose          text NOT NULL,
        stack_level      integer NOT NULL,
        transaction_id   text,
        source           text NOT NULL CONSTRAINT sc_profiles_source_known
                         CHECK (source IN ('operator', 'planner', 'charger')),
        profile          jsonb NOT NULL,
        installed_at     timestamptz NOT NULL DEFAULT now(),
        cleared_at       timestamptz,
        cleared_reason   text
    )
    """,
    # One active profile per charger and id (a new one with the same id replaces it).
    "CREATE UNIQUE INDEX sc_profiles_active ON sc_profiles (charge_point_id, profile_id) WHERE cleared_at IS NULL",
    "CREATE INDEX sc_profiles_history ON sc_profiles (charge_point_id, installed_at DESC)",
    """
    CREATE TABLE sc_pushes (
        id               bigserial PRIMARY KEY,
        charge_point_id  text NOT NULL,
        evse_id          integer NOT NULL,
        action           text NOT NULL CONSTRAINT sc_pushes_action_known CHECK (action IN ('set', 'clear')),
        profile_id       integer,
        source           text NOT NULL,
        payload          jsonb NOT NULL,
        status           text NOT NULL DEFAULT 'pending',
        detail           text,
        requested_at     timestamptz NOT NULL DEFAULT now(),
        answered_at      timestamptz
    )
    """,
    "CREATE INDEX sc_pushes_charger ON sc_pushes (charge_point_id, id DESC)",
    """
    CREATE TABLE sc_external_limits (
        site_id     text NOT NULL,
        source      text NOT NULL CONSTRAINT sc_external_limits_source_valid CHECK (source <> ''),
        steps       jsonb NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, source)
    )
    """,
]

DOWNGRADE = [
    "DROP TABLE sc_external_limits",
    "DROP TABLE sc_pushes",
    "DROP TABLE sc_profiles",
    "DROP TABLE sc_sessions",
    "DROP TABLE sc_chargers",
    "DROP TABLE sc_sites",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
