"""Data transfer, OCPP 2.0.1: vendor messages in both directions (data is any JSON value)."""

from __future__ import annotations

from typing import Any

from chargeplane.domain.commands import CommandResult, DataTransfer
from chargeplane.gateway.connection import Handler, OcppConnection
from chargeplane.gateway.translation import OcppCall, Translation, status_result, translations
from chargeplane.gateway.wire import drop_none


async def data_transfer(conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
    # No vendor extensions are registered: the spec's answer is UnknownVendorId.
    return {"status": "UnknownVendorId"}


def handlers() -> dict[str, Handler]:
    return {"DataTransfer": data_transfer}


def send_data(c: DataTransfer) -> OcppCall:
    return "DataTransfer", drop_none({"vendorId": c.vendor_id, "messageId": c.message_id, "data": c.data})


def data_result(c: DataTransfer, p: dict[str, Any]) -> CommandResult:
    return status_result(p, data=p.get("data"))


COMMANDS = translations(Translation(DataTransfer, send_data, data_result))
