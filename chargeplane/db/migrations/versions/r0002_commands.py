"""Commands sent to chargers (audit trail), device state reported back, desired configuration.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = [
    """
    CREATE TABLE commands (
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        charge_point_id   text NOT NULL,
        action            text NOT NULL,
        payload           jsonb NOT NULL,
        requested_by      text,
        status            text NOT NULL CONSTRAINT commands_status_known
                          CHECK (status IN ('pending', 'answered', 'call_error', 'timeout', 'offline',
                                            'rejected', 'failed')),
        gateway           text,
        epoch             bigint,
        protocol          text,
        message_id        text,
        result            jsonb,
        error_code        text,
        error_description text,
        error_details     jsonb,
        created_at        timestamptz NOT NULL DEFAULT now(),
        completed_at      timestamptz
    )
    """,
    "CREATE INDEX commands_charge_point_created_idx ON commands (charge_point_id, created_at DESC)",
    """
    CREATE TABLE charger_notifications (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        charge_point_id text NOT NULL REFERENCES charge_points (id) ON DELETE CASCADE,
        -- FirmwareStatusNotification, DiagnosticsStatusNotification, LogStatusNotification, ...
        kind            text NOT NULL,
        status          text NOT NULL,
        request_id      integer,
        payload         jsonb NOT NULL,
        received_at     timestamptz NOT NULL DEFAULT now()
    )
    """,
    "CREATE INDEX charger_notifications_cp_idx ON charger_notifications (charge_point_id, kind, received_at DESC)",
    """
    CREATE TABLE device_variables (
        charge_point_id text NOT NULL REFERENCES charge_points (id) ON DELETE CASCADE,
        -- 2.0.1: component[/evse/connector]/variable[/instance] and attribute type;
        -- 1.6: component '' and the configuration key as the variable name.
        component       text NOT NULL,
        component_instance text NOT NULL DEFAULT '',
        evse_id         integer NOT NULL DEFAULT -1,
        connector_id    integer NOT NULL DEFAULT -1,
        variable        text NOT NULL,
        variable_instance text NOT NULL DEFAULT '',
        attribute_type  text NOT NULL DEFAULT 'Actual',
        value           text,
        readonly        boolean,
        characteristics jsonb,
        reported_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (charge_point_id, component, component_instance, evse_id, connector_id, variable,
                     variable_instance, attribute_type)
    )
    """,
    """
    CREATE TABLE desired_configuration (
        charge_point_id text NOT NULL REFERENCES charge_points (id) ON DELETE CASCADE,
        -- 1.6: the configuration key; 2.0.1: 'Component/Variable' (instance after '#')
        key             text NOT NULL,
        value           text NOT NULL,
        last_result     text,
        last_pushed_at  timestamptz,
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (charge_point_id, key)
    )
    """,
]

DOWNGRADE = [
    "DROP TABLE desired_configuration",
    "DROP TABLE device_variables",
    "DROP TABLE charger_notifications",
    "DROP TABLE commands",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
