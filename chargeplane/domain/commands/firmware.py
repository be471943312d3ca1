"""Firmware management (OCPP 2.0.1 block L). Progress comes as FirmwareStatusNotification."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import model_validator

from chargeplane.domain.commands.base import Command
from chargeplane.domain.fields import Int32, Moment, Text, Uri, invalid, request_id


class UpdateFirmware(Command):
    """1.6 UpdateFirmware (or, signed, the security extension's SignedUpdateFirmware) /
    2.0.1 UpdateFirmware."""

    name: ClassVar[str] = "update-firmware"
    location: Uri
    retrieve_at: Moment
    retries: Int32 | None = None
    retry_interval: Int32 | None = None
    install_at: Moment | None = None
    signing_certificate: Annotated[str, Text(5500)] | None = None
    signature: Annotated[str, Text(800)] | None = None
    request_id: Int32 = request_id("Names the FirmwareStatusNotifications; random when absent.")

    @model_validator(mode="after")
    def _signed_together(self) -> UpdateFirmware:
        if (self.signature is None) != (self.signing_certificate is None):
            raise invalid("signature and signing_certificate go together")
        return self
