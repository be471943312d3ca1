"""Meter values, OCPP 2.0.1: MeterValues in (samples outside transactions; a transaction's
samples come with its TransactionEvents)."""

from __future__ import annotations

from typing import Any

import orjson

from chargeplane.gateway.connection import Handler, OcppConnection
from chargeplane.gateway.ocpp201.datatypes import samples
from chargeplane.gateway.ports import MeterStream
from chargeplane.gateway.wire import INT32, in_range


class MeterValues:
    def __init__(self, meters: MeterStream) -> None:
        self.meters = meters

    def handlers(self) -> dict[str, Handler]:
        return {"MeterValues": self.meter_values}

    async def meter_values(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        read = samples(p["meterValue"])
        in_range(p["evseId"], INT32, "evseId")
        await self.meters.publish(conn.cp_id, p["evseId"], None, None, read, b"mv:" + orjson.dumps(p))
        return {}
