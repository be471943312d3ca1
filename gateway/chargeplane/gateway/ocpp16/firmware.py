"""Firmware management, OCPP 1.6: FirmwareStatusNotification and the security extension's
SignedFirmwareStatusNotification in; UpdateFirmware (SignedUpdateFirmware when signed) out."""

from __future__ import annotations

from typing import Any

from chargeplane.domain.commands import CommandResult, UpdateFirmware
from chargeplane.gateway.connection import Handler
from chargeplane.gateway.notifications import kept_as, status_field
from chargeplane.gateway.ocpp16.datatypes import cannot
from chargeplane.gateway.ports import NotificationLog
from chargeplane.gateway.translation import OcppCall, Translation, status_result, translations
from chargeplane.gateway.wire import drop_none, to_iso


def handlers(log: NotificationLog) -> dict[str, Handler]:
    return {
        "FirmwareStatusNotification": kept_as(log, "FirmwareStatusNotification", status_field),
        "SignedFirmwareStatusNotification": kept_as(log, "SignedFirmwareStatusNotification", status_field),
    }


def update_firmware(c: UpdateFirmware) -> OcppCall:
    retry = {"retries": c.retries, "retryInterval": c.retry_interval}
    if c.signature is not None:
        firmware = drop_none(
            {
                "location": c.location,
                "retrieveDateTime": to_iso(c.retrieve_at),
                "installDateTime": to_iso(c.install_at) if c.install_at else None,
                "signingCertificate": c.signing_certificate,
                "signature": c.signature,
            }
        )
        return "SignedUpdateFirmware", drop_none({**retry, "requestId": c.request_id, "firmware": firmware})
    if c.install_at is not None:
        raise cannot("an install time for unsigned firmware")
    return "UpdateFirmware", drop_none({"location": c.location, "retrieveDate": to_iso(c.retrieve_at), **retry})


def firmware_result(c: UpdateFirmware, p: dict[str, Any]) -> CommandResult:
    if "status" not in p:  # UpdateFirmware.conf is empty
        return CommandResult("Accepted", {})
    return status_result(p, request_id=c.request_id)


COMMANDS = translations(Translation(UpdateFirmware, update_firmware, firmware_result))
