"""Remote control (OCPP 2.0.1 block F): start and stop transactions, unlock a connector,
ask for a message."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, ValidationInfo, field_validator

from chargeplane.domain.charging_profile import ChargingProfile
from chargeplane.domain.commands.base import Command
from chargeplane.domain.fields import (
    IdToken,
    IdTokenType,
    Int32,
    Positive32,
    TransactionId,
    invalid,
    one_of,
    request_id,
)

# Messages a charger can be asked to send, by their neutral name (the 2.0.1 name where one
# exists; DiagnosticsStatusNotification is the upload status of get-diagnostics). Which
# of them a version can express, and how, is the gateway's business.
TRIGGERABLE = (
    "BootNotification",
    "Heartbeat",
    "StatusNotification",
    "MeterValues",
    "FirmwareStatusNotification",
    "DiagnosticsStatusNotification",
    "LogStatusNotification",
    "SignChargingStationCertificate",
    "TransactionEvent",
    "SignV2GCertificate",
    "SignCombinedCertificate",
    "PublishFirmwareStatusNotification",
)


def needs_evse(connector_id: int | None, info: ValidationInfo) -> int | None:
    if connector_id is not None and info.data.get("evse_id") is None:
        raise invalid("needs evse_id")
    return connector_id


class RemoteStart(Command):
    """1.6 RemoteStartTransaction / 2.0.1 RequestStartTransaction."""

    name: ClassVar[str] = "remote-start"
    id_token: IdToken
    id_token_type: IdTokenType = Field(default="Central", description="2.0.1 IdTokenEnumType.")
    evse_id: Positive32 | None = Field(default=None, description="1.6 connectorId.")
    remote_start_id: Int32 = request_id("OCPP 2.0.1 only; random when absent.")
    group_id_token: IdToken | None = Field(default=None, description="OCPP 2.0.1 only.")
    charging_profile: ChargingProfile | None = Field(default=None, description="Must be a TxProfile.")

    @field_validator("charging_profile")
    @classmethod
    def _tx_profile(cls, profile: ChargingProfile | None) -> ChargingProfile | None:
        if profile is not None and profile.purpose != "TxProfile":
            raise invalid("a remote start takes a TxProfile (purpose)")
        return profile


class RemoteStop(Command):
    """1.6 RemoteStopTransaction (integer id) / 2.0.1 RequestStopTransaction (string id)."""

    name: ClassVar[str] = "remote-stop"
    transaction_id: TransactionId


class UnlockConnector(Command):
    name: ClassVar[str] = "unlock"
    evse_id: Positive32
    connector_id: Positive32 = 1


class TriggerMessage(Command):
    name: ClassVar[str] = "trigger-message"
    message: Annotated[str, one_of(*TRIGGERABLE, SignChargePointCertificate="SignChargingStationCertificate")]
    evse_id: Int32 | None = None
    connector_id: Int32 | None = None

    _connector_needs_evse = field_validator("connector_id")(needs_evse)
