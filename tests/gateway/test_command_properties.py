"""Property-based, both versions: whatever parameters a command model accepts translate
(gateway/ocpp16, gateway/ocpp201) into a payload the official schema accepts, or into a
clear UnsupportedCommand; what it refuses is refused with a ValidationError naming the
field (never another exception). The JSON form round-trips."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.commands import COMMANDS, TRIGGERABLE, UnsupportedCommand, parse_command
from chargeplane.domain.device import STANDARD_KEYS
from chargeplane.domain.fields import describe
from chargeplane.gateway.command_sender import prepare
from chargeplane.gateway.validation import _schema_dir, _schema_name, validate

PROTOCOLS = (Protocol.OCPP16, Protocol.OCPP201)


def text(max_size: int) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(min_size=1, max_size=max_size),
        st.text(alphabet="AZaz09-_.", min_size=max_size - 2, max_size=max_size + 2),
    )


ints = st.one_of(st.integers(-2, 10), st.integers(0, 2**31 + 2), st.sampled_from([0, 1, 2**31 - 1, 2**31]))
small = st.integers(0, 5)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1))
with_offset = st.builds(lambda d, tz: d.replace(tzinfo=tz).isoformat(), moments, offsets)
times = st.one_of(
    with_offset,
    with_offset,
    with_offset,
    st.builds(lambda d: d.isoformat(), moments),  # no offset: refused
    st.builds(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"), moments),
)


def one_of_or_junk(*values: str) -> st.SearchStrategy[Any]:
    valid = st.sampled_from(values)
    return st.one_of(valid, valid, valid, valid, st.sampled_from([v.lower() for v in values]), st.text(max_size=8))


id_token_types = one_of_or_junk("Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress")
plain_keys = st.one_of(st.sampled_from(sorted(STANDARD_KEYS)), text(52).filter(lambda k: "/" not in k))
variable_keys = st.builds(
    lambda c, ci, evse, v, vi: c + (f"#{ci}" if ci else "") + (evse or "") + "/" + v + (f"#{vi}" if vi else ""),
    st.sampled_from(["OCPPCommCtrlr", "EVSE", "Connector", "TxCtrlr", "SampledDataCtrlr", "X" * 51]),
    st.one_of(st.none(), st.text(alphabet="abc1", min_size=1, max_size=4)),
    st.one_of(st.none(), st.builds(lambda e: f"[{e}]", small), st.builds(lambda e, c: f"[{e}.{c}]", small, small)),
    st.sampled_from(["HeartbeatInterval", "Power", "AvailabilityState", "TxUpdatedInterval", "MessageAttempts"]),
    st.one_of(st.none(), st.sampled_from(["TransactionEvent", "x"])),
)
keys = st.one_of(plain_keys, variable_keys)

mostly_phases = st.one_of(st.integers(1, 3), st.integers(1, 3), st.integers(0, 4))
period = st.fixed_dictionaries(
    {"start_period": ints, "limit": st.one_of(st.floats(0, 1e6, allow_nan=False), st.integers(0, 100_000))},
    optional={"number_phases": mostly_phases, "phase_to_use": mostly_phases},
)
schedule = st.fixed_dictionaries(
    {
        "rate_unit": one_of_or_junk("A", "W"),
        "periods": st.one_of(st.lists(period, min_size=1, max_size=4), st.lists(period, max_size=0)),
    },
    optional={"id": ints, "start": times, "duration": ints, "min_charging_rate": st.floats(0, 100)},
)
profile = st.fixed_dictionaries(
    {
        "id": st.one_of(small, ints),
        "stack_level": small,
        "purpose": one_of_or_junk(
            "ChargePointMaxProfile",
            "ChargingStationMaxProfile",
            "TxDefaultProfile",
            "TxProfile",
            "ChargingStationExternalConstraints",
        ),
        "kind": one_of_or_junk("Absolute", "Recurring", "Relative"),
        "schedules": st.one_of(st.lists(schedule, min_size=1, max_size=2), st.lists(schedule, max_size=4)),
    },
    optional={
        "recurrency": one_of_or_junk("Daily", "Weekly"),
        "valid_from": times,
        "valid_to": times,
        "transaction_id": st.one_of(ints, text(37)),
    },
)
entry = st.fixed_dictionaries(
    {"id_token": text(37)},
    optional={
        "id_token_type": id_token_types,
        "status": one_of_or_junk("Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx", "NoCredit", "Unknown"),
        "expiry": times,
        "group_id_token": text(37),
    },
)
uris = st.one_of(st.sampled_from(["ftp://h/p", "https://fw.example.com/a.bin", "sftp://u@h:22/x"]), text(20))

PARAMS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "reset": st.fixed_dictionaries({}, optional={"type": one_of_or_junk("soft", "hard", "OnIdle"), "evse_id": ints}),
    "remote-start": st.fixed_dictionaries(
        {"id_token": text(37)},
        optional={
            "id_token_type": id_token_types,
            "evse_id": ints,
            "remote_start_id": ints,
            "group_id_token": text(37),
            "charging_profile": profile,
        },
    ),
    "remote-stop": st.fixed_dictionaries({"transaction_id": st.one_of(ints, text(37), st.just("-12"))}),
    "unlock": st.fixed_dictionaries({"evse_id": ints}, optional={"connector_id": small}),
    "change-availability": st.fixed_dictionaries(
        {"status": one_of_or_junk("Operative", "Inoperative")}, optional={"evse_id": small, "connector_id": small}
    ),
    "trigger-message": st.fixed_dictionaries(
        {"message": one_of_or_junk(*TRIGGERABLE)}, optional={"evse_id": small, "connector_id": small}
    ),
    "get-configuration": st.fixed_dictionaries(
        {}, optional={"keys": st.lists(keys, max_size=4), "attribute_type": one_of_or_junk("Actual", "Target")}
    ),
    "change-configuration": st.one_of(
        st.fixed_dictionaries({"key": keys, "value": text(1001)}),
        st.fixed_dictionaries(
            {"settings": st.lists(st.fixed_dictionaries({"key": keys, "value": text(600)}), max_size=3)},
            optional={"attribute_type": one_of_or_junk("Actual", "MinSet")},
        ),
    ),
    "get-base-report": st.fixed_dictionaries(
        {}, optional={"report_base": one_of_or_junk("FullInventory", "SummaryInventory"), "request_id": ints}
    ),
    "clear-cache": st.just({}),
    "data-transfer": st.fixed_dictionaries(
        {"vendor_id": text(256)},
        optional={
            "message_id": text(51),
            "data": st.one_of(st.text(), st.integers(), st.dictionaries(st.text(), st.text())),
        },
    ),
    "reserve-now": st.fixed_dictionaries(
        {"reservation_id": ints, "expiry": times, "id_token": text(37)},
        optional={
            "id_token_type": id_token_types,
            "evse_id": ints,
            "group_id_token": text(37),
            "connector_type": one_of_or_junk("cCCS2", "cType2", "sType2"),
        },
    ),
    "cancel-reservation": st.fixed_dictionaries({"reservation_id": ints}),
    "send-local-list": st.fixed_dictionaries(
        {"version": ints, "update_type": one_of_or_junk("Full", "Differential")},
        optional={"entries": st.lists(entry, max_size=4)},
    ),
    "get-local-list-version": st.just({}),
    "update-firmware": st.fixed_dictionaries(
        {"location": uris, "retrieve_at": times},
        optional={
            "retries": ints,
            "retry_interval": ints,
            "install_at": times,
            "signing_certificate": text(30),
            "signature": text(30),
            "request_id": ints,
        },
    ),
    "get-diagnostics": st.fixed_dictionaries(
        {"location": uris},
        optional={
            "log_type": one_of_or_junk("DiagnosticsLog", "SecurityLog"),
            "oldest": times,
            "latest": times,
            "retries": ints,
            "retry_interval": ints,
            "request_id": ints,
        },
    ),
    "set-charging-profile": st.fixed_dictionaries({"evse_id": ints, "profile": profile}),
    "clear-charging-profile": st.fixed_dictionaries(
        {},
        optional={
            "profile_id": ints,
            "evse_id": ints,
            "purpose": one_of_or_junk("TxProfile", "ChargingStationExternalConstraints"),
            "stack_level": ints,
        },
    ),
    "get-composite-schedule": st.fixed_dictionaries(
        {"evse_id": ints, "duration": ints}, optional={"rate_unit": one_of_or_junk("A", "W")}
    ),
}


def test_every_command_has_a_strategy() -> None:
    assert set(PARAMS) == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_accepted_parameters_translate_to_schema_valid_payloads(name: str) -> None:
    # The property runs per command inside this test, so the count of accepted inputs
    # checked below is its own (the property is not satisfied by refusing everything),
    # whatever order or subset of tests runs.
    accepted = 0

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(PARAMS[name])
    def translates(params: dict[str, Any]) -> None:
        nonlocal accepted
        try:
            command = parse_command(name, params)
        except ValidationError as exc:
            assert describe(exc)  # a message, never empty
            return
        accepted += 1
        assert parse_command(name, command.to_dict()) == command
        for protocol in PROTOCOLS:
            try:
                prepared = prepare(protocol, command)
            except UnsupportedCommand as exc:
                assert str(exc)
                continue
            validate(protocol, prepared.action, "request", prepared.payload)

    translates()
    assert accepted >= 1


def _status_answer(action: str, protocol: Protocol) -> st.SearchStrategy[dict[str, Any]]:
    """Answers drawn from each response schema's status enum (or the status-less shapes)."""
    schema = json.loads(
        (_schema_dir(protocol) / f"{_schema_name(protocol, action, 'response')}.json").read_text(encoding="utf-8-sig")
    )
    status = schema.get("properties", {}).get("status")
    if status is None:
        return st.just({})
    enum = status.get("enum") or schema["definitions"][status["$ref"].split("/")[-1]]["enum"]
    info = st.fixed_dictionaries({"reasonCode": st.text(min_size=1, max_size=20)})
    if protocol is Protocol.OCPP201:
        return st.fixed_dictionaries({"status": st.sampled_from(enum)}, optional={"statusInfo": info})
    return st.fixed_dictionaries({"status": st.sampled_from(enum)})


SIMPLE = [
    ("reset", {}),
    ("remote-start", {"id_token": "T"}),
    ("remote-stop", {"transaction_id": 1}),
    ("unlock", {"evse_id": 1}),
    ("change-availability", {"status": "Operative"}),
    ("trigger-message", {"message": "Heartbeat"}),
    ("clear-cache", {}),
    ("data-transfer", {"vendor_id": "v"}),
    ("reserve-now", {"reservation_id": 1, "expiry": "2030-01-01T00:00:00Z", "id_token": "T"}),
    ("cancel-reservation", {"reservation_id": 1}),
    ("send-local-list", {"version": 1, "update_type": "Full"}),
    ("update-firmware", {"location": "ftp://h/f", "retrieve_at": "2030-01-01T00:00:00Z"}),
    ("get-diagnostics", {"location": "ftp://h/f", "log_type": "SecurityLog"}),
    ("clear-charging-profile", {}),
    ("get-composite-schedule", {"evse_id": 1, "duration": 60}),
    ("get-base-report", {"report_base": "SummaryInventory"}),
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SIMPLE), st.sampled_from(PROTOCOLS), st.data())
def test_every_status_of_every_answer_comes_back(
    case: tuple[str, dict[str, Any]], protocol: Protocol, data: st.DataObject
) -> None:
    command = parse_command(*case)
    try:
        prepared = prepare(protocol, command)
    except UnsupportedCommand:
        return
    answer = data.draw(_status_answer(prepared.action, protocol))
    validate(protocol, prepared.action, "response", answer)
    result = prepared.read(answer)
    assert result.status == answer.get("status", "Accepted")
    if "statusInfo" in answer:
        assert result.details["status_info"]["reason_code"] == answer["statusInfo"]["reasonCode"]
