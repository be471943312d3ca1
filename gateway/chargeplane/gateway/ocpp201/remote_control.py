"""Remote control, OCPP 2.0.1: RequestStartTransaction, RequestStopTransaction,
UnlockConnector and TriggerMessage out."""

from __future__ import annotations

from typing import Any

from chargeplane.domain.commands import CommandResult, RemoteStart, RemoteStop, TriggerMessage, UnlockConnector
from chargeplane.gateway.ocpp201.datatypes import evse, id_token
from chargeplane.gateway.ocpp201.smart_charging import charging_profile
from chargeplane.gateway.translation import OcppCall, Translation, status_result, translations
from chargeplane.gateway.wire import drop_none

# Neutral requested message -> the 2.0.1 MessageTriggerEnumType value (the upload status of
# get-diagnostics is LogStatusNotification in 2.0.1).
TRIGGERS = {
    "BootNotification": "BootNotification",
    "Heartbeat": "Heartbeat",
    "StatusNotification": "StatusNotification",
    "MeterValues": "MeterValues",
    "FirmwareStatusNotification": "FirmwareStatusNotification",
    "DiagnosticsStatusNotification": "LogStatusNotification",
    "LogStatusNotification": "LogStatusNotification",
    "SignChargingStationCertificate": "SignChargingStationCertificate",
    "TransactionEvent": "TransactionEvent",
    "SignV2GCertificate": "SignV2GCertificate",
    "SignCombinedCertificate": "SignCombinedCertificate",
    "PublishFirmwareStatusNotification": "PublishFirmwareStatusNotification",
}


def request_start(c: RemoteStart) -> OcppCall:
    return "RequestStartTransaction", drop_none(
        {
            "idToken": id_token(c.id_token, c.id_token_type),
            "remoteStartId": c.remote_start_id,
            "evseId": c.evse_id,
            "groupIdToken": id_token(c.group_id_token) if c.group_id_token else None,
            "chargingProfile": charging_profile(c.charging_profile) if c.charging_profile else None,
        }
    )


def start_requested(c: RemoteStart, p: dict[str, Any]) -> CommandResult:
    return status_result(p, remote_start_id=c.remote_start_id, transaction_id=p.get("transactionId"))


def request_stop(c: RemoteStop) -> OcppCall:
    return "RequestStopTransaction", {"transactionId": c.transaction_id}


def unlock(c: UnlockConnector) -> OcppCall:
    return "UnlockConnector", {"evseId": c.evse_id, "connectorId": c.connector_id}


def trigger(c: TriggerMessage) -> OcppCall:
    return "TriggerMessage", drop_none(
        {"requestedMessage": TRIGGERS[c.message], "evse": evse(c.evse_id, c.connector_id)}
    )


COMMANDS = translations(
    Translation(RemoteStart, request_start, start_requested),
    Translation(RemoteStop, request_stop),
    Translation(UnlockConnector, unlock),
    Translation(TriggerMessage, trigger),
)
