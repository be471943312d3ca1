"""Remote control, OCPP 1.6: RemoteStartTransaction, RemoteStopTransaction,
UnlockConnector, TriggerMessage (and the security extension's ExtendedTriggerMessage) out."""

from __future__ import annotations

from chargeplane.domain.commands import RemoteStart, RemoteStop, TriggerMessage, UnlockConnector
from chargeplane.gateway.ocpp16.datatypes import cannot, connector, id_tag, transaction_id
from chargeplane.gateway.ocpp16.smart_charging import charging_profile
from chargeplane.gateway.translation import OcppCall, Translation, translations
from chargeplane.gateway.wire import drop_none

# Neutral requested message -> (action, 1.6 name). The security extension's messages go
# through ExtendedTriggerMessage; the rest are OCPP 2.0.1 only.
TRIGGERS: dict[str, tuple[str, str]] = {
    "BootNotification": ("TriggerMessage", "BootNotification"),
    "Heartbeat": ("TriggerMessage", "Heartbeat"),
    "StatusNotification": ("TriggerMessage", "StatusNotification"),
    "MeterValues": ("TriggerMessage", "MeterValues"),
    "FirmwareStatusNotification": ("TriggerMessage", "FirmwareStatusNotification"),
    "DiagnosticsStatusNotification": ("TriggerMessage", "DiagnosticsStatusNotification"),
    "LogStatusNotification": ("ExtendedTriggerMessage", "LogStatusNotification"),
    "SignChargingStationCertificate": ("ExtendedTriggerMessage", "SignChargePointCertificate"),
}


def remote_start(c: RemoteStart) -> OcppCall:
    if c.group_id_token is not None:
        raise cannot("a group id token in a remote start")
    return "RemoteStartTransaction", drop_none(
        {
            "connectorId": c.evse_id,
            "idTag": id_tag(c.id_token),
            "chargingProfile": charging_profile(c.charging_profile) if c.charging_profile else None,
        }
    )


def remote_stop(c: RemoteStop) -> OcppCall:
    return "RemoteStopTransaction", {"transactionId": transaction_id(c.transaction_id)}


def unlock(c: UnlockConnector) -> OcppCall:
    return "UnlockConnector", {"connectorId": connector(c.evse_id, c.connector_id, what="unlock")}


def trigger(c: TriggerMessage) -> OcppCall:
    found = TRIGGERS.get(c.message)
    if found is None:
        raise cannot(f"triggering {c.message} (OCPP 2.0.1 only)")
    action, requested = found
    connector_id = connector(c.evse_id, c.connector_id, what="trigger message")
    return action, drop_none({"requestedMessage": requested, "connectorId": connector_id or None})


COMMANDS = translations(
    Translation(RemoteStart, remote_start),
    Translation(RemoteStop, remote_stop),
    Translation(UnlockConnector, unlock),
    Translation(TriggerMessage, trigger),
)
