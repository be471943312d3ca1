"""Billing: versioned tariffs, assignments, sites, CDRs, invoices, payments, outbox, webhooks.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-01

Owned by the billing service alone (no other service reads these tables). What must never
change once written is enforced here, not only in code: tariff versions, CDRs, invoices
and the audit log reject UPDATE and DELETE with a trigger. Idempotency and numbering are
constraints: one original CDR per transaction (a partial unique index), one credit per
CDR, one invoice per contract and month, and gap-free numbers from counter rows that are
locked in the same transaction as the insert they number (a rollback returns the number).
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

IMMUTABLE = ("billing_tariff_versions", "billing_cdrs", "billing_invoices", "billing_audit")

UPGRADE = [
    """
    CREATE FUNCTION billing_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% rows are immutable (% refused)', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    """
    CREATE TABLE billing_tariffs (
        id             text PRIMARY KEY CONSTRAINT billing_tariffs_id_valid CHECK (id <> '' AND length(id) <= 36),
        latest_version integer NOT NULL,
        deleted_at     timestamptz,
        created_at     timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE TABLE billing_tariff_versions (
        tariff_id   text NOT NULL REFERENCES billing_tariffs (id),
        version     integer NOT NULL CONSTRAINT billing_tariff_versions_positive CHECK (version >= 1),
        body        jsonb NOT NULL,  -- the OCPI 2.2.1 Tariff object of this version
        created_at  timestamptz NOT NULL DEFAULT now(),
        created_by  text NOT NULL DEFAULT '',
        PRIMARY KEY (tariff_id, version)
    )
    """,
    """
    CREATE TABLE billing_tariff_assignments (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        scope            text NOT NULL CONSTRAINT billing_assignment_scope_known
                         CHECK (scope IN ('default', 'site', 'charge_point', 'evse')),
        site_id          text NOT NULL DEFAULT '',
        charge_point_id  text NOT NULL DEFAULT '',
        evse_id          integer NOT NULL DEFAULT 0,
        id_token_group   text NOT NULL DEFAULT '',
        tariff_id        text NOT NULL REFERENCES billing_tariffs (id),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT billing_assignment_key UNIQUE (scope, site_id, charge_point_id, evse_id, id_token_group)
    )
    """,
    """
    CREATE TABLE billing_sites (
        site_id     text PRIMARY KEY,
        time_zone   text NOT NULL,
        location    jsonb NOT NULL DEFAULT '{}',  -- CdrLocation fields known for the site
        updated_at  timestamptz NOT NULL DEFAULT now()
    )
    """,
    # The tariff version a running session was priced with from its first sight on.
    """
    CREATE TABLE billing_session_tariffs (
        transaction_id  text PRIMARY KEY,
        tariff_id       text REFERENCES billing_tariffs (id),
        version         integer,
        time_zone       text NOT NULL,
        pinned_at       timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE TABLE billing_counters (
        series   text PRIMARY KEY,  -- 'cdr:NL:CPL', 'invoice:2026'
        next_no  bigint NOT NULL DEFAULT 1
    )
    """,
    """
    CREATE TABLE billing_cdrs (
        id                   text PRIMARY KEY,
        number               bigint NOT NULL,
        country_code         text NOT NULL,
        party_id             text NOT NULL,
        kind                 text NOT NULL CONSTRAINT billing_cdrs_kind_known
                             CHECK (kind IN ('original', 'credit', 'replacement')),
        transaction_id       text NOT NULL,
        charge_point_id      text NOT NULL,
        site_id              text NOT NULL DEFAULT '',
        contract_id          text NOT NULL DEFAULT '',
        credit_reference_id  text REFERENCES billing_cdrs (id),
        tariff_id            text,
        tariff_version       integer,
        currency             text NOT NULL,
        total_excl_vat       numeric NOT NULL,
        total_incl_vat       numeric,
        start_date_time      timestamptz NOT NULL,
        end_date_time        timestamptz NOT NULL,
        body                 jsonb NOT NULL,  -- the OCPI 2.2.1 CDR object
        session              jsonb NOT NULL,  -- the billing session it was priced from (repricing)
        vat_lines            jsonb NOT NULL DEFAULT '[]',
        created_at           timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT billing_cdrs_number_key UNIQUE (country_code, party_id, number),
        CONSTRAINT billing_cdrs_credit_once UNIQUE (credit_reference_id)
    )
    """,
    "CREATE UNIQUE INDEX billing_cdrs_one_per_transaction ON billing_cdrs (transaction_id) WHERE kind = 'original'",
    "CREATE INDEX billing_cdrs_transaction_idx ON billing_cdrs (transaction_id)",
    "CREATE INDEX billing_cdrs_cp_idx ON billing_cdrs (charge_point_id, end_date_time DESC)",
    "CREATE INDEX billing_cdrs_end_idx ON billing_cdrs (end_date_time DESC, id DESC)",
    "CREATE INDEX billing_cdrs_contract_idx ON billing_cdrs (contract_id, end_date_time)",
    """
    CREATE TABLE billing_audit (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        action      text NOT NULL,
        actor       text NOT NULL,
        reason      text NOT NULL,
        details     jsonb NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE TABLE billing_contracts (
        contract_id  text PRIMARY KEY,
        name         text NOT NULL,
        address      text NOT NULL DEFAULT '',
        email        text NOT NULL DEFAULT '',
        vat_id       text NOT NULL DEFAULT '',
        id_tokens    text[] NOT NULL DEFAULT '{}',
        updated_at   timestamptz NOT NULL DEFAULT now()
    )
    """,
    "CREATE INDEX billing_contracts_tokens_idx ON billing_contracts USING gin (id_tokens)",
    """
    CREATE TABLE billing_invoices (
        id           text PRIMARY KEY,  -- the invoice number, e.g. INV-2026-000001
        number       bigint NOT NULL,
        contract_id  text NOT NULL REFERENCES billing_contracts (contract_id),
        period       text NOT NULL,  -- YYYY-MM
        currency     text NOT NULL,
        total_excl   numeric NOT NULL,
        total_vat    numeric NOT NULL,
        total_incl   numeric NOT NULL,
        body         jsonb NOT NULL,  -- lines, VAT lines, parties
        html         text NOT NULL,
        pdf          bytea NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT billing_invoices_once UNIQUE (contract_id, period, currency)
    )
    """,
    """
    CREATE TABLE billing_payments (
        id              text PRIMARY KEY,
        transaction_id  text NOT NULL UNIQUE,
        provider        text NOT NULL,
        reference       text NOT NULL DEFAULT '',  -- the provider's id (PaymentIntent pi_...)
        currency        text NOT NULL,
        authorized      bigint NOT NULL DEFAULT 0,  -- minor units
        captured        bigint NOT NULL DEFAULT 0,
        refunded        bigint NOT NULL DEFAULT 0,
        status          text NOT NULL,
        pending         jsonb,  -- an operation waiting for the payment worker
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error      text NOT NULL DEFAULT '',
        details         jsonb NOT NULL DEFAULT '{}',
        updated_at      timestamptz NOT NULL DEFAULT now()
    )
    """,
    "CREATE INDEX billing_payments_pending_idx ON billing_payments (next_attempt_at) WHERE pending IS NOT NULL",
    """
    CREATE TABLE billing_outbox (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id    uuid NOT NULL UNIQUE,
        type        text NOT NULL,
        payload     jsonb NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE TABLE billing_webhooks (
        id            text PRIMARY KEY,
        url           text NOT NULL,
        secret        text NOT NULL,
        event_types   text[] NOT NULL DEFAULT '{}',  -- empty: every event
        active        boolean NOT NULL DEFAULT true,
        lease_until   timestamptz,
        created_at    timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE TABLE billing_webhook_deliveries (
        webhook_id       text NOT NULL REFERENCES billing_webhooks (id) ON DELETE CASCADE,
        outbox_id        bigint NOT NULL REFERENCES billing_outbox (id),
        status           text NOT NULL DEFAULT 'pending'
                         CONSTRAINT billing_delivery_status_known CHECK (status IN ('pending', 'delivered', 'dead')),
        attempts         integer NOT NULL DEFAULT 0,
        next_attempt_at  timestamptz NOT NULL DEFAULT now(),
        last_error       text NOT NULL DEFAULT '',
        delivered_at     timestamptz,
        PRIMARY KEY (webhook_id, outbox_id)
    )
    """,
    "CREATE INDEX billing_deliveries_pending_idx ON billing_webhook_deliveries (webhook_id, outbox_id) "
    "WHERE status = 'pending'",
]

DOWNGRADE = [
    "DROP TABLE IF EXISTS billing_webhook_deliveries",
    "DROP TABLE IF EXISTS billing_webhooks",
    "DROP TABLE IF EXISTS billing_outbox",
    "DROP TABLE IF EXISTS billing_payments",
    "DROP TABLE IF EXISTS billing_invoices",
    "DROP TABLE IF EXISTS billing_contracts",
    "DROP TABLE IF EXISTS billing_audit",
    "DROP TABLE IF EXISTS billing_cdrs",
    "DROP TABLE IF EXISTS billing_counters",
    "DROP TABLE IF EXISTS billing_session_tariffs",
    "DROP TABLE IF EXISTS billing_sites",
    "DROP TABLE IF EXISTS billing_tariff_assignments",
    "DROP TABLE IF EXISTS billing_tariff_versions",
    "DROP TABLE IF EXISTS billing_tariffs",
    "DROP FUNCTION IF EXISTS billing_forbid_change()",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)
    for table in IMMUTABLE:
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION billing_forbid_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION billing_forbid_change()"
        )


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
