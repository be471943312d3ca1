"""OCPP 1.6J authorization, transactions and meter values -> one domain call each."""

from __future__ import annotations

import logging
from typing import Any

import orjson

from chargeplane.domain.auth import AuthDecision, status_v16
from chargeplane.domain.meter import MeterValueError, Sample, sample_v16
from chargeplane.domain.transactions import StartTransaction16, StopTransaction16
from chargeplane.gateway.connection import Handler, OcppConnection
from chargeplane.gateway.errors import ErrorKind, OcppError
from chargeplane.gateway.ocpp_common import parse_time, to_iso
from chargeplane.gateway.tx_backend import TxBackend

log = logging.getLogger(__name__)


def id_tag_info(decision: AuthDecision) -> dict[str, Any]:
    info: dict[str, Any] = {"status": status_v16(decision.status)}
    if decision.expiry is not None:
        info["expiryDate"] = to_iso(decision.expiry)
    if decision.group_id:
        info["parentIdTag"] = decision.group_id[:20]
    return info


def samples_v16(meter_values: list[dict[str, Any]]) -> list[Sample]:
    """Every sampled value of a 1.6 meterValue list; a malformed value is a CALLERROR."""
    out: list[Sample] = []
    try:
        for mv in meter_values:
            ts = parse_time(mv["timestamp"])
            out.extend(sample_v16(ts, sv) for sv in mv["sampledValue"])
    except MeterValueError as exc:
        raise OcppError(ErrorKind.PROPERTY_CONSTRAINT, str(exc)) from None
    return out


INT32 = range(-(2**31), 2**31)
INT64 = range(-(2**63), 2**63)


def in_range(value: int, allowed: range, field: str) -> int:
    """Integers the schema allows but the wire format between components cannot carry."""
    if value not in allowed:
        raise OcppError(ErrorKind.PROPERTY_CONSTRAINT, f"{field} is out of range")
    return value


class Ocpp16Transactions:
    """Authorize, StartTransaction, StopTransaction, MeterValues."""

    def __init__(self, tx: TxBackend) -> None:
        self.tx = tx

    def handlers(self) -> dict[str, Handler]:
        return {
            "Authorize": self.authorize,
            "StartTransaction": self.start_transaction,
            "StopTransaction": self.stop_transaction,
            "MeterValues": self.meter_values,
        }

    def wrap_boot(self, boot: Handler) -> Handler:
        """After an accepted BootNotification, flag the charger's open transactions (a
        reboot ends them on the charger; stops queued while offline still reconcile)."""

        async def handler(conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
            reply = await boot(conn, p)
            if reply.get("status") == "Accepted":
                try:
                    await self.tx.charger_booted(conn.cp_id)
                except Exception:
                    log.warning("could not flag open transactions after boot", exc_info=True)
            return reply

        return handler

    async def authorize(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        auth = await self.tx.authorize(conn.cp_id, conn.site, p["idTag"])
        return {"idTagInfo": id_tag_info(auth.decision)}

    async def start_transaction(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        if p["connectorId"] < 1:
            raise OcppError(ErrorKind.PROPERTY_CONSTRAINT, "connectorId must be at least 1 for a transaction")
        reservation = p.get("reservationId")
        start = StartTransaction16(
            charge_point_id=conn.cp_id,
            connector_id=in_range(p["connectorId"], INT32, "connectorId"),
            id_tag=p["idTag"],
            meter_start=in_range(p["meterStart"], INT64, "meterStart"),
            timestamp=parse_time(p["timestamp"]),
            reservation_id=None if reservation is None else in_range(reservation, INT32, "reservationId"),
        )
        auth = await self.tx.authorize(conn.cp_id, conn.site, start.id_tag, record_unknown=True)
        started = await self.tx.start16(start, conn.site, auth.decision)
        return {"transactionId": started.transaction_id, "idTagInfo": id_tag_info(started.decision)}

    async def stop_transaction(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        tx_id = p["transactionId"]
        stop = StopTransaction16(
            charge_point_id=conn.cp_id,
            # An id no transaction can have is still a stop to answer and record: as "unknown".
            transaction_id=tx_id if tx_id in INT32 else -1,
            meter_stop=in_range(p["meterStop"], INT64, "meterStop"),
            timestamp=parse_time(p["timestamp"]),
            id_tag=p.get("idTag"),
            reason=p.get("reason"),
        )
        data = p.get("transactionData")
        samples = samples_v16(data) if data else []
        if samples:
            await self.tx.publish_meter_values(
                conn.cp_id, None, None, str(stop.transaction_id), samples, b"stop:" + orjson.dumps(p)
            )
        await self.tx.stop16(stop, data)
        if stop.id_tag is None:
            return {}
        auth = await self.tx.authorize(
            conn.cp_id, conn.site, stop.id_tag, own_transaction=f"{conn.cp_id}/{stop.transaction_id}"
        )
        return {"idTagInfo": id_tag_info(auth.decision)}

    async def meter_values(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        samples = samples_v16(p["meterValue"])
        connector = p["connectorId"]
        tx_id = p.get("transactionId")
        await self.tx.publish_meter_values(
            conn.cp_id,
            connector,
            0 if connector == 0 else 1,
            None if tx_id is None else str(tx_id),
            samples,
            b"mv:" + orjson.dumps(p),
        )
        return {}
