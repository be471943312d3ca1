"""CSMS-initiated operations, version-neutral, and their translation to OCPP 1.6 / 2.0.1.

Each operation is a dataclass with its parameters. `to_ocpp(command, protocol)` gives the
action and payload for a charger of that version (raising `UnsupportedCommand` when the
version cannot express it); `from_ocpp(command, protocol, payload)` turns the charger's
CALLRESULT payload into a neutral `CommandResult`. `COMMANDS` maps URL-friendly names to the
classes; `Cls.from_dict(json_body)` validates input and raises ValueError with a clear
message; `command.to_dict()` is its JSON form (round-trips through `from_dict`).

Addressing: OCPP 1.6 connector N is EVSE N (connector 1 of it); 1.6 connector 0 is the
charge point as a whole, which 2.0.1 expresses by leaving the EVSE out (or EVSE 0).
Datetimes are timezone-aware and sent as UTC (``...Z``). Identifiers sent to chargers
are 32-bit signed integers (what charger firmware stores).
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, Self

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.device import (
    ATTRIBUTE_TYPES,
    MAX_VALUE_LENGTH_16,
    MAX_VALUE_LENGTH_201,
    DeviceVariable,
    UnknownKey,
    VariableRef,
    check_key,
    key_for_16,
    ref_for_201,
    variable_of,
    variables_from_configuration,
)

__all__ = [
    "COMMANDS",
    "CancelReservation",
    "ChangeAvailability",
    "ChangeConfiguration",
    "ChargingProfile",
    "ChargingSchedule",
    "ClearCache",
    "ClearChargingProfile",
    "Command",
    "CommandResult",
    "ConfigurationSetting",
    "DataTransfer",
    "GetBaseReport",
    "GetCompositeSchedule",
    "GetConfiguration",
    "GetDiagnostics",
    "GetLocalListVersion",
    "LocalListEntry",
    "RemoteStart",
    "RemoteStop",
    "ReserveNow",
    "Reset",
    "SchedulePeriod",
    "SendLocalList",
    "SetChargingProfile",
    "TriggerMessage",
    "UnlockConnector",
    "UnsupportedCommand",
    "UpdateFirmware",
    "command_from_dict",
    "from_ocpp",
    "reported_variables",
    "to_ocpp",
]

INT32_MAX = 2**31 - 1
MAX_ID_TOKEN_16 = 20  # 1.6 IdToken is CiString20
MAX_ID_TOKEN_201 = 36
ID_TOKEN_TYPES = ("Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization")
_URI = re.compile(r"^\w+:(/?/?)[^\s]+\Z")  # the schemas' "uri" format, as the validator checks it


class UnsupportedCommand(ValueError):
    """The operation (or one of its parameters) cannot be expressed in the charger's
    OCPP version. The message says what and why."""


@dataclass(frozen=True, slots=True)
class CommandResult:
    """The charger's answer, version-neutral: `status` is the charger's status word
    (for answers without one, "Accepted"), `details` the rest, in snake_case."""

    status: str
    details: dict[str, Any] = field(default_factory=dict)


def new_request_id() -> int:
    """A random positive 32-bit id for requestId / remoteStartId when the caller gives none."""
    return 1 + secrets.randbelow(INT32_MAX)


# -- input validation -------------------------------------------------------------------


class _Reader:
    """Reads one JSON object field by field; unknown fields are an error."""

    def __init__(self, data: Any, where: str = "") -> None:
        if not isinstance(data, Mapping):
            raise ValueError(f"{where or 'body'}: must be a JSON object")
        self.data = data
        self.where = where
        self.seen: set[str] = set()

    def _path(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def _get(self, name: str) -> Any:
        self.seen.add(name)
        return self.data.get(name)

    def _missing(self, name: str) -> ValueError:
        return ValueError(f"{self._path(name)}: is required")

    def int_(self, name: str, *, minimum: int = 0, maximum: int = INT32_MAX) -> int | None:
        value = self._get(name)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{self._path(name)}: must be an integer")
        if not minimum <= value <= maximum:
            raise ValueError(f"{self._path(name)}: must be between {minimum} and {maximum}")
        return value

    def req_int(self, name: str, *, minimum: int = 0, maximum: int = INT32_MAX) -> int:
        value = self.int_(name, minimum=minimum, maximum=maximum)
        if value is None:
            raise self._missing(name)
        return value

    def number(self, name: str, *, minimum: float = 0.0) -> float | None:
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
            raise ValueError(f"{self._path(name)}: must be a number")
        if not minimum <= value <= 1e9:
            raise ValueError(f"{self._path(name)}: must be between {minimum} and 1e9")
        return float(value)

    def req_number(self, name: str, *, minimum: float = 0.0) -> float:
        value = self.number(name, minimum=minimum)
        if value is None:
            raise self._missing(name)
        return value

    def id_(self, name: str) -> int:
        """An optional request id; a random one when absent."""
        value = self.int_(name)
        return new_request_id() if value is None else value

    def str_(self, name: str, *, max_length: int, allow_empty: bool = False) -> str | None:
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError(f"{self._path(name)}: must be a string")
        if not value and not allow_empty:
            raise ValueError(f"{self._path(name)}: must not be empty")
        if len(value) > max_length:
            raise ValueError(f"{self._path(name)}: must be at most {max_length} characters")
        if "\x00" in value:
            raise ValueError(f"{self._path(name)}: must not contain NUL characters")
        return value

    def req_str(self, name: str, *, max_length: int, allow_empty: bool = False) -> str:
        value = self.str_(name, max_length=max_length, allow_empty=allow_empty)
        if value is None:
            raise self._missing(name)
        return value

    def enum(self, name: str, choices: Mapping[str, str]) -> str | None:
        """`choices` maps accepted spellings (compared case-insensitively) to the value."""
        value = self._get(name)
        if value is None:
            return None
        if isinstance(value, str):
            found = choices.get(value.lower())
            if found is not None:
                return found
        allowed = ", ".join(sorted(set(choices.values())))
        raise ValueError(f"{self._path(name)}: must be one of {allowed}")

    def req_enum(self, name: str, choices: Mapping[str, str]) -> str:
        value = self.enum(name, choices)
        if value is None:
            raise self._missing(name)
        return value

    def datetime_(self, name: str) -> datetime | None:
        value = self._get(name)
        if value is None:
            return None
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{self._path(name)}: must be an ISO 8601 date-time") from None
        else:
            raise ValueError(f"{self._path(name)}: must be an ISO 8601 date-time string")
        if parsed.tzinfo is None:
            raise ValueError(f"{self._path(name)}: must include a UTC offset (e.g. 2026-01-31T12:00:00Z)")
        # Chargers get millisecond precision: keep exactly what will be sent.
        return parsed.astimezone(UTC).replace(microsecond=parsed.microsecond // 1000 * 1000)

    def req_datetime(self, name: str) -> datetime:
        value = self.datetime_(name)
        if value is None:
            raise self._missing(name)
        return value

    def uri(self, name: str, *, max_length: int = 512) -> str:
        value = self.req_str(name, max_length=max_length)
        if not _URI.match(value):
            raise ValueError(f"{self._path(name)}: must be a URI such as ftp://host/path")
        return value

    def list_(self, name: str, *, max_items: int = 10_000) -> list[Any] | None:
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, list):
            raise ValueError(f"{self._path(name)}: must be a list")
        if len(value) > max_items:
            raise ValueError(f"{self._path(name)}: at most {max_items} items")
        return value

    def raw(self, name: str) -> Any:
        return self._get(name)

    def sub(self, name: str) -> _Reader | None:
        value = self._get(name)
        return None if value is None else _Reader(value, self._path(name))

    def done(self) -> None:
        unknown = sorted(str(k) for k in self.data if k not in self.seen)
        if unknown:
            raise ValueError(f"{self.where or 'body'}: unknown field(s) {', '.join(unknown)}")


def _choices(*values: str, **aliases: str) -> dict[str, str]:
    out = {v.lower(): v for v in values}
    out.update({k.lower(): v for k, v in aliases.items()})
    return out


_ID_TOKEN_TYPES = _choices(*ID_TOKEN_TYPES)
_RATE_UNITS = _choices("A", "W")


def _id_token(r: _Reader, name: str) -> str:
    value = r.req_str(name, max_length=MAX_ID_TOKEN_201)
    return value


# -- output helpers ------------------------------------------------------------------------


def iso(value: datetime) -> str:
    """UTC, millisecond precision, 'Z' suffix: what every charger parses."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _v16(protocol: Protocol) -> bool:
    return protocol is Protocol.OCPP16


def _unsupported(protocol: Protocol, what: str) -> UnsupportedCommand:
    return UnsupportedCommand(f"OCPP {protocol.value.removeprefix('ocpp')} cannot express {what}")


def _idtag_16(token: str, field_: str = "id_token") -> str:
    if len(token) > MAX_ID_TOKEN_16:
        raise UnsupportedCommand(f"OCPP 1.6 id tags are at most {MAX_ID_TOKEN_16} characters ({field_})")
    return token


def _connector_16(evse_id: int | None, connector_id: int | None, *, what: str) -> int:
    """The 1.6 connectorId of an EVSE/connector address (1.6: one connector per EVSE)."""
    if evse_id is None or evse_id == 0:
        if connector_id not in (None, 0):
            raise UnsupportedCommand(f"OCPP 1.6 cannot address connector {connector_id} without an EVSE ({what})")
        return 0
    if connector_id not in (None, 1):
        raise UnsupportedCommand(
            f"OCPP 1.6 addresses connector 1 of each EVSE only, not connector {connector_id} ({what})"
        )
    return evse_id


def _evse_201(evse_id: int | None, connector_id: int | None) -> dict[str, Any] | None:
    if evse_id is None or (evse_id == 0 and connector_id in (None, 0)):
        return None
    return _drop_none({"id": evse_id, "connectorId": connector_id})


def _status_info(payload: Mapping[str, Any], key: str = "statusInfo") -> dict[str, Any]:
    info = payload.get(key)
    if not info:
        return {}
    return {
        "status_info": _drop_none(
            {"reason_code": info.get("reasonCode"), "additional_info": info.get("additionalInfo")}
        )
    }


def _status_result(payload: Mapping[str, Any], **details: Any) -> CommandResult:
    return CommandResult(str(payload["status"]), {**_status_info(payload), **_drop_none(details)})


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, StrEnum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in fields(value) if getattr(value, f.name) is not None}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    return value


# -- the commands ----------------------------------------------------------------------------


class Command:
    """Base of every operation. Subclasses are frozen dataclasses."""

    name: ClassVar[str]

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        out = _to_json(self)
        assert isinstance(out, dict)
        return out

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def from_ocpp(self, protocol: Protocol, payload: dict[str, Any]) -> CommandResult:
        return _status_result(payload)


class ResetType(StrEnum):
    SOFT = "soft"  # 1.6 Soft, 2.0.1 OnIdle: wait for / stop transactions gracefully
    HARD = "hard"  # 1.6 Hard, 2.0.1 Immediate


@dataclass(frozen=True, slots=True)
class Reset(Command):
    name: ClassVar[str] = "reset"
    type: ResetType = ResetType.SOFT
    evse_id: int | None = None  # 2.0.1 only: reset one EVSE

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        r = _Reader(data)
        kind = r.enum("type", _choices("soft", "hard", onidle="soft", immediate="hard")) or "soft"
        out = cls(ResetType(kind), r.int_("evse_id"))
        r.done()
        return out

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        if _v16(protocol):
            if self.evse_id is not None:
                raise _unsupported(protocol, "a reset of a single EVSE (evse_id)")
            return "Reset", {"type": "Soft" if self.type is ResetType.SOFT else "Hard"}
        kind = "OnIdle" if self.type is ResetType.SOFT else "Immediate"
        return "Reset", _drop_none({"type": kind, "evseId": self.evse_id})


@dataclass(frozen=True, slots=True)
class SchedulePeriod:
    start_period: int  # seconds from the schedule start
    limit: float  # in the schedule's rate unit (A or W)
    number_phases: int | None = None
    phase_to_use: int | None = None  # 2.0.1 only

    @classmethod
    def read(cls, r: _Reader) -> SchedulePeriod:
        out = cls(
            r.req_int("start_period"),
            r.req_number("limit"),
            r.int_("number_phases", minimum=1, maximum=3),
            r.int_("phase_to_use", minimum=1, maximum=3),
        )
        r.done()
        return out

    def to_ocpp(self, protocol: Protocol) -> dict[str, Any]:
        if _v16(protocol) and self.phase_to_use is not None:
            raise _unsupported(protocol, "phase_to_use in a charging schedule")
        return _drop_none(
            {
                "startPeriod": self.start_period,
                "limit": self.limit,
                "numberPhases": self.number_phases,
                "phaseToUse": self.phase_to_use,
            }
        )


@dataclass(frozen=True, slots=True)
class ChargingSchedule:
    rate_unit: str  # "A" or "W"
    periods: tuple[SchedulePeriod, ...]
    id: int | None = None  # 2.0.1 schedule id; defaults to its position (1, 2, 3)
    start: datetime | None = None
    duration: int | None = None  # seconds
    min_charging_rate: float | None = None

    @classmethod
    def read(cls, r: _Reader) -> ChargingSchedule:
        raw_periods = r.list_("periods", max_items=1024)
        if not raw_periods:
            raise ValueError(f"{r._path('periods')}: at least one period is required")
        out = cls(
            rate_unit=r.req_enum("rate_unit", _RATE_UNITS),
            periods=tuple(
                SchedulePeriod.read(_Reader(p, f"{r._path('periods')}[{i}]")) for i, p in enumerate(raw_periods)
            ),
            id=r.int_("id"),
            start=r.datetime_("start"),
            duration=r.int_("duration"),
            min_charging_rate=r.number("min_charging_rate"),
        )
        r.done()
        return out

    def to_ocpp(self, protocol: Protocol, position: int) -> dict[str, Any]:
        out = _drop_none(
            {
                "startSchedule": iso(self.start) if self.start else None,
                "duration": self.duration,
                "chargingRateUnit": self.rate_unit,
                "chargingSchedulePeriod": [p.to_ocpp(protocol) for p in self.periods],
                "minChargingRate": self.min_charging_rate,
            }
        )
        if not _v16(protocol):
            out["id"] = self.id if self.id is not None else position
        return out


_PURPOSES = _choices(
    "ChargingStationMaxProfile",
    "TxDefaultProfile",
    "TxProfile",
    "ChargingStationExternalConstraints",
    ChargePointMaxProfile="ChargingStationMaxProfile",
)
_KINDS = _choices("Absolute", "Recurring", "Relative")
_RECURRENCY = _choices("Daily", "Weekly")


@dataclass(frozen=True, slots=True)
class ChargingProfile:
    """The structure both versions share. 1.6 takes exactly one schedule; 2.0.1 up to three."""

    id: int
    stack_level: int
    purpose: str  # ChargingStationMaxProfile (1.6 ChargePointMaxProfile), TxDefaultProfile, TxProfile, ...
    kind: str  # Absolute, Recurring, Relative
    schedules: tuple[ChargingSchedule, ...]
    recurrency: str | None = None  # Daily, Weekly
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    transaction_id: str | None = None  # 1.6: must be an integer

    @classmethod
    def read(cls, r: _Reader) -> ChargingProfile:
        raw = r.list_("schedules", max_items=3)
        if not raw:
            raise ValueError(f"{r._path('schedules')}: one to three schedules are required")
        out = cls(
            id=r.req_int("id"),
            stack_level=r.req_int("stack_level"),
            purpose=r.req_enum("purpose", _PURPOSES),
            kind=r.req_enum("kind", _KINDS),
            schedules=tuple(
                ChargingSchedule.read(_Reader(s, f"{r._path('schedules')}[{i}]")) for i, s in enumerate(raw)
            ),
            recurrency=r.enum("recurrency", _RECURRENCY),
            valid_from=r.datetime_("valid_from"),
            valid_to=r.datetime_("valid_to"),
            transaction_id=_transaction_id(r, "transaction_id", required=False),
        )
        r.done()
        if out.kind == "Recurring" and out.recurrency is None:
            raise ValueError(f"{r.where or 'profile'}: a Recurring profile needs recurrency (Daily or Weekly)")
        return out

    def to_ocpp(self, protocol: Protocol) -> dict[str, Any]:
        common = {
            "stackLevel": self.stack_level,
            "chargingProfileKind": self.kind,
            "recurrencyKind": self.recurrency,
            "validFrom": iso(self.valid_from) if self.valid_from else None,
            "validTo": iso(self.valid_to) if self.valid_to else None,
        }
        if _v16(protocol):
            if self.purpose == "ChargingStationExternalConstraints":
                raise _unsupported(protocol, "the ChargingStationExternalConstraints purpose")
            if len(self.schedules) != 1:
                raise _unsupported(protocol, "a charging profile with more than one schedule")
            purpose = "ChargePointMaxProfile" if self.purpose == "ChargingStationMaxProfile" else self.purpose
            return _drop_none(
                {
                    "chargingProfileId": self.id,
                    "transactionId": _transaction_id_16(self.transaction_id),
                    "chargingProfilePurpose": purpose,
                    "chargingSchedule": self.schedules[0].to_ocpp(protocol, 1),
                    **common,
                }
            )
        return _drop_none(
            {
                "id": self.id,
                "transactionId": self.transaction_id,
                "chargingProfilePurpose": self.purpose,
                "chargingSchedule": [s.to_ocpp(protocol, i) for i, s in enumerate(self.schedules, 1)],
                **common,
            }
        )


def _transaction_id(r: _Reader, name: str, *, required: bool) -> str | None:
    value = r.raw(name)
    if value is None:
        if required:
            raise r._missing(name)
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > 36:
        raise ValueError(f"{r._path(name)}: must be a transaction id (1 to 36 characters, or an integer)")
    return value


def _transaction_id_16(value: str | None) -> int | None:
    if value is None:
        return None
    if not re.fullmatch(r"-?\d{1,10}", value) or not -(2**31) <= int(value) <= INT32_MAX:
        raise UnsupportedCommand(f"OCPP 1.6 transaction ids are integers, not {value!r}")
    return int(value)


@dataclass(frozen=True, slots=True)
class RemoteStart(Command):
    """1.6 RemoteStartTransaction / 2.0.1 RequestStartTransaction."""

    name: ClassVar[str] = "remote-start"
    id_token: str
    id_token_type: str = "Central"  # 2.0.1 IdTokenEnumType
    evse_id: int | None = None  # 1.6 connectorId
    remote_start_id: int = field(default_factory=new_request_id)  # 2.0.1 only
    group_id_token: str | None = None  # 2.0.1 only
    charging_profile: ChargingProfile | None = None  # must be a TxProfile

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        r = _Reader(data)
        profile = r.sub("charging_profile")
        out = cls(
            id_token=_id_token(r, "id_token"),
            id_token_type=r.enum("id_token_type", _ID_TOKEN_TYPES) or "Central",
            evse_id=r.int_("evse_id", minimum=1),
            remote_start_id=r.id_("remote_start_id"),
            group_id_token=r.str_("group_id_token", max_length=MAX_ID_TOKEN_201),
            charging_profile=ChargingProfile.read(profile) if profile else None,
        )
        r.done()
        if out.charging_profile is not None and out.charging_profile.purpose != "TxProfile":
            raise ValueError("charging_profile.purpose: a remote start takes a TxProfile")
        return out

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        profile = self.charging_profile.to_ocpp(protocol) if self.charging_profile else None
        if _v16(protocol):
            if self.group_id_token is not None:
                raise _unsupported(protocol, "a group id token in a remote start")
            return "RemoteStartTransaction", _drop_none(
                {"connectorId": self.evse_id, "idTag": _idtag_16(self.id_token), "chargingProfile": profile}
            )
        return "RequestStartTransaction", _drop_none(
            {
                "idToken": {"idToken": self.id_token, "type": self.id_token_type},
                "remoteStartId": self.remote_start_id,
                "evseId": self.evse_id,
                "groupIdToken": {"idToken": self.group_id_token, "type": "Central"} if self.group_id_token else None,
                "chargingProfile": profile,
            }
        )

    def from_ocpp(self, protocol: Protocol, payload: dict[str, Any]) -> CommandResult:
        if _v16(protocol):
            return _status_result(payload)
        return _status_result(
            payload, remote_start_id=self.remote_start_id, transaction_id=payload.get("transactionId")
        )


@dataclass(frozen=True, slots=True)
class RemoteStop(Command):
    """1.6 RemoteStopTransaction (integer id) / 2.0.1 RequestStopTransaction (string id)."""

    name: ClassVar[str] = "remote-stop"
    transaction_id: str

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        r = _Reader(data)
        tx = _transaction_id(r, "transaction_id", required=True)
        assert tx is not None
        r.done()
        return cls(tx)

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        if _v16(protocol):
            return "RemoteStopTransaction", {"transactionId": _transaction_id_16(self.transaction_id)}
        return "RequestStopTransaction", {"transactionId": self.transaction_id}


@dataclass(frozen=True, slots=True)
class UnlockConnector(Command):
    name: ClassVar[str] = "unlock"
    evse_id: int
    connector_id: int = 1

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        r = _Reader(data)
        out = cls(r.req_int("evse_id", minimum=1), r.int_("connector_id", minimum=1) or 1)
        r.done()
        return out

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        if _v16(protocol):
            return "UnlockConnector", {"connectorId": _connector_16(self.evse_id, self.connector_id, what="unlock")}
        return "UnlockConnector", {"evseId": self.evse_id, "connectorId": self.connector_id}


@dataclass(frozen=True, slots=True)
class ChangeAvailability(Command):
    name: ClassVar[str] = "change-availability"
    operative: bool
    evse_id: int | None = None  # None or 0: the whole charger
    connector_id: int | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        r = _Reader(data)
        status = r.req_enum("status", _choices("Operative", "Inoperative"))
        out = cls(status == "Operative", r.int_("evse_id"), r.int_("connector_id"))
        r.done()
        if out.connector_id is not None and out.evse_id is None:
            raise ValueError("connector_id: needs evse_id")
        return out

    def to_dict(self) -> dict[str, Any]:
        return _drop_none(
            {
                "status": "Operative" if self.operative else "Inoperative",
                "evse_id": self.evse_id,
                "connector_id": self.connector_id,
            }
        )

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        status = "Operative" if self.operative else "Inoperative"
        if _v16(protocol):
            connector = _connector_16(self.evse_id, self.connector_id, what="change availability")
            return "ChangeAvailability", {"connectorId": connector, "type": status}
        return "ChangeAvailability", _drop_none(
            {"operationalStatus": status, "evse": _evse_201(self.evse_id, self.connector_id)}
        )


# Neutral requested message -> (1.6 action, 1.6 name) and 2.0.1 name; None: the version lacks it.
_TRIGGERS: dict[str, tuple[tuple[str, str] | None, str | None]] = {
    "BootNotification": (("TriggerMessage", "BootNotification"), "BootNotification"),
    "Heartbeat": (("TriggerMessage", "Heartbeat"), "Heartbeat"),
    "StatusNotification": (("TriggerMessage", "StatusNotification"), "StatusNotification"),
    "MeterValues": (("TriggerMessage", "MeterValues"), "MeterValues"),
    "FirmwareStatusNotification": (("TriggerMessage", "FirmwareStatusNotification"), "FirmwareStatusNotification"),
    # the upload status of get-diagnostics: 1.6 DiagnosticsStatusNotification, 2.0.1 LogStatusNotification
    "DiagnosticsStatusNotification": (("TriggerMessage", "DiagnosticsStatusNotification"), "LogStatusNotification"),
    # 1.6 has these through the security extension's ExtendedTriggerMessage
    "LogStatusNotification": (("ExtendedTriggerMessage", "LogStatusNotification"), "LogStatusNotification"),
    "SignChargingStationCertificate": (
        ("ExtendedTriggerMessage", "SignChargePointCertificate"),
        "SignChargingStationCertificate",
    ),
    "TransactionEvent": (None, "TransactionEvent"),
    "SignV2GCertificate": (None, "SignV2GCertificate"),
    "SignCombinedCertificate": (None, "SignCombinedCertificate"),
    "PublishFirmwareStatusNotification": (None, "PublishFirmwareStatusNotification"),
}


@dataclass(frozen=True, slots=True)
class TriggerMessage(Command):
    name: ClassVar[str] = "trigger-message"
    message: str  # a key of TRIGGERABLE
    evse_id: int | None = None
    connector_id: int | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        r = _Reader(data)
        out = cls(
            r.req_enum("message", _choices(*_TRIGGERS, SignChargePointCertificate="SignChargingStationCertificate")),
            r.int_("evse_id"),
            r.int_("connector_id"),
        )
        r.done()
        if out.connector_id is not None and out.evse_id is None:
            raise ValueError("connector_id: needs evse_id")
        return out

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        v16, v201 = _TRIGGERS[self.message]
        if _v16(protocol):
            if v16 is None:
                raise _unsupported(protocol, f"triggering {self.message} (OCPP 2.0.1 only)")
            action, requested = v16
            connector = _connector_16(self.evse_id, self.connector_id, what="trigger message")
            return action, _drop_none({"requestedMessage": requested, "connectorId": connector or None})
        assert v201 is not None
        return "TriggerMessage", _drop_none(
            {"requestedMessage": v201, "evse": _evse_201(self.evse_id, self.connector_id)}
        )


TRIGGERABLE = tuple(_TRIGGERS)
_ATTRIBUTE_TYPES = _choices(*ATTRIBUTE_TYPES)


def _key_16(key: str) -> str:
    try:
        return key_for_16(key)
    except UnknownKey as exc:
        raise UnsupportedCommand(str(exc)) from None


def _ref_201(key: str) -> VariableRef:
    try:
        return ref_for_201(key)
    except UnknownKey as exc:
        raise UnsupportedCommand(str(exc)) from None


def _read_key(r: _Reader, name: str, where: str | None = None) -> str:
    key = r.req_str(name, max_length=200)
    try:
        check_key(key)
    except ValueError as exc:
        raise ValueError(f"{where or r._path(name)}: {exc}") from None
    return key


@dataclass(frozen=True, slots=True)
class GetConfiguration(Command):
    """1.6 GetConfiguration / 2.0.1 GetVariables. Keys: see chargeplane.domain.device.
    No keys: the whole configuration (1.6 only; on 2.0.1 use get-base-report)."""

    name: ClassVar[str] = "get-configuration"
    keys: tuple[str, ...] = ()
    attribute_type: str | None = None  # 2.0.1: Actual (default), Target, MinSet, MaxSet

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        r = _Reader(data)
        raw = r.list_("keys", max_items=1000) or []
        keys = []
        for i, key in enumerate(raw):
            if not isinstance(key, str):
                raise ValueError(f"keys[{i}]: must be a string")
            keys.append(_read_key(_Reader({"k": key}), "k", f"keys[{i}]"))
        out = cls(tuple(keys), r.enum("attribute_type", _ATTRIBUTE_TYPES))
        r.done()
        return out

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        if _v16(protocol):
            if self.attribute_type not in (None, "Actual"):
                raise _unsupported(protocol, f"the {self.attribute_type} attribute of a configuration key")
            return "GetConfiguration", {"key": [_key_16(k) for k in self.keys]} if self.keys else {}
        if not self.keys:
            raise UnsupportedCommand(
                "OCPP 2.0.1 has no 'get all variables'; use get-base-report (the charger answers with NotifyReport)"
            )
        data = []
        for key in self.keys:
            entry = _ref_201(key).to_ocpp201()
            if self.attribute_type is not None:
                entry["attributeType"] = self.attribute_type
            data.append(entry)
        return "GetVariables", {"getVariableData": data}

    def from_ocpp(self, protocol: Protocol, payload: dict[str, Any]) -> CommandResult:
        results: list[dict[str, Any]] = []
        if _v16(protocol):
            asked = {_key_16(k): k for k in self.keys}
            for item in payload.get("configurationKey") or []:
                results.append(
                    _drop_none(
                        {
                            "key": asked.get(item["key"], item["key"]),
                            "status": "Accepted",
                            "value": item.get("value"),
                            "readonly": item.get("readonly"),
                        }
                    )
                )
            for unknown in payload.get("unknownKey") or []:
                results.append({"key": asked.get(unknown, unknown), "status": "UnknownVariable"})
        else:
            asked_refs = {_ref_201(k): k for k in self.keys}
            for item in payload.get("getVariableResult") or []:
                ref = VariableRef.from_ocpp201(item["component"], item["variable"])
                results.append(
                    _drop_none(
                        {
                            "key": asked_refs.get(ref, ref.key),
                            "status": item["attributeStatus"],
                            "value": item.get("attributeValue"),
                            "attribute_type": item.get("attributeType"),
                            **_status_info(item, "attributeStatusInfo"),
                        }
                    )
                )
        return CommandResult("Accepted", {"results": results})


@dataclass(frozen=True, slots=True)
class ConfigurationSetting:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class ChangeConfiguration(Command):
    """1.6 ChangeConfiguration (one key per message) / 2.0.1 SetVariables (one or more)."""

    name: ClassVar[str] = "change-configuration"
    settings: tuple[ConfigurationSetting, ...]
    attribute_type: str | None = None  # 2.0.1 only

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """{"key": k, "value": v} or {"settings": [{"key": k, "value": v}, ...]}."""
        r = _Reader(data)
        settings: list[ConfigurationSetting] = []
        if r.raw("settings") is not None:
            for i, item in enumerate(r.list_("settings", max_items=1000) or []):
                sr = _Reader(item, f"settings[{i}]")
                settings.append(
                    ConfigurationSetting(_read_key(sr, "key"), sr.req_str("value", max_length=1000, allow_empty=True))
                )
                sr.done()
            if r.raw("key") is not None or r.raw("value") is not None:
                raise ValueError("body: give either key and value, or settings")
        else:
            settings.append(
                ConfigurationSetting(_read_key(r, "key"), r.req_str("value", max_length=1000, allow_empty=True))
            )
        if not settings:
            raise ValueError("settings: at least one setting is required")
        out = cls(tuple(settings), r.enum("attribute_type", _ATTRIBUTE_TYPES))
        r.done()
        return out

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        if _v16(protocol):
            if len(self.settings) != 1:
                raise _unsupported(protocol, "several keys in one change (1.6 ChangeConfiguration sets one key)")
            if self.attribute_type not in (None, "Actual"):
                raise _unsupported(protocol, f"the {self.attribute_type} attribute of a configuration key")
            setting = self.settings[0]
            if len(setting.value) > MAX_VALUE_LENGTH_16:
                raise _unsupported(protocol, f"values longer than {MAX_VALUE_LENGTH_16} characters")
            return "ChangeConfiguration", {"key": _key_16(setting.key), "value": setting.value}
        data = []
        for setting in self.settings:
            if len(setting.value) > MAX_VALUE_LENGTH_201:
                raise _unsupported(protocol, f"values longer than {MAX_VALUE_LENGTH_201} characters")
            entry = {**_ref_201(setting.key).to_ocpp201(), "attributeValue": setting.value}
            if self.attribute_type is not None:
                entry["attributeType"] = self.attribute_type
            data.append(entry)
        return "SetVariables", {"setVariableData": data}

    def from_ocpp(self, protocol: Protocol, payload: dict[str, Any]) -> CommandResult:
        """status: the 1.6 status, or for 2.0.1 the one status when all results agree
        (else "Partial"); details.results: per key."""
        if _v16(protocol):
            status = str(payload["status"])
            return CommandResult(status, {"results": [{"key": self.settings[0].key, "status": status}]})
        asked = {_ref_201(s.key): s.key for s in self.settings}
        results = []
        for item in payload.get("setVariableResult") or []:
            ref = VariableRef.from_ocpp201(item["component"], item["variable"])
            results.append(
                _drop_none(
                    {
                        "key": asked.get(ref, ref.key),
                        "status": item["attributeStatus"],
                        "attribute_type": item.get("attributeType"),
                        **_status_info(item, "attributeStatusInfo"),
                    }
                )
            )
        statuses = {r["status"] for r in results}
        return CommandResult(statuses.pop() if len(statuses) == 1 else "Partial", {"results": results})


_REPORT_BASES = _choices("ConfigurationInventory", "FullInventory", "SummaryInventory")


@dataclass(frozen=True, slots=True)
class GetBaseReport(Command):
    """2.0.1 GetBaseReport (the report comes as NotifyReport messages with request_id).
    On 1.6 the equivalent of a configuration or full inventory is GetConfiguration with
    no keys, whose answer carries the configuration directly."""

    name: ClassVar[str] = "get-base-report"
    report_base: str = "FullInventory"
    request_id: int = field(default_factory=new_request_id)

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        r = _Reader(data)
        out = cls(r.enum("report_base", _REPORT_BASES) or "FullInventory", r.id_("request_id"))
        r.done()
        return out

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        if _v16(protocol):
            if self.report_base == "SummaryInventory":
                raise _unsupported(protocol, "a SummaryInventory report")
            return "GetConfiguration", {}
        return "GetBaseReport", {"requestId": self.request_id, "reportBase": self.report_base}

    def from_ocpp(self, protocol: Protocol, payload: dict[str, Any]) -> CommandResult:
        if _v16(protocol):
            return GetConfiguration().from_ocpp(protocol, payload)
        return _status_result(payload, request_id=self.request_id)


@dataclass(frozen=True, slots=True)
class ClearCache(Command):
    name: ClassVar[str] = "clear-cache"

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        _Reader(data).done()
        return cls()

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        return "ClearCache", {}


@dataclass(frozen=True, slots=True)
class DataTransfer(Command):
    name: ClassVar[str] = "data-transfer"
    vendor_id: str
    message_id: str | None = None
    data: Any = None  # 1.6: a string; 2.0.1: any JSON value

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        r = _Reader(data)
        out = cls(r.req_str("vendor_id", max_length=255), r.str_("message_id", max_length=50), r.raw("data"))
        r.done()
        return out

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        if _v16(protocol) and self.data is not None and not isinstance(self.data, str):
            raise _unsupported(protocol, "non-text data (1.6 DataTransfer data is a string; send JSON as text)")
        return "DataTransfer", _drop_none({"vendorId": self.vendor_id, "messageId": self.message_id, "data": self.data})

    def from_ocpp(self, protocol: Protocol, payload: dict[str, Any]) -> CommandResult:
        return _status_result(payload, data=payload.get("data"))


_CONNECTOR_TYPES = _choices(
    "cCCS1", "cCCS2", "cG105", "cTesla", "cType1", "cType2", "s309-1P-16A", "s309-1P-32A", "s309-3P-16A",
    "s309-3P-32A", "sBS1361", "sCEE-7-7", "sType2", "sType3", "Other1PhMax16A", "Other1PhOver16A", "Other3Ph",
    "Pan", "wInductive", "wResonant", "Undetermined", "Unknown",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReserveNow(Command):
    name: ClassVar[str] = "reserve-now"
    reservation_id: int
    expiry: datetime
    id_token: str
    id_token_type: str = "Central"
    evse_id: int | None = None  # None/0: any EVSE (1.6 connector 0)
    group_id_token: str | None = None  # 1.6 parentIdTag
    connector_type: str | None = None  # 2.0.1 only

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        r = _Reader(data)
        out = cls(
            reservation_id=r.req_int("reservation_id"),
            expiry=r.req_datetime("expiry"),
            id_token=_id_token(r, "id_token"),
            id_token_type=r.enum("id_token_type", _ID_TOKEN_TYPES) or "Central",
            evse_id=r.int_("evse_id"),
            group_id_token=r.str_("group_id_token", max_length=MAX_ID_TOKEN_201),
            connector_type=r.enum("connector_type", _CONNECTOR_TYPES),
        )
        r.done()
        return out

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        if _v16(protocol):
            if self.connector_type is not None:
                raise _unsupported(protocol, "a reservation for a connector type")
            return "ReserveNow", _drop_none(
                {
                    "connectorId": self.evse_id or 0,
                    "expiryDate": iso(self.expiry),
                    "idTag": _idtag_16(self.id_token),
                    "parentIdTag": _idtag_16(self.group_id_token, "group_id_token") if self.group_id_token else None,
                    "reservationId": self.reservation_id,
                }
            )
        return "ReserveNow", _drop_none(
            {
                "id": self.reservation_id,
                "expiryDateTime": iso(self.expiry),
                "idToken": {"idToken": self.id_token, "type": self.id_token_type},
                "evseId": self.evse_id or None,
                "connectorType": self.connector_type,
                "groupIdToken": {"idToken": self.group_id_token, "type": "Central"} if self.group_id_token else None,
            }
        )


@dataclass(frozen=True, slots=True)
class CancelReservation(Command):
    name: ClassVar[str] = "cancel-reservation"
    reservation_id: int

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        r = _Reader(data)
        out = cls(r.req_int("reservation_id"))
        r.done()
        return out

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        return "CancelReservation", {"reservationId": self.reservation_id}


_TOKEN_STATUSES_16 = ("Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx")
_TOKEN_STATUSES = _choices(
    *_TOKEN_STATUSES_16, "NoCredit", "NotAllowedTypeEVSE", "NotAtThisLocation", "NotAtThisTime", "Unknown"
)


@dataclass(frozen=True, slots=True)
class LocalListEntry:
    id_token: str
    id_token_type: str = "Central"  # 2.0.1 only
    status: str | None = None  # None: remove the entry (Differential update)
    expiry: datetime | None = None
    group_id_token: str | None = None  # 1.6 parentIdTag

    @classmethod
    def read(cls, r: _Reader) -> LocalListEntry:
        out = cls(
            id_token=_id_token(r, "id_token"),
            id_token_type=r.enum("id_token_type", _ID_TOKEN_TYPES) or "Central",
            status=r.enum("status", _TOKEN_STATUSES),
            expiry=r.datetime_("expiry"),
            group_id_token=r.str_("group_id_token", max_length=MAX_ID_TOKEN_201),
        )
        r.done()
        if out.status is None and (out.expiry is not None or out.group_id_token is not None):
            raise ValueError(f"{r.where}: expiry and group_id_token need a status")
        return out

    def to_ocpp(self, protocol: Protocol) -> dict[str, Any]:
        if _v16(protocol):
            entry: dict[str, Any] = {"idTag": _idtag_16(self.id_token)}
            if self.status is not None:
                if self.status not in _TOKEN_STATUSES_16:
                    raise _unsupported(protocol, f"the id token status {self.status}")
                entry["idTagInfo"] = _drop_none(
                    {
                        "status": self.status,
                        "expiryDate": iso(self.expiry) if self.expiry else None,
                        "parentIdTag": _idtag_16(self.group_id_token, "group_id_token")
                        if self.group_id_token
                        else None,
                    }
                )
            return entry
        entry = {"idToken": {"idToken": self.id_token, "type": self.id_token_type}}
        if self.status is not None:
            entry["idTokenInfo"] = _drop_none(
                {
                    "status": self.status,
                    "cacheExpiryDateTime": iso(self.expiry) if self.expiry else None,
                    "groupIdToken": {"idToken": self.group_id_token, "type": "Central"}
                    if self.group_id_token
                    else None,
                }
            )
        return entry


@dataclass(frozen=True, slots=True)
class SendLocalList(Command):
    """The list is given by the caller (computed from tokens elsewhere)."""

    name: ClassVar[str] = "send-local-list"
    version: int
    update_type: str  # Full or Differential
    entries: tuple[LocalListEntry, ...] = ()

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        r = _Reader(data)
        raw = r.list_("entries", max_items=100_000) or []
        out = cls(
            version=r.req_int("version"),
            update_type=r.req_enum("update_type", _choices("Full", "Differential")),
            entries=tuple(LocalListEntry.read(_Reader(e, f"entries[{i}]")) for i, e in enumerate(raw)),
        )
        r.done()
        if out.update_type == "Full" and any(e.status is None for e in out.entries):
            raise ValueError("entries: every entry of a Full update needs a status")
        return out

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        entries = [e.to_ocpp(protocol) for e in self.entries]
        if _v16(protocol):
            payload: dict[str, Any] = {"listVersion": self.version, "updateType": self.update_type}
            if entries:
                payload["localAuthorizationList"] = entries
            return "SendLocalList", payload
        payload = {"versionNumber": self.version, "updateType": self.update_type}
        if entries:
            payload["localAuthorizationList"] = entries
        return "SendLocalList", payload


@dataclass(frozen=True, slots=True)
class GetLocalListVersion(Command):
    name: ClassVar[str] = "get-local-list-version"

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        _Reader(data).done()
        return cls()

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        return "GetLocalListVersion", {}

    def from_ocpp(self, protocol: Protocol, payload: dict[str, Any]) -> CommandResult:
        version = payload["listVersion"] if _v16(protocol) else payload["versionNumber"]
        return CommandResult("Accepted", {"version": version})


@dataclass(frozen=True, slots=True)
class UpdateFirmware(Command):
    """1.6 UpdateFirmware (or, signed, the security extension's SignedUpdateFirmware) /
    2.0.1 UpdateFirmware. Progress comes as FirmwareStatusNotification."""

    name: ClassVar[str] = "update-firmware"
    location: str
    retrieve_at: datetime
    retries: int | None = None
    retry_interval: int | None = None
    install_at: datetime | None = None
    signing_certificate: str | None = None
    signature: str | None = None
    request_id: int = field(default_factory=new_request_id)

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        r = _Reader(data)
        out = cls(
            location=r.uri("location"),
            retrieve_at=r.req_datetime("retrieve_at"),
            retries=r.int_("retries"),
            retry_interval=r.int_("retry_interval"),
            install_at=r.datetime_("install_at"),
            signing_certificate=r.str_("signing_certificate", max_length=5500),
            signature=r.str_("signature", max_length=800),
            request_id=r.id_("request_id"),
        )
        r.done()
        if (out.signature is None) != (out.signing_certificate is None):
            raise ValueError("signature and signing_certificate go together")
        return out

    def _firmware(self) -> dict[str, Any]:
        return _drop_none(
            {
                "location": self.location,
                "retrieveDateTime": iso(self.retrieve_at),
                "installDateTime": iso(self.install_at) if self.install_at else None,
                "signingCertificate": self.signing_certificate,
                "signature": self.signature,
            }
        )

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        retry = {"retries": self.retries, "retryInterval": self.retry_interval}
        if not _v16(protocol):
            return "UpdateFirmware", _drop_none({**retry, "requestId": self.request_id, "firmware": self._firmware()})
        if self.signature is not None:
            return "SignedUpdateFirmware", _drop_none(
                {**retry, "requestId": self.request_id, "firmware": self._firmware()}
            )
        if self.install_at is not None:
            raise _unsupported(protocol, "an install time for unsigned firmware")
        return "UpdateFirmware", _drop_none({"location": self.location, "retrieveDate": iso(self.retrieve_at), **retry})

    def from_ocpp(self, protocol: Protocol, payload: dict[str, Any]) -> CommandResult:
        if _v16(protocol) and "status" not in payload:  # 1.6 UpdateFirmware.conf is empty
            return CommandResult("Accepted", {})
        return _status_result(payload, request_id=self.request_id)


@dataclass(frozen=True, slots=True)
class GetDiagnostics(Command):
    """1.6 GetDiagnostics (DiagnosticsLog) or the security extension's GetLog (SecurityLog) /
    2.0.1 GetLog. Progress comes as DiagnosticsStatusNotification / LogStatusNotification."""

    name: ClassVar[str] = "get-diagnostics"
    location: str
    log_type: str = "DiagnosticsLog"
    oldest: datetime | None = None
    latest: datetime | None = None
    retries: int | None = None
    retry_interval: int | None = None
    request_id: int = field(default_factory=new_request_id)

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        r = _Reader(data)
        out = cls(
            location=r.uri("location"),
            log_type=r.enum("log_type", _choices("DiagnosticsLog", "SecurityLog")) or "DiagnosticsLog",
            oldest=r.datetime_("oldest"),
            latest=r.datetime_("latest"),
            retries=r.int_("retries"),
            retry_interval=r.int_("retry_interval"),
            request_id=r.id_("request_id"),
        )
        r.done()
        return out

    def _get_log(self) -> tuple[str, dict[str, Any]]:
        log = _drop_none(
            {
                "remoteLocation": self.location,
                "oldestTimestamp": iso(self.oldest) if self.oldest else None,
                "latestTimestamp": iso(self.latest) if self.latest else None,
            }
        )
        return "GetLog", _drop_none(
            {
                "log": log,
                "logType": self.log_type,
                "requestId": self.request_id,
                "retries": self.retries,
                "retryInterval": self.retry_interval,
            }
        )

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        if _v16(protocol) and self.log_type == "DiagnosticsLog":
            return "GetDiagnostics", _drop_none(
                {
                    "location": self.location,
                    "startTime": iso(self.oldest) if self.oldest else None,
                    "stopTime": iso(self.latest) if self.latest else None,
                    "retries": self.retries,
                    "retryInterval": self.retry_interval,
                }
            )
        return self._get_log()

    def from_ocpp(self, protocol: Protocol, payload: dict[str, Any]) -> CommandResult:
        if "status" not in payload:  # 1.6 GetDiagnostics.conf: no fileName = nothing to upload
            return CommandResult("Accepted", _drop_none({"file_name": payload.get("fileName")}))
        return _status_result(payload, file_name=payload.get("filename"), request_id=self.request_id)


@dataclass(frozen=True, slots=True)
class SetChargingProfile(Command):
    name: ClassVar[str] = "set-charging-profile"
    evse_id: int  # 0: the charger as a whole (1.6 connector 0)
    profile: ChargingProfile

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        r = _Reader(data)
        profile = r.sub("profile")
        if profile is None:
            raise r._missing("profile")
        out = cls(r.req_int("evse_id"), ChargingProfile.read(profile))
        r.done()
        return out

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        if _v16(protocol):
            return "SetChargingProfile", {
                "connectorId": self.evse_id,
                "csChargingProfiles": self.profile.to_ocpp(protocol),
            }
        return "SetChargingProfile", {"evseId": self.evse_id, "chargingProfile": self.profile.to_ocpp(protocol)}


@dataclass(frozen=True, slots=True)
class ClearChargingProfile(Command):
    """Clear by id, or by any of evse / purpose / stack level; nothing given clears all."""

    name: ClassVar[str] = "clear-charging-profile"
    profile_id: int | None = None
    evse_id: int | None = None
    purpose: str | None = None
    stack_level: int | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        r = _Reader(data)
        out = cls(r.int_("profile_id"), r.int_("evse_id"), r.enum("purpose", _PURPOSES), r.int_("stack_level"))
        r.done()
        return out

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        if _v16(protocol):
            if self.purpose == "ChargingStationExternalConstraints":
                raise _unsupported(protocol, "the ChargingStationExternalConstraints purpose")
            purpose = "ChargePointMaxProfile" if self.purpose == "ChargingStationMaxProfile" else self.purpose
            return "ClearChargingProfile", _drop_none(
                {
                    "id": self.profile_id,
                    "connectorId": self.evse_id,
                    "chargingProfilePurpose": purpose,
                    "stackLevel": self.stack_level,
                }
            )
        criteria = _drop_none(
            {"evseId": self.evse_id, "chargingProfilePurpose": self.purpose, "stackLevel": self.stack_level}
        )
        return "ClearChargingProfile", _drop_none(
            {"chargingProfileId": self.profile_id, "chargingProfileCriteria": criteria or None}
        )


@dataclass(frozen=True, slots=True)
class GetCompositeSchedule(Command):
    name: ClassVar[str] = "get-composite-schedule"
    evse_id: int  # 0: the grid connection of the whole charger
    duration: int  # seconds
    rate_unit: str | None = None  # A or W

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        r = _Reader(data)
        out = cls(r.req_int("evse_id"), r.req_int("duration"), r.enum("rate_unit", _RATE_UNITS))
        r.done()
        return out

    def to_ocpp(self, protocol: Protocol) -> tuple[str, dict[str, Any]]:
        if _v16(protocol):
            return "GetCompositeSchedule", _drop_none(
                {"connectorId": self.evse_id, "duration": self.duration, "chargingRateUnit": self.rate_unit}
            )
        return "GetCompositeSchedule", _drop_none(
            {"evseId": self.evse_id, "duration": self.duration, "chargingRateUnit": self.rate_unit}
        )

    def from_ocpp(self, protocol: Protocol, payload: dict[str, Any]) -> CommandResult:
        if _v16(protocol):
            schedule = payload.get("chargingSchedule")
            if schedule is None:
                return _status_result(payload)
            return _status_result(
                payload,
                evse_id=payload.get("connectorId", self.evse_id),
                schedule_start=payload.get("scheduleStart") or schedule.get("startSchedule"),
                duration=schedule.get("duration"),
                rate_unit=schedule["chargingRateUnit"],
                periods=_periods(schedule["chargingSchedulePeriod"]),
                min_charging_rate=schedule.get("minChargingRate"),
            )
        schedule = payload.get("schedule")
        if schedule is None:
            return _status_result(payload)
        return _status_result(
            payload,
            evse_id=schedule["evseId"],
            schedule_start=schedule["scheduleStart"],
            duration=schedule["duration"],
            rate_unit=schedule["chargingRateUnit"],
            periods=_periods(schedule["chargingSchedulePeriod"]),
        )


def _periods(periods: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        _drop_none(
            {
                "start_period": p["startPeriod"],
                "limit": p["limit"],
                "number_phases": p.get("numberPhases"),
                "phase_to_use": p.get("phaseToUse"),
            }
        )
        for p in periods
    ]


COMMANDS: dict[str, type[Command]] = {
    cls.name: cls
    for cls in (
        Reset,
        RemoteStart,
        RemoteStop,
        UnlockConnector,
        ChangeAvailability,
        TriggerMessage,
        GetConfiguration,
        ChangeConfiguration,
        GetBaseReport,
        ClearCache,
        DataTransfer,
        ReserveNow,
        CancelReservation,
        SendLocalList,
        GetLocalListVersion,
        UpdateFirmware,
        GetDiagnostics,
        SetChargingProfile,
        ClearChargingProfile,
        GetCompositeSchedule,
    )
}


def command_from_dict(name: str, data: Any) -> Command:
    """Build the command named `name` (a key of COMMANDS) from a JSON body."""
    cls = COMMANDS.get(name)
    if cls is None:
        raise ValueError(f"unknown command {name!r} (known: {', '.join(sorted(COMMANDS))})")
    return cls.from_dict(data)


def to_ocpp(command: Command, protocol: Protocol) -> tuple[str, dict[str, Any]]:
    """The action and request payload for a charger of `protocol`; UnsupportedCommand when
    that version cannot express the command."""
    return command.to_ocpp(protocol)


def from_ocpp(command: Command, protocol: Protocol, payload: dict[str, Any]) -> CommandResult:
    """The charger's CALLRESULT payload (already schema-valid) as a neutral result."""
    return command.from_ocpp(protocol, payload)


def reported_variables(command: Command, protocol: Protocol, payload: dict[str, Any]) -> list[DeviceVariable]:
    """What a charger's answer tells about its configuration, as device variables to store
    (registry RecordDeviceVariables), so both versions' configuration is kept the same way:
    1.6 GetConfiguration (also get-base-report on 1.6) values; 2.0.1 GetVariables values;
    keys a change-configuration set with status Accepted. Empty for other commands."""
    if isinstance(command, GetConfiguration | GetBaseReport):
        if _v16(protocol):
            return variables_from_configuration(payload)
        if isinstance(command, GetBaseReport):
            return []  # the report comes as NotifyReport, stored by the gateway
        out = []
        for item in payload.get("getVariableResult") or []:
            if item["attributeStatus"] != "Accepted" or "attributeValue" not in item:
                continue
            ref = VariableRef.from_ocpp201(item["component"], item["variable"])
            out.append(variable_of(ref.key, protocol, item["attributeValue"], item.get("attributeType", "Actual")))
        return out
    if isinstance(command, ChangeConfiguration):
        accepted = {
            r["key"] for r in command.from_ocpp(protocol, payload).details["results"] if r["status"] == "Accepted"
        }
        return [
            variable_of(s.key, protocol, s.value, command.attribute_type or "Actual")
            for s in command.settings
            if s.key in accepted
        ]
    return []
