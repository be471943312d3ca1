"""Every command, for both versions: the translated payload validates against the official
request schema of that version, or the version cannot express it (UnsupportedCommand)."""

from __future__ import annotations

from typing import Any

import pytest

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.commands import COMMANDS, UnsupportedCommand, command_from_dict, to_ocpp
from chargeplane.gateway.errors import OcppError
from chargeplane.gateway.validation import validate

V16, V201 = Protocol.OCPP16, Protocol.OCPP201
OK, NO = "ok", "unsupported"

PROFILE = {
    "id": 7,
    "stack_level": 2,
    "purpose": "TxDefaultProfile",
    "kind": "Recurring",
    "recurrency": "Daily",
    "valid_from": "2026-01-01T00:00:00Z",
    "valid_to": "2027-01-01T00:00:00+01:00",
    "schedules": [
        {
            "rate_unit": "A",
            "start": "2026-01-01T00:00:00Z",
            "duration": 86400,
            "min_charging_rate": 6,
            "periods": [
                {"start_period": 0, "limit": 16, "number_phases": 3},
                {"start_period": 3600, "limit": 10.5},
            ],
        }
    ],
}
TX_PROFILE = {
    "id": 1,
    "stack_level": 0,
    "purpose": "TxProfile",
    "kind": "Relative",
    "schedules": [{"rate_unit": "W", "periods": [{"start_period": 0, "limit": 7400}]}],
}
THREE_SCHEDULES = {
    **PROFILE,
    "purpose": "ChargingStationMaxProfile",
    "schedules": [
        {"id": i, "rate_unit": "W", "periods": [{"start_period": 0, "limit": 11000.0, "phase_to_use": 1}]}
        for i in (1, 2, 3)
    ],
}

# (command name, parameters, outcome on 1.6, outcome on 2.0.1)
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("reset", {}, OK, OK),
    ("reset", {"type": "hard"}, OK, OK),
    ("reset", {"type": "OnIdle"}, OK, OK),
    ("reset", {"type": "Immediate", "evse_id": 2}, NO, OK),
    ("remote-start", {"id_token": "04A2B3C4"}, OK, OK),
    (
        "remote-start",
        {
            "id_token": "04A2B3C4",
            "id_token_type": "ISO14443",
            "evse_id": 2,
            "remote_start_id": 99,
            "charging_profile": TX_PROFILE,
        },
        OK,
        OK,
    ),
    ("remote-start", {"id_token": "x" * 36}, NO, OK),
    ("remote-start", {"id_token": "TAG", "group_id_token": "GROUP"}, NO, OK),
    ("remote-stop", {"transaction_id": 1234}, OK, OK),
    ("remote-stop", {"transaction_id": "1234"}, OK, OK),
    ("remote-stop", {"transaction_id": "0f8e6c1e-2b4e-4a8b-9b1a-3c5d7e9f0a12"}, NO, OK),
    ("unlock", {"evse_id": 1}, OK, OK),
    ("unlock", {"evse_id": 2, "connector_id": 2}, NO, OK),
    ("change-availability", {"status": "Inoperative"}, OK, OK),
    ("change-availability", {"status": "operative", "evse_id": 0}, OK, OK),
    ("change-availability", {"status": "Operative", "evse_id": 1}, OK, OK),
    ("change-availability", {"status": "Operative", "evse_id": 1, "connector_id": 1}, OK, OK),
    ("change-availability", {"status": "Operative", "evse_id": 1, "connector_id": 2}, NO, OK),
    ("trigger-message", {"message": "BootNotification"}, OK, OK),
    ("trigger-message", {"message": "StatusNotification", "evse_id": 1, "connector_id": 1}, OK, OK),
    ("trigger-message", {"message": "MeterValues", "evse_id": 2}, OK, OK),
    ("trigger-message", {"message": "Heartbeat"}, OK, OK),
    ("trigger-message", {"message": "FirmwareStatusNotification"}, OK, OK),
    ("trigger-message", {"message": "DiagnosticsStatusNotification"}, OK, OK),
    ("trigger-message", {"message": "LogStatusNotification"}, OK, OK),
    ("trigger-message", {"message": "SignChargePointCertificate"}, OK, OK),
    ("trigger-message", {"message": "TransactionEvent", "evse_id": 1}, NO, OK),
    ("trigger-message", {"message": "SignV2GCertificate"}, NO, OK),
    ("trigger-message", {"message": "SignCombinedCertificate"}, NO, OK),
    ("trigger-message", {"message": "PublishFirmwareStatusNotification"}, NO, OK),
    ("get-configuration", {}, OK, NO),
    ("get-configuration", {"keys": ["HeartbeatInterval", "MeterValueSampleInterval"]}, OK, OK),
    ("get-configuration", {"keys": ["VendorSpecificKey"]}, OK, NO),
    ("get-configuration", {"keys": ["OCPPCommCtrlr/HeartbeatInterval", "EVSE[1]/AvailabilityState"]}, NO, OK),
    ("get-configuration", {"keys": ["OCPPCommCtrlr/HeartbeatInterval"]}, OK, OK),
    ("get-configuration", {"keys": ["Connector#main[1.2]/ConnectorType#x"], "attribute_type": "MaxSet"}, NO, OK),
    ("get-configuration", {"keys": ["TransactionMessageAttempts"], "attribute_type": "Actual"}, OK, OK),
    ("change-configuration", {"key": "HeartbeatInterval", "value": "300"}, OK, OK),
    ("change-configuration", {"key": "VendorKey", "value": ""}, OK, NO),
    ("change-configuration", {"key": "TxCtrlr/EVConnectionTimeOut", "value": "60"}, OK, OK),
    ("change-configuration", {"key": "TxCtrlr/TxStartPoint", "value": "PowerPathClosed"}, NO, OK),
    (
        "change-configuration",
        {"settings": [{"key": "HeartbeatInterval", "value": "60"}, {"key": "EVSE[1]/Power", "value": "x"}]},
        NO,
        OK,
    ),
    ("change-configuration", {"key": "SampledDataCtrlr/TxUpdatedInterval", "value": "x" * 700}, NO, OK),
    ("change-configuration", {"key": "EVSE[1]/Power", "value": "11000", "attribute_type": "MaxSet"}, NO, OK),
    ("get-base-report", {}, OK, OK),
    ("get-base-report", {"report_base": "ConfigurationInventory", "request_id": 5}, OK, OK),
    ("get-base-report", {"report_base": "SummaryInventory"}, NO, OK),
    ("clear-cache", {}, OK, OK),
    ("data-transfer", {"vendor_id": "com.acme"}, OK, OK),
    ("data-transfer", {"vendor_id": "com.acme", "message_id": "ping", "data": "hello"}, OK, OK),
    ("data-transfer", {"vendor_id": "com.acme", "data": {"a": [1, 2]}}, NO, OK),
    (
        "reserve-now",
        {
            "reservation_id": 3,
            "expiry": "2026-12-24T18:00:00Z",
            "id_token": "TAG1",
            "evse_id": 1,
            "group_id_token": "G",
        },
        OK,
        OK,
    ),
    ("reserve-now", {"reservation_id": 3, "expiry": "2026-12-24T18:00:00+02:00", "id_token": "TAG1"}, OK, OK),
    (
        "reserve-now",
        {"reservation_id": 3, "expiry": "2026-12-24T18:00:00Z", "id_token": "TAG1", "connector_type": "cCCS2"},
        NO,
        OK,
    ),
    ("cancel-reservation", {"reservation_id": 3}, OK, OK),
    ("send-local-list", {"version": 4, "update_type": "Full"}, OK, OK),
    (
        "send-local-list",
        {
            "version": 5,
            "update_type": "Full",
            "entries": [
                {"id_token": "A1", "status": "Accepted", "expiry": "2027-01-01T00:00:00Z", "group_id_token": "G1"},
                {"id_token": "B2", "id_token_type": "ISO14443", "status": "Blocked"},
            ],
        },
        OK,
        OK,
    ),
    ("send-local-list", {"version": 6, "update_type": "Differential", "entries": [{"id_token": "A1"}]}, OK, OK),
    (
        "send-local-list",
        {"version": 6, "update_type": "Full", "entries": [{"id_token": "A1", "status": "NoCredit"}]},
        NO,
        OK,
    ),
    ("get-local-list-version", {}, OK, OK),
    ("update-firmware", {"location": "https://fw.example.com/v2.bin", "retrieve_at": "2026-11-24T02:00:00Z"}, OK, OK),
    (
        "update-firmware",
        {
            "location": "ftp://fw.example.com/v2.bin",
            "retrieve_at": "2026-11-24T02:00:00Z",
            "retries": 3,
            "retry_interval": 60,
            "request_id": 12,
        },
        OK,
        OK,
    ),
    (
        "update-firmware",
        {
            "location": "https://fw.example.com/v2.bin",
            "retrieve_at": "2026-11-24T02:00:00Z",
            "install_at": "2026-11-24T03:00:00Z",
            "signing_certificate": "-----BEGIN CERTIFICATE-----",
            "signature": "c2lnbmF0dXJl",
        },
        OK,
        OK,
    ),
    (
        "update-firmware",
        {
            "location": "https://fw.example.com/v2.bin",
            "retrieve_at": "2026-11-24T02:00:00Z",
            "install_at": "2026-11-24T03:00:00Z",
        },
        NO,
        OK,
    ),
    ("get-diagnostics", {"location": "ftp://logs.example.com/upload/"}, OK, OK),
    (
        "get-diagnostics",
        {
            "location": "https://logs.example.com/upload",
            "oldest": "2026-11-01T00:00:00Z",
            "latest": "2026-11-02T00:00:00Z",
            "retries": 2,
            "retry_interval": 30,
        },
        OK,
        OK,
    ),
    (
        "get-diagnostics",
        {"location": "https://logs.example.com/upload", "log_type": "SecurityLog", "request_id": 9},
        OK,
        OK,
    ),
    ("set-charging-profile", {"evse_id": 1, "profile": PROFILE}, OK, OK),
    ("set-charging-profile", {"evse_id": 1, "profile": {**TX_PROFILE, "transaction_id": "42"}}, OK, OK),
    ("set-charging-profile", {"evse_id": 1, "profile": {**TX_PROFILE, "transaction_id": "tx-abc"}}, NO, OK),
    ("set-charging-profile", {"evse_id": 0, "profile": THREE_SCHEDULES}, NO, OK),
    (
        "set-charging-profile",
        {"evse_id": 0, "profile": {**TX_PROFILE, "purpose": "ChargePointMaxProfile", "kind": "Absolute"}},
        OK,
        OK,
    ),
    (
        "set-charging-profile",
        {"evse_id": 0, "profile": {**TX_PROFILE, "purpose": "ChargingStationExternalConstraints"}},
        NO,
        OK,
    ),
    ("clear-charging-profile", {}, OK, OK),
    ("clear-charging-profile", {"profile_id": 7}, OK, OK),
    ("clear-charging-profile", {"evse_id": 1, "purpose": "TxDefaultProfile", "stack_level": 2}, OK, OK),
    ("clear-charging-profile", {"purpose": "ChargingStationExternalConstraints"}, NO, OK),
    ("get-composite-schedule", {"evse_id": 1, "duration": 3600}, OK, OK),
    ("get-composite-schedule", {"evse_id": 0, "duration": 86400, "rate_unit": "W"}, OK, OK),
]


def _case_id(case: tuple[str, dict[str, Any], str, str]) -> str:
    return f"{case[0]}-{CASES.index(case)}"


def test_every_command_has_cases() -> None:
    assert {c[0] for c in CASES} == set(COMMANDS)
    assert len(COMMANDS) == 20


@pytest.mark.parametrize("protocol", [V16, V201], ids=["1.6", "2.0.1"])
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_translation_validates_against_the_official_schema(
    case: tuple[str, dict[str, Any], str, str], protocol: Protocol
) -> None:
    name, params, on16, on201 = case
    command = command_from_dict(name, params)
    expected = on16 if protocol is V16 else on201
    if expected == NO:
        with pytest.raises(UnsupportedCommand, match=r"OCPP|use get-base-report|id tags|transaction ids"):
            to_ocpp(command, protocol)
        return
    action, payload = to_ocpp(command, protocol)
    validate(protocol, action, "request", payload)  # raises OcppError when invalid
    # the JSON form round-trips
    assert command_from_dict(name, command.to_dict()) == command


def test_validator_is_not_vacuous() -> None:
    with pytest.raises(OcppError):
        validate(V16, "Reset", "request", {"type": "OnIdle"})
    with pytest.raises(OcppError):
        validate(V201, "RequestStopTransaction", "request", {"transactionId": 5})


EXPECTED_PAYLOADS: list[tuple[str, dict[str, Any], Protocol, str, dict[str, Any]]] = [
    ("reset", {"type": "soft"}, V16, "Reset", {"type": "Soft"}),
    ("reset", {"type": "soft"}, V201, "Reset", {"type": "OnIdle"}),
    ("reset", {"type": "hard", "evse_id": 1}, V201, "Reset", {"type": "Immediate", "evseId": 1}),
    ("remote-stop", {"transaction_id": "77"}, V16, "RemoteStopTransaction", {"transactionId": 77}),
    ("remote-stop", {"transaction_id": 77}, V201, "RequestStopTransaction", {"transactionId": "77"}),
    (
        "remote-start",
        {"id_token": "T", "evse_id": 2, "remote_start_id": 5},
        V201,
        "RequestStartTransaction",
        {"idToken": {"idToken": "T", "type": "Central"}, "remoteStartId": 5, "evseId": 2},
    ),
    ("remote-start", {"id_token": "T", "evse_id": 2}, V16, "RemoteStartTransaction", {"idTag": "T", "connectorId": 2}),
    ("unlock", {"evse_id": 3}, V16, "UnlockConnector", {"connectorId": 3}),
    ("unlock", {"evse_id": 3}, V201, "UnlockConnector", {"evseId": 3, "connectorId": 1}),
    (
        "change-availability",
        {"status": "Inoperative"},
        V16,
        "ChangeAvailability",
        {"connectorId": 0, "type": "Inoperative"},
    ),
    (
        "change-availability",
        {"status": "Inoperative"},
        V201,
        "ChangeAvailability",
        {"operationalStatus": "Inoperative"},
    ),
    (
        "change-availability",
        {"status": "Operative", "evse_id": 2, "connector_id": 1},
        V201,
        "ChangeAvailability",
        {"operationalStatus": "Operative", "evse": {"id": 2, "connectorId": 1}},
    ),
    (
        "trigger-message",
        {"message": "DiagnosticsStatusNotification"},
        V201,
        "TriggerMessage",
        {"requestedMessage": "LogStatusNotification"},
    ),
    (
        "trigger-message",
        {"message": "LogStatusNotification"},
        V16,
        "ExtendedTriggerMessage",
        {"requestedMessage": "LogStatusNotification"},
    ),
    (
        "trigger-message",
        {"message": "StatusNotification", "evse_id": 2},
        V16,
        "TriggerMessage",
        {"requestedMessage": "StatusNotification", "connectorId": 2},
    ),
    (
        "get-configuration",
        {"keys": ["OCPPCommCtrlr/HeartbeatInterval"]},
        V16,
        "GetConfiguration",
        {"key": ["HeartbeatInterval"]},
    ),
    (
        "get-configuration",
        {"keys": ["TransactionMessageAttempts", "Connector#a[1.2]/Type"]},
        V201,
        "GetVariables",
        {
            "getVariableData": [
                {
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "MessageAttempts", "instance": "TransactionEvent"},
                },
                {
                    "component": {"name": "Connector", "instance": "a", "evse": {"id": 1, "connectorId": 2}},
                    "variable": {"name": "Type"},
                },
            ]
        },
    ),
    ("get-base-report", {"request_id": 3}, V16, "GetConfiguration", {}),
    ("get-base-report", {"request_id": 3}, V201, "GetBaseReport", {"requestId": 3, "reportBase": "FullInventory"}),
    (
        "get-diagnostics",
        {"location": "ftp://h/p", "request_id": 4},
        V201,
        "GetLog",
        {"log": {"remoteLocation": "ftp://h/p"}, "logType": "DiagnosticsLog", "requestId": 4},
    ),
    ("get-diagnostics", {"location": "ftp://h/p", "request_id": 4}, V16, "GetDiagnostics", {"location": "ftp://h/p"}),
    (
        "reserve-now",
        {"reservation_id": 1, "expiry": "2026-12-24T20:00:00+02:00", "id_token": "T"},
        V16,
        "ReserveNow",
        {"connectorId": 0, "expiryDate": "2026-12-24T18:00:00.000Z", "idTag": "T", "reservationId": 1},
    ),
    (
        "clear-charging-profile",
        {"evse_id": 1, "purpose": "ChargePointMaxProfile"},
        V201,
        "ClearChargingProfile",
        {"chargingProfileCriteria": {"evseId": 1, "chargingProfilePurpose": "ChargingStationMaxProfile"}},
    ),
    (
        "clear-charging-profile",
        {"evse_id": 1, "purpose": "ChargingStationMaxProfile"},
        V16,
        "ClearChargingProfile",
        {"connectorId": 1, "chargingProfilePurpose": "ChargePointMaxProfile"},
    ),
]


@pytest.mark.parametrize(("name", "params", "protocol", "action", "payload"), EXPECTED_PAYLOADS)
def test_exact_translation(
    name: str, params: dict[str, Any], protocol: Protocol, action: str, payload: dict[str, Any]
) -> None:
    assert to_ocpp(command_from_dict(name, params), protocol) == (action, payload)


def test_charging_profile_translation() -> None:
    command = command_from_dict("set-charging-profile", {"evse_id": 1, "profile": PROFILE})
    _, v16 = to_ocpp(command, V16)
    _, v201 = to_ocpp(command, V201)
    p16, p201 = v16["csChargingProfiles"], v201["chargingProfile"]
    assert (p16["chargingProfileId"], p201["id"]) == (7, 7)
    assert p16["chargingSchedule"] == {
        "startSchedule": "2026-01-01T00:00:00.000Z",
        "duration": 86400,
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 16.0, "numberPhases": 3},
            {"startPeriod": 3600, "limit": 10.5},
        ],
        "minChargingRate": 6.0,
    }
    assert p201["chargingSchedule"] == [{**p16["chargingSchedule"], "id": 1}]
    assert p16["validTo"] == p201["validTo"] == "2026-12-31T23:00:00.000Z"
    assert (p16["recurrencyKind"], p201["recurrencyKind"]) == ("Daily", "Daily")
