"""Command cases for both OCPP versions, shared by tests/gateway/ocpp16 and ocpp201.

CASES: (command, parameters, outcome on 1.6, outcome on 2.0.1) -- "ok": the translation
validates against that version's official request schema; "unsupported": the version
cannot express it. EXPECTED_PAYLOADS: exact translations. ANSWERS: realistic answers of
each version and the neutral result they read as.
"""

from __future__ import annotations

from typing import Any

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.commands import CommandResult

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
