"""Version-neutral command input (chargeplane.domain.commands): what the models accept,
and bad input refused with a message that names the field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from chargeplane.domain.commands import COMMANDS, UnknownCommand, parse_command
from chargeplane.domain.fields import describe
from tests.gateway.command_cases import CASES

TX_DEFAULT = {
    "id": 1,
    "stack_level": 0,
    "purpose": "TxDefaultProfile",
    "kind": "Absolute",
    "schedules": [{"rate_unit": "A", "periods": [{"start_period": 0, "limit": 1}]}],
}


def test_every_command_has_cases() -> None:
    assert {c[0] for c in CASES} == set(COMMANDS)
    assert len(COMMANDS) == 20


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_the_json_form_round_trips(case: tuple[str, dict[str, Any], str, str]) -> None:
    command = parse_command(case[0], case[1])
    assert parse_command(case[0], command.to_dict()) == command


def test_aliases_and_spellings() -> None:
    assert parse_command("reset", {"type": "Immediate"}) == parse_command("reset", {"type": "hard"})
    assert parse_command("reset", {"type": "onidle", "evse_id": 2.0}).to_dict() == {"type": "soft", "evse_id": 2}
    assert parse_command("reset", {"evse_id": None}) == parse_command("reset", {})  # null is absent
    profile = {**TX_DEFAULT, "purpose": "ChargePointMaxProfile"}
    assert parse_command("clear-charging-profile", {"purpose": "chargepointmaxprofile"}).to_dict() == {
        "purpose": "ChargingStationMaxProfile"
    }
    assert (
        parse_command("set-charging-profile", {"evse_id": 0, "profile": profile}).to_dict()["profile"]["purpose"]
        == "ChargingStationMaxProfile"
    )
    stop = parse_command("remote-stop", {"transaction_id": 77})
    assert stop.to_dict() == {"transaction_id": "77"}
    reserve = parse_command(
        "reserve-now", {"reservation_id": 1, "expiry": "2026-12-24T20:00:00.123456+02:00", "id_token": "T"}
    )
    assert reserve.to_dict()["expiry"] == "2026-12-24T18:00:00.123000Z"  # UTC, milliseconds
    change = parse_command("change-configuration", {"key": "HeartbeatInterval", "value": "60"})
    assert change.to_dict() == {"settings": [{"key": "HeartbeatInterval", "value": "60"}]}


def test_generated_request_ids_are_positive_int32() -> None:
    ids = {parse_command("get-base-report", {}).to_dict()["request_id"] for _ in range(50)}
    assert len(ids) > 40 and all(0 < i < 2**31 for i in ids)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("reset", {"type": "gentle"}, "type: must be one of hard, soft"),
        ("reset", {"evse_id": -1}, "evse_id: Input should be greater than or equal to 0"),
        ("reset", {"evse_id": True}, "evse_id: must be an integer"),
        ("reset", {"evse_id": "1"}, "evse_id: must be an integer"),
        ("reset", {"evse_id": 1.5}, "evse_id: must be an integer"),
        ("reset", {"nonsense": 1}, "nonsense: Extra inputs are not permitted"),
        ("reset", [], "body: Input should be a valid dictionary"),
        ("remote-start", {}, "id_token: Field required"),
        ("remote-start", {"id_token": "x" * 37}, "id_token: String should have at most 36 characters"),
        ("remote-start", {"id_token": "T\x00"}, "id_token: must not contain NUL characters"),
        ("remote-start", {"id_token": "T", "id_token_type": "Magic"}, "id_token_type: must be one of"),
        (
            "remote-start",
            {"id_token": "T", "charging_profile": TX_DEFAULT},
            "charging_profile: a remote start takes a TxProfile",
        ),
        ("remote-stop", {"transaction_id": ""}, "transaction_id: must be a transaction id"),
        ("unlock", {"evse_id": 0}, "evse_id: Input should be greater than or equal to 1"),
        ("change-availability", {"status": "Sleepy"}, "status: must be one of Inoperative, Operative"),
        ("change-availability", {"status": "Operative", "connector_id": 1}, "connector_id: needs evse_id"),
        ("trigger-message", {"message": "Coffee"}, "message: must be one of"),
        ("get-configuration", {"keys": "HeartbeatInterval"}, "keys: must be a list"),
        ("get-configuration", {"keys": ["A/B/C"]}, "keys[0]: 'A/B/C' is not of the form"),
        ("get-configuration", {"keys": [""]}, "keys[0]: String should have at least 1 character"),
        ("change-configuration", {"key": "HeartbeatInterval"}, "settings[0].value: Field required"),
        ("change-configuration", {"settings": []}, "settings: at least one setting is required"),
        ("change-configuration", {"key": "A", "value": "1", "settings": [{"key": "B", "value": "2"}]}, "either key"),
        ("data-transfer", {}, "vendor_id: Field required"),
        ("reserve-now", {"reservation_id": 1, "expiry": "tomorrow", "id_token": "T"}, "expiry: must be an ISO 8601"),
        ("reserve-now", {"reservation_id": 1, "expiry": "2026-01-01T00:00:00", "id_token": "T"}, "UTC offset"),
        (
            "send-local-list",
            {"version": 1, "update_type": "Full", "entries": [{"id_token": "A"}]},
            "entries: every entry of a Full update needs a status",
        ),
        (
            "send-local-list",
            {
                "version": 1,
                "update_type": "Differential",
                "entries": [{"id_token": "A", "expiry": "2030-01-01T00:00Z"}],
            },
            "entries[0]: expiry and group_id_token need a status",
        ),
        ("send-local-list", {"version": 1, "update_type": "Partial"}, "update_type: must be one of"),
        (
            "update-firmware",
            {"location": "not a uri", "retrieve_at": "2026-01-01T00:00:00Z"},
            "location: must be a URI",
        ),
        (
            "update-firmware",
            {"location": "https://x", "retrieve_at": "2026-01-01T00:00:00Z", "signature": "s"},
            "signature and signing_certificate go together",
        ),
        ("get-diagnostics", {}, "location: Field required"),
        ("set-charging-profile", {"evse_id": 1}, "profile: Field required"),
        (
            "set-charging-profile",
            {"evse_id": 1, "profile": {**TX_DEFAULT, "purpose": "TxProfile", "kind": "Recurring"}},
            "profile: a Recurring profile needs recurrency",
        ),
        (
            "set-charging-profile",
            {"evse_id": 1, "profile": {**TX_DEFAULT, "schedules": [{"rate_unit": "kW", "periods": []}]}},
            "profile.schedules[0].rate_unit: must be one of A, W",
        ),
        (
            "set-charging-profile",
            {
                "evse_id": 1,
                "profile": {**TX_DEFAULT, "schedules": [{"rate_unit": "A", "periods": [{"start_period": 0}]}]},
            },
            "profile.schedules[0].periods[0].limit: Field required",
        ),
        (
            "set-charging-profile",
            {"evse_id": 1, "profile": {**TX_DEFAULT, "schedules": [{"rate_unit": "A", "periods": []}]}},
            "profile.schedules[0].periods: at least one period is required",
        ),
        ("get-composite-schedule", {"evse_id": 1}, "duration: Field required"),
    ],
)
def test_bad_input_is_refused_naming_the_field(name: str, params: Any, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_command(name, params)
    assert message in describe(info.value)


def test_unknown_command() -> None:
    with pytest.raises(UnknownCommand, match="unknown command 'nope'; known: cancel-reservation"):
        parse_command("nope", {})


def test_every_model_documents_its_json_schema() -> None:
    for name, model in COMMANDS.items():
        schema = model.model_json_schema()
        assert schema["type"] == "object" and schema.get("additionalProperties") is False, name
