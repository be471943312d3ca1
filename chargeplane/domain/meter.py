"""Meter values of both OCPP versions: raw sampled values and their normalised numbers.

Every sampled value is kept as the charger sent it (measurand, phase, unit, context,
location, format, signed data, the value's text) next to one number in a base unit:
Wh, varh, W, var, VA, A, V, Hz, K, % (kWh -> Wh, kW -> W, ...). A value that is not a
number (a SignedData blob, a typo) keeps its raw text and gets no normalised number.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, NamedTuple

DEFAULT_MEASURAND = "Energy.Active.Import.Register"
ENERGY_REGISTER = "Energy.Active.Import.Register"

# unit -> (base unit, factor). Both versions' UnitOfMeasure names plus common variants.
_UNITS: dict[str, tuple[str, float]] = {
    "Wh": ("Wh", 1.0),
    "kWh": ("Wh", 1_000.0),
    "MWh": ("Wh", 1_000_000.0),
    "varh": ("varh", 1.0),
    "kvarh": ("varh", 1_000.0),
    "W": ("W", 1.0),
    "kW": ("W", 1_000.0),
    "MW": ("W", 1_000_000.0),
    "VA": ("VA", 1.0),
    "kVA": ("VA", 1_000.0),
    "var": ("var", 1.0),
    "kvar": ("var", 1_000.0),
    "A": ("A", 1.0),
    "V": ("V", 1.0),
    "kV": ("V", 1_000.0),
    "Hz": ("Hz", 1.0),
    "Celsius": ("Celsius", 1.0),
    "Celcius": ("Celsius", 1.0),  # OCPP 1.6 schema spelling
    "Fahrenheit": ("Fahrenheit", 1.0),
    "K": ("K", 1.0),
    "Percent": ("Percent", 1.0),
    "%": ("Percent", 1.0),
}

# The unit a measurand is in when the charger names none (1.6 §7.31 default Wh for energy).
_DEFAULT_UNIT = {
    "Current.Export": "A",
    "Current.Import": "A",
    "Current.Offered": "A",
    "Frequency": "Hz",
    "Power.Active.Export": "W",
    "Power.Active.Import": "W",
    "Power.Offered": "W",
    "Power.Reactive.Export": "var",
    "Power.Reactive.Import": "var",
    "Power.Factor": "",
    "SoC": "Percent",
    "Temperature": "Celsius",
    "Voltage": "V",
    "RPM": "",
}


# What the meter_values table stores as enumerations (both versions' schema enums).
MEASURANDS = frozenset(
    {
        "Current.Export", "Current.Import", "Current.Offered", "Energy.Active.Export.Register",
        "Energy.Active.Import.Register", "Energy.Reactive.Export.Register", "Energy.Reactive.Import.Register",
        "Energy.Active.Export.Interval", "Energy.Active.Import.Interval", "Energy.Active.Net",
        "Energy.Reactive.Export.Interval", "Energy.Reactive.Import.Interval", "Energy.Reactive.Net",
        "Energy.Apparent.Net", "Energy.Apparent.Import", "Energy.Apparent.Export", "Frequency",
        "Power.Active.Export", "Power.Active.Import", "Power.Factor", "Power.Offered", "Power.Reactive.Export",
        "Power.Reactive.Import", "RPM", "SoC", "Temperature", "Voltage",
    }
)  # fmt: skip
PHASES = frozenset({"L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1"})
CONTEXTS = frozenset(
    {"Interruption.Begin", "Interruption.End", "Other", "Sample.Clock", "Sample.Periodic",
     "Transaction.Begin", "Transaction.End", "Trigger"}
)  # fmt: skip
LOCATIONS = frozenset({"Body", "Cable", "EV", "Inlet", "Outlet"})
FORMATS = frozenset({"Raw", "SignedData"})


def _check(sv: dict[str, Any], measurand: str) -> None:
    """Enumerated fields outside the known sets (a vendor's or a newer version's) are refused
    here, so they are answered with a CALLERROR instead of poisoning a stored batch."""
    for name, value, allowed in (
        ("measurand", measurand, MEASURANDS),
        ("phase", sv.get("phase"), PHASES),
        ("context", sv.get("context"), CONTEXTS),
        ("location", sv.get("location"), LOCATIONS),
        ("format", sv.get("format"), FORMATS),
    ):
        if value is not None and value not in allowed:
            raise MeterValueError(f"{name} {value!r} is not a known value")


class MeterValueError(ValueError):
    """A sampled value violates a rule the schema cannot express."""


class Sample(NamedTuple):
    """One sampled value, raw fields as received plus the normalised number. A named tuple:
    thousands are made per second at the gateway and read back by the meter-stream writer
    (chargeplane.domain.meter_stream lists these fields in this order)."""

    timestamp: datetime
    raw_value: str
    measurand: str
    phase: str | None
    unit: str | None
    context: str | None
    location: str | None
    format: str | None  # 1.6 Raw / SignedData
    signed_data: str | None  # 2.0.1 signedMeterValue (JSON text) or the 1.6 signed blob
    value: float | None  # normalised; None when the raw value is not a number
    base_unit: str | None


def default_unit(measurand: str) -> str:
    if measurand.startswith("Energy.Reactive"):
        return "varh"
    if measurand.startswith("Energy"):
        return "Wh"
    return _DEFAULT_UNIT.get(measurand, "")


def normalise(
    raw: float | str, unit: str | None, measurand: str, multiplier: int = 0
) -> tuple[float | None, str | None]:
    """(number in the base unit, base unit). `multiplier` is 2.0.1's power of ten."""
    try:
        number = float(raw)
    except (TypeError, ValueError):
        return None, None
    if not math.isfinite(number):
        return None, None
    name = unit or default_unit(measurand)
    base, factor = _UNITS.get(name, (name or "", 1.0))
    return number * factor * (10.0**multiplier), base or None


def sample_v16(timestamp: datetime, sv: dict[str, Any]) -> Sample:
    """A 1.6 SampledValue: value is a string; format SignedData means the value is a blob."""
    measurand = sv.get("measurand") or DEFAULT_MEASURAND
    _check(sv, measurand)
    fmt = sv.get("format")
    raw = sv["value"]
    signed = fmt == "SignedData"
    value, base = (None, None) if signed else normalise(raw, sv.get("unit"), measurand)
    if not signed and value is None:
        raise MeterValueError(f"sampled value {raw!r} of {measurand} is not a number")
    return Sample(
        timestamp=timestamp,
        raw_value=raw,
        measurand=measurand,
        phase=sv.get("phase"),
        unit=sv.get("unit"),
        context=sv.get("context"),
        location=sv.get("location"),
        format=fmt,
        signed_data=raw if signed else None,
        value=value,
        base_unit=base,
    )


def sample_v201(timestamp: datetime, sv: dict[str, Any], signed_json: str | None) -> Sample:
    """A 2.0.1 SampledValueType: value is a number; unitOfMeasure carries unit and multiplier."""
    measurand = sv.get("measurand") or DEFAULT_MEASURAND
    _check(sv, measurand)
    uom = sv.get("unitOfMeasure") or {}
    raw = sv["value"]
    value, base = normalise(raw, uom.get("unit"), measurand, int(uom.get("multiplier", 0)))
    if value is None:
        raise MeterValueError(f"sampled value {raw!r} of {measurand} is not a finite number")
    return Sample(
        timestamp=timestamp,
        raw_value=repr(raw) if isinstance(raw, float) else str(raw),
        measurand=measurand,
        phase=sv.get("phase"),
        unit=uom.get("unit"),
        context=sv.get("context"),
        location=sv.get("location"),
        format=None,
        signed_data=signed_json,
        value=value,
        base_unit=base,
    )
