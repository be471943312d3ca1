"""OCPP payloads the virtual chargers send, one dialect class per protocol version.

Payloads are plain dicts serialised with orjson. Every builder here is exercised by
tests/sim/test_schemas.py against the official JSON schemas bundled in `ocpp`, so a
field name or enum typo fails a test instead of silently measuring a CALLERROR path.
"""

from __future__ import annotations

from typing import Any, ClassVar

from chargeplane.sim.clock import now_iso

Payload = dict[str, Any]

# Actions a CSMS may send that the simulator understands; everything else gets
# CALLERROR NotImplemented (OCPP-J 4.2.3).
CSMS_ACTIONS_16 = frozenset(
    {
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "Reset",
        "ChangeConfiguration",
        "GetConfiguration",
        "SetChargingProfile",
        "TriggerMessage",
    }
)
CSMS_ACTIONS_201 = frozenset(
    {
        "RequestStartTransaction",
        "RequestStopTransaction",
        "Reset",
        "SetVariables",
        "SetChargingProfile",
        "TriggerMessage",
    }
)


def meter_samples_16(energy_wh: int, power_w: float, context: str) -> list[Payload]:
    """Five sampled values (the shape the performance anchors were measured with)."""
    amps = power_w / 230.0 / 3.0
    return [
        {
            "value": str(energy_wh),
            "context": context,
            "measurand": "Energy.Active.Import.Register",
            "unit": "Wh",
            "location": "Outlet",
        },
        {"value": f"{power_w:.0f}", "context": context, "measurand": "Power.Active.Import", "unit": "W"},
        {
            "value": f"{amps:.1f}",
            "context": context,
            "measurand": "Current.Import",
            "phase": "L1",
            "unit": "A",
        },
        {"value": "230.0", "context": context, "measurand": "Voltage", "phase": "L1-N", "unit": "V"},
        {"value": "42", "context": context, "measurand": "SoC", "location": "EV", "unit": "Percent"},
    ]


def meter_samples_201(energy_wh: int, power_w: float, context: str) -> list[Payload]:
    amps = power_w / 230.0 / 3.0
    return [
        {
            "value": float(energy_wh),
            "context": context,
            "measurand": "Energy.Active.Import.Register",
            "location": "Outlet",
            "unitOfMeasure": {"unit": "Wh"},
        },
        {
            "value": round(power_w, 1),
            "context": context,
            "measurand": "Power.Active.Import",
            "unitOfMeasure": {"unit": "W"},
        },
        {
            "value": round(amps, 1),
            "context": context,
            "measurand": "Current.Import",
            "phase": "L1",
            "unitOfMeasure": {"unit": "A"},
        },
        {
            "value": 230.0,
            "context": context,
            "measurand": "Voltage",
            "phase": "L1-N",
            "unitOfMeasure": {"unit": "V"},
        },
        {
            "value": 42.0,
            "context": context,
            "measurand": "SoC",
            "location": "EV",
            "unitOfMeasure": {"unit": "Percent"},
        },
    ]


class V16:
    """OCPP 1.6J payloads."""

    subprotocol: ClassVar[str] = "ocpp1.6"
    version: ClassVar[str] = "1.6"
    csms_actions: ClassVar[frozenset[str]] = CSMS_ACTIONS_16
    available: ClassVar[str] = "Available"
    occupied: ClassVar[str] = "Charging"
    unavailable: ClassVar[str] = "Unavailable"
    churn_states: ClassVar[tuple[str, ...]] = ("Available", "Preparing", "Available", "Unavailable")
    start_action: ClassVar[str] = "StartTransaction"
    meter_action: ClassVar[str] = "MeterValues"
    stop_action: ClassVar[str] = "StopTransaction"

    @staticmethod
    def boot(cp_id: str) -> Payload:
        return {
            "chargePointVendor": "chargeplane",
            "chargePointModel": "sim-16",
            "chargePointSerialNumber": cp_id[-25:],
            "firmwareVersion": "1.0.0",
        }

    @staticmethod
    def status(connector: int, status: str) -> Payload:
        return {
            "connectorId": connector,
            "errorCode": "NoError",
            "status": status,
            "timestamp": now_iso(),
        }

    @staticmethod
    def authorize(id_tag: str) -> Payload:
        return {"idTag": id_tag[:20]}

    @staticmethod
    def start(connector: int, id_tag: str, meter_wh: int, tx_key: str) -> Payload:
        del tx_key  # 1.6: the CSMS assigns the transaction id
        return {"connectorId": connector, "idTag": id_tag[:20], "meterStart": meter_wh, "timestamp": now_iso()}

    @staticmethod
    def meter(connector: int, tx_id: int | str | None, meter_wh: int, power_w: float, seq_no: int) -> Payload:
        del seq_no
        payload: Payload = {
            "connectorId": connector,
            "meterValue": [
                {"timestamp": now_iso(), "sampledValue": meter_samples_16(meter_wh, power_w, "Sample.Periodic")}
            ],
        }
        if isinstance(tx_id, int):
            payload["transactionId"] = tx_id
        return payload

    @staticmethod
    def stop(connector: int, tx_id: int | str | None, id_tag: str, meter_wh: int, seq_no: int, reason: str) -> Payload:
        del connector, seq_no
        return {
            "transactionId": tx_id if isinstance(tx_id, int) else 0,
            "idTag": id_tag[:20],
            "meterStop": meter_wh,
            "timestamp": now_iso(),
            "reason": reason,
        }

    @staticmethod
    def parse_tx_id(action: str, result: Payload) -> int | None:
        if action == "StartTransaction":
            value = result.get("transactionId")
            return value if isinstance(value, int) else None
        return None

    @staticmethod
    def auth_status(action: str, result: Payload) -> str:
        info = result.get("idTagInfo")
        return str(info.get("status", "?")) if isinstance(info, dict) else "?"


STOP_TRIGGERS = {
    "Local": "StopAuthorized",
    "Remote": "RemoteStop",
    "ImmediateReset": "ResetCommand",
    "DeAuthorized": "Deauthorized",
}


class V201:
    """OCPP 2.0.1 payloads."""

    subprotocol: ClassVar[str] = "ocpp2.0.1"
    version: ClassVar[str] = "2.0.1"
    csms_actions: ClassVar[frozenset[str]] = CSMS_ACTIONS_201
    available: ClassVar[str] = "Available"
    occupied: ClassVar[str] = "Occupied"
    unavailable: ClassVar[str] = "Unavailable"
    churn_states: ClassVar[tuple[str, ...]] = ("Available", "Occupied", "Available", "Unavailable")
    start_action: ClassVar[str] = "TransactionEvent"
    meter_action: ClassVar[str] = "TransactionEvent"
    stop_action: ClassVar[str] = "TransactionEvent"

    @staticmethod
    def boot(cp_id: str) -> Payload:
        return {
            "chargingStation": {
                "model": "sim-201",
                "vendorName": "chargeplane",
                "serialNumber": cp_id[-25:],
                "firmwareVersion": "1.0.0",
            },
            "reason": "PowerUp",
        }

    @staticmethod
    def status(connector: int, status: str) -> Payload:
        # One connector per EVSE: EVSE n carries connector 1.
        return {"timestamp": now_iso(), "connectorStatus": status, "evseId": connector, "connectorId": 1}

    @staticmethod
    def id_token(id_tag: str) -> Payload:
        return {"idToken": id_tag[:36], "type": "ISO14443"}

    @classmethod
    def authorize(cls, id_tag: str) -> Payload:
        return {"idToken": cls.id_token(id_tag)}

    @classmethod
    def start(cls, connector: int, id_tag: str, meter_wh: int, tx_key: str) -> Payload:
        return {
            "eventType": "Started",
            "timestamp": now_iso(),
            "triggerReason": "Authorized",
            "seqNo": 0,
            "transactionInfo": {"transactionId": tx_key[:36], "chargingState": "Charging"},
            "evse": {"id": connector, "connectorId": 1},
            "idToken": cls.id_token(id_tag),
            "meterValue": [
                {"timestamp": now_iso(), "sampledValue": meter_samples_201(meter_wh, 0.0, "Transaction.Begin")}
            ],
        }

    @staticmethod
    def meter(connector: int, tx_id: int | str | None, meter_wh: int, power_w: float, seq_no: int) -> Payload:
        return {
            "eventType": "Updated",
            "timestamp": now_iso(),
            "triggerReason": "MeterValuePeriodic",
            "seqNo": seq_no,
            "transactionInfo": {"transactionId": str(tx_id)[:36], "chargingState": "Charging"},
            "evse": {"id": connector, "connectorId": 1},
            "meterValue": [
                {"timestamp": now_iso(), "sampledValue": meter_samples_201(meter_wh, power_w, "Sample.Periodic")}
            ],
        }

    @classmethod
    def stop(
        cls, connector: int, tx_id: int | str | None, id_tag: str, meter_wh: int, seq_no: int, reason: str
    ) -> Payload:
        return {
            "eventType": "Ended",
            "timestamp": now_iso(),
            "triggerReason": STOP_TRIGGERS.get(reason, "AbnormalCondition"),
            "seqNo": seq_no,
            "transactionInfo": {"transactionId": str(tx_id)[:36], "chargingState": "Idle", "stoppedReason": reason},
            "evse": {"id": connector, "connectorId": 1},
            "idToken": cls.id_token(id_tag),
            "meterValue": [
                {"timestamp": now_iso(), "sampledValue": meter_samples_201(meter_wh, 0.0, "Transaction.End")}
            ],
        }

    @staticmethod
    def parse_tx_id(action: str, result: Payload) -> int | None:
        del action, result  # 2.0.1: the charging station assigns the transaction id
        return None

    @staticmethod
    def auth_status(action: str, result: Payload) -> str:
        info = result.get("idTokenInfo")
        return str(info.get("status", "?")) if isinstance(info, dict) else "?"


Dialect = type[V16] | type[V201]

# Standalone MeterValues for 2.0.1 (outside a transaction; the throughput benchmark uses
# the same five samples in both versions so G3 compares like with like).


def meter_values_201(evse: int, meter_wh: int, power_w: float) -> Payload:
    return {
        "evseId": evse,
        "meterValue": [
            {"timestamp": now_iso(), "sampledValue": meter_samples_201(meter_wh, power_w, "Sample.Periodic")}
        ],
    }
