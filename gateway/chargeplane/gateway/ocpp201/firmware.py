"""Firmware management, OCPP 2.0.1: FirmwareStatusNotification and
PublishFirmwareStatusNotification in; UpdateFirmware out."""

from __future__ import annotations

from chargeplane.domain.commands import UpdateFirmware
from chargeplane.gateway.connection import Handler
from chargeplane.gateway.notifications import kept_as, status_field
from chargeplane.gateway.ports import NotificationLog
from chargeplane.gateway.translation import OcppCall, Translation, status_result, translations
from chargeplane.gateway.wire import drop_none, to_iso


def handlers(log: NotificationLog) -> dict[str, Handler]:
    return {
        "FirmwareStatusNotification": kept_as(log, "FirmwareStatusNotification", status_field),
        "PublishFirmwareStatusNotification": kept_as(log, "PublishFirmwareStatusNotification", status_field),
    }


def update_firmware(c: UpdateFirmware) -> OcppCall:
    firmware = drop_none(
        {
            "location": c.location,
            "retrieveDateTime": to_iso(c.retrieve_at),
            "installDateTime": to_iso(c.install_at) if c.install_at else None,
            "signingCertificate": c.signing_certificate,
            "signature": c.signature,
        }
    )
    return "UpdateFirmware", drop_none(
        {"retries": c.retries, "retryInterval": c.retry_interval, "requestId": c.request_id, "firmware": firmware}
    )


COMMANDS = translations(
    Translation(UpdateFirmware, update_firmware, lambda c, p: status_result(p, request_id=c.request_id))
)
