"""Charge points, connectors and API tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# One statement per op.execute: the asyncpg driver prepares each one, and a prepared
# statement may hold only a single command.
UPGRADE = [
    """
    CREATE TABLE charge_points (
        id                  text PRIMARY KEY
                            CONSTRAINT charge_points_id_valid
                            CHECK (id <> '' AND length(id) <= 48 AND strpos(id, ':') = 0),
        site                text CONSTRAINT charge_points_site_not_empty CHECK (site <> ''),
        -- true: pre-registered by an operator; false: discovered by the dev boot policy
        registered          boolean NOT NULL DEFAULT false,
        -- empty: any protocol is allowed
        allowed_protocols   text[] NOT NULL DEFAULT '{}'
                            CONSTRAINT charge_points_allowed_protocols_known
                            CHECK (allowed_protocols <@ ARRAY['ocpp1.6', 'ocpp2.0.1', 'ocpp2.1']),
        vendor              text,
        model               text,
        serial_number       text,
        firmware_version    text,
        iccid               text,
        imsi                text,
        meter_type          text,
        meter_serial_number text,
        protocol            text CONSTRAINT charge_points_protocol_known
                            CHECK (protocol IN ('ocpp1.6', 'ocpp2.0.1', 'ocpp2.1')),
        boot_status         text CONSTRAINT charge_points_boot_status_known
                            CHECK (boot_status IN ('Accepted', 'Pending', 'Rejected')),
        boot_reason         text,
        last_boot_at        timestamptz,
        last_seen_at        timestamptz,
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now()
    )
    """,
    # Listing by site pages through ids in order (ListChargePoints with a site filter).
    "CREATE INDEX charge_points_site_id_idx ON charge_points (site, id) WHERE site IS NOT NULL",
    """
    CREATE TABLE connectors (
        charge_point_id   text NOT NULL REFERENCES charge_points (id) ON DELETE CASCADE,
        evse_id           integer NOT NULL CONSTRAINT connectors_evse_id_range CHECK (evse_id >= 0),
        connector_id      integer NOT NULL
                          CONSTRAINT connectors_connector_id_range CHECK (connector_id >= 0),
        -- the raw protocol status (1.6 ChargePointStatus / 2.0.1 ConnectorStatusEnumType)
        status            text NOT NULL CONSTRAINT connectors_status_not_empty CHECK (status <> ''),
        availability      text NOT NULL CONSTRAINT connectors_availability_known
                          CHECK (availability IN ('Available', 'Occupied', 'Reserved', 'Unavailable', 'Faulted')),
        error_code        text,
        info              text,
        vendor_id         text,
        vendor_error_code text,
        -- the charger's timestamp of the status; a late replay never overwrites a newer one
        status_at         timestamptz NOT NULL,
        updated_at        timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (charge_point_id, evse_id, connector_id)
    )
    """,
    """
    CREATE TABLE api_tokens (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name         text NOT NULL CONSTRAINT api_tokens_name_not_empty CHECK (name <> ''),
        -- hex sha256 of the token; the token itself is never stored
        token_hash   text NOT NULL CONSTRAINT api_tokens_token_hash_key UNIQUE
                     CONSTRAINT api_tokens_token_hash_sha256 CHECK (token_hash ~ '^[0-9a-f]{64}$'),
        scopes       text[] NOT NULL DEFAULT '{}'
                     CONSTRAINT api_tokens_scopes_known CHECK (scopes <@ ARRAY['read', 'operate', 'admin']),
        created_at   timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at   timestamptz
    )
    """,
]

DOWNGRADE = [
    "DROP TABLE api_tokens",
    "DROP TABLE connectors",
    "DROP TABLE charge_points",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
