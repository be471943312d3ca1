"""OCPI 2.2.1: roaming partners and their credentials, partner tokens, hub client info, the
Locations projection we publish, and the outbox every push goes through.

Revision ID: 0008
Revises: 0007 (only so this branch has one head; the OCPI tables do not use the sites tables)
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UPGRADE = [
    """
    CREATE TABLE ocpi_partners (
        id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name                text NOT NULL CONSTRAINT ocpi_partners_name_key UNIQUE
                            CONSTRAINT ocpi_partners_name_valid CHECK (name <> '' AND length(name) <= 100),
        -- planned: created, waiting for the credentials exchange; registered: exchange done;
        -- unregistered: either side deleted the credentials
        state               text NOT NULL DEFAULT 'planned'
                            CONSTRAINT ocpi_partners_state_known
                            CHECK (state IN ('planned', 'registered', 'unregistered')),
        version             text,
        versions_url        text,
        -- their CredentialsRole list and version-details endpoints (identifier, role, url)
        roles               jsonb NOT NULL DEFAULT '[]',
        endpoints           jsonb NOT NULL DEFAULT '[]',
        -- the credentials token this partner presents to us (token A we issued, then B/C):
        -- hex sha256 only, the token itself is never stored
        token_hash          text CONSTRAINT ocpi_partners_token_hash_key UNIQUE
                            CONSTRAINT ocpi_partners_token_hash_sha256 CHECK (token_hash ~ '^[0-9a-f]{64}$'),
        -- 'A': versions and credentials only (before registration); 'full': every module
        token_scope         text CONSTRAINT ocpi_partners_token_scope_known CHECK (token_scope IN ('A', 'full')),
        -- while we update our credentials at the partner: the new token, accepted next to the old
        next_token_hash     text CONSTRAINT ocpi_partners_next_token_hash_key UNIQUE
                            CONSTRAINT ocpi_partners_next_token_hash_sha256
                            CHECK (next_token_hash ~ '^[0-9a-f]{64}$'),
        -- the token we present to them (their token A, then B or C), AES-GCM encrypted
        peer_token          bytea,
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        registered_at       timestamptz,
        -- push health, kept by the outbox worker
        pushes_delivered    bigint NOT NULL DEFAULT 0,
        pushes_failed       bigint NOT NULL DEFAULT 0,
        last_push_at        timestamptz,
        last_push_error     text,
        last_push_error_at  timestamptz
    )
    """,
    """
    CREATE TABLE ocpi_tokens (
        partner_id            uuid NOT NULL REFERENCES ocpi_partners (id) ON DELETE CASCADE,
        -- upper-cased: CiString identifiers of the owning eMSP
        country_code          text NOT NULL CONSTRAINT ocpi_tokens_country_code_valid
                              CHECK (country_code ~ '^[A-Z]{2}$'),
        party_id              text NOT NULL CONSTRAINT ocpi_tokens_party_id_valid CHECK (party_id ~ '^[A-Z0-9]{3}$'),
        uid                   text NOT NULL CONSTRAINT ocpi_tokens_uid_valid CHECK (uid <> '' AND length(uid) <= 36),
        type                  text NOT NULL CONSTRAINT ocpi_tokens_type_known
                              CHECK (type IN ('AD_HOC_USER', 'APP_USER', 'OTHER', 'RFID')),
        contract_id           text NOT NULL,
        visual_number         text,
        issuer                text NOT NULL,
        group_id              text,
        valid                 boolean NOT NULL,
        whitelist             text NOT NULL CONSTRAINT ocpi_tokens_whitelist_known
                              CHECK (whitelist IN ('ALWAYS', 'ALLOWED', 'ALLOWED_OFFLINE', 'NEVER')),
        language              text,
        default_profile_type  text,
        energy_contract       jsonb,
        last_updated          timestamptz NOT NULL,
        received_at           timestamptz NOT NULL DEFAULT now()
    )
    """,
    # uid is a CiString: one token per (owner, uid, type) whatever the case it was sent in.
    "CREATE UNIQUE INDEX ocpi_tokens_key ON ocpi_tokens (country_code, party_id, upper(uid), type)",
    # What a charger presents is the uid alone: authorization looks it up across owners.
    "CREATE INDEX ocpi_tokens_uid_idx ON ocpi_tokens (upper(uid), type)",
    """
    CREATE TABLE ocpi_client_info (
        partner_id    uuid NOT NULL REFERENCES ocpi_partners (id) ON DELETE CASCADE,
        country_code  text NOT NULL,
        party_id      text NOT NULL,
        role          text NOT NULL,
        status        text NOT NULL CONSTRAINT ocpi_client_info_status_known
                      CHECK (status IN ('CONNECTED', 'OFFLINE', 'PLANNED', 'SUSPENDED')),
        last_updated  timestamptz NOT NULL,
        received_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (partner_id, country_code, party_id)
    )
    """,
    """
    CREATE TABLE ocpi_locations (
        id            text PRIMARY KEY,
        -- the Location object without evses and last_updated
        body          jsonb NOT NULL,
        last_updated  timestamptz NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
    )
    """,
    # GET list: oldest first (the spec's advice), filtered by last_updated.
    "CREATE INDEX ocpi_locations_created_idx ON ocpi_locations (created_at, id)",
    "CREATE INDEX ocpi_locations_last_updated_idx ON ocpi_locations (last_updated)",
    """
    CREATE TABLE ocpi_evses (
        -- generated once and never reused: the same hardware at another location is another EVSE
        uid              text PRIMARY KEY,
        location_id      text NOT NULL REFERENCES ocpi_locations (id) ON DELETE CASCADE,
        charge_point_id  text NOT NULL,
        evse_id          integer NOT NULL,
        status           text NOT NULL,
        -- the EVSE object without uid, status and last_updated
        body             jsonb NOT NULL,
        last_updated     timestamptz NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT ocpi_evses_hardware_key UNIQUE (location_id, charge_point_id, evse_id)
    )
    """,
    "CREATE INDEX ocpi_evses_charge_point_idx ON ocpi_evses (charge_point_id)",
    """
    CREATE TABLE ocpi_outbox (
        id               bigserial PRIMARY KEY,
        partner_id       uuid NOT NULL REFERENCES ocpi_partners (id) ON DELETE CASCADE,
        -- the partner's RECEIVER endpoint of this module is resolved at delivery time
        module           text NOT NULL,
        method           text NOT NULL CONSTRAINT ocpi_outbox_method_known
                         CHECK (method IN ('POST', 'PUT', 'PATCH', 'DELETE')),
        -- appended to the endpoint URL, e.g. /NL/CPL/LOC1/<evse uid>; or an absolute URL the
        -- partner gave (a command's response_url)
        path             text NOT NULL,
        body             jsonb,
        -- pushes with the same key are delivered one at a time, in id order (per location...)
        ordering_key     text NOT NULL,
        -- an undelivered push with the same key is replaced by a newer one (it carries the
        -- newer state), so a partner that is down costs one row per object, not one per change
        supersede_key    text,
        -- stable across retries: the receiver can recognise a repeated delivery
        correlation_id   uuid NOT NULL DEFAULT gen_random_uuid(),
        created_at       timestamptz NOT NULL DEFAULT now(),
        attempts         integer NOT NULL DEFAULT 0,
        next_attempt_at  timestamptz NOT NULL DEFAULT now(),
        -- a worker holds the row until then (another replica takes over after a crash)
        locked_until     timestamptz,
        last_error       text,
        -- given up (kept for inspection); no longer holds up its ordering key
        dead_at          timestamptz
    )
    """,
    "CREATE INDEX ocpi_outbox_heads_idx ON ocpi_outbox (partner_id, ordering_key, id) WHERE dead_at IS NULL",
    """
    CREATE INDEX ocpi_outbox_supersede_idx ON ocpi_outbox (partner_id, supersede_key)
    WHERE dead_at IS NULL AND supersede_key IS NOT NULL
    """,
]

DOWNGRADE = [
    "DROP TABLE ocpi_outbox",
    "DROP TABLE ocpi_evses",
    "DROP TABLE ocpi_locations",
    "DROP TABLE ocpi_client_info",
    "DROP TABLE ocpi_tokens",
    "DROP TABLE ocpi_partners",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
