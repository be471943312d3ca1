"""Sites (physical charging locations) and the EVSE/connector hardware of charge points.

A site is what billing (time zone), smart charging (grid connection) and OCPI (address,
coordinates, opening times...) need to know about a place; charge points point at it by
their `site`. EVSE and connector specs (standard, format, power type, limits) describe the
hardware; the connectors table keeps the live status the charger reports.

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UPGRADE = [
    """
    CREATE TABLE sites (
        -- the OCPI Location id as well: CiString(36), one URL path segment
        id                    text PRIMARY KEY
                              CONSTRAINT sites_id_valid CHECK (id ~ '^[A-Za-z0-9._~-]{1,36}$'),
        name                  text CONSTRAINT sites_name_length CHECK (length(name) <= 255),
        address               text NOT NULL CONSTRAINT sites_address_length
                              CHECK (address <> '' AND length(address) <= 45),
        city                  text NOT NULL CONSTRAINT sites_city_length CHECK (city <> '' AND length(city) <= 45),
        postal_code           text CONSTRAINT sites_postal_code_length CHECK (length(postal_code) <= 10),
        state                 text CONSTRAINT sites_state_length CHECK (length(state) <= 20),
        -- ISO 3166-1 alpha-3
        country               text NOT NULL CONSTRAINT sites_country_alpha3 CHECK (country ~ '^[A-Z]{3}$'),
        -- WGS 84 decimal degrees, kept as the exact strings OCPI exchanges
        latitude              text NOT NULL
                              CONSTRAINT sites_latitude_format CHECK (latitude ~ '^-?[0-9]{1,2}\\.[0-9]{5,7}$'),
        longitude             text NOT NULL
                              CONSTRAINT sites_longitude_format CHECK (longitude ~ '^-?[0-9]{1,3}\\.[0-9]{5,7}$'),
        -- IANA tz database name (checked by the registry against zoneinfo)
        time_zone             text NOT NULL CONSTRAINT sites_time_zone_not_empty CHECK (time_zone <> ''),
        parking_type          text CONSTRAINT sites_parking_type_known CHECK (parking_type IN (
                                  'ALONG_MOTORWAY', 'PARKING_GARAGE', 'PARKING_LOT', 'ON_DRIVEWAY',
                                  'ON_STREET', 'UNDERGROUND_GARAGE')),
        facilities            text[] NOT NULL DEFAULT '{}',
        -- OCPI Hours {twentyfourseven, regular_hours, exceptional_openings, exceptional_closings}
        opening_times         jsonb,
        charging_when_closed  boolean,
        -- OCPI BusinessDetails {name, website, logo}
        operator              jsonb,
        suboperator           jsonb,
        owner                 jsonb,
        -- OCPI DisplayText list
        directions            jsonb NOT NULL DEFAULT '[]',
        -- OCPI Location.publish: may be shown in apps and on websites
        publish               boolean NOT NULL DEFAULT true,
        -- shared with roaming partners at all (private sites are not)
        roaming               boolean NOT NULL DEFAULT true,
        -- grid connection, for load management
        grid_max_current      numeric CONSTRAINT sites_grid_max_current_positive CHECK (grid_max_current > 0),
        grid_max_power        numeric CONSTRAINT sites_grid_max_power_positive CHECK (grid_max_power > 0),
        grid_phases           smallint CONSTRAINT sites_grid_phases_range CHECK (grid_phases BETWEEN 1 AND 3),
        grid_voltage          numeric CONSTRAINT sites_grid_voltage_positive CHECK (grid_voltage > 0),
        created_at            timestamptz NOT NULL DEFAULT now(),
        updated_at            timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE TABLE evse_specs (
        charge_point_id     text NOT NULL REFERENCES charge_points (id) ON DELETE CASCADE,
        evse_id             integer NOT NULL CONSTRAINT evse_specs_evse_id_positive CHECK (evse_id > 0),
        -- eMI3 EVSE ID (e.g. NL*CPL*E12345*1), printed on the charger
        evse_code           text CONSTRAINT evse_specs_evse_code_length CHECK (length(evse_code) <= 48),
        physical_reference  text CONSTRAINT evse_specs_physical_reference_length
                            CHECK (length(physical_reference) <= 16),
        floor_level         text CONSTRAINT evse_specs_floor_level_length CHECK (length(floor_level) <= 4),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (charge_point_id, evse_id)
    )
    """,
    """
    CREATE TABLE connector_specs (
        charge_point_id       text NOT NULL,
        evse_id               integer NOT NULL,
        connector_id          integer NOT NULL CONSTRAINT connector_specs_connector_id_positive
                              CHECK (connector_id > 0),
        -- OCPI ConnectorType / ConnectorFormat / PowerType vocabulary
        standard              text NOT NULL CONSTRAINT connector_specs_standard_not_empty CHECK (standard <> ''),
        format                text NOT NULL CONSTRAINT connector_specs_format_known
                              CHECK (format IN ('SOCKET', 'CABLE')),
        power_type            text NOT NULL CONSTRAINT connector_specs_power_type_known
                              CHECK (power_type IN ('AC_1_PHASE', 'AC_2_PHASE', 'AC_2_PHASE_SPLIT',
                                                    'AC_3_PHASE', 'DC')),
        max_voltage           integer NOT NULL CONSTRAINT connector_specs_max_voltage_positive CHECK (max_voltage > 0),
        max_amperage          integer NOT NULL
                              CONSTRAINT connector_specs_max_amperage_positive CHECK (max_amperage > 0),
        max_electric_power    integer CONSTRAINT connector_specs_max_electric_power_positive
                              CHECK (max_electric_power > 0),
        terms_and_conditions  text CONSTRAINT connector_specs_terms_length CHECK (length(terms_and_conditions) <= 255),
        updated_at            timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (charge_point_id, evse_id, connector_id),
        FOREIGN KEY (charge_point_id, evse_id) REFERENCES evse_specs (charge_point_id, evse_id) ON DELETE CASCADE
    )
    """,
]

DOWNGRADE = [
    "DROP TABLE connector_specs",
    "DROP TABLE evse_specs",
    "DROP TABLE sites",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
