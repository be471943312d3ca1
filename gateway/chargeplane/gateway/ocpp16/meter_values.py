"""Meter values, OCPP 1.6: MeterValues in.

A MeterValues with a transactionId is the 1.6 form of an Updated transaction event that
carries nothing but samples (1.6 numbers no events and reports no charging state), so it
takes the path every event's samples take: the meter stream, keyed by the transaction.
"""

from __future__ import annotations

from typing import Any

import orjson

from chargeplane.gateway.connection import Handler, OcppConnection
from chargeplane.gateway.ocpp16.datatypes import samples
from chargeplane.gateway.ports import MeterStream


class MeterValues:
    def __init__(self, meters: MeterStream) -> None:
        self.meters = meters

    def handlers(self) -> dict[str, Handler]:
        return {"MeterValues": self.meter_values}

    async def meter_values(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        read = samples(p["meterValue"])
        connector = p["connectorId"]
        tx_id = p.get("transactionId")
        await self.meters.publish(
            conn.cp_id,
            connector,
            0 if connector == 0 else 1,
            None if tx_id is None else str(tx_id),
            read,
            b"mv:" + orjson.dumps(p),
        )
        return {}
