"""Realistic answers of each version interpret into the same neutral result; bad input is
refused with a clear message."""

from __future__ import annotations

from typing import Any

import pytest

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.commands import CommandResult, command_from_dict, from_ocpp, to_ocpp
from chargeplane.gateway.validation import validate

V16, V201 = Protocol.OCPP16, Protocol.OCPP201
INFO = {"reasonCode": "Busy", "additionalInfo": "transaction ongoing"}

# (command, params, protocol, the charger's answer, expected neutral result)
ANSWERS: list[tuple[str, dict[str, Any], Protocol, dict[str, Any], CommandResult]] = [
    ("reset", {}, V16, {"status": "Accepted"}, CommandResult("Accepted")),
    ("reset", {}, V201, {"status": "Scheduled"}, CommandResult("Scheduled")),
    (
        "reset",
        {},
        V201,
        {"status": "Rejected", "statusInfo": INFO},
        CommandResult("Rejected", {"status_info": {"reason_code": "Busy", "additional_info": "transaction ongoing"}}),
    ),
    ("remote-start", {"id_token": "T"}, V16, {"status": "Rejected"}, CommandResult("Rejected")),
    (
        "remote-start",
        {"id_token": "T", "remote_start_id": 8},
        V201,
        {"status": "Accepted", "transactionId": "tx-1"},
        CommandResult("Accepted", {"remote_start_id": 8, "transaction_id": "tx-1"}),
    ),
    ("remote-stop", {"transaction_id": 5}, V16, {"status": "Accepted"}, CommandResult("Accepted")),
    ("remote-stop", {"transaction_id": 5}, V201, {"status": "Accepted"}, CommandResult("Accepted")),
    ("unlock", {"evse_id": 1}, V16, {"status": "Unlocked"}, CommandResult("Unlocked")),
    ("unlock", {"evse_id": 1}, V201, {"status": "UnknownConnector"}, CommandResult("UnknownConnector")),
    ("change-availability", {"status": "Inoperative"}, V16, {"status": "Scheduled"}, CommandResult("Scheduled")),
    ("change-availability", {"status": "Inoperative"}, V201, {"status": "Scheduled"}, CommandResult("Scheduled")),
    ("trigger-message", {"message": "Heartbeat"}, V16, {"status": "NotImplemented"}, CommandResult("NotImplemented")),
    ("trigger-message", {"message": "Heartbeat"}, V201, {"status": "Accepted"}, CommandResult("Accepted")),
    (
        "get-configuration",
        {"keys": ["OCPPCommCtrlr/HeartbeatInterval", "Nope"]},
        V16,
        {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}], "unknownKey": ["Nope"]},
        CommandResult(
            "Accepted",
            {
                "results": [
                    {"key": "OCPPCommCtrlr/HeartbeatInterval", "status": "Accepted", "value": "300", "readonly": False},
                    {"key": "Nope", "status": "UnknownVariable"},
                ]
            },
        ),
    ),
    (
        "get-configuration",
        {"keys": ["HeartbeatInterval", "EVSE[1]/Power"]},
        V201,
        {
            "getVariableResult": [
                {
                    "attributeStatus": "Accepted",
                    "attributeValue": "300",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                },
                {
                    "attributeStatus": "UnknownVariable",
                    "component": {"name": "EVSE", "evse": {"id": 1}},
                    "variable": {"name": "Power"},
                },
            ]
        },
        CommandResult(
            "Accepted",
            {
                "results": [
                    {"key": "HeartbeatInterval", "status": "Accepted", "value": "300"},
                    {"key": "EVSE[1]/Power", "status": "UnknownVariable"},
                ]
            },
        ),
    ),
    (
        "change-configuration",
        {"key": "HeartbeatInterval", "value": "60"},
        V16,
        {"status": "RebootRequired"},
        CommandResult("RebootRequired", {"results": [{"key": "HeartbeatInterval", "status": "RebootRequired"}]}),
    ),
    (
        "change-configuration",
        {"key": "HeartbeatInterval", "value": "60"},
        V201,
        {
            "setVariableResult": [
                {
                    "attributeStatus": "RebootRequired",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                }
            ]
        },
        CommandResult("RebootRequired", {"results": [{"key": "HeartbeatInterval", "status": "RebootRequired"}]}),
    ),
    (
        "change-configuration",
        {"settings": [{"key": "A/B", "value": "1"}, {"key": "C/D", "value": "2"}]},
        V201,
        {
            "setVariableResult": [
                {"attributeStatus": "Accepted", "component": {"name": "A"}, "variable": {"name": "B"}},
                {
                    "attributeStatus": "UnknownComponent",
                    "attributeStatusInfo": {"reasonCode": "NoSuchComponent"},
                    "component": {"name": "C"},
                    "variable": {"name": "D"},
                },
            ]
        },
        CommandResult(
            "Partial",
            {
                "results": [
                    {"key": "A/B", "status": "Accepted"},
                    {"key": "C/D", "status": "UnknownComponent", "status_info": {"reason_code": "NoSuchComponent"}},
                ]
            },
        ),
    ),
    (
        "get-base-report",
        {"request_id": 4},
        V201,
        {"status": "EmptyResultSet"},
        CommandResult("EmptyResultSet", {"request_id": 4}),
    ),
    (
        "get-base-report",
        {},
        V16,
        {"configurationKey": [{"key": "NumberOfConnectors", "readonly": True, "value": "2"}]},
        CommandResult(
            "Accepted",
            {"results": [{"key": "NumberOfConnectors", "status": "Accepted", "value": "2", "readonly": True}]},
        ),
    ),
    ("clear-cache", {}, V16, {"status": "Rejected"}, CommandResult("Rejected")),
    ("clear-cache", {}, V201, {"status": "Accepted"}, CommandResult("Accepted")),
    (
        "data-transfer",
        {"vendor_id": "v"},
        V16,
        {"status": "Accepted", "data": "pong"},
        CommandResult("Accepted", {"data": "pong"}),
    ),
    (
        "data-transfer",
        {"vendor_id": "v"},
        V201,
        {"status": "Accepted", "data": {"x": 1}},
        CommandResult("Accepted", {"data": {"x": 1}}),
    ),
    (
        "reserve-now",
        {"reservation_id": 1, "expiry": "2026-12-24T18:00:00Z", "id_token": "T"},
        V16,
        {"status": "Occupied"},
        CommandResult("Occupied"),
    ),
    (
        "reserve-now",
        {"reservation_id": 1, "expiry": "2026-12-24T18:00:00Z", "id_token": "T"},
        V201,
        {"status": "Faulted"},
        CommandResult("Faulted"),
    ),
    ("cancel-reservation", {"reservation_id": 1}, V16, {"status": "Rejected"}, CommandResult("Rejected")),
    ("cancel-reservation", {"reservation_id": 1}, V201, {"status": "Accepted"}, CommandResult("Accepted")),
    (
        "send-local-list",
        {"version": 2, "update_type": "Full"},
        V16,
        {"status": "VersionMismatch"},
        CommandResult("VersionMismatch"),
    ),
    ("send-local-list", {"version": 2, "update_type": "Full"}, V201, {"status": "Failed"}, CommandResult("Failed")),
    ("get-local-list-version", {}, V16, {"listVersion": 7}, CommandResult("Accepted", {"version": 7})),
    ("get-local-list-version", {}, V201, {"versionNumber": -1}, CommandResult("Accepted", {"version": -1})),
    (
        "update-firmware",
        {"location": "https://x/fw", "retrieve_at": "2026-11-24T02:00:00Z"},
        V16,
        {},
        CommandResult("Accepted"),
    ),
    (
        "update-firmware",
        {"location": "https://x/fw", "retrieve_at": "2026-11-24T02:00:00Z", "request_id": 3},
        V201,
        {"status": "InvalidCertificate"},
        CommandResult("InvalidCertificate", {"request_id": 3}),
    ),
    (
        "update-firmware",
        {
            "location": "https://x/fw",
            "retrieve_at": "2026-11-24T02:00:00Z",
            "request_id": 3,
            "signature": "s",
            "signing_certificate": "c",
        },
        V16,
        {"status": "Accepted"},
        CommandResult("Accepted", {"request_id": 3}),
    ),
    (
        "get-diagnostics",
        {"location": "ftp://x/"},
        V16,
        {"fileName": "diag-2026.zip"},
        CommandResult("Accepted", {"file_name": "diag-2026.zip"}),
    ),
    ("get-diagnostics", {"location": "ftp://x/"}, V16, {}, CommandResult("Accepted")),
    (
        "get-diagnostics",
        {"location": "ftp://x/", "request_id": 6},
        V201,
        {"status": "AcceptedCanceled", "filename": "log.tgz"},
        CommandResult("AcceptedCanceled", {"file_name": "log.tgz", "request_id": 6}),
    ),
    (
        "get-diagnostics",
        {"location": "ftp://x/", "request_id": 6, "log_type": "SecurityLog"},
        V16,
        {"status": "Accepted", "filename": "sec.log"},
        CommandResult("Accepted", {"file_name": "sec.log", "request_id": 6}),
    ),
    (
        "set-charging-profile",
        {
            "evse_id": 1,
            "profile": {
                "id": 1,
                "stack_level": 0,
                "purpose": "TxDefaultProfile",
                "kind": "Absolute",
                "schedules": [{"rate_unit": "A", "periods": [{"start_period": 0, "limit": 6}]}],
            },
        },
        V16,
        {"status": "NotSupported"},
        CommandResult("NotSupported"),
    ),
    ("clear-charging-profile", {}, V16, {"status": "Unknown"}, CommandResult("Unknown")),
    ("clear-charging-profile", {}, V201, {"status": "Accepted"}, CommandResult("Accepted")),
    (
        "get-composite-schedule",
        {"evse_id": 1, "duration": 3600},
        V16,
        {
            "status": "Accepted",
            "connectorId": 1,
            "scheduleStart": "2026-11-23T20:00:00Z",
            "chargingSchedule": {
                "duration": 3600,
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16, "numberPhases": 3}],
            },
        },
        CommandResult(
            "Accepted",
            {
                "evse_id": 1,
                "schedule_start": "2026-11-23T20:00:00Z",
                "duration": 3600,
                "rate_unit": "A",
                "periods": [{"start_period": 0, "limit": 16, "number_phases": 3}],
            },
        ),
    ),
    (
        "get-composite-schedule",
        {"evse_id": 1, "duration": 3600},
        V201,
        {
            "status": "Accepted",
            "schedule": {
                "evseId": 1,
                "duration": 3600,
                "scheduleStart": "2026-11-23T20:00:00Z",
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16, "numberPhases": 3}],
            },
        },
        CommandResult(
            "Accepted",
            {
                "evse_id": 1,
                "schedule_start": "2026-11-23T20:00:00Z",
                "duration": 3600,
                "rate_unit": "A",
                "periods": [{"start_period": 0, "limit": 16, "number_phases": 3}],
            },
        ),
    ),
    ("get-composite-schedule", {"evse_id": 1, "duration": 60}, V201, {"status": "Rejected"}, CommandResult("Rejected")),
]


@pytest.mark.parametrize(("name", "params", "protocol", "answer", "expected"), ANSWERS)
def test_answers_interpret(
    name: str, params: dict[str, Any], protocol: Protocol, answer: dict[str, Any], expected: CommandResult
) -> None:
    command = command_from_dict(name, params)
    action, _ = to_ocpp(command, protocol)
    validate(protocol, action, "response", answer)  # the answer is one a real charger may send
    assert from_ocpp(command, protocol, answer) == expected


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("reset", {"type": "gentle"}, "type: must be one of hard, soft"),
        ("reset", {"evse_id": -1}, "evse_id: must be between 0 and 2147483647"),
        ("reset", {"evse_id": True}, "evse_id: must be an integer"),
        ("reset", {"nonsense": 1}, "unknown field(s) nonsense"),
        ("reset", [], "body: must be a JSON object"),
        ("remote-start", {}, "id_token: is required"),
        ("remote-start", {"id_token": "x" * 37}, "id_token: must be at most 36 characters"),
        ("remote-start", {"id_token": "T", "id_token_type": "Magic"}, "id_token_type: must be one of"),
        (
            "remote-start",
            {
                "id_token": "T",
                "charging_profile": {
                    "id": 1,
                    "stack_level": 0,
                    "purpose": "TxDefaultProfile",
                    "kind": "Absolute",
                    "schedules": [{"rate_unit": "A", "periods": [{"start_period": 0, "limit": 1}]}],
                },
            },
            "a remote start takes a TxProfile",
        ),
        ("remote-stop", {"transaction_id": ""}, "transaction_id: must be a transaction id"),
        ("unlock", {"evse_id": 0}, "evse_id: must be between 1"),
        ("change-availability", {"status": "Sleepy"}, "status: must be one of Inoperative, Operative"),
        ("change-availability", {"status": "Operative", "connector_id": 1}, "connector_id: needs evse_id"),
        ("trigger-message", {"message": "Coffee"}, "message: must be one of"),
        ("get-configuration", {"keys": "HeartbeatInterval"}, "keys: must be a list"),
        ("get-configuration", {"keys": ["A/B/C"]}, "keys[0]:"),
        ("get-configuration", {"keys": [""]}, "must not be empty"),
        ("change-configuration", {"key": "HeartbeatInterval"}, "value: is required"),
        ("change-configuration", {"settings": []}, "at least one setting"),
        ("change-configuration", {"key": "A", "value": "1", "settings": [{"key": "B", "value": "2"}]}, "either key"),
        ("data-transfer", {}, "vendor_id: is required"),
        ("reserve-now", {"reservation_id": 1, "expiry": "tomorrow", "id_token": "T"}, "expiry: must be an ISO 8601"),
        ("reserve-now", {"reservation_id": 1, "expiry": "2026-01-01T00:00:00", "id_token": "T"}, "UTC offset"),
        ("send-local-list", {"version": 1, "update_type": "Full", "entries": [{"id_token": "A"}]}, "needs a status"),
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
        ("get-diagnostics", {}, "location: is required"),
        ("set-charging-profile", {"evse_id": 1}, "profile: is required"),
        (
            "set-charging-profile",
            {
                "evse_id": 1,
                "profile": {
                    "id": 1,
                    "stack_level": 0,
                    "purpose": "TxProfile",
                    "kind": "Recurring",
                    "schedules": [{"rate_unit": "A", "periods": [{"start_period": 0, "limit": 1}]}],
                },
            },
            "needs recurrency",
        ),
        (
            "set-charging-profile",
            {
                "evse_id": 1,
                "profile": {
                    "id": 1,
                    "stack_level": 0,
                    "purpose": "TxProfile",
                    "kind": "Absolute",
                    "schedules": [{"rate_unit": "kW", "periods": [{"start_period": 0, "limit": 1}]}],
                },
            },
            "profile.schedules[0].rate_unit: must be one of A, W",
        ),
        (
            "set-charging-profile",
            {
                "evse_id": 1,
                "profile": {
                    "id": 1,
                    "stack_level": 0,
                    "purpose": "TxProfile",
                    "kind": "Absolute",
                    "schedules": [{"rate_unit": "A", "periods": [{"start_period": 0}]}],
                },
            },
            "profile.schedules[0].periods[0].limit: is required",
        ),
        ("get-composite-schedule", {"evse_id": 1}, "duration: is required"),
        ("nope", {}, "unknown command 'nope'"),
    ],
)
def test_bad_input_is_refused_clearly(name: str, params: Any, message: str) -> None:
    with pytest.raises(ValueError) as info:
        command_from_dict(name, params)
    assert message in str(info.value)


def test_reported_variables_keep_configuration_the_same_way_for_both_versions() -> None:
    from chargeplane.domain.commands import reported_variables

    get16 = command_from_dict("get-configuration", {})
    answer16 = {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]}
    [v16] = reported_variables(get16, V16, answer16)
    assert (v16.component, v16.variable, v16.value, v16.readonly, v16.key) == (
        "",
        "HeartbeatInterval",
        "300",
        False,
        "HeartbeatInterval",
    )
    assert reported_variables(command_from_dict("get-base-report", {}), V16, answer16) == [v16]

    get201 = command_from_dict("get-configuration", {"keys": ["HeartbeatInterval", "EVSE[1]/Power"]})
    answer201 = {
        "getVariableResult": [
            {
                "attributeStatus": "Accepted",
                "attributeValue": "300",
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
            },
            {
                "attributeStatus": "UnknownVariable",
                "component": {"name": "EVSE", "evse": {"id": 1}},
                "variable": {"name": "Power"},
            },
        ]
    }
    [v201] = reported_variables(get201, V201, answer201)
    assert (v201.key, v201.value) == ("OCPPCommCtrlr/HeartbeatInterval", "300")

    change = command_from_dict("change-configuration", {"key": "OCPPCommCtrlr/HeartbeatInterval", "value": "60"})
    [changed] = reported_variables(change, V16, {"status": "Accepted"})
    assert (changed.component, changed.variable, changed.value) == ("", "HeartbeatInterval", "60")
    assert reported_variables(change, V16, {"status": "Rejected"}) == []
    assert reported_variables(command_from_dict("clear-cache", {}), V16, {"status": "Accepted"}) == []
