"""Device model and configuration, the same way for both OCPP versions.

A configuration key is version-neutral text:
- an OCPP 1.6 configuration key is a plain name: ``HeartbeatInterval``;
- an OCPP 2.0.1 variable is ``Component[#instance][[evse[.connector]]]/Variable[#instance]``,
  e.g. ``OCPPCommCtrlr/HeartbeatInterval``, ``EVSE[1]/AvailabilityState``,
  ``Connector[1.2]/ConnectorType``, ``OCPPCommCtrlr/MessageAttempts#TransactionEvent``.
The standard 1.6 keys that have a 2.0.1 counterpart (OCPP 2.0.1 Part 2, migration table)
translate both ways, so ``HeartbeatInterval`` works on a 2.0.1 charger and
``OCPPCommCtrlr/HeartbeatInterval`` on a 1.6 one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chargeplane.domain.chargepoints import Protocol

MAX_KEY_LENGTH_16 = 50  # 1.6 CiString50
MAX_NAME_LENGTH_201 = 50  # 2.0.1 component / variable names and instances
MAX_VALUE_LENGTH_16 = 500
MAX_VALUE_LENGTH_201 = 1000  # SetVariables attributeValue
ATTRIBUTE_TYPES = ("Actual", "Target", "MinSet", "MaxSet")

_PART = r"[^#\[\]/]+"
_KEY_201 = re.compile(
    rf"^(?P<component>{_PART})(?:#(?P<cinst>{_PART}))?(?:\[(?P<evse>\d+)(?:\.(?P<conn>\d+))?\])?"
    rf"/(?P<variable>{_PART})(?:#(?P<vinst>{_PART}))?$"
)


class UnknownKey(ValueError):
    """A configuration key that cannot be expressed in the charger's protocol version."""


@dataclass(frozen=True, slots=True)
class VariableRef:
    """An OCPP 2.0.1 component/variable pair (with optional instances and EVSE)."""

    component: str
    variable: str
    component_instance: str | None = None
    variable_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None

    @classmethod
    def parse(cls, key: str) -> VariableRef:
        match = _KEY_201.match(key)
        if match is None:
            raise UnknownKey(f"{key!r} is not of the form Component[#instance][[evse[.connector]]]/Variable[#instance]")
        ref = cls(
            component=match["component"],
            variable=match["variable"],
            component_instance=match["cinst"],
            variable_instance=match["vinst"],
            evse_id=int(match["evse"]) if match["evse"] is not None else None,
            connector_id=int(match["conn"]) if match["conn"] is not None else None,
        )
        for part in (ref.component, ref.variable, ref.component_instance, ref.variable_instance):
            if part is not None and len(part) > MAX_NAME_LENGTH_201:
                raise UnknownKey(f"{key!r}: names and instances are at most {MAX_NAME_LENGTH_201} characters")
        return ref

    @property
    def key(self) -> str:
        out = self.component
        if self.component_instance is not None:
            out += f"#{self.component_instance}"
        if self.evse_id is not None:
            out += f"[{self.evse_id}" + (f".{self.connector_id}" if self.connector_id is not None else "") + "]"
        out += f"/{self.variable}"
        if self.variable_instance is not None:
            out += f"#{self.variable_instance}"
        return out

    def to_ocpp201(self) -> dict[str, Any]:
        """The `component` and `variable` objects of GetVariableData / SetVariableData."""
        component: dict[str, Any] = {"name": self.component}
        if self.component_instance is not None:
            component["instance"] = self.component_instance
        if self.evse_id is not None:
            component["evse"] = {"id": self.evse_id}
            if self.connector_id is not None:
                component["evse"]["connectorId"] = self.connector_id
        variable: dict[str, Any] = {"name": self.variable}
        if self.variable_instance is not None:
            variable["instance"] = self.variable_instance
        return {"component": component, "variable": variable}

    @classmethod
    def from_ocpp201(cls, component: dict[str, Any], variable: dict[str, Any]) -> VariableRef:
        evse = component.get("evse") or {}
        return cls(
            component=component["name"],
            variable=variable["name"],
            component_instance=component.get("instance"),
            variable_instance=variable.get("instance"),
            evse_id=evse.get("id"),
            connector_id=evse.get("connectorId"),
        )


# OCPP 1.6 configuration key -> the OCPP 2.0.1 variable of the same meaning.
STANDARD_KEYS: dict[str, VariableRef] = {
    "AllowOfflineTxForUnknownId": VariableRef("AuthCtrlr", "OfflineTxForUnknownIdEnabled"),
    "AuthorizationCacheEnabled": VariableRef("AuthCacheCtrlr", "Enabled"),
    "AuthorizeRemoteTxRequests": VariableRef("AuthCtrlr", "AuthorizeRemoteStart"),
    "ClockAlignedDataInterval": VariableRef("AlignedDataCtrlr", "Interval"),
    "ConnectionTimeOut": VariableRef("TxCtrlr", "EVConnectionTimeOut"),
    "HeartbeatInterval": VariableRef("OCPPCommCtrlr", "HeartbeatInterval"),
    "LocalAuthorizeOffline": VariableRef("AuthCtrlr", "LocalAuthorizeOffline"),
    "LocalPreAuthorize": VariableRef("AuthCtrlr", "LocalPreAuthorize"),
    "MaxEnergyOnInvalidId": VariableRef("TxCtrlr", "MaxEnergyOnInvalidId"),
    "MeterValuesAlignedData": VariableRef("AlignedDataCtrlr", "Measurands"),
    "MeterValuesSampledData": VariableRef("SampledDataCtrlr", "TxUpdatedMeasurands"),
    "MeterValueSampleInterval": VariableRef("SampledDataCtrlr", "TxUpdatedInterval"),
    "ResetRetries": VariableRef("OCPPCommCtrlr", "ResetRetries"),
    "StopTransactionOnEVSideDisconnect": VariableRef("TxCtrlr", "StopTxOnEVSideDisconnect"),
    "StopTransactionOnInvalidId": VariableRef("TxCtrlr", "StopTxOnInvalidId"),
    "StopTxnAlignedData": VariableRef("AlignedDataCtrlr", "TxEndedMeasurands"),
    "StopTxnSampledData": VariableRef("SampledDataCtrlr", "TxEndedMeasurands"),
    "TransactionMessageAttempts": VariableRef("OCPPCommCtrlr", "MessageAttempts", variable_instance="TransactionEvent"),
    "TransactionMessageRetryInterval": VariableRef(
        "OCPPCommCtrlr", "MessageAttemptInterval", variable_instance="TransactionEvent"
    ),
    "UnlockConnectorOnEVSideDisconnect": VariableRef("OCPPCommCtrlr", "UnlockOnEVSideDisconnect"),
    "WebSocketPingInterval": VariableRef("OCPPCommCtrlr", "WebSocketPingInterval"),
    "LocalAuthListEnabled": VariableRef("LocalAuthListCtrlr", "Enabled"),
    "SendLocalListMaxLength": VariableRef("LocalAuthListCtrlr", "ItemsPerMessage"),
    "ChargeProfileMaxStackLevel": VariableRef("SmartChargingCtrlr", "ProfileStackLevel"),
    "ChargingScheduleAllowedChargingRateUnit": VariableRef("SmartChargingCtrlr", "RateUnit"),
    "ChargingScheduleMaxPeriods": VariableRef("SmartChargingCtrlr", "PeriodsPerSchedule"),
    "ReserveConnectorZeroSupported": VariableRef("ReservationCtrlr", "NonEvseSpecific"),
    "SecurityProfile": VariableRef("SecurityCtrlr", "SecurityProfile"),
    "CpoName": VariableRef("SecurityCtrlr", "OrganizationName"),
    "AuthorizationKey": VariableRef("SecurityCtrlr", "BasicAuthPassword"),
}
_KEY_OF_REF = {ref: key for key, ref in STANDARD_KEYS.items()}


def is_variable_key(key: str) -> bool:
    """True for a 2.0.1-style ``Component/Variable`` key, False for a plain 1.6 key."""
    return "/" in key


def key_for_16(key: str) -> str:
    """The 1.6 configuration key for a neutral key; UnknownKey if 1.6 has none."""
    if not key:
        raise UnknownKey("a configuration key must not be empty")
    if is_variable_key(key):
        standard = _KEY_OF_REF.get(VariableRef.parse(key))
        if standard is None:
            raise UnknownKey(f"{key!r} is an OCPP 2.0.1 variable with no OCPP 1.6 configuration key")
        return standard
    if len(key) > MAX_KEY_LENGTH_16:
        raise UnknownKey(f"{key!r}: OCPP 1.6 configuration keys are at most {MAX_KEY_LENGTH_16} characters")
    return key


def ref_for_201(key: str) -> VariableRef:
    """The 2.0.1 variable for a neutral key; UnknownKey if 2.0.1 has none."""
    if is_variable_key(key):
        return VariableRef.parse(key)
    standard = STANDARD_KEYS.get(key)
    if standard is None:
        raise UnknownKey(
            f"{key!r} is an OCPP 1.6 configuration key with no standard OCPP 2.0.1 variable;"
            " address 2.0.1 variables as Component/Variable"
        )
    return standard


def check_key(key: str) -> None:
    """Raise ValueError unless `key` is a well-formed neutral key (for either version)."""
    if not key:
        raise ValueError("a configuration key must not be empty")
    if is_variable_key(key):
        VariableRef.parse(key)
    elif len(key) > MAX_KEY_LENGTH_16:
        raise ValueError(f"{key!r}: configuration keys are at most {MAX_KEY_LENGTH_16} characters")
    if not key.isprintable():
        raise ValueError(f"{key!r} contains control characters")


# -- what chargers report ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceVariable:
    """One reported attribute of the device model (2.0.1) or one configuration key (1.6:
    component '' and the key as the variable name)."""

    component: str
    variable: str
    component_instance: str = ""
    variable_instance: str = ""
    evse_id: int = -1  # -1: none
    connector_id: int = -1
    attribute_type: str = "Actual"
    value: str | None = None
    readonly: bool | None = None
    characteristics: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        """The neutral key (see the module docstring)."""
        if not self.component:
            return self.variable
        return VariableRef(
            self.component,
            self.variable,
            self.component_instance or None,
            self.variable_instance or None,
            self.evse_id if self.evse_id >= 0 else None,
            self.connector_id if self.connector_id >= 0 else None,
        ).key


def variables_from_configuration(payload: dict[str, Any]) -> list[DeviceVariable]:
    """A 1.6 GetConfiguration.conf as device variables."""
    return [
        DeviceVariable(component="", variable=item["key"], value=item.get("value"), readonly=item.get("readonly"))
        for item in payload.get("configurationKey") or []
    ]


def variables_from_report(payload: dict[str, Any]) -> list[DeviceVariable]:
    """The reportData of a 2.0.1 NotifyReport as device variables (one per attribute)."""
    out: list[DeviceVariable] = []
    for item in payload.get("reportData") or []:
        ref = VariableRef.from_ocpp201(item["component"], item["variable"])
        characteristics = item.get("variableCharacteristics")
        for attribute in item.get("variableAttribute") or []:
            mutability = attribute.get("mutability")
            out.append(
                DeviceVariable(
                    component=ref.component,
                    variable=ref.variable,
                    component_instance=ref.component_instance or "",
                    variable_instance=ref.variable_instance or "",
                    evse_id=ref.evse_id if ref.evse_id is not None else -1,
                    connector_id=ref.connector_id if ref.connector_id is not None else -1,
                    attribute_type=attribute.get("type", "Actual"),
                    value=attribute.get("value"),
                    readonly=None if mutability is None else mutability == "ReadOnly",
                    characteristics=characteristics,
                )
            )
    return out


def variable_of(key: str, protocol: Protocol, value: str | None, attribute_type: str = "Actual") -> DeviceVariable:
    """The device variable a neutral key addresses on a charger of `protocol`."""
    if protocol is Protocol.OCPP16:
        return DeviceVariable(component="", variable=key_for_16(key), value=value)
    ref = ref_for_201(key)
    return DeviceVariable(
        component=ref.component,
        variable=ref.variable,
        component_instance=ref.component_instance or "",
        variable_instance=ref.variable_instance or "",
        evse_id=ref.evse_id if ref.evse_id is not None else -1,
        connector_id=ref.connector_id if ref.connector_id is not None else -1,
        attribute_type=attribute_type,
        value=value,
    )


@dataclass(frozen=True, slots=True)
class Notification:
    """A status a charger reported on its own: firmware, diagnostics/log upload, security
    events, monitoring events. `payload` is the message as received."""

    charge_point_id: str
    kind: str  # the OCPP action, e.g. FirmwareStatusNotification
    status: str
    payload: dict[str, Any]
    request_id: int | None = None
    received_at: datetime | None = None
    id: int | None = None  # assigned when stored


@dataclass(frozen=True, slots=True)
class DesiredSetting:
    """A configuration key (neutral, see the module docstring) an operator wants set."""

    key: str
    value: str
    last_result: str | None = None
    last_pushed_at: datetime | None = None
    updated_at: datetime | None = None


# Push results after which the same value is not pushed again on the next boot (until the
# desired value changes). Others (RebootRequired, Timeout, CallError..., Disconnected) retry.
FINAL_PUSH_RESULTS = frozenset(
    {
        "Accepted",
        "Rejected",
        "NotSupported",
        "UnknownComponent",
        "UnknownVariable",
        "NotSupportedAttributeType",
        "Unsupported",
    }
)
